/**
 * The `gateway` suite: a backlog of uplinks queued in a real mosquitto (loopback) for a persistent session
 * while the consumer was away, drained to closed windows — the moment after an outage. Cases:
 *
 * - `plain-mqtt` (baseline): what a user would otherwise write — mqtt.js (QoS 1, acknowledged on receipt),
 *   `JSON.parse`, base64 decode, a `Map` from device EUI to bay and per-zone counters closed every 5 minutes of
 *   event time. No de-duplication, no lateness, no durability.
 * - `parkir-fsync`: `createGateway` with the defaults (acknowledged after the write-ahead log is fsynced).
 * - `parkir-write`: the same acknowledging once the log is written (survives kill -9, not a power cut).
 *
 * Each reports uplinks/s from connect to the last message in closed-window state, the event-loop delay while
 * draining (p50/p99/max, `monitorEventLoopDelay`), and the process RSS at the end. The cases compute
 * different things (the plain loop is not an occupancy engine), so results are not compared.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { connect, connectAsync } from "mqtt";
import type { City } from "../../src/catalog/index.js";
import { createGateway, type FleetMessage, fleetMessages, publishFleet } from "../../src/gateway/index.js";
import { generateTrace } from "../../src/generate/index.js";
import { BENCH_SEED, paluWorkload } from "../fixtures/workload.js";
import type { CaseSpec, Measurement, Profile, SuiteDefinition } from "../harness.js";
import { summarizeTimings } from "../stats.js";
import { type Broker, startMosquitto } from "./mosquitto.js";

/** Hours of Palu trace per profile (about 5,600 messages an hour: sensor uplinks, payments, counts). */
const HOURS: Readonly<Record<Profile, number>> = { full: 36, quick: 4, tiny: 1 };
const WINDOW_MS = 300_000;

interface Drain {
  readonly ms: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly rssBytes: number;
}

/** Queues `messages` for `clientId` (a persistent session that is away), then runs `consume` and times it. */
async function drain(
  broker: Broker,
  clientId: string,
  messages: readonly FleetMessage[],
  consume: () => Promise<() => Promise<void>>,
): Promise<Drain> {
  // Create the session, leave, queue the backlog.
  const s = await connectAsync(broker.url, { clientId, clean: false });
  await s.subscribeAsync(["v3/+/devices/+/up", "parkir/palu/in/events"], { qos: 1 });
  await s.endAsync();
  const pub = await connectAsync(broker.url, { clientId: `${clientId}-pub` });
  await publishFleet(pub, messages);
  await pub.endAsync();
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const t0 = performance.now();
  const stop = await consume();
  const ms = performance.now() - t0;
  h.disable();
  const rssBytes = process.memoryUsage.rss();
  await stop();
  return { ms, p50Ms: h.percentile(50) / 1e6, p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6, rssBytes };
}

/** Waits (bounded: 5 minutes) until `done()`; throws with `what()` when it never is (a measurement is never faked). */
async function until(done: () => boolean, what: () => string): Promise<void> {
  for (let i = 0; i < 60_000; i++) {
    if (done()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`gateway bench: gave up waiting: ${what()}`);
}

/** The plain program: mqtt.js + JSON.parse + a Map loop over bays and zones, closing 5-minute windows. */
async function plain(broker: Broker, clientId: string, city: City, n: number): Promise<() => Promise<void>> {
  const bayByEui = new Map<string, { zone: string; occupied: boolean }>();
  for (const z of city.zones)
    for (const b of z.bays)
      if (b.devEui !== undefined) bayByEui.set(b.devEui, { zone: z.id, occupied: false });
  const open = new Map<string, { arrivals: number; occupied: number; payments: number }>();
  let windowStart = Number.NEGATIVE_INFINITY;
  let closed = 0;
  let seen = 0;
  // The handler is in place before the CONNACK: a session's queued messages can arrive in the same read as it,
  // and are emitted before `connectAsync` would resolve (a listener added after it loses them).
  const client = connect(broker.url, { clientId, clean: false });
  client.on("message", (topic, payload) => {
    seen++;
    const o = JSON.parse(String(payload));
    let zone: string;
    let t: number;
    let arrival = false;
    if (topic.startsWith("v3/")) {
      const bay = bayByEui.get(o.end_device_ids.dev_eui);
      if (bay === undefined) return;
      const occupied = (Buffer.from(o.uplink_message.frm_payload ?? "", "base64")[0] ?? 0) & 1;
      arrival = occupied === 1 && !bay.occupied;
      bay.occupied = occupied === 1;
      zone = bay.zone;
      t = Date.parse(o.received_at);
    } else {
      zone = o.curb_zone_id ?? "";
      t = Number(o.event_time);
    }
    const w = Math.floor(t / WINDOW_MS) * WINDOW_MS;
    if (w > windowStart) {
      closed += open.size;
      open.clear();
      windowStart = w;
    }
    let row = open.get(zone);
    if (row === undefined) open.set(zone, (row = { arrivals: 0, occupied: 0, payments: 0 }));
    if (arrival) row.arrivals++;
    if (o.event_type === "payment_end") row.payments++;
  });
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
  });
  await until(
    () => seen >= n,
    () => `plain-mqtt received ${seen} of ${n} messages`,
  );
  return async () => {
    void closed;
    await client.endAsync();
  };
}

/** The `gateway` suite. */
export const gatewaySuite: SuiteDefinition = {
  name: "gateway",
  summary:
    "a backlog of uplinks in mosquitto drained to closed windows: parkir's gateway vs mqtt.js + JSON.parse + Map",
  async build({ profile, log }) {
    const city = paluWorkload("tiny").city;
    const hours = HOURS[profile];
    const events = generateTrace(city, {
      seed: BENCH_SEED,
      startMs: Date.now() - (hours + 2) * 3_600_000,
      hours,
    });
    const all = fleetMessages(city, events, { format: "tts" });
    const messages = profile === "tiny" ? all.slice(0, 1500) : all; // the harness test's smoke run
    const n = messages.length;
    const uplinks = messages.filter((m) => m.topic.startsWith("v3/")).length;
    log(`gateway: ${n} messages (${uplinks} uplinks) per drain`);
    const broker = await startMosquitto(1000);
    let runs = 0;
    const gatewayCase = (durability: "fsync" | "write") => async (): Promise<Measurement> => {
      const dir = mkdtempSync(join(tmpdir(), "parkir-bench-gateway-"));
      const clientId = `bench-gw-${durability}-${runs++}`;
      try {
        const d = await drain(broker, clientId, messages, async () => {
          const gw = createGateway({
            city,
            stateDir: dir,
            broker: { url: broker.url, clientId },
            subscribe: { chirpstack: false, cds: "parkir/palu/in/events" },
            publish: false,
            durability,
            engine: { idleAdvanceMs: 0 },
            log: () => undefined,
          });
          await gw.start();
          await until(
            () => gw.counters.messages >= n && gw.counters.queued === 0,
            () => `the gateway took ${gw.counters.messages} of ${n} messages, ${gw.counters.queued} queued`,
          );
          return () => gw.stop();
        });
        return report(d, n, { durability });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const cases: CaseSpec[] = [
      {
        name: "plain-mqtt",
        eventsPerOp: n,
        extra: {
          note: "mqtt.js QoS 1 (acked on receipt) + JSON.parse + Map per bay/zone, 5-min windows; no dedup, lateness or durability",
        },
        measure: async () =>
          report(
            await drain(broker, `bench-plain-${runs}`, messages, () =>
              plain(broker, `bench-plain-${runs++}`, city, n),
            ),
            n,
            {},
          ),
      },
      {
        name: "parkir-fsync",
        eventsPerOp: n,
        extra: {
          note: "createGateway defaults: write-ahead log fsynced before PUBACK, engine in 2048-event slices",
        },
        measure: gatewayCase("fsync"),
      },
      {
        name: "parkir-write",
        eventsPerOp: n,
        extra: {
          note: 'durability "write": PUBACK once the log is written (survives kill -9, not a power cut)',
        },
        measure: gatewayCase("write"),
      },
    ];
    process.once("exit", () => broker.killNow());
    return {
      name: "gateway",
      workload: {
        description: `Palu seed catalogue, generated trace (${hours} h) as The Things Stack uplinks and CDS messages, QoS 1, queued in mosquitto (loopback, max_inflight_messages 1000) for an absent persistent session, then drained`,
        seed: BENCH_SEED,
        sizes: { messages: n, uplinks, hours, zones: city.zoneCount, sensedBays: city.bayCount },
      },
      baseline: "plain-mqtt",
      independent: true,
      rounds: 1,
      cases,
    };
  },
};

function report(d: Drain, n: number, extra: Record<string, string>): Measurement {
  const t = summarizeTimings([d.ms]);
  return {
    hz: t.hz,
    rme: t.rme,
    samples: t.samples,
    timesMs: [d.ms],
    extra: {
      ...extra,
      uplinksPerSec: Math.round((n / d.ms) * 1000),
      eventLoopDelayMs: { p50: round2(d.p50Ms), p99: round2(d.p99Ms), max: round2(d.maxMs) },
      rssBytes: d.rssBytes,
    },
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

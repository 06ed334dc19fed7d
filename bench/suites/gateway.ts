/**
 * The `gateway` suite: a backlog of uplinks queued in a real mosquitto (loopback) for persistent sessions while
 * their consumers were away, drained to closed windows — the moment after an outage. The backlog (1,000,000
 * messages in the full profile, about 190 hours of Palu) is generated and published in day-long chunks once,
 * before any case runs, to three absent sessions (one per case), so no case pays for another's backlog and the
 * publisher's copies are gone before a drain starts. Cases:
 *
 * - `plain-mqtt` (baseline): what a user would otherwise write — mqtt.js (QoS 1, acknowledged on receipt),
 *   `JSON.parse`, base64 decode, a `Map` from device EUI to bay and per-zone counters closed every 5 minutes of
 *   event time. No de-duplication, no lateness, no durability.
 * - `parkir-fsync`: `createGateway` with the defaults (acknowledged after the write-ahead log is fsynced).
 * - `parkir-write`: the same acknowledging once the log is written (survives kill -9, not a power cut).
 *
 * Each reports messages/s from connect to the last message in closed-window state, the event-loop delay while
 * draining (p50/p99/max, `monitorEventLoopDelay`), the process RSS at the end and its peak during the drain
 * (sampled every 100 ms). The cases compute different things (the plain loop is not an occupancy engine), so
 * results are not compared. Memory stays bounded while draining: mosquitto sends at most
 * `max_inflight_messages` (1000) unacknowledged messages, and the gateway withholds acknowledgements while its
 * engine queue is over `queueMax`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { connect, connectAsync } from "mqtt";
import type { City } from "../../src/catalog/index.js";
import { createGateway, fleetMessages, publishFleet } from "../../src/gateway/index.js";
import { generateTrace } from "../../src/generate/index.js";
import { BENCH_SEED, paluWorkload } from "../fixtures/workload.js";
import type { CaseSpec, Measurement, Profile, SuiteDefinition } from "../harness.js";
import { summarizeTimings } from "../stats.js";
import { type Broker, startMosquitto } from "./mosquitto.js";

/** Messages in the backlog per profile (Palu: about 5,300 messages an hour of trace). */
const MESSAGES: Readonly<Record<Profile, number>> = { full: 1_000_000, quick: 20_000, tiny: 1500 };
/** Hours of trace generated (and published) at a time. */
const CHUNK_HOURS = 24;
const WINDOW_MS = 300_000;
const HOUR_MS = 3_600_000;
/** Topics every session subscribes to (what the backlog is published on). */
const TOPICS = ["v3/+/devices/+/up", "parkir/palu/in/events"];

interface Drain {
  readonly ms: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly rssBytes: number;
  readonly rssPeakBytes: number;
}

interface Backlog {
  readonly messages: number;
  readonly uplinks: number;
  readonly hours: number;
}

/**
 * Creates a persistent session per client id, leaves, then publishes `n` messages of generated Palu trace at
 * QoS 1, a day of trace at a time (generated, published, dropped): mosquitto queues them for every session.
 */
async function publishBacklog(
  broker: Broker,
  city: City,
  clientIds: readonly string[],
  n: number,
): Promise<Backlog> {
  for (const clientId of clientIds) {
    const s = await connectAsync(broker.url, { clientId, clean: false });
    await s.subscribeAsync(TOPICS, { qos: 1 });
    await s.endAsync();
  }
  const pub = await connectAsync(broker.url, { clientId: "bench-gw-publisher" });
  const hoursMax = Math.ceil(n / 4000) + CHUNK_HOURS; // a bound on the loop below
  const t0 = Date.now() - (hoursMax + 2) * HOUR_MS;
  let published = 0;
  let uplinks = 0;
  let hours = 0;
  for (let chunk = 0; published < n && hours < hoursMax; chunk++) {
    // A day at a time; less when fewer messages are still wanted (the quick and tiny profiles).
    const chunkHours = Math.min(CHUNK_HOURS, Math.ceil((n - published) / 3000) + 1);
    const events = generateTrace(city, {
      seed: BENCH_SEED + chunk,
      startMs: t0 + hours * HOUR_MS,
      hours: chunkHours,
    });
    const messages = fleetMessages(city, events, { format: "tts" }).slice(0, n - published);
    uplinks += messages.filter((m) => m.topic.startsWith("v3/")).length;
    published += await publishFleet(pub, messages);
    hours += chunkHours;
  }
  await pub.endAsync();
  if (published < n) throw new Error(`gateway bench: published ${published} of ${n} messages`);
  return { messages: published, uplinks, hours };
}

/** Runs `consume` (connects and drains a queued session) and measures it. */
async function drain(consume: () => Promise<() => Promise<void>>): Promise<Drain> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  let rssPeakBytes = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    rssPeakBytes = Math.max(rssPeakBytes, process.memoryUsage.rss());
  }, 100);
  h.enable();
  const t0 = performance.now();
  let stop: () => Promise<void>;
  try {
    stop = await consume();
  } finally {
    clearInterval(sampler);
    h.disable();
  }
  const ms = performance.now() - t0;
  const rssBytes = process.memoryUsage.rss();
  rssPeakBytes = Math.max(rssPeakBytes, rssBytes);
  await stop();
  return {
    ms,
    p50Ms: h.percentile(50) / 1e6,
    p99Ms: h.percentile(99) / 1e6,
    maxMs: h.max / 1e6,
    rssBytes,
    rssPeakBytes,
  };
}

/**
 * Waits until `done()`, bounded by 60 s plus 1 ms per message; throws with `what()` when it never is (a
 * measurement is never faked).
 */
async function until(n: number, done: () => boolean, what: () => string): Promise<void> {
  const deadline = performance.now() + 60_000 + n;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`gateway bench: gave up waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
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
    n,
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
    const broker = await startMosquitto(1000);
    // Stopped by the harness once the suite ran (`dispose`); the exit hook covers a process ending first.
    process.once("exit", () => broker.killNow());
    const ids = { plain: "bench-plain", fsync: "bench-gw-fsync", write: "bench-gw-write" } as const;
    const t0 = performance.now();
    const backlog = await publishBacklog(broker, city, Object.values(ids), MESSAGES[profile]).catch(
      async (e: unknown) => {
        await broker.stop();
        throw e;
      },
    );
    const n = backlog.messages;
    log(
      `gateway: ${n} messages (${backlog.uplinks} uplinks, ${backlog.hours} h of trace) queued for 3 absent sessions in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const gatewayCase = (durability: "fsync" | "write") => async (): Promise<Measurement> => {
      const dir = mkdtempSync(join(tmpdir(), "parkir-bench-gateway-"));
      const clientId = ids[durability];
      try {
        const d = await drain(async () => {
          const gw = createGateway({
            city,
            stateDir: dir,
            broker: { url: broker.url, clientId },
            subscribe: { chirpstack: false, cds: "parkir/palu/in/events" },
            publish: false,
            durability,
            engine: { idleAdvanceMs: 0 },
            maxAgeMs: (backlog.hours + 48) * HOUR_MS, // the backlog spans more than the default 7 days
            log: () => undefined,
          });
          await gw.start();
          await until(
            n,
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
        measure: async () => report(await drain(() => plain(broker, ids.plain, city, n)), n, {}),
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
    return {
      name: "gateway",
      workload: {
        description: `Palu seed catalogue, generated trace (${backlog.hours} h, day-long chunks) as The Things Stack uplinks and CDS messages, QoS 1, queued in mosquitto (loopback, max_inflight_messages 1000, queues unbounded) for three absent persistent sessions, then drained one session per case`,
        seed: BENCH_SEED,
        sizes: {
          messages: n,
          uplinks: backlog.uplinks,
          hours: backlog.hours,
          zones: city.zoneCount,
          sensedBays: city.bayCount,
        },
      },
      baseline: "plain-mqtt",
      independent: true,
      rounds: 1,
      cases,
      dispose: () => broker.stop(),
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
      rssPeakBytes: d.rssPeakBytes,
    },
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

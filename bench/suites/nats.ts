/**
 * The `nats` suite: the cost of durability. Events/s from a Palu trace already in a JetStream stream to every
 * window published back to JetStream, with 1, 2 and 3 `parkir worker` processes (six partitions, checkpoints
 * in KV), next to the same partitioned computation in this process without NATS (`local`, the baseline);
 * the producer's rate into JetStream; and the failover time (SIGKILL of one of two workers → its partitions
 * acquired by the other) with a 3 s lease.
 *
 * Each sample starts its own nats-server (Debian's, `-js` with a temporary store, on a free loopback port)
 * and stops it by pid. Without nats-server the suite runs the `local` case only and says so.
 * The worker cases time process start to the last output stored (node start-up and imports included) and
 * report the time after the first partition was acquired in `extra`. Each worker run reads every output back
 * and fails the suite unless they are what `local` computes, byte for byte (a digest of id and payload).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { jetstream } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { loadCityFile } from "../../src/catalog/city.js";
import { generateTrace } from "../../src/generate/trace.js";
import { seedPath } from "../../src/paths.js";
import { runPartitionsLocally } from "../../src/scale/local.js";
import { scaleNames } from "../../src/scale/names.js";
import { NATS_SERVER_BIN, type NatsServer, startNatsServer } from "../../src/scale/nats-server.js";
import { type PartitionBatch, partitionBatches, publishBatches } from "../../src/scale/producer.js";
import { ensureScale } from "../../src/scale/setup.js";
import type { CaseSpec, Measurement, Profile, SuiteDefinition } from "../harness.js";
import { summarizeTimings } from "../stats.js";

const PARTITIONS = 6;
const LEASE_TTL_MS = 3000;
/** Trace length per profile (hours of a Palu day from Monday 00:00 local). */
const HOURS: Readonly<Record<Profile, number>> = { full: 72, quick: 24, tiny: 6 };
/** Samples per JetStream case per profile (each starts a server and processes). */
const SAMPLES: Readonly<Record<Profile, number>> = { full: 3, quick: 1, tiny: 1 };
const CLI = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Prepared {
  readonly batches: readonly PartitionBatch[];
  readonly events: number;
  readonly outputs: number;
  readonly digest: string;
}

function digestOf(pairs: Iterable<readonly [string, string]>): string {
  const sorted = [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const h = createHash("sha256");
  for (const [id, text] of sorted) h.update(id).update("\0").update(text).update("\0");
  return h.digest("hex");
}

/** A server with the trace already published under a fresh city setup. */
async function serverWithTrace(p: Prepared): Promise<{ server: NatsServer; nc: NatsConnection }> {
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  const names = scaleNames("palu");
  await ensureScale(nc, names, { partitions: PARTITIONS, leaseTtlMs: LEASE_TTL_MS });
  await publishBatches(jetstream(nc), names, p.batches);
  return { server, nc };
}

function spawnWorker(url: string, id: string, firstAcquired: (t: number) => void): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      CLI,
      "worker",
      "--nats",
      url,
      "--partitions",
      String(PARTITIONS),
      "--id",
      id,
      "--lease-ttl",
      `${LEASE_TTL_MS}ms`,
    ],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  let buf = "";
  child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    let i = buf.indexOf("\n");
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.includes('"acquired"')) firstAcquired(performance.now());
      i = buf.indexOf("\n");
    }
  });
  return child;
}

async function stopAll(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once("exit", () => resolve());
          c.kill("SIGKILL");
        }),
    ),
  );
}

/** Reads every output message back: (message id, payload) pairs. */
async function readOutputs(nc: NatsConnection, expected: number): Promise<[string, string][]> {
  const js = jetstream(nc);
  const c = await js.consumers.get(scaleNames("palu").outputsStream);
  const out: [string, string][] = [];
  while (out.length < expected) {
    const msgs = await c.fetch({ max_messages: 1000, expires: 2000 });
    let got = 0;
    for await (const m of msgs) {
      got++;
      out.push([m.headers?.get("Nats-Msg-Id") ?? "", m.string()]);
      if (m.info.pending === 0) break;
    }
    if (got === 0) break;
  }
  return out;
}

/** One run of `workers` processes over the published trace: ms from spawn to the last output stored. */
async function workerRun(
  p: Prepared,
  workers: number,
): Promise<{ ms: number; afterAcquireMs: number; digest: string }> {
  const { server, nc } = await serverWithTrace(p);
  const children: ChildProcess[] = [];
  try {
    const jsm = await jetstream(nc).jetstreamManager();
    const stream = scaleNames("palu").outputsStream;
    let acquiredAt = Number.NaN;
    const t0 = performance.now();
    for (let i = 0; i < workers; i++)
      children.push(
        spawnWorker(server.url, `bench${i}`, (t) => (acquiredAt = Number.isNaN(acquiredAt) ? t : acquiredAt)),
      );
    let t1 = Number.NaN;
    for (let i = 0; i < 6000; i++) {
      if ((await jsm.streams.info(stream)).state.messages >= p.outputs) {
        t1 = performance.now();
        break;
      }
      await sleep(10);
    }
    if (Number.isNaN(t1))
      throw new Error(`${workers} workers did not publish ${p.outputs} outputs within 60 s`);
    const digest = digestOf(await readOutputs(nc, p.outputs));
    return { ms: t1 - t0, afterAcquireMs: t1 - acquiredAt, digest };
  } finally {
    await stopAll(children);
    await nc.close();
    await server.stop();
  }
}

/** Failover: two workers balanced, SIGKILL one, ms until the other acquired all six partitions. */
async function failoverRun(p: Prepared): Promise<number> {
  const { server, nc } = await serverWithTrace(p);
  const children: ChildProcess[] = [];
  try {
    let acquired = 0;
    let lastAcquiredAt = 0;
    const survivor = spawnWorker(server.url, "a", (t) => {
      acquired++;
      lastAcquiredAt = t;
    });
    children.push(survivor);
    for (let i = 0; i < 200 && acquired < PARTITIONS; i++) await sleep(50);
    const victim = spawnWorker(server.url, "b", () => {});
    children.push(victim);
    // Wait until "a" released half of the partitions to "b" (a's count of acquisitions stays at 6 until then).
    const kv = await import("@nats-io/kv").then(({ Kvm }) =>
      new Kvm(nc).open(scaleNames("palu").leaseBucket),
    );
    for (let i = 0; i < 400; i++) {
      let b = 0;
      for (let q = 0; q < PARTITIONS; q++) {
        const e = await kv.get(`p.${q}`);
        if (e?.operation === "PUT" && (e.json() as { worker: string }).worker === "b") b++;
      }
      if (b === PARTITIONS / 2) break;
      await sleep(50);
    }
    await sleep(500);
    const before = acquired;
    const killedAt = performance.now();
    victim.kill("SIGKILL");
    for (let i = 0; i < 400 && acquired < before + PARTITIONS / 2; i++) await sleep(25);
    if (acquired < before + PARTITIONS / 2) throw new Error("failover did not complete within 10 s");
    return lastAcquiredAt - killedAt;
  } finally {
    await stopAll(children);
    await nc.close();
    await server.stop();
  }
}

/** The `nats` suite. */
export const natsSuite: SuiteDefinition = {
  name: "nats",
  summary:
    "events/s through NATS JetStream with 1, 2, 3 worker processes vs one process without NATS; failover time",
  build({ profile, log }) {
    const city = loadCityFile(seedPath("palu/city.json"));
    const hours = HOURS[profile];
    const events = generateTrace(city, { seed: 1, startMs: Date.parse("2026-11-30T00:00:00+08:00"), hours });
    const batches = partitionBatches(city, events, PARTITIONS, 1024);
    const local = runPartitionsLocally(city, batches, PARTITIONS);
    const prepared: Prepared = {
      batches,
      events: events.length,
      outputs: local.outputs.size,
      digest: digestOf([...local.outputs].map(([id, o]) => [id, o.payload] as const)),
    };
    const cases: CaseSpec[] = [
      {
        name: "local",
        eventsPerOp: events.length,
        extra: { note: `six PartitionEngines in this process, no NATS, no checkpoints (${hours} h of Palu)` },
        fn: () => runPartitionsLocally(city, batches, PARTITIONS),
        result: () => prepared.digest,
      },
    ];
    const haveServer = existsSync(NATS_SERVER_BIN) && existsSync(CLI);
    if (profile === "tiny") {
      // The harness's own test runs every suite in process at this size: no servers or worker processes there.
      log('nats: tiny profile: JetStream cases run under `npm run bench` only, "local" runs');
    } else if (!haveServer) {
      log(
        `nats: ${NATS_SERVER_BIN} (or the built CLI) not found: JetStream cases skipped, only "local" runs`,
      );
    } else {
      for (const workers of [1, 2, 3]) {
        cases.push({
          name: `jetstream-${workers}`,
          eventsPerOp: events.length,
          extra: {
            note: `${workers} \`parkir worker\` process(es), ${PARTITIONS} partitions, checkpoints every 5 s / 50,000 events; timed from spawn to the last output stored`,
          },
          measure: async (): Promise<Measurement> => {
            const runs = [];
            for (let i = 0; i < SAMPLES[profile]; i++) runs.push(await workerRun(prepared, workers));
            for (const r of runs)
              if (r.digest !== prepared.digest)
                throw new Error(
                  `jetstream-${workers}: the published outputs differ from local's (digest ${r.digest})`,
                );
            const t = summarizeTimings(runs.map((r) => r.ms));
            return {
              hz: t.hz,
              rme: t.rme,
              samples: t.samples,
              timesMs: runs.map((r) => r.ms),
              extra: {
                afterFirstAcquireMs: Object.fromEntries(
                  runs.map((r, i) => [String(i), Math.round(r.afterAcquireMs)]),
                ),
              },
            };
          },
          // measure() compares each run's outputs with local's and fails the suite when they differ.
          result: () => prepared.digest,
        });
      }
      cases.push({
        name: "publish",
        eventsPerOp: events.length,
        extra: {
          note: `producer in this process: ${batches.length} batches of ≤ 1024 events, acknowledged, 64 in flight`,
        },
        measure: async (): Promise<Measurement> => {
          const times: number[] = [];
          for (let i = 0; i < SAMPLES[profile]; i++) {
            const server = await startNatsServer();
            const nc = await connect({ servers: server.url });
            try {
              const names = scaleNames("palu");
              await ensureScale(nc, names, { partitions: PARTITIONS });
              const t0 = performance.now();
              await publishBatches(jetstream(nc), names, batches);
              times.push(performance.now() - t0);
            } finally {
              await nc.close();
              await server.stop();
            }
          }
          const t = summarizeTimings(times);
          return { hz: t.hz, rme: t.rme, samples: t.samples, timesMs: times };
        },
        result: () => prepared.digest,
      });
      let failoverMs: number[] = [];
      cases.push({
        name: "failover",
        eventsPerOp: 1,
        extra: {
          note: `lease TTL ${LEASE_TTL_MS} ms, renewal every ${LEASE_TTL_MS / 3} ms: ms from SIGKILL of one of two workers to the survivor's acquisition of its 3 partitions (hz = failovers/s)`,
        },
        measure: async (): Promise<Measurement> => {
          failoverMs = [];
          for (let i = 0; i < SAMPLES[profile]; i++) failoverMs.push(await failoverRun(prepared));
          const t = summarizeTimings(failoverMs);
          return {
            hz: t.hz,
            rme: t.rme,
            samples: t.samples,
            timesMs: failoverMs,
            extra: { failoverMs: Object.fromEntries(failoverMs.map((ms, i) => [String(i), Math.round(ms)])) },
          };
        },
        result: () => prepared.digest,
      });
    }
    return {
      name: "nats",
      workload: {
        description: `Palu seed catalogue, generated trace (${hours} h from 00:00 local on 2026-11-30, seed 1, default faults), ${PARTITIONS} partitions`,
        seed: 1,
        sizes: {
          events: events.length,
          batches: batches.length,
          outputs: prepared.outputs,
          partitions: PARTITIONS,
          hours,
        },
      },
      baseline: "local",
      cases,
      rounds: 1,
    };
  },
};

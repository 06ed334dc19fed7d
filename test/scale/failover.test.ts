/**
 * Failover with a real nats-server and three `parkir worker` processes on six partitions: ten busy hours of
 * a generated Palu day are published slice by slice (a live feed), one worker is SIGKILLed mid-stream, later another, both are
 * restarted. The union of the published windows and tariff decisions must equal the same partitioned
 * computation in one process without NATS, exactly (nothing lost, nothing twice); the dead workers'
 * partitions must be taken over within the lease time plus one renewal period; the restarted workers must
 * get their fair share back. Then a third worker is frozen (SIGSTOP) past its lease and woken: it must give
 * its partitions up without writing for them, and the outputs must still be exact.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot, seedPath } from "../../src/paths.js";
import { loadPolicyFile } from "../../src/pricing/policy.js";
import { runPartitionsLocally } from "../../src/scale/local.js";
import { scaleNames } from "../../src/scale/names.js";
import { type NatsServer, startNatsServer } from "../../src/scale/nats-server.js";
import { type PartitionBatch, partitionBatches, publishBatches } from "../../src/scale/producer.js";
import { ensureScale } from "../../src/scale/setup.js";
import type { WorkerEvent } from "../../src/scale/worker.js";
import { toJsonLines } from "../../src/wire/jsonl.js";
import { palu, paluTrace, readStream } from "./helpers.js";

const PARTITIONS = 6;
const LEASE_TTL_MS = 3000;
const RENEW_MS = 1000; // the worker's default: a third of the TTL
/** Scheduling allowance on a loaded 2-core machine (restore, replay of pricing, event-loop delays). */
const SLACK_MS = 2000;
const SLICES = 12;
const CLI = join(packageRoot(), "dist/lib/cli.js");
const POLICY = seedPath("palu/policy.json");

interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly events: WorkerEvent[];
  stderr: string;
}

let server: NatsServer;
let nc: NatsConnection;
let dir: string;
const procs: Proc[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startWorker(name: string): Proc {
  const child = spawn(
    process.execPath,
    [
      CLI,
      "worker",
      "--nats",
      server.url,
      "--partitions",
      String(PARTITIONS),
      "--id",
      name,
      "--lease-ttl",
      `${LEASE_TTL_MS}ms`,
      "--checkpoint-interval",
      "300ms",
      "--checkpoint-events",
      "2000",
      "--policy",
      POLICY,
      "--variant",
      "dynamic",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const p: Proc = { name, child, events: [], stderr: "" };
  let buf = "";
  child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    let i = buf.indexOf("\n");
    while (i >= 0) {
      p.events.push(JSON.parse(buf.slice(0, i)) as WorkerEvent);
      buf = buf.slice(i + 1);
      i = buf.indexOf("\n");
    }
  });
  child.stderr!.on("data", (d: Buffer) => {
    p.stderr += d.toString();
  });
  procs.push(p);
  return p;
}

/** Lease owners by partition, as the lease bucket says now. */
async function owners(): Promise<Map<number, string>> {
  const kv = await new Kvm(nc).open(scaleNames(palu.id).leaseBucket);
  const out = new Map<number, string>();
  for (let p = 0; p < PARTITIONS; p++) {
    const e = await kv.get(`p.${p}`);
    if (e !== null && e.operation === "PUT") out.set(p, (e.json() as { worker: string }).worker);
  }
  return out;
}

/** Waits (bounded) until every partition has an owner and each live worker owns exactly `share`. */
async function waitBalanced(live: readonly string[], share: number): Promise<Map<number, string>> {
  let o = new Map<number, string>();
  for (let i = 0; i < 150; i++) {
    o = await owners();
    const counts = live.map((w) => [...o.values()].filter((x) => x === w).length);
    if (o.size === PARTITIONS && counts.every((c) => c === share)) return o;
    await sleep(200);
  }
  throw new Error(`partitions not balanced over ${live.join(", ")}: ${JSON.stringify([...o])}`);
}

/** Kills `victim`, waits until the survivors own its partitions; returns the takeover time of each. */
async function killAndTakeOver(victim: Proc, survivors: readonly Proc[]): Promise<number[]> {
  const before = await owners();
  const theirs = [...before].filter(([, w]) => w === victim.name).map(([p]) => p);
  expect(theirs.length).toBeGreaterThan(0);
  const killedAt = Date.now();
  victim.child.kill("SIGKILL");
  await waitBalanced(
    survivors.map((s) => s.name),
    PARTITIONS / survivors.length,
  );
  const out: number[] = [];
  for (const p of theirs) {
    const taken = () =>
      survivors
        .flatMap((s) => s.events)
        .filter((e) => e.type === "acquired" && e.partition === p && e.atMs >= killedAt)
        .map((e) => e.atMs);
    for (let i = 0; i < 100 && taken().length === 0; i++) await sleep(100);
    expect(taken().length, `partition ${p} taken over`).toBeGreaterThan(0);
    out.push(Math.min(...taken()) - killedAt);
  }
  return out;
}

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  dir = mkdtempSync(join(tmpdir(), "parkir-failover-"));
}, 30_000);

afterAll(async () => {
  for (const p of procs)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await nc?.close();
  await server?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("failover of parkir workers on NATS JetStream", () => {
  it("three workers, two SIGKILLs and restarts: the published windows equal one process's, each once", async () => {
    const policy = loadPolicyFile(POLICY, { variant: "dynamic" });
    // Ten busy hours (07:00-17:00, 76,500 events): a whole day doubles the CPU this test takes from the
    // suites running beside it, and adds nothing the failovers do not already cover.
    const events = paluTrace(10, 7);
    const size = Math.ceil(events.length / SLICES);
    const slices = Array.from({ length: SLICES }, (_, i) => events.slice(i * size, (i + 1) * size));
    const sliceBatches: PartitionBatch[][] = slices.map((s) => partitionBatches(palu, s, PARTITIONS, 256));
    const reference = runPartitionsLocally(palu, sliceBatches.flat(), PARTITIONS, { policy });
    expect(reference.events).toBe(events.length);

    const names = scaleNames(palu.id);
    await ensureScale(nc, names, { partitions: PARTITIONS, leaseTtlMs: LEASE_TTL_MS });
    const js = jetstream(nc);
    const w1 = startWorker("w1");
    const w2 = startWorker("w2");
    const w3 = startWorker("w3");
    await waitBalanced(["w1", "w2", "w3"], 2);

    // The first slice through the CLI, the rest as a live feed from this process.
    const file = join(dir, "slice0.jsonl");
    writeFileSync(file, toJsonLines(slices[0]!));
    const cli = spawnSync(
      process.execPath,
      [
        CLI,
        "publish",
        "--nats",
        server.url,
        "--partitions",
        String(PARTITIONS),
        "--batch-events",
        "256",
        file,
      ],
      { encoding: "utf8" },
    );
    expect(cli.stderr).toBe("");
    expect(JSON.parse(cli.stdout)).toMatchObject({
      type: "published",
      batches: sliceBatches[0]!.length,
      duplicates: 0,
    });

    const takeovers: number[] = [];
    for (let s = 1; s < SLICES; s++) {
      await publishBatches(js, names, sliceBatches[s]!);
      // Kills come right after a slice is published, while the workers are still processing it.
      if (s === 4) {
        takeovers.push(...(await killAndTakeOver(w1, [w2, w3])));
        startWorker("w1-again");
        await waitBalanced(["w1-again", "w2", "w3"], 2);
      }
      if (s === 8) {
        takeovers.push(...(await killAndTakeOver(w2, [w1Again(), w3])));
        startWorker("w2-again");
        await waitBalanced(["w1-again", "w2-again", "w3"], 2);
      }
      if (s === 10) {
        // A slow owner: w3 is frozen past its lease, the others take over, then it wakes up. It must notice
        // that its leases are gone and write nothing more for those partitions.
        const lostBefore = w3.events.filter((e) => e.type === "lost").length;
        w3.child.kill("SIGSTOP");
        await waitBalanced(["w1-again", "w2-again"], 3);
        await publishBatches(js, names, sliceBatches[++s]!);
        await sleep(500);
        w3.child.kill("SIGCONT");
        // Up to 30 s: a woken worker first catches up on what it fetched; under a full test run that can take seconds.
        for (let i = 0; i < 300 && w3.events.filter((e) => e.type === "lost").length < lostBefore + 2; i++)
          await sleep(100);
        expect(
          w3.events.filter((e) => e.type === "lost").length,
          `w3's last events: ${JSON.stringify(w3.events.slice(-6))}; stderr: ${w3.stderr.slice(-500)}`,
        ).toBe(lostBefore + 2);
        await waitBalanced(["w1-again", "w2-again", "w3"], 2);
      }
      await sleep(300);
    }
    // A producer that retries a slice it already sent: JetStream stores none of it again.
    expect(await publishBatches(js, names, sliceBatches[2]!)).toMatchObject({
      batches: 0,
      duplicates: sliceBatches[2]!.length,
    });

    const jsm = await js.jetstreamManager();
    for (let i = 0; i < 600; i++) {
      if ((await jsm.streams.info(names.outputsStream)).state.messages >= reference.outputs.size) break;
      await sleep(100);
    }
    await sleep(1500); // room for a straggling duplicate to show up if de-duplication failed
    const stored = await readStream(js, names.outputsStream);
    const byId = new Map<string, string>();
    for (const m of stored) {
      expect(byId.has(m.msgId), `${m.msgId} stored twice`).toBe(false);
      byId.set(m.msgId, m.text);
    }
    expect(byId.size).toBe(reference.outputs.size);
    for (const [id, o] of reference.outputs) expect(byId.get(id), id).toBe(o.payload);

    // Takeovers happened within the lease time plus one renewal period (plus scheduling slack).
    expect(takeovers.length).toBeGreaterThanOrEqual(4);
    for (const t of takeovers) expect(t).toBeLessThanOrEqual(LEASE_TTL_MS + RENEW_MS + SLACK_MS);
    // At least one takeover resumed from a checkpoint mid-stream rather than from the start.
    const all = procs.flatMap((p) => p.events);
    expect(all.some((e) => e.type === "acquired" && e.restored && e.fromSeq > 0)).toBe(true);
    expect(all.filter((e) => e.type === "error")).toEqual([]);
    for (const p of procs) expect(p.stderr, p.name).toBe("");

    // A graceful stop hands the partitions over and reports its totals.
    const w3Stopped = new Promise((r) => w3.child.once("exit", r));
    w3.child.kill("SIGTERM");
    expect(await w3Stopped).toBe(0);
    expect(w3.events.at(-1)?.type).toBe("stopped");
    await waitBalanced(["w1-again", "w2-again"], 3);
  }, 180_000);
});

function w1Again(): Proc {
  return procs.find((p) => p.name === "w1-again")!;
}

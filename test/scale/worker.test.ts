/**
 * Workers in this process against a real nats-server: two workers share six partitions, and what they
 * publish equals the same partitioned computation without NATS, message for message.
 */
import { jetstream } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedPath } from "../../src/paths.js";
import { loadPolicyFile } from "../../src/pricing/policy.js";
import { runPartitionsLocally } from "../../src/scale/local.js";
import { scaleNames } from "../../src/scale/names.js";
import { type NatsServer, startNatsServer } from "../../src/scale/nats-server.js";
import { partitionBatches, publishBatches } from "../../src/scale/producer.js";
import { decodeCheckpointRecord } from "../../src/scale/record.js";
import { ensureScale } from "../../src/scale/setup.js";
import { ScaleWorker, type WorkerEvent } from "../../src/scale/worker.js";
import { palu, paluTrace, readStream } from "./helpers.js";

const PARTITIONS = 6;
let server: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
}, 30_000);

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describe("ScaleWorker against nats-server", () => {
  it("publishes exactly what one process computes without NATS; a producer retry is stored once; garbage costs only itself", async () => {
    const policy = loadPolicyFile(seedPath("palu/policy.json"), { variant: "dynamic" });
    const events = paluTrace(6, 7);
    const batches = partitionBatches(palu, events, PARTITIONS, 512);
    const reference = runPartitionsLocally(palu, batches, PARTITIONS, { policy });
    expect(reference.outputs.size).toBeGreaterThan(100);

    const names = scaleNames(palu.id);
    await ensureScale(nc, names, { partitions: PARTITIONS, leaseTtlMs: 3000 });
    const js = jetstream(nc);
    const first = await publishBatches(js, names, batches);
    expect(first.batches).toBe(batches.length);
    // The same batches again (a producer that retried everything): JetStream drops every one.
    // A message that is not an event batch (a foreign producer): refused by the engine, costs only itself.
    await js.publish(names.eventSubject(2), "not a batch", { msgID: "garbage-1" });
    const again = await publishBatches(js, names, batches.slice(0, 10));
    expect(again).toEqual({ batches: 0, events: 0, duplicates: 10, retries: 0 });

    const log: WorkerEvent[] = [];
    const workers = ["a", "b"].map(
      (id) =>
        new ScaleWorker(nc, palu, {
          partitions: PARTITIONS,
          id,
          leaseTtlMs: 3000,
          checkpointMs: 200,
          checkpointEvents: 3000,
          engine: { policy },
          log: (e) => log.push(e),
        }),
    );
    for (const w of workers) await w.start();
    const jsm = await js.jetstreamManager();
    for (let i = 0; i < 600; i++) {
      if ((await jsm.streams.info(names.outputsStream)).state.messages >= reference.outputs.size) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Fair shares of six between two are three each (the first worker started alone and releases to the other).
    for (let i = 0; i < 100 && workers.some((w) => w.partitions.length !== 3); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(workers.map((w) => w.partitions.length)).toEqual([3, 3]);
    for (const w of workers) await w.stop();
    const errors = log.filter((e) => e.type === "error");
    // Once, or again by the next owner when the partition moved before a checkpoint covered it.
    expect(errors.length).toBeGreaterThanOrEqual(1);
    for (const e of errors)
      expect(e).toMatchObject({ partition: 2, message: expect.stringMatching(/refused/) });
    // Both workers ran partitions: fair shares of six between two are three each.
    const acquired = log.filter((e) => e.type === "acquired");
    expect(new Set(acquired.map((e) => e.worker))).toEqual(new Set(["a", "b"]));

    const stored = await readStream(js, names.outputsStream);
    expect(stored.length).toBe(reference.outputs.size);
    const got = new Map(stored.map((m) => [m.msgId, m.text]));
    expect(got.size).toBe(stored.length);
    for (const [id, o] of reference.outputs) expect(got.get(id), id).toBe(o.payload);
    expect(stored.some((m) => m.subject.includes(".tariffs."))).toBe(true);
  }, 120_000);

  it("an owner whose checkpoint was fenced by another stops that partition and it is restored, outputs still exact", async () => {
    const names = scaleNames(palu.id, "fence");
    const batches = partitionBatches(palu, paluTrace(6, 7), 2, 256);
    const reference = runPartitionsLocally(palu, batches, 2);
    const h = await ensureScale(nc, names, { partitions: 2, leaseTtlMs: 3000 });
    const js = jetstream(nc);
    const half = Math.floor(batches.length / 2);
    await publishBatches(js, names, batches.slice(0, half));
    const log: WorkerEvent[] = [];
    const worker = new ScaleWorker(nc, palu, {
      partitions: 2,
      names,
      id: "solo",
      leaseTtlMs: 3000,
      checkpointMs: 100,
      log: (e) => log.push(e),
    });
    await worker.start();
    let seq = 0;
    for (let i = 0; i < 200 && seq === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const e = await h.checkpoints.get("p.0");
      if (e !== null && e.operation === "PUT") seq = decodeCheckpointRecord(e.value).header.seq;
    }
    expect(seq).toBeGreaterThan(0);
    // What a new owner does on takeover: write the record back, bumping its revision.
    // (Retried when the worker's own checkpoint lands between the read and the write.)
    let fenced = false;
    for (let i = 0; i < 50 && !fenced; i++) {
      const entry = (await h.checkpoints.get("p.0"))!;
      fenced = await h.checkpoints.update("p.0", entry.value, entry.revision).then(
        () => true,
        () => false,
      );
    }
    expect(fenced).toBe(true);
    await publishBatches(js, names, batches.slice(half));
    const jsm = await js.jetstreamManager();
    for (let i = 0; i < 600; i++) {
      if ((await jsm.streams.info(names.outputsStream)).state.messages >= reference.outputs.size) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await worker.stop();
    expect(log.filter((e) => e.type === "lost")).toEqual([
      expect.objectContaining({ partition: 0, reason: expect.stringMatching(/checkpoint refused/) }),
    ]);
    expect(log.filter((e) => e.type === "acquired" && e.partition === 0 && e.restored)).toHaveLength(1);
    const stored = await readStream(js, names.outputsStream);
    expect(stored.length).toBe(reference.outputs.size);
    const got = new Map(stored.map((m) => [m.msgId, m.text]));
    for (const [id, o] of reference.outputs) expect(got.get(id), id).toBe(o.payload);
  }, 120_000);
});

/**
 * Recovery snapshots of shard engines (src/occupancy/sharded/snapshot.ts): the checkpoint written from a
 * snapshot is byte for byte the engine's checkpoint at the time of the snapshot, whatever the memory held
 * before; a snapshot that does not fit writes nothing; and a sharded engine whose shards' state outgrows
 * their snapshot regions still recovers killed workers to one engine's results.
 */
import fc from "fast-check";
import { Piscina } from "piscina";
import { afterAll, describe, expect, it } from "vitest";
import { ParkirError } from "../../src/errors/index.js";
import { OccupancyEngine, type OccupancyOptions, planShards } from "../../src/occupancy/index.js";
import { ShardedOccupancyEngine } from "../../src/occupancy/sharded/engine.js";
import {
  readSnapshot,
  snapshotBytes,
  snapshotCheckpoint,
  writeSnapshot,
} from "../../src/occupancy/sharded/snapshot.js";
import { withShard } from "../../src/occupancy/wasm-kernel.js";
import { workerPath } from "../../src/runtime/index.js";
import { type CdsEvent, encodeEvents } from "../../src/wire/index.js";
import { arbStream, deliver, MIN, sensorCity, split, T0, testCity } from "./fixtures.js";

const OPTS: OccupancyOptions = { windowMs: 5 * MIN, allowedLatenessMs: 2 * MIN, sensorTimeoutMs: 10 * MIN };

const pools = [0, 1].map(() => new Piscina({ filename: workerPath(), minThreads: 1, maxThreads: 1 }));
afterAll(async () => {
  await Promise.all(pools.map((p) => p.destroy()));
});

describe("shard recovery snapshots", () => {
  const city = testCity();

  it("a checkpoint written from a snapshot equals the engine's checkpoint, in any memory, after every batch", () => {
    fc.assert(
      fc.property(
        arbStream(150),
        fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 3 }),
        fc.nat(4096),
        fc.integer({ min: 0, max: 255 }),
        (events, delays, sizes, shardChoice, offset, fill) => {
          const batches = split(deliver(events, delays, OPTS.allowedLatenessMs!), sizes).map((b) =>
            encodeEvents(b, city),
          );
          // No shard (the JS kernel), or one shard of 1 to 3 (the wasm kernel with its shard filter).
          const make = () => new OccupancyEngine(city, { ...OPTS, clock: () => 0 });
          const engine =
            shardChoice === 0
              ? make()
              : withShard(
                  planShards(city, shardChoice)[shardChoice - 1]!,
                  () => new OccupancyEngine(city, { ...OPTS, kernel: "wasm", clock: () => 0 }),
                );
          const memory = new Uint8Array(offset + (1 << 20)).fill(fill);
          for (const b of [new Uint8Array(0), ...batches]) {
            if (b.byteLength > 0) engine.ingest(b);
            const parts = engine.checkpointParts();
            const need = snapshotBytes(parts);
            // Too small by one byte: nothing is written, the size needed comes back.
            const short = memory.subarray(offset, offset + need - 1);
            const before = short.slice();
            expect(writeSnapshot(parts, short)).toBe(need);
            expect(Buffer.compare(short, before)).toBe(0);
            const into = memory.subarray(offset);
            expect(writeSnapshot(parts, into)).toBe(need);
            const expected = engine.checkpoint();
            expect(Buffer.compare(snapshotCheckpoint(into.subarray(0, need)), expected)).toBe(0);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("refuses bytes that are not a whole snapshot with a ParkirError", () => {
    const engine = new OccupancyEngine(city, { ...OPTS, clock: () => 0 });
    const parts = engine.checkpointParts();
    const bytes = new Uint8Array(snapshotBytes(parts));
    writeSnapshot(parts, bytes);
    expect(readSnapshot(bytes).sections.size).toBe(parts.sections.size);
    expect(() => readSnapshot(bytes.subarray(0, 16))).toThrow(ParkirError);
    expect(() => readSnapshot(bytes.subarray(0, bytes.byteLength - 8))).toThrow(ParkirError);
    const bad = bytes.slice();
    bad[0] = 0;
    expect(() => readSnapshot(bad)).toThrow(ParkirError);
  });

  it("shards whose state outgrows their snapshot regions recover killed workers to one engine's results", async () => {
    // 6,000 events 60 ms apart (2,000 within the lateness at any time, each with an event id): the pending
    // buffer and de-duplication memory grow by far more than the room a fresh engine's snapshot regions leave,
    // so later snapshots come back in buffers of their own, and a worker killed after that is rebuilt from one.
    const grid = sensorCity(4, 50);
    const events: CdsEvent[] = [];
    for (let i = 0; i < 6000; i++) {
      events.push({
        event_id: `e${i}`,
        event_type: i % 3 === 0 ? "park_end" : "park_start",
        event_time: T0 + i * 60,
        curb_space_id: grid.bayId((i * 37) % grid.bayCount),
      });
    }
    const batches = split(events, [500]).map((b) => encodeEvents(b, grid));
    const lines = async (workers: number, kill: boolean): Promise<string[]> => {
      const out: string[] = [];
      const run = async (e: { windows$: OccupancyEngine["windows$"]; late$: OccupancyEngine["late$"] }) => {
        e.windows$.subscribe((w) => out.push(`W ${w.windowStart} ${JSON.stringify(w.records)}`));
        e.late$.subscribe((r) => out.push(`L ${JSON.stringify(r)}`));
      };
      if (workers === 0) {
        const e = new OccupancyEngine(grid, { ...OPTS, clock: () => 0 });
        await run(e);
        for (const b of batches) {
          const { error, ...r } = e.ingest(b);
          out.push(`R ${JSON.stringify(r)} ${error?.reason ?? ""}`);
        }
        e.close();
        out.push(`C ${JSON.stringify(e.counters)}`);
        out.push(`K ${Buffer.from(e.checkpoint()).toString("base64")}`);
        return out;
      }
      const e = await ShardedOccupancyEngine.create(grid, {
        ...OPTS,
        workers,
        pools,
        clock: () => 0,
        checkpointEvery: 2,
      });
      await run(e);
      for (let i = 0; i < batches.length; i++) {
        const pending = e.ingest(batches[i]!);
        if (kill && (i === 7 || i === 10)) await Promise.all(pools[i % 2]!.threads.map((w) => w.terminate()));
        const { error, ...r } = await pending;
        out.push(`R ${JSON.stringify(r)} ${error?.reason ?? ""}`);
      }
      // Each worker's CPU time, read from its thread (carried over the killed ones), where Linux tells it.
      if (process.platform === "linux") for (const ms of e.shardCpuMs) expect(ms).toBeGreaterThan(0);
      await e.close();
      if (kill) expect(e.recoveries).toBeGreaterThan(0);
      out.push(`C ${JSON.stringify(await e.counters())}`);
      out.push(`K ${Buffer.from(await e.checkpoint()).toString("base64")}`);
      return out;
    };
    const ref = await lines(0, false);
    expect(ref.filter((l) => l.startsWith("W ")).length).toBeGreaterThan(0);
    expect(await lines(2, true)).toEqual(ref);
  }, 60_000);
});

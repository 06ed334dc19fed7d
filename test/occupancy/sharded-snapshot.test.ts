/**
 * Recovery snapshots of shard engines (src/occupancy/sharded/snapshot.ts): each shard snapshots only its own
 * bays and rows, and the shards' snapshots merged are byte for byte one engine's checkpoint at the time of the
 * snapshots, whatever the memory held before; a shard rebuilt from them goes on like the one it replaces; a
 * snapshot that does not fit writes nothing; and a sharded engine whose shards' state outgrows their snapshot
 * regions still recovers killed workers to one engine's results.
 */
import fc from "fast-check";
import { Piscina } from "piscina";
import { afterAll, describe, expect, it } from "vitest";
import { ParkirError } from "../../src/errors/index.js";
import { OccupancyEngine, type OccupancyOptions, planShards } from "../../src/occupancy/index.js";
import { mergeCheckpoints } from "../../src/occupancy/sharded/checkpoints.js";
import { ShardedOccupancyEngine } from "../../src/occupancy/sharded/engine.js";
import {
  readSnapshot,
  recoverShard,
  snapshotBytes,
  snapshotParts,
  snapshotsCheckpoint,
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

  it("the shards' own-slice snapshots hold the whole engine: merged, one engine's checkpoint, in any memory, after every batch; a shard rebuilt from them goes on like the one it replaces", () => {
    fc.assert(
      fc.property(
        arbStream(150),
        fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat(4096),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(),
        (events, delays, sizes, shards, offset, fill, pick) => {
          const batches = split(deliver(events, delays, OPTS.allowedLatenessMs!), sizes).map((b) =>
            encodeEvents(b, city),
          );
          const plans = planShards(city, shards);
          const ref = new OccupancyEngine(city, { ...OPTS, clock: () => 0 });
          const shard = (k: number, checkpoint?: Uint8Array) =>
            withShard(plans[k]!, () => {
              const o = { ...OPTS, kernel: "wasm" as const, clock: () => 0 };
              return checkpoint === undefined
                ? new OccupancyEngine(city, o)
                : OccupancyEngine.restore(city, checkpoint, o);
            });
          const engines = plans.map((_, k) => shard(k));
          const memory = new Uint8Array(offset + (1 << 20)).fill(fill);
          // One shard is rebuilt from the snapshots after batch `at` and runs beside the one it replaces.
          const at = pick % (batches.length + 1);
          const k = pick % shards;
          let rebuilt: OccupancyEngine | null = null;
          const windows = (e: OccupancyEngine, out: string[]) =>
            e.windows$.subscribe((w) => {
              const { rowLo, rowHi } = plans[k]!;
              const c = w.columns!;
              const rows = [];
              for (let r = rowLo; r < rowHi; r++)
                rows.push([c.occupancy[r], c.arrivals[r], c.departures[r], c.peakOccupied[r], c.coverage[r]]);
              out.push(
                JSON.stringify([
                  w.windowStart,
                  rows,
                  [...w.changedRows!].filter((r) => r >= rowLo && r < rowHi),
                ]),
              );
            });
          const original: string[] = [];
          const again: string[] = [];
          windows(engines[k]!, original);
          for (const [i, b] of [new Uint8Array(0), ...batches].entries()) {
            if (b.byteLength > 0) {
              ref.ingest(b);
              for (const e of engines) e.ingest(b);
              rebuilt?.ingest(b);
            }
            const snapshots: Uint8Array[] = [];
            let used = offset;
            for (const [j, e] of engines.entries()) {
              const parts = snapshotParts(e.checkpointParts(plans[j]), e.lastWindowColumns(), plans[j]!);
              const need = snapshotBytes(parts);
              // Too small by one byte: nothing is written, the size needed comes back.
              const short = memory.subarray(used, used + need - 1);
              const before = short.slice();
              expect(writeSnapshot(parts, short)).toBe(need);
              expect(Buffer.compare(short, before)).toBe(0);
              expect(writeSnapshot(parts, memory.subarray(used))).toBe(need);
              snapshots.push(memory.subarray(used, used + need));
              used += need + (fill % 8);
            }
            const whole = snapshotsCheckpoint(city, plans, snapshots, false);
            expect(Buffer.compare(whole, ref.checkpoint())).toBe(0);
            if (i === at) {
              const { checkpoint, last } = recoverShard(plans, k, snapshots);
              rebuilt = shard(k, checkpoint);
              if (last !== null) rebuilt.primeWindows(last);
              windows(rebuilt, again);
              original.length = 0;
            }
          }
          for (const e of [ref, ...engines, rebuilt!]) e.close();
          expect(again).toEqual(original);
          const merged = engines.map((e, j) => (j === k ? rebuilt! : e).checkpoint());
          expect(Buffer.compare(mergeCheckpoints(city, plans, merged), ref.checkpoint())).toBe(0);
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

/**
 * The `engine` suite: the occupancy engine end to end on the Palu trace (every event kind, default
 * faults, delivery order) — FlatBuffers batches in, closed windows out — in batches of 1k, 16k and 64k
 * events, in the caller's thread (`single-thread*`, OccupancyEngine) and sharded over 1 and 2 piscina
 * workers (`piscina-1*`, `piscina-2*`, ShardedOccupancyEngine, whose calls return promises). Besides
 * throughput, each case reports the latency from the start of the `ingest` call that closes a window to
 * that window's emission on `windows$` (p50, p99 over every timed run).
 *
 * Each run gets a fresh engine, built untimed (a deployment keeps one engine running; building a sharded
 * one starts its shards on workers); the timed part ingests every batch and then moves the watermark past
 * the newest event (`advanceTo`), which closes the windows a close would; `close` runs untimed after (a
 * sharded close merges its shards' checkpoints). Every case must emit the same windows.
 */

import type { City } from "../../src/catalog/index.js";
import { ShardedOccupancyEngine } from "../../src/occupancy/index.js";
import {
  createPool,
  type KernelKind,
  kernelBuilt,
  type WorkerPool,
  wasmSupported,
} from "../../src/runtime/index.js";
import { type CdsEvent, encodeEvents } from "../../src/wire/index.js";
import { paluWorkload } from "../fixtures/workload.js";
import type { CaseSpec, SuiteDefinition } from "../harness.js";
import { feed, type Replay, singleEngine, type WatchOptions, watch } from "../replay.js";
import { measureRuns } from "../runs.js";
import { percentile } from "../stats.js";
import { windowsJson } from "./occupancy.js";

/** ShardedOccupancyOptions.checkpointEvery's default (batches kept in memory between shard checkpoints). */
const CHECKPOINT_EVERY = 32;

/** Size of the largest batch. */
function maxBytes(batches: readonly Uint8Array[]): number {
  let max = 0;
  for (const b of batches) max = Math.max(max, b.byteLength);
  return max;
}

/** Batch sizes measured; the first is the one of the unsuffixed cases (`single-thread`, `piscina-1`, ...). */
export const ENGINE_BATCH_SIZES = [16_384, 1_024, 65_536] as const;

/** Splits events (delivery order) into encoded batches of `size`. */
export function encodeBatches(events: readonly CdsEvent[], city: City, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < events.length; i += size) out.push(encodeEvents(events.slice(i, i + size), city));
  return out;
}

/** The newest event time + 1: moving the watermark there closes every window a close would. */
export function flushTimeMs(events: readonly CdsEvent[]): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const e of events) max = Math.max(max, Number(e.event_time));
  return max + 1;
}

/** What engineCase measures. */
export interface EngineCaseOptions {
  /** Case name. */
  readonly name: string;
  /** 0: OccupancyEngine in the caller's thread; n: ShardedOccupancyEngine with n workers (wasm kernel). */
  readonly workers: number;
  /** Kernel when workers is 0 (explicit: the engine's default is wasm). Default "wasm". */
  readonly kernel?: KernelKind;
  readonly city: City;
  readonly batches: readonly Uint8Array[];
  /** Watermark that flushes the feed (flushTimeMs). */
  readonly flushMs: number;
  readonly eventsPerOp: number;
  /** Timed runs at least (default: the profile's). */
  readonly minSamples?: number;
  /** What the case does, for the table. */
  readonly note: string;
  /** Copied into the case's JSON. */
  readonly extra?: Readonly<Record<string, number | string>>;
}

type AnyReplay = Replay<{
  readonly windows$: ShardedOccupancyEngine["windows$"];
  ingest(b: Uint8Array): unknown;
  advanceTo(t: number): unknown;
  close(): unknown;
}>;

// Worker pools shared by every sharded case (one single-thread pool per shard; cases run one at a time, so
// piscina-1 uses the first pool and piscina-2 the first two). Kept warm across cases and suites.
const pools: WorkerPool[] = [];

/** The first `n` shared single-thread pools, created on first use. */
export function sharedPools(n: number): WorkerPool[] {
  while (pools.length < n) pools.push(createPool({ threads: 1 }));
  return pools.slice(0, n);
}

/** Destroys the shared worker pools (call once every suite has run, or the process keeps them alive). */
export async function closePools(): Promise<void> {
  const all = pools.splice(0);
  await Promise.all(all.map((p) => p.destroy()));
}

/**
 * A self-timed engine case: computes its windows once (the equality check), then times fresh engines,
 * built untimed, ingesting every batch and flushing. Sharded engines run on the shared warm pools.
 */
export async function engineCase(o: EngineCaseOptions): Promise<CaseSpec> {
  const kernel = o.workers === 0 ? (o.kernel ?? "wasm") : "wasm";
  const start = async (w: WatchOptions): Promise<AnyReplay> =>
    o.workers === 0
      ? singleEngine(o.city, kernel, {}, w)
      : watch(
          await ShardedOccupancyEngine.create(o.city, {
            workers: o.workers,
            kernel: "wasm",
            pools: sharedPools(o.workers),
            // Memory for the batches kept until the first shard checkpoint, touched untimed: a running
            // gateway engine has it mapped already.
            reserveBatchBytes: Math.min(o.batches.length, CHECKPOINT_EVERY) * 2 * maxBytes(o.batches),
          }),
          w,
        );
  const ref = await start({ keep: true });
  await feed(ref, o.batches, o.flushMs);
  await ref.engine.close();
  const records = windowsJson(ref.kept);
  return {
    name: o.name,
    eventsPerOp: o.eventsPerOp,
    extra: { workers: o.workers, kernel, ...o.extra, note: o.note },
    result: () => records,
    measure: async (timing) => {
      const latencies: number[] = [];
      const m = await measureRuns({
        timing,
        // The case's minimum is for the whole measurement: each round takes its share.
        minSamples: o.minSamples === undefined ? undefined : Math.ceil(o.minSamples / timing.rounds),
        setup: () => start({ latency: true }),
        run: (r) => feed(r, o.batches, o.flushMs),
        teardown: (r) => r.engine.close(),
        sampled: (r) => latencies.push(...r.latenciesMs),
      });
      return {
        ...m,
        extra: {
          ...m.extra,
          // null when no window closed inside an ingest call (tiny traces).
          latencyMs: {
            p50: latencies.length > 0 ? percentile(latencies, 50) : null,
            p99: latencies.length > 0 ? percentile(latencies, 99) : null,
            windows: latencies.length,
          },
        },
      };
    },
  };
}

function sizeName(size: number): string {
  return `${size / 1024}k`;
}

/** The `engine` suite. Baseline `single-thread` (wasm kernel, 16k-event batches). */
export const engineSuite: SuiteDefinition = {
  name: "engine",
  summary:
    "occupancy engine end to end on the Palu trace: one thread vs piscina 1/2 workers, batches of 1k/16k/64k events, latency ingest → window",
  async build({ profile, log }) {
    const { city, events, workload } = paluWorkload(profile);
    const n = events.length;
    const flushMs = flushTimeMs(events);
    const wasm = wasmSupported() && kernelBuilt("occupancy");
    const variants: { prefix: string; workers: number; kernel: KernelKind; sizes: readonly number[] }[] = [];
    if (wasm) {
      variants.push({ prefix: "single-thread", workers: 0, kernel: "wasm", sizes: ENGINE_BATCH_SIZES });
      variants.push({ prefix: "single-thread-js", workers: 0, kernel: "js", sizes: [ENGINE_BATCH_SIZES[0]] });
      for (const workers of [1, 2])
        variants.push({ prefix: `piscina-${workers}`, workers, kernel: "wasm", sizes: ENGINE_BATCH_SIZES });
    } else {
      log("no wasm kernel: single-thread runs the JS kernel, piscina cases skipped");
      variants.push({ prefix: "single-thread", workers: 0, kernel: "js", sizes: ENGINE_BATCH_SIZES });
    }
    const batchesBySize = new Map<number, Uint8Array[]>();
    for (const size of ENGINE_BATCH_SIZES) batchesBySize.set(size, encodeBatches(events, city, size));
    const cases: CaseSpec[] = [];
    for (const v of variants) {
      for (const size of v.sizes) {
        const batches = batchesBySize.get(size)!;
        const name = size === ENGINE_BATCH_SIZES[0] ? v.prefix : `${v.prefix}-${sizeName(size)}`;
        const where =
          v.workers === 0
            ? `OccupancyEngine, kernel: "${v.kernel}"`
            : `ShardedOccupancyEngine, ${v.workers} worker${v.workers > 1 ? "s" : ""} (wasm kernel)`;
        cases.push(
          await engineCase({
            name,
            workers: v.workers,
            kernel: v.kernel,
            city,
            batches,
            flushMs,
            eventsPerOp: n,
            extra: { batchEvents: size },
            note: `${where}; ${batches.length} batches of ≤ ${size.toLocaleString("en-US")} events; engine built untimed`,
          }),
        );
        log(`${name}: windows computed`);
      }
    }
    return {
      name: "engine",
      workload: { ...workload, sizes: { ...workload.sizes, batchSizes: ENGINE_BATCH_SIZES.join("/") } },
      baseline: "single-thread",
      cases,
    };
  },
};

/**
 * The `engine` suite: the occupancy engine end to end on the Palu trace (every event kind, default
 * faults, delivery order) — FlatBuffers batches in, closed windows out — in batches of 1k, 16k and
 * 64k events, single thread. Besides throughput, each case reports the latency from the start of the
 * `ingest` call that closes a window to that window's emission on `windows$` (p50, p99), measured on
 * a separate replay after the timed runs' warm-up.
 *
 * `single-thread-wasm` runs the 16k case with the wasm kernel when it is built. Worker cases
 * (`piscina-1`, `piscina-2`) join once parkir has a sharded engine on workers.
 */
import type { City } from "../../src/catalog/index.js";
import { OccupancyEngine } from "../../src/occupancy/index.js";
import { type KernelKind, kernelBuilt, wasmSupported } from "../../src/runtime/index.js";
import { type CdsEvent, encodeEvents } from "../../src/wire/index.js";
import { paluWorkload } from "../fixtures/workload.js";
import type { CaseSpec, SuiteDefinition } from "../harness.js";
import { percentile } from "../stats.js";
import { windowsJson } from "./occupancy.js";

/** Batch sizes measured; the first is the `single-thread` baseline. */
export const ENGINE_BATCH_SIZES = [16_384, 1_024, 65_536] as const;

/** Splits events (delivery order) into encoded batches of `size`. */
export function encodeBatches(events: readonly CdsEvent[], city: City, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < events.length; i += size) out.push(encodeEvents(events.slice(i, i + size), city));
  return out;
}

interface Replay {
  readonly windows: number;
  readonly checksum: number;
  readonly latenciesMs: number[];
  readonly records?: unknown;
}

/** Replays batches through a fresh engine; with `timeLatency`, times ingest start → each window emission. */
export function replay(
  city: City,
  batches: readonly Uint8Array[],
  timeLatency: boolean,
  keepRecords = false,
  kernel: KernelKind = "js",
): Replay {
  const engine = new OccupancyEngine(city, { kernel });
  const latenciesMs: number[] = [];
  const kept: { windowStart: number; windowEnd: number; records: unknown }[] = [];
  let started = 0;
  let windows = 0;
  let checksum = 0;
  engine.windows$.subscribe((w) => {
    if (timeLatency && started > 0) latenciesMs.push(performance.now() - started);
    windows++;
    const c = w.columns!;
    for (let r = 0; r < c.length; r++) checksum += c.arrivals[r]! + c.departures[r]!;
    if (keepRecords) kept.push({ windowStart: w.windowStart, windowEnd: w.windowEnd, records: w.records });
  });
  for (const b of batches) {
    if (timeLatency) started = performance.now();
    engine.ingest(b);
  }
  started = 0;
  engine.close();
  return { windows, checksum, latenciesMs, records: keepRecords ? windowsJson(kept) : undefined };
}

function sizeName(size: number): string {
  return `${size / 1024}k`;
}

/** The `engine` suite. Baseline `single-thread` (16k-event batches). */
export const engineSuite: SuiteDefinition = {
  name: "engine",
  summary:
    "occupancy engine end to end on the Palu trace: batches of 1k/16k/64k events, latency ingest → window",
  build({ profile, log }) {
    const { city, events, workload } = paluWorkload(profile);
    const n = events.length;
    const cases: CaseSpec[] = [];
    const variants: { size: number; kernel: KernelKind }[] = ENGINE_BATCH_SIZES.map((size) => ({
      size,
      kernel: "js",
    }));
    if (wasmSupported() && kernelBuilt("occupancy"))
      variants.push({ size: ENGINE_BATCH_SIZES[0], kernel: "wasm" });
    for (const { size, kernel } of variants) {
      const batches = encodeBatches(events, city, size);
      // Warm up, then one replay with latency timing.
      for (let i = 0; i < 3; i++) replay(city, batches, false, false, kernel);
      const lat = replay(city, batches, true, false, kernel).latenciesMs;
      let name = size === ENGINE_BATCH_SIZES[0] ? "single-thread" : `single-thread-${sizeName(size)}`;
      if (kernel === "wasm") name += "-wasm";
      log(`${name}: ${lat.length} windows timed for latency`);
      cases.push({
        name,
        eventsPerOp: n,
        extra: {
          batchEvents: size,
          kernel,
          // null when no window closed inside an ingest call (tiny traces).
          latencyMs: {
            p50: lat.length > 0 ? percentile(lat, 50) : null,
            p99: lat.length > 0 ? percentile(lat, 99) : null,
            windows: lat.length,
          },
          note: `${batches.length} batches of ≤ ${size.toLocaleString("en-US")} events, ${kernel} kernel; new engine per replay, closed at the end`,
        },
        fn: () => replay(city, batches, false, false, kernel).checksum,
        result: () => replay(city, batches, false, true, kernel).records,
      });
    }
    return {
      name: "engine",
      workload: { ...workload, sizes: { ...workload.sizes, batchSizes: ENGINE_BATCH_SIZES.join("/") } },
      baseline: "single-thread",
      cases,
    };
  },
};

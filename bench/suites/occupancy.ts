/**
 * The `occupancy` suite: the same bay-sensor feed turned into 5-minute windows by parkir's engine
 * (`js`: the JS reference kernel; `wasm`: the wasm kernel when it is built; both explicit) and by the RxJS
 * pipeline a user would write by hand, with a plain read of the same batch bytes as the yardstick
 * (`memory-read`; every case also gets `fractionOfMemoryRead`). Before timing, the engine's windows
 * (every row, every field) must equal the hand-written pipeline's.
 *
 * Yardsticks of the same run: `floor`, the random-update floor (bench/fixtures/floor.ts: the scattered
 * de-duplication, bay and row updates alone), and `kernel-js` / `kernel-wasm`, the kernels without the
 * engine's host side (bench/kernels.ts); the results' `ratios` give the kernels and the whole engine as a
 * fraction of the floor.
 *
 * The engine cases build their engine untimed before each run (a deployment keeps one engine running);
 * `js-operator` and the `rxjs-*` pipelines build theirs inside the timed call, as a pipeline does on subscribe.
 *
 * The feed is what the hand-written pipeline can handle: bay sensors only, in event-time order, no
 * duplicates, no late events, no outages. The engine does its full work anyway (de-duplication,
 * watermark, lateness checks, timeouts), so the comparison favours the hand-written pipeline.
 */
import { from } from "rxjs";
import { type City, loadCity } from "../../src/catalog/index.js";
import { OccupancyEngine, occupancy, type WindowBatch } from "../../src/occupancy/index.js";
import { type KernelKind, kernelBuilt, wasmSupported } from "../../src/runtime/index.js";
import { type CdsEvent, EventBatchView, encodeEvents } from "../../src/wire/index.js";
import { syntheticCityDoc } from "../fixtures/city.js";
import { synthEvents } from "../fixtures/events.js";
import { floorAvailable, randomUpdateFloor } from "../fixtures/floor.js";
import { BENCH_SEED } from "../fixtures/workload.js";
import type { CaseSpec, Profile, SuiteDefinition, Workload } from "../harness.js";
import { admitted } from "../ingest.js";
import { kernelRun, runKernels } from "../kernels.js";
import { rxjsGroupByOccupancy, rxjsScanOccupancy } from "../peers/rxjs-occupancy.js";
import { feedSync, singleEngine } from "../replay.js";
import { measureRuns } from "../runs.js";
import { sumU32 } from "./limit.js";

/** Sizes per profile: zones × 20 bays (every place sensed) and events. */
export const OCCUPANCY_SIZES: Readonly<Record<Profile, { readonly zones: number; readonly events: number }>> =
  {
    full: { zones: 500, events: 500_000 },
    quick: { zones: 100, events: 50_000 },
    tiny: { zones: 10, events: 2_000 },
  };

/** Events per FlatBuffers batch fed to the engine. */
export const OCCUPANCY_BATCH_EVENTS = 65_536;
/** Engine options shared by every case (the defaults, spelled out). */
export const OCCUPANCY_OPTIONS = { windowMs: 300_000, minCoverage: 0.5 } as const;

/** A sensor-only feed over an all-sensed synthetic city, and its batches. */
export interface SensorFeed {
  readonly city: City;
  readonly events: CdsEvent[];
  readonly batches: Uint8Array[];
  readonly workload: Workload;
}

/** Builds the sensor feed for a profile (also used by the engine suite). */
export function sensorFeed(profile: Profile, batchEvents = OCCUPANCY_BATCH_EVENTS): SensorFeed {
  const { zones, events: count } = OCCUPANCY_SIZES[profile];
  const baysPerZone = profile === "tiny" ? 10 : 20;
  const city = loadCity(syntheticCityDoc({ zones, baysPerZone, seed: BENCH_SEED, attendants: false }));
  // Mean gap chosen so every bay hears from its sensor well within the 4 h timeout.
  const events = synthEvents(city, { count, seed: BENCH_SEED, sensorsOnly: true, meanGapMs: 20 });
  const batches: Uint8Array[] = [];
  for (let i = 0; i < events.length; i += batchEvents) {
    batches.push(encodeEvents(events.slice(i, i + batchEvents), city));
  }
  return {
    city,
    events,
    batches,
    workload: {
      description:
        "Synthetic all-sensed city; seeded bay-sensor feed (park_start/park_end/scheduled_report) in event-time order, 5-min windows",
      seed: BENCH_SEED,
      sizes: { events: events.length, zones, bays: city.bayCount, batchEvents, batches: batches.length },
    },
  };
}

/** Windows as plain JSON data (what both pipelines must agree on). */
export function windowsJson(
  windows: readonly { windowStart: number; windowEnd: number; records: unknown }[],
): unknown {
  return JSON.parse(
    JSON.stringify(
      windows.map((w) => ({ windowStart: w.windowStart, windowEnd: w.windowEnd, records: w.records })),
    ),
  );
}

/** Replays batches through a fresh engine, reading each window's columns; returns windows and a checksum. */
export function replayEngine(
  city: City,
  batches: readonly Uint8Array[],
  keep = false,
  kernel: KernelKind,
): { windows: WindowBatch[]; checksum: number } {
  const engine = new OccupancyEngine(city, { ...OCCUPANCY_OPTIONS, kernel });
  const windows: WindowBatch[] = [];
  let checksum = 0;
  engine.windows$.subscribe((w) => {
    const c = w.columns!;
    for (let r = 0; r < c.length; r++) checksum += c.arrivals[r]! + c.peakOccupied[r]!;
    if (keep) windows.push(w);
  });
  for (const b of batches) admitted(engine.ingest(b));
  engine.close();
  return { windows, checksum };
}

/** The `occupancy` suite. Baseline `js`. */
export const occupancySuite: SuiteDefinition = {
  name: "occupancy",
  summary:
    "windows from a bay-sensor feed: engine (JS and wasm kernels) vs hand-written RxJS (one scan; groupBy + scan) vs memory read",
  build({ profile }) {
    const { city, events, batches, workload } = sensorFeed(profile);
    const n = events.length;
    const bytes = batches.reduce((sum, b) => sum + b.byteLength, 0);
    const views = batches.map((b) => EventBatchView.from(b, { city }));
    const eventBytes = views.reduce((sum, v) => sum + v.length * v.stride, 0);
    const words = views.map((v) => v.words());
    const wasm = wasmSupported() && kernelBuilt("occupancy");
    // The kernels alone: a new state per run, built untimed; every kernel must close the same windows.
    const kernelCase = (kernel: KernelKind): CaseSpec => ({
      name: `kernel-${kernel}`,
      eventsPerOp: n,
      bytesPerOp: eventBytes,
      group: "kernel",
      extra: {
        kernel,
        note: `the ${kernel} kernel's calls alone (admit, sort, apply noting the rows touched, close those rows into one column set as an engine reusing window buffers does): no verification, de-duplication keys, reports or window objects; state built and batches placed where the kernel reads them (in its memory, as the floor's) untimed`,
      },
      measure: (timing) =>
        measureRuns({
          timing,
          // Memory the run allocates in the wasm kernel's arena (pending buffer and its growth).
          setup: () => kernelRun(city, kernel, views, OCCUPANCY_OPTIONS, 128 * n),
          run: (r) => runKernels(r, views),
        }),
      result: () => {
        const r = kernelRun(city, kernel, views, OCCUPANCY_OPTIONS);
        runKernels(r, views);
        return { windows: r.windows, checksum: r.checksum };
      },
    });
    const floor = floorAvailable() ? randomUpdateFloor(city, batches) : null;
    // Engine cases: a new engine per run, built untimed (a deployment keeps one engine running).
    const engineCase = (name: string, kernel: KernelKind, note: string): CaseSpec => ({
      name,
      eventsPerOp: n,
      bytesPerOp: eventBytes,
      extra: { kernel, note },
      measure: (timing) =>
        measureRuns({
          timing,
          setup: () => singleEngine(city, kernel, OCCUPANCY_OPTIONS),
          run: (r) => feedSync(r, batches),
        }),
      result: () => windowsJson(replayEngine(city, batches, true, kernel).windows),
    });
    const cases: CaseSpec[] = [
      engineCase(
        "js",
        "js",
        'the engine with kernel: "js" (the reference): ingest every batch (verify included), close; engine built untimed',
      ),
      ...(wasm
        ? [
            engineCase(
              "wasm",
              "wasm",
              'the same engine with kernel: "wasm" (AssemblyScript port of the hot loops); engine built untimed',
            ),
          ]
        : []),
      {
        name: "js-operator",
        eventsPerOp: n,
        bytesPerOp: eventBytes,
        extra: {
          kernel: "js",
          note: 'the same engine (kernel: "js") through parkir\'s occupancy() RxJS operator; builds its engine inside the timed call',
        },
        fn: () => {
          let checksum = 0;
          from(batches)
            .pipe(occupancy(city, { ...OCCUPANCY_OPTIONS, kernel: "js" }))
            .subscribe((w) => {
              checksum += w.columns!.length;
            });
          return checksum;
        },
        result: () => {
          const out: WindowBatch[] = [];
          from(batches)
            .pipe(occupancy(city, { ...OCCUPANCY_OPTIONS, kernel: "js" }))
            .subscribe((w) => out.push(w));
          return windowsJson(out);
        },
      },
      {
        name: "rxjs-scan",
        eventsPerOp: n,
        extra: {
          note: "Observable of plain event objects, one scan over a Map of bay states and window rows; plain-object rows",
        },
        fn: () => rxjsScanOccupancy(events, city, OCCUPANCY_OPTIONS).length,
        result: () => windowsJson(rxjsScanOccupancy(events, city, OCCUPANCY_OPTIONS)),
      },
      {
        name: "rxjs-groupby",
        eventsPerOp: n,
        extra: {
          note: "Observable of plain event objects, groupBy(bay) + scan per bay, windowing scan; plain-object rows",
        },
        // Seconds per call at full size: fewer samples (its rme shows the cost).
        timing: { minSamples: 4, warmupTime: 0 },
        fn: () => rxjsGroupByOccupancy(events, city, OCCUPANCY_OPTIONS).length,
        result: () => windowsJson(rxjsGroupByOccupancy(events, city, OCCUPANCY_OPTIONS)),
      },
      {
        name: "memory-read",
        eventsPerOp: n,
        bytesPerOp: eventBytes,
        group: "memory-read",
        extra: { note: "sum of the events' u32 words, same batches: computes no windows" },
        fn: () => {
          let s = 0;
          for (const w of words) s = (s + sumU32(w)) >>> 0;
          return s;
        },
      },
      kernelCase("js"),
      ...(wasm ? [kernelCase("wasm")] : []),
      ...(floor === null
        ? []
        : [
            {
              name: "floor",
              eventsPerOp: floor.events,
              bytesPerOp: eventBytes,
              group: "floor",
              extra: {
                note: "random-update floor (bench/fixtures/floor.ts): per event the de-duplication slot, bay record and window row updates alone, wasm; computes no windows",
              },
              fn: () => floor.run(),
            } satisfies CaseSpec,
          ]),
    ];
    const ratios: Record<string, readonly [string, string]> = {};
    if (floor !== null) {
      ratios["js/floor"] = ["js", "floor"];
      ratios["kernel-js/floor"] = ["kernel-js", "floor"];
      if (wasm) {
        ratios["wasm/floor"] = ["wasm", "floor"];
        ratios["kernel-wasm/floor"] = ["kernel-wasm", "floor"];
      }
    }
    return {
      name: "occupancy",
      ratios,
      workload: { ...workload, sizes: { ...workload.sizes, batchBytes: bytes } },
      baseline: "js",
      memoryRead: "memory-read",
      cases,
    };
  },
};

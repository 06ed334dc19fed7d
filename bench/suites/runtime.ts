/**
 * Runtime suites (wasm kernels, src/runtime), registered in bench/suites/index.ts right after `limit` so
 * `fractionOfLimit` is filled in.
 *
 * - `wasm-memread`: the memory-read yardstick in wasm (scalar and SIMD) next to the plain JS typed-array
 *   sum, over the same bytes of the shared memory. Baseline `js-u32-sum`.
 * - `wasm-billing`: batch billing of the same sessions by the JS reference (`billBatch`) and the wasm
 *   kernel, under Palu's flat visit tariff and its dynamic hourly tariff. Baseline `js-flat`.
 * - `wasm-occupancy`: the whole engine, FlatBuffers bytes to closed windows, `js` (reference kernel, the
 *   baseline) vs `wasm`, on the Palu catalogue scaled to 100,000 bays, in-order and shuffled-within-lateness
 *   traffic (`-shuffled`), the wasm engine reading batches received in its own memory (`wasm-inplace`), the
 *   kernel's own share of the same runs (`kernel-*`), and a plain read of the same
 *   bytes (`memory-read`; every case gets `fractionOfMemoryRead`). Every case must produce the windows of
 *   the JS reference on the in-order feed (reordering within the lateness changes no result).
 * - `wasm-workers`: the same in-order feed, as EventBatches and as JSON Lines bytes, in one thread and sharded
 *   over 1 and 2 workers (2 shards admitting their own zones' events, or every event), with the main thread's
 *   event-loop utilisation and delay and each shard's busy time.
 *
 * Engines are built untimed before each run (bench/runs.ts): a deployment keeps one engine running.
 */
import { readFileSync } from "node:fs";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { GCProfiler } from "node:v8";
import { type City, loadCity } from "../../src/catalog/index.js";
import { paluCatalog } from "../../src/generate/index.js";
import { type OccupancyEngine, ShardedOccupancyEngine } from "../../src/occupancy/index.js";
import { seedPath } from "../../src/paths.js";
import { billBatch, compileTariffs, loadPolicy } from "../../src/pricing/index.js";
import { WasmBilling } from "../../src/pricing/wasm-billing.js";
import {
  type KernelKind,
  kernelBuilt,
  MemRead,
  SharedArena,
  sumU32Js,
  threadCpuMs,
  threadCpuSource,
  wasmSupported,
} from "../../src/runtime/index.js";
import {
  type CdsEvent,
  EVENT_STRIDE,
  EventBatchView,
  encodeEvents,
  toJsonLines,
} from "../../src/wire/index.js";
import { scaleCity } from "../fixtures/city.js";
import { synthEvents } from "../fixtures/events.js";
import { createRng } from "../fixtures/prng.js";
import { BENCH_SEED } from "../fixtures/workload.js";
import type { CaseExtra, CaseSpec, Measurement, Profile, SuiteDefinition } from "../harness.js";
import { admitted } from "../ingest.js";
import { feedSync, type KeptWindow, type Replay, singleEngine, timeKernel } from "../replay.js";
import { measureRuns } from "../runs.js";
import { percentile, summarizeTimings } from "../stats.js";
import { sharedPools } from "./engine.js";
import { windowsJson } from "./occupancy.js";

/** Bytes summed per profile (larger than the caches except in `tiny`). */
const MEMREAD_BYTES: Readonly<Record<Profile, number>> = { full: 64 << 20, quick: 16 << 20, tiny: 256 << 10 };

/** `wasm-memread`: u32 sums over one region of the shared memory, JS and wasm. */
export const wasmMemreadSuite: SuiteDefinition = {
  name: "wasm-memread",
  summary:
    "memory-read yardstick: u32 sum in JS, wasm scalar and wasm SIMD over the same shared memory (bytes/s)",
  build({ profile }) {
    const size = MEMREAD_BYTES[profile];
    const arena = new SharedArena({ initialBytes: size + (4 << 20), maximumBytes: size + (64 << 20) });
    const at = arena.alloc(size, 64);
    const words = arena.u32().subarray(at >> 2, (at + size) >> 2);
    const rng = createRng(BENCH_SEED);
    for (let i = 0; i < words.length; i++) words[i] = (rng.next() * 0x1_0000_0000) >>> 0;
    const scalar = new MemRead(arena, { simd: false });
    const simd = new MemRead(arena);
    const n = words.length;
    const eventsPerOp = Math.floor(size / 24);
    const cases: CaseSpec[] = [
      { name: "js-u32-sum", eventsPerOp, bytesPerOp: size, fn: () => sumU32Js(words) },
      { name: "wasm-u32-sum", eventsPerOp, bytesPerOp: size, fn: () => scalar.sum(at, n) },
      {
        name: "wasm-u32-sum-simd",
        eventsPerOp,
        bytesPerOp: size,
        extra: { variant: simd.variant },
        fn: () => simd.sum(at, n),
      },
    ];
    return {
      name: "wasm-memread",
      workload: {
        description: "Seeded random u32 words in one region of a shared WebAssembly.Memory",
        seed: BENCH_SEED,
        sizes: { bytes: size },
      },
      baseline: "js-u32-sum",
      cases,
    };
  },
};

/** Sessions billed per operation. */
const SESSIONS: Readonly<Record<Profile, number>> = { full: 1 << 20, quick: 1 << 18, tiny: 1 << 10 };

/** `wasm-billing`: the same random Palu sessions billed by JS and wasm, flat and dynamic tariffs. */
export const wasmBillingSuite: SuiteDefinition = {
  name: "wasm-billing",
  summary: "batch billing (nightly reconciliation): JS billBatch vs the wasm kernel, sessions/s",
  build({ profile }) {
    const city = loadCity(JSON.parse(readFileSync(seedPath("palu", "city.json"), "utf8")));
    const doc = JSON.parse(readFileSync(seedPath("palu", "policy.json"), "utf8"));
    const n = SESSIONS[profile];
    const arena = new SharedArena({ initialBytes: 64 << 20 });
    const rng = createRng(BENCH_SEED);
    const t0 = Date.parse("2026-11-30T00:00:00+08:00");
    const cases: CaseSpec[] = [];
    for (const variant of ["flat", "dynamic"] as const) {
      const table = compileTariffs(city, loadPolicy(doc, variant === "dynamic" ? { variant } : {}));
      const wasm = new WasmBilling(arena, table);
      // Rows live in the shared memory: the JS reference reads the same typed arrays.
      const rows = wasm.rows(n);
      for (let i = 0; i < n; i++) {
        rows.startsMs[i] = t0 + Math.floor(rng.next() * 86_400_000);
        rows.endsMs[i] = rows.startsMs[i]! + Math.floor(rng.next() * 4 * 3_600_000);
        rows.zones[i] = Math.floor(rng.next() * city.zoneCount);
        rows.vehicles[i] = rng.next() < 0.7 ? 1 : 3;
      }
      const out = new Float64Array(n);
      cases.push(
        {
          name: `js-${variant}`,
          eventsPerOp: n,
          fn: () => billBatch(table, rows.startsMs, rows.endsMs, rows.zones, rows.vehicles, out).totalMinor,
        },
        {
          name: `wasm-${variant}`,
          eventsPerOp: n,
          fn: () =>
            wasm.billBatch(rows.startsMs, rows.endsMs, rows.zones, rows.vehicles, rows.out).totalMinor,
        },
      );
    }
    return {
      name: "wasm-billing",
      workload: {
        description:
          "Palu catalogue and seed policy (flat visit fees; `dynamic` variant: hourly units in 3 bands, grace, daily cap); stays start uniformly over one day and last 0–4 h; 70 % motorcycles, 30 % cars",
        seed: BENCH_SEED,
        sizes: { sessions: n },
      },
      baseline: "js-flat",
      // Flat and dynamic totals differ; equality is checked pairwise below instead.
      independent: true,
      cases: checkPairs(cases),
    };
  },
};

/** Verifies each wasm case returns its JS twin's total before anything is timed. */
function checkPairs(cases: CaseSpec[]): CaseSpec[] {
  for (const c of cases) {
    if (!c.name.startsWith("wasm-") || !("fn" in c)) continue;
    const twin = cases.find((x) => x.name === `js-${c.name.slice(5)}`);
    if (twin === undefined || !("fn" in twin)) continue;
    const a = twin.fn();
    const b = c.fn();
    if (a !== b) throw new Error(`wasm-billing: ${c.name} totals ${String(b)}, ${twin.name} ${String(a)}`);
  }
  return cases;
}

/** Events and bays per profile for the occupancy suites. */
const OCC: Readonly<Record<Profile, { readonly events: number; readonly bays: number }>> = {
  full: { events: 1 << 20, bays: 100_000 },
  quick: { events: 1 << 16, bays: 25_000 },
  tiny: { events: 4096, bays: 2000 },
};
const BATCH = 65_536;

/** The scaled catalogue and its feed, in order and shuffled within the lateness. */
interface OccupancyFeed {
  readonly city: City;
  readonly inorder: Uint8Array[];
  readonly shuffled: Uint8Array[];
  /** The in-order events themselves. */
  readonly events: readonly CdsEvent[];
  /** Newest event time + 1: the watermark that closes every window a close() would. */
  readonly flushMs: number;
}

// wasm-occupancy and wasm-workers share one feed per profile (nothing mutates it).
const feedCache = new Map<Profile, OccupancyFeed>();

/** The Palu catalogue scaled to `bays`, a seeded bay-sensor feed in order, and the same feed shuffled. */
function occupancyFeed(profile: Profile): OccupancyFeed {
  const cached = feedCache.get(profile);
  if (cached !== undefined) return cached;
  const { events: n, bays } = OCC[profile];
  const city = loadCity(scaleCity(paluCatalog(), bays));
  const events = synthEvents(city, { count: n, seed: BENCH_SEED, sensorsOnly: true, meanGapMs: 5 });
  // Shuffled within the lateness: each event delayed by up to 60 s of event time (lateness is 2 min).
  const rng = createRng(BENCH_SEED + 1);
  const keyed = events.map((e, i) => ({ e, i, k: Number(e.event_time) + Math.floor(rng.next() * 60_000) }));
  keyed.sort((a, b) => a.k - b.k || a.i - b.i);
  const batches = (list: readonly CdsEvent[]) => {
    const out: Uint8Array[] = [];
    for (let i = 0; i < list.length; i += BATCH)
      out.push(encodeEvents(list.slice(i, i + BATCH), city, undefined, { keepEventIds: false }));
    return out;
  };
  let maxMs = Number.NEGATIVE_INFINITY;
  for (const e of events) maxMs = Math.max(maxMs, Number(e.event_time));
  const feed: OccupancyFeed = {
    city,
    inorder: batches(events),
    shuffled: batches(keyed.map((x) => x.e)),
    events,
    flushMs: maxMs + 1,
  };
  feedCache.set(profile, feed);
  return feed;
}

/** Windows of one single-thread replay (closed at the end), with or without the kernel timer installed. */
function engineWindows(
  city: City,
  batches: readonly Uint8Array[],
  kernel: KernelKind,
  timed: boolean,
): unknown {
  const r = singleEngine(city, kernel, {}, { keep: true });
  const end = timed ? timeKernel(r) : null;
  if (timed && end === null) throw new Error("wasm-occupancy: the engine's kernel cannot be timed");
  feedSync(r, batches);
  end?.();
  return windowsJson(r.kept);
}

/**
 * `wasm-occupancy`: the whole engine (FlatBuffers bytes to closed windows) and its kernel's share of the same
 * runs, JS reference vs wasm kernel, in order and shuffled within the lateness, next to a plain read of the
 * same bytes. Every case must give the windows of the JS reference on the in-order feed.
 */
export const wasmOccupancySuite: SuiteDefinition = {
  name: "wasm-occupancy",
  summary:
    "engine and kernel from FlatBuffers bytes to closed windows, 100,000 bays: JS vs wasm, in order and shuffled (events/s)",
  build({ profile, log }) {
    const { city, inorder, shuffled } = occupancyFeed(profile);
    const n = OCC[profile].events;
    const words = inorder.map((b) => EventBatchView.from(b, { city }).words());
    const eventBytes = n * EVENT_STRIDE;
    const probe = timeKernel(singleEngine(city, "js"));
    probe?.();
    const canTime = probe !== null;
    if (!canTime) log("the engine's kernel field was not found: kernel-* cases skipped");
    const kernels: KernelKind[] = wasmSupported() && kernelBuilt("occupancy") ? ["js", "wasm"] : ["js"];
    /** Kernel-time measurements, filled by the engine cases, read by the kernel-* cases. */
    const kernelRuns = new Map<string, Measurement>();
    const engineCases: CaseSpec[] = [];
    const kernelCases: CaseSpec[] = [];
    for (const [traffic, batches] of [
      ["", inorder],
      ["-shuffled", shuffled],
    ] as const) {
      for (const kernel of kernels) {
        const name = `${kernel}${traffic}`;
        const order = traffic === "" ? "in event-time order" : "shuffled within the lateness";
        engineCases.push({
          name,
          eventsPerOp: n,
          bytesPerOp: eventBytes,
          extra: {
            kernel,
            note: `whole engine, kernel: "${kernel}", events ${order}: ingest every 64k-event batch (verify included), close; engine built untimed`,
          },
          result: () => engineWindows(city, batches, kernel, false),
          measure: async (timing) => {
            const kernelMs: number[] = [];
            // The run's kernel timing, ended after every run (the JS kernel is one object all engines share).
            let endTiming: (() => void) | null = null;
            const m = await measureRuns({
              timing,
              setup: () => {
                const r = singleEngine(city, kernel);
                if (canTime) endTiming = timeKernel(r);
                return r;
              },
              run: (r) => feedSync(r, batches),
              teardown: () => {
                endTiming?.();
                endTiming = null;
              },
              sampled: (r) => kernelMs.push(r.kernelMs),
            });
            if (canTime) {
              const k = summarizeTimings(kernelMs);
              kernelRuns.set(name, { hz: k.hz, rme: k.rme, samples: k.samples, timesMs: kernelMs });
            }
            return m;
          },
        });
        if (canTime)
          kernelCases.push({
            name: `kernel-${name}`,
            eventsPerOp: n,
            bytesPerOp: eventBytes,
            extra: {
              kernel,
              note: `the kernel's share of the ${name} runs (staging into kernel memory, admitEvents, sortPending, applyEvents: timed per call, in place)`,
            },
            result: () => engineWindows(city, batches, kernel, true),
            measure: () => {
              const m = kernelRuns.get(name);
              if (m === undefined) throw new Error(`wasm-occupancy: ${name} has not run`);
              return m;
            },
          });
      }
    }
    // The wasm engine reading batches that arrived straight in its memory (batchBuffer): the copy into that
    // memory stands for the network read and is not timed; every ingest call and the close are.
    const inPlace: CaseSpec[] = kernels.includes("wasm")
      ? [
          {
            name: "wasm-inplace",
            eventsPerOp: n,
            bytesPerOp: eventBytes,
            extra: {
              kernel: "wasm",
              note: "the wasm engine fed in-order batches received in its own memory (engine.batchBuffer; the fill stands for the network read and is untimed): no copy at ingest; engine built untimed",
            },
            result: () => {
              const r = singleEngine(city, "wasm", {}, { keep: true });
              feedInPlace(r, inorder);
              return windowsJson(r.kept);
            },
            measure: (timing) =>
              measureRuns({
                timing,
                setup: () => ({ replay: singleEngine(city, "wasm"), ms: 0 }),
                run: (x) => {
                  x.ms = feedInPlace(x.replay, inorder);
                },
                timedMs: (x) => x.ms,
              }),
          },
        ]
      : [];
    const cases: CaseSpec[] = [
      ...engineCases,
      ...inPlace,
      ...kernelCases,
      {
        name: "memory-read",
        eventsPerOp: n,
        bytesPerOp: eventBytes,
        group: "memory-read",
        extra: { note: "plain JS u32 sum of the same event bytes (the in-order batches' struct vectors)" },
        fn: () => {
          let acc = 0;
          for (const w of words) acc = (acc + sumU32Js(w)) >>> 0;
          return acc;
        },
      },
    ];
    return {
      name: "wasm-occupancy",
      workload: {
        description:
          "Palu catalogue scaled with scaleCity (quick runs: 25,000 bays); seeded bay-sensor feed (78 % park events, each changing its bay's state; 22 % scheduled reports), 64k-event batches without event ids; shuffled = each event delayed by up to 60 s (lateness 2 min)",
        seed: BENCH_SEED,
        sizes: { events: n, bays: OCC[profile].bays, batchEvents: BATCH },
      },
      baseline: "js",
      memoryRead: "memory-read",
      cases,
    };
  },
};

/**
 * Feeds batches to an engine through its batchBuffer (each copied in first, untimed) and closes it.
 * Returns the ms spent in ingest and close.
 */
function feedInPlace(r: Replay<OccupancyEngine>, batches: readonly Uint8Array[]): number {
  let ms = 0;
  for (const b of batches) {
    const buf = r.engine.batchBuffer(b.byteLength);
    buf.set(b);
    const t = performance.now();
    const result = r.engine.ingest(buf);
    ms += performance.now() - t;
    admitted(result);
  }
  const t = performance.now();
  r.engine.close();
  return ms + performance.now() - t;
}

/** Timed runs of the sharded cases per profile (each run starts its shards untimed, seconds at 100,000 bays). */
const WORKER_RUNS: Readonly<Record<Profile, number>> = { full: 5, quick: 4, tiny: 2 };
/** JSON Lines bytes per ingestJsonLines call (a gateway reading a file or a socket in chunks of this size). */
const JSON_CHUNK_BYTES = 1 << 20;
/**
 * Events per EventBatch of the sharded cases (ingestJsonLines' default batch too): a gateway ingests what
 * arrived since the last call, and several calls per run let the main thread's ELU and delay measure the
 * round trips rather than one.
 */
const WORKER_BATCH_EVENTS = 16_384;

/** The feed's events as JSON Lines, cut into chunks of whole lines. */
function jsonChunks(events: readonly CdsEvent[]): Uint8Array[] {
  const text = Buffer.from(toJsonLines(events));
  const out: Uint8Array[] = [];
  for (let i = 0; i < text.length; ) {
    let j = Math.min(text.length, i + JSON_CHUNK_BYTES);
    if (j < text.length) j = text.indexOf(10, j) + 1 || text.length;
    out.push(text.subarray(i, j));
    i = j;
  }
  return out;
}

/** One-minute load average of the machine (/proc/loadavg), NaN where there is none. */
function loadAverage(): number {
  try {
    return Number(readFileSync("/proc/loadavg", "utf8").split(" ", 1)[0]);
  } catch {
    return Number.NaN;
  }
}

/** One run's state: the engine, what it emitted, and the main thread's and the shards' time. */
interface WorkerRun {
  readonly engine: ShardedOccupancyEngine;
  windows: number;
  checksum: number;
  kept: KeptWindow[];
  elu: number;
  delayP99Ms: number;
  wallMs: number;
  /** CPU time of the main thread over the run (NaN where the platform does not tell). */
  mainCpuMs: number;
  /** Garbage-collection pauses of the main thread over the run, ms (the whole process's heap, bench data too). */
  mainGcMs: number;
  busyMs: number[];
  cpuMs: number[];
  /** One-minute load average at the start and at the end of the run. */
  load: [number, number];
}

/**
 * Feeds the input (EventBatches through `ingest`, or JSON Lines chunks through `ingestJsonLines`), then moves
 * the watermark past the last event; records the main thread's event-loop utilisation, delay (p99) and CPU
 * time over the run and each shard's busy and CPU time (measured in its worker).
 */
async function feedWorkers(
  r: WorkerRun,
  input: { readonly batches: readonly Uint8Array[] } | { readonly json: readonly Uint8Array[] },
  flushMs: number,
): Promise<void> {
  const e = r.engine;
  const busy0 = [...e.shardBusyMs];
  const cpu0 = [...e.shardCpuMs];
  r.load[0] = loadAverage();
  const gc = new GCProfiler();
  gc.start();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const elu0 = performance.eventLoopUtilization();
  const main0 = threadCpuMs();
  const t0 = performance.now();
  if ("batches" in input) for (const b of input.batches) admitted(await e.ingest(b));
  else {
    let lines = 0;
    for (const c of input.json) {
      const res = await e.ingestJsonLines(c, { firstLine: lines + 1, keepEventIds: false });
      if (res.errors.length > 0)
        throw new Error(`wasm-workers: a feed line was refused: ${res.errors[0]!.message}`);
      lines += res.lines;
    }
  }
  await e.advanceTo(flushMs);
  r.wallMs = performance.now() - t0;
  r.mainCpuMs = threadCpuMs() - main0;
  r.elu = performance.eventLoopUtilization(elu0).utilization;
  delay.disable();
  r.delayP99Ms = delay.count > 0 ? delay.percentile(99) / 1e6 : 0;
  // Costs in µs, of every collection of the main thread's heap during the run.
  r.mainGcMs = gc.stop().statistics.reduce((sum, x) => sum + x.cost, 0) / 1000;
  r.busyMs = e.shardBusyMs.map((b, k) => b - (busy0[k] ?? 0));
  r.cpuMs = e.shardCpuMs.map((c, k) => c - (cpu0[k] ?? 0));
  r.load[1] = loadAverage();
}

/** Medians over the runs of one case, kept for the ratios of later cases (see ratioFigures). */
interface WorkerMedians {
  readonly wallMs: number | null;
  readonly mainElu: number | null;
  readonly loopDelayP99Ms: number | null;
  readonly mainCpuMs: number | null;
  /** Shards' CPU time summed (null when unknown or workers: 0). */
  readonly shardCpuMs: number | null;
  /** Main thread + shards' CPU time: what the run cost the machine. */
  readonly cpuMs: number | null;
  /**
   * Main thread's CPU time + the busiest shard's: the wall time of the run on a board with a free core per
   * thread, were the threads never waiting on one another (a lower bound; how the case scales).
   */
  readonly cpuCriticalMs: number | null;
}

const finite = (x: number | null | undefined): number | null =>
  x === null || x === undefined || !Number.isFinite(x) ? null : x;

/** Medians of per-run figures, for the results JSON (per-shard figures keyed by shard index). */
function workerFigures(runs: readonly WorkerRun[]): { extra: CaseExtra; medians: WorkerMedians } {
  const med = (xs: number[]) => (xs.length === 0 ? null : finite(percentile(xs, 50)));
  const shards = Math.max(0, ...runs.map((r) => r.busyMs.length));
  const wall = med(runs.map((r) => r.wallMs));
  const busy: Record<string, number | null> = {};
  const cpu: Record<string, number | null> = {};
  const share: Record<string, number | null> = {};
  const cpuShare: Record<string, number | null> = {};
  for (let k = 0; k < shards; k++) {
    const b = med(runs.map((r) => r.busyMs[k]!));
    busy[k] = b;
    const c = med(runs.map((r) => r.cpuMs[k]!));
    cpu[k] = c;
    // Busy time over wall time: how much of a core the shard's tasks held (1 = a whole core).
    share[k] = b === null || wall === null || wall === 0 ? null : b / wall;
    // CPU time over wall time: how much of a core the shard's thread actually ran.
    cpuShare[k] = c === null || wall === null || wall === 0 ? null : c / wall;
  }
  const shardCpu = shards === 0 ? null : med(runs.map((r) => r.cpuMs.reduce((a, b) => a + b, 0)));
  const mainCpu = med(runs.map((r) => r.mainCpuMs));
  const medians: WorkerMedians = {
    wallMs: wall,
    mainElu: med(runs.map((r) => r.elu)),
    loopDelayP99Ms: med(runs.map((r) => r.delayP99Ms)),
    mainCpuMs: mainCpu,
    shardCpuMs: shardCpu,
    cpuMs: med(runs.map((r) => r.mainCpuMs + r.cpuMs.reduce((a, b) => a + b, 0))),
    cpuCriticalMs: med(runs.map((r) => r.mainCpuMs + Math.max(0, ...r.cpuMs))),
  };
  const loads = runs.flatMap((r) => r.load).filter(Number.isFinite);
  return {
    medians,
    extra: {
      mainElu: medians.mainElu,
      mainEluMax: finite(Math.max(...runs.map((r) => r.elu))),
      loopDelayP99Ms: medians.loopDelayP99Ms,
      loopDelayP99MsMax: finite(Math.max(...runs.map((r) => r.delayP99Ms))),
      wallMs: wall,
      // CPU time of the main thread over a run (the engine's merging, the caller's subscribers, the awaits).
      mainCpuMs: mainCpu,
      mainCpuShare: mainCpu === null || wall === null || wall === 0 ? null : mainCpu / wall,
      // Garbage-collection pauses of the main thread (the bench process's heap, feeds included): part of mainElu.
      mainGcMs: med(runs.map((r) => r.mainGcMs)),
      shardBusyMs: busy,
      // CPU time of each worker's thread over the run (null where the platform does not tell): its tasks and the
      // message handling around them (ShardedOccupancyEngine.shardCpuMs), so it may exceed shardBusyMs, which
      // times the tasks only.
      shardCpuMs: cpu,
      shardCpuTotalMs: shardCpu,
      shardBusyShare: share,
      shardCpuShare: cpuShare,
      // Main thread and shards together: the CPU a run cost, whatever the machine's load.
      cpuMs: medians.cpuMs,
      // Main thread + busiest shard: the wall time with a free core per thread (a lower bound, see WorkerMedians).
      cpuCriticalMs: medians.cpuCriticalMs,
      cpuSource: threadCpuSource(),
      loadAvg1Min: loads.length === 0 ? null : Math.min(...loads),
      loadAvg1Max: loads.length === 0 ? null : Math.max(...loads),
    },
  };
}

/** `a` over `b`, figure by figure (null where either is unknown or b is 0). */
function ratioFigures(a: WorkerMedians, b: WorkerMedians): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const key of Object.keys(a) as (keyof WorkerMedians)[]) {
    const x = a[key];
    const y = b[key];
    out[key] = x === null || y === null || y === 0 ? null : x / y;
  }
  return out;
}

/**
 * `wasm-workers`: what a worker buys on a small gateway. The same feed, as EventBatches (in-order 16k-event
 * batches) and as the JSON Lines bytes a gateway receives (1 MiB chunks), ingested in the caller's thread
 * (`single-thread`, `*-jsonl`: parsing included) and sharded over 1 and 2 workers (parsing split between the
 * workers for JSON), the two shards admitting every event rather than their own zones' (`piscina-2-every`), and
 * on 2 workers of which one holds the engine and the other only parses JSON Lines (`piscina-2-parse`,
 * `shards: 1`). Every case reports, besides throughput, the main thread's event-loop utilisation
 * (`mainElu`), delay p99 (`loopDelayP99Ms`) and CPU time (`mainCpuMs`) over each timed run, and each shard's
 * busy and CPU time next to the wall time (`shardBusyMs`, `shardCpuMs`, their shares of the wall time, and
 * `cpuMs`, the CPU the whole run cost, and `cpuCriticalMs`, main thread + busiest shard: the wall time with a
 * free core per thread), so scaling on a board with more cores can be read from one run on a shared one; `loadAvg1Min`/`Max` say how loaded the machine was. The sharded cases carry ratio entries
 * against the cases measured before them in the same run (`vsWorkers1`, `vsSingleThread`: wall, main ELU,
 * delay p99, main CPU, shard CPU, total CPU). Every timed run's windows are checked against the reference
 * (count and checksum). Baseline `piscina-1`.
 */
export const wasmWorkersSuite: SuiteDefinition = {
  name: "wasm-workers",
  summary:
    "engine from EventBatches and from JSON Lines bytes, 100,000 bays: one thread vs sharded over 1 and 2 workers; main-thread ELU and delay, per-shard busy time",
  async build({ profile }) {
    const { city, flushMs, events } = occupancyFeed(profile);
    const n = OCC[profile].events;
    const json = jsonChunks(events);
    const batches: Uint8Array[] = [];
    for (let i = 0; i < events.length; i += WORKER_BATCH_EVENTS)
      batches.push(
        encodeEvents(events.slice(i, i + WORKER_BATCH_EVENTS), city, undefined, { keepEventIds: false }),
      );
    // Medians of the cases measured so far, by input and workers, for the ratio entries of later cases.
    const measured = new Map<string, WorkerMedians>();
    const cases: CaseSpec[] = [];
    // piscina-2-parse: two workers, one shard; the other worker only parses JSON Lines (shards: 1).
    const modes = [
      { name: "single-thread", workers: 0, shards: 0 },
      { name: "piscina-1", workers: 1, shards: 1 },
      { name: "piscina-2", workers: 2, shards: 2 },
      // The same two shards, each admitting every event (own admission off): what admission by zone saves.
      { name: "piscina-2-every", workers: 2, shards: 2, every: true },
      { name: "piscina-2-parse", workers: 2, shards: 1 },
    ];
    for (const input of ["batches", "jsonl"] as const) {
      for (const { name, workers, shards, every } of modes) {
        const feedInput = input === "batches" ? { batches } : { json };
        const start = async (): Promise<WorkerRun> => {
          const engine = await ShardedOccupancyEngine.create(city, {
            workers,
            ...(workers === 0 ? {} : { shards }),
            ...(every === true ? { splitAdmission: false } : {}),
            kernel: "wasm",
            // Warm workers shared with the engine suite (a gateway keeps its workers running).
            ...(workers === 0 ? {} : { pools: sharedPools(workers) }),
            // Memory for the inputs kept until the first shard checkpoint, touched untimed: a running gateway
            // engine has it mapped already.
            reserveBatchBytes: 32 * 2 * Math.max(batches[0]!.byteLength, JSON_CHUNK_BYTES),
          });
          const r: WorkerRun = {
            engine,
            windows: 0,
            checksum: 0,
            kept: [],
            elu: 0,
            delayP99Ms: 0,
            wallMs: 0,
            mainCpuMs: 0,
            mainGcMs: 0,
            busyMs: [],
            cpuMs: [],
            load: [Number.NaN, Number.NaN],
          };
          engine.windows$.subscribe((w) => {
            r.windows++;
            const c = w.columns!;
            for (let i = 0; i < c.length; i++)
              r.checksum += c.arrivals[i]! + c.departures[i]! + c.peakOccupied[i]!;
          });
          return r;
        };
        const ref = await start();
        ref.engine.windows$.subscribe((w) =>
          ref.kept.push({ windowStart: w.windowStart, windowEnd: w.windowEnd, records: w.records }),
        );
        await feedWorkers(ref, feedInput, flushMs);
        await ref.engine.close();
        const records = windowsJson(ref.kept);
        const caseName = input === "batches" ? name : `${name}-jsonl`;
        const where =
          workers === 0
            ? "ShardedOccupancyEngine, workers: 0 (one wasm engine in the caller's thread)"
            : `ShardedOccupancyEngine, ${workers} worker${workers > 1 ? "s" : ""}, ${shards} shard${shards > 1 ? "s" : ""} (wasm kernel${shards < 2 ? "" : every === true ? "; each shard admits every event" : "; each shard admits its own zones' events once the first window is open"})`;
        cases.push({
          name: caseName,
          eventsPerOp: n,
          extra: {
            workers,
            shards,
            input,
            note:
              input === "batches"
                ? `${where}: every in-order 16k-event batch ingested, then advanceTo past the last event; shards started untimed`
                : `${where}: the feed as JSON Lines in 1 MiB chunks through ingestJsonLines (${workers === 0 ? "parsed in the caller's thread" : "each worker parses its share of the lines"}), then advanceTo; shards started untimed`,
          },
          result: () => records,
          measure: async (timing) => {
            const runs: WorkerRun[] = [];
            const m = await measureRuns({
              timing,
              minSamples: workers === 0 ? undefined : Math.ceil(WORKER_RUNS[profile] / timing.rounds),
              setup: start,
              run: (r) => feedWorkers(r, feedInput, flushMs),
              teardown: (r) => r.engine.close(),
              timedMs: (r) => r.wallMs,
              sampled: (r) => {
                if (r.windows !== ref.windows || r.checksum !== ref.checksum)
                  throw new Error(
                    `wasm-workers: ${caseName} emitted ${r.windows} windows (checksum ${r.checksum}), the reference run ${ref.windows} (${ref.checksum})`,
                  );
                runs.push(r);
              },
            });
            const { extra, medians } = workerFigures(runs);
            if (every !== true) measured.set(`${input}/${workers}/${shards}`, medians);
            // Ratio entries: this case over workers: 1 (and workers: 1 over the caller's thread), same input,
            // same run: wall < 1 is faster, mainElu and cpuMs < 1 cost less.
            const ratios: Record<string, Readonly<Record<string, number | null>>> = {};
            const one = measured.get(`${input}/1/1`);
            const zero = measured.get(`${input}/0/0`);
            if (workers > 1 && one !== undefined) ratios.vsWorkers1 = ratioFigures(medians, one);
            if (workers > 0 && zero !== undefined) ratios.vsSingleThread = ratioFigures(medians, zero);
            return { ...m, extra: { ...m.extra, ...extra, ...ratios } };
          },
        });
      }
    }
    return {
      name: "wasm-workers",
      workload: {
        description:
          "Same catalogue and in-order feed as wasm-occupancy, as 16k-event EventBatches and as JSON Lines (1 MiB chunks, no event ids); each op = the whole feed ingested, then the watermark moved past the last event (close untimed)",
        seed: BENCH_SEED,
        sizes: {
          events: n,
          bays: OCC[profile].bays,
          batchEvents: WORKER_BATCH_EVENTS,
          jsonChunkBytes: JSON_CHUNK_BYTES,
        },
      },
      baseline: "piscina-1",
      cases,
    };
  },
};

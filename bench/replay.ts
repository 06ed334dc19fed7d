/**
 * Feeding encoded batches to an occupancy engine, single-threaded (OccupancyEngine) or sharded over
 * workers (ShardedOccupancyEngine, whose calls return promises), while counting windows, folding a
 * checksum of their columns, keeping their rows for the equality check, timing ingest → emission
 * latency and, for OccupancyEngine, the time spent inside its kernel.
 */
import type { Observable } from "rxjs";
import type { City } from "../src/catalog/index.js";
import {
  OccupancyEngine,
  type OccupancyKernel,
  type OccupancyOptions,
  type WindowBatch,
} from "../src/occupancy/index.js";
import type { KernelKind } from "../src/runtime/index.js";
import { admitted } from "./ingest.js";

/** What both engines offer (ShardedOccupancyEngine's methods return promises). */
export interface Replayable {
  readonly windows$: Observable<WindowBatch>;
  ingest(batch: Uint8Array): unknown;
  advanceTo(timeMs: number): unknown;
  close(): unknown;
}

/** A window's rows as plain data: what every case of a suite must agree on. */
export interface KeptWindow {
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly records: unknown;
}

/** An engine being fed, and what it emitted. */
export interface Replay<E extends Replayable = Replayable> {
  readonly engine: E;
  /** ms from the start of the ingest call to each window emitted inside it (when latency is on). */
  readonly latenciesMs: number[];
  /** Windows kept (when keep is on). */
  readonly kept: KeptWindow[];
  windows: number;
  checksum: number;
  /** ms spent inside the kernel (when timeKernel was installed). */
  kernelMs: number;
  started: number;
}

/** Options of watch. */
export interface WatchOptions {
  /** Keep every window's rows (for the equality check). Default false. */
  readonly keep?: boolean;
  /** Time ingest start → window emission. Default false. */
  readonly latency?: boolean;
}

/** Subscribes to an engine's windows: counts them, folds a checksum, keeps rows, times latency. */
export function watch<E extends Replayable>(engine: E, options: WatchOptions = {}): Replay<E> {
  const r: Replay<E> = {
    engine,
    latenciesMs: [],
    kept: [],
    windows: 0,
    checksum: 0,
    kernelMs: 0,
    started: 0,
  };
  const keep = options.keep === true;
  const latency = options.latency === true;
  engine.windows$.subscribe((w) => {
    if (latency && r.started > 0) r.latenciesMs.push(performance.now() - r.started);
    r.windows++;
    const c = w.columns!;
    let sum = 0;
    for (let i = 0; i < c.length; i++) sum += c.arrivals[i]! + c.departures[i]! + c.peakOccupied[i]!;
    r.checksum += sum;
    if (keep) r.kept.push({ windowStart: w.windowStart, windowEnd: w.windowEnd, records: w.records });
  });
  return r;
}

/**
 * Ingests every batch in order (awaiting each when the engine is asynchronous), then flushes: `"close"`
 * closes the engine; a number moves the watermark to that time (`advanceTo`), which closes the same windows
 * as a close after the last event without tearing the engine down (close it untimed afterwards).
 */
export async function feed(
  r: Replay,
  batches: readonly Uint8Array[],
  flush: "close" | number,
): Promise<void> {
  const e = r.engine;
  for (const b of batches) {
    r.started = performance.now();
    const out = e.ingest(b);
    admitted(out instanceof Promise ? await out : out);
  }
  r.started = 0;
  const done = flush === "close" ? e.close() : e.advanceTo(flush);
  if (done instanceof Promise) await done;
}

/** The same as feed for a synchronous OccupancyEngine, without any await (for benchmark.js closures). */
export function feedSync(r: Replay<OccupancyEngine>, batches: readonly Uint8Array[]): void {
  for (const b of batches) admitted(r.engine.ingest(b));
  r.engine.close();
}

/** A new OccupancyEngine with an explicit kernel, watched. */
export function singleEngine(
  city: City,
  kernel: KernelKind,
  options: Omit<OccupancyOptions, "kernel"> = {},
  watchOptions: WatchOptions = {},
): Replay<OccupancyEngine> {
  return watch(new OccupancyEngine(city, { ...options, kernel }), watchOptions);
}

/**
 * Wraps the engine's kernel so every call into it (stage, admitEvents, applyEvents, sortPending) adds its
 * wall time to `r.kernelMs`. Results are unchanged (the calls are forwarded as they are); the cost is two
 * clock reads per call, and the engine calls its kernel a few times per 8192-event chunk and per window.
 * With `phases`, each call's time is also added there under the kernel function's name.
 * Returns false when the engine's kernel field is not where this expects it (then nothing is timed).
 */
export function timeKernel(r: Replay<OccupancyEngine>, phases?: Record<string, number>): boolean {
  const holder = r.engine as unknown as { k?: OccupancyKernel };
  const k = holder.k;
  if (
    k === undefined ||
    typeof k.admitEvents !== "function" ||
    typeof k.applyEvents !== "function" ||
    typeof k.sortPending !== "function" ||
    typeof k.stage !== "function"
  )
    return false;
  const add = (name: string, ms: number): void => {
    r.kernelMs += ms;
    if (phases !== undefined) phases[name] = (phases[name] ?? 0) + ms;
  };
  const timed: OccupancyKernel = {
    kind: k.kind,
    get copiedBytes() {
      return k.copiedBytes;
    },
    attach: (s) => k.attach(s),
    stage(words) {
      const t = performance.now();
      const out = k.stage(words);
      add("stage", performance.now() - t);
      return out;
    },
    admitEvents(s, words, from, end, baseTimeMs) {
      const t = performance.now();
      const out = k.admitEvents(s, words, from, end, baseTimeMs);
      add("admitEvents", performance.now() - t);
      return out;
    },
    applyEvents(s, limit) {
      const t = performance.now();
      const out = k.applyEvents(s, limit);
      add("applyEvents", performance.now() - t);
      return out;
    },
    sortPending(s) {
      const t = performance.now();
      k.sortPending(s);
      add("sortPending", performance.now() - t);
    },
  };
  holder.k = timed;
  return true;
}

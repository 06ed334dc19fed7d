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
  /** ms spent inside the kernel (added when timeKernel's timing ends). */
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
 * Times the named methods of `target` in place: each outermost call adds its wall time to `phases[name]` (a timed
 * method that calls another timed one counts once). The object stays the one its users hold, so every call takes
 * the path it takes untimed; the cost is two clock reads per call. Returns a function that puts the methods back
 * (the JS kernel is one object shared by every engine, so timing must not outlive the run).
 */
export function timeMethods(
  target: object,
  names: readonly string[],
  phases: Record<string, number>,
): () => void {
  const o = target as Record<string, unknown>;
  const own = new Map<string, PropertyDescriptor | undefined>();
  let depth = 0;
  for (const name of names) {
    const f = o[name];
    if (typeof f !== "function") continue;
    own.set(name, Object.getOwnPropertyDescriptor(o, name));
    phases[name] ??= 0;
    o[name] = function (this: unknown, ...args: unknown[]): unknown {
      if (depth > 0) return f.apply(this, args);
      depth++;
      const t = performance.now();
      try {
        return f.apply(this, args);
      } finally {
        phases[name] = phases[name]! + performance.now() - t;
        depth--;
      }
    };
  }
  return () => {
    for (const [name, d] of own) {
      if (d === undefined) delete o[name];
      else Object.defineProperty(o, name, d);
    }
  };
}

/** The calls `timeKernel` counts as the kernel's: staging a batch into kernel memory, admission, application. */
export const KERNEL_CALLS = ["stageBatch", "stage", "admitEvents", "sortPending", "applyEvents"] as const;

/**
 * Times the engine's kernel in place: every call in `KERNEL_CALLS` adds its wall time to `r.kernelMs` (and, with
 * `phases`, under its name there). The engine keeps its own kernel object, so it runs exactly the path it runs
 * untimed (its staging, its verification scanner, its key resolution); the cost is two clock reads per call, a few
 * per 8192-event chunk and per window. Returns the function that ends the timing (call it when the run is over),
 * or null when the engine's kernel is not where this expects it (then nothing is timed).
 */
export function timeKernel(r: Replay<OccupancyEngine>, phases?: Record<string, number>): (() => void) | null {
  const k = (r.engine as unknown as { k?: OccupancyKernel }).k;
  if (k === undefined || typeof k.admitEvents !== "function" || typeof k.applyEvents !== "function")
    return null;
  const own: Record<string, number> = {};
  const untime = timeMethods(k, KERNEL_CALLS, own);
  return () => {
    untime();
    for (const [name, ms] of Object.entries(own)) {
      r.kernelMs += ms;
      if (phases !== undefined) phases[name] = (phases[name] ?? 0) + ms;
    }
  };
}

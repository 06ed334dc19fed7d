/**
 * Options of the occupancy engine: defaults, limits and validation. Every option says its default
 * and what it costs; invalid options end in a ParkirConfigError listing every problem.
 */
import { type Issue, ParkirConfigError } from "../errors/index.js";
import { defaultKernel, type KernelKind, resolveKernel } from "../runtime/kernel.js";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Options of an OccupancyEngine. All durations are integer milliseconds of event time. */
export interface OccupancyOptions {
  /**
   * Length of the tumbling windows, aligned to the Unix epoch. Default 300 000 (5 min).
   * Cost: one row per zone and class per window; closing is O(zones × classes).
   */
  readonly windowMs?: number;
  /**
   * How far behind the newest event time the watermark trails. Events older than the watermark are late.
   * Default 120 000 (2 min). Cost: events wait this long (in event time) in the pending buffer before they are
   * applied, so `snapshot()` lags by this much.
   */
  readonly allowedLatenessMs?: number;
  /**
   * A sensor with no message for this long becomes unknown (at last message + timeout, in event time) and is
   * reported silent on `health$`. At least `windowMs`, at most 7 days (bay times are 32-bit, see
   * docs/OCCUPANCY.md). Default 14 400 000 (4 h: heartbeats usually
   * come every 3 h). Also the lifetime of a paid session that never ends. Cost: one O(bays) scan in a window
   * where a deadline may fall.
   */
  readonly sensorTimeoutMs?: number;
  /**
   * Clock-skew guard: an event more than this much later than the newest event time or watermark so far is
   * refused, alone (counted in `clockSkew` and described in the ingest result's `skew`; the rest of its batch
   * is admitted and the state is as if it never arrived), since accepting it would move the watermark that
   * far and close every window in between (a sensor clock years ahead would close millions). A fresh engine
   * measures from the clock (`clockGuard`) or else from its first batch's median time, both ways, so an
   * outlier cannot become the reference. Default 604 800 000 (7 days: by then every sensor has timed out
   * anyway); raise it to accept a gateway's backlog after a longer outage, or move the watermark on purpose
   * with `advanceTo`.
   */
  readonly maxTimeJumpMs?: number;
  /**
   * Live feeds: event times are checked against `clock()` too. An event more than maxTimeJumpMs after the
   * clock is refused, a fresh engine refuses events more than maxTimeJumpMs before it, and `checkpoint()`
   * refuses (ParkirClockError) to save state whose newest event lies that far after the clock. Default false:
   * replays of recorded data and virtual test clocks must not be measured against the wall clock.
   */
  readonly clockGuard?: boolean;
  /**
   * Where a fresh engine without clockGuard expects the feed to start, ms since the epoch: until it accepts
   * its first event it refuses events more than maxTimeJumpMs from this time. `parkir replay` passes the median
   * time of the feed's first events, so an event at time 0 alone in the first batch cannot become the
   * reference. Default: none (a fresh engine measures its first batch from that batch's own median).
   */
  readonly referenceTimeMs?: number;
  /** Below this coverage a window row reports `occupancy: null`. Default 0.5. */
  readonly minCoverage?: number;
  /**
   * Half-life of the confidence of an attendant's count: confidence = 2^(−age / halfLife), age measured at
   * the window end. Default 3 600 000 (1 h).
   */
  readonly countHalfLifeMs?: number;
  /**
   * Most accepted events waiting for the watermark. When exceeded, the watermark is forced forward so that
   * fewer remain (counted in `counters.forcedWatermark`); events behind the forced watermark then count as
   * late. Default 1 048 576. Cost: about 32 bytes per waiting event, allocated as the buffer fills.
   */
  readonly pendingMax?: number;
  /**
   * Most open paid sessions remembered; beyond it the oldest is closed without a departure (counted).
   * Default 262 144. Cost: one Map entry per open session.
   */
  readonly sessionsMax?: number;
  /** Most payment (kind, session) keys remembered for de-duplication. Default 262 144. */
  readonly paymentKeysMax?: number;
  /** Most late events described one by one on `late$` per ingest call (the count is always exact). Default 1000. */
  readonly lateDetailsMax?: number;
  /** Most sensor health changes described on `health$` per ingest call (counts are exact). Default 10 000. */
  readonly healthDetailsMax?: number;
  /**
   * Reuse the column buffers of emitted windows. Then a batch's `columns` and `changedRows` (and its `records`,
   * unless read before) are valid during its `windows$` emission and until the engine closes its next window or
   * is called again; reading them later throws, `detach()` keeps a copy. Default false. Saves allocating ~90
   * bytes per row per window: fresh memory costs page faults, which otherwise dominate closing windows on large
   * cities. Each window is emitted as soon as it is closed (after the health and late reports gathered before
   * it), in the columns the engine keeps of the last window, which a close updates in place: only the rows that
   * changed are written, and nothing is copied (do not write into the columns). With the wasm kernel those
   * columns lie in its shared memory (views of a SharedArrayBuffer), where it closes each window's rows. A
   * worker shard's engine instead closes into up to 16 reused column sets per call.
   */
  readonly reuseWindowBuffers?: boolean;
  /**
   * Implementation of the hot loops: "wasm" (the AssemblyScript port, state in a shared WebAssembly.Memory)
   * or "js" (the reference). Same results either way. Default: "wasm" where this JavaScript engine has
   * WebAssembly with shared memory and the kernels are built, else "js"; an explicit "wasm" that cannot run
   * throws ParkirRuntimeError. Cost of wasm: batches in the JavaScript heap are copied into the shared memory
   * once (24 bytes per event).
   */
  readonly kernel?: KernelKind;
  /**
   * Processing-time clock in ms (`Date.now` by default). Only processing-time features read it: `tick()`,
   * the `detectedAtMs` of health reports and, with `clockGuard`, the clock-skew guard. Tests pass a virtual clock.
   */
  readonly clock?: () => number;
  /**
   * With `tick()`: when no batch was ingested for this long (processing time), the watermark moves to
   * `clock() − allowedLatenessMs` so windows close on a quiet feed. 0 disables. Default 0.
   */
  readonly idleAdvanceMs?: number;
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  readonly windowMs: number;
  readonly allowedLatenessMs: number;
  readonly sensorTimeoutMs: number;
  readonly maxTimeJumpMs: number;
  readonly minCoverage: number;
  readonly countHalfLifeMs: number;
  readonly pendingMax: number;
  readonly sessionsMax: number;
  readonly paymentKeysMax: number;
  readonly lateDetailsMax: number;
  readonly healthDetailsMax: number;
  readonly idleAdvanceMs: number;
  readonly reuseWindowBuffers: boolean;
  readonly clockGuard: boolean;
  readonly referenceTimeMs: number | undefined;
  readonly kernel: KernelKind;
  /** Processing-time clock in ms (see OccupancyOptions.clock). */
  readonly clock: () => number;
}

/** Default option values. */
export const DEFAULT_OPTIONS = {
  windowMs: 5 * MINUTE_MS,
  allowedLatenessMs: 2 * MINUTE_MS,
  sensorTimeoutMs: 4 * HOUR_MS,
  maxTimeJumpMs: 7 * DAY_MS,
  minCoverage: 0.5,
  countHalfLifeMs: HOUR_MS,
  pendingMax: 1 << 20,
  sessionsMax: 1 << 18,
  paymentKeysMax: 1 << 18,
  lateDetailsMax: 1000,
  healthDetailsMax: 10_000,
  idleAdvanceMs: 0,
} as const;

/** Range of each numeric option: [min, max, integer]. */
const NUMERIC_OPTIONS: Readonly<Record<string, readonly [number, number, boolean]>> = {
  windowMs: [1, 7 * DAY_MS, true],
  allowedLatenessMs: [0, 7 * DAY_MS, true],
  sensorTimeoutMs: [1, 7 * DAY_MS, true],
  maxTimeJumpMs: [MINUTE_MS, 365 * DAY_MS, true],
  minCoverage: [0, 1, false],
  countHalfLifeMs: [1, 90 * DAY_MS, true],
  pendingMax: [1024, 1 << 26, true],
  sessionsMax: [1, 1 << 24, true],
  paymentKeysMax: [1, 1 << 24, true],
  lateDetailsMax: [0, 1 << 20, true],
  healthDetailsMax: [0, 1 << 20, true],
  idleAdvanceMs: [0, 90 * DAY_MS, true],
  referenceTimeMs: [0, 8.64e15, true],
};

/** What is wrong with one option's value, or undefined when it is valid (undefined means "default"). */
function optionProblem(key: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  const range = NUMERIC_OPTIONS[key];
  if (range !== undefined) {
    const [min, max, integer] = range;
    if (typeof v !== "number" || !Number.isFinite(v)) return `expected a number, got ${typeof v}`;
    if (integer && !Number.isInteger(v)) return "must be an integer";
    return v < min || v > max ? `must be between ${min} and ${max}` : undefined;
  }
  switch (key) {
    case "reuseWindowBuffers":
    case "clockGuard":
      return typeof v === "boolean" ? undefined : `expected a boolean, got ${typeof v}`;
    case "kernel":
      return v === "wasm" || v === "js" ? undefined : 'must be "wasm" or "js"';
    case "clock":
      return typeof v === "function" ? undefined : "must be a function returning ms";
    default:
      return "unknown option";
  }
}

/**
 * Validates options and fills in defaults.
 *
 * @throws ParkirConfigError listing every invalid option.
 */
export function resolveOptions(options: OccupancyOptions = {}): ResolvedOptions {
  if (typeof options !== "object" || options === null)
    throw new ParkirConfigError("occupancy options", [{ path: "", message: "expected an object" }]);
  const issues: Issue[] = [];
  for (const [key, value] of Object.entries(options)) {
    const problem = optionProblem(key, value);
    if (problem !== undefined) issues.push({ path: key, message: problem });
  }
  if (issues.length > 0) throw new ParkirConfigError("occupancy options", issues);
  const o = options;
  const r: ResolvedOptions = {
    windowMs: o.windowMs ?? DEFAULT_OPTIONS.windowMs,
    allowedLatenessMs: o.allowedLatenessMs ?? DEFAULT_OPTIONS.allowedLatenessMs,
    sensorTimeoutMs: o.sensorTimeoutMs ?? DEFAULT_OPTIONS.sensorTimeoutMs,
    maxTimeJumpMs: o.maxTimeJumpMs ?? DEFAULT_OPTIONS.maxTimeJumpMs,
    minCoverage: o.minCoverage ?? DEFAULT_OPTIONS.minCoverage,
    countHalfLifeMs: o.countHalfLifeMs ?? DEFAULT_OPTIONS.countHalfLifeMs,
    pendingMax: o.pendingMax ?? DEFAULT_OPTIONS.pendingMax,
    sessionsMax: o.sessionsMax ?? DEFAULT_OPTIONS.sessionsMax,
    paymentKeysMax: o.paymentKeysMax ?? DEFAULT_OPTIONS.paymentKeysMax,
    lateDetailsMax: o.lateDetailsMax ?? DEFAULT_OPTIONS.lateDetailsMax,
    healthDetailsMax: o.healthDetailsMax ?? DEFAULT_OPTIONS.healthDetailsMax,
    idleAdvanceMs: o.idleAdvanceMs ?? DEFAULT_OPTIONS.idleAdvanceMs,
    reuseWindowBuffers: o.reuseWindowBuffers ?? false,
    clockGuard: o.clockGuard ?? false,
    referenceTimeMs: o.referenceTimeMs,
    kernel: resolveKernel(o.kernel ?? defaultKernel(), ["occupancy"]),
    clock: o.clock ?? Date.now,
  };
  if (r.sensorTimeoutMs < r.windowMs) {
    throw new ParkirConfigError("occupancy options", [
      {
        path: "sensorTimeoutMs",
        message: `must be at least windowMs (${r.windowMs}); a sensor cannot time out twice in one window`,
      },
    ]);
  }
  return r;
}

/**
 * The options that change results, as canonical JSON (stored in checkpoints). `maxTimeJumpMs` is written only
 * when it is not the default, so checkpoints from before it existed stay canonical.
 */
export function semanticOptionsJson(o: ResolvedOptions): string {
  return JSON.stringify({
    windowMs: o.windowMs,
    allowedLatenessMs: o.allowedLatenessMs,
    sensorTimeoutMs: o.sensorTimeoutMs,
    minCoverage: o.minCoverage,
    countHalfLifeMs: o.countHalfLifeMs,
    pendingMax: o.pendingMax,
    sessionsMax: o.sessionsMax,
    paymentKeysMax: o.paymentKeysMax,
    ...(o.maxTimeJumpMs === DEFAULT_OPTIONS.maxTimeJumpMs ? {} : { maxTimeJumpMs: o.maxTimeJumpMs }),
  });
}

/** Names of the options that change results (they must match when restoring a checkpoint). */
export const SEMANTIC_OPTIONS = [
  "windowMs",
  "allowedLatenessMs",
  "sensorTimeoutMs",
  "minCoverage",
  "countHalfLifeMs",
  "pendingMax",
  "sessionsMax",
  "paymentKeysMax",
  "maxTimeJumpMs",
] as const;

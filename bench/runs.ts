/**
 * Self-timed runs for cases whose one-time setup must stay out of the timing: a run's state (a new
 * engine, a sharded engine on warm workers) is prepared untimed before each run and disposed of untimed
 * after it, so the figures are what a long-lived engine sustains, not what building one costs. The setup
 * time is reported next to the rate (`setupMs`), never hidden.
 *
 * Timing follows the round's benchmark.js settings: untimed warm-up runs for `warmupTime` (at least
 * one), then timed runs until both `minSamples` runs and `maxTime` seconds are reached.
 */
import type { Measurement, RoundTiming } from "./harness.js";
import { median, summarizeTimings } from "./stats.js";

/** What measureRuns times. */
export interface RunsSpec<S> {
  /** Timing of the round in progress (what the harness passes to `measure`); its `verify` checks every run. */
  readonly timing: RoundTiming;
  /** Prepares one run's state, untimed (e.g. a new engine). */
  readonly setup: () => S | Promise<S>;
  /** The timed operation. */
  readonly run: (state: S) => unknown;
  /**
   * What a run computed, checked by `timing.verify` after every run (warm-up included), untimed. Default: the
   * run's return value, or when that is undefined and the state counts `windows` and a `checksum` (a Replay),
   * `{ windows, checksum }`.
   */
  readonly result?: (state: S) => unknown;
  /** Disposes of the state after a run, untimed (e.g. close the engine). */
  readonly teardown?: (state: S) => unknown;
  /**
   * Milliseconds of the last run that count, when only part of it is the measured thing (e.g. the kernel's
   * share of an engine replay). Default: the run's wall time.
   */
  readonly timedMs?: (state: S) => number;
  /** Timed runs at least (default: the profile's minSamples). For cases whose setup takes seconds. */
  readonly minSamples?: number;
  /** Called with each timed run's state after teardown (e.g. to collect a second figure from the same runs). */
  readonly sampled?: (state: S) => void;
}

/** `{ windows, checksum }` of a state that counts them (bench/replay.ts Replay), else undefined. */
function replayFigures(state: unknown): unknown {
  if (typeof state !== "object" || state === null) return undefined;
  const { windows, checksum } = state as { windows?: unknown; checksum?: unknown };
  return typeof windows === "number" && typeof checksum === "number" ? { windows, checksum } : undefined;
}

/** Upper bound on timed runs (fast operations would otherwise take thousands of samples). */
const MAX_RUNS = 60;

/**
 * Times `run` over fresh states and returns hz, rme and samples as benchmark.js would, plus the median
 * setup time in `extra.setupMs`.
 *
 * @example
 * const m = await measureRuns({
 *   timing, // the argument of the case's measure(timing)
 *   setup: () => singleEngine(city, "wasm"),
 *   run: (r) => feedSync(r, batches),
 * });
 */
export async function measureRuns<S>(spec: RunsSpec<S>): Promise<Measurement> {
  const timing = spec.timing;
  const setups: number[] = [];
  const once = async (timed: boolean): Promise<number> => {
    const s0 = performance.now();
    const state = await spec.setup();
    setups.push(performance.now() - s0);
    const t0 = performance.now();
    const returned = await spec.run(state);
    const wall = performance.now() - t0;
    // A run that reports nothing is not checked (its case shows runCheck "none").
    const value = spec.result !== undefined ? spec.result(state) : (returned ?? replayFigures(state));
    if (value !== undefined) timing.verify?.(value);
    await spec.teardown?.(state);
    if (timed) spec.sampled?.(state);
    return spec.timedMs === undefined ? wall : spec.timedMs(state);
  };
  const warmupEnd = performance.now() + timing.warmupTime * 1000;
  do await once(false);
  while (performance.now() < warmupEnd);
  const times: number[] = [];
  const started = performance.now();
  while (
    times.length < Math.max(2, spec.minSamples ?? timing.minSamples) ||
    (performance.now() - started < timing.maxTime * 1000 && times.length < MAX_RUNS)
  ) {
    times.push(await once(true));
  }
  const t = summarizeTimings(times);
  return { hz: t.hz, rme: t.rme, samples: t.samples, timesMs: times, extra: { setupMs: median(setups) } };
}

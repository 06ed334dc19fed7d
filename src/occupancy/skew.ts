/**
 * The clock-skew guard, event by event: which events of a verified batch lie too far from the engine's
 * reference time to be accepted. A refused event costs only itself: the rest of its batch is admitted as if
 * it were not there, and the engine's state is what it would be without it. See docs/OCCUPANCY.md, "Event
 * time you cannot trust".
 */
import { ParkirClockError } from "../errors/index.js";
import type { EventBatchView } from "../wire/view.js";
import type { ResolvedOptions } from "./options.js";
import type { ClockSkewReport } from "./reports.js";

/** What the reference of a clock-skew check was (see ClockSkewReport.reference). */
export type SkewReference = ClockSkewReport["reference"];

/** The event times an engine accepts now: [loMs, hiMs], measured from `referenceMs`. */
export interface TimeBounds {
  readonly loMs: number;
  readonly hiMs: number;
  readonly referenceMs: number;
  readonly reference: SkewReference;
  readonly limitMs: number;
}

/** Events of one batch refused for their time: indices in ascending order, and the report. */
export interface ScreenedTimes {
  readonly count: number;
  readonly refused: Int32Array;
  readonly report: ClockSkewReport;
}

/** Indices of refused events listed in a ClockSkewReport. */
export const SKEW_DETAILS_MAX = 16;

/**
 * The events of `view` outside `bounds`, or null when there are none (the common case costs one pass over
 * the times and allocates nothing).
 */
export function screenEventTimes(view: EventBatchView, bounds: TimeBounds): ScreenedTimes | null {
  const n = view.length;
  if (n === 0) return null;
  const { minMs, maxMs } = view.timeRange();
  if (minMs >= bounds.loMs && maxMs <= bounds.hiMs) return null;
  const refused: number[] = [];
  let early = 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const t = view.timeMs(i);
    if (t >= bounds.loMs && t <= bounds.hiMs) continue;
    refused.push(i);
    if (t < bounds.loMs) early++;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  const count = refused.length;
  return {
    count,
    refused: Int32Array.from(refused),
    report: {
      count,
      ahead: count - early,
      behind: early,
      reference: bounds.reference,
      referenceMs: bounds.referenceMs,
      limitMs: bounds.limitMs,
      minMs: lo,
      maxMs: hi,
      indices: refused.slice(0, SKEW_DETAILS_MAX),
    },
  };
}

/**
 * The times a fresh engine without a trusted clock accepts from its first batch: the run of event times
 * around the batch's median (the lower median for an even count) in which no two consecutive times lie more
 * than `limitMs` apart. Later batches refuse an event more than `limitMs` after everything before it; this
 * applies the same rule to the first batch in both directions, starting from its middle, so an outlier at
 * either end cannot become the reference. When the whole batch spans at most `limitMs`, nothing is sorted.
 */
export function firstBatchBounds(
  view: EventBatchView,
  limitMs: number,
): { readonly loMs: number; readonly hiMs: number; readonly medianMs: number } {
  const n = view.length;
  if (n === 0) return { loMs: Number.NaN, hiMs: Number.NaN, medianMs: Number.NaN };
  const { minMs, maxMs } = view.timeRange();
  if (maxMs - minMs <= limitMs) return { loMs: minMs, hiMs: maxMs, medianMs: minMs };
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) times[i] = view.timeMs(i);
  times.sort();
  const m = (n - 1) >>> 1;
  let lo = m;
  while (lo > 0 && times[lo]! - times[lo - 1]! <= limitMs) lo--;
  let hi = m;
  while (hi < n - 1 && times[hi + 1]! - times[hi]! <= limitMs) hi++;
  return { loMs: times[lo]!, hiMs: times[hi]!, medianMs: times[m]! };
}

/** One line for people about the events a batch lost to the clock-skew guard. */
export function describeSkew(r: ClockSkewReport): string {
  const iso = (t: number) => new Date(t).toISOString();
  const days = (r.limitMs / 86_400_000).toFixed(1);
  const from =
    r.reference === "clock"
      ? `the clock (${iso(r.referenceMs)})`
      : r.reference === "given"
        ? `the feed's expected start (${iso(r.referenceMs)})`
        : r.reference === "batch"
          ? `the median time of the first batch, across a gap of more than the limit (${iso(r.referenceMs)})`
          : `the newest event or watermark so far (${iso(r.referenceMs)})`;
  return (
    `refused ${r.count} event(s) more than ${days} days (maxTimeJumpMs) from ${from}, ` +
    `times ${iso(r.minMs)}${r.maxMs !== r.minMs ? ` to ${iso(r.maxMs)}` : ""} (a sensor or gateway clock is wrong)`
  );
}

/**
 * With clockGuard: state whose newest event lies more than `limitMs` after the clock was built on a wrong
 * clock (accepted before the guard, or the clock was reset); saving or restoring it would make every later
 * event of the real feed look late.
 *
 * @throws ParkirClockError
 */
export function assertClockState(maxEventMs: number, nowMs: number, limitMs: number): void {
  if (maxEventMs - nowMs > limitMs) throw new ParkirClockError(maxEventMs, nowMs, limitMs, "state");
}

/**
 * The clock-skew guard (options maxTimeJumpMs, clockGuard): the event times an engine accepts now, `dataMs` being
 * what it measures jumps from (its newest event time or watermark; −∞ in a fresh engine). Later
 * than maxTimeJumpMs past the newest event time or watermark so far is refused; with clockGuard, so is later
 * than maxTimeJumpMs past clock(). A fresh engine has no data of its own yet: with clockGuard it accepts
 * clock() ± maxTimeJumpMs, else referenceTimeMs ± maxTimeJumpMs when given, else the events around its first batch's median time that no gap of more than
 * maxTimeJumpMs separates from it (firstBatchBounds), so one outlier in its first batch cannot become the
 * reference every later event is measured against.
 */
export function acceptedTimes(
  options: Pick<ResolvedOptions, "maxTimeJumpMs" | "clockGuard" | "clock" | "referenceTimeMs">,
  dataMs: number,
  view: EventBatchView,
): TimeBounds {
  const limitMs = options.maxTimeJumpMs;
  // With data of its own, an engine measures from it (with clockGuard, unless the data lies ahead of the clock).
  const hasData = Number.isFinite(dataMs);
  const nowMs = options.clockGuard ? options.clock() : Number.NaN;
  if (hasData && !(dataMs > nowMs))
    return {
      loMs: Number.NEGATIVE_INFINITY,
      hiMs: dataMs + limitMs,
      referenceMs: dataMs,
      reference: "data",
      limitMs,
    };
  if (options.clockGuard)
    return {
      loMs: hasData ? Number.NEGATIVE_INFINITY : nowMs - limitMs,
      hiMs: nowMs + limitMs,
      referenceMs: nowMs,
      reference: "clock",
      limitMs,
    };
  const given = options.referenceTimeMs;
  if (given !== undefined)
    return {
      loMs: given - limitMs,
      hiMs: given + limitMs,
      referenceMs: given,
      reference: "given",
      limitMs,
    };
  const first = firstBatchBounds(view, limitMs);
  return { loMs: first.loMs, hiMs: first.hiMs, referenceMs: first.medianMs, reference: "batch", limitMs };
}

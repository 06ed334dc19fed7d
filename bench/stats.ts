/**
 * Small statistics for measurements benchmark.js does not take itself (child-process runs,
 * latency distributions): mean, relative margin of error, percentiles.
 */

// Two-sided 95 % Student t critical values for 1..30 degrees of freedom (the table benchmark.js uses).
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** Summary of repeated timings of one operation. */
export interface TimingSummary {
  /** Operations per second (1 / mean seconds). */
  readonly hz: number;
  /** Relative margin of error of the mean at 95 %, in percent. */
  readonly rme: number;
  /** Number of timings. */
  readonly samples: number;
  /** Mean time per operation, ms. */
  readonly meanMs: number;
}

/**
 * Summarises timings in ms the way benchmark.js does (mean, 95 % relative margin of error).
 *
 * @example summarizeTimings([10, 11, 9]).hz // ≈ 100
 */
export function summarizeTimings(timesMs: readonly number[]): TimingSummary {
  const n = timesMs.length;
  if (n === 0) throw new RangeError("summarizeTimings needs at least one timing");
  let sum = 0;
  for (const t of timesMs) sum += t;
  const mean = sum / n;
  let sq = 0;
  for (const t of timesMs) sq += (t - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(sq / (n - 1)) : 0;
  const critical = n > 1 ? (T95[n - 2] ?? 1.96) : 0;
  const rme = mean > 0 ? ((critical * sd) / Math.sqrt(n) / mean) * 100 : 0;
  return { hz: mean > 0 ? 1000 / mean : 0, rme, samples: n, meanMs: mean };
}

/**
 * The p-th percentile (0..100) of values by nearest rank. Sorts a copy.
 *
 * @example percentile([1, 2, 3, 4], 50) // 2
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return sorted[rank - 1]!;
}

/** Median of values (50th percentile by nearest rank). */
export function median(values: ArrayLike<number>): number {
  return percentile(values, 50);
}

/** Durations in policy documents: a whole number and a unit, e.g. `"15m"`, `"1h"`, `"28d"`. */

/** Milliseconds per duration unit. */
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Pattern a duration string must match. */
export const DURATION_PATTERN = /^([1-9]\d{0,9})(ms|s|m|h|d|w)$/;

/**
 * Parses a policy duration into ms, or NaN when it is not one. Days are 24 h of elapsed time
 * (not local calendar days).
 *
 * @example parseDurationMs("28d") // 2419200000
 */
export function parseDurationMs(text: string): number {
  const m = DURATION_PATTERN.exec(text);
  if (m === null) return Number.NaN;
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  return Number.isSafeInteger(ms) ? ms : Number.NaN;
}

/** Formats ms as the shortest exact policy duration (`3600000` → `"1h"`). */
export function formatDuration(ms: number): string {
  for (const unit of ["w", "d", "h", "m", "s"] as const) {
    const size = UNIT_MS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

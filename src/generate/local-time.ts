/**
 * Local hour and weekday of each simulated hour, from the city's IANA time zone through Intl (never a
 * hard-coded offset), computed once per hour slot so the simulation loop does no date arithmetic.
 */

/** Milliseconds per hour. */
export const HOUR_MS = 3_600_000;

/** Local calendar facts of consecutive one-hour slots starting at `firstSlotMs`. */
export interface LocalSlots {
  /** Start of slot 0 (a whole UTC hour). */
  readonly firstSlotMs: number;
  /** Local hour 0..23 at the start of each slot. */
  readonly hour: Uint8Array;
  /** Local weekday at the start of each slot, 0 = Sunday. */
  readonly weekday: Uint8Array;
}

const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/**
 * Local hour and weekday for every UTC hour slot covering [fromMs, toMs).
 *
 * @example
 * const s = localSlots("Asia/Makassar", Date.parse("2026-11-30T00:00:00+08:00"), Date.parse("2026-11-30T02:00:00+08:00"));
 * s.hour[0]; // 0 (Monday 00:00 in Palu)
 */
export function localSlots(timeZone: string, fromMs: number, toMs: number): LocalSlots {
  const firstSlotMs = Math.floor(fromMs / HOUR_MS) * HOUR_MS;
  const count = Math.max(1, Math.ceil((toMs - firstSlotMs) / HOUR_MS));
  const fmt = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hour: "numeric",
    hourCycle: "h23",
    weekday: "short",
  });
  const hour = new Uint8Array(count);
  const weekday = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    let h = 0;
    let w = 0;
    for (const part of fmt.formatToParts(firstSlotMs + i * HOUR_MS)) {
      if (part.type === "hour") h = Number(part.value) % 24;
      else if (part.type === "weekday") w = WEEKDAYS[part.value] ?? 0;
    }
    hour[i] = h;
    weekday[i] = w;
  }
  return { firstSlotMs, hour, weekday };
}

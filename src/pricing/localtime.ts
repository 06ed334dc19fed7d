/**
 * Local civil time in an IANA time zone, from Intl alone (no hand-written tables). Intl calls are
 * slow (about a microsecond each), so a clock computes offsets only where it must — at local
 * midnights and band boundaries — and caches one record per local day.
 */

/** Milliseconds in 24 h. */
export const DAY_MS = 86_400_000;

/** One local calendar day. */
export interface LocalDay {
  /** Days since 1970-01-01 of the local date (local midnight as if it were UTC, divided by 24 h). */
  readonly dayNumber: number;
  /** Instant of the local midnight that starts the day (ms since the epoch). */
  readonly startMs: number;
  /** Instant of the next local midnight (23, 24 or 25 h later around daylight-saving switches). */
  readonly endMs: number;
  /** Day of the week, 0 = Sunday … 6 = Saturday. */
  readonly weekday: number;
  /** Local date as `YYYY-MM-DD`. */
  readonly date: string;
}

/** Bound on cached days per clock; the cache is cleared when it grows past this. */
const DAY_CACHE_MAX = 20_000;
const FORMATS = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let f = FORMATS.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    FORMATS.set(timeZone, f);
  }
  return f;
}

/**
 * Local time of one IANA time zone.
 *
 * @example
 * const clock = LocalClock.for("Asia/Makassar");
 * clock.offsetMs(Date.parse("2026-01-01T00:00:00Z")); // 28800000 (UTC+8)
 */
export class LocalClock {
  /** IANA time zone name. */
  readonly timeZone: string;
  private readonly format: Intl.DateTimeFormat;
  private readonly days = new Map<number, LocalDay>();
  private static readonly clocks = new Map<string, LocalClock>();

  private constructor(timeZone: string) {
    this.timeZone = timeZone;
    this.format = formatFor(timeZone);
  }

  /** The shared clock of a time zone (clocks are cached; their day caches are bounded). */
  static for(timeZone: string): LocalClock {
    let c = LocalClock.clocks.get(timeZone);
    if (c === undefined) {
      c = new LocalClock(timeZone);
      LocalClock.clocks.set(timeZone, c);
    }
    return c;
  }

  /** UTC offset in ms at instant `t` (local wall time = t + offset). One Intl call. */
  offsetMs(t: number): number {
    let y = 0;
    let mo = 0;
    let d = 0;
    let h = 0;
    let mi = 0;
    let s = 0;
    for (const p of this.format.formatToParts(t)) {
      switch (p.type) {
        case "year":
          y = Number(p.value);
          break;
        case "month":
          mo = Number(p.value);
          break;
        case "day":
          d = Number(p.value);
          break;
        case "hour":
          h = Number(p.value) % 24;
          break;
        case "minute":
          mi = Number(p.value);
          break;
        case "second":
          s = Number(p.value);
          break;
      }
    }
    const wall = Date.UTC(y, mo - 1, d, h, mi, s);
    return wall - (t - mod(t, 1000));
  }

  /**
   * The instant at which local wall time `wallMs` (local time written as if it were UTC) occurs.
   * Ambiguous times (clocks set back) give the earlier instant; times skipped by a forward switch
   * give the instant of the switch, so boundaries stay in order.
   */
  wallToUtc(wallMs: number): number {
    const before = this.offsetMs(wallMs - DAY_MS);
    const after = this.offsetMs(wallMs + DAY_MS);
    let best = Number.NaN;
    for (const off of before === after ? [before] : [before, after]) {
      const u = wallMs - off;
      if (this.offsetMs(u) === off && !(u >= best)) best = u;
    }
    if (!Number.isNaN(best)) return best;
    // A gap: find the first instant whose offset is the later one (binary search, rare).
    let lo = Math.min(wallMs - before, wallMs - after);
    let hi = Math.max(wallMs - before, wallMs - after);
    const later = this.offsetMs(hi);
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.offsetMs(mid) === later) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  /** The local day with the given day number (cached). */
  day(dayNumber: number): LocalDay {
    let d = this.days.get(dayNumber);
    if (d !== undefined) return d;
    if (this.days.size >= DAY_CACHE_MAX) this.days.clear();
    const wall = dayNumber * DAY_MS;
    d = Object.freeze({
      dayNumber,
      startMs: this.wallToUtc(wall),
      endMs: this.wallToUtc(wall + DAY_MS),
      weekday: mod(dayNumber + 4, 7),
      date: new Date(wall).toISOString().slice(0, 10),
    });
    this.days.set(dayNumber, d);
    return d;
  }

  /** Day number of the local day containing instant `t`. */
  dayNumberOf(t: number): number {
    const n = Math.floor((t + this.offsetMs(t)) / DAY_MS);
    // Guard against a midnight that does not exist (switch at 00:00): trust the day records.
    const d = this.day(n);
    if (t < d.startMs) return n - 1;
    if (t >= d.endMs) return n + 1;
    return n;
  }

  /** The local day containing instant `t`. */
  dayOf(t: number): LocalDay {
    return this.day(this.dayNumberOf(t));
  }

  /**
   * ISO-8601 local time with the zone's offset, to the second (ms when non-zero).
   *
   * @example LocalClock.for("Asia/Makassar").iso(0) // "1970-01-01T08:00:00+08:00"
   */
  iso(t: number): string {
    const off = this.offsetMs(t);
    const wall = new Date(t + off).toISOString(); // "YYYY-MM-DDTHH:MM:SS.mmmZ"
    const body = wall.endsWith(".000Z") ? wall.slice(0, 19) : wall.slice(0, 23);
    const sign = off < 0 ? "-" : "+";
    const a = Math.abs(off) / 60_000;
    const hh = String(Math.floor(a / 60)).padStart(2, "0");
    const mm = String(Math.floor(a % 60)).padStart(2, "0");
    return `${body}${sign}${hh}:${mm}`;
  }
}

/** Parses `YYYY-MM-DD` into a day number (days since 1970-01-01), or NaN when it is not a real date. */
export function dayNumberOfDate(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (m === null) return Number.NaN;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(ms).toISOString().slice(0, 10) !== date) return Number.NaN;
  return ms / DAY_MS;
}

/** Parses local time of day `HH:MM` (00:00 … 24:00) into minutes, or NaN. */
export function minuteOfDay(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (m === null) return Number.NaN;
  const h = Number(m[1]);
  const mi = Number(m[2]);
  if (mi > 59 || h > 24 || (h === 24 && mi !== 0)) return Number.NaN;
  return h * 60 + mi;
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/**
 * Query parameters of the feeds, validated at the boundary: a bad value is a `ParkirParamError`
 * (the handler turns it into an RFC 9457 problem document with status 400).
 */
import { ParkirError } from "../errors/index.js";

/** A query parameter the feeds refuse. */
export class ParkirParamError extends ParkirError {
  override readonly name = "ParkirParamError";
  /** The parameter. */
  readonly parameter: string;
  constructor(parameter: string, message: string) {
    super(`${parameter}: ${message}`);
    this.parameter = parameter;
  }
}

/** Feed limits. Every page and time span has one. */
export interface FeedLimits {
  /** Largest page (events, entities). Default 1,000. */
  readonly pageMax: number;
  /** Page size when none is asked. Default 100. */
  readonly pageDefault: number;
  /** Longest events query span, ms. Default 24 h. */
  readonly eventsSpanMaxMs: number;
  /** Longest metrics query span, ms. Default 31 days. */
  readonly metricsSpanMaxMs: number;
}

/** Default limits. */
export const DEFAULT_LIMITS: FeedLimits = {
  pageMax: 1000,
  pageDefault: 100,
  eventsSpanMaxMs: 24 * 3_600_000,
  metricsSpanMaxMs: 31 * 86_400_000,
};

/** Reads optional query parameters; refuses any not in `allowed` and repeated ones. */
export class Params {
  constructor(
    private readonly q: URLSearchParams,
    allowed: readonly string[],
  ) {
    const seen = new Set<string>();
    for (const k of q.keys()) {
      if (!allowed.includes(k))
        throw new ParkirParamError(k, `unknown parameter (allowed: ${allowed.join(", ") || "none"})`);
      if (seen.has(k)) throw new ParkirParamError(k, "given more than once");
      seen.add(k);
    }
  }

  /** A string parameter, or undefined. */
  str(name: string, maxLength = 200): string | undefined {
    const v = this.q.get(name);
    if (v === null) return undefined;
    if (v.length === 0 || v.length > maxLength)
      throw new ParkirParamError(name, `must be 1 to ${maxLength} characters`);
    return v;
  }

  /** One of `values`, or undefined. */
  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    if (!(values as readonly string[]).includes(v))
      throw new ParkirParamError(name, `must be one of ${values.join(", ")}`);
    return v as T;
  }

  /** An integer in [min, max], or undefined. */
  int(name: string, min: number, max: number): number | undefined {
    const v = this.q.get(name);
    if (v === null) return undefined;
    if (!/^-?\d{1,16}$/.test(v)) throw new ParkirParamError(name, "must be an integer");
    const n = Number(v);
    if (!(n >= min && n <= max)) throw new ParkirParamError(name, `must be from ${min} to ${max}`);
    return n;
  }

  /** A finite number in [min, max], or undefined. */
  num(name: string, min: number, max: number): number | undefined {
    const v = this.q.get(name);
    if (v === null) return undefined;
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n)) throw new ParkirParamError(name, "must be a number");
    if (!(n >= min && n <= max)) throw new ParkirParamError(name, `must be from ${min} to ${max}`);
    return n;
  }

  /** A CDS timestamp (integer ms since the epoch), or undefined. */
  time(name: string): number | undefined {
    return this.int(name, 0, 8.64e15);
  }

  /** A local date YYYY-MM-DD, or undefined. */
  date(name: string): string | undefined {
    const v = this.str(name, 10);
    if (v === undefined) return undefined;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)))
      throw new ParkirParamError(name, "must be a date YYYY-MM-DD");
    return v;
  }

  /** Page size and offset. */
  page(limits: FeedLimits): { limit: number; offset: number } {
    return {
      limit: this.int("limit", 1, limits.pageMax) ?? limits.pageDefault,
      offset: this.int("offset", 0, 100_000_000) ?? 0,
    };
  }

  /** [start, end) from start_time/end_time, defaulting to the `defaultSpanMs` before `endDefault`; refuses spans over `spanMaxMs`. */
  span(endDefault: number, defaultSpanMs: number, spanMaxMs: number): { start: number; end: number } {
    const s = this.time("start_time");
    const e = this.time("end_time");
    const end = e ?? (s === undefined ? endDefault : s + Math.min(defaultSpanMs, spanMaxMs));
    const start = s ?? end - defaultSpanMs;
    if (end <= start) throw new ParkirParamError("end_time", "must be after start_time");
    if (end - start > spanMaxMs)
      throw new ParkirParamError(
        "end_time",
        `the span from start_time may be at most ${spanMaxMs / 3_600_000} hours`,
      );
    return { start, end };
  }

  /** Bounding box min_lat/min_lng/max_lat/max_lng: all four or none. */
  bbox(): { minLat: number; minLng: number; maxLat: number; maxLng: number } | undefined {
    const names = ["min_lat", "min_lng", "max_lat", "max_lng"] as const;
    const given = names.filter((n) => this.q.has(n));
    if (given.length === 0) return undefined;
    if (given.length !== 4)
      throw new ParkirParamError(
        names.find((n) => !this.q.has(n))!,
        "min_lat, min_lng, max_lat and max_lng go together",
      );
    const minLat = this.num("min_lat", -90, 90)!;
    const maxLat = this.num("max_lat", -90, 90)!;
    const minLng = this.num("min_lng", -180, 180)!;
    const maxLng = this.num("max_lng", -180, 180)!;
    if (minLat > maxLat) throw new ParkirParamError("max_lat", "must not be below min_lat");
    if (minLng > maxLng) throw new ParkirParamError("max_lng", "must not be below min_lng");
    return { minLat, minLng, maxLat, maxLng };
  }
}

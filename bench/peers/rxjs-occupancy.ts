/**
 * The occupancy pipeline a user would write by hand with RxJS, in two shapes over the same rules and plain
 * objects throughout:
 *
 * - `rxjsScanOccupancy`: what a competent RxJS user writes — one `scan` over a Map of bay states that also
 *   integrates occupied and known bay-time per zone and class and closes tumbling event-time windows; a
 *   `filter` passes on only the steps that closed windows.
 * - `rxjsGroupByOccupancy`: the textbook decomposition — `groupBy(bay)` with a `scan` per bay group for its
 *   state, merged into the windowing `scan`. Each bay is a group (an inner Observable and subscription).
 *
 * It covers the part of parkir's semantics a bay-sensor feed in event-time order needs (arrivals,
 * departures, stays, coverage, peak, the minimum-coverage rule) and no more: no de-duplication,
 * lateness, sensor timeouts, gates, attendant counts or payments. The benchmark feeds it exactly such
 * a feed and checks that its windows equal the engine's before timing anything.
 */
import { endWith, filter, from, groupBy, map, mergeMap, scan } from "rxjs";
import type { City } from "../../src/catalog/index.js";
import { VEHICLE_CODES, vehicleName } from "../../src/catalog/index.js";
import type { WindowRecord } from "../../src/occupancy/index.js";
import type { CdsEvent } from "../../src/wire/index.js";

/** One closed window: every zone and class with capacity, in zone then class order. */
export interface PlainWindow {
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly records: WindowRecord[];
}

type BayStateName = "unknown" | "vacant" | "occupied";

interface BayEvent {
  bay: string;
  t: number;
  type: string;
  occupied: boolean | undefined;
}

interface BayState {
  state: BayStateName;
  startKnown: boolean;
  sinceMs: number;
  change: Change | null;
}

interface Change {
  t: number;
  row: string;
  from: BayStateName;
  to: BayStateName;
  arrival: boolean;
  departure: boolean;
  dwellMs: number | null;
}

interface Row {
  zone: string;
  vehicleType: WindowRecord["vehicleType"];
  capacity: number;
  occupied: number;
  known: number;
  lastMs: number;
  occupiedMs: number;
  knownMs: number;
  arrivals: number;
  departures: number;
  peak: number;
  dwellSumMs: number;
  dwellCount: number;
}

const FLUSH = Symbol("flush");

/** Options of the hand-written pipelines (same meaning as the engine's). */
export interface PlainOccupancyOptions {
  readonly windowMs: number;
  readonly minCoverage: number;
}

/** What both pipelines look up per bay: its zone and class, from the catalogue. */
type BayInfo = {
  readonly zone: string;
  readonly vehicleType: WindowRecord["vehicleType"];
  readonly row: string;
};

function bayInfo(city: City): Map<string, BayInfo> {
  const bays = new Map<string, BayInfo>();
  city.zones.forEach((z) => {
    for (const b of z.bays)
      bays.set(b.id, { zone: z.id, vehicleType: b.vehicleType, row: `${z.id}/${b.vehicleType}` });
  });
  return bays;
}

/** Only what the pipelines handle: bay-sensor events naming their bay. */
function isSensorEvent(e: CdsEvent): boolean {
  return (
    e.curb_space_id !== undefined &&
    (e.event_type === "park_start" || e.event_type === "park_end" || e.event_type === "scheduled_report")
  );
}

const UNKNOWN_BAY: BayState = { state: "unknown", startKnown: false, sinceMs: 0, change: null };

/** One bay's next state after an event, with the change it makes (the engine's rules for a sensor feed). */
function bayStep(s: BayState, e: BayEvent, row: string): BayState {
  let next = s.state;
  let startKnown = s.startKnown;
  let arrival = false;
  let departure = false;
  let dwellMs: number | null = null;
  if (e.type === "park_start") {
    if (s.state !== "occupied") {
      next = "occupied";
      startKnown = true;
      arrival = true;
    }
  } else if (e.type === "park_end") {
    if (s.state !== "vacant") {
      next = "vacant";
      departure = true;
      if (s.state === "occupied" && s.startKnown) dwellMs = e.t - s.sinceMs;
    }
  } else {
    const reported: BayStateName = e.occupied ? "occupied" : "vacant";
    if (s.state !== reported) {
      next = reported;
      startKnown = false;
    }
  }
  return {
    state: next,
    startKnown,
    sinceMs: next !== s.state ? e.t : s.sinceMs,
    change: { t: e.t, row, from: s.state, to: next, arrival, departure, dwellMs },
  };
}

/** The windowing half: tumbling event-time windows of every zone and class row. */
class Windows {
  windowStart = 0;
  rows = new Map<string, Row>();
  lastMs = 0;
  started = false;
  /** Windows closed by the last step. */
  emit: PlainWindow[] = [];

  constructor(
    private readonly city: City,
    private readonly options: PlainOccupancyOptions,
  ) {}

  private makeRows(startMs: number): Map<string, Row> {
    const rows = new Map<string, Row>();
    this.city.zones.forEach((z, zi) => {
      for (let code = 0; code < VEHICLE_CODES; code++) {
        const capacity = this.city.capacity[zi * VEHICLE_CODES + code]!;
        if (capacity === 0) continue;
        const vehicleType = vehicleName(code);
        rows.set(`${z.id}/${vehicleType}`, {
          zone: z.id,
          vehicleType,
          capacity,
          occupied: 0,
          known: 0,
          lastMs: startMs,
          occupiedMs: 0,
          knownMs: 0,
          arrivals: 0,
          departures: 0,
          peak: 0,
          dwellSumMs: 0,
          dwellCount: 0,
        });
      }
    });
    return rows;
  }

  private closeWindow(): void {
    const { windowMs, minCoverage } = this.options;
    const end = this.windowStart + windowMs;
    const records: WindowRecord[] = [];
    for (const r of this.rows.values()) {
      r.occupiedMs += r.occupied * (end - r.lastMs);
      r.knownMs += r.known * (end - r.lastMs);
      const coverage = r.knownMs / (r.capacity * windowMs);
      records.push({
        type: "occupancy",
        zone: r.zone,
        vehicleType: r.vehicleType,
        windowStart: this.windowStart,
        windowEnd: end,
        occupancy: r.knownMs > 0 && coverage >= minCoverage ? r.occupiedMs / r.knownMs : null,
        coverage,
        arrivals: r.arrivals,
        departures: r.departures,
        peakOccupied: r.peak,
        meanDwellMs: r.dwellCount > 0 ? Math.round(r.dwellSumMs / r.dwellCount) : null,
        detection: "singleSpaceDetection",
        confidence: r.knownMs > 0 ? 1 : 0,
      });
      r.lastMs = end;
      r.occupiedMs = 0;
      r.knownMs = 0;
      r.arrivals = 0;
      r.departures = 0;
      r.peak = r.occupied;
      r.dwellSumMs = 0;
      r.dwellCount = 0;
    }
    this.emit.push({ windowStart: this.windowStart, windowEnd: end, records });
    this.windowStart = end;
  }

  /** Applies one bay change, closing the windows it passes. */
  apply(c: Change): this {
    const windowMs = this.options.windowMs;
    if (this.emit.length > 0) this.emit = [];
    if (!this.started) {
      this.started = true;
      this.windowStart = Math.floor(c.t / windowMs) * windowMs;
      this.rows = this.makeRows(this.windowStart);
      this.lastMs = c.t;
    }
    while (c.t >= this.windowStart + windowMs) this.closeWindow();
    this.lastMs = c.t;
    const r = this.rows.get(c.row)!;
    r.occupiedMs += r.occupied * (c.t - r.lastMs);
    r.knownMs += r.known * (c.t - r.lastMs);
    r.lastMs = c.t;
    if (c.from !== c.to) {
      if (c.from === "occupied") r.occupied--;
      if (c.to === "occupied") {
        r.occupied++;
        if (r.occupied > r.peak) r.peak = r.occupied;
      }
      if (c.from === "unknown") r.known++;
    }
    if (c.arrival) r.arrivals++;
    if (c.departure) r.departures++;
    if (c.dwellMs !== null) {
      r.dwellSumMs += c.dwellMs;
      r.dwellCount++;
    }
    return this;
  }

  /** At the end of the feed: closes every window ending at or before the newest event time. */
  flush(): this {
    this.emit = [];
    if (this.started) while (this.windowStart + this.options.windowMs <= this.lastMs) this.closeWindow();
    return this;
  }
}

/**
 * One `scan` over a Map of bay states (and the windows), as a competent RxJS user writes it: synchronous over
 * `events`, returns the closed windows (every window ending at or before the newest event time, like
 * OccupancyEngine#close).
 */
export function rxjsScanOccupancy(
  events: readonly CdsEvent[],
  city: City,
  options: PlainOccupancyOptions,
): PlainWindow[] {
  const bays = bayInfo(city);
  const out: PlainWindow[] = [];
  interface State {
    readonly bays: Map<string, BayState>;
    readonly windows: Windows;
  }
  from(events)
    .pipe(
      endWith(FLUSH),
      scan<CdsEvent | typeof FLUSH, State>(
        (s, e) => {
          if (e === FLUSH) {
            s.windows.flush();
            return s;
          }
          s.windows.emit.length = 0;
          if (!isSensorEvent(e)) return s;
          const bay = e.curb_space_id!;
          const t = Number(e.event_time);
          const next = bayStep(
            s.bays.get(bay) ?? UNKNOWN_BAY,
            { bay, t, type: e.event_type, occupied: e.occupied },
            bays.get(bay)!.row,
          );
          s.bays.set(bay, next);
          s.windows.apply(next.change!);
          return s;
        },
        { bays: new Map(), windows: new Windows(city, options) },
      ),
      filter((s) => s.windows.emit.length > 0),
    )
    .subscribe((s) => {
      for (const w of s.windows.emit) out.push(w);
    });
  return out;
}

/**
 * The groupBy decomposition: `groupBy(bay)` + a `scan` per bay for its state, merged into one windowing
 * `scan`; synchronous over `events`, returns the closed windows (as rxjsScanOccupancy).
 */
export function rxjsGroupByOccupancy(
  events: readonly CdsEvent[],
  city: City,
  options: PlainOccupancyOptions,
): PlainWindow[] {
  const bays = bayInfo(city);
  const out: PlainWindow[] = [];
  from(events)
    .pipe(
      filter(isSensorEvent),
      map(
        (e): BayEvent => ({
          bay: e.curb_space_id!,
          t: Number(e.event_time),
          type: e.event_type,
          occupied: e.occupied,
        }),
      ),
      groupBy((e) => e.bay),
      mergeMap((bay$) => {
        const row = bays.get(bay$.key)!.row;
        return bay$.pipe(
          scan((s: BayState, e: BayEvent) => bayStep(s, e, row), UNKNOWN_BAY),
          map((s) => s.change!),
        );
      }),
      endWith(FLUSH),
      scan<Change | typeof FLUSH, Windows>(
        (w, c) => (c === FLUSH ? w.flush() : w.apply(c)),
        new Windows(city, options),
      ),
      filter((w) => w.emit.length > 0),
    )
    .subscribe((w) => {
      for (const x of w.emit) out.push(x);
    });
  return out;
}

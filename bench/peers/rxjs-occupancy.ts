/**
 * The occupancy pipeline a user would write by hand with RxJS: an Observable of plain event objects,
 * `groupBy(bay)` + `scan` for each bay's state, and a `scan` that integrates occupied and known
 * bay-time per zone and class and closes tumbling event-time windows. Plain objects throughout.
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

interface WindowState {
  windowStart: number;
  rows: Map<string, Row>;
  lastMs: number;
  emit: PlainWindow[];
}

const FLUSH = Symbol("flush");

/** Options of the hand-written pipeline (same meaning as the engine's). */
export interface PlainOccupancyOptions {
  readonly windowMs: number;
  readonly minCoverage: number;
}

/**
 * Runs the hand-written pipeline over `events` synchronously and returns the closed windows (every
 * window ending at or before the newest event time, like OccupancyEngine#close).
 */
export function rxjsOccupancy(
  events: readonly CdsEvent[],
  city: City,
  options: PlainOccupancyOptions,
): PlainWindow[] {
  const { windowMs, minCoverage } = options;
  // What the user looks up per bay: its zone and class, from the catalogue.
  const bays = new Map<string, { zone: string; vehicleType: WindowRecord["vehicleType"] }>();
  city.zones.forEach((z) => {
    for (const b of z.bays) bays.set(b.id, { zone: z.id, vehicleType: b.vehicleType });
  });
  const makeRows = (startMs: number): Map<string, Row> => {
    const rows = new Map<string, Row>();
    city.zones.forEach((z, zi) => {
      for (let code = 0; code < VEHICLE_CODES; code++) {
        const capacity = city.capacity[zi * VEHICLE_CODES + code]!;
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
  };

  const closeWindow = (w: WindowState): void => {
    const end = w.windowStart + windowMs;
    const records: WindowRecord[] = [];
    for (const r of w.rows.values()) {
      r.occupiedMs += r.occupied * (end - r.lastMs);
      r.knownMs += r.known * (end - r.lastMs);
      const coverage = r.knownMs / (r.capacity * windowMs);
      records.push({
        type: "occupancy",
        zone: r.zone,
        vehicleType: r.vehicleType,
        windowStart: w.windowStart,
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
      Object.assign(r, {
        lastMs: end,
        occupiedMs: 0,
        knownMs: 0,
        arrivals: 0,
        departures: 0,
        peak: r.occupied,
        dwellSumMs: 0,
        dwellCount: 0,
      });
    }
    w.emit.push({ windowStart: w.windowStart, windowEnd: end, records });
    w.windowStart = end;
  };

  const out: PlainWindow[] = [];
  from(events)
    .pipe(
      filter(
        (e) =>
          e.curb_space_id !== undefined &&
          (e.event_type === "park_start" ||
            e.event_type === "park_end" ||
            e.event_type === "scheduled_report"),
      ),
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
        const info = bays.get(bay$.key)!;
        const row = `${info.zone}/${info.vehicleType}`;
        return bay$.pipe(
          scan(
            (s: BayState, e: BayEvent): BayState => {
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
            },
            { state: "unknown", startKnown: false, sinceMs: 0, change: null },
          ),
          map((s) => s.change!),
        );
      }),
      endWith(FLUSH),
      scan<Change | typeof FLUSH, WindowState, null>(
        (w: WindowState | null, c: Change | typeof FLUSH): WindowState => {
          if (c === FLUSH) {
            if (w === null) return { windowStart: 0, rows: new Map(), lastMs: 0, emit: [] };
            w.emit = [];
            while (w.windowStart + windowMs <= w.lastMs) closeWindow(w);
            return w;
          }
          if (w === null) {
            const start = Math.floor(c.t / windowMs) * windowMs;
            w = { windowStart: start, rows: makeRows(start), lastMs: c.t, emit: [] };
          } else w.emit = [];
          while (c.t >= w.windowStart + windowMs) closeWindow(w);
          w.lastMs = c.t;
          const r = w.rows.get(c.row)!;
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
          return w;
        },
        null,
      ),
      mergeMap((w) => w.emit),
    )
    .subscribe((window) => out.push(window));
  return out;
}

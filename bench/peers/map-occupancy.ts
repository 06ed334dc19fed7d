/**
 * The windows a competent user computes with a plain loop over plain objects and Maps: per closed 5-minute
 * window, zone and vehicle class, the arrivals (a `park_start` on a bay not already occupied) and departures (a
 * `park_end` on a bay not already vacant) of a bay-sensor feed in event-time order, with `scheduled_report`
 * setting a bay's state — the engine's rules for such a feed (docs/OCCUPANCY.md). From JSON Lines it is
 * `TextDecoder` + one `JSON.parse` per line feeding the same loop.
 *
 * Every peer of the `e2e` suite reduces its windows to the same figures (PeerWindows) so each timed run's result
 * can be checked against the reference.
 */
import type { City } from "../../src/catalog/index.js";
import type { WindowBatch } from "../../src/occupancy/index.js";
import type { CdsEvent } from "../../src/wire/index.js";

/** What every e2e case computes: windows closed and a checksum of their arrivals and departures. */
export interface PeerWindows {
  /** Windows emitted (every window from the first event's to the last one ending at or before the last event). */
  windows: number;
  /** windowChecksum summed over every row with arrivals or departures. */
  checksum: number;
  /** The rows as [windowStart, zone index, class code, arrivals, departures], sorted (only when kept). */
  rows?: number[][];
}

/** One row's share of the checksum (integers; sensitive to the window, zone, class and both counts). */
export function rowChecksum(
  windowStart: number,
  windowMs: number,
  zone: number,
  vehicle: number,
  arrivals: number,
  departures: number,
): number {
  return (
    (arrivals * 3 + departures * 5) *
    (1 + ((windowStart / windowMs) % 101)) *
    (1 + (zone % 53)) *
    (1 + vehicle)
  );
}

/**
 * Folds an engine's window into a PeerWindows (the parkir cases' side): only the rows the window lists as changed
 * (`changedRows`, which holds every row with arrivals or departures), as a consumer of the engine reads them.
 */
export function foldWindow(out: PeerWindows, w: WindowBatch, windowMs: number): void {
  out.windows++;
  const c = w.columns!;
  const changed = w.changedRows!;
  for (let i = 0; i < changed.length; i++) {
    const r = changed[i]!;
    const a = c.arrivals[r]!;
    const d = c.departures[r]!;
    if (a === 0 && d === 0) continue;
    out.checksum += rowChecksum(w.windowStart, windowMs, c.zone[r]!, c.vehicle[r]!, a, d);
    out.rows?.push([w.windowStart, c.zone[r]!, c.vehicle[r]!, a, d]);
  }
}

/** Sorts kept rows so results from any case compare equal. */
export function sortRows(out: PeerWindows): PeerWindows {
  out.rows?.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!);
  return out;
}

/** What the plain loop knows of the catalogue: each bay's zone index and class code. */
export interface BayInfo {
  readonly zone: number;
  readonly vehicle: number;
}

/** The catalogue as the user's Map (built once, like their own config). */
export function bayMap(city: City): Map<string, BayInfo> {
  const m = new Map<string, BayInfo>();
  for (let b = 0; b < city.bayCount; b++)
    m.set(city.bayId(b), { zone: city.bayZone[b]!, vehicle: city.bayVehicle[b]! });
  return m;
}

const UNKNOWN = 0;
const VACANT = 1;
const OCCUPIED = 2;

/** The plain loop: feed events in event-time order, then read the windows. */
export class MapWindows {
  private readonly state = new Map<string, number>();
  /** windowStart -> zone * 8 + class -> [arrivals, departures] */
  private readonly windows = new Map<number, Map<number, number[]>>();
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly bays: ReadonlyMap<string, BayInfo>,
    private readonly windowMs: number,
  ) {}

  add(e: CdsEvent): void {
    const t = e.event_time as number;
    if (t < this.lo) this.lo = t;
    if (t > this.hi) this.hi = t;
    const bayId = e.curb_space_id!;
    const bay = this.bays.get(bayId);
    if (bay === undefined) return;
    const before = this.state.get(bayId) ?? UNKNOWN;
    let arrival = 0;
    let departure = 0;
    if (e.event_type === "park_start") {
      if (before !== OCCUPIED) arrival = 1;
      this.state.set(bayId, OCCUPIED);
    } else if (e.event_type === "park_end") {
      if (before !== VACANT) departure = 1;
      this.state.set(bayId, VACANT);
    } else if (e.event_type === "scheduled_report") this.state.set(bayId, e.occupied ? OCCUPIED : VACANT);
    if (arrival + departure === 0) return;
    const ws = t - (t % this.windowMs);
    let rows = this.windows.get(ws);
    if (rows === undefined) this.windows.set(ws, (rows = new Map()));
    const key = bay.zone * 8 + bay.vehicle;
    const row = rows.get(key);
    if (row === undefined) rows.set(key, [arrival, departure]);
    else {
      row[0]! += arrival;
      row[1]! += departure;
    }
  }

  /** Windows closed by the end of the feed (those ending at or before the last event time). */
  result(keep = false): PeerWindows {
    const w = this.windowMs;
    const out: PeerWindows = { windows: 0, checksum: 0, ...(keep ? { rows: [] } : {}) };
    if (!(this.hi >= this.lo)) return out;
    const lastEnd = this.hi - (this.hi % w);
    out.windows = (lastEnd - (this.lo - (this.lo % w))) / w;
    for (const [ws, rows] of this.windows) {
      if (ws >= lastEnd) continue;
      for (const [key, [a, d]] of rows) {
        const zone = Math.floor(key / 8);
        out.checksum += rowChecksum(ws, w, zone, key % 8, a!, d!);
        out.rows?.push([ws, zone, key % 8, a!, d!]);
      }
    }
    return sortRows(out);
  }
}

/** The plain loop over event objects. */
export function mapWindows(
  events: readonly CdsEvent[],
  bays: ReadonlyMap<string, BayInfo>,
  windowMs: number,
  keep = false,
): PeerWindows {
  const m = new MapWindows(bays, windowMs);
  for (const e of events) m.add(e);
  return m.result(keep);
}

/** The same from JSON Lines bytes: decode, then one JSON.parse per line straight into the loop. */
export function mapWindowsJsonl(
  bytes: Uint8Array,
  bays: ReadonlyMap<string, BayInfo>,
  windowMs: number,
  keep = false,
): PeerWindows {
  const text = new TextDecoder().decode(bytes);
  const m = new MapWindows(bays, windowMs);
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (end > start) m.add(JSON.parse(text.slice(start, end)) as CdsEvent);
    start = end + 1;
  }
  return m.result(keep);
}

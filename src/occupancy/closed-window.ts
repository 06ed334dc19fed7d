/** What `windows$` emits: a closed window's columns and changed rows, and its records built on first access. */
import { type City, DETECTION_NAMES } from "../catalog/city.js";
import { vehicleName } from "../catalog/vehicles.js";
import { ParkirError } from "../errors/index.js";
import { allocColumns, type ColumnSlot } from "./columns.js";
import type { WindowBatch, WindowColumns, WindowRecord } from "./types.js";

/**
 * One closed window as emitted on `windows$`: columns and changed rows now, `records` built on first access and
 * cached. With `reuseWindowBuffers` the columns and changed rows are only valid until the engine's next call
 * (reading them later throws); `detach()` makes a copy that stays valid.
 */
export class ClosedWindow implements WindowBatch {
  readonly windowStart: number;
  readonly windowEnd: number;
  private readonly city: City;
  private readonly slot: ColumnSlot;
  private readonly gen: number;
  private readonly changedCount: number;
  private changed: Uint32Array | undefined;
  private cached: readonly WindowRecord[] | undefined;

  constructor(city: City, windowStart: number, windowEnd: number, slot: ColumnSlot) {
    this.city = city;
    this.windowStart = windowStart;
    this.windowEnd = windowEnd;
    this.slot = slot;
    this.gen = slot.gen;
    this.changedCount = slot.changedCount;
  }

  /** The rows as columns. @throws ParkirError when the engine reused the buffers (see reuseWindowBuffers). */
  get columns(): WindowColumns {
    this.assertCurrent();
    return this.slot.columns;
  }

  /**
   * The rows whose figures differ from the previous window's, or with arrivals or departures (WindowBatch).
   * @throws ParkirError when the engine reused the buffers (see reuseWindowBuffers).
   */
  get changedRows(): Uint32Array {
    this.assertCurrent();
    if (this.changed === undefined) {
      const list = this.slot.changed;
      this.changed = list.length === this.changedCount ? list : list.subarray(0, this.changedCount);
    }
    return this.changed;
  }

  private assertCurrent(): void {
    if (this.slot.gen !== this.gen) {
      throw new ParkirError(
        "window columns were reused: a later window closed into them (reuseWindowBuffers); read them during the emission or detach() the batch",
      );
    }
  }

  /** Rows as plain objects (built once, on first access). */
  get records(): readonly WindowRecord[] {
    if (this.cached === undefined) this.cached = Object.freeze(buildRecords(this.city, this));
    return this.cached;
  }

  /** A copy with its own column buffers (valid forever). */
  detach(): ClosedWindow {
    const src = this.columns;
    const columns = allocColumns(src.length);
    for (const key of Object.keys(columns) as (keyof WindowColumns)[]) {
      if (key !== "length") (columns[key] as Uint8Array).set(src[key] as Uint8Array);
    }
    const changed = this.changedRows.slice();
    const slot: ColumnSlot = { columns, gen: 0, held: 0, changed, changedCount: changed.length };
    const copy = new ClosedWindow(this.city, this.windowStart, this.windowEnd, slot);
    copy.cached = this.cached;
    return copy;
  }

  /** JSON form: the contract fields only. */
  toJSON(): { windowStart: number; windowEnd: number; records: readonly WindowRecord[] } {
    return { windowStart: this.windowStart, windowEnd: this.windowEnd, records: this.records };
  }
}

function buildRecords(city: City, batch: ClosedWindow): WindowRecord[] {
  const c = batch.columns;
  const out: WindowRecord[] = new Array(c.length);
  for (let r = 0; r < c.length; r++) {
    const occupancy = c.occupancy[r]!;
    const dwell = c.meanDwellMs[r]!;
    out[r] = {
      type: "occupancy",
      zone: city.zones[c.zone[r]!]!.id,
      vehicleType: vehicleName(c.vehicle[r]!),
      windowStart: batch.windowStart,
      windowEnd: batch.windowEnd,
      occupancy: Number.isNaN(occupancy) ? null : occupancy,
      coverage: c.coverage[r]!,
      arrivals: c.arrivals[r]!,
      departures: c.departures[r]!,
      peakOccupied: c.peakOccupied[r]!,
      meanDwellMs: Number.isNaN(dwell) ? null : dwell,
      detection: DETECTION_NAMES[c.detection[r]!]!,
      confidence: c.confidence[r]!,
    };
  }
  return out;
}

/**
 * One record as a JSON line with the replay CLI's fixed key order (no trailing newline).
 *
 * @example
 * windowRecordLine(batch.records[0]) // {"type":"occupancy","zone":"PLU-001","vehicleType":"car",...}
 */
export function windowRecordLine(r: WindowRecord): string {
  return (
    `{"type":"occupancy","zone":${JSON.stringify(r.zone)},"vehicleType":"${r.vehicleType}",` +
    `"windowStart":${r.windowStart},"windowEnd":${r.windowEnd},"occupancy":${r.occupancy === null ? "null" : r.occupancy},` +
    `"coverage":${r.coverage},"arrivals":${r.arrivals},"departures":${r.departures},"peakOccupied":${r.peakOccupied},` +
    `"meanDwellMs":${r.meanDwellMs === null ? "null" : r.meanDwellMs},"detection":"${r.detection}"}`
  );
}

import type { EngineState, StateMemory, WindowConstants } from "./state.js";
import type { WindowColumns } from "./types.js";
import type { CopyPlan } from "./windows.js";

/** The changed-row list of a fresh column set before its close. */
const NO_ROWS = new Uint32Array(0);

/**
 * Allocates the columns of n rows in one buffer (float64 columns first so every view is aligned; the detection
 * column last). With `constants`, the zone, vehicle and capacity columns are those arrays (shared, never
 * written) and the buffer holds only the others. With `memory`, the buffer is a region of it (8-byte aligned).
 */
export function allocColumns(n: number, constants?: WindowConstants, memory?: StateMemory): WindowColumns {
  const own = constants === undefined;
  const bytes = n * (8 * 7 + 4 * (own ? 6 : 4) + (own ? 2 : 1));
  const region = memory?.alloc(Math.max(8, bytes)) ?? { buffer: new ArrayBuffer(bytes), byteOffset: 0 };
  const buf = region.buffer;
  let at = region.byteOffset;
  const f64 = () => {
    const a = new Float64Array(buf, at, n);
    at += 8 * n;
    return a;
  };
  const u32 = () => {
    const a = new Uint32Array(buf, at, n);
    at += 4 * n;
    return a;
  };
  const u8 = () => {
    const a = new Uint8Array(buf, at, n);
    at += n;
    return a;
  };
  return {
    length: n,
    occupancy: f64(),
    coverage: f64(),
    meanDwellMs: f64(),
    confidence: f64(),
    occupiedBayMs: f64(),
    knownBayMs: f64(),
    driftVehicles: f64(),
    zone: constants?.zone ?? u32(),
    arrivals: u32(),
    departures: u32(),
    peakOccupied: u32(),
    capacity: constants?.capacity ?? u32(),
    vehicle: constants?.vehicle ?? u8(),
    detection: u8(),
  };
}

/** A column set, how many times it was handed out, and the changed rows of the window it holds. */
export interface ColumnSlot {
  readonly columns: WindowColumns;
  gen: number;
  /** The close (WindowRows' count) whose figures the columns hold; 0: none (a new set). */
  held: number;
  /** The window's changed rows (WindowBatch.changedRows): changed[0 .. changedCount). */
  changed: Uint32Array;
  changedCount: number;
  /** How the kernel lists changes into `changed` and copies rows into `columns` (null: it cannot); asked once. */
  plan?: CopyPlan | null;
}

/**
 * Where closed windows' columns live. Fresh mode allocates new buffers per window (batches stay valid
 * forever). Reuse mode hands out the same buffers again on every engine call, so a batch's columns are valid
 * until the engine's next call: fresh memory costs page faults, which dominate closing windows otherwise.
 */
export class ColumnPool {
  private readonly slots: ColumnSlot[] = [];
  private used = 0;
  /**
   * @param constants the columns shared by every window (EngineState.windowConstants); column sets handed
   *   out hold only the other columns
   */
  /**
   * @param memory where reused column sets are allocated (the engine passes its kernel's memory when the kernel
   *   closes rows there, so a close is copied within it); default: the JavaScript heap. Fresh sets are always
   *   allocated in the heap.
   */
  constructor(
    readonly reuse: boolean,
    readonly rows: number,
    private readonly constants?: WindowConstants,
    private readonly memory?: StateMemory,
  ) {}
  /** Starts an engine call: in reuse mode every slot may be handed out again. */
  reset(): void {
    this.used = 0;
  }
  /** Makes every window held in a reused set stale (their memory goes to another engine). */
  retire(): void {
    for (const slot of this.slots) slot.gen++;
  }
  /**
   * A column set for the next closed window. A reused set holds the figures of the window it held before (`held`),
   * so a close writes only the rows changed since; its changed-row list has room for every row. A fresh set's
   * list is left empty for the close to fill.
   */
  take(): ColumnSlot {
    if (!this.reuse)
      return {
        columns: allocColumns(this.rows, this.constants),
        gen: 0,
        held: 0,
        changed: NO_ROWS,
        changedCount: 0,
      };
    let slot = this.slots[this.used];
    if (slot === undefined) {
      const columns = allocColumns(this.rows, this.constants, this.memory);
      const region = this.memory?.alloc(Math.max(8, 4 * this.rows)) ?? {
        buffer: new ArrayBuffer(4 * this.rows),
        byteOffset: 0,
      };
      const changed = new Uint32Array(region.buffer, region.byteOffset, this.rows);
      slot = { columns, gen: 0, held: 0, changed, changedCount: 0 };
      this.slots.push(slot);
    } else slot.gen++;
    this.used++;
    return slot;
  }
}

/** The columns of WindowColumns, each a typed array. */
const COLUMN_KEYS = Object.keys(allocColumns(0)).filter((k) => k !== "length") as Exclude<
  keyof WindowColumns,
  "length"
>[];

/**
 * The bytes of the one region (from `occupancy` to the end of `detection`) that holds every column `src` and
 * `dst` do not share, when both are column sets of allocColumns sharing the same constants (so the regions
 * have the same layout); −1 when they are not.
 */
export function columnsRegion(src: WindowColumns, dst: WindowColumns): number {
  const a = src.occupancy;
  const b = dst.occupancy;
  const span = src.detection.byteOffset + src.length - a.byteOffset;
  return dst.zone === src.zone &&
    dst.detection.buffer === b.buffer &&
    src.detection.buffer === a.buffer &&
    dst.detection.byteOffset + dst.length - b.byteOffset === span &&
    dst.driftVehicles.byteOffset - b.byteOffset === src.driftVehicles.byteOffset - a.byteOffset
    ? span
    : -1;
}

/**
 * Copies every column of `src` into `dst` (same length): one copy of the region holding them all when both are
 * column sets of allocColumns sharing the same constants (columnsRegion), else column by column.
 */
export function copyColumns(src: WindowColumns, dst: WindowColumns): void {
  const span = columnsRegion(src, dst);
  if (span >= 0) {
    const a = src.occupancy;
    const b = dst.occupancy;
    new Uint8Array(b.buffer, b.byteOffset, span).set(new Uint8Array(a.buffer, a.byteOffset, span));
    return;
  }
  for (const key of COLUMN_KEYS)
    if (dst[key] !== src[key]) (dst[key] as Uint8Array).set(src[key] as Uint8Array);
}

/**
 * The arrays a RowKernel's closeRows reads and writes, in the order of its column table (C_* of
 * wasm/occupancy.ts): the columns of `c` it writes, then the rows' capacity and method. @internal
 */
export function tableColumns(s: EngineState, c: WindowColumns): ArrayBufferView[] {
  return [
    c.occupancy,
    c.coverage,
    c.meanDwellMs,
    c.confidence,
    c.occupiedBayMs,
    c.knownBayMs,
    c.driftVehicles,
    c.arrivals,
    c.departures,
    c.peakOccupied,
    c.detection,
    s.rowCapacity,
    s.rowDetection,
  ];
}

/** The column table of `c` for a RowKernel's closeRows (byte offsets of tableColumns), in `s`'s memory. @internal */
export function columnTable(s: EngineState, c: WindowColumns): Uint32Array {
  const arrays = tableColumns(s, c);
  const table = s.newArray(Uint32Array, arrays.length);
  arrays.forEach((a, i) => {
    table[i] = a.byteOffset;
  });
  return table;
}

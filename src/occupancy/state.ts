/**
 * The engine's whole mutable state as preallocated typed arrays plus a small register file. Kernels
 * (kernel.ts) read and write only this; checkpoints copy these buffers raw.
 *
 * Per bay, one 12-byte record that only event application touches (100 000 bays → 1.2 MB), so applying an
 * event loads one scattered cache line for its bay (`bays`, three i32 per bay):
 *
 * | word | meaning |
 * |---|---|
 * | bays[3 b + B_SINCE] | since: time the current state began (the stay start when occupied), ms after reg[R_TIME_BASE] |
 * | bays[3 b + B_LAST] | last: time of the last message (sensor timeout = last + sensorTimeoutMs), same origin |
 * | bays[3 b + B_WORD] | state (bits 0–1: 0 unknown, 1 vacant, 2 occupied) \| flags << 2 (has-message, stay-start-known, offline, decommissioned) \| window row << 8 (from the catalogue) |
 *
 * De-duplication (dedup.ts): the kernels read and write only three columns, dedupSeqTime and dedupTime (per
 * remembered sequence key and id key, the time of the accepted event holding it, NaN when none) and dedupRef (per event of the chunk being admitted,
 * the entry numbers of its sequence key and id key); the keys themselves stay on the host. Checkpoints keep their own layout for bays (a state byte, then two times), written and read by
 * baySections / loadSection; a bay's row is not saved (it comes from the catalogue).
 *
 * Per window row (a zone and vehicle class with capacity): a 64-byte record of the accumulators the kernel
 * touches (occupied/known counts and bay-ms, peak, arrivals, departures, dwell, and the window number they
 * belong to), plus colder arrays for attendant counts, gate balance and payments.
 */
import type { City } from "../catalog/city.js";
import { DETECTION } from "../catalog/city.js";
import { VEHICLE_CODES } from "../catalog/vehicles.js";
import {
  ACC_BYTES,
  B_LAST,
  B_SINCE,
  B_WORD,
  BAY_WORDS,
  BS_FLAGS,
  BS_LOW,
  BS_ROW,
  BS_STATE,
  DEDUP_CHUNK,
  HEALTH_LOG_SIZE,
  PENDING_STRIDE,
  R_DEADLINE_LB,
  R_HEAD,
  R_MAX_SEEN,
  R_TAIL,
  R_TIME_BASE,
  R_UNSORTED,
  R_WATERMARK,
  R_WIN_END,
  R_WIN_START,
  REG_COUNT,
} from "./kernel.js";
import type { ResolvedOptions } from "./options.js";

/** The window columns that are the same in every window of an engine (see EngineState.windowConstants). */
export interface WindowConstants {
  readonly zone: Uint32Array;
  readonly vehicle: Uint8Array;
  readonly capacity: Uint32Array;
}

/** A typed array of engine state (a checkpoint section). */
export type StateArray = Uint8Array | Int32Array | Uint32Array | Float64Array;

/**
 * Where EngineState keeps the arrays the kernels touch: by default plain ArrayBuffers; the wasm kernel
 * passes its shared memory, so the state is born where the kernel reads it (no copy, nothing twice).
 */
export interface StateMemory {
  /** `bytes` zeroed bytes, 8-byte aligned: the buffer and the byte offset in it. */
  alloc(bytes: number): { readonly buffer: ArrayBufferLike; readonly byteOffset: number };
}

/**
 * A touched-row list that applyEvents adds to as it applies (WindowRows.noteApplied reads it): a u8 mark per window
 * row, the rows marked, in the order first touched (room for one more than the rows), and how many.
 */
export interface RowNotes {
  readonly marks: Uint8Array;
  readonly list: Uint32Array;
  n: number;
}

/** A typed-array constructor over a buffer (how EngineState allocates in its memory). */
export type ArrayCtor<T extends StateArray> = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
};

/** Plain zeroed memory (the JavaScript kernel's). */
const HEAP: StateMemory = {
  alloc: (bytes) => ({ buffer: new ArrayBuffer(bytes), byteOffset: 0 }),
};

/** Engine state. Fields are public for the kernels; treat as internal. */
export class EngineState {
  // Catalogue-derived, immutable.
  readonly bayCount: number;
  readonly zoneCount: number;
  readonly deviceCount: number;
  /** Records: devices, then one per zone. */
  readonly recCount: number;
  readonly bayZone: Uint32Array;
  readonly bayVehicle: Uint8Array;
  /** Class used for a zone event with vehicle class 0. */
  readonly zoneDefaultClass: Uint8Array;
  /** Row of each zone × VEHICLE_CODES + class, or −1 when it has no capacity. */
  readonly zcRow: Int32Array;
  /** Rows: zone-classes with capacity > 0, in zone then class order. */
  readonly rowCount: number;
  readonly rowZone: Uint32Array;
  readonly rowVehicle: Uint8Array;
  readonly rowCapacity: Uint32Array;
  readonly rowDetection: Uint8Array;
  /**
   * The columns every closed window has alike (zone, vehicle class, capacity of each row): one copy per engine,
   * which every window's column set shares instead of copying them at each close (ColumnPool, closeWindow).
   */
  readonly windowConstants: WindowConstants;
  readonly windowMs: number;
  readonly latenessMs: number;
  readonly timeoutMs: number;

  /** Where the kernel-touched arrays live. */
  readonly memory: StateMemory;
  /** Whether that is a kernel's memory (which never frees) rather than the JavaScript heap. */
  readonly kernelMemory: boolean;
  readonly reg: Float64Array;

  /** Bay records (see the table above). */
  readonly bays: Int32Array;
  /** De-duplication: time of the accepted event holding each remembered id key (NaN: none); see dedup.ts. */
  dedupTime: Float64Array;
  /** De-duplication: the same for each remembered sequence key (device-keys.ts). */
  dedupSeqTime: Float64Array;
  /** De-duplication: entry numbers of each event of the chunk being admitted (2 per event); see dedup.ts. */
  readonly dedupRef: Uint32Array;

  // Row accumulators (hot): two views of one buffer.
  readonly accF64: Float64Array;
  readonly accU32: Uint32Array;

  /** Rows closeRows computes, [closeLo, closeHi): every row, unless a worker shard narrows it to its own. */
  closeLo = 0;
  closeHi: number;

  /** Rows' zone-event state (attendant counts, gate balance, payments); null until the first zone event. */
  cold: ColdRows | null = null;

  /** Where the JavaScript kernel's applyEvents notes the window rows it touches (WindowRows); null: nowhere. */
  rowNotes: RowNotes | null = null;

  // Pending events (sorted by the total order in [head, tail) once sortPending ran).
  pTime: Float64Array;
  pWords: Uint32Array;
  // Scratch for sorting.
  sTime: Float64Array;
  sWords: Uint32Array;
  sIdx: Uint32Array;
  sIdx2: Uint32Array;

  // Timeout list of the open window, sorted by (time, bay).
  toBay: Uint32Array;
  toTime: Float64Array;

  // Health log.
  readonly hBay: Uint32Array;
  readonly hCode: Uint8Array;
  readonly hTime: Float64Array;

  // Late log: batch index and watermark at the time.
  lateIdx: Uint32Array;
  lateWm: Float64Array;

  constructor(city: City, o: ResolvedOptions, memory: StateMemory = HEAP) {
    this.memory = memory;
    const plain = memory === HEAP;
    this.kernelMemory = !plain;
    this.reg = this.array(Float64Array, REG_COUNT);
    this.pTime = this.array(Float64Array, 0);
    this.pWords = this.array(Uint32Array, 0);
    this.sTime = this.array(Float64Array, 0);
    this.sWords = this.array(Uint32Array, 0);
    this.sIdx = this.array(Uint32Array, 0);
    this.sIdx2 = this.array(Uint32Array, 0);
    this.toBay = this.array(Uint32Array, 64);
    this.toTime = this.array(Float64Array, 64);
    this.hBay = this.array(Uint32Array, HEALTH_LOG_SIZE);
    this.hCode = this.array(Uint8Array, HEALTH_LOG_SIZE);
    this.hTime = this.array(Float64Array, HEALTH_LOG_SIZE);
    this.lateIdx = this.array(Uint32Array, 0);
    this.lateWm = this.array(Float64Array, 0);
    this.bayCount = city.bayCount;
    this.zoneCount = city.zoneCount;
    this.deviceCount = city.deviceCount;
    this.recCount = city.deviceCount + city.zoneCount;
    this.windowMs = o.windowMs;
    this.latenessMs = o.allowedLatenessMs;
    this.timeoutMs = o.sensorTimeoutMs;
    // The kernels read the catalogue's bay columns: shared with the City, or copied into kernel memory.
    this.bayZone = plain ? city.bayZone : this.array(Uint32Array, city.bayCount);
    this.bayVehicle = plain ? city.bayVehicle : this.array(Uint8Array, city.bayCount);
    if (!plain) {
      this.bayZone.set(city.bayZone);
      this.bayVehicle.set(city.bayVehicle);
    }

    const zc = city.zoneCount * VEHICLE_CODES;
    this.zcRow = this.array(Int32Array, zc).fill(-1);
    let rows = 0;
    for (let i = 0; i < zc; i++) if (i % VEHICLE_CODES !== 0 && city.capacity[i]! > 0) this.zcRow[i] = rows++;
    this.rowCount = rows;
    this.closeHi = rows;
    this.rowZone = new Uint32Array(rows);
    this.rowVehicle = new Uint8Array(rows);
    // In the state's memory: the wasm kernel closes window rows reading them (see WindowRows).
    this.rowCapacity = this.array(Uint32Array, rows);
    this.rowDetection = this.array(Uint8Array, rows);
    for (let i = 0; i < zc; i++) {
      const r = this.zcRow[i]!;
      if (r < 0) continue;
      this.rowZone[r] = (i / VEHICLE_CODES) | 0;
      this.rowVehicle[r] = i % VEHICLE_CODES;
      this.rowCapacity[r] = city.capacity[i]!;
      this.rowDetection[r] = city.detection[i]!;
    }
    this.windowConstants = {
      zone: this.rowZone.slice(),
      vehicle: this.rowVehicle.slice(),
      capacity: this.rowCapacity.slice(),
    };
    this.zoneDefaultClass = this.array(Uint8Array, city.zoneCount);
    for (let z = 0; z < city.zoneCount; z++) {
      let best = 0;
      let bestKey = -1;
      for (let c = 1; c < VEHICLE_CODES; c++) {
        const i = z * VEHICLE_CODES + c;
        const cap = city.capacity[i]!;
        // Prefer classes not watched by sensors (zone events are about them), then the largest capacity.
        const key = cap === 0 ? -1 : (city.detection[i] === DETECTION.singleSpaceDetection ? 0 : 1e6) + cap;
        if (key > bestKey) {
          bestKey = key;
          best = c;
        }
      }
      this.zoneDefaultClass[z] = best;
    }

    this.bays = this.array(Int32Array, this.bayCount * BAY_WORDS);
    for (let b = 0; b < this.bayCount; b++)
      this.bays[b * BAY_WORDS + B_WORD] =
        this.zcRow[city.bayZone[b]! * VEHICLE_CODES + city.bayVehicle[b]!]! << BS_ROW;
    this.dedupTime = this.array(Float64Array, 1);
    this.dedupSeqTime = this.array(Float64Array, 1);
    this.dedupRef = this.array(Uint32Array, 2 * DEDUP_CHUNK);
    this.accF64 = this.array(Float64Array, (rows * ACC_BYTES) / 8);
    this.accU32 = new Uint32Array(this.accF64.buffer, this.accF64.byteOffset, (rows * ACC_BYTES) / 4);

    const r = this.reg;
    r[R_MAX_SEEN] = Number.NEGATIVE_INFINITY;
    r[R_WATERMARK] = Number.NEGATIVE_INFINITY;
    r[R_WIN_START] = -1;
    r[R_WIN_END] = -1;
    r[R_UNSORTED] = -1;
    r[R_DEADLINE_LB] = Number.NEGATIVE_INFINITY;
    r[R_TIME_BASE] = -1;
  }

  /** The rows' zone-event state, allocated on first use (engines fed by bay sensors alone never need it). */
  coldRows(): ColdRows {
    if (this.cold === null) this.cold = new ColdRows(this.rowCount);
    return this.cold;
  }

  /**
   * The persistent arrays by checkpoint section name (pending, registers and payments are handled apart):
   * bays as copies in the checkpoint layout (see baySections), the rest as the live arrays. Before the first
   * zone event the cold sections are fresh default arrays, written but not kept.
   */
  sections(): [string, StateArray][] {
    return [...this.baySections(), ...this.liveSections()];
  }

  /**
   * sections() of bays [bayLo, bayHi) and window rows [rowLo, rowHi) only, the row sections as views of the live
   * arrays, and no cold sections before the first zone event: what a worker shard owns, for its recovery
   * snapshot (sharded/snapshot.ts).
   */
  sliceSections(bayLo: number, bayHi: number, rowLo: number, rowHi: number): [string, StateArray][] {
    const rows: [string, StateArray][] = [
      ["rows.acc", new Uint8Array(this.accF64.buffer, this.accF64.byteOffset, this.accF64.byteLength)],
      ...(this.cold?.sections() ?? []),
    ];
    const out = this.baySections(bayLo, bayHi);
    for (const [name, a] of rows) {
      const per = this.rowCount === 0 ? 0 : a.byteLength / this.rowCount;
      out.push([name, new Uint8Array(a.buffer, a.byteOffset + rowLo * per, (rowHi - rowLo) * per)]);
    }
    return out;
  }

  /** The sections that are live arrays (all but the bays). */
  private liveSections(): [string, StateArray][] {
    return [
      ["rows.acc", new Uint8Array(this.accF64.buffer, this.accF64.byteOffset, this.accF64.byteLength)],
      ...(this.cold ?? new ColdRows(this.rowCount)).sections(),
    ];
  }

  /** Pending events waiting for the watermark. */
  get pendingCount(): number {
    return this.reg[R_TAIL]! - this.reg[R_HEAD]!;
  }

  /**
   * Makes room for `extra` more pending events: compacts, or grows (cold path). Compacting copies the live
   * events, so it is done only when at least as many slots were consumed (head ≥ live): the copy is then paid
   * for by the events applied since. Why: the buffer holds ~allowedLatenessMs of events, and with room for only
   * a little more than that, every 8192-event chunk used to copy all of them (2–3 copies per event).
   * Growth keeps room for four times what is needed, so capacity stays within about 4 × (pending + 8192).
   */
  ensurePending(extra: number): void {
    const r = this.reg;
    const head = r[R_HEAD]!;
    const tail = r[R_TAIL]!;
    const live = tail - head;
    const cap0 = this.pTime.length;
    if (tail + extra <= cap0) return;
    // Compacting copies the live entries down (no overlap: head ≥ live). With at least twice (live + extra)
    // room it comes at most every (cap − live) / extra calls; below that the buffer grows to four times, so a
    // steady feed compacts every few chunks, not at every other one (the copy misses the cache).
    if (head >= live && 2 * (live + extra) <= cap0) {
      this.pTime.copyWithin(0, head, tail);
      this.pWords.copyWithin(0, head * PENDING_STRIDE, tail * PENDING_STRIDE);
    } else {
      const cap = Math.max(1024, 4 * (live + extra));
      const t = this.array(Float64Array, cap);
      const w = this.array(Uint32Array, cap * PENDING_STRIDE);
      t.set(this.pTime.subarray(head, tail));
      w.set(this.pWords.subarray(head * PENDING_STRIDE, tail * PENDING_STRIDE));
      this.pTime = t;
      this.pWords = w;
    }
    r[R_HEAD] = 0;
    r[R_TAIL] = live;
    if (r[R_UNSORTED]! >= 0) r[R_UNSORTED] = r[R_UNSORTED]! - head;
  }

  /** A zeroed array of n elements in this state's memory. */
  private array<T extends StateArray>(ctor: ArrayCtor<T>, n: number): T {
    // At least 8 bytes, so that no two arrays share an offset (kernels tell arrays apart by offset).
    const { buffer, byteOffset } = this.memory.alloc(Math.max(8, n * ctor.BYTES_PER_ELEMENT));
    return new ctor(buffer, byteOffset, n);
  }

  /** A zeroed array of n elements in this state's memory (the de-duplication stores keep their columns there). */
  newArray<T extends StateArray>(ctor: ArrayCtor<T>, n: number): T {
    return this.array(ctor, n);
  }

  /** A new de-duplication time column of n entries (DedupMemory fills it), in this state's memory. */
  newDedupTime(n: number): Float64Array {
    this.dedupTime = this.array(Float64Array, n);
    return this.dedupTime;
  }

  /** A new sequence-key time column of n entries (DeviceKeys fills it), in this state's memory. */
  newDedupSeqTime(n: number): Float64Array {
    this.dedupSeqTime = this.array(Float64Array, n);
    return this.dedupSeqTime;
  }

  /** Makes the late log hold at least n entries. */
  ensureLate(n: number): void {
    if (this.lateIdx.length >= n) return;
    this.lateIdx = this.array(Uint32Array, n);
    this.lateWm = this.array(Float64Array, n);
  }

  /** Makes the timeout list hold at least n entries. */
  ensureTimeouts(n: number): void {
    if (this.toBay.length >= n) return;
    let cap = this.toBay.length;
    while (cap < n) cap *= 2;
    const b = this.array(Uint32Array, cap);
    const t = this.array(Float64Array, cap);
    b.set(this.toBay);
    t.set(this.toTime);
    this.toBay = b;
    this.toTime = t;
  }

  /** Makes the sort scratch hold at least n events. */
  ensureScratch(n: number): void {
    if (this.sTime.length >= n) return;
    let cap = Math.max(1024, this.sTime.length);
    while (cap < n) cap *= 2;
    this.sTime = this.array(Float64Array, cap);
    this.sWords = this.array(Uint32Array, cap * PENDING_STRIDE);
    this.sIdx = this.array(Uint32Array, cap);
    this.sIdx2 = this.array(Uint32Array, cap);
  }

  /**
   * Bays in the checkpoint layout: `bays.state` (a state | flags << 2 byte per bay), `bays.time` (since, last);
   * of bays [lo, hi) only when given (a worker shard's recovery snapshot).
   */
  baySections(lo = 0, hi = this.bayCount): [string, StateArray][] {
    const n = hi - lo;
    const state = new Uint8Array(n);
    const time = new Int32Array(n * 2);
    const bays = this.bays;
    for (let b = 0; b < n; b++) {
      const r = (lo + b) * BAY_WORDS;
      state[b] = bays[r + B_WORD]! & BS_LOW;
      time[b * 2] = bays[r + B_SINCE]!;
      time[b * 2 + 1] = bays[r + B_LAST]!;
    }
    return [
      ["bays.state", state],
      ["bays.time", time],
    ];
  }

  /**
   * Writes a checked checkpoint section (named as in sections()) into the state: bays into their records (rows
   * kept), any other section byte for byte into its array.
   */
  loadSection(name: string, src: StateArray): void {
    const bays = this.bays;
    if (name === "bays.state") {
      for (let b = 0; b < this.bayCount; b++) {
        const r = b * BAY_WORDS + B_WORD;
        bays[r] = (bays[r]! & ~BS_LOW) | src[b]!;
      }
    } else if (name === "bays.time") {
      for (let b = 0; b < this.bayCount; b++) {
        bays[b * BAY_WORDS + B_SINCE] = src[b * 2]!;
        bays[b * BAY_WORDS + B_LAST] = src[b * 2 + 1]!;
      }
    } else {
      const dst = this.liveSections().find(([n]) => n === name)?.[1];
      if (dst === undefined) throw new RangeError(`no checkpoint section ${name}`);
      new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(
        new Uint8Array(src.buffer, src.byteOffset, src.byteLength),
      );
    }
  }

  // Readers for tests and the snapshot (cold).
  /** Bay state (UNKNOWN, VACANT, OCCUPIED). */
  stateOf(b: number): number {
    return this.bays[b * BAY_WORDS + B_WORD]! & BS_STATE;
  }
  /** Bay flags. */
  flagsOf(b: number): number {
    return (this.bays[b * BAY_WORDS + B_WORD]! & BS_LOW) >>> BS_FLAGS;
  }
  /** Bay's window row. */
  rowOf(b: number): number {
    return this.bays[b * BAY_WORDS + B_WORD]! >>> BS_ROW;
  }
}

/**
 * Per window row, the state of zone events: attendant counts, gate balance and paid sessions (the
 * modelBased figure). 88 bytes per row, allocated by EngineState.coldRows on the first zone event.
 */
export class ColdRows {
  /** Time of the last attendant count, −1 when none. */
  readonly countTime: Float64Array;
  /** Gate balance (vehicles present by enter − exit, clamped). */
  readonly balance: Float64Array;
  /** Vehicles clamped away from the gate balance since the last attendant count. */
  readonly driftSinceReset: Float64Array;
  /** Vehicles clamped away in the open window. */
  readonly driftWindow: Float64Array;
  /** Window number (R_EPOCH) the window fields below and driftWindow belong to. */
  readonly epoch: Uint32Array;
  // Payments per row (modelBased), kept like the hot accumulators (kernel.ts).
  readonly qOpen: Uint32Array;
  readonly qOcc: Uint32Array;
  readonly qKnown: Uint32Array;
  readonly qOccMs: Float64Array;
  readonly qKnownMs: Float64Array;
  readonly qPeak: Uint32Array;
  /** ms from the window start to the last change of qOcc (see notePeak in kernel.ts). */
  readonly qLast: Uint32Array;
  readonly qArrivals: Uint32Array;
  readonly qDepartures: Uint32Array;
  readonly qDwellSum: Float64Array;
  readonly qDwellCount: Uint32Array;

  constructor(rows: number) {
    this.countTime = new Float64Array(rows).fill(-1);
    this.balance = new Float64Array(rows);
    this.driftSinceReset = new Float64Array(rows);
    this.driftWindow = new Float64Array(rows);
    this.epoch = new Uint32Array(rows);
    this.qOpen = new Uint32Array(rows);
    this.qOcc = new Uint32Array(rows);
    this.qKnown = new Uint32Array(rows);
    this.qOccMs = new Float64Array(rows);
    this.qKnownMs = new Float64Array(rows);
    this.qPeak = new Uint32Array(rows);
    this.qLast = new Uint32Array(rows);
    this.qArrivals = new Uint32Array(rows);
    this.qDepartures = new Uint32Array(rows);
    this.qDwellSum = new Float64Array(rows);
    this.qDwellCount = new Uint32Array(rows);
  }

  /** Checkpoint sections (names of format 1 kept). */
  sections(): [string, StateArray][] {
    return [
      ["rows.countTime", this.countTime],
      ["rows.balance", this.balance],
      ["rows.driftSinceReset", this.driftSinceReset],
      ["rows.driftWindow", this.driftWindow],
      ["rows.coldEpoch", this.epoch],
      ["q.open", this.qOpen],
      ["q.occ", this.qOcc],
      ["q.known", this.qKnown],
      ["q.occMs", this.qOccMs],
      ["q.knownMs", this.qKnownMs],
      ["q.peak", this.qPeak],
      ["q.last", this.qLast],
      ["q.arrivals", this.qArrivals],
      ["q.departures", this.qDepartures],
      ["q.dwellSum", this.qDwellSum],
      ["q.dwellCount", this.qDwellCount],
    ];
  }
}

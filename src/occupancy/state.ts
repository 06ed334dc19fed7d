/**
 * The engine's whole mutable state as preallocated typed arrays plus a small register file. Kernels
 * (kernel.ts) read and write only this; checkpoints copy these buffers raw.
 *
 * Per bay: one 32-byte record, so the bay's state, times and de-duplication memory share one cache line
 * (100 000 bays → 3.2 MB). Records exist for every device (bay sensors first: device i is bay i's sensor,
 * then gate counters) and then one per zone (de-duplication of zone events without a device):
 *
 * | bytes | field | type | meaning |
 * |---|---|---|---|
 * | 0–7 | since | f64 | time the current state began (the stay start when occupied) |
 * | 8–15 | last | f64 | time of the last message (sensor timeout = last + sensorTimeoutMs) |
 * | 16 | state | u8 | 0 unknown, 1 vacant, 2 occupied |
 * | 17 | flags | u8 | has-message, stay-start-known, offline, decommissioned |
 * | 18 | dedup mode | u8 | 0 empty, 1 sequence window, 2 id hashes |
 * | 19 | — | u8 | 0 |
 * | 20–23 | row | u32 | window row of the bay's zone and class (from the catalogue, not state) |
 * | 24–27 | dedup high | u32 | highest sequence number seen, or the newest id hash |
 * | 28–31 | dedup bits | u32 | bit k: sequence high − 1 − k seen; or the previous id hash |
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
  HEALTH_LOG_SIZE,
  PENDING_STRIDE,
  R_DEADLINE_LB,
  R_HEAD,
  R_MAX_SEEN,
  R_TAIL,
  R_UNSORTED,
  R_WATERMARK,
  R_WIN_END,
  R_WIN_START,
  RB_FLAGS,
  RB_STATE,
  REC_BYTES,
  REG_COUNT,
  RU_ROW,
} from "./kernel.js";
import type { ResolvedOptions } from "./options.js";

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
  readonly windowMs: number;
  readonly latenessMs: number;
  readonly timeoutMs: number;

  readonly reg = new Float64Array(REG_COUNT);

  // Bay/device records (see the table above): three views of one buffer.
  readonly recF64: Float64Array;
  readonly recU32: Uint32Array;
  readonly recU8: Uint8Array;

  // Row accumulators (hot): two views of one buffer.
  readonly accF64: Float64Array;
  readonly accU32: Uint32Array;

  // Rows, cold.
  /** Time of the last attendant count, −1 when none. */
  readonly countTime: Float64Array;
  /** Gate balance (vehicles present by enter − exit, clamped). */
  readonly balance: Float64Array;
  /** Vehicles clamped away from the gate balance since the last attendant count. */
  readonly driftSinceReset: Float64Array;
  /** Vehicles clamped away in the open window. */
  readonly driftWindow: Float64Array;
  /** Window number (R_EPOCH) the row's cold window fields (payments, drift) belong to. */
  readonly coldEpoch: Uint32Array;
  // Payments per row (modelBased).
  readonly qOpen: Uint32Array;
  readonly qOcc: Uint32Array;
  readonly qKnown: Uint32Array;
  readonly qOccMs: Float64Array;
  readonly qKnownMs: Float64Array;
  readonly qPeak: Uint32Array;
  readonly qArrivals: Uint32Array;
  readonly qDepartures: Uint32Array;
  readonly qDwellSum: Float64Array;
  readonly qDwellCount: Uint32Array;

  // Pending events (sorted by the total order in [head, tail) once sortPending ran).
  pTime = new Float64Array(0);
  pWords = new Uint32Array(0);
  // Scratch for sorting.
  sTime = new Float64Array(0);
  sWords = new Uint32Array(0);
  sIdx = new Uint32Array(0);
  sIdx2 = new Uint32Array(0);

  // Timeout list of the open window, sorted by (time, bay).
  toBay = new Uint32Array(64);
  toTime = new Float64Array(64);

  // Health log.
  readonly hBay = new Uint32Array(HEALTH_LOG_SIZE);
  readonly hCode = new Uint8Array(HEALTH_LOG_SIZE);
  readonly hTime = new Float64Array(HEALTH_LOG_SIZE);

  // Late log: batch index and watermark at the time.
  lateIdx = new Uint32Array(0);
  lateWm = new Float64Array(0);

  constructor(city: City, o: ResolvedOptions) {
    this.bayCount = city.bayCount;
    this.zoneCount = city.zoneCount;
    this.deviceCount = city.deviceCount;
    this.recCount = city.deviceCount + city.zoneCount;
    this.windowMs = o.windowMs;
    this.latenessMs = o.allowedLatenessMs;
    this.timeoutMs = o.sensorTimeoutMs;
    this.bayZone = city.bayZone;
    this.bayVehicle = city.bayVehicle;

    const zc = city.zoneCount * VEHICLE_CODES;
    this.zcRow = new Int32Array(zc).fill(-1);
    let rows = 0;
    for (let i = 0; i < zc; i++) if (i % VEHICLE_CODES !== 0 && city.capacity[i]! > 0) this.zcRow[i] = rows++;
    this.rowCount = rows;
    this.rowZone = new Uint32Array(rows);
    this.rowVehicle = new Uint8Array(rows);
    this.rowCapacity = new Uint32Array(rows);
    this.rowDetection = new Uint8Array(rows);
    for (let i = 0; i < zc; i++) {
      const r = this.zcRow[i]!;
      if (r < 0) continue;
      this.rowZone[r] = (i / VEHICLE_CODES) | 0;
      this.rowVehicle[r] = i % VEHICLE_CODES;
      this.rowCapacity[r] = city.capacity[i]!;
      this.rowDetection[r] = city.detection[i]!;
    }
    this.zoneDefaultClass = new Uint8Array(city.zoneCount);
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

    const rec = new ArrayBuffer(this.recCount * REC_BYTES);
    this.recF64 = new Float64Array(rec);
    this.recU32 = new Uint32Array(rec);
    this.recU8 = new Uint8Array(rec);
    this.setRowFields();
    const acc = new ArrayBuffer(rows * ACC_BYTES);
    this.accF64 = new Float64Array(acc);
    this.accU32 = new Uint32Array(acc);

    this.countTime = new Float64Array(rows).fill(-1);
    this.balance = new Float64Array(rows);
    this.driftSinceReset = new Float64Array(rows);
    this.driftWindow = new Float64Array(rows);
    this.coldEpoch = new Uint32Array(rows);
    this.qOpen = new Uint32Array(rows);
    this.qOcc = new Uint32Array(rows);
    this.qKnown = new Uint32Array(rows);
    this.qOccMs = new Float64Array(rows);
    this.qKnownMs = new Float64Array(rows);
    this.qPeak = new Uint32Array(rows);
    this.qArrivals = new Uint32Array(rows);
    this.qDepartures = new Uint32Array(rows);
    this.qDwellSum = new Float64Array(rows);
    this.qDwellCount = new Uint32Array(rows);

    const r = this.reg;
    r[R_MAX_SEEN] = Number.NEGATIVE_INFINITY;
    r[R_WATERMARK] = Number.NEGATIVE_INFINITY;
    r[R_WIN_START] = -1;
    r[R_WIN_END] = -1;
    r[R_UNSORTED] = -1;
    r[R_DEADLINE_LB] = Number.NEGATIVE_INFINITY;
  }

  /** Writes each bay record's row (catalogue-derived; also after a restore). */
  setRowFields(): void {
    for (let b = 0; b < this.bayCount; b++) {
      this.recU32[b * 8 + RU_ROW] = this.zcRow[this.bayZone[b]! * VEHICLE_CODES + this.bayVehicle[b]!]!;
    }
  }

  /** The persistent arrays by checkpoint section name (pending, registers and payments are handled apart). */
  sections(): [string, Uint8Array | Uint32Array | Float64Array][] {
    return [
      ["records", this.recU8],
      ["rows.acc", new Uint8Array(this.accF64.buffer, this.accF64.byteOffset, this.accF64.byteLength)],
      ["rows.countTime", this.countTime],
      ["rows.balance", this.balance],
      ["rows.driftSinceReset", this.driftSinceReset],
      ["rows.driftWindow", this.driftWindow],
      ["rows.coldEpoch", this.coldEpoch],
      ["q.open", this.qOpen],
      ["q.occ", this.qOcc],
      ["q.known", this.qKnown],
      ["q.occMs", this.qOccMs],
      ["q.knownMs", this.qKnownMs],
      ["q.peak", this.qPeak],
      ["q.arrivals", this.qArrivals],
      ["q.departures", this.qDepartures],
      ["q.dwellSum", this.qDwellSum],
      ["q.dwellCount", this.qDwellCount],
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
   * Growth keeps room for twice what is needed, so capacity stays within about 2 × (pending + 8192).
   */
  ensurePending(extra: number): void {
    const r = this.reg;
    const head = r[R_HEAD]!;
    const tail = r[R_TAIL]!;
    const live = tail - head;
    if (tail + extra <= this.pTime.length) return;
    if (head >= live && live + extra <= this.pTime.length) {
      this.pTime.copyWithin(0, head, tail);
      this.pWords.copyWithin(0, head * PENDING_STRIDE, tail * PENDING_STRIDE);
    } else {
      // Here capacity < 2 × (live + extra) (else head ≥ live would have allowed compacting), so this grows.
      const cap = Math.max(1024, 2 * (live + extra));
      const t = new Float64Array(cap);
      const w = new Uint32Array(cap * PENDING_STRIDE);
      t.set(this.pTime.subarray(head, tail));
      w.set(this.pWords.subarray(head * PENDING_STRIDE, tail * PENDING_STRIDE));
      this.pTime = t;
      this.pWords = w;
    }
    r[R_HEAD] = 0;
    r[R_TAIL] = live;
    if (r[R_UNSORTED]! >= 0) r[R_UNSORTED] = r[R_UNSORTED]! - head;
  }

  /** Makes the late log hold at least n entries. */
  ensureLate(n: number): void {
    if (this.lateIdx.length >= n) return;
    this.lateIdx = new Uint32Array(n);
    this.lateWm = new Float64Array(n);
  }

  /** Makes the timeout list hold at least n entries. */
  ensureTimeouts(n: number): void {
    if (this.toBay.length >= n) return;
    let cap = this.toBay.length;
    while (cap < n) cap *= 2;
    const b = new Uint32Array(cap);
    const t = new Float64Array(cap);
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
    this.sTime = new Float64Array(cap);
    this.sWords = new Uint32Array(cap * PENDING_STRIDE);
    this.sIdx = new Uint32Array(cap);
    this.sIdx2 = new Uint32Array(cap);
  }

  // Readers for tests and the snapshot (cold).
  /** Bay state (UNKNOWN, VACANT, OCCUPIED). */
  bayState(b: number): number {
    return this.recU8[b * REC_BYTES + RB_STATE]!;
  }
  /** Bay flags. */
  bayFlags(b: number): number {
    return this.recU8[b * REC_BYTES + RB_FLAGS]!;
  }
}

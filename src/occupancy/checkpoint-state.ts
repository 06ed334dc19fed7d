/**
 * What of an occupancy engine's state a checkpoint holds, and putting it back: the raw sections (registers in
 * canonical form, bay records, row accumulators, zone-event rows, pending events, payments, de-duplication
 * keys) that checkpoint.ts wraps in the FlatBuffers `Checkpoint` container, and their restore into a fresh
 * engine's state, every section read and range-checked before anything is changed (a bad checkpoint is a
 * ParkirWireError and leaves the engine as it was). OccupancyEngine.checkpoint and restore are the callers.
 */
import { VEHICLE_CODES } from "../catalog/vehicles.js";
import { ParkirWireError } from "../errors/index.js";
import { EVENT_TYPES, KIND } from "../wire/kinds.js";
import { FLAG_TARGET_ZONE, NO_DEVICE } from "../wire/layout.js";
import { bytesOf } from "./checkpoint.js";
import { DedupMemory } from "./dedup.js";
import {
  AU_EPOCH,
  BF_ALL,
  BS_FLAGS,
  BS_STATE,
  OCCUPIED,
  PENDING_STRIDE,
  R_DEADLINE_LB,
  R_EPOCH,
  R_H_COUNT,
  R_HEAD,
  R_LATE_COUNT,
  R_TAIL,
  R_TO_COUNT,
  R_TO_CURSOR,
  R_UNSORTED,
  R_WIN_END,
  R_WIN_START,
  REG_COUNT,
} from "./kernel.js";
import { resetRow } from "./rows.js";
import { ColdRows, type EngineState, type StateArray } from "./state.js";
import type { OccupancyKernel } from "./wasm-kernel.js";
import { rebuildTimeouts } from "./window-open.js";
import {
  loadPayments,
  PAYMENT_SECTIONS,
  type PaymentBook,
  type PaymentParts,
  paymentSections,
} from "./zone-events.js";

const KIND_PAYMENT_START = KIND.payment_start;

/**
 * The state's checkpoint sections by name (sorting the pending events first, with `k`). Derived registers are
 * written in canonical form, so restore then checkpoint gives the same bytes. With `slice`, only that part
 * (see StateSlice).
 */
export function stateSections(
  s: EngineState,
  k: OccupancyKernel,
  book: PaymentBook,
  dedup: DedupMemory,
  slice?: StateSlice,
): Map<string, Uint8Array> {
  k.sortPending(s);
  const reg = s.reg;
  const head = reg[R_HEAD]!;
  const tail = reg[R_TAIL]!;
  const sections = new Map<string, Uint8Array>();
  // Derived registers are written in canonical form, so restore(checkpoint()) checkpoints to the same bytes.
  const saved = reg.slice();
  saved[R_HEAD] = 0;
  saved[R_TAIL] = tail - head;
  saved[R_UNSORTED] = -1;
  saved[R_TO_COUNT] = 0;
  saved[R_TO_CURSOR] = 0;
  saved[R_H_COUNT] = 0;
  saved[R_LATE_COUNT] = 0;
  saved[R_DEADLINE_LB] = Number.NEGATIVE_INFINITY;
  sections.set("reg", bytesOf(saved));
  const arrays =
    slice === undefined ? s.sections() : s.sliceSections(slice.bayLo, slice.bayHi, slice.rowLo, slice.rowHi);
  for (const [name, arr] of arrays) sections.set(name, bytesOf(arr));
  sections.set("pending.time", bytesOf(s.pTime.subarray(head, tail)));
  const pendingWords = s.pWords.slice(head * PENDING_STRIDE, tail * PENDING_STRIDE);
  for (const [name, arr] of paymentSections(book, pendingWords)) sections.set(name, bytesOf(arr));
  sections.set("pending.words", bytesOf(pendingWords));
  for (const [name, arr] of slice === undefined ? dedup.sections() : dedup.unsortedSections())
    sections.set(name, bytesOf(arr));
  return sections;
}

/**
 * The part of an engine's state a worker shard owns (stateSections with it: bays and window rows of that range
 * only, de-duplication keys unsorted; sharded/snapshot.ts).
 */
export interface StateSlice {
  readonly bayLo: number;
  readonly bayHi: number;
  readonly rowLo: number;
  readonly rowHi: number;
}

/** Loads checkpoint sections into a fresh engine's state (throws ParkirWireError before any change). */
export function loadStateSections(
  s: EngineState,
  book: PaymentBook,
  dedup: DedupMemory,
  sections: ReadonlyMap<string, Uint8Array>,
): void {
  const get = (name: string, bytesPer: number, count: number): Uint8Array => {
    const b = sections.get(name);
    if (b === undefined) throw new ParkirWireError("bad-field", 0, `checkpoint: section ${name} is missing`);
    if (count >= 0 ? b.byteLength !== count * bytesPer : b.byteLength % bytesPer !== 0) {
      throw new ParkirWireError("bad-field", 0, `checkpoint: section ${name} has ${b.byteLength} bytes`);
    }
    return b;
  };
  const typed = <T extends StateArray>(
    ctor: { new (n: number): T; BYTES_PER_ELEMENT: number },
    name: string,
    count: number,
  ): T => {
    const b = get(name, ctor.BYTES_PER_ELEMENT, count);
    const out = new ctor(b.byteLength / ctor.BYTES_PER_ELEMENT);
    bytesOf(out).set(b);
    return out;
  };
  const known = new Set([
    "checksum",
    "reg",
    "pending.time",
    "pending.words",
    ...PAYMENT_SECTIONS,
    "dedup.keys",
    "dedup.times",
    "dedup.ids",
  ]);
  for (const [name] of s.sections()) known.add(name);
  for (const name of sections.keys()) {
    if (!known.has(name)) throw new ParkirWireError("bad-field", 0, `checkpoint: unknown section ${name}`);
  }
  // Read and check everything first.
  const reg = typed(Float64Array, "reg", REG_COUNT);
  const arrays = s.sections().map(([name, arr]) => {
    const ctor = arr.constructor as { new (n: number): typeof arr; BYTES_PER_ELEMENT: number };
    return [name, arr, typed(ctor, name, arr.length)] as const;
  });
  const pTime = typed(Float64Array, "pending.time", -1);
  const pWords = typed(Uint32Array, "pending.words", pTime.length * PENDING_STRIDE);
  const pay: PaymentParts = {
    zone: typed(Uint32Array, "pay.ids.zone", -1),
    len: typed(Uint32Array, "pay.ids.len", -1),
    bytes: typed(Uint8Array, "pay.ids.bytes", -1),
    sessionKey: typed(Uint32Array, "pay.sessions.key", -1),
    sessionRow: typed(Uint32Array, "pay.sessions.row", -1),
    sessionStart: typed(Float64Array, "pay.sessions.start", -1),
    keyKey: typed(Uint32Array, "pay.keys.key", -1),
    keyTag: typed(Uint8Array, "pay.keys.tag", -1),
  };
  const dedupKeys = typed(Uint32Array, "dedup.keys", -1);
  const dedupTimes = typed(Float64Array, "dedup.times", -1);
  const dedupIds = typed(Uint8Array, "dedup.ids", -1);
  const dedupProblem = DedupMemory.check(dedupKeys, dedupTimes, dedupIds, s.recCount);
  if (dedupProblem !== null) throw new ParkirWireError("bad-field", 0, `checkpoint: ${dedupProblem}`);
  checkSections(s, reg, arrays, pTime, pWords);
  const payProblem = loadPayments(s, book, pay, pWords);
  if (payProblem !== null) throw new ParkirWireError("bad-field", 0, `checkpoint: ${payProblem}`);
  // Commit.
  // Zone-event state is allocated only when the checkpoint holds some (see EngineState.coldRows).
  const defaults = new Map(new ColdRows(s.rowCount).sections());
  const isDefault = (name: string, a: StateArray): boolean => {
    const d = defaults.get(name);
    return d !== undefined && Buffer.compare(bytesOf(a), bytesOf(d)) === 0;
  };
  if (arrays.some(([name, , src]) => defaults.has(name) && !isDefault(name, src))) s.coldRows();
  for (const [name, , src] of arrays) {
    if (s.cold !== null || !defaults.has(name)) s.loadSection(name, src);
  }
  s.reg.set(reg);
  dedup.load(dedupKeys, dedupTimes, dedupIds);
  // Rows belong to the open window (closeRows resets them); checkpoints written while rows were reset lazily,
  // on first touch, may hold rows of an older window: reset those now, as that first touch would have.
  for (let r = 0; r < s.rowCount; r++) {
    if (s.accU32[r * 16 + AU_EPOCH] !== s.reg[R_EPOCH])
      resetRow(s.accF64, s.accU32, r, s.reg[R_EPOCH]!, s.windowMs);
  }
  s.reg[R_HEAD] = 0;
  s.reg[R_TAIL] = 0;
  s.reg[R_UNSORTED] = -1;
  s.reg[R_H_COUNT] = 0;
  s.reg[R_LATE_COUNT] = 0;
  s.reg[R_DEADLINE_LB] = Number.NEGATIVE_INFINITY;
  s.ensurePending(pTime.length);
  s.pTime.set(pTime);
  s.pWords.set(pWords);
  s.reg[R_TAIL] = pTime.length;
  if (pTime.length > 1) s.reg[R_UNSORTED] = 1;
  if (s.reg[R_WIN_START]! >= 0) rebuildTimeouts(s);
  else {
    s.reg[R_TO_COUNT] = 0;
    s.reg[R_TO_CURSOR] = 0;
  }
}

/** Range checks of restored state so that no index can point outside an array. */
function checkSections(
  s: EngineState,
  reg: Float64Array,
  arrays: readonly (readonly [string, StateArray, StateArray])[],
  pTime: Float64Array,
  pWords: Uint32Array,
): void {
  const bad = (what: string): never => {
    throw new ParkirWireError("bad-field", 0, `checkpoint: ${what}`);
  };
  for (let i = 0; i < REG_COUNT; i++) if (Number.isNaN(reg[i]!)) bad(`register ${i} is NaN`);
  const ws = reg[R_WIN_START]!;
  if (
    ws !== -1 &&
    !(Number.isInteger(ws) && ws >= 0 && ws % s.windowMs === 0 && reg[R_WIN_END] === ws + s.windowMs)
  ) {
    bad("window bounds are invalid");
  }
  const restored = (name: string): StateArray => arrays.find(([n]) => n === name)![2];
  const bayState = restored("bays.state");
  for (let b = 0; b < s.bayCount; b++) {
    const v = bayState[b]!;
    if ((v & BS_STATE) > OCCUPIED || ((v >>> BS_FLAGS) & ~BF_ALL) !== 0) bad(`bay ${b} has an invalid state`);
  }
  for (let i = 0; i < pTime.length; i++) {
    const t = pTime[i]!;
    if (!Number.isInteger(t) || t < 0) bad(`pending event ${i} has an invalid time`);
    const p = i * PENDING_STRIDE;
    const kvf = pWords[p + 3]!;
    if ((kvf & 0xff) >= EVENT_TYPES.length || ((kvf >>> 8) & 0xff) >= VEHICLE_CODES || kvf >>> 24 !== 0) {
      bad(`pending event ${i} has an invalid kind`);
    }
    const zoneTarget = ((kvf >>> 16) & FLAG_TARGET_ZONE) !== 0;
    if (pWords[p]! >= (zoneTarget ? s.zoneCount : s.bayCount))
      bad(`pending event ${i} has an invalid target`);
    const device = pWords[p + 4]!;
    // A payment's device word holds its session key (checked by loadPayments).
    if ((kvf & 0xff) < KIND_PAYMENT_START && device !== NO_DEVICE && device >= s.deviceCount)
      bad(`pending event ${i} has an invalid device`);
  }
}

/**
 * Closing tumbling windows. Closing turns accumulators into rows (rows.ts), with no per-bay work, and in the same
 * pass resets them to the next window's "remaining time" form (count × windowMs), for the rows touched in the
 * window or the one before (WindowRows; the others are copied from the last window's columns). Opening a window
 * is window-open.ts; the column sets closed windows are written into, columns.ts; what `windows$` emits,
 * closed-window.ts.
 *
 * Row formulas (per zone and vehicle class, window [start, end), w = end − start, cap = capacity):
 * - coverage = knownBayMs / (cap × w); occupancy = occupiedBayMs / knownBayMs, NaN (null) when
 *   coverage < minCoverage or knownBayMs = 0;
 * - meanDwellMs = round(Σ dwell / stays) over stays that ended in the window with a known start;
 * - the source is the zone-class's detection method; when that method knew nothing in the window
 *   (knownBayMs = 0) but payments did, payments are used and the row says modelBased;
 * - confidence: 0 when nothing was known; else singleSpaceDetection 1, balancing cap / (cap + drift since the
 *   last attendant count), manual 2^(−(end − count time) / countHalfLifeMs), modelBased 0.5.
 */
import { DETECTION } from "../catalog/city.js";
import { KIND } from "../wire/kinds.js";
import { allocColumns, type ColumnSlot, columnTable, copyColumns, tableColumns } from "./columns.js";
import {
  AU_EPOCH,
  B_WORD,
  BAY_WORDS,
  BS_ROW,
  FLAG_ZONE,
  PENDING_STRIDE,
  R_EPOCH,
  R_HEAD,
  R_TO_CURSOR,
  R_WINDOWS,
} from "./kernel.js";
import { closeRows, type RowChanges } from "./rows.js";
import type { EngineState } from "./state.js";
import type { WindowColumns } from "./types.js";

const D_MANUAL = DETECTION.manual;
/** Kinds from here on are zone events whatever their target (kinds.ts). */
const K_ENTER = KIND.enter_area;

// Parameters of the kernel's closeWindowRows (keep in step with CP_* of wasm/occupancy.ts): f64 words 0 and 1,
// then u32 words (byte offsets of arrays in the kernel's memory, counts, close numbers).
const CP_WINDOW_MS = 0;
const CP_MIN_COVERAGE = 1;
const CP_COLS = 4;
const CP_LO = 5;
const CP_HI = 6;
const CP_TOUCHED = 7;
const CP_N_TOUCHED = 8;
const CP_BEFORE = 9;
const CP_N_BEFORE = 10;
const CP_IN_TOUCHED = 11;
const CP_EPOCH = 12;
const CP_MARKS = 13;
const CP_AT = 14;
const CP_NOW = 15;
const CP_ACTIVE = 16;
const CP_IS_ACTIVE = 17;
const CP_HELD = 18;
const CP_OUT = 19;
const CP_DELTA = 20;
const CP_SPAN = 21;
const CP_SCRATCH = 22;
const CP_SWEEP = 23;
const CP_WORDS = 24;

/**
 * A close's changes (RowChanges) and the rows any close but the first listed: a column set that holds a close's
 * figures needs only those of them listed since (the others kept the first close's figures). @internal
 */
export interface CloseChanges extends RowChanges {
  /** active[0]: how many rows; active[1 .. active[0]]: the rows, in the order first listed. */
  readonly active: Uint32Array;
  /** 1 for the rows in `active`. */
  readonly isActive: Uint8Array;
  /** Room for a list of every row (where the kernel lists the rows it copies). */
  readonly scratch: Uint32Array;
}

/**
 * Where a kernel lists a close's changed rows and copies rows from the last window's columns into a column set,
 * both in its memory and laid out alike (columnsRegion). @internal
 */
export interface CopyPlan {
  /** Byte offset of the list. */
  readonly out: number;
  /** Bytes from the last window's columns to the set's. */
  readonly delta: number;
  /** Bytes of the region holding a set's columns. */
  readonly span: number;
}

/**
 * Writes every row of the open window (which must be complete) into `c`, resets them for the next window and
 * counts it closed (O(rows); the engine closes through WindowRows, which computes only the rows that changed).
 * The constant columns are copied only into a column set that does not share them.
 */
export function closeWindow(
  s: EngineState,
  minCoverage: number,
  countHalfLifeMs: number,
  c: WindowColumns,
): void {
  const k = s.windowConstants;
  if (c.zone !== k.zone) {
    c.zone.set(k.zone);
    c.vehicle.set(k.vehicle);
    c.capacity.set(k.capacity);
  }
  closeRows(s, minCoverage, countHalfLifeMs, c);
  countClosed(s);
}

/** Counts the open window closed (its rows are reset for the next one). */
function countClosed(s: EngineState): void {
  s.reg[R_EPOCH] = s.reg[R_EPOCH]! + 1;
  s.reg[R_WINDOWS] = s.reg[R_WINDOWS]! + 1;
}

/**
 * Closing windows in O(rows touched): which rows anything changed in the open window, the columns of the last
 * closed window, and which rows each close changed.
 *
 * Why it is exact: a row nothing touched in a window keeps its accumulators in their reset form (count ×
 * windowMs, zeros) and its zone-event state as it was, so its columns are a function of counts that did not
 * change; when nothing touched it in the window before either, they are that window's columns. So a close
 * recomputes the rows touched in this window or the one before (and attendant-counted rows, whose confidence
 * decays with the window's end), and every other row keeps the last window's figures. Touches are noted from
 * what the kernel applied (noteApplied: the bay of each bay event and sensor timeout) and from the zone-event
 * epoch that every host-side change of a row sets (currentRow). The first close, and the first after a
 * restore, computes every row.
 *
 * Changes: computing a row into `last` compares it with the figures there (closeRows' RowChanges), so each close
 * knows the rows whose figures differ from the window before's or that counted arrivals or departures (every row
 * on the first close): the window's `changedRows`, and `at[r]`, the last close that listed row r. A column set
 * handed out again holds the figures of the close it held (ColumnSlot.held), so only the rows listed since are
 * copied into it from `last` — on a live feed, where each call closes one window into the set that held the one
 * before, the rows this close listed.
 */
export class WindowRows {
  /** @internal false: every close computes every row (the tests compare the two). */
  incremental = true;
  /** The columns of the last closed window (valid once `primed`). */
  private readonly last: WindowColumns;
  private primed = false;
  /** Rows touched in the open window, and in the window before it. */
  private touched: Uint32Array;
  private touchedN = 0;
  private before: Uint32Array;
  private beforeN = 0;
  /** 1 for the rows in `touched`. */
  private readonly inTouched: Uint8Array;
  /** Rows a close changed: bitmap, the last close that listed each row, and this close's number. */
  private readonly changes: CloseChanges;
  /** Where a fresh column set's changed rows are listed before they are copied out (also changes.scratch). */
  private readonly listed: Uint32Array;
  /** The kernel's loop for noteApplied, when it reads the lists where they are (the state's memory). */
  private readonly noter: RowKernel | undefined;
  /**
   * @internal A close goes through the rows in row order, closing those touched, when the rows touched in the
   * window and the one before number more than this; else it closes the rows of its lists in the order they were
   * first touched, which reads and writes each row's accumulator and columns at scattered places. Default
   * (undefined): an eighth of the rows. The tests force either way.
   */
  sweepAbove: number | undefined = undefined;
  /** Whether the kernel notes touched rows inside applyEvents (see the `noting` setter). */
  private notingInApply = true;
  /** The engine's kernel is the JavaScript one (no RowKernel): its applyEvents notes rows in EngineState.rowNotes. */
  private readonly jsKernel: boolean;
  /** The kernel's closeRows and copy, when `last` lies in its memory (closeInKernel). */
  private readonly closer: RowKernel | undefined;
  /** The byte offsets of `last`'s columns and of the rows' capacity and method, for the kernel's closeRows. */
  private readonly columnTable: Uint32Array | undefined;
  /** The parameters of the kernel's closeWindowRows (CP_*), and their f64 words. */
  private readonly params: Uint32Array | undefined;
  private readonly paramsF64: Float64Array | undefined;
  /** `last` as a column set handed out for the window it holds (inPlaceSlot), made on first use. */
  private inPlace: ColumnSlot | undefined;

  /**
   * @param kernel the kernel's loops (the wasm kernel's); undefined: the loops here, for the JavaScript kernel
   *   (whose applyEvents notes touched rows in EngineState.rowNotes)
   * @param closeInKernel close rows in the kernel: `last` then lies in the state's memory, and the column sets
   *   closes are copied into should too (a copy out of a shared memory into the JavaScript heap is slower than
   *   the rows it saves), so the engine asks for it when its ColumnPool reuses sets allocated there
   */
  constructor(
    private readonly s: EngineState,
    kernel?: RowKernel,
    closeInKernel = false,
  ) {
    const n = s.rowCount;
    // One entry past the rows: the kernel's noting writes a row there before it knows whether it is a new one.
    this.touched = s.newArray(Uint32Array, n + 1);
    this.before = s.newArray(Uint32Array, n + 1);
    this.inTouched = s.newArray(Uint8Array, n);
    this.listed = s.newArray(Uint32Array, n);
    this.changes = {
      marks: s.newArray(Uint32Array, (n + 31) >>> 5),
      at: s.newArray(Uint32Array, n),
      now: 0,
      active: s.newArray(Uint32Array, n + 1),
      isActive: s.newArray(Uint8Array, n),
      scratch: this.listed,
    };
    this.jsKernel = kernel === undefined;
    const reads = (a: ArrayBufferView) => kernel?.reads(a) === true;
    this.noter = [this.touched, this.before, this.inTouched].every(reads) ? kernel : undefined;
    const inKernel = closeInKernel && this.noter !== undefined;
    this.last = allocColumns(n, s.windowConstants, inKernel ? s.memory : undefined);
    this.columnTable = inKernel ? columnTable(s, this.last) : undefined;
    const table = this.columnTable;
    const { marks, at, active, isActive } = this.changes;
    const arrays = [table, marks, at, active, isActive, this.listed, ...tableColumns(s, this.last)];
    this.closer =
      table !== undefined && arrays.every((a) => a !== undefined && reads(a)) ? kernel : undefined;
    if (this.closer !== undefined) {
      const f = s.newArray(Float64Array, CP_WORDS >>> 1);
      this.paramsF64 = f;
      const p = new Uint32Array(f.buffer, f.byteOffset, CP_WORDS);
      this.params = p;
      p[CP_COLS] = table!.byteOffset;
      p[CP_IN_TOUCHED] = this.inTouched.byteOffset;
      p[CP_MARKS] = marks.byteOffset;
      p[CP_AT] = at.byteOffset;
      p[CP_ACTIVE] = active.byteOffset;
      p[CP_IS_ACTIVE] = isActive.byteOffset;
      p[CP_SCRATCH] = this.listed.byteOffset;
      f[CP_WINDOW_MS] = s.windowMs;
    }
    this.armNoting();
  }

  /**
   * @internal Whether the kernel notes touched rows inside applyEvents (noteWhileApplying; the default), rather
   * than in a pass of its own over what each call applied (noteRows); the tests compare the two.
   */
  get noting(): boolean {
    return this.notingInApply;
  }

  set noting(on: boolean) {
    this.notingInApply = on;
    if (on) this.armNoting();
    else {
      this.noter?.noteWhileApplying(this.s, null, this.touched, 0);
      this.s.rowNotes = null;
    }
  }

  /** Above how many rows touched (in this window and the one before) a close takes them in row order. */
  private sweepThreshold(): number {
    return Math.min(this.sweepAbove ?? (this.s.closeHi - this.s.closeLo) >>> 3, 0xffffffff);
  }

  /** Names the touched list to a kernel that notes rows while applying (after every change of list or length). */
  private armNoting(): void {
    if (!this.notingInApply) return;
    if (this.noter !== undefined)
      this.noter.noteWhileApplying(this.s, this.inTouched, this.touched, this.touchedN);
    else if (this.jsKernel) this.s.rowNotes = { marks: this.inTouched, list: this.touched, n: this.touchedN };
  }

  /**
   * Notes the rows the kernel touched in one applyEvents call: the pending events [head0, head) (bay events;
   * zone events there were skipped by a shard's kernel) and the timeout list entries [cursor0, cursor).
   */
  noteApplied(head0: number, cursor0: number): void {
    const s = this.s;
    const head = s.reg[R_HEAD]!;
    const cursor = s.reg[R_TO_CURSOR]!;
    if (head === head0 && cursor === cursor0) return;
    const noter = this.noter;
    if (this.notingInApply && (noter !== undefined || this.jsKernel)) {
      // The kernel noted them as it applied the events (noteWhileApplying, EngineState.rowNotes): no second pass.
      this.touchedN = noter !== undefined ? noter.notedCount() : this.s.rowNotes!.n;
      return;
    }
    if (noter !== undefined) {
      this.touchedN = noter.noteRows(
        s,
        head0,
        head,
        cursor0,
        cursor,
        this.inTouched,
        this.touched,
        this.touchedN,
      );
      return;
    }
    const pWords = s.pWords;
    const bays = s.bays;
    const rows = s.rowCount;
    for (let h = head0; h < head; h++) {
      const p = h * PENDING_STRIDE;
      const kvf = pWords[p + 3]!;
      if ((kvf & (FLAG_ZONE << 16)) !== 0 || (kvf & 0xff) >= K_ENTER) continue;
      const row = bays[pWords[p]! * BAY_WORDS + B_WORD]! >>> BS_ROW;
      if (row < rows) this.touch(row);
    }
    const toBay = s.toBay;
    for (let k = cursor0; k < cursor; k++) {
      const row = bays[toBay[k]! * BAY_WORDS + B_WORD]! >>> BS_ROW;
      if (row < rows) this.touch(row);
    }
  }

  /**
   * A column set that is `last` itself: a close into it writes no copy, only its changed-row list. Each call
   * counts a new handing-out (ColumnSlot.gen), so the window it held goes stale when the next one closes: the
   * engine emits each window closed into it before it closes another.
   */
  inPlaceSlot(): ColumnSlot {
    let slot = this.inPlace;
    if (slot !== undefined) {
      slot.gen++;
      return slot;
    }
    const changed = this.s.newArray(Uint32Array, this.s.rowCount);
    // The kernel lists the changes into `changed` and copies nothing (span 0).
    const base = this.closer?.copyPlan(changed, this.last, this.last) ?? null;
    slot = {
      columns: this.last,
      gen: 0,
      held: 0,
      changed,
      changedCount: 0,
      plan: base === null ? null : { out: base.out, delta: 0, span: 0 },
    };
    this.inPlace = slot;
    return slot;
  }

  /** Makes the window held in `last` stale (its memory goes to another engine). */
  retire(): void {
    if (this.inPlace !== undefined) this.inPlace.gen++;
  }

  private touch(row: number): void {
    if (this.inTouched[row] === 0) {
      this.inTouched[row] = 1;
      this.touched[this.touchedN++] = row;
    }
  }

  /**
   * Closes the open window into `slot`: writes its rows into `last` and resets them for the next window (see
   * closeRows), computing only the rows that may differ from the last window's; lists the rows that changed in
   * the slot; brings the slot's columns up to date; counts the window closed.
   */
  close(minCoverage: number, countHalfLifeMs: number, slot: ColumnSlot): void {
    const s = this.s;
    const changes = this.changes;
    const now = ++changes.now;
    let n = -1;
    if (!this.incremental || !this.primed) {
      this.closeRows(minCoverage, countHalfLifeMs, null, 0);
      if (!this.primed) {
        // No window before (a fresh or restored engine): every row changed.
        for (let r = s.closeLo; r < s.closeHi; r++) {
          changes.marks[r >>> 5] = changes.marks[r >>> 5]! | (1 << (r & 31));
          changes.at[r] = now;
        }
        this.primed = true;
      }
      // What touched the rows before is unknown (a fresh or restored engine, or closes that did not track it):
      // the next close computes every row.
      this.clearTouched();
      for (let r = 0; r < s.rowCount; r++) this.before[r] = r;
      this.beforeN = s.rowCount;
    } else {
      const z = s.cold;
      if (z !== null) {
        // Host-side changes (zone events, payments) set the row's zone-event epoch; attendant counts decay.
        const epoch = s.reg[R_EPOCH]!;
        const method = s.rowDetection;
        for (let r = 0; r < s.rowCount; r++) {
          if (z.epoch[r] === epoch || (method[r] === D_MANUAL && z.countTime[r]! >= 0)) this.touch(r);
        }
      }
      const closer = this.closer;
      const p = this.params;
      if (z === null && closer !== undefined && p !== undefined) {
        // The same steps in one kernel call, with the list and the copy into the slot when it lies in the kernel's memory.
        const plan = this.planFor(slot);
        this.paramsF64![CP_MIN_COVERAGE] = minCoverage;
        p[CP_LO] = s.closeLo;
        p[CP_HI] = s.closeHi;
        p[CP_TOUCHED] = this.touched.byteOffset;
        p[CP_N_TOUCHED] = this.touchedN;
        p[CP_BEFORE] = this.before.byteOffset;
        p[CP_N_BEFORE] = this.beforeN;
        p[CP_EPOCH] = s.reg[R_EPOCH]!;
        p[CP_NOW] = now;
        p[CP_HELD] = slot.held;
        p[CP_OUT] = plan === null ? 0 : plan.out;
        p[CP_DELTA] = plan === null ? 0 : plan.delta;
        p[CP_SPAN] = plan === null ? 0 : plan.span;
        p[CP_SWEEP] = this.sweepThreshold();
        n = closer.closeWindowRows(s, p);
        if (plan === null) n = -1;
        this.swapTouched();
      } else if (this.touchedN + this.beforeN > this.sweepThreshold()) {
        // Many rows: the rows touched in either window, in row order (as the kernel's sweep), closed at once.
        const inTouched = this.inTouched;
        const before = this.before;
        for (let i = 0; i < this.beforeN; i++) inTouched[before[i]!] = 1;
        const rows = this.listed;
        let m = 0;
        for (let r = 0; r < s.rowCount; r++) if (inTouched[r] !== 0) rows[m++] = r;
        this.closeRows(minCoverage, countHalfLifeMs, rows, m);
        inTouched.fill(0);
        this.swapTouched();
      } else {
        this.closeRows(minCoverage, countHalfLifeMs, this.touched, this.touchedN);
        // Rows touched only in the window before: back to their quiet figures (their accumulators were reset).
        let m = 0;
        const before = this.before;
        for (let i = 0; i < this.beforeN; i++) {
          const r = before[i]!;
          if (this.inTouched[r] === 0) before[m++] = r;
        }
        this.closeRows(minCoverage, countHalfLifeMs, before, m);
        // The untouched rows already are in their next window's form; their AU_EPOCH is brought up to date only
        // when something reads it (stampEpochs).
        this.clearTouched();
      }
    }
    if (n < 0) n = this.listChanges(slot);
    else slot.changedCount = n;
    slot.held = now;
    countClosed(s);
  }

  /**
   * Lists the rows this close changed in the slot (ascending) and brings its columns up to date from `last`: in
   * the kernel when it can, else here.
   */
  private listChanges(slot: ColumnSlot): number {
    const s = this.s;
    const changes = this.changes;
    const fresh = slot.changed.length < s.rowCount;
    const out = fresh ? this.listed : slot.changed;
    const c = slot.columns;
    const plan = fresh ? null : this.planFor(slot);
    let n = -1;
    if (plan !== null) n = this.closer!.listChanges(s, this.columnTable!, changes, slot.held, plan);
    if (n < 0) {
      n = listMarked(changes, s.closeLo, s.closeHi, out);
      if (c !== this.last) bringUpToDate(this.last, c, slot.held, changes, out, n);
    }
    if (fresh) slot.changed = out.slice(0, n);
    slot.changedCount = n;
    return n;
  }

  /** How the kernel lists and copies into a reused slot (asked once per slot), or null when it cannot. */
  private planFor(slot: ColumnSlot): CopyPlan | null {
    if (slot.plan === undefined)
      slot.plan = this.closer?.copyPlan(slot.changed, this.last, slot.columns) ?? null;
    return slot.plan;
  }

  /**
   * closeRows into `last`, noting changes: in the kernel when it can (an engine without zone-event state), else
   * rows.ts's.
   */
  private closeRows(minCoverage: number, countHalfLifeMs: number, list: Uint32Array | null, n: number): void {
    const s = this.s;
    const closer = this.closer;
    const table = this.columnTable;
    if (closer !== undefined && table !== undefined && s.cold === null)
      closer.closeRows(s, table, list, list === null ? s.closeHi - s.closeLo : n, minCoverage, this.changes);
    else closeRows(s, minCoverage, countHalfLifeMs, this.last, list, n, this.changes);
  }

  /** The last closed window's columns, or null before the first close (of a fresh or restored engine). @internal */
  lastClosed(): WindowColumns | null {
    return this.primed ? this.last : null;
  }

  /**
   * Takes `columns` as the last closed window's, as if this engine had closed it (a worker shard rebuilt from a
   * recovery snapshot, sharded/engine.ts): the next close lists the rows whose figures differ from them, and
   * computes every row (what touched the rows before is not known). @internal
   */
  prime(columns: WindowColumns): void {
    copyColumns(columns, this.last);
    this.primed = true;
    this.clearTouched();
    for (let r = 0; r < this.s.rowCount; r++) this.before[r] = r;
    this.beforeN = this.s.rowCount;
  }

  /**
   * Sets every row's AU_EPOCH to the open window's number, as a checkpoint records it: closing leaves the rows
   * it did not compute with the number of the window they were last reset for, and their sums already in the
   * open window's form.
   */
  stampEpochs(): void {
    const s = this.s;
    const u = s.accU32;
    const epoch = s.reg[R_EPOCH]!;
    for (let r = s.closeLo; r < s.closeHi; r++) u[r * 16 + AU_EPOCH] = epoch;
  }

  /** The touched rows become the window before's; none is touched in the new window. */
  private clearTouched(): void {
    const t = this.touched;
    for (let i = 0; i < this.touchedN; i++) this.inTouched[t[i]!] = 0;
    this.swapTouched();
  }

  /** The touched rows (their marks cleared) become the window before's. */
  private swapTouched(): void {
    const t = this.touched;
    this.touched = this.before;
    this.before = t;
    this.beforeN = this.touchedN;
    this.touchedN = 0;
    this.armNoting();
  }
}

/**
 * Writes the rows of [lo, hi) marked in `changes.marks` (bit r & 31 of word r >>> 5) into `out` in ascending order
 * and clears their marks; after the first close (`now` > 1) adds them to the active rows. Returns how many.
 */
export function listMarked(changes: CloseChanges, lo: number, hi: number, out: Uint32Array): number {
  const { marks, active, isActive } = changes;
  const track = changes.now > 1;
  let n = 0;
  if (hi <= lo) return 0;
  const lastWord = (hi - 1) >>> 5;
  for (let w = lo >>> 5; w <= lastWord; w++) {
    let bits = marks[w]!;
    if (bits === 0) continue;
    marks[w] = 0;
    while (bits !== 0) {
      const low = bits & -bits;
      const r = (w << 5) + 31 - Math.clz32(low);
      out[n++] = r;
      bits ^= low;
      if (track && isActive[r] === 0) {
        isActive[r] = 1;
        active[0] = active[0]! + 1;
        active[active[0]!] = r;
      }
    }
  }
  return n;
}

/**
 * Brings column set `c`, which holds the figures of close `held` (0: none), up to close `changes.now` from
 * `last`: the `n` rows of `list` when it held the close before, the active rows listed since `held` when an
 * older one (listed in changes.scratch), else — or when those are more than a quarter of the rows, or `c` does
 * not share `last`'s constant columns — every column.
 */
function bringUpToDate(
  last: WindowColumns,
  c: WindowColumns,
  held: number,
  changes: CloseChanges,
  list: Uint32Array,
  n: number,
): void {
  // More than a quarter of the rows are copied faster as whole columns.
  const most = c.length >>> 2;
  if (held === 0 || c.zone !== last.zone) copyColumns(last, c);
  else if (held + 1 === changes.now) {
    if (n > most) copyColumns(last, c);
    else for (let i = 0; i < n; i++) copyRow(last, c, list[i]!);
  } else {
    const { at, active, scratch } = changes;
    const count = active[0]!;
    let m = 0;
    for (let i = 1; i <= count; i++) {
      const r = active[i]!;
      if (at[r]! > held) scratch[m++] = r;
    }
    if (m > most) copyColumns(last, c);
    else for (let i = 0; i < m; i++) copyRow(last, c, scratch[i]!);
  }
}

/** Copies row `r` of every column but the constant ones. */
function copyRow(src: WindowColumns, dst: WindowColumns, r: number): void {
  dst.occupancy[r] = src.occupancy[r]!;
  dst.coverage[r] = src.coverage[r]!;
  dst.meanDwellMs[r] = src.meanDwellMs[r]!;
  dst.confidence[r] = src.confidence[r]!;
  dst.occupiedBayMs[r] = src.occupiedBayMs[r]!;
  dst.knownBayMs[r] = src.knownBayMs[r]!;
  dst.driftVehicles[r] = src.driftVehicles[r]!;
  dst.arrivals[r] = src.arrivals[r]!;
  dst.departures[r] = src.departures[r]!;
  dst.peakOccupied[r] = src.peakOccupied[r]!;
  dst.detection[r] = src.detection[r]!;
}

/** A kernel's loops for WindowRows (the wasm kernel's): noting touched rows, closing rows. @internal */
export interface RowKernel {
  /** Whether the kernel reads this array where it is (in its memory). */
  reads(a: ArrayBufferView): boolean;
  /**
   * closeRows of rows.ts for an engine without zone-event state (`s.cold` null), into the columns that
   * `columnTable` describes (byte offsets: occupancy, coverage, meanDwellMs, confidence, occupiedBayMs,
   * knownBayMs, driftVehicles, arrivals, departures, peakOccupied, detection, then s.rowCapacity and
   * s.rowDetection): rows [closeLo, closeHi), or the `count` rows of `list` in that range; with `changes`
   * (arrays the kernel reads), noting the rows it changes.
   */
  closeRows(
    s: EngineState,
    columnTable: Uint32Array,
    list: Uint32Array | null,
    count: number,
    minCoverage: number,
    changes?: RowChanges,
  ): void;
  /**
   * WindowRows.close's steps for an engine without zone-event state, with the parameters in `params` (CP_*, in
   * the kernel's memory): closeRows of the `nTouched` rows of `touched`, then of the `nBefore` rows of `before`
   * not marked in `inTouched` (kept in `before`), noting changes, clearing the marks of `touched`; then, when
   * `out` is not 0, listChanges into it. Returns the number of rows listed (0 without `out`: the marks are then
   * left for the caller).
   */
  closeWindowRows(s: EngineState, params: Uint32Array): number;
  /**
   * listMarked(changes, closeLo, closeHi, list), then bringUpToDate (from close `held`) of the column set
   * `plan` describes from the one `columnTable` describes (the last window's); returns the number listed.
   */
  listChanges(
    s: EngineState,
    columnTable: Uint32Array,
    changes: CloseChanges,
    held: number,
    plan: CopyPlan,
  ): number;
  /**
   * The plan for listing into `out` and copying from `last` into `c`, when all three lie in the kernel's memory
   * and the two sets are laid out alike (columnsRegion); else null.
   */
  copyPlan(out: Uint32Array, last: WindowColumns, c: WindowColumns): CopyPlan | null;
  /**
   * From now on, applyEvents notes the rows it touches itself (every bay event's and every timeout entry's it goes
   * past, as noteRows would) in `inTouched` and `touched`, which holds `n` rows (both lie where the kernel `reads`
   * them); a later call names new lists; `inTouched` null: it stops noting.
   */
  noteWhileApplying(s: EngineState, inTouched: Uint8Array | null, touched: Uint32Array, n: number): void;
  /** The length of the touched list as the last applyEvents left it (see noteWhileApplying). */
  notedCount(): number;
  /**
   * Notes the rows of the bays of pending events [head0, head) and timeout entries [cursor0, cursor) of `s` in
   * `inTouched` and `touched` (which holds `n` rows; both lie where the kernel `reads` them); returns the new count.
   */
  noteRows(
    s: EngineState,
    head0: number,
    head: number,
    cursor0: number,
    cursor: number,
    inTouched: Uint8Array,
    touched: Uint32Array,
    n: number,
  ): number;
}

/**
 * The occupancy engine's hot loops behind one interface, in two implementations: the JavaScript reference
 * (src/occupancy/kernel.ts, pending.ts) and the AssemblyScript port (wasm/occupancy.ts). Both give the same
 * bytes; the engine picks one with its `kernel` option.
 *
 * The wasm kernel works on the engine's own typed arrays, moved into a shared memory: before each call the
 * wrapper checks (by identity, a few comparisons) that every array the kernel touches lies in its arena,
 * moves any that does not (the engine grows its pending buffer and logs by allocating new arrays, rarely),
 * and describes them to the kernel in a table of byte offsets. Batches already in the arena are read in
 * place; batches in the JavaScript heap are copied in once (`copiedBytes`).
 */

import type { KernelKind } from "../runtime/kernel.js";
import { RESERVED_BYTES, SharedArena } from "../runtime/memory.js";
import { compileKernelSync, instantiateKernel } from "../runtime/wasm.js";
import type { BatchScanner, EventLimits } from "../wire/verify.js";
import { columnsRegion } from "./columns.js";
import type { IdKeyColumns, KeyKernel } from "./dedup.js";
import type { SeqKeyColumns } from "./device-keys.js";
import { admitEvents, applyEvents, DEDUP_CHUNK, R_EPOCH, R_HEAD, R_TAIL, R_UNSORTED } from "./kernel.js";
import { sortPending } from "./pending.js";
import type { RowChanges } from "./rows.js";
import type { EngineState, StateArray, StateMemory } from "./state.js";
import type { WindowColumns } from "./types.js";
import type { CloseChanges, CopyPlan, RowKernel } from "./windows.js";

/** The occupancy hot loops (see src/occupancy/kernel.ts for their contracts). */
export interface OccupancyKernel {
  /** Which implementation this is. */
  readonly kind: KernelKind;
  /** Bytes of batches copied into kernel memory so far (0 for the JS kernel). */
  readonly copiedBytes: number;
  /** Memory to create the engine state in (the wasm kernel's shared memory); undefined: plain memory. */
  readonly memory?: StateMemory;
  /** The shard whose bay and zone events this kernel applies (worker shards only); undefined: all of them. */
  readonly shard?: ShardFilter | undefined;
  /**
   * Prepares an engine state for this kernel (the wasm kernel moves its arrays into shared memory) and
   * returns the kernel. Call right after creating the state, before anything keeps references to its arrays.
   */
  attach(s: EngineState): OccupancyKernel;
  /** The batch's words where the kernel can read them: the same array, or a copy in kernel memory. */
  stage(words: Uint32Array): Uint32Array;
  /**
   * A whole batch where the kernel reads it (its words and its event ids): the same bytes when they lie in
   * kernel memory already, else a copy there, valid until the matching `unstageBatch` (calls nest: an
   * emission may ingest again). Undefined: the kernel reads batches where they are.
   */
  stageBatch?(bytes: Uint8Array): Uint8Array;
  /** Ends the innermost `stageBatch`. */
  unstageBatch?(): void;
  /** De-duplication keys resolved in the kernel (see dedup.ts); undefined: the host's loops resolve them. */
  readonly keys?: KeyKernel;
  /** Verification's word scans run in the kernel over batches in its memory; undefined: verify.ts runs them. */
  readonly scanner?: BatchScanner;
  /** The rows each applyEvents call touched, noted in the kernel (see WindowRows); undefined: noted by the host. */
  readonly rows?: RowKernel;
  /**
   * `bytes` bytes where the kernel reads a batch in place (kernel memory for wasm, plain memory for JS); the
   * same memory is handed out again by the next call.
   */
  batchBuffer?(bytes: number): Uint8Array;
  /** admitEvents of src/occupancy/kernel.ts. */
  admitEvents(s: EngineState, words: Uint32Array, from: number, end: number, baseTimeMs: number): number;
  /**
   * Own admission for a worker shard (see sharded/own.ts), until called again with false: admitEvents admits only
   * the shard's own bay and zone events (the others only move the watermark, when not late or unknown) and
   * resolveSeqs resolves only their keys. Undefined: a kernel without a shard (own admission is not available).
   */
  ownAdmission?(on: boolean): void;
  /** applyEvents of src/occupancy/kernel.ts. */
  applyEvents(s: EngineState, limit: number): number;
  /** sortPending of src/occupancy/pending.ts. */
  sortPending(s: EngineState): void;
  /**
   * Gives the kernel's memory to the next kernel created (recycleKernelMemory); the kernel and every array in
   * that memory must not be used again. Undefined: nothing to give (the JS kernel).
   */
  recycle?(): void;
}

/** The JavaScript reference kernel. */
export const JS_OCCUPANCY_KERNEL: OccupancyKernel = {
  kind: "js",
  copiedBytes: 0,
  attach(): OccupancyKernel {
    return this;
  },
  stage: (words) => words,
  batchBuffer: (bytes) => new Uint8Array(bytes),
  admitEvents,
  applyEvents,
  sortPending,
};

// Table slots of wasm/occupancy.ts (a test checks they match).
/** @internal */
export const OCCUPANCY_SLOTS = {
  T_REG: 0,
  T_P_TIME: 1,
  T_P_WORDS: 2,
  T_DEDUP_TIME: 3,
  T_ACC: 4,
  T_BAY_ZONE: 5,
  T_BAY_VEHICLE: 6,
  T_ZC_ROW: 7,
  T_ZONE_DEFAULT_CLASS: 8,
  T_LATE_IDX: 9,
  T_LATE_WM: 10,
  T_TO_BAY: 11,
  T_TO_TIME: 12,
  T_H_BAY: 13,
  T_H_CODE: 14,
  T_H_TIME: 15,
  T_S_TIME: 16,
  T_S_WORDS: 17,
  T_S_IDX: 18,
  T_S_IDX2: 19,
  T_DEDUP_SEQ_TIME: 20,
  T_SHARDED: 21,
  T_SHARD_INDEX: 22,
  T_SHARD_BAY_LO: 23,
  T_SHARD_BAY_HI: 24,
  T_SHARD_ZONE_LO: 25,
  T_SHARD_ZONE_HI: 26,
  T_DEDUP_REF: 27,
  T_BAYS: 28,
  T_SINK: 29,
  T_ID_TABLE: 30,
  T_ID_MASK: 31,
  T_ID_TYPE: 32,
  T_ID_HASH: 36,
  T_ID_A: 33,
  T_ID_B: 34,
  T_OWN_ADMIT: 35,
  T_ID_OFF: 37,
  T_ID_LEN: 38,
  T_ID_ARENA: 39,
  T_ID_COUNT: 40,
  T_ID_USED: 41,
  T_SK_WORDS: 42,
  T_SK_SLOT: 43,
  T_SK_SEQ: 44,
  T_SK_T: 45,
  T_SK_NEXT: 46,
  T_SK_COUNT: 47,
  T_SK_DEVICES: 48,
  T_NOTE_MARKS: 49,
  T_NOTE_LIST: 50,
  T_NOTE_COUNT: 51,
  T_NOTE_ROWS: 52,
  T_OWN_LIST: 53,
  TABLE_F64: 256,
  F_LATENESS_MS: 0,
  F_TIMEOUT_MS: 1,
} as const;
const S = OCCUPANCY_SLOTS;
const TABLE_BYTES = 288;

interface OccupancyExports {
  admitEvents(tbl: number, words: number, from: number, end: number, baseTimeMs: number): number;
  applyEvents(tbl: number, limit: number): number;
  sortPending(tbl: number): void;
  resolveSeqs(tbl: number, words: number, from: number, end: number, baseTimeMs: number): number;
  resolveIds(tbl: number, ids: number, from: number, end: number): void;
  resolveIdHashes(tbl: number, words: number, from: number, end: number, deviceCount: number): void;
  scanEvents(
    events: number,
    count: number,
    kindCount: number,
    vehicleCodes: number,
    flagsAll: number,
    bayCount: number,
    zoneCount: number,
    deviceCount: number,
    out: number,
  ): number;
  scanStrings(base: number, len: number, at: number, n: number, out: number): number;
  closeRows(
    tbl: number,
    cols: number,
    lo: number,
    hi: number,
    list: number,
    count: number,
    windowMs: number,
    epoch: number,
    minCoverage: number,
    marks: number,
    at: number,
    now: number,
  ): void;
  listChanges(
    cols: number,
    lo: number,
    hi: number,
    marks: number,
    at: number,
    now: number,
    active: number,
    isActive: number,
    scratch: number,
    held: number,
    out: number,
    delta: number,
    span: number,
  ): number;
  closeWindowRows(tbl: number, params: number): number;
  zeroBytes(at: number, n: number): void;
  noteRows(
    tbl: number,
    head0: number,
    head: number,
    cursor0: number,
    cursor: number,
    rows: number,
    inTouched: number,
    touched: number,
    n: number,
  ): number;
  rebuildIds(tbl: number, wm: number, all: number): void;
  rebuildSeqs(tbl: number, wm: number, all: number, slots: number): void;
}

type Typed = StateArray;
type Ctor<T extends Typed> = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T };

/** Plain single-buffer arrays of EngineState the kernel reads or writes, with their table slot. */
const ARRAYS = [
  ["reg", S.T_REG],
  ["pTime", S.T_P_TIME],
  ["pWords", S.T_P_WORDS],
  ["dedupTime", S.T_DEDUP_TIME],
  ["dedupSeqTime", S.T_DEDUP_SEQ_TIME],
  ["dedupRef", S.T_DEDUP_REF],
  ["bays", S.T_BAYS],
  ["bayZone", S.T_BAY_ZONE],
  ["bayVehicle", S.T_BAY_VEHICLE],
  ["zcRow", S.T_ZC_ROW],
  ["zoneDefaultClass", S.T_ZONE_DEFAULT_CLASS],
  ["lateIdx", S.T_LATE_IDX],
  ["lateWm", S.T_LATE_WM],
  ["toBay", S.T_TO_BAY],
  ["toTime", S.T_TO_TIME],
  ["hBay", S.T_H_BAY],
  ["hCode", S.T_H_CODE],
  ["hTime", S.T_H_TIME],
  ["sTime", S.T_S_TIME],
  ["sWords", S.T_S_WORDS],
  ["sIdx", S.T_S_IDX],
  ["sIdx2", S.T_S_IDX2],
] as const;

/** The part of a catalogue one worker applies events for (sharded/shards.ts plans them). */
export interface ShardFilter {
  /** Shard number; shard 0 also counts payment events as applied (every shard applies them). */
  readonly index: number;
  /** Bays [bayLo, bayHi) and zones [zoneLo, zoneHi) belong to the shard. */
  readonly bayLo: number;
  readonly bayHi: number;
  readonly zoneLo: number;
  readonly zoneHi: number;
}

/** Options of WasmOccupancyKernel. */
export interface WasmOccupancyOptions {
  /** Shared memory to keep the engine state in. Default: a new SharedArena sized for the state. */
  readonly arena?: SharedArena;
  /**
   * Apply only this shard's events: bay and zone events of other shards are skipped; payments are applied by
   * every shard (sessions may cross zones). Admission (de-duplication, lateness, watermark) covers every event,
   * so every shard agrees on them, unless own admission is on (ownAdmission). Default: none.
   */
  readonly shard?: ShardFilter;
}

/**
 * The wasm occupancy kernel for one engine state at a time.
 *
 * @example
 * const k = new WasmOccupancyKernel();
 * const words = k.stage(view.words());
 * k.admitEvents(state, words, 0, view.length, view.baseTimeMs);
 */
export class WasmOccupancyKernel implements OccupancyKernel, KeyKernel, RowKernel {
  readonly kind = "wasm" as const;
  readonly keys: KeyKernel = this;
  readonly rows: RowKernel = this;
  readonly scanner: BatchScanner;
  /** Regions of whole staged batches, one per nesting depth of stageBatch (byte offset and size). */
  private readonly batchRegions: { at: number; bytes: number }[] = [];
  private batchDepth = 0;
  /** The shared memory holding the state. */
  readonly arena: SharedArena;
  copiedBytes = 0;
  private readonly k: OccupancyExports;
  private readonly tbl: number;
  /**
   * The table's u32 words, a view made once: a shared memory's views stay valid when it grows (they cover only its
   * old length, and the table lies at its start), so reading a word here costs no check of `memory.buffer`, which
   * matters for what is read after every applyEvents call (notedCount).
   */
  private readonly table: Uint32Array;
  private state: EngineState | null = null;
  private readonly seen = new Map<string, Typed>();
  /**
   * The arrays of `state` as last bound, in the order `sameArrays` checks them: the fast path of bind().
   * Engines with many zone events (payments) call the kernel once per event, so the full check (a Map and
   * a keyed property lookup per array, and a read of memory.buffer) cost more than the kernels themselves.
   */
  private bound: readonly Typed[] = [];
  /** The last array stage() returned (known to lie in the arena, so admitEvents need not ask). */
  private staged: Uint32Array | null = null;
  private stageAt = 0;
  private stageBytes = 0;
  private lendAt = 0;
  private lendBytes = 0;
  /**
   * Arrays last found to lie in the arena (a view that does stays so: the arena knows every buffer its memory
   * had). The key wrappers run once per part of 1024 events and ask about the same batch and columns each time;
   * asking the arena reads `memory.buffer`, ~0.15 µs on a shared memory.
   */
  private ownedBatch: Uint8Array | null = null;
  private ownedSeqColumns: Uint32Array | null = null;
  private ownedSeqWords: Float64Array | null = null;
  private ownedIdTable: Int32Array | null = null;
  readonly shard: ShardFilter | undefined;
  /**
   * Of recycled memory (recycleKernelMemory), the end of what engines before this one were handed (their
   * allocations are zeroed here, in the kernel, below it); 0 for memory of its own.
   */
  private dirtyEnd = 0;
  /** The arena as state memory: an engine state created in it is read by the kernel in place. */
  readonly memory: StateMemory = {
    alloc: (bytes) => {
      // First the allocation (it may grow the memory: a new buffer object), then the buffer as the arena knows it.
      let at: number;
      if (this.dirtyEnd === 0) at = this.arena.allocZeroed(bytes, 64);
      else {
        at = this.arena.alloc(bytes, 64);
        // A fill in the kernel (memory.fill) is several times faster than TypedArray fill over shared memory.
        if (at < this.dirtyEnd) this.k.zeroBytes(at, Math.min(bytes, this.dirtyEnd - at));
      }
      return { buffer: this.arena.u8().buffer, byteOffset: at };
    },
  };

  constructor(options: WasmOccupancyOptions = {}) {
    const pooled = options.arena === undefined ? arenaPool.pop() : undefined;
    this.arena = options.arena ?? pooled?.arena ?? new SharedArena({ initialBytes: 4 << 20 });
    this.dirtyEnd = pooled?.dirtyEnd ?? 0;
    this.k = instantiateKernel<OccupancyExports>(compileKernelSync("occupancy"), this.arena.memory);
    this.tbl = this.arena.alloc(TABLE_BYTES, 8);
    this.arena.u8().fill(0, this.tbl, this.tbl + TABLE_BYTES);
    this.table = new Uint32Array(this.arena.memory.buffer, this.tbl, TABLE_BYTES >> 2);
    this.shard = options.shard ?? pendingShard;
    this.scanner = new KernelScanner(this.arena, this.k);
  }

  attach(s: EngineState): OccupancyKernel {
    this.bind(s);
    const sh = this.shard;
    if (sh !== undefined) {
      // A shard's rows are those of its zones: contiguous, as rows are in zone order.
      let lo = 0;
      while (lo < s.rowCount && s.rowZone[lo]! < sh.zoneLo) lo++;
      let hi = lo;
      while (hi < s.rowCount && s.rowZone[hi]! < sh.zoneHi) hi++;
      s.closeLo = lo;
      s.closeHi = hi;
    }
    return this;
  }

  stage(words: Uint32Array): Uint32Array {
    if (this.arena.owns(words)) return words;
    const bytes = words.byteLength;
    if (bytes > this.stageBytes) {
      // Grows geometrically; the old region is abandoned (the arena never frees): at most 2× is wasted.
      this.stageBytes = Math.max(64 << 10, 2 * this.stageBytes, bytes);
      this.stageAt = this.arena.alloc(this.stageBytes, 64);
    }
    const staged = new Uint32Array(this.arena.memory.buffer, this.stageAt, words.length);
    staged.set(words);
    this.copiedBytes += bytes;
    this.staged = staged;
    return staged;
  }

  stageBatch(bytes: Uint8Array): Uint8Array {
    const depth = this.batchDepth++;
    if (this.arena.owns(bytes)) return bytes;
    const n = bytes.byteLength;
    let r = this.batchRegions[depth];
    if (r === undefined || n > r.bytes) {
      // Room for a quarter more than the first batch (the batches of a feed differ a little in size), then
      // doubling: the old region is abandoned (the arena never frees), so at most 2× is wasted.
      const size = Math.max(64 << 10, 2 * (r?.bytes ?? 0), n + (n >>> 2));
      r = { at: this.arena.alloc(size, 64), bytes: size };
      this.batchRegions[depth] = r;
    }
    const staged = new Uint8Array(this.arena.memory.buffer, r.at, n);
    staged.set(bytes);
    this.copiedBytes += n;
    this.ownedBatch = staged;
    return staged;
  }

  unstageBatch(): void {
    if (this.batchDepth > 0) this.batchDepth--;
  }

  resolveSeqs(
    s: EngineState,
    keys: SeqKeyColumns,
    words: Uint32Array,
    from: number,
    end: number,
    baseTimeMs: number,
  ): number {
    const u32 = this.seqStore(s, keys);
    if (u32 === null) return -1;
    const w = words === this.staged || this.arena.owns(words) ? words : this.stage(words);
    const hashed = this.k.resolveSeqs(this.tbl, w.byteOffset, from, end, baseTimeMs);
    keys.count = u32[(this.tbl >> 2) + S.T_SK_COUNT]!;
    return hashed;
  }

  rebuildSeqs(s: EngineState, keys: SeqKeyColumns, wm: number, all: boolean): boolean {
    const u32 = this.seqStore(s, keys);
    if (u32 === null) return false;
    this.k.rebuildSeqs(this.tbl, wm, all ? 1 : 0, keys.slotWords.length >>> 1);
    keys.count = u32[(this.tbl >> 2) + S.T_SK_COUNT]!;
    return true;
  }

  /**
   * Describes a sequence-key store to the kernel and returns the memory's words (valid until the next
   * allocation); null when its columns do not lie in its memory.
   */
  private seqStore(s: EngineState, keys: SeqKeyColumns): Uint32Array | null {
    // kSlot stands for the entry columns: they are allocated together, in the same memory.
    if (keys.kSlot !== this.ownedSeqColumns || keys.slotWords !== this.ownedSeqWords) {
      if (!this.arena.owns(keys.kSlot) || !this.arena.owns(keys.slotWords)) return null;
      this.ownedSeqColumns = keys.kSlot;
      this.ownedSeqWords = keys.slotWords;
    }
    this.bind(s);
    const u32 = this.arena.u32();
    const t = this.tbl >> 2;
    u32[t + S.T_SK_WORDS] = keys.slotWords.byteOffset;
    u32[t + S.T_SK_SLOT] = keys.kSlot.byteOffset;
    u32[t + S.T_SK_SEQ] = keys.kSeq.byteOffset;
    u32[t + S.T_SK_T] = keys.kT.byteOffset;
    u32[t + S.T_SK_NEXT] = keys.kNext.byteOffset;
    u32[t + S.T_SK_COUNT] = keys.count;
    u32[t + S.T_SK_DEVICES] = s.deviceCount;
    return u32;
  }

  resolveIds(
    s: EngineState,
    keys: IdKeyColumns,
    bytes: Uint8Array,
    idsOffset: number,
    from: number,
    end: number,
  ): boolean {
    if (bytes !== this.ownedBatch) {
      if (!this.arena.owns(bytes)) return false;
      this.ownedBatch = bytes;
    }
    const u32 = this.idTable(s, keys);
    if (u32 === null) return false;
    const t = this.tbl >> 2;
    this.k.resolveIds(this.tbl, bytes.byteOffset + idsOffset, from, end);
    keys.count = u32[t + S.T_ID_COUNT]!;
    keys.arenaUsed = u32[t + S.T_ID_USED]!;
    return true;
  }

  resolveIdHashes(
    s: EngineState,
    keys: IdKeyColumns,
    words: Uint32Array,
    from: number,
    end: number,
  ): boolean {
    if (this.idTable(s, keys) === null) return false;
    const w = words === this.staged || this.arena.owns(words) ? words : this.stage(words);
    this.k.resolveIdHashes(this.tbl, w.byteOffset, from, end, s.deviceCount);
    keys.count = this.arena.u32()[(this.tbl >> 2) + S.T_ID_COUNT]!;
    return true;
  }

  rebuildIds(s: EngineState, keys: IdKeyColumns, wm: number, all: boolean): boolean {
    const u32 = this.idTable(s, keys);
    if (u32 === null) return false;
    const t = this.tbl >> 2;
    this.k.rebuildIds(this.tbl, wm, all ? 1 : 0);
    keys.count = u32[t + S.T_ID_COUNT]!;
    keys.arenaUsed = u32[t + S.T_ID_USED]!;
    return true;
  }

  /**
   * Describes the id-key columns to the kernel and returns the memory's words (valid until the next
   * allocation); null when they do not lie in its memory.
   */
  private idTable(s: EngineState, keys: IdKeyColumns): Uint32Array | null {
    // The table stands for every id-key column: DedupMemory allocates them together, in the same memory.
    if (keys.table !== this.ownedIdTable) {
      if (!this.arena.owns(keys.table)) return null;
      this.ownedIdTable = keys.table;
    }
    this.bind(s);
    const u32 = this.arena.u32();
    const t = this.tbl >> 2;
    u32[t + S.T_ID_TABLE] = keys.table.byteOffset;
    u32[t + S.T_ID_MASK] = keys.mask;
    u32[t + S.T_ID_TYPE] = keys.kType.byteOffset;
    u32[t + S.T_ID_HASH] = keys.kHash.byteOffset;
    u32[t + S.T_ID_OFF] = keys.idOff.byteOffset;
    u32[t + S.T_ID_LEN] = keys.idLen.byteOffset;
    u32[t + S.T_ID_ARENA] = keys.arena.byteOffset;
    u32[t + S.T_ID_A] = keys.kA.byteOffset;
    u32[t + S.T_ID_B] = keys.kB.byteOffset;
    u32[t + S.T_ID_COUNT] = keys.count;
    u32[t + S.T_ID_USED] = keys.arenaUsed;
    return u32;
  }

  batchBuffer(bytes: number): Uint8Array {
    if (bytes > this.lendBytes) {
      // Grows like the staging region: the old region is abandoned, at most 2× is wasted.
      this.lendBytes = Math.max(64 << 10, 2 * this.lendBytes, bytes);
      this.lendAt = this.arena.alloc(this.lendBytes, 64);
    }
    return new Uint8Array(this.arena.memory.buffer, this.lendAt, bytes);
  }

  reads(a: ArrayBufferView): boolean {
    return this.arena.owns(a);
  }

  recycle(): void {
    recycleKernelMemory(this.arena, Math.max(this.dirtyEnd, this.arena.usedBytes));
  }

  closeWindowRows(s: EngineState, params: Uint32Array): number {
    this.bind(s);
    return this.k.closeWindowRows(this.tbl, params.byteOffset);
  }

  listChanges(
    s: EngineState,
    columnTable: Uint32Array,
    changes: CloseChanges,
    held: number,
    plan: CopyPlan,
  ): number {
    return this.k.listChanges(
      columnTable.byteOffset,
      s.closeLo,
      s.closeHi,
      changes.marks.byteOffset,
      changes.at.byteOffset,
      changes.now,
      changes.active.byteOffset,
      changes.isActive.byteOffset,
      changes.scratch.byteOffset,
      held,
      plan.out,
      plan.delta,
      plan.span,
    );
  }

  copyPlan(out: Uint32Array, last: WindowColumns, c: WindowColumns): CopyPlan | null {
    const span = columnsRegion(last, c);
    if (
      span <= 0 ||
      !this.arena.owns(last.occupancy) ||
      !this.arena.owns(c.occupancy) ||
      !this.arena.owns(out)
    )
      return null;
    return { out: out.byteOffset, delta: c.occupancy.byteOffset - last.occupancy.byteOffset, span };
  }

  closeRows(
    s: EngineState,
    columnTable: Uint32Array,
    list: Uint32Array | null,
    count: number,
    minCoverage: number,
    changes?: RowChanges,
  ): void {
    this.bind(s);
    this.k.closeRows(
      this.tbl,
      columnTable.byteOffset,
      s.closeLo,
      s.closeHi,
      list === null ? 0 : list.byteOffset,
      count,
      s.windowMs,
      s.reg[R_EPOCH]!,
      minCoverage,
      changes === undefined ? 0 : changes.marks.byteOffset,
      changes === undefined ? 0 : changes.at.byteOffset,
      changes === undefined ? 0 : changes.now,
    );
  }

  noteWhileApplying(s: EngineState, inTouched: Uint8Array | null, touched: Uint32Array, n: number): void {
    this.bind(s);
    const t = this.table;
    t[S.T_NOTE_MARKS] = inTouched === null ? 0 : inTouched.byteOffset;
    t[S.T_NOTE_LIST] = touched.byteOffset;
    t[S.T_NOTE_COUNT] = n;
    t[S.T_NOTE_ROWS] = s.rowCount;
  }

  notedCount(): number {
    return this.table[S.T_NOTE_COUNT]!;
  }

  noteRows(
    s: EngineState,
    head0: number,
    head: number,
    cursor0: number,
    cursor: number,
    inTouched: Uint8Array,
    touched: Uint32Array,
    n: number,
  ): number {
    this.bind(s);
    return this.k.noteRows(
      this.tbl,
      head0,
      head,
      cursor0,
      cursor,
      s.rowCount,
      inTouched.byteOffset,
      touched.byteOffset,
      n,
    );
  }

  ownAdmission(on: boolean): void {
    if (this.shard === undefined) throw new RangeError("own admission needs a shard filter");
    // resolveSeqs' list of a range's own events (a range lies within one admission chunk).
    if (on && this.ownList === 0) this.ownList = this.arena.alloc(4 * DEDUP_CHUNK, 64);
    const u32 = this.arena.u32();
    u32[(this.tbl >> 2) + S.T_OWN_LIST] = this.ownList;
    u32[(this.tbl >> 2) + S.T_OWN_ADMIT] = on ? 1 : 0;
  }
  private ownList = 0;

  admitEvents(s: EngineState, words: Uint32Array, from: number, end: number, baseTimeMs: number): number {
    this.bind(s);
    const w = words === this.staged || this.arena.owns(words) ? words : this.stage(words);
    return this.k.admitEvents(this.tbl, w.byteOffset, from, end, baseTimeMs);
  }

  applyEvents(s: EngineState, limit: number): number {
    this.bind(s);
    return this.k.applyEvents(this.tbl, limit);
  }

  sortPending(s: EngineState): void {
    const reg = s.reg;
    if (reg[R_UNSORTED]! < 0) return;
    // The merge sort needs scratch for the whole buffer; the JS version allocates it on demand inside.
    s.ensureScratch(reg[R_TAIL]! - reg[R_HEAD]!);
    this.bind(s);
    this.k.sortPending(this.tbl);
  }

  /** Whether `s` and every array of it the kernel touches are the ones bound last (plain identity checks). */
  private sameArrays(s: EngineState): boolean {
    const b = this.bound;
    return (
      s === this.state &&
      b.length === 23 &&
      b[0] === s.pTime &&
      b[1] === s.pWords &&
      b[2] === s.lateIdx &&
      b[3] === s.lateWm &&
      b[4] === s.toBay &&
      b[5] === s.toTime &&
      b[6] === s.sTime &&
      b[7] === s.sWords &&
      b[8] === s.sIdx &&
      b[9] === s.sIdx2 &&
      b[10] === s.reg &&
      b[11] === s.dedupTime &&
      b[12] === s.accF64 &&
      b[13] === s.bayZone &&
      b[14] === s.bayVehicle &&
      b[15] === s.zcRow &&
      b[16] === s.zoneDefaultClass &&
      b[17] === s.hBay &&
      b[18] === s.hCode &&
      b[19] === s.hTime &&
      b[20] === s.dedupRef &&
      b[21] === s.bays &&
      b[22] === s.dedupSeqTime
    );
  }

  /** Makes sure every array the kernel touches lies in the arena and the table describes it. */
  private bind(s: EngineState): void {
    if (this.sameArrays(s)) return;
    this.bindSlow(s);
    this.bound = [
      s.pTime,
      s.pWords,
      s.lateIdx,
      s.lateWm,
      s.toBay,
      s.toTime,
      s.sTime,
      s.sWords,
      s.sIdx,
      s.sIdx2,
      s.reg,
      s.dedupTime,
      s.accF64,
      s.bayZone,
      s.bayVehicle,
      s.zcRow,
      s.zoneDefaultClass,
      s.hBay,
      s.hCode,
      s.hTime,
      s.dedupRef,
      s.bays,
      s.dedupSeqTime,
    ];
  }

  private bindSlow(s: EngineState): void {
    const u32 = this.arena.u32();
    const t = this.tbl >> 2;
    if (s !== this.state) {
      this.state = s;
      this.seen.clear();
      const f64 = this.arena.f64();
      const p = (this.tbl + S.TABLE_F64) >> 3;
      f64[p + S.F_LATENESS_MS] = s.latenessMs;
      f64[p + S.F_TIMEOUT_MS] = s.timeoutMs;
      const sh = this.shard;
      u32[t + S.T_SHARDED] = sh === undefined ? 0 : 1;
      if (sh !== undefined) {
        u32[t + S.T_SHARD_INDEX] = sh.index;
        u32[t + S.T_SHARD_BAY_LO] = sh.bayLo;
        u32[t + S.T_SHARD_BAY_HI] = sh.bayHi;
        u32[t + S.T_SHARD_ZONE_LO] = sh.zoneLo;
        u32[t + S.T_SHARD_ZONE_HI] = sh.zoneHi;
      }
    }
    const fields = s as unknown as Record<string, Typed>;
    for (const [name, slot] of ARRAYS) {
      const a = fields[name]!;
      if (this.seen.get(name) === a) continue;
      const moved = this.move(a);
      fields[name] = moved;
      this.seen.set(name, moved);
      this.arena.u32()[t + slot] = moved.byteOffset;
    }
    if (this.seen.get("accF64") !== s.accF64) {
      const a = s.accF64;
      const at = this.arena.owns(a)
        ? a.byteOffset
        : this.moveBytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      const n = s.accF64.byteLength;
      const buf = this.arena.memory.buffer;
      fields.accF64 = new Float64Array(buf, at, n >> 3);
      fields.accU32 = new Uint32Array(buf, at, n >> 2);
      this.seen.set("accF64", s.accF64);
      this.arena.u32()[t + S.T_ACC] = at;
    }
  }

  /** The array itself when it lies in the arena, else a copy there. */
  private move<T extends Typed>(a: T): T {
    if (this.arena.owns(a)) return a;
    const at = this.moveBytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const ctor = a.constructor as Ctor<T>;
    return new ctor(this.arena.memory.buffer, at, a.length);
  }

  /** Copies bytes into a fresh 64-byte aligned arena region (at least 8 bytes, so offsets are distinct). */
  private moveBytes(bytes: Uint8Array): number {
    const at = this.arena.alloc(Math.max(8, bytes.byteLength), 64);
    this.arena.u8().set(bytes, at);
    return at;
  }
}

/**
 * Verification's word scans (src/wire/verify.ts) in the kernel, for batches lying in its memory (every batch the
 * engine verifies: ingest stages it there first). Results come back through 8 bytes of the arena.
 */
class KernelScanner implements BatchScanner {
  timeLo = 0;
  timeHi = 0;
  total = 0;
  max = 0;
  private readonly out: number;

  constructor(
    private readonly arena: SharedArena,
    private readonly k: OccupancyExports,
  ) {
    this.out = arena.alloc(8, 8);
  }

  events(bytes: Uint8Array, eventsOffset: number, count: number, limits: EventLimits): number {
    if (!this.arena.owns(bytes)) return -1;
    const first = this.k.scanEvents(
      bytes.byteOffset + eventsOffset,
      count,
      limits.kindCount,
      limits.vehicleCodes,
      limits.flagsAll,
      limits.bayCount,
      limits.zoneCount,
      limits.deviceCount,
      this.out,
    );
    if (first === count) {
      const u32 = this.arena.u32();
      this.timeLo = u32[this.out >> 2]!;
      this.timeHi = u32[(this.out >> 2) + 1]!;
    }
    return first;
  }

  strings(bytes: Uint8Array, at: number, n: number): number {
    if (!this.arena.owns(bytes)) return -1;
    const i = this.k.scanStrings(bytes.byteOffset, bytes.byteLength, at, n, this.out);
    const u32 = this.arena.u32();
    this.total = u32[this.out >> 2]!;
    this.max = u32[(this.out >> 2) + 1]!;
    return i;
  }
}

let pendingShard: ShardFilter | undefined;

/**
 * Runs `make` (which creates an OccupancyEngine) so that the wasm kernel it creates applies only `shard`'s
 * events. Internal plumbing of the runtime's workers: the engine itself knows nothing of shards.
 *
 * @throws RangeError when the engine made inside does not use the wasm kernel (shards need it).
 */
export function withShard<T>(shard: ShardFilter, make: () => T): T {
  pendingShard = shard;
  used = false;
  try {
    const out = make();
    if (!used) throw new RangeError('a sharded engine needs the wasm kernel (kernel: "wasm")');
    return out;
  } finally {
    pendingShard = undefined;
  }
}
let used = false;

/**
 * Kernel memories given back (recycleKernelMemory), at most ARENAS_POOLED of at most ARENA_POOLED_BYTES each, with
 * the end of what was handed out of them so far (to be zeroed when handed out again).
 */
const arenaPool: { arena: SharedArena; dirtyEnd: number }[] = [];
const ARENAS_POOLED = 1;
const ARENA_POOLED_BYTES = 16 << 20;

/**
 * Keeps the memory of a wasm kernel that is done with it for the next wasm kernel created without an arena of
 * its own, all of it free again (that kernel zeroes what it hands out below `dirtyEnd`, the end of what was
 * handed out before): an engine replaying a file then takes no page faults for memory the one before it touched.
 * Kept only while the pool is short and the memory no larger than ARENA_POOLED_BYTES (so a huge replay does not
 * leave its memory held).
 */
function recycleKernelMemory(arena: SharedArena, dirtyEnd: number): void {
  if (arenaPool.length >= ARENAS_POOLED || arena.byteLength > ARENA_POOLED_BYTES) return;
  arena.release(RESERVED_BYTES);
  arenaPool.push({ arena, dirtyEnd });
}

/**
 * The occupancy kernel for a `kernel` option value (already resolved: "wasm" or "js").
 *
 * @example
 * const k = occupancyKernel(resolveKernel(options.kernel, ["occupancy"]));
 */
export function occupancyKernel(kind: KernelKind, options: WasmOccupancyOptions = {}): OccupancyKernel {
  if (kind !== "wasm") return JS_OCCUPANCY_KERNEL;
  used = true;
  return new WasmOccupancyKernel(options);
}

/**
 * The sequence keys of exact de-duplication, held per device: for every device (or, for events without one,
 * the bay or zone they name: a "slot", see dedup.ts) the (sequence number, event time) pairs of its accepted
 * events that are still at or above the watermark. This store owns those keys and nothing else; event ids go
 * to the shared hash table in dedup.ts.
 *
 * Per slot there is a chain of entries (newest first) and the highest event time ever put on it. A device
 * sends its events nearly in order, so most events are later than every key of their device: they are added
 * without a search (one scattered load and store of the slot's two words). An event at or before that time
 * walks the chain, which holds the device's events within the lateness (a handful). No hashing, no probing,
 * nothing allocated per event.
 *
 * Entry numbers index the time column the kernels read (EngineState.dedupSeqTime): NaN until an event holding
 * the key is accepted, then that event's time (which is the key's own time). A key is remembered while that
 * time is at or above the watermark; dead entries stay on their chains (matching one is harmless: the kernel
 * sees it is not live) until a rebuild, which keeps only live entries and comes when the entries run out:
 * O(1) amortised per event. Entry 0 is the sentinel of events without a sequence key.
 */
import {
  FLAG_SEQ_IS_ID_HASH,
  FLAG_SEQ_IS_SESSION_HASH,
  FLAG_TARGET_ZONE,
  NO_DEVICE,
} from "../wire/layout.js";
import { DEDUP_CHUNK } from "./kernel.js";
import type { ArrayCtor, EngineState, StateArray } from "./state.js";

/** Entries a new store holds before its first rebuild. */
const INITIAL = 64;

/** Where the store keeps the time column the kernels read (EngineState's), and where it allocates its columns. */
export type SeqTimeColumn = Pick<EngineState, "dedupSeqTime" | "newDedupSeqTime"> &
  Partial<Pick<EngineState, "newArray" | "kernelMemory">>;

/**
 * The columns of a store as a kernel resolves keys into them (resolveSeqs of wasm/occupancy.ts): the slot words,
 * the entry columns and the entry count, which the kernel advances. @internal
 */
export interface SeqKeyColumns {
  readonly slotWords: Float64Array;
  readonly kSlot: Uint32Array;
  readonly kSeq: Uint32Array;
  readonly kT: Float64Array;
  readonly kNext: Int32Array;
  count: number;
}

/** Per-device sequence keys (see the file comment). */
export class DeviceKeys implements SeqKeyColumns {
  /** Entries in use, the sentinel included. @internal (a kernel's resolveSeqs advances it) */
  count = 1;
  private cap = 0;
  /** @internal */
  kSlot = new Uint32Array(0);
  /** @internal */
  kSeq = new Uint32Array(0);
  /** @internal */
  kT = new Float64Array(0);
  /** Next (older) entry on the same slot's chain, 0 at the end. @internal */
  kNext = new Int32Array(0);
  /**
   * Two numbers per slot, side by side so one scattered load finds both: at 2 slot + 1 the newest entry of the
   * slot's chain (0: none), at 2 slot the highest key time on it (meaningless when the chain is empty): a later
   * event needs no search. Zeroed memory is therefore an empty store, with nothing to fill per slot. @internal
   */
  readonly slotWords: Float64Array;

  /**
   * @param slots de-duplication slots (devices, then zones; see dedup.ts)
   * @param initial entries before the first rebuild (tests use a few, to reach rebuilds quickly)
   * @param rebuildInPlace a kernel's rebuild of these columns in place (the wasm kernel, when they lie in its memory);
   *   false: it did nothing, and this store rebuilds them itself
   */
  constructor(
    private readonly s: SeqTimeColumn,
    slots: number,
    private readonly initial = INITIAL,
    private readonly rebuildInPlace?: (keys: SeqKeyColumns, wm: number, all: boolean) => boolean,
  ) {
    this.slotWords = this.alloc(Float64Array, 2 * slots);
    this.rebuild(initial, Number.NaN);
  }

  /** Entries held (the sentinel not counted), dead ones included until the next rebuild. */
  get size(): number {
    return this.count - 1;
  }

  /** Makes room for `more` new entries; when they do not fit, drops the entries below `wm` (and unaccepted ones). */
  reserve(more: number, wm: number): void {
    if (this.count + more <= this.cap) return;
    let live = 0;
    // A kernel that rebuilds in place drops the dead entries first (what every path below does too), and the
    // live ones are what remains: no pass here to count them. It never shrinks (see below), so only a store
    // still too full grows, from the live entries alone.
    if (this.s.kernelMemory === true && this.rebuildInPlace?.(this, wm, Number.isNaN(wm)) === true) {
      live = this.count - 1;
      const need = 1 + 4 * live + 8 * more;
      if (need <= this.cap) return;
      let cap = this.initial;
      while (cap < need) cap *= 2;
      this.rebuild(cap, wm);
      return;
    }
    const time = this.s.dedupSeqTime;
    for (let e = 1; e < this.count; e++) if (time[e]! >= wm) live++;
    // Room for four times the live keys and eight parts' new keys: a rebuild (O(entries), scattered over the
    // slots) comes after about three times the live keys were added. Shrinks too when far larger than that, so
    // the store stays within a small multiple of the pending events.
    // In kernel memory (which never frees) it does not shrink: a shrink and a later growth would leave both
    // old arrays behind there, on every burst of traffic.
    const need = 1 + 4 * live + 8 * more;
    let cap = this.cap;
    if (need > cap || (4 * need < cap && this.s.kernelMemory !== true)) {
      cap = this.initial;
      while (cap < need) cap *= 2;
    }
    this.rebuild(cap, wm);
  }

  /**
   * Entry number of the key (slot, seq, t), added (time NaN) when no entry holds it. The caller reserved room.
   */
  resolve(slot: number, seq: number, t: number): number {
    const w = this.slotWords;
    const at = 2 * slot;
    const head = w[at + 1]!;
    if (head !== 0 && t <= w[at]!) {
      const kSeq = this.kSeq;
      const kT = this.kT;
      const kNext = this.kNext;
      for (let e = head; e !== 0; e = kNext[e]!) if (kT[e] === t && kSeq[e] === seq) return e;
    } else w[at] = t;
    const e = this.count++;
    this.kSlot[e] = slot;
    this.kSeq[e] = seq;
    this.kT[e] = t;
    this.kNext[e] = head;
    w[at + 1] = e;
    this.s.dedupSeqTime[e] = Number.NaN;
    return e;
  }

  /**
   * Resolves the sequence keys of events [from, end) of a batch (u32 words, 6 per event) into `ref` at
   * 2 (i mod DEDUP_CHUNK), 0 for events without one (their seq word holds a hash). One loop with resolve
   * written out: a call per event would box its float64 time (V8 allocates a number per call it does not
   * inline). The caller reserved room.
   */
  resolveRange(
    words: Uint32Array,
    from: number,
    end: number,
    baseTimeMs: number,
    ref: Uint32Array,
    deviceCount: number,
  ): void {
    const w = this.slotWords;
    const kSeq = this.kSeq;
    const kT = this.kT;
    const kNext = this.kNext;
    const kSlot = this.kSlot;
    const time = this.s.dedupSeqTime;
    let count = this.count;
    for (let i = from; i < end; i++) {
      const o = i * 6;
      const flags = (words[o + 4]! >>> 16) & 0xff;
      const q = (i & (DEDUP_CHUNK - 1)) << 1;
      if ((flags & (FLAG_SEQ_IS_ID_HASH | FLAG_SEQ_IS_SESSION_HASH)) !== 0) {
        ref[q] = 0;
        continue;
      }
      const device = words[o + 5]!;
      const target = words[o + 1]!;
      const slot =
        device !== NO_DEVICE ? device : (flags & FLAG_TARGET_ZONE) !== 0 ? deviceCount + target : target;
      const seq = words[o + 2]!;
      const t = baseTimeMs + words[o]!;
      const at = 2 * slot;
      const head = w[at + 1]! | 0;
      let e = 0;
      if (head !== 0 && t <= w[at]!) {
        for (e = head; e !== 0; e = kNext[e]!) if (kT[e] === t && kSeq[e] === seq) break;
      } else w[at] = t;
      if (e === 0) {
        e = count++;
        kSlot[e] = slot;
        kSeq[e] = seq;
        kT[e] = t;
        kNext[e] = head;
        w[at + 1] = e;
        time[e] = Number.NaN;
      }
      ref[q] = e;
    }
    this.count = count;
  }

  /** Calls `each(slot, seq, t, time)` for every entry whose time is ≥ `wm`. */
  forLive(wm: number, each: (slot: number, seq: number, t: number, time: number) => void): void {
    const time = this.s.dedupSeqTime;
    for (let e = 1; e < this.count; e++) {
      const at = time[e]!;
      if (at >= wm) each(this.kSlot[e]!, this.kSeq[e]!, this.kT[e]!, at);
    }
  }

  /** Adds an accepted key (checkpoint restore): its entry takes `time`. */
  restore(slot: number, seq: number, t: number, time: number): void {
    this.reserve(1, Number.NEGATIVE_INFINITY);
    this.s.dedupSeqTime[this.resolve(slot, seq, t)] = time;
  }

  /**
   * Keeps the entries whose time is ≥ `wm` (NaN: keep every accepted one), in their order, in `cap` entries:
   * in place when the capacity stays (entries only move down), else in new arrays and a new time column.
   */
  private rebuild(cap: number, wm: number): void {
    const s = this.s;
    // In place, a kernel may do it (the wasm kernel, in its memory: the same entries and chains).
    if (cap === this.cap && this.rebuildInPlace?.(this, wm, Number.isNaN(wm)) === true) return;
    const old = { slot: this.kSlot, seq: this.kSeq, t: this.kT, time: s.dedupSeqTime };
    const w = this.slotWords;
    // Empty the chains of every slot that has an entry (O(entries), not O(slots)).
    for (let e = 1; e < this.count; e++) {
      w[2 * old.slot[e]! + 1] = 0;
    }
    if (cap !== this.cap) {
      this.cap = cap;
      this.kSlot = this.alloc(Uint32Array, cap);
      this.kSeq = this.alloc(Uint32Array, cap);
      this.kT = this.alloc(Float64Array, cap);
      this.kNext = this.alloc(Int32Array, cap);
      s.newDedupSeqTime(cap);
    }
    const time = s.dedupSeqTime;
    const kSlot = this.kSlot;
    const kSeq = this.kSeq;
    const kT = this.kT;
    const kNext = this.kNext;
    const all = Number.isNaN(wm);
    let n = 1;
    for (let e = 1; e < this.count; e++) {
      const at = old.time[e]!;
      if (all ? Number.isNaN(at) : !(at >= wm)) continue;
      const slot = old.slot[e]!;
      const t = old.t[e]!;
      kSlot[n] = slot;
      kSeq[n] = old.seq[e]!;
      kT[n] = t;
      time[n] = at;
      const head = w[2 * slot + 1]!;
      kNext[n] = head;
      w[2 * slot + 1] = n;
      if (head === 0 || t > w[2 * slot]!) w[2 * slot] = t;
      n++;
    }
    time[0] = Number.NaN;
    this.count = n;
  }

  /** A zeroed column in the state's memory (kernel memory for the wasm kernel), else on the heap. */
  private alloc<T extends StateArray>(ctor: ArrayCtor<T> & { new (n: number): T }, n: number): T {
    return this.s.newArray === undefined ? new ctor(n) : this.s.newArray(ctor, n);
  }
}

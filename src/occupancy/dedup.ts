/**
 * Exact de-duplication memory: the keys of the accepted events that are still at or above the watermark.
 *
 * An event is a duplicate when one of its keys equals a key of an accepted event whose time is at or above the
 * watermark at that moment (so within the allowed lateness of the newest event):
 * - its **id key**: the `event_id` string (its UTF-8 bytes, compared byte for byte); for a batch encoded
 *   without event ids, the device and the 32-bit id hash the struct carries instead;
 * - its **sequence key** (events with a sequence number): device, sequence number and event time. A
 *   retransmission repeats all three; a device whose counter restarted (a LoRaWAN rejoin) sends the old numbers
 *   again at new times, so its new events are never taken for copies, and nothing is ever wiped.
 *
 * Older keys can go: an event older than the watermark is late whatever it repeats. So the memory holds at most
 * two keys per pending event (accepted events wait in the pending buffer exactly until the watermark passes
 * them), and `pendingMax` bounds both (past it the watermark is forced forward and counted).
 *
 * Split of work: each event's keys are resolved to entry numbers before a part of a chunk is admitted, by the
 * loops here and in device-keys.ts, or, with the wasm kernel, by that kernel (KeyKernel: resolveSeqs and
 * resolveIds of wasm/occupancy.ts, the same hash, probes and entries over these columns, allocated in its
 * memory, and over the batch staged whole there); admission (kernel.ts, wasm/occupancy.ts) then decides in
 * delivery order with two array reads: duplicate when `seqTime[seqRef] ≥ watermark` or `idTime[idRef] ≥
 * watermark`, and on acceptance they write the event's time into both entries. Entry 0 of each column is a
 * sentinel whose time stays NaN (never ≥ anything).
 *
 * Sequence keys are held per device (device-keys.ts: no hashing, most events need no search). Id keys (this
 * file) live in an open-addressing table (linear probing) over typed arrays; the hash (4 id bytes at a time)
 * picks the bucket, equality of every key field decides. Between parts the table is rebuilt, dropping entries
 * whose time is below the watermark (or NaN), when the next part might not fit: O(1) amortised, nothing
 * allocated per event.
 */
import { FLAG_SEQ_IS_ID_HASH, FLAG_TARGET_ZONE, NO_DEVICE } from "../wire/layout.js";
import type { EventBatchView } from "../wire/view.js";
import { DeviceKeys, type SeqKeyColumns } from "./device-keys.js";
import { DEDUP_CHUNK, R_WATERMARK } from "./kernel.js";
import type { EngineState } from "./state.js";

/**
 * The columns of the id-key table as a kernel resolves keys into them (resolveIds of wasm/occupancy.ts): the
 * table of (entry, hash) pairs and its mask, the entry columns, the id byte arena, and the entry count and
 * arena bytes in use, which the kernel advances. @internal
 */
export interface IdKeyColumns {
  readonly table: Int32Array;
  readonly mask: number;
  readonly kType: Uint8Array;
  readonly kA: Uint32Array;
  readonly kB: Uint32Array;
  readonly kHash: Int32Array;
  readonly idOff: Uint32Array;
  readonly idLen: Uint32Array;
  readonly arena: Uint8Array;
  count: number;
  arenaUsed: number;
}

/**
 * A kernel that resolves de-duplication keys in its own memory (the wasm kernel): the same entries, hashes and
 * probes as the JavaScript loops here and in device-keys.ts, over columns that DedupMemory allocated in the
 * engine state's memory. @internal
 */
export interface KeyKernel {
  /**
   * DeviceKeys.resolveRange over `keys`, and every id ref of the range set to 0 (the sentinel); advances
   * keys.count. Returns the number of events of the range whose sequence word holds an event-id hash (their id
   * keys are left to the caller), or −1, having done nothing, when the columns do not lie in the kernel's memory.
   */
  resolveSeqs(
    s: EngineState,
    keys: SeqKeyColumns,
    words: Uint32Array,
    from: number,
    end: number,
    baseTimeMs: number,
  ): number;
  /**
   * resolveIds over `keys` for a batch whose bytes are `bytes`; advances keys.count and keys.arenaUsed. Returns
   * false, having done nothing, when the batch does not lie in the kernel's memory.
   */
  resolveIds(
    s: EngineState,
    keys: IdKeyColumns,
    bytes: Uint8Array,
    idsOffset: number,
    from: number,
    end: number,
  ): boolean;
  /**
   * resolveIdHashes over `keys` (the id keys of a batch without event ids, from the id hashes its sequence words
   * carry) after this kernel's resolveSeqs over the same range (which set every id ref to 0); advances keys.count.
   * Returns false, having done nothing, when the columns do not lie in the kernel's memory.
   */
  resolveIdHashes(s: EngineState, keys: IdKeyColumns, words: Uint32Array, from: number, end: number): boolean;
  /**
   * DedupMemory's rebuild in place (same capacity and arena) over `keys`: keeps the entries whose time is ≥ `wm`
   * (with `all`, those not NaN); sets keys.count and keys.arenaUsed. Returns false, having done nothing, when
   * the columns do not lie in the kernel's memory.
   */
  rebuildIds(s: EngineState, keys: IdKeyColumns, wm: number, all: boolean): boolean;
  /** DeviceKeys' rebuild in place (same capacity) over `keys`, as rebuildIds (`all`: wm is NaN there). */
  rebuildSeqs(s: EngineState, keys: SeqKeyColumns, wm: number, all: boolean): boolean;
}

/** Key type: device, sequence number and event time (held in DeviceKeys; this type names them in checkpoints). */
const K_SEQ = 1;
/** Key type: event_id bytes. */
const K_ID = 2;
/** Key type: device and 32-bit event_id hash (batches without event ids). */
const K_HASH = 3;
const INITIAL = 1024;

/** One key in the layout of the checkpoint sections (see DedupMemory.sections). */
/** One saved de-duplication key, as checkpoint sections hold it. @internal */
export interface SavedKey {
  readonly type: number;
  readonly a: number;
  readonly b: number;
  readonly t: number;
  readonly time: number;
  readonly id: Uint8Array;
}

/**
 * The de-duplication memory of one engine (its time and refs columns live in EngineState, for the kernels; its
 * own columns live in the state's memory too, so a kernel given as `kernel` resolves keys in place).
 */
export class DedupMemory implements IdKeyColumns {
  /** Sequence keys, per device. */
  private readonly seqKeys: DeviceKeys;
  /** Entries in use, the sentinel included (entry 0). @internal */
  count = 1;
  private cap = 0;
  /** @internal */
  kType = new Uint8Array(0);
  /** @internal */
  kA = new Uint32Array(0);
  /** @internal */
  kB = new Uint32Array(0);
  /** @internal */
  kHash = new Int32Array(0);
  /** @internal */
  idOff = new Uint32Array(0);
  /** @internal */
  idLen = new Uint32Array(0);
  /** @internal */
  arena = new Uint8Array(0);
  /** @internal */
  arenaUsed = 0;
  /** @internal */
  table = new Int32Array(0);
  /** @internal */
  mask = 0;

  constructor(
    private readonly s: EngineState,
    private readonly kernel?: KeyKernel,
  ) {
    this.seqKeys = new DeviceKeys(
      s,
      s.recCount,
      undefined,
      kernel === undefined ? undefined : (keys, wm, all) => kernel.rebuildSeqs(s, keys, wm, all),
    );
    this.rebuild(INITIAL, Number.POSITIVE_INFINITY, 16 * INITIAL);
  }

  /** Entries held (the sentinels not counted); at most two per pending event after each rebuild. */
  get size(): number {
    return this.count - 1 + this.seqKeys.size;
  }

  /**
   * Resolves the keys of events [from, end) of a batch (within one admission chunk: the range of i div
   * DEDUP_CHUNK is one value) into s.dedupRef: entry numbers at 2 (i mod DEDUP_CHUNK) (sequence key) and + 1
   * (id key), 0 for none. Entry numbers stay valid until the next call (which may rebuild the table).
   */
  resolve(view: EventBatchView, words: Uint32Array, from: number, end: number): void {
    const s = this.s;
    const k = this.kernel;
    this.reserve(end - from, view);
    this.seqKeys.reserve(end - from, s.reg[R_WATERMARK]!);
    // Events whose id key is an id hash, as far as known (the JavaScript loop does not count them).
    let hashed = k === undefined ? -1 : k.resolveSeqs(s, this.seqKeys, words, from, end, view.baseTimeMs);
    // The kernel resolved the sequence keys (and set every id ref to the sentinel), so it may resolve id hashes.
    const inKernel = hashed >= 0;
    if (hashed < 0) {
      this.seqKeys.resolveRange(words, from, end, view.baseTimeMs, s.dedupRef, s.deviceCount);
      hashed = end - from;
    }
    const ids = view.eventIdsOffset;
    // Without hashed ids the kernel has set every id ref to the sentinel already.
    if (ids < 0) {
      if (hashed > 0 && !(inKernel && k!.resolveIdHashes(s, this, words, from, end)))
        this.resolveIdHashes(words, from, end);
    } else if (k === undefined || !k.resolveIds(s, this, view.bytes, ids, from, end))
      this.resolveIds(view.bytes, ids, from, end);
  }

  /**
   * Id keys of events [from, end) from the batch's event_id strings (vector of offsets at `ids` in `bytes`).
   * One loop, no call per event: the hash (Murmur3, 32-bit) and the probe are written out here, and only a
   * new key calls add (V8 boxes float64 and large u32 arguments of calls it does not inline, so a call per
   * event allocated per event).
   */
  private resolveIds(bytes: Uint8Array, ids: number, from: number, end: number): void {
    const ref = this.s.dedupRef;
    for (let i = from; i < end; i++) {
      const pos = ids + 4 * i;
      const p = pos + u32le(bytes, pos);
      const len = u32le(bytes, p);
      const at = p + 4;
      // Four bytes at a time as little-endian words, then the last 0–3, then the full finaliser: ids of one
      // feed differ in a few trailing characters, which must reach the low bits that pick the bucket.
      let h = 0x9747b28c;
      const stop = at + (len & ~3);
      let k = at;
      for (; k < stop; k += 4) {
        let w = bytes[k]! | (bytes[k + 1]! << 8) | (bytes[k + 2]! << 16) | (bytes[k + 3]! << 24);
        w = Math.imul(w, 0xcc9e2d51);
        w = Math.imul((w << 15) | (w >>> 17), 0x1b873593);
        h ^= w;
        h = (h << 13) | (h >>> 19);
        h = (Math.imul(h, 5) + 0xe6546b64) | 0;
      }
      if ((len & 3) !== 0) {
        let w = 0;
        for (let j = len & 3; j > 0; j--) w = (w << 8) | bytes[k + j - 1]!;
        w = Math.imul(w, 0xcc9e2d51);
        h ^= Math.imul((w << 15) | (w >>> 17), 0x1b873593);
      }
      h = mix32(h ^ len);
      const table = this.table;
      const mask = this.mask;
      let slot = h & mask;
      let e = table[2 * slot]!;
      while (e !== 0) {
        // The table keeps each entry's hash beside it: most slots are told apart without touching the entry.
        if (
          table[2 * slot + 1] === h &&
          this.kType[e] === K_ID &&
          this.idLen[e] === len &&
          sameBytes(this.arena, this.idOff[e]!, bytes, at, len)
        )
          break;
        slot = (slot + 1) & mask;
        e = table[2 * slot]!;
      }
      if (e === 0) e = this.add(slot, h, K_ID, 0, 0, bytes, at, len);
      ref[((i & (DEDUP_CHUNK - 1)) << 1) + 1] = e;
    }
  }

  /** Id keys of events [from, end) of a batch without event ids: (device slot, 32-bit id hash) when flagged. */
  private resolveIdHashes(words: Uint32Array, from: number, end: number): void {
    const s = this.s;
    const ref = s.dedupRef;
    const deviceCount = s.deviceCount;
    for (let i = from; i < end; i++) {
      const o = i * 6;
      const kvf = words[o + 4]!;
      const q = ((i & (DEDUP_CHUNK - 1)) << 1) + 1;
      if (((kvf >>> 16) & FLAG_SEQ_IS_ID_HASH) === 0) {
        ref[q] = 0;
        continue;
      }
      const a = slotOf(words, o, deviceCount);
      const b = words[o + 2]! | 0;
      const h = mix32(Math.imul(Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b, 0xc2b2ae35));
      const table = this.table;
      const mask = this.mask;
      let slot = h & mask;
      let e = table[2 * slot]!;
      while (e !== 0) {
        if (
          table[2 * slot + 1] === h &&
          this.kType[e] === K_HASH &&
          this.kA[e] === a &&
          (this.kB[e]! | 0) === b
        )
          break;
        slot = (slot + 1) & mask;
        e = table[2 * slot]!;
      }
      if (e === 0) e = this.add(slot, h, K_HASH, a, b, words as unknown as Uint8Array, 0, 0);
      ref[q] = e;
    }
  }

  /** The live keys (time ≥ watermark) in a canonical order, as checkpoint sections. */
  sections(): [string, Uint8Array | Uint32Array | Float64Array][] {
    const s = this.s;
    const wm = s.reg[R_WATERMARK]!;
    const live: SavedKey[] = [];
    this.seqKeys.forLive(wm, (a, b, t, time) =>
      live.push({ type: K_SEQ, a, b, t, time, id: new Uint8Array(0) }),
    );
    for (let e = 1; e < this.count; e++) {
      const time = s.dedupTime[e]!;
      if (!(time >= wm)) continue;
      const at = this.idOff[e]!;
      live.push({
        type: this.kType[e]!,
        // Id keys carry no device fields (a kernel that adds them leaves those columns as they were).
        a: this.kType[e] === K_ID ? 0 : this.kA[e]!,
        b: this.kType[e] === K_ID ? 0 : this.kB[e]!,
        t: 0,
        time,
        id: this.arena.subarray(at, at + this.idLen[e]!),
      });
    }
    return keySections(live.sort(compareKeys));
  }

  /**
   * sections() in entry order rather than the canonical one (a worker shard's recovery snapshot: the checkpoint
   * written from it sorts them, sharded/checkpoints.ts sortKeySections). @internal
   */
  unsortedSections(): [string, Uint32Array | Float64Array | Uint8Array][] {
    const s = this.s;
    const wm = s.reg[R_WATERMARK]!;
    let n = 0;
    let bytes = 0;
    this.seqKeys.forLive(wm, () => {
      n++;
    });
    for (let e = 1; e < this.count; e++) {
      if (!(s.dedupTime[e]! >= wm)) continue;
      n++;
      bytes += this.idLen[e]!;
    }
    const keys = new Uint32Array(n * 4);
    const times = new Float64Array(n * 2);
    const ids = new Uint8Array(bytes);
    let i = 0;
    this.seqKeys.forLive(wm, (a, b, t, time) => {
      keys[i * 4] = K_SEQ;
      keys[i * 4 + 1] = a;
      keys[i * 4 + 2] = b;
      times[i * 2] = t;
      times[i * 2 + 1] = time;
      i++;
    });
    let at = 0;
    for (let e = 1; e < this.count; e++) {
      const time = s.dedupTime[e]!;
      if (!(time >= wm)) continue;
      const type = this.kType[e]!;
      const len = this.idLen[e]!;
      keys[i * 4] = type;
      // Id keys carry no device fields (as in sections()).
      keys[i * 4 + 1] = type === K_ID ? 0 : this.kA[e]!;
      keys[i * 4 + 2] = type === K_ID ? 0 : this.kB[e]!;
      keys[i * 4 + 3] = len;
      times[i * 2 + 1] = time;
      ids.set(this.arena.subarray(this.idOff[e]!, this.idOff[e]! + len), at);
      at += len;
      i++;
    }
    return [
      ["dedup.keys", keys],
      ["dedup.times", times],
      ["dedup.ids", ids],
    ];
  }

  /**
   * Problems with checkpoint sections written by sections(), or null: key types, devices, times and id lengths
   * are checked so that restoring cannot index outside an array.
   */
  static check(keys: Uint32Array, times: Float64Array, ids: Uint8Array, recCount: number): string | null {
    if (keys.length / 4 !== times.length / 2) return "de-duplication keys and times differ in number";
    let bytes = 0;
    for (let n = 0; n < keys.length / 4; n++) {
      const type = keys[n * 4]!;
      const len = keys[n * 4 + 3]!;
      const t = times[n * 2]!;
      const time = times[n * 2 + 1]!;
      if (type !== K_SEQ && type !== K_ID && type !== K_HASH)
        return `de-duplication key ${n} has type ${type}`;
      if (type !== K_ID && (keys[n * 4 + 1]! >= recCount || len !== 0))
        return `de-duplication key ${n} names no device`;
      if (!Number.isInteger(t) || !Number.isInteger(time))
        return `de-duplication key ${n} has an invalid time`;
      bytes += len;
    }
    return bytes === ids.length ? null : "de-duplication id bytes do not add up";
  }

  /** Loads sections checked by check() into this fresh memory. */
  load(keys: Uint32Array, times: Float64Array, ids: Uint8Array): void {
    const n = keys.length / 4;
    const cap = Math.max(INITIAL, 4 * n);
    this.rebuild(cap, Number.POSITIVE_INFINITY, Math.max(16 * cap, 4 * ids.length));
    let p = 0;
    for (let k = 0; k < n; k++) {
      const len = keys[k * 4 + 3]!;
      if (keys[k * 4] === K_SEQ) {
        this.seqKeys.restore(keys[k * 4 + 1]!, keys[k * 4 + 2]!, times[k * 2]!, times[k * 2 + 1]!);
        continue;
      }
      const e = this.intern(keys[k * 4]!, keys[k * 4 + 1]!, keys[k * 4 + 2]!, ids, p, len);
      this.s.dedupTime[e] = times[k * 2 + 1]!;
      p += len;
    }
  }

  /**
   * Makes room for `more` entries and the id bytes of `more` events of `view` (bounded by its longest id and its
   * total, which verification noted); drops dead entries when needed.
   */
  private reserve(more: number, view: EventBatchView): void {
    const idBytes = view.eventIdBytesBound(more);
    if (this.count + more <= this.cap && this.arenaUsed + idBytes <= this.arena.length) return;
    const wm = this.s.reg[R_WATERMARK]!;
    let live = 0;
    let liveBytes = 0;
    // A kernel that rebuilds in place drops the dead entries first (what any rebuild below does too): the live
    // entries and bytes are then what remains, without a pass here to count them.
    const compacted = this.kernel?.rebuildIds(this.s, this, wm, !Number.isFinite(wm)) === true;
    if (compacted) {
      live = this.count - 1;
      liveBytes = this.arenaUsed;
    } else {
      const time = this.s.dedupTime;
      for (let e = 1; e < this.count; e++) {
        if (time[e]! >= wm) {
          live++;
          liveBytes += this.idLen[e]!;
        }
      }
    }
    // Room for twice the live keys and eight parts' new keys, so that a rebuild (O(capacity)) comes at most
    // every few parts; a larger table would rebuild less often but miss the cache more (each key is a probe).
    // The table's slot count is the power of two ≥ twice that; the capacity takes all of it (half the slots), so
    // the rounding buys rebuilds that come less often rather than empty slots (measured: a larger table costs
    // more in cache misses than its fewer rebuilds save).
    let cap = this.cap;
    if (1 + live + 4 * more > cap / 2) {
      let slots = 2;
      while (slots < 2 * Math.max(INITIAL, 2 * (live + 1) + 8 * more)) slots *= 2;
      cap = slots / 2;
    }
    // The id bytes grow apart from the entries, and geometrically: an arena that only just fits would grow (and
    // every column with it) at nearly every rebuild as the live ids' length drifts.
    const need = Math.max(16 * cap, 4 * (liveBytes + idBytes));
    const have = this.arena.length;
    const arenaBytes = need <= have ? have : Math.max(need, 2 * have);
    // Compacted in place and still large enough: done (a rebuild now would only repeat the compaction).
    if (compacted && cap === this.cap && arenaBytes === have) return;
    this.rebuild(cap, wm, arenaBytes);
  }

  /**
   * Keeps the entries whose time is ≥ `wm` (all that are not NaN when `wm` is −∞ or +∞), in their order, in
   * arrays of `cap` entries and `arenaBytes` id bytes and a table of twice that: in place when the sizes stay
   * (entries and id bytes only move down), else in new arrays (and a new time column in the state).
   */
  private rebuild(cap: number, wm: number, arenaBytes: number): void {
    const s = this.s;
    const grow = cap !== this.cap;
    const growArena = arenaBytes !== this.arena.length;
    const old = {
      type: this.kType,
      a: this.kA,
      b: this.kB,
      hash: this.kHash,
      off: this.idOff,
      len: this.idLen,
      arena: this.arena,
      time: s.dedupTime,
    };
    if (grow) {
      this.cap = cap;
      this.kType = s.newArray(Uint8Array, cap);
      this.kA = s.newArray(Uint32Array, cap);
      this.kB = s.newArray(Uint32Array, cap);
      this.kHash = s.newArray(Int32Array, cap);
      this.idOff = s.newArray(Uint32Array, cap);
      this.idLen = s.newArray(Uint32Array, cap);
      s.newDedupTime(cap);
      let size = 2;
      while (size < 2 * cap) size *= 2;
      this.table = s.newArray(Int32Array, 2 * size);
      this.mask = size - 1;
    } else if (!growArena && this.kernel?.rebuildIds(s, this, wm, !Number.isFinite(wm)) === true) return;
    else this.table.fill(0);
    if (growArena) this.arena = s.newArray(Uint8Array, arenaBytes);
    const time = s.dedupTime;
    const table = this.table;
    const mask = this.mask;
    const keep = Number.isFinite(wm);
    const arena = this.arena;
    const oldArena = old.arena;
    let n = 1;
    let used = 0;
    // Id bytes move a run at a time: kept entries whose bytes lie one after the other (most of them: entries
    // are in arrival order and the dead ones are mostly the oldest) are copied by one call. In place, bytes
    // only move down, so copyWithin forward is safe.
    let runFrom = 0;
    let runTo = 0;
    let runLen = 0;
    for (let e = 1; e < this.count; e++) {
      const t = old.time[e]!;
      if (keep ? !(t >= wm) : Number.isNaN(t)) continue;
      const len = old.len[e]!;
      const h = old.hash[e]!;
      this.kType[n] = old.type[e]!;
      this.kA[n] = old.a[e]!;
      this.kB[n] = old.b[e]!;
      this.kHash[n] = h;
      const from = old.off[e]!;
      this.idOff[n] = used;
      this.idLen[n] = len;
      if (from !== runFrom + runLen) {
        moveBytes(arena, oldArena, runTo, runFrom, runLen, growArena);
        runFrom = from;
        runTo = used;
        runLen = 0;
      }
      runLen += len;
      used += len;
      time[n] = t;
      let i = h & mask;
      while (table[2 * i] !== 0) i = (i + 1) & mask;
      table[2 * i] = n;
      table[2 * i + 1] = h;
      n++;
    }
    moveBytes(arena, oldArena, runTo, runFrom, runLen, growArena);
    time[0] = Number.NaN;
    this.count = n;
    this.arenaUsed = used;
  }

  /** Entry number of a key (restore: checkpoint sections), added (time NaN) when new. */
  private intern(type: number, a: number, b: number, bytes: Uint8Array, at: number, len: number): number {
    if (type === K_ID) {
      // The same hash as resolveIds, through a one-event vector in a scratch buffer: restores are rare.
      const one = new Uint8Array(12 + len);
      const dv = new DataView(one.buffer);
      dv.setUint32(0, 4, true);
      dv.setUint32(4, len, true);
      one.set(bytes.subarray(at, at + len), 8);
      const ref = this.s.dedupRef;
      const keep = ref[1]!;
      this.resolveIds(one, 0, 0, 1);
      const e = ref[1]!;
      ref[1] = keep;
      return e;
    }
    const words = new Uint32Array(6);
    words[4] = FLAG_SEQ_IS_ID_HASH << 16;
    words[2] = b;
    words[5] = a;
    const ref = this.s.dedupRef;
    const keep = ref[1]!;
    this.resolveIdHashes(words, 0, 1);
    const e = ref[1]!;
    ref[1] = keep;
    return e;
  }

  /** Adds a key at free table slot `slot` (its time NaN) and returns its entry number. */
  private add(
    slot: number,
    h: number,
    type: number,
    a: number,
    b: number,
    bytes: Uint8Array,
    at: number,
    len: number,
  ): number {
    const e = this.count++;
    this.kType[e] = type;
    this.kA[e] = a;
    this.kB[e] = b;
    this.kHash[e] = h;
    this.idOff[e] = this.arenaUsed;
    this.idLen[e] = len;
    const arena = this.arena;
    for (let k = 0, o = this.arenaUsed; k < len; k++) arena[o + k] = bytes[at + k]!;
    this.arenaUsed += len;
    this.s.dedupTime[e] = Number.NaN;
    this.table[2 * slot] = e;
    this.table[2 * slot + 1] = h;
    return e;
  }
}

/** Murmur3's 32-bit finaliser: every input bit reaches every output bit (as an int32). */
function mix32(x: number): number {
  let h = x ^ (x >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** De-duplication slot of the event at word `o`: its device, else its bay, else deviceCount + its zone. */
export function slotOf(words: Uint32Array, o: number, deviceCount: number): number {
  const device = words[o + 5]!;
  if (device !== NO_DEVICE) return device;
  const target = words[o + 1]!;
  return ((words[o + 4]! >>> 16) & FLAG_TARGET_ZONE) !== 0 ? deviceCount + target : target;
}

/** Copies `len` bytes from `src` at `from` to `dst` at `to` (the same array unless `other`). */
function moveBytes(
  dst: Uint8Array,
  src: Uint8Array,
  to: number,
  from: number,
  len: number,
  other: boolean,
): void {
  if (len === 0 || (!other && to === from)) return;
  if (other) dst.set(src.subarray(from, from + len), to);
  else dst.copyWithin(to, from, from + len);
}

function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function sameBytes(x: Uint8Array, xAt: number, y: Uint8Array, yAt: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (x[xAt + k] !== y[yAt + k]) return false;
  return true;
}

/** Canonical order of saved keys: time, type, fields, then id bytes. */
/**
 * The checkpoint sections of keys already in canonical order: `dedup.keys` (type, a, b, id length), `dedup.times`
 * (t, time) and `dedup.ids` (the ids' bytes, in order). @internal
 */
export function keySections(keys: readonly SavedKey[]): [string, Uint32Array | Float64Array | Uint8Array][] {
  const k = new Uint32Array(keys.length * 4);
  const t = new Float64Array(keys.length * 2);
  let bytes = 0;
  for (const x of keys) bytes += x.id.length;
  const ids = new Uint8Array(bytes);
  let at = 0;
  keys.forEach((x, n) => {
    k.set([x.type, x.a, x.b, x.id.length], n * 4);
    t[n * 2] = x.t;
    t[n * 2 + 1] = x.time;
    ids.set(x.id, at);
    at += x.id.length;
  });
  return [
    ["dedup.keys", k],
    ["dedup.times", t],
    ["dedup.ids", ids],
  ];
}

/** The canonical order of saved keys: time, type, fields, then id bytes. @internal */
export function compareKeys(x: SavedKey, y: SavedKey): number {
  if (x.time !== y.time) return x.time - y.time;
  if (x.type !== y.type) return x.type - y.type;
  if (x.a !== y.a) return x.a - y.a;
  if (x.b !== y.b) return x.b - y.b;
  if (x.t !== y.t) return x.t - y.t;
  const n = Math.min(x.id.length, y.id.length);
  for (let k = 0; k < n; k++) if (x.id[k] !== y.id[k]) return x.id[k]! - y.id[k]!;
  return x.id.length - y.id.length;
}

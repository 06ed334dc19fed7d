/**
 * Payment memory over typed arrays: the set of recently seen payment keys (session key, kind) for
 * de-duplication, and the open paid sessions in start order, where a session key is the exact number
 * SessionKeys gives a (zone, event_session_id) pair. Both are open-addressing hash tables (linear
 * probing, backward-shift deletion) beside a ring that keeps insertion order, so the oldest entry is found
 * in O(1) and nothing is allocated per event. They start small and double up to their limits.
 */

import { fnv } from "../wire/json-bytes.js";

/** Tag of a payment key: which payment event kind it stands for. */
export const TAG_START = 1;
/** Tag of a payment_end key. */
export const TAG_END = 2;
const INITIAL = 1024;
const EMPTY = -1;
const utf8 = new TextEncoder();
const utf8Loose = new TextDecoder();

function hashOf(seq: number, tag: number, bits: number): number {
  return Math.imul(seq ^ Math.imul(tag, 0x9e3779b9), 0x85ebca6b) >>> (32 - bits);
}

/**
 * Deletes `entry` from an open-addressing table with linear probing, `home(e)` giving an entry's first slot:
 * finds its slot from `home(entry)`, then moves each later entry of the run back into the hole unless its home
 * lies cyclically in (hole, its slot] (backward-shift deletion: no tombstones, probes stay short).
 */
function shiftDelete(table: Int32Array, entry: number, home: (e: number) => number): void {
  const mask = table.length - 1;
  let i = home(entry);
  while (table[i] !== entry) i = (i + 1) & mask;
  for (let j = (i + 1) & mask; table[j] !== EMPTY; j = (j + 1) & mask) {
    const other = table[j]!;
    const h = home(other);
    const stays = i <= j ? h > i && h <= j : h > i || h <= j;
    if (!stays) {
      table[i] = other;
      i = j;
    }
  }
  table[i] = EMPTY;
}

function log2(n: number): number {
  return 31 - Math.clz32(n);
}

/** Recently seen payment keys, oldest forgotten first beyond `max`. */
export class PaymentKeys {
  readonly max: number;
  // Ring of keys in insertion order.
  private ringSeq = new Uint32Array(0);
  private ringTag = new Uint8Array(0);
  private head = 0;
  private count = 0;
  // Table: ring index of each key, or EMPTY.
  private table = new Int32Array(0);
  private bits = 0;

  constructor(max: number) {
    this.max = max;
    this.resize(Math.min(INITIAL, max));
  }

  /** Keys held. */
  get size(): number {
    return this.count;
  }

  /** Whether (seq, tag) was seen. */
  has(seq: number, tag: number): boolean {
    const mask = this.table.length - 1;
    for (let i = hashOf(seq, tag, this.bits); ; i = (i + 1) & mask) {
      const at = this.table[i]!;
      if (at === EMPTY) return false;
      if (this.ringSeq[at] === seq && this.ringTag[at] === tag) return true;
    }
  }

  /**
   * Remembers (seq, tag), which must not be held; forgets the oldest key when `max` are held.
   *
   * @returns the seq of the key forgotten, or −1.
   */
  add(seq: number, tag: number): number {
    const evicted = this.count === this.max ? this.evictOldest() : -1;
    if (this.count === this.ringSeq.length) this.resize(Math.min(this.max, this.ringSeq.length * 2));
    const cap = this.ringSeq.length;
    const at = (this.head + this.count) % cap;
    this.ringSeq[at] = seq;
    this.ringTag[at] = tag;
    this.count++;
    this.insert(at);
    return evicted;
  }

  /** Keys oldest first (for checkpoints). */
  entries(): { seq: Uint32Array; tag: Uint8Array } {
    const seq = new Uint32Array(this.count);
    const tag = new Uint8Array(this.count);
    const cap = this.ringSeq.length;
    for (let k = 0; k < this.count; k++) {
      seq[k] = this.ringSeq[(this.head + k) % cap]!;
      tag[k] = this.ringTag[(this.head + k) % cap]!;
    }
    return { seq, tag };
  }

  private evictOldest(): number {
    const at = this.head;
    const seq = this.ringSeq[at]!;
    this.remove(at);
    this.head = (this.head + 1) % this.ringSeq.length;
    this.count--;
    return seq;
  }

  private insert(at: number): void {
    const mask = this.table.length - 1;
    let i = hashOf(this.ringSeq[at]!, this.ringTag[at]!, this.bits);
    while (this.table[i] !== EMPTY) i = (i + 1) & mask;
    this.table[i] = at;
  }

  /** Deletes the table slot pointing at ring index `at`. */
  private remove(at: number): void {
    shiftDelete(this.table, at, this.home);
  }

  private readonly home = (at: number): number => hashOf(this.ringSeq[at]!, this.ringTag[at]!, this.bits);

  private resize(cap: number): void {
    const { seq, tag } = this.entries();
    this.ringSeq = new Uint32Array(cap);
    this.ringTag = new Uint8Array(cap);
    this.ringSeq.set(seq);
    this.ringTag.set(tag);
    this.head = 0;
    const size = Math.max(2, 1 << Math.ceil(Math.log2(cap * 2)));
    this.table = new Int32Array(size).fill(EMPTY);
    this.bits = log2(size);
    for (let at = 0; at < this.count; at++) this.insert(at);
  }
}

/** Open paid sessions by session key, in start order. */
export class OpenSessions {
  readonly max: number;
  // Ring in insertion (start) order; dead entries are skipped.
  private rSeq = new Uint32Array(0);
  private rRow = new Uint32Array(0);
  private rStart = new Float64Array(0);
  private rAlive = new Uint8Array(0);
  private head = 0;
  private used = 0; // entries between head and tail, dead included
  private alive = 0;
  private table = new Int32Array(0);
  private bits = 0;

  constructor(max: number) {
    this.max = max;
    this.rebuild(Math.min(INITIAL, 2 * max));
  }

  /** Open sessions. */
  get size(): number {
    return this.alive;
  }

  /** Ring index of the open session `seq`, or −1. */
  find(seq: number): number {
    const mask = this.table.length - 1;
    for (let i = hashOf(seq, 0, this.bits); ; i = (i + 1) & mask) {
      const at = this.table[i]!;
      if (at === EMPTY) return -1;
      if (this.rSeq[at] === seq) return at;
    }
  }

  /** Key (seq) of the session at ring index `at`. */
  key(at: number): number {
    return this.rSeq[at]!;
  }

  /** Row of the session at ring index `at`. */
  row(at: number): number {
    return this.rRow[at]!;
  }

  /** Start time of the session at ring index `at`. */
  start(at: number): number {
    return this.rStart[at]!;
  }

  /** Ring index of the oldest open session, or −1. */
  oldest(): number {
    const cap = this.rSeq.length;
    while (this.used > 0 && this.rAlive[this.head] === 0) {
      this.head = (this.head + 1) % cap;
      this.used--;
    }
    return this.used === 0 ? -1 : this.head;
  }

  /** Opens a session (the caller made room: size < max, and `seq` is not open). */
  open(seq: number, row: number, startMs: number): void {
    if (this.used === this.rSeq.length) {
      // Full of entries: compact when at least half are dead, else grow.
      this.rebuild(this.alive * 2 > this.rSeq.length ? this.rSeq.length * 2 : this.rSeq.length);
    }
    const at = (this.head + this.used) % this.rSeq.length;
    this.rSeq[at] = seq;
    this.rRow[at] = row;
    this.rStart[at] = startMs;
    this.rAlive[at] = 1;
    this.used++;
    this.alive++;
    this.insert(at);
  }

  /** Closes the session at ring index `at`. */
  close(at: number): void {
    shiftDelete(this.table, at, this.home);
    this.rAlive[at] = 0;
    this.alive--;
  }

  private readonly home = (at: number): number => hashOf(this.rSeq[at]!, 0, this.bits);

  /** Open sessions in start order (for checkpoints). */
  entries(): { seq: Uint32Array; row: Uint32Array; start: Float64Array } {
    const seq = new Uint32Array(this.alive);
    const row = new Uint32Array(this.alive);
    const start = new Float64Array(this.alive);
    const cap = this.rSeq.length;
    for (let k = 0, n = 0; k < this.used; k++) {
      const at = (this.head + k) % cap;
      if (this.rAlive[at] === 0) continue;
      seq[n] = this.rSeq[at]!;
      row[n] = this.rRow[at]!;
      start[n] = this.rStart[at]!;
      n++;
    }
    return { seq, row, start };
  }

  private insert(at: number): void {
    const mask = this.table.length - 1;
    let i = hashOf(this.rSeq[at]!, 0, this.bits);
    while (this.table[i] !== EMPTY) i = (i + 1) & mask;
    this.table[i] = at;
  }

  /** Re-lays the live sessions from ring index 0 in a ring of `cap` entries and rebuilds the table. */
  private rebuild(cap: number): void {
    const { seq, row, start } = this.entries();
    this.rSeq = new Uint32Array(cap);
    this.rRow = new Uint32Array(cap);
    this.rStart = new Float64Array(cap);
    this.rAlive = new Uint8Array(cap);
    this.rSeq.set(seq);
    this.rRow.set(row);
    this.rStart.set(start);
    this.rAlive.fill(1, 0, seq.length);
    this.head = 0;
    this.used = seq.length;
    this.alive = seq.length;
    const size = Math.max(2, 1 << Math.ceil(Math.log2(cap * 2)));
    this.table = new Int32Array(size).fill(EMPTY);
    this.bits = log2(size);
    for (let at = 0; at < this.used; at++) this.insert(at);
  }
}

/**
 * Exact payment keys: each (zone, event_session_id) pair in use gets a small number (a "session key"), so the
 * typed-array tables above compare exact integers (their hash picks the bucket; equality of the number, and so
 * of zone and session id, decides). A pair is held while a payment key, an open session or a pending payment
 * event refers to it (reference counts), so the table is bounded by paymentKeysMax + sessionsMax + the pending
 * buffer.
 *
 * Session ids are held as their UTF-8 bytes in one arena and looked up by those bytes (`keyOf`, straight from a
 * batch's annotation: no string per payment event), in an open-addressing table over (zone, FNV-1a of the bytes),
 * linear probing with backward-shift deletion. A string is made only for checkpoints (`session`). The arena is
 * compacted when it is full, into an arena at least three times the live ids' bytes (see makeRoom).
 */
export class SessionKeys {
  private zones = new Uint32Array(INITIAL);
  private refs = new Int32Array(INITIAL);
  private hashes = new Uint32Array(INITIAL);
  private off = new Uint32Array(INITIAL);
  private len = new Uint32Array(INITIAL);
  /** 1 while key k names a pair. */
  private alive = new Uint8Array(INITIAL);
  /** Keys ever handed out (k < top); forgotten ones wait in `free`. */
  private top = 0;
  private readonly free: number[] = [];
  private held = 0;
  private table = new Int32Array(2 * INITIAL).fill(EMPTY);
  private bits = log2(2 * INITIAL);
  private arena = new Uint8Array(16 * INITIAL);
  private arenaUsed = 0;
  private arenaLive = 0;
  /** UTF-8 of a session id given as a string (key). */
  private scratch = new Uint8Array(256);

  /** Pairs held. */
  get size(): number {
    return this.held;
  }

  /** The key of (zone, session), created with no references when new. */
  key(zone: number, session: string): number {
    if (this.scratch.length < 3 * session.length) this.scratch = new Uint8Array(3 * session.length);
    const { written } = utf8.encodeInto(session, this.scratch);
    return this.keyOf(zone, this.scratch, 0, written);
  }

  /**
   * The key of (zone, the session id whose UTF-8 bytes are `buf[s, e)`), created with no references when new.
   * Nothing is allocated unless the pair is new and the tables must grow.
   */
  keyOf(zone: number, buf: Uint8Array, s: number, e: number): number {
    const n = e - s;
    const h = sessionHash(zone, buf, s, e);
    const mask = this.table.length - 1;
    let i = h >>> (32 - this.bits);
    for (; ; i = (i + 1) & mask) {
      const k = this.table[i]!;
      if (k === EMPTY) break;
      if (this.hashes[k] === h && this.zones[k] === zone && this.len[k] === n && this.sameBytes(k, buf, s, n))
        return k;
    }
    const k = this.free.length > 0 ? this.free.pop()! : this.top++;
    if (k >= this.zones.length) this.growKeys();
    if (this.arenaUsed + n > this.arena.length) this.makeRoom(n);
    this.arena.set(buf.subarray(s, e), this.arenaUsed);
    this.off[k] = this.arenaUsed;
    this.len[k] = n;
    this.arenaUsed += n;
    this.arenaLive += n;
    this.zones[k] = zone;
    this.hashes[k] = h;
    this.refs[k] = 0;
    this.alive[k] = 1;
    this.held++;
    if (2 * this.held > this.table.length) this.rehash(2 * this.table.length);
    else this.table[i] = k;
    return k;
  }

  /** Adds a reference to key k. */
  retain(k: number): void {
    this.refs[k]! += 1;
  }

  /** Drops a reference to key k; the pair is forgotten with its last reference. */
  release(k: number): void {
    const n = this.refs[k]! - 1;
    this.refs[k] = n;
    if (n === 0) this.forget(k);
  }

  /** Forgets key k when nothing refers to it (a key made for an event that was then dropped). */
  dropIfUnused(k: number): void {
    if (this.refs[k] === 0) this.forget(k);
  }

  /** Zone of key k. */
  zone(k: number): number {
    return this.zones[k]!;
  }

  /** Session id of key k (a new string: for checkpoints). */
  session(k: number): string {
    return utf8Loose.decode(this.arena.subarray(this.off[k]!, this.off[k]! + this.len[k]!));
  }

  /**
   * The keys in use in canonical order (zone, then session id by UTF-16 code units) and each key's canonical
   * number (its index in that order), for checkpoints.
   */
  canonical(): { keys: number[]; index: Map<number, number> } {
    const keys: number[] = [];
    const names: string[] = [];
    for (let k = 0; k < this.top; k++) {
      if (this.alive[k] === 0) continue;
      keys.push(k);
      names[k] = this.session(k);
    }
    keys.sort(
      (a, b) =>
        this.zones[a]! - this.zones[b]! || (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0),
    );
    return { keys, index: new Map(keys.map((k, i) => [k, i])) };
  }

  private sameBytes(k: number, buf: Uint8Array, s: number, n: number): boolean {
    const a = this.arena;
    const o = this.off[k]!;
    for (let j = 0; j < n; j++) if (a[o + j] !== buf[s + j]) return false;
    return true;
  }

  private forget(k: number): void {
    shiftDelete(this.table, k, this.home);
    this.alive[k] = 0;
    this.arenaLive -= this.len[k]!;
    this.held--;
    this.free.push(k);
  }

  private readonly home = (k: number): number => this.hashes[k]! >>> (32 - this.bits);

  private growKeys(): void {
    const cap = this.zones.length * 2;
    const grow = <T extends Uint32Array | Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.zones = grow(this.zones, (n) => new Uint32Array(n));
    this.refs = grow(this.refs, (n) => new Int32Array(n));
    this.hashes = grow(this.hashes, (n) => new Uint32Array(n));
    this.off = grow(this.off, (n) => new Uint32Array(n));
    this.len = grow(this.len, (n) => new Uint32Array(n));
    this.alive = grow(this.alive, (n) => new Uint8Array(n));
  }

  /**
   * Room for `n` more arena bytes: the live ids moved to the front of an arena at least three times their size,
   * so a compaction frees two thirds of it at least (the arena stays within six times the live ids' bytes).
   */
  private makeRoom(n: number): void {
    const need = 3 * (this.arenaLive + n);
    const next = new Uint8Array(
      need > this.arena.length ? Math.max(need, 2 * this.arena.length) : this.arena.length,
    );
    let at = 0;
    for (let k = 0; k < this.top; k++) {
      if (this.alive[k] === 0) continue;
      next.set(this.arena.subarray(this.off[k]!, this.off[k]! + this.len[k]!), at);
      this.off[k] = at;
      at += this.len[k]!;
    }
    this.arena = next;
    this.arenaUsed = at;
  }

  private rehash(size: number): void {
    this.table = new Int32Array(size).fill(EMPTY);
    this.bits = log2(size);
    const mask = size - 1;
    for (let k = 0; k < this.top; k++) {
      if (this.alive[k] === 0) continue;
      let i = this.hashes[k]! >>> (32 - this.bits);
      while (this.table[i] !== EMPTY) i = (i + 1) & mask;
      this.table[i] = k;
    }
  }
}

/** The table hash of (zone, session id bytes): FNV-1a of the bytes, mixed with the zone (murmur3's finaliser). */
function sessionHash(zone: number, buf: Uint8Array, s: number, e: number): number {
  let h = Math.imul(fnv(buf, s, e) ^ Math.imul(zone + 1, 0x9e3779b9), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Payment memory over typed arrays: the set of recently seen payment keys (session key, kind) for
 * de-duplication, and the open paid sessions in start order, where a session key is the exact number
 * SessionKeys gives a (zone, event_session_id) pair. Both are open-addressing hash tables (linear
 * probing, backward-shift deletion) beside a ring that keeps insertion order, so the oldest entry is found
 * in O(1) and nothing is allocated per event. They start small and double up to their limits.
 */

/** Tag of a payment key: which payment event kind it stands for. */
export const TAG_START = 1;
/** Tag of a payment_end key. */
export const TAG_END = 2;
const INITIAL = 1024;
const EMPTY = -1;

function hashOf(seq: number, tag: number, bits: number): number {
  return Math.imul(seq ^ Math.imul(tag, 0x9e3779b9), 0x85ebca6b) >>> (32 - bits);
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

  /** Deletes the table slot pointing at ring index `at` (backward-shift deletion). */
  private remove(at: number): void {
    const mask = this.table.length - 1;
    let i = hashOf(this.ringSeq[at]!, this.ringTag[at]!, this.bits);
    while (this.table[i] !== at) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; this.table[j] !== EMPTY; j = (j + 1) & mask) {
      const other = this.table[j]!;
      const home = hashOf(this.ringSeq[other]!, this.ringTag[other]!, this.bits);
      // Move j back to i unless its home lies cyclically in (i, j].
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) {
        this.table[i] = other;
        i = j;
      }
    }
    this.table[i] = EMPTY;
  }

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
    const mask = this.table.length - 1;
    let i = hashOf(this.rSeq[at]!, 0, this.bits);
    while (this.table[i] !== at) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; this.table[j] !== EMPTY; j = (j + 1) & mask) {
      const other = this.table[j]!;
      const home = hashOf(this.rSeq[other]!, 0, this.bits);
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) {
        this.table[i] = other;
        i = j;
      }
    }
    this.table[i] = EMPTY;
    this.rAlive[at] = 0;
    this.alive--;
  }

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
 * of zone and session string, decides). A pair is held while a payment key, an open session or a pending
 * payment event refers to it (reference counts), so the table is bounded by paymentKeysMax + sessionsMax +
 * the pending buffer. One Map entry and one short string per pair, none per repeated event.
 */
export class SessionKeys {
  // Per zone (a catalogue index), the key of each session id: no string is built per event to look a pair up.
  private readonly byZone: (Map<string, number> | undefined)[] = [];
  private held = 0;
  private zones: number[] = [];
  private names: string[] = [];
  private refs: number[] = [];
  private readonly free: number[] = [];

  /** Pairs held. */
  get size(): number {
    return this.held;
  }

  /** The key of (zone, session), created with no references when new. */
  key(zone: number, session: string): number {
    let names = this.byZone[zone];
    if (names === undefined) {
      names = new Map();
      this.byZone[zone] = names;
    }
    let k = names.get(session);
    if (k === undefined) {
      k = this.free.pop() ?? this.names.length;
      names.set(session, k);
      this.held++;
      this.zones[k] = zone;
      this.names[k] = session;
      this.refs[k] = 0;
    }
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

  /** Session id of key k. */
  session(k: number): string {
    return this.names[k]!;
  }

  /**
   * The keys in use in canonical order (zone, then session id by UTF-16 code units) and each key's canonical
   * number (its index in that order), for checkpoints.
   */
  canonical(): { keys: number[]; index: Map<number, number> } {
    const keys: number[] = [];
    for (const names of this.byZone) if (names !== undefined) for (const k of names.values()) keys.push(k);
    keys.sort(
      (a, b) =>
        this.zones[a]! - this.zones[b]! ||
        (this.names[a]! < this.names[b]! ? -1 : this.names[a]! > this.names[b]! ? 1 : 0),
    );
    return { keys, index: new Map(keys.map((k, i) => [k, i])) };
  }

  private forget(k: number): void {
    this.byZone[this.zones[k]!]!.delete(this.names[k]!);
    this.held--;
    this.names[k] = "";
    this.free.push(k);
  }
}

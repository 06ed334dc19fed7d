/**
 * Catalogue ids looked up by their UTF-8 bytes: an open-addressing hash table built once per city, so the
 * JSON Lines reader resolves `curb_zone_id`, `curb_space_id` and `data_source_device_id` straight from its
 * input bytes without making a string. The hash (idHash) mixes the id's length and three 32-bit words of it;
 * equality of the bytes decides.
 */
import type { City } from "../catalog/city.js";
import { NONE } from "../catalog/city.js";

/** FNV-1a offset basis: the hash of no bytes. */
export const FNV_BASIS = 0x811c9dc5;
/** FNV-1a prime. */
export const FNV_PRIME = 0x01000193;

/**
 * The catalogue's `fnv1a(text)` of an ASCII string from the running hash of its bytes (fnv1a ends with a
 * separator byte 0xff; for ASCII, UTF-16 code units and bytes are the same).
 */
export function fnvFinish(h: number): number {
  return Math.imul((h ^ 0xff) >>> 0, FNV_PRIME) >>> 0;
}

/**
 * The table's hash of the id `buf[s, e)` (`dv` views `buf`): a mix of its length and three of its 32-bit words
 * (first, middle, last), so it costs the same for any length; ids shorter than 4 bytes hash byte by byte.
 * Collisions only cost a byte comparison.
 */
export function idHash(buf: Uint8Array, dv: DataView, s: number, e: number): number {
  const n = e - s;
  if (n < 4) {
    let h = FNV_BASIS ^ n;
    for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i]!, FNV_PRIME);
    return h >>> 0;
  }
  let h = mix(dv.getInt32(s, true) ^ n);
  h = mix(h ^ dv.getInt32(s + ((n - 4) >> 1), true));
  return mix(h ^ dv.getInt32(e - 4, true)) >>> 0;
}

/** MurmurHash3's 32-bit finaliser: every input bit moves every output bit. */
function mix(x: number): number {
  let h = x ^ (x >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** One set of ids (zones, bays or devices) and their dense indices. */
export class IdTable {
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly hashes: Uint32Array;
  private readonly starts: Uint32Array;
  private readonly lengths: Uint32Array;
  private readonly values: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly dv: DataView;
  /** Entry of each index (-1: not in the table). */
  private readonly entryOf: Int32Array;

  /**
   * Indexes the ASCII ids of `ids` (id k has index `indexOf(k)`); other ids are left out, because the reader
   * resolves only ASCII strings from bytes (anything else goes through JSON.parse and the catalogue's Map).
   */
  constructor(count: number, idOf: (k: number) => string) {
    const kept: number[] = [];
    let size = 0;
    for (let k = 0; k < count; k++) {
      const id = idOf(k);
      if (isAscii(id)) {
        kept.push(k);
        size += id.length;
      }
    }
    let cap = 16;
    while (cap < kept.length * 2) cap *= 2;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    this.hashes = new Uint32Array(kept.length);
    this.starts = new Uint32Array(kept.length);
    this.lengths = new Uint32Array(kept.length);
    this.values = new Int32Array(kept.length);
    this.entryOf = new Int32Array(count).fill(-1);
    this.bytes = new Uint8Array(size);
    const dv = new DataView(this.bytes.buffer);
    this.dv = dv;
    let at = 0;
    for (let e = 0; e < kept.length; e++) {
      const k = kept[e]!;
      const id = idOf(k);
      for (let i = 0; i < id.length; i++) this.bytes[at + i] = id.charCodeAt(i);
      const h = idHash(this.bytes, dv, at, at + id.length);
      this.hashes[e] = h;
      this.starts[e] = at;
      this.lengths[e] = id.length;
      this.values[e] = k;
      this.entryOf[k] = e;
      at += id.length;
      let s = h & this.mask;
      while (this.slots[s] !== 0) s = (s + 1) & this.mask;
      this.slots[s] = e + 1;
    }
  }

  /** Bytes `layOut` writes. */
  get laidOutBytes(): number {
    const columns = (this.slots.length + this.hashes.length * 4 + this.entryOf.length) * 4;
    return 32 + ((columns + 7) & ~7) + ((this.bytes.length + 7) & ~7);
  }

  /**
   * Writes the table into `memory` at `at` (a multiple of 8) for a wasm kernel (wasm/jsonl.ts `find`): a header
   * `[mask, slots, hashes, starts, lengths, values, entryOf]` (i32, absolute offsets), the columns, then the id
   * bytes (starts point into them). Returns the offset after it.
   */
  layOut(memory: Uint8Array, at: number): number {
    const head = new Int32Array(memory.buffer, memory.byteOffset + at, 7);
    let p = at + 32;
    const column = (values: Int32Array | Uint32Array): number => {
      const start = p;
      new Int32Array(memory.buffer, memory.byteOffset + p, values.length).set(values);
      p += values.length * 4;
      return start;
    };
    const n = this.hashes.length;
    const bytesAt = (p + (this.slots.length + n * 4 + this.entryOf.length) * 4 + 7) & ~7;
    head[0] = this.mask;
    head[1] = column(this.slots);
    head[2] = column(this.hashes);
    head[3] = column(this.starts.map((s) => s + bytesAt));
    head[4] = column(this.lengths);
    head[5] = column(this.values);
    head[6] = column(this.entryOf);
    memory.set(this.bytes, bytesAt);
    return (bytesAt + this.bytes.length + 7) & ~7;
  }

  /** Index of the id whose bytes are `buf[start, end)` with idHash `h` (`dv` views `buf`), or NONE. */
  find(buf: Uint8Array, dv: DataView, start: number, end: number, h: number): number {
    const len = end - start;
    let s = h & this.mask;
    for (;;) {
      const e1 = this.slots[s]!;
      if (e1 === 0) return NONE;
      const e = e1 - 1;
      if (this.hashes[e] === h && this.lengths[e] === len && this.same(buf, dv, start, len, this.starts[e]!))
        return this.values[e]!;
      s = (s + 1) & this.mask;
    }
  }

  /** Whether `buf[start, end)` (`dv` views it) is the id of index `value`. */
  is(buf: Uint8Array, dv: DataView, start: number, end: number, value: number): boolean {
    const e = value >= 0 && value < this.entryOf.length ? this.entryOf[value]! : -1;
    return (
      e >= 0 && this.lengths[e] === end - start && this.same(buf, dv, start, end - start, this.starts[e]!)
    );
  }

  /**
   * Whether `buf[start, start + len)` holds the table's bytes at `at`: compared as 8-byte words read as float64
   * (the last overlapping the one before) — equal floats are equal bytes unless one is NaN or both are zeros,
   * and ASCII bytes are never a NaN; an all-zero word is compared again as integers — as two 32-bit words under
   * 8 bytes, byte by byte under 4.
   */
  private same(buf: Uint8Array, dv: DataView, start: number, len: number, at: number): boolean {
    const t = this.dv;
    if (len >= 8) {
      for (let o = 0; ; o += 8) {
        if (o > len - 8) o = len - 8;
        const a = dv.getFloat64(start + o, true);
        if (a !== t.getFloat64(at + o, true)) return false;
        if (a === 0 && dv.getInt32(start + o + 4, true) !== t.getInt32(at + o + 4, true)) return false;
        if (o === len - 8) return true;
      }
    }
    if (len >= 4)
      return (
        dv.getInt32(start, true) === t.getInt32(at, true) &&
        dv.getInt32(start + len - 4, true) === t.getInt32(at + len - 4, true)
      );
    for (let i = 0; i < len; i++) if (this.bytes[at + i] !== buf[start + i]) return false;
    return true;
  }
}

/** A city's three id tables. */
export interface CityIds {
  readonly zones: IdTable;
  readonly bays: IdTable;
  readonly devices: IdTable;
}

const cache = new WeakMap<City, CityIds>();

/** The id tables of `city`, built on first use and kept as long as the city is. */
export function cityIds(city: City): CityIds {
  let ids = cache.get(city);
  if (ids === undefined) {
    ids = {
      zones: new IdTable(city.zoneCount, (k) => city.zones[k]!.id),
      bays: new IdTable(city.bayCount, (k) => city.bayId(k)),
      devices: new IdTable(city.deviceCount, (k) => city.deviceId(k)),
    };
    cache.set(city, ids);
  }
  return ids;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

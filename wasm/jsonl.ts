/**
 * The JSON Lines reader's wasm path: reads the complete CDS lines of a window of input (copied into the memory)
 * straight into the rows of the open batch — scan, the event's rules, id resolution through the city's id tables
 * held in the same memory, seq / value / flags, event id and annotation bytes into the batch's string arena —, as
 * the reader's JavaScript fast path (src/wire/jsonl-parse.ts, the reference) reads them. It stops and hands a line
 * to JavaScript whenever that line is not one it reads token for token the same way (escapes, unicode, unknown or
 * repeated keys, spaces before a colon, other numbers), when the event's rules fail, when an id is not in the
 * tables (the reader reports it), when the event would stretch the batch's time span too far, when the arena is
 * short, or when the line is longer than the reader's bound: JavaScript reads that line, then calls again.
 *
 * Everything the kernel reads and writes is laid out by src/wire/jsonl-wasm.ts, which holds the same numbers:
 * token tables `[count: i32][(offset: i32, length: i32) × count]` (offsets absolute), each key's joint (the key
 * as it follows a value), id tables and their direct tables (filled here by `index`), the batch's columns and
 * arena, and a state block (ST_*) of pointers, bounds and the open batch's running values. The kernel loads up
 * to 32 bytes past the end of the input it is given (the window has room for it) and never reads a line from
 * bytes past that end.
 */

import { isoTime } from "./iso-time";

// The record `line` writes and `admit` reads (i32 slots of the 128 bytes at ST_RECORD; the kernel's own).
const REC_SEEN = 3;
const REC_KIND = 4;
const REC_VEHICLE = 5;
const REC_OCCUPIED = 6;
const REC_SEQ = 7;
const REC_COUNT = 8;
const REC_COST = 9;
/** Value ranges: [start, end) per key index (id 10, zone 12, space 14, device 16, session 18). */
const REC_ID = 10;
const REC_ZONE = 12;
const REC_SPACE = 14;
const REC_DEVICE = 16;
const REC_SESSION = 18;
/** f64 slot (i32 slot 26). */
const REC_TIME = 26;

// Key indices (EVENT_KEYS order in src/wire/jsonl.ts); a key's bit in `seen` is 1 << index.
const K_ID = 0;
const K_TYPE = 1;
const K_TIME = 2;
const K_ZONE = 3;
const K_SPACE = 4;
const K_DEVICE = 5;
const K_VEHICLE = 6;
const K_SEQ = 7;
const K_OCCUPIED = 8;
const K_COUNT = 9;
const K_SESSION = 10;

/** Keys with a string value (id, zone, space, device, session), as bits; and the record slot of each, 5 bits a key. */
const STRING_KEYS: u32 = (1 << K_ID) | (1 << K_ZONE) | (1 << K_SPACE) | (1 << K_DEVICE) | (1 << K_SESSION);
/** Keys whose value is a string (the string keys, event_type, vehicle_type), as bits. */
const QUOTED_KEYS: u32 = STRING_KEYS | (1 << K_TYPE) | (1 << K_VEHICLE);
/** Bytes of the joints' patterns (32 a key, 12 keys); their lengths follow (src/wire/jsonl-wasm.ts lays them out). */
const JOINTS_BYTES: usize = 12 * 32;
const STRING_SLOTS: u64 =
  (u64(REC_ID) << (K_ID * 5)) |
  (u64(REC_ZONE) << (K_ZONE * 5)) |
  (u64(REC_SPACE) << (K_SPACE * 5)) |
  (u64(REC_DEVICE) << (K_DEVICE * 5)) |
  (u64(REC_SESSION) << (K_SESSION * 5));

const QUOTE: u32 = 0x22;
const COMMA: u32 = 0x2c;
const BACKSLASH: u32 = 0x5c;
const OPEN: u32 = 0x7b;
const CLOSE: u32 = 0x7d;
const SPACE: u32 = 0x20;
const TAB: u32 = 0x09;
const CR: u32 = 0x0d;
const NL: u32 = 0x0a;
const D0: u32 = 0x30;

/** Lanes 0 to 15 (lane l holds l): `i8x16.gt_s(splat(n), LANES)` keeps the first n lanes. */
const LANES: v128 = i8x16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

/** The direct tables' multipliers (odd 64-bit constants of xxHash64 and of Fibonacci hashing), as two halves. */
const MUL_HI: u64 = (u64(0xc2b2ae3d) << 32) | u64(0x27d4eb4f);
const MUL_LO: u64 = (u64(0x9e3779b9) << 32) | u64(0x7f4a7c15);

const FNV_BASIS: u32 = 0x811c9dc5;
const FNV_PRIME: u32 = 0x01000193;
/** EVENT_TIME_MS_MAX in src/wire/events.ts: 8.64e15 - BATCH_SPAN_MS_MAX (2^32 - 1 ms). */
const TIME_MAX: f64 = 8.64e15 - 4294967295.0;

/** The byte `b` in each of a 64-bit word's eight lanes (folded to a constant at -O3). */
function lanes(b: u32): u64 {
  const w = u64(b * 0x01010101);
  return w | (w << 32);
}

function byte(p: usize): u32 {
  return u32(load<u8>(p));
}

/** The index of the first newline in [p, end), or end. */
function newline(p: usize, end: usize): usize {
  while (p + 8 <= end) {
    const x = load<u64>(p) ^ lanes(0x0a);
    const z = (x - lanes(0x01)) & ~x & lanes(0x80);
    if (z !== 0) return p + usize(ctz<u64>(z) >> 3);
    p += 8;
  }
  while (p < end && byte(p) !== NL) p++;
  return p;
}

/** The token of `table` other than `guess` at s (within `end`), or -1. */
function tokenSearch(table: usize, guess: i32, s: usize, end: usize): i32 {
  const count = load<i32>(table);
  for (let t = 0; t < count; t++) if (t !== guess && Inlined.tokenAt(table, t, s, end) >= 0) return t;
  return -1;
}

/** Running FNV-1a of [s, e), as `fnv` in src/wire/jsonl-parse.ts. */
function fnv(s: usize, e: usize): u32 {
  let h = FNV_BASIS;
  for (let i = s; i < e; i++) h = (h ^ byte(i)) * FNV_PRIME;
  return h;
}

/** 10^c for c in 1..8. */
function pow10(c: usize): u64 {
  let m: u64 = 10;
  for (let k: usize = 1; k < c; k++) m *= 10;
  return m;
}

/** The value of eight decimal digits (0 to 9 each) in the lanes of d, the first in the lowest (D. Lemire's SWAR). */
function eightDigits(d: u64): u64 {
  const pairs = d * 10 + (d >> 8);
  return (
    (((pairs & 0x000000ff000000ff) * (100 + (1000000 << 32)) +
      ((pairs >> 16) & 0x000000ff000000ff) * (1 + (10000 << 32))) >>
      32) &
    0xffffffff
  );
}

/**
 * The hot helpers, inlined into their callers: AssemblyScript's `@inline`, on static methods (where TypeScript
 * tooling accepts a decorator).
 */
class Inlined {
  /**
   * A plain string from s (past its opening quote): 1 to 256 bytes of printable ASCII without backslash (as
   * `plain` in the reference), looked at 16 bytes at a time; the index after its closing quote, or 0.
   */
  @inline static plain(s: usize, end: usize): usize {
    const quote = i8x16.splat(i8(QUOTE));
    const backslash = i8x16.splat(i8(BACKSLASH));
    const space = i8x16.splat(i8(SPACE));
    // A byte outside 0x20..0x7e is above 0x5e once 0x20 is subtracted (unsigned).
    const printable = i8x16.splat(0x5e);
    let j = s;
    for (;;) {
      const v = v128.load(j);
      const m = i8x16.bitmask(
        v128.or(
          v128.or(i8x16.eq(v, quote), i8x16.eq(v, backslash)),
          i8x16.gt_u(i8x16.sub(v, space), printable),
        ),
      );
      if (m !== 0) {
        j += usize(ctz<u32>(m));
        break;
      }
      j += 16;
      if (j >= end || j - s > 256) return 0;
    }
    if (j >= end || byte(j) !== QUOTE) return 0;
    const len = j - s;
    return len === 0 || len > 256 ? 0 : j + 1;
  }

  /**
   * Whether the joint of key k (`,"key":`, and the opening quote of a key in QUOTED_KEYS: 32 bytes a key, zero
   * padded, then a byte of length a key) is at i, within `end`: its length, or 0. Two 16-byte compares at most,
   * the lanes past its length masked off.
   */
  @inline static joint(joints: usize, k: i32, i: usize, end: usize): usize {
    const at = joints + usize(k) * 32;
    const n = usize(load<u8>(joints + JOINTS_BYTES + usize(k)));
    if (i + n > end) return 0;
    const d0 = v128.and(v128.xor(v128.load(i), v128.load(at)), i8x16.gt_s(i8x16.splat(i8(n)), LANES));
    if (v128.any_true(d0)) return 0;
    if (n > 16) {
      const d1 = v128.and(
        v128.xor(v128.load(i + 16), v128.load(at + 16)),
        i8x16.gt_s(i8x16.splat(i8(n - 16)), LANES),
      );
      if (v128.any_true(d1)) return 0;
    }
    return n;
  }

  /**
   * The token of `table` that is the plain string [s, e - 1) with its closing quote (e: after the quote), `guess`
   * tried first; -1 when none is. Only tokens of its length are compared.
   */
  @inline static tokenIs(table: usize, guess: i32, s: usize, e: usize): i32 {
    const n = i32(e - s);
    if (load<i32>(table + 4 + usize(guess) * 8, 4) === n && Inlined.tokenAt(table, guess, s, e) >= 0)
      return guess;
    const count = load<i32>(table);
    for (let t = 0; t < count; t++)
      if (load<i32>(table + 4 + usize(t) * 8, 4) === n && Inlined.tokenAt(table, t, s, e) >= 0) return t;
    return -1;
  }

  /**
   * Whether token `t` of `table` is at s, within `end`: its length, or -1. A token holds what must follow it (a key's
   * closing quote and colon, a value's closing quote), so a match is exact. Tokens are 2 to 24 bytes (the JavaScript
   * side checks): compared as the 8-byte words that cover them (the last overlapping the one before), as two 4-byte
   * words under 8 bytes, as first and last byte under 4.
   */
  @inline static tokenAt(table: usize, t: i32, s: usize, end: usize): i32 {
    const at = table + 4 + usize(t) * 8;
    const n = usize(load<i32>(at, 4));
    const off = usize(load<i32>(at));
    if (s + n > end) return -1;
    let eq: bool;
    if (n >= 8)
      eq =
        load<u64>(off) === load<u64>(s) &&
        (n <= 16 || load<u64>(off + 8) === load<u64>(s + 8)) &&
        load<u64>(off + n - 8) === load<u64>(s + n - 8);
    else if (n >= 4) eq = load<u32>(off) === load<u32>(s) && load<u32>(off + n - 4) === load<u32>(s + n - 4);
    else eq = load<u8>(off) === load<u8>(s) && load<u16>(off + n - 2) === load<u16>(s + n - 2);
    return eq ? i32(n) : -1;
  }

  /** The token of `table` at s (within `end`), `guess` tried first; -1 when none is there. */
  @inline static tokenFind(table: usize, guess: i32, s: usize, end: usize): i32 {
    return Inlined.tokenAt(table, guess, s, end) >= 0 ? guess : tokenSearch(table, guess, s, end);
  }

  /** idHash of src/wire/id-table.ts over [s, e). */
  @inline static idHash(s: usize, e: usize): u32 {
    const n = u32(e - s);
    if (n < 4) {
      let h = FNV_BASIS ^ n;
      for (let i = s; i < e; i++) h = (h ^ byte(i)) * FNV_PRIME;
      return h;
    }
    let h = Inlined.mix(load<u32>(s) ^ n);
    h = Inlined.mix(h ^ load<u32>(s + usize((n - 4) >> 1)));
    return Inlined.mix(h ^ load<u32>(e - 4));
  }

  /** MurmurHash3's finaliser, as `mix` in src/wire/id-table.ts. */
  @inline static mix(x: u32): u32 {
    let h = x ^ (x >>> 16);
    h = h * 0x85ebca6b;
    h ^= h >>> 13;
    h = h * 0xc2b2ae35;
    return h ^ (h >>> 16);
  }

  /** Whether the n bytes at a and b are equal (eight at a time). */
  @inline static same(a: usize, b: usize, n: usize): bool {
    let i: usize = 0;
    while (i + 8 <= n) {
      if (load<u64>(a + i) !== load<u64>(b + i)) return false;
      i += 8;
    }
    while (i < n) {
      if (load<u8>(a + i) !== load<u8>(b + i)) return false;
      i++;
    }
    return true;
  }

  /** Length of token `t` of `table`. */
  @inline static tokenLength(table: usize, t: i32): usize {
    return usize(load<i32>(table + 4 + usize(t) * 8, 4));
  }

  /** The index of the id [s, e) among the ids `which` (ID_*), or NONE: its direct table, or `find` over 16 bytes. */
  @inline static resolveId(state: usize, which: i32, s: usize, e: usize): i32 {
    const n = e - s;
    if (n > DIRECT_ID_MAX) return find(st(state, ST_ZONES + which), s, e);
    const direct = st(state, ST_DIRECT + which * 2);
    const mask = load<u32>(state + usize(ST_DIRECT + which * 2 + 1) * 4);
    const key = Inlined.directKey(s, n);
    let slot = Inlined.directHash(key) & mask;
    let at = direct + usize(slot) * 32;
    let len = usize(load<u32>(at, 16));
    while (len !== 0) {
      if (len === n && !v128.any_true(v128.xor(v128.load(at), key))) return load<i32>(at, 20);
      slot = (slot + 1) & mask;
      at = direct + usize(slot) * 32;
      len = usize(load<u32>(at, 16));
    }
    return NONE;
  }

  /** The 16 bytes of an id of n <= 16 bytes at s, zero past its end: a direct table's key (see `index`). */
  @inline static directKey(s: usize, n: usize): v128 {
    return v128.and(v128.load(s), i8x16.gt_s(i8x16.splat(i8(n)), LANES));
  }

  /**
   * A direct table's hash of a key: its two 64-bit halves multiplied apart and combined, then the product's top
   * half folded onto its low bits (a product's top bits depend on every byte; its low ones only on the first few).
   */
  @inline static directHash(key: v128): u32 {
    const lo = u64(i64x2.extract_lane(key, 0));
    const hi = u64(i64x2.extract_lane(key, 1));
    const h = u32(((lo ^ (hi * MUL_HI)) * MUL_LO) >> 32);
    return h ^ (h >>> 16);
  }

  @inline static ws(p: usize, end: usize): usize {
    while (p < end) {
      const c = byte(p);
      if (c !== SPACE && c !== TAB) break;
      p++;
    }
    return p;
  }
}

/**
 * Reads the line at p into the record at `rec`: the index of its newline when it vouches for it (the line
 * is then one the reference `fast` reads the same way: a key's closing quote is followed by its colon, no
 * byte after the closing brace but spaces, tabs and \r), 0 otherwise. `end`: the end of the input (a line
 * breaks at its newline, which no token, number or blank holds; the window has room for 32-byte loads past it).
 * `follow[k]`: the key that followed key k on the line before (follow[12]: the first key), the guess tried first;
 * `follow[13]`, `follow[14]`: the last event type and vehicle name. `joints`: each key as it follows a value
 * (see `Inlined.joint`), so the usual next key, its separators and a string value's opening quote are one compare.
 */
function line(
  p: usize,
  end: usize,
  rec: usize,
  keys: usize,
  types: usize,
  vehicles: usize,
  follow: usize,
  joints: usize,
): usize {
  let i = p;
  while (i < end && (byte(i) === SPACE || byte(i) === TAB || byte(i) === CR)) i++;
  if (i >= end || byte(i) !== OPEN) return 0;
  i = Inlined.ws(i + 1, end);
  if (i >= end || byte(i) !== QUOTE) return 0;
  const first = i32(load<u8>(follow + 12));
  let k = Inlined.tokenFind(keys, first, i + 1, end);
  if (k < 0) return 0;
  if (k !== first) store<u8>(follow + 12, u8(k));
  i = Inlined.ws(i + 1 + Inlined.tokenLength(keys, k), end);
  if (i >= end) return 0;
  if (((QUOTED_KEYS >> u32(k)) & 1) !== 0) {
    if (byte(i) !== QUOTE) return 0;
    i++;
  }
  let seen: u32 = 0;
  for (;;) {
    // i: the value of key k (past its opening quote for a key in QUOTED_KEYS).
    const bit: u32 = 1 << u32(k);
    if ((seen & bit) !== 0) return 0;
    seen |= bit;
    if (((QUOTED_KEYS >> u32(k)) & 1) !== 0) {
      const s = i;
      i = Inlined.plain(s, end);
      if (i === 0) return 0;
      if (((STRING_KEYS >> u32(k)) & 1) !== 0) {
        const slot = usize((STRING_SLOTS >> (u64(k) * 5)) & 31);
        store<i32>(rec + slot * 4, i32(s));
        store<i32>(rec + slot * 4 + 4, i32(i - 1));
      } else if (k === K_TYPE) {
        const t = Inlined.tokenIs(types, i32(load<u8>(follow + 13)), s, i);
        if (t < 0) return 0;
        store<u8>(follow + 13, u8(t));
        store<i32>(rec + REC_KIND * 4, t);
      } else {
        const t = Inlined.tokenIs(vehicles, i32(load<u8>(follow + 14)), s, i);
        if (t < 0) return 0;
        store<u8>(follow + 14, u8(t));
        store<i32>(rec + REC_VEHICLE * 4, t);
      }
    } else if (k === K_OCCUPIED) {
      if (i + 4 <= end && load<u32>(i) === 0x65757274) {
        store<i32>(rec + REC_OCCUPIED * 4, 1);
        i += 4;
      } else if (i + 5 <= end && load<u32>(i) === 0x736c6166 && byte(i + 4) === 0x65) {
        store<i32>(rec + REC_OCCUPIED * 4, 0);
        i += 5;
      } else return 0;
    } else if (byte(i) === QUOTE) {
      // event_time as an ISO string (the other numeric keys take integers only).
      if (k !== K_TIME) return 0;
      const s = i + 1;
      i = Inlined.plain(s, end);
      if (i === 0) return 0;
      const t = isoTime(s, i - 1);
      if (!(t >= 0)) return 0;
      store<f64>(rec + REC_TIME * 4, t);
    } else {
      // event_time (integer ms), sequence_number, vehicle_count, actual_cost: the digits of 16 bytes at once (a
      // lane above 9 after subtracting '0' is not a digit), their value as two eight-digit SWAR words.
      const x = i8x16.sub(v128.load(i), i8x16.splat(i8(D0)));
      const c = usize(ctz<u32>(u32(i8x16.bitmask(i8x16.gt_u(x, i8x16.splat(9)))) | 0x10000));
      const j = i + c;
      // A run of digits to the window's end ends no line here.
      if (j >= end) return 0;
      const digits: usize = k === K_TIME ? 16 : 10;
      if (c === 0 || c > digits || (c > 1 && byte(i) === D0)) return 0;
      if (c === 16 && byte(j) - D0 <= 9) return 0;
      const after = byte(j);
      if (after !== COMMA && after !== CLOSE && after !== SPACE && after !== TAB) return 0;
      const lo = i64x2.extract_lane(x, 0);
      let v: u64;
      if (c <= 8) v = eightDigits(u64(lo) << u64(64 - 8 * c));
      else
        v =
          eightDigits(u64(lo)) * pow10(c - 8) +
          eightDigits(u64(i64x2.extract_lane(x, 1)) << u64(64 - 8 * (c - 8)));
      if (k === K_TIME) {
        if (f64(v) > TIME_MAX) return 0;
        store<f64>(rec + REC_TIME * 4, f64(v));
      } else if (k === K_SEQ) {
        if (v > 0xffffffff) return 0;
        store<u32>(rec + REC_SEQ * 4, u32(v));
      } else {
        if (v > 0x7fffffff) return 0;
        store<i32>(rec + usize(k === K_COUNT ? REC_COUNT : REC_COST) * 4, i32(v));
      }
      i = j;
    }
    // The next key: the usual one in one compare, or the line's end, or any separators and key.
    const guess = i32(load<u8>(follow + usize(k)));
    if (i < end) {
      const c = byte(i);
      if (c === COMMA) {
        const n = Inlined.joint(joints, guess, i, end);
        if (n !== 0) {
          i += n;
          k = guess;
          if (((QUOTED_KEYS >> u32(k)) & 1) === 0) i = Inlined.ws(i, end);
          continue;
        }
      } else if (c === CLOSE && i + 1 < end && byte(i + 1) === NL) {
        store<u32>(rec + REC_SEEN * 4, seen);
        return i + 1;
      }
    }
    i = Inlined.ws(i, end);
    if (i >= end) return 0;
    const c = byte(i);
    if (c === COMMA) {
      i = Inlined.ws(i + 1, end);
      if (i >= end || byte(i) !== QUOTE) return 0;
      const next = Inlined.tokenFind(keys, guess, i + 1, end);
      if (next < 0) return 0;
      if (next !== guess) store<u8>(follow + usize(k), u8(next));
      k = next;
      i = Inlined.ws(i + 1 + Inlined.tokenLength(keys, k), end);
      if (i >= end) return 0;
      if (((QUOTED_KEYS >> u32(k)) & 1) !== 0) {
        if (byte(i) !== QUOTE) return 0;
        i++;
      }
      continue;
    }
    if (c !== CLOSE) return 0;
    i++;
    while (i < end && (byte(i) === SPACE || byte(i) === TAB || byte(i) === CR)) i++;
    if (i >= end || byte(i) !== NL) return 0;
    store<u32>(rec + REC_SEEN * 4, seen);
    return i;
  }
}

// State block (i32 slots; src/wire/jsonl-wasm.ts ST_* holds the same numbers).
const ST_KEYS = 0;
const ST_TYPES = 1;
const ST_VEHICLES = 2;
const ST_FOLLOW = 3;
const ST_VEHICLE_CODES = 4;
const ST_NOTE_KEYS = 5;
/** The id tables of zones, bays and devices (slots 6 to 8: ST_ZONES + ID_*). */
const ST_ZONES = 6;
const ST_DEVICE_BAY = 9;
const ST_DEVICE_ZONE = 10;
const ST_BAY_ZONE = 11;
const ST_BAY_VEHICLE = 12;
const ST_COL_TIME = 13;
const ST_COL_TARGET = 14;
const ST_COL_SEQ = 15;
const ST_COL_VALUE = 16;
const ST_COL_DEVICE = 17;
const ST_COL_KIND = 18;
const ST_COL_VEHICLE = 19;
const ST_COL_FLAGS = 20;
const ST_COL_ID_AT = 21;
const ST_COL_ID_LENGTH = 22;
const ST_COL_NOTE_AT = 23;
const ST_COL_NOTE_LENGTH = 24;
const ST_ARENA = 25;
const ST_ARENA_CAP = 26;
const ST_BATCH_EVENTS = 27;
const ST_MAX_LINE = 28;
const ST_KEEP_IDS = 29;
const ST_RECORD = 30;
/** In and out: rows of the open batch, valid events in it, arena bytes used, whether a row has a note. */
const ST_ROWS = 31;
const ST_COUNT = 32;
const ST_ARENA_POS = 33;
const ST_NOTES = 34;
/** Out: lines read (blank ones included), blank lines, where reading stopped, the newline of a line handed over. */
const ST_LINES = 35;
const ST_BLANK = 36;
const ST_STOP = 37;
const ST_LINE_NL = 38;
/** In and out, f64 at i32 slots 40 and 42: the open batch's lowest and highest event time. */
const ST_LO = 40;
const ST_HI = 42;
/** writeBatch: the city id's bytes and length, the catalogue hash, room for n string offsets, the end of the output. */
const ST_CITY = 44;
const ST_CITY_LENGTH = 45;
const ST_CATALOG_HASH = 46;
const ST_OFFSETS = 47;
const ST_OUT_END = 48;
/** The keys' joints (see `Inlined.joint`). */
const ST_JOINTS = 49;
/** The direct id tables (see `index`): zones, bays, devices, each its offset and mask (slots 50 to 55). */
const ST_DIRECT = 50;
/**
 * Out of writeBatch, where the batch's parts are (bytes before ST_OUT_END, as the Builder counts offsets: 0 for a
 * part not written): the events vector, the event ids vector, the annotations vector; the event ids' total and
 * longest length; f64 at i32 slots 62 and 64: the lowest and highest event time (the batch's base and top).
 */
const ST_OUT_EVENTS = 56;
const ST_OUT_IDS = 57;
const ST_OUT_NOTES = 58;
const ST_OUT_ID_BYTES = 59;
const ST_OUT_ID_MAX = 60;
const ST_OUT_BASE = 62;
const ST_OUT_TOP = 64;

/** readLines' results. */
const DONE = 0;
const FULL = 1;
const HAND_OVER = 2;

const NONE: i32 = -1;
const NO_DEVICE: u32 = 0xffffffff;
const FLAG_SEQ_IS_ID_HASH: u8 = 1;
const FLAG_TARGET_ZONE: u8 = 2;
const FLAG_SEQ_IS_SESSION_HASH: u8 = 4;
const SPAN_MAX: f64 = 4294967295.0;

// Event kinds (src/wire/kinds.ts).
const KIND_DECOMMISSIONED = 5;
const KIND_SCHEDULED_REPORT = 2;
const KIND_ENTER_AREA = 6;
const KIND_EXIT_AREA = 7;
const KIND_MANUAL_COUNT = 8;
const KIND_PAYMENT_START = 9;
const KIND_PAYMENT_END = 10;

// A key's bit in `seen`.
const F_ID: u32 = 1 << K_ID;
const F_TYPE: u32 = 1 << K_TYPE;
const F_TIME: u32 = 1 << K_TIME;
const F_ZONE: u32 = 1 << K_ZONE;
const F_SPACE: u32 = 1 << K_SPACE;
const F_DEVICE: u32 = 1 << K_DEVICE;
const F_VEHICLE: u32 = 1 << K_VEHICLE;
const F_SEQ: u32 = 1 << K_SEQ;
const F_OCCUPIED: u32 = 1 << K_OCCUPIED;
const F_COUNT: u32 = 1 << K_COUNT;
const F_SESSION: u32 = 1 << K_SESSION;
const F_COST: u32 = 1 << 11;

function st(state: usize, slot: i32): usize {
  return usize(load<i32>(state + usize(slot) * 4));
}

/**
 * The index of the id [s, e) in the id table at `table` (`IdTable` of src/wire/id-table.ts, laid out as
 * [mask, slots, hashes, starts, lengths, values, entryOf]: open addressing by idHash, entry + 1 per slot), or NONE.
 */
function find(table: usize, s: usize, e: usize): i32 {
  const h = Inlined.idHash(s, e);
  const mask = load<u32>(table);
  const slots = usize(load<i32>(table, 4));
  const hashes = usize(load<i32>(table, 8));
  const starts = usize(load<i32>(table, 12));
  const lengths = usize(load<i32>(table, 16));
  const values = usize(load<i32>(table, 20));
  const n = u32(e - s);
  let slot = h & mask;
  let e1 = load<i32>(slots + usize(slot) * 4);
  while (e1 !== 0) {
    const at = usize(e1 - 1) * 4;
    if (
      load<u32>(hashes + at) === h &&
      load<u32>(lengths + at) === n &&
      Inlined.same(usize(load<i32>(starts + at)), s, usize(n))
    )
      return load<i32>(values + at);
    slot = (slot + 1) & mask;
    e1 = load<i32>(slots + usize(slot) * 4);
  }
  return NONE;
}

/** Which id table: zones, bays, devices (ST_ZONES + it, ST_DIRECT + 2 × it). */
const ID_ZONES = 0;
const ID_BAYS = 1;
const ID_DEVICES = 2;
/** Longest id a direct table holds (one 16-byte lane). */
const DIRECT_ID_MAX: usize = 16;

/**
 * Fills the direct table at `direct` (mask + 1 slots of 32 bytes, zeroed: key 16 bytes, length u32, value i32)
 * with the ids of at most 16 bytes of the id table at `table` (see `find`), linear probing from `directHash`. An
 * id is then found with one hash of the bytes already in a register and one 16-byte compare, the longer ones
 * through `find`. Called once per table by src/wire/jsonl-wasm.ts.
 */
export function index(table: usize, direct: usize, mask: u32): void {
  const starts = usize(load<i32>(table, 12));
  const lengths = usize(load<i32>(table, 16));
  const values = usize(load<i32>(table, 20));
  // Entries: the starts column follows the hashes column, one i32 an entry.
  const n = (starts - usize(load<i32>(table, 8))) >> 2;
  for (let e: usize = 0; e < n; e++) {
    const len = usize(load<u32>(lengths + e * 4));
    if (len === 0 || len > DIRECT_ID_MAX) continue;
    const key = Inlined.directKey(usize(load<i32>(starts + e * 4)), len);
    let slot = Inlined.directHash(key) & mask;
    while (load<u32>(direct + usize(slot) * 32, 16) !== 0) slot = (slot + 1) & mask;
    const at = direct + usize(slot) * 32;
    v128.store(at, key);
    store<u32>(at, u32(len), 16);
    store<i32>(at, load<i32>(values + e * 4), 20);
  }
}

function fnvFinish(h: u32): u32 {
  return (h ^ 0xff) * FNV_PRIME;
}

/** Appends [s, e) at p (8 bytes at a time, the last word overlapping the one before): the index after it. */
function put(p: usize, s: usize, e: usize): usize {
  const n = e - s;
  if (n >= 8) {
    let o: usize = 0;
    while (o + 8 < n) {
      store<u64>(p + o, load<u64>(s + o));
      o += 8;
    }
    store<u64>(p + n - 8, load<u64>(e - 8));
  } else for (let i: usize = 0; i < n; i++) store<u8>(p + i, load<u8>(s + i));
  return p + n;
}

/** Appends `,"key":"value"` (no comma right after the opening brace) at p: the index after it. */
function note(p: usize, keys: usize, k: i32, s: usize, e: usize): usize {
  if (load<u8>(p - 1) !== u8(OPEN)) {
    store<u8>(p, u8(COMMA));
    p++;
  }
  const at = keys + 4 + usize(k) * 8;
  const off = usize(load<i32>(at));
  p = put(p, off, off + usize(load<i32>(at, 4)));
  p = put(p, s, e);
  store<u8>(p, u8(QUOTE));
  return p + 1;
}

/** Bytes of note key k. */
function noteKey(keys: usize, k: i32): usize {
  return usize(load<i32>(keys + 4 + usize(k) * 8, 4));
}

/**
 * The event of the line just read into the record `rec`, resolved and written as the next row (the reader's
 * `accept` and `resolveFast`): 0 when written, HAND_OVER when JavaScript must read the line (nothing written).
 */
function admit(state: usize, rec: usize): i32 {
  const seen = load<u32>(rec + REC_SEEN * 4);
  if ((seen & (F_ID | F_TYPE | F_TIME)) !== (F_ID | F_TYPE | F_TIME)) return HAND_OVER;
  const kind = load<i32>(rec + REC_KIND * 4);
  const payment = kind === KIND_PAYMENT_START || kind === KIND_PAYMENT_END;
  if (kind === KIND_SCHEDULED_REPORT && (seen & F_OCCUPIED) === 0) return HAND_OVER;
  if (kind === KIND_MANUAL_COUNT && (seen & (F_COUNT | F_ZONE)) !== (F_COUNT | F_ZONE)) return HAND_OVER;
  if (payment && ((seen & F_SESSION) === 0 || (seen & F_SEQ) !== 0)) return HAND_OVER;
  if (kind === KIND_PAYMENT_END && (seen & F_COST) === 0) return HAND_OVER;
  const t = load<f64>(rec + REC_TIME * 4);
  const count = load<i32>(state + ST_COUNT * 4);
  let lo = load<f64>(state + ST_LO * 4);
  let hi = load<f64>(state + ST_HI * 4);
  if (t < lo) lo = t;
  if (t > hi) hi = t;
  // A new batch first: JavaScript closes this one (the line is read again there).
  if (count > 0 && hi - lo > SPAN_MAX) return HAND_OVER;

  const hasZone = (seen & F_ZONE) !== 0;
  const hasSpace = (seen & F_SPACE) !== 0;
  const hasDevice = (seen & F_DEVICE) !== 0;
  const zoneS = usize(load<i32>(rec + REC_ZONE * 4));
  const zoneE = usize(load<i32>(rec + REC_ZONE * 4 + 4));
  const spaceS = usize(load<i32>(rec + REC_SPACE * 4));
  const spaceE = usize(load<i32>(rec + REC_SPACE * 4 + 4));
  const devS = usize(load<i32>(rec + REC_DEVICE * 4));
  const devE = usize(load<i32>(rec + REC_DEVICE * 4 + 4));
  let vehicle: u8 = 0;
  if ((seen & F_VEHICLE) !== 0)
    vehicle = load<u8>(st(state, ST_VEHICLE_CODES) + usize(load<i32>(rec + REC_VEHICLE * 4)));
  let flags: u8 = 0;
  let device: u32 = NO_DEVICE;
  let target: u32;
  if (hasDevice) {
    const d = Inlined.resolveId(state, ID_DEVICES, devS, devE);
    if (d !== NONE) device = u32(d);
  }
  const deviceBay = st(state, ST_DEVICE_BAY);
  const bayDevice = device !== NO_DEVICE && load<i32>(deviceBay + usize(device) * 4) !== NONE;
  if (
    kind <= KIND_DECOMMISSIONED &&
    (hasSpace || bayDevice || (device === NO_DEVICE && hasDevice && !hasZone))
  ) {
    let bay = NONE;
    if (hasSpace) {
      bay = Inlined.resolveId(state, ID_BAYS, spaceS, spaceE);
    } else if (device !== NO_DEVICE) bay = load<i32>(deviceBay + usize(device) * 4);
    // An unknown bay is reported by JavaScript.
    if (bay === NONE) return HAND_OVER;
    target = u32(bay);
    if (device === NO_DEVICE) device = u32(bay);
    if (vehicle === 0) vehicle = load<u8>(st(state, ST_BAY_VEHICLE) + usize(bay));
  } else {
    let zone = NONE;
    if (hasZone) zone = Inlined.resolveId(state, ID_ZONES, zoneS, zoneE);
    else if (hasSpace) {
      const bay = Inlined.resolveId(state, ID_BAYS, spaceS, spaceE);
      if (bay !== NONE) zone = load<i32>(st(state, ST_BAY_ZONE) + usize(bay) * 4);
    } else if (device !== NO_DEVICE) zone = load<i32>(st(state, ST_DEVICE_ZONE) + usize(device) * 4);
    // An unknown zone is reported by JavaScript.
    if (zone === NONE) return HAND_OVER;
    target = u32(zone);
    flags |= FLAG_TARGET_ZONE;
  }
  const idS = usize(load<i32>(rec + REC_ID * 4));
  const idE = usize(load<i32>(rec + REC_ID * 4 + 4));
  const sessS = usize(load<i32>(rec + REC_SESSION * 4));
  const sessE = usize(load<i32>(rec + REC_SESSION * 4 + 4));
  let seq: u32;
  if (payment) {
    seq = fnvFinish(fnv(sessS, sessE));
    flags |= FLAG_SEQ_IS_SESSION_HASH;
  } else if ((seen & F_SEQ) !== 0) {
    seq = load<u32>(rec + REC_SEQ * 4);
  } else {
    seq = fnvFinish(fnv(idS, idE));
    flags |= FLAG_SEQ_IS_ID_HASH;
  }
  let value: i32 = 0;
  if (kind === KIND_SCHEDULED_REPORT) value = load<i32>(rec + REC_OCCUPIED * 4);
  else if (kind === KIND_MANUAL_COUNT) value = load<i32>(rec + REC_COUNT * 4);
  else if (kind === KIND_ENTER_AREA || kind === KIND_EXIT_AREA)
    value = (seen & F_COUNT) !== 0 ? load<i32>(rec + REC_COUNT * 4) : 1;
  else if (kind === KIND_PAYMENT_END) value = load<i32>(rec + REC_COST * 4);

  // The strings: the event id, and the fields the struct cannot hold as encodeEvents writes them.
  const keepIds = load<i32>(state + ST_KEEP_IDS * 4) !== 0;
  const noteSession = (seen & F_SESSION) !== 0;
  const noteDevice = hasDevice && device === NO_DEVICE;
  const noteSpace = hasSpace && (flags & FLAG_TARGET_ZONE) !== 0;
  const anyNote = noteSession || noteDevice || noteSpace;
  const noteKeys = st(state, ST_NOTE_KEYS);
  let need: usize = keepIds ? idE - idS : 0;
  if (anyNote) {
    need += 2;
    if (noteSession) need += noteKey(noteKeys, 0) + 2 + sessE - sessS;
    if (noteDevice) need += noteKey(noteKeys, 1) + 2 + devE - devS;
    if (noteSpace) need += noteKey(noteKeys, 2) + 2 + spaceE - spaceS;
  }
  const arena = st(state, ST_ARENA);
  let pos = st(state, ST_ARENA_POS);
  // A short arena: JavaScript reads the line (and moves the batch's strings to a larger one).
  if (pos + need > st(state, ST_ARENA_CAP)) return HAND_OVER;

  const k = usize(load<i32>(state + ST_ROWS * 4));
  store<f64>(st(state, ST_COL_TIME) + k * 8, t);
  store<u32>(st(state, ST_COL_TARGET) + k * 4, target);
  store<u32>(st(state, ST_COL_SEQ) + k * 4, seq);
  store<i32>(st(state, ST_COL_VALUE) + k * 4, value);
  store<u32>(st(state, ST_COL_DEVICE) + k * 4, device);
  store<u8>(st(state, ST_COL_KIND) + k, u8(kind));
  store<u8>(st(state, ST_COL_VEHICLE) + k, vehicle);
  store<u8>(st(state, ST_COL_FLAGS) + k, flags);
  if (keepIds) {
    store<i32>(st(state, ST_COL_ID_AT) + k * 4, i32(pos));
    store<i32>(st(state, ST_COL_ID_LENGTH) + k * 4, i32(idE - idS));
    put(arena + pos, idS, idE);
    pos += idE - idS;
  }
  if (anyNote) {
    const at = pos;
    let p = arena + pos;
    store<u8>(p, u8(OPEN));
    p++;
    if (noteSession) p = note(p, noteKeys, 0, sessS, sessE);
    if (noteDevice) p = note(p, noteKeys, 1, devS, devE);
    if (noteSpace) p = note(p, noteKeys, 2, spaceS, spaceE);
    store<u8>(p, u8(CLOSE));
    p++;
    pos = p - arena;
    store<i32>(st(state, ST_COL_NOTE_AT) + k * 4, i32(at));
    store<i32>(st(state, ST_COL_NOTE_LENGTH) + k * 4, i32(pos - at));
    store<i32>(state + ST_NOTES * 4, 1);
  } else store<i32>(st(state, ST_COL_NOTE_LENGTH) + k * 4, 0);
  store<i32>(state + ST_ARENA_POS * 4, i32(pos));
  store<i32>(state + ST_ROWS * 4, i32(k + 1));
  store<i32>(state + ST_COUNT * 4, count + 1);
  store<f64>(state + ST_LO * 4, lo);
  store<f64>(state + ST_HI * 4, hi);
  return 0;
}

/**
 * Reads the complete lines of `input[0, length)` into the open batch (see the file's comment), from its start
 * until: the window's complete lines are read (DONE; ST_STOP: the start of the unfinished line after them), the
 * batch is full (FULL; ST_STOP: after the line that filled it), or a line is JavaScript's (HAND_OVER; ST_STOP: its
 * start, ST_LINE_NL: its newline). ST_LINES and ST_BLANK count the lines read in this call.
 */
export function readLines(input: usize, length: usize, state: usize): i32 {
  const end = input + length;
  const rec = st(state, ST_RECORD);
  const keys = st(state, ST_KEYS);
  const types = st(state, ST_TYPES);
  const vehicles = st(state, ST_VEHICLES);
  const follow = st(state, ST_FOLLOW);
  const joints = st(state, ST_JOINTS);
  const maxLine = st(state, ST_MAX_LINE);
  const batchEvents = load<i32>(state + ST_BATCH_EVENTS * 4);
  let p = input;
  let lines = 0;
  let blank = 0;
  let result = DONE;
  while (p < end) {
    // A blank line (spaces, tabs and \r only).
    let i = p;
    while (i < end && (byte(i) === SPACE || byte(i) === TAB || byte(i) === CR)) i++;
    if (i < end && byte(i) === NL && i - p <= maxLine) {
      lines++;
      blank++;
      p = i + 1;
      continue;
    }
    const nl = line(p, end, rec, keys, types, vehicles, follow, joints);
    if (nl === 0 || nl - p > maxLine || admit(state, rec) !== 0) {
      const at = nl !== 0 ? nl : newline(p, end);
      if (at >= end) break;
      store<i32>(state + ST_LINE_NL * 4, i32(at - input));
      result = HAND_OVER;
      break;
    }
    lines++;
    p = nl + 1;
    if (load<i32>(state + ST_COUNT * 4) >= batchEvents) {
      result = FULL;
      break;
    }
  }
  store<i32>(state + ST_LINES * 4, lines);
  store<i32>(state + ST_BLANK * 4, blank);
  store<i32>(state + ST_STOP * 4, i32(p - input));
  return result;
}

// ---- EventBatch writing (src/wire/batch-writer.ts, the reference: the FlatBuffers Builder's layout) -----------

/** The end of the output and the bytes written before it (the Builder counts offsets from the end). */
let outEnd: usize = 0;
let outOff: usize = 0;
/** Total and longest length of the strings of the last outStrings call. */
let outTotal: usize = 0;
let outMax: usize = 0;

function outByte(b: u32): void {
  outOff++;
  store<u8>(outEnd - outOff, u8(b));
}

/** The Builder's prep: zero padding so that `size` bytes are aligned after `additional` more. */
function prep(size: usize, additional: usize): void {
  let pad = (0 - (outOff + additional)) & (size - 1);
  while (pad > 0) {
    outByte(0);
    pad--;
  }
}

function outU32(v: u32): void {
  outOff += 4;
  store<u32>(outEnd - outOff, v);
}

function outU16(v: u32): void {
  prep(2, 0);
  outOff += 2;
  store<u16>(outEnd - outOff, u16(v));
}

/** addOffset: a 32-bit offset to what was written at `target`. */
function outOffset(target: usize): void {
  prep(4, 0);
  outU32(u32(outOff - target + 4));
}

/** createString of the n bytes at s: its offset. */
function outString(s: usize, n: usize): usize {
  outByte(0);
  prep(4, n);
  outOff += n;
  put(outEnd - outOff, s, s + n);
  outU32(u32(n));
  return outOff;
}

/**
 * createStrings + the vector of their offsets (rows with a 0-length string share `empty` when it is not 0). Each
 * string as createString writes it — its NUL and the padding that aligns its length word (at most 4 zero bytes,
 * cleared with one word below what is written), its bytes, its length — with the offset in a local.
 */
function outStrings(n: usize, arena: usize, at: usize, length: usize, offsets: usize, empty: usize): usize {
  const end = outEnd;
  let off = outOff;
  let total: usize = 0;
  let longest: usize = 0;
  for (let k: usize = 0; k < n; k++) {
    const len = usize(load<i32>(length + k * 4));
    total += len;
    longest = max(longest, len);
    if (len === 0 && empty !== 0) {
      store<u32>(offsets + k * 4, u32(empty));
      continue;
    }
    store<u32>(end - off - 4, 0);
    off += 1 + ((0 - (off + 1 + len)) & 3) + len;
    const s = arena + usize(load<i32>(at + k * 4));
    put(end - off, s, s + len);
    off += 4;
    store<u32>(end - off, u32(len));
    store<u32>(offsets + k * 4, u32(off));
  }
  outOff = off;
  prep(4, 4 * n);
  off = outOff;
  for (let k = i32(n) - 1; k >= 0; k--) {
    const v = u32(off - usize(load<u32>(offsets + usize(k) * 4)) + 4);
    off += 4;
    store<u32>(end - off, v);
  }
  outOff = off;
  outU32(u32(n));
  outTotal = total;
  outMax = longest;
  return outOff;
}

/** The events vector: structs from the last row to the first, as the Builder writes them. */
function outEvents(state: usize, n: usize, baseMs: f64): usize {
  prep(4, 24 * n);
  prep(8, 24 * n);
  const time = st(state, ST_COL_TIME);
  const target = st(state, ST_COL_TARGET);
  const seq = st(state, ST_COL_SEQ);
  const value = st(state, ST_COL_VALUE);
  const device = st(state, ST_COL_DEVICE);
  const kind = st(state, ST_COL_KIND);
  const vehicle = st(state, ST_COL_VEHICLE);
  const flags = st(state, ST_COL_FLAGS);
  let q = outEnd - outOff;
  for (let k = i32(n) - 1; k >= 0; k--) {
    const r = usize(k);
    q -= 24;
    store<u32>(q, u32(i64(load<f64>(time + r * 8) - baseMs)));
    store<u32>(q, load<u32>(target + r * 4), 4);
    store<u32>(q, load<u32>(seq + r * 4), 8);
    store<u32>(q, load<u32>(value + r * 4), 12);
    store<u32>(
      q,
      u32(load<u8>(kind + r)) | (u32(load<u8>(vehicle + r)) << 8) | (u32(load<u8>(flags + r)) << 16),
      16,
    );
    store<u32>(q, load<u32>(device + r * 4), 20);
  }
  outOff = outEnd - q;
  outU32(u32(n));
  return outOff;
}

/**
 * Writes the EventBatch of the open batch's rows (ST_ROWS; the strings when ST_KEEP_IDS, the annotations when
 * ST_NOTES) as BatchWriter writes it, ending at ST_OUT_END: its length in bytes (it starts that far before).
 */
export function writeBatch(state: usize): usize {
  const n = usize(load<i32>(state + ST_ROWS * 4));
  const time = st(state, ST_COL_TIME);
  let baseMs: f64 = 0;
  let topMs: f64 = 0;
  if (n > 0) {
    baseMs = load<f64>(time);
    topMs = baseMs;
    for (let k: usize = 1; k < n; k++) {
      const t = load<f64>(time + k * 8);
      baseMs = min(baseMs, t);
      topMs = max(topMs, t);
    }
  }
  outEnd = st(state, ST_OUT_END);
  outOff = 0;
  const cityOff = outString(st(state, ST_CITY), st(state, ST_CITY_LENGTH));
  const arena = st(state, ST_ARENA);
  const offsets = st(state, ST_OFFSETS);
  let idsOff: usize = 0;
  let notesOff: usize = 0;
  store<i32>(state + ST_OUT_ID_BYTES * 4, 0);
  store<i32>(state + ST_OUT_ID_MAX * 4, 0);
  if (load<i32>(state + ST_KEEP_IDS * 4) !== 0) {
    idsOff = outStrings(n, arena, st(state, ST_COL_ID_AT), st(state, ST_COL_ID_LENGTH), offsets, 0);
    store<i32>(state + ST_OUT_ID_BYTES * 4, i32(outTotal));
    store<i32>(state + ST_OUT_ID_MAX * 4, i32(outMax));
  }
  if (load<i32>(state + ST_NOTES * 4) !== 0) {
    const empty = outString(arena, 0);
    notesOff = outStrings(n, arena, st(state, ST_COL_NOTE_AT), st(state, ST_COL_NOTE_LENGTH), offsets, empty);
  }
  const eventsOff = outEvents(state, n, baseMs);
  store<i32>(state + ST_OUT_EVENTS * 4, i32(eventsOff));
  store<i32>(state + ST_OUT_IDS * 4, i32(idsOff));
  store<i32>(state + ST_OUT_NOTES * 4, i32(notesOff));
  store<f64>(state + ST_OUT_BASE * 4, baseMs);
  store<f64>(state + ST_OUT_TOP * 4, topMs);

  // The EventBatch table and its vtable (slots: base time, city, catalogue hash, events, ids, annotations).
  const start = outOff;
  let v0: usize = 0;
  let v2: usize = 0;
  let v4: usize = 0;
  let v5: usize = 0;
  if (baseMs !== 0) {
    prep(8, 0);
    outOff += 8;
    store<f64>(outEnd - outOff, baseMs);
    v0 = outOff;
  }
  outOffset(cityOff);
  const v1 = outOff;
  const hash = load<u32>(state + ST_CATALOG_HASH * 4);
  if (hash !== 0) {
    prep(4, 0);
    outU32(hash);
    v2 = outOff;
  }
  outOffset(eventsOff);
  const v3 = outOff;
  if (idsOff !== 0) {
    outOffset(idsOff);
    v4 = outOff;
  }
  if (notesOff !== 0) {
    outOffset(notesOff);
    v5 = outOff;
  }
  prep(4, 0);
  outU32(0);
  const table = outOff;
  const used: usize = v5 !== 0 ? 6 : v4 !== 0 ? 5 : 4;
  if (used >= 6) outU16(u32(table - v5));
  if (used >= 5) outU16(v4 !== 0 ? u32(table - v4) : 0);
  outU16(u32(table - v3));
  outU16(v2 !== 0 ? u32(table - v2) : 0);
  outU16(u32(table - v1));
  outU16(v0 !== 0 ? u32(table - v0) : 0);
  outU16(u32(table - start));
  outU16(u32((used + 2) * 2));
  // The table starts with the offset back to its vtable (written just before it, at a lower address).
  store<i32>(outEnd - table, i32(outOff - table));

  // finish(root, "PKR1"): the identifier, then the root offset, aligned to the largest alignment (8).
  prep(8, 8);
  outByte(0x31);
  outByte(0x52);
  outByte(0x4b);
  outByte(0x50);
  prep(8, 4);
  outOffset(table);
  return outOff;
}

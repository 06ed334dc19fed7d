/**
 * The JSON Lines scanner: reads complete CDS lines of a chunk (copied into the memory at `input`) and writes,
 * per line, a record of what the reader's fast path (src/wire/jsonl-parse.ts, the reference) would read from
 * it: which keys it has, the byte ranges of its string values, the event type, vehicle name, numbers, the time
 * in ms and the id hashes. A record vouches for its line (`REC_OK` = 1) only when the line is one the reference
 * fast path reads token for token the same way; otherwise it only marks where the line ends, and the JavaScript
 * side reads it (fast path, then JSON.parse). The event's own rules (required keys per type) stay in JavaScript.
 *
 * Known strings (keys, event types, vehicle names) come from token tables the JavaScript side lays out in the
 * memory (src/wire/jsonl-wasm.ts): `[count: i32][(offset: i32, length: i32) × count]`, offsets absolute.
 */

// Record layout (i32 slots; src/wire/jsonl-wasm.ts REC_* holds the same numbers).
const REC_STRIDE = 32;
const REC_START = 0;
const REC_NL = 1;
const REC_OK = 2;
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
const REC_ZONE_HASH = 20;
const REC_SPACE_HASH = 21;
const REC_DEVICE_HASH = 22;
const REC_ID_FNV = 23;
const REC_SESSION_FNV = 24;
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

const QUOTE: u32 = 0x22;
const COMMA: u32 = 0x2c;
const COLON: u32 = 0x3a;
const BACKSLASH: u32 = 0x5c;
const OPEN: u32 = 0x7b;
const CLOSE: u32 = 0x7d;
const SPACE: u32 = 0x20;
const TAB: u32 = 0x09;
const CR: u32 = 0x0d;
const NL: u32 = 0x0a;
const D0: u32 = 0x30;

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

function ws(p: usize, end: usize): usize {
  while (p < end) {
    const c = byte(p);
    if (c !== SPACE && c !== TAB) break;
    p++;
  }
  return p;
}

/**
 * A plain string at p (a quote): 1 to 256 bytes of printable ASCII without backslash (as `plain` in the
 * reference); the index after its closing quote, or 0.
 */
function plain(p: usize, end: usize): usize {
  if (p >= end || byte(p) !== QUOTE) return 0;
  const s = p + 1;
  let j = s;
  if (ASC_FEATURE_SIMD) {
    // 16 bytes at a time (reading up to 15 bytes past `end` is safe: the input window has room after it).
    while (j < end) {
      const x = v128.load(j);
      const stop = v128.or(
        v128.or(i8x16.eq(x, i8x16.splat(0x22)), i8x16.eq(x, i8x16.splat(0x5c))),
        v128.or(i8x16.lt_u(x, i8x16.splat(0x20)), i8x16.gt_u(x, i8x16.splat(0x7e))),
      );
      const m = i8x16.bitmask(stop);
      if (m !== 0) {
        j += usize(ctz<u32>(m));
        break;
      }
      j += 16;
    }
  }
  while (j + 8 <= end) {
    const x = load<u64>(j);
    const q = x ^ lanes(0x22);
    const b = x ^ lanes(0x5c);
    const bad =
      ((x - lanes(0x20)) & ~x) | (x + lanes(0x01)) | x | ((q - lanes(0x01)) & ~q) | ((b - lanes(0x01)) & ~b);
    if ((bad & lanes(0x80)) !== 0) break;
    j += 8;
  }
  for (;;) {
    if (j >= end) return 0;
    const c = byte(j);
    if (c === QUOTE) break;
    if (c < SPACE || c > 0x7e || c === BACKSLASH) return 0;
    j++;
  }
  const len = j - s;
  return len === 0 || len > 256 ? 0 : j + 1;
}

/** The token of `table` whose bytes are exactly [s, e); -1 when none. */
function token(table: usize, s: usize, e: usize): i32 {
  const n = i32(e - s);
  const count = load<i32>(table);
  for (let t = 0; t < count; t++) {
    const at = table + 4 + usize(t) * 8;
    if (load<i32>(at, 4) !== n) continue;
    const off = usize(load<i32>(at));
    let i = 0;
    while (i + 8 <= n && load<u64>(off + usize(i)) === load<u64>(s + usize(i))) i += 8;
    while (i < n && load<u8>(off + usize(i)) === load<u8>(s + usize(i))) i++;
    if (i === n) return t;
  }
  return -1;
}

/**
 * Whether token `t` of `table` is at s, followed by `after` (a quote) and, when `colon`, a colon: its
 * length, or -1. Compared eight bytes at a time.
 */
function tokenAt(table: usize, t: i32, s: usize, end: usize, colon: bool): i32 {
  const at = table + 4 + usize(t) * 8;
  const n = load<i32>(at, 4);
  const off = usize(load<i32>(at));
  if (s + usize(n) + 2 > end) return -1;
  let i = 0;
  while (i + 8 <= n) {
    if (load<u64>(off + usize(i)) !== load<u64>(s + usize(i))) return -1;
    i += 8;
  }
  while (i < n) {
    if (load<u8>(off + usize(i)) !== load<u8>(s + usize(i))) return -1;
    i++;
  }
  const q = s + usize(n);
  if (byte(q) !== QUOTE || (colon && byte(q + 1) !== COLON)) return -1;
  return n;
}

/** MurmurHash3's finaliser, as `mix` in src/wire/id-table.ts. */
function mix(x: u32): u32 {
  let h = x ^ (x >>> 16);
  h = h * 0x85ebca6b;
  h ^= h >>> 13;
  h = h * 0xc2b2ae35;
  return h ^ (h >>> 16);
}

/** idHash of src/wire/id-table.ts over [s, e). */
function idHash(s: usize, e: usize): u32 {
  const n = u32(e - s);
  if (n < 4) {
    let h = FNV_BASIS ^ n;
    for (let i = s; i < e; i++) h = (h ^ byte(i)) * FNV_PRIME;
    return h;
  }
  let h = mix(load<u32>(s) ^ n);
  h = mix(h ^ load<u32>(s + usize((n - 4) >> 1)));
  return mix(h ^ load<u32>(e - 4));
}

/** Running FNV-1a of [s, e), as `fnv` in src/wire/jsonl-parse.ts. */
function fnv(s: usize, e: usize): u32 {
  let h = FNV_BASIS;
  for (let i = s; i < e; i++) h = (h ^ byte(i)) * FNV_PRIME;
  return h;
}

function two(p: usize): i32 {
  const a = i32(byte(p)) - 0x30;
  const b = i32(byte(p + 1)) - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function leap(y: i32): bool {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: i32, m: i32): i32 {
  if (m === 2) return leap(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

function floorDiv(a: i32, b: i32): i32 {
  const q = a / b;
  return a % b !== 0 && a < 0 !== b < 0 ? q - 1 : q;
}

/** H. Hinnant's days_from_civil, as in the reference. */
function daysFromCivil(year: i32, month: i32, day: i32): i32 {
  const y = month <= 2 ? year - 1 : year;
  const era = floorDiv(y, 400);
  const yoe = y - era * 400;
  const doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/** isoTime of the reference over [s, e): ms since the epoch, or -1. */
function isoTime(s: usize, e: usize): f64 {
  if (e - s < 17) return -1;
  const y1 = two(s);
  const y2 = two(s + 2);
  const mo = two(s + 5);
  const d = two(s + 8);
  const h = two(s + 11);
  const mi = two(s + 14);
  if (
    y1 < 0 ||
    y2 < 0 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    h < 0 ||
    h > 23 ||
    mi < 0 ||
    mi > 59 ||
    byte(s + 4) !== 0x2d ||
    byte(s + 7) !== 0x2d ||
    byte(s + 10) !== 0x54 ||
    byte(s + 13) !== COLON
  )
    return -1;
  const y = y1 * 100 + y2;
  if (d > daysInMonth(y, mo)) return -1;
  let i = s + 16;
  let sec = 0;
  let ms = 0;
  if (byte(i) === COLON) {
    if (i + 3 > e) return -1;
    sec = two(i + 1);
    if (sec < 0 || sec > 59) return -1;
    i += 3;
    if (i < e && byte(i) === 0x2e) {
      i++;
      let digits = 0;
      while (i < e && byte(i) >= D0 && byte(i) <= D0 + 9) {
        if (digits < 3) ms = ms * 10 + i32(byte(i) - D0);
        digits++;
        i++;
      }
      if (digits === 0 || digits > 9) return -1;
      for (let k = digits; k < 3; k++) ms *= 10;
    }
  }
  let offsetMin = 0;
  if (i + 1 === e && byte(i) === 0x5a) {
    // Z
  } else if (i + 6 === e && (byte(i) === 0x2b || byte(i) === 0x2d) && byte(i + 3) === COLON) {
    const oh = two(i + 1);
    const om = two(i + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return -1;
    offsetMin = (oh * 60 + om) * (byte(i) === 0x2b ? 1 : -1);
  } else return -1;
  const t =
    ((f64(daysFromCivil(y, mo, d)) * 24 + f64(h)) * 60 + f64(mi) - f64(offsetMin)) * 60000 +
    f64(sec) * 1000 +
    f64(ms);
  return t >= 0 ? t : -1;
}

/**
 * Reads the line at p into the record at `rec`: the index of its newline when it vouches for it (the line
 * is then one the reference `fast` reads the same way: a key's closing quote is followed by its colon, no
 * byte after the closing brace but spaces, tabs and \r), 0 otherwise. `end`: the end of the input (a line
 * breaks at its newline, which no token, number or blank holds). `follow[k]`: the key that followed key k
 * on the line before (follow[12]: the first key), the guess tried first; `follow[13]`: the last event type.
 */
function line(
  base: usize,
  p: usize,
  end: usize,
  rec: usize,
  keys: usize,
  types: usize,
  vehicles: usize,
  follow: usize,
): usize {
  let i = p;
  while (i < end && (byte(i) === SPACE || byte(i) === TAB || byte(i) === CR)) i++;
  if (i >= end || byte(i) !== OPEN) return 0;
  i = ws(i + 1, end);
  let seen: u32 = 0;
  let prev: usize = 12;
  for (;;) {
    // A key: the guess first, else any known key (a plain string) with its colon right after.
    if (i >= end || byte(i) !== QUOTE) return 0;
    let k = i32(load<u8>(follow + prev));
    let n = tokenAt(keys, k, i + 1, end, true);
    if (n < 0) {
      const ke = plain(i, end);
      if (ke === 0 || ke >= end || byte(ke) !== COLON) return 0;
      k = token(keys, i + 1, ke - 1);
      if (k < 0) return 0;
      store<u8>(follow + prev, u8(k));
      n = i32(ke - 1 - (i + 1));
    }
    prev = usize(k);
    const bit: u32 = 1 << u32(k);
    if ((seen & bit) !== 0) return 0;
    seen |= bit;
    i = ws(i + usize(n) + 3, end);
    if (i >= end) return 0;
    const s = i + 1;
    if (k === K_ID || k === K_ZONE || k === K_SPACE || k === K_DEVICE || k === K_SESSION) {
      i = plain(i, end);
      if (i === 0) return 0;
      const slot =
        k === K_ID
          ? REC_ID
          : k === K_ZONE
            ? REC_ZONE
            : k === K_SPACE
              ? REC_SPACE
              : k === K_DEVICE
                ? REC_DEVICE
                : REC_SESSION;
      store<i32>(rec + usize(slot) * 4, i32(s - base));
      store<i32>(rec + usize(slot + 1) * 4, i32(i - 1 - base));
      if (k === K_ZONE) store<u32>(rec + REC_ZONE_HASH * 4, idHash(s, i - 1));
      else if (k === K_SPACE) store<u32>(rec + REC_SPACE_HASH * 4, idHash(s, i - 1));
      else if (k === K_DEVICE) store<u32>(rec + REC_DEVICE_HASH * 4, idHash(s, i - 1));
    } else if (k === K_TYPE) {
      if (byte(i) !== QUOTE) return 0;
      let t = i32(load<u8>(follow + 13));
      const m = tokenAt(types, t, s, end, false);
      if (m < 0) {
        i = plain(i, end);
        if (i === 0) return 0;
        t = token(types, s, i - 1);
        if (t < 0) return 0;
        store<u8>(follow + 13, u8(t));
      } else i = s + usize(m) + 1;
      store<i32>(rec + REC_KIND * 4, t);
    } else if (k === K_VEHICLE) {
      i = plain(i, end);
      if (i === 0) return 0;
      const t = token(vehicles, s, i - 1);
      if (t < 0) return 0;
      store<i32>(rec + REC_VEHICLE * 4, t);
    } else if (k === K_OCCUPIED) {
      if (i + 4 <= end && load<u32>(i) === 0x65757274) {
        store<i32>(rec + REC_OCCUPIED * 4, 1);
        i += 4;
      } else if (i + 5 <= end && load<u32>(i) === 0x736c6166 && byte(i + 4) === 0x65) {
        store<i32>(rec + REC_OCCUPIED * 4, 0);
        i += 5;
      } else return 0;
    } else {
      // event_time (ISO string or integer ms), sequence_number, vehicle_count, actual_cost.
      if (byte(i) === QUOTE) {
        if (k !== K_TIME) return 0;
        i = plain(i, end);
        if (i === 0) return 0;
        const t = isoTime(s, i - 1);
        if (!(t >= 0)) return 0;
        store<f64>(rec + REC_TIME * 4, t);
      } else {
        const digits = k === K_TIME ? 16 : 10;
        let j = i;
        let v: u64 = 0;
        while (j < end) {
          const d = byte(j) - D0;
          if (d > 9) break;
          v = v * 10 + u64(d);
          j++;
        }
        const n = i32(j - i);
        if (n === 0 || n > digits || (n > 1 && byte(i) === D0)) return 0;
        if (j < end) {
          const c = byte(j);
          if (c !== COMMA && c !== CLOSE && c !== SPACE && c !== TAB) return 0;
        }
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
    }
    i = ws(i, end);
    if (i >= end) return 0;
    const c = byte(i);
    if (c === COMMA) {
      i = ws(i + 1, end);
      continue;
    }
    if (c !== CLOSE) return 0;
    i++;
    while (i < end && (byte(i) === SPACE || byte(i) === TAB || byte(i) === CR)) i++;
    if (i >= end || byte(i) !== NL) return 0;
    store<u32>(rec + REC_SEEN * 4, seen);
    // The FNV hashes the reader may need: of the session (payments), of the event id (no sequence number).
    if ((seen & (1 << K_SESSION)) !== 0) {
      const at = rec + REC_SESSION * 4;
      store<u32>(rec + REC_SESSION_FNV * 4, fnv(base + usize(load<i32>(at)), base + usize(load<i32>(at, 4))));
    }
    if ((seen & (1 << K_SEQ)) === 0 && (seen & (1 << K_ID)) !== 0) {
      const at = rec + REC_ID * 4;
      store<u32>(rec + REC_ID_FNV * 4, fnv(base + usize(load<i32>(at)), base + usize(load<i32>(at, 4))));
    }
    return i;
  }
}

/**
 * Scans the complete lines of `input[0, length)` (each ending in a newline; the bytes after the last newline
 * are left for the next call) into at most `max` records at `records`; returns the number written. `keys`,
 * `types`, `vehicles`: the token tables; `follow`: 14 bytes of guesses (see `line`), kept between calls.
 */
export function scanLines(
  input: usize,
  length: usize,
  records: usize,
  max: i32,
  keys: usize,
  types: usize,
  vehicles: usize,
  follow: usize,
): i32 {
  const end = input + length;
  let p = input;
  let n = 0;
  while (n < max && p < end) {
    const rec = records + usize(n) * REC_STRIDE * 4;
    let nl = line(input, p, end, rec, keys, types, vehicles, follow);
    store<i32>(rec + REC_OK * 4, nl !== 0 ? 1 : 0);
    if (nl === 0) {
      nl = newline(p, end);
      if (nl >= end) break;
    }
    store<i32>(rec + REC_START * 4, i32(p - input));
    store<i32>(rec + REC_NL * 4, i32(nl - input));
    n++;
    p = nl + 1;
  }
  return n;
}

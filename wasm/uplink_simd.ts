// Uplink scanner, SIMD build: a port of the scanner in src/gateway/uplink-scan.ts (the reference) that reads
// The Things Stack v3 and ChirpStack v4 uplink JSON in place and skips strings 16 bytes at a time. It accepts
// exactly the messages the reference accepts and finds the same fields (differential tests in
// test/gateway/uplink-scan.test.ts). Numbers are read as the reference reads them (f64, one division). Beyond
// the reference, it keeps the objects it skipped as members of the objects it reads (MEMO, see skipMemo): the
// metadata a network server repeats byte for byte is then skipped in 16-byte compares.
//
// The memory belongs to src/gateway/uplink-wasm.ts, which writes the field names and their table once, and
// copies each message to MSG followed by at least 32 bytes of room (the kernel writes a 0 after it: a byte no
// token, string or whitespace run accepts, so every loop stops there). Results go to OUT.

import { isoTime } from "./iso-time";

// ---- layout (keep in step with src/gateway/uplink-wasm.ts; a test compares them) ----
/** Field names, one per 16-byte slot (K_* below), each at most 15 bytes. */
const KEYS: usize = 0;
/**
 * The fields read, by where their key is: FIELDS[level << 9 | length << 5 | first byte & 31] is the slot of the
 * only field name of that object kind, length and first byte, plus 1 (0: none).
 */
const FIELDS: usize = 512;
/** Results. */
const OUT: usize = 3584;
/** The message. */
const MSG: usize = 3712;
/**
 * Values skipped before, by member: MEMO_SLOTS entries of MEMO_ENTRY bytes (the third page), each the value's
 * length (i32, 0: none), its nesting (i32: containers inside it, itself included), then its bytes.
 */
const MEMO: usize = 131072;

// Results (i32 or u32 at OUT + 4 * O_*, f64 at OUT + 8 * F_*).
const O_SEEN = 0;
const O_EUI_S = 1;
const O_EUI_E = 2;
const O_DATA_S = 3;
const O_DATA_E = 4;
const O_DEC_S = 5;
const O_DEC_E = 6;
const O_TIME_S = 7;
const O_TIME_E = 8;
/** 1 when the scan stopped at a non-ASCII byte and the message is not yet known to be UTF-8. */
const O_NEED_UTF8 = 9;
/** Fields of the gateway being read. */
const O_GW_SEEN = 10;
/** The device EUI's 16 hex digits as two 32-bit halves, and 1 when it is 16 hex digits. */
const O_EUI_HI = 11;
const O_EUI_LO = 12;
const O_EUI_OK = 13;
/** Frame counter and port (u32). */
const O_FCNT = 14;
const O_FPORT = 15;
/** Nesting of the last value skipValue read (containers, itself included). */
const O_NEST = 16;
/** The scan's `tts` argument (members of the two formats' objects are kept apart). */
const O_TTS = 17;
const F_RSSI = 10;
const F_SNR = 11;
const F_NUM = 12;
const F_GW_RSSI = 13;
const F_GW_SNR = 14;
/** The receive time, ms since the epoch (isoTime's value). */
const F_TIME = 15;

// Field names (slot numbers in KEYS; each line names its field).
const K_END_DEVICE_IDS = 0; // end_device_ids
const K_DEV_EUI = 1; // dev_eui
const K_UPLINK_MESSAGE = 2; // uplink_message
const K_F_CNT = 3; // f_cnt
const K_F_PORT = 4; // f_port
const K_FRM_PAYLOAD = 5; // frm_payload
const K_DECODED_PAYLOAD = 6; // decoded_payload
const K_RX_METADATA = 7; // rx_metadata
const K_RECEIVED_AT = 8; // received_at
const K_DEVICE_INFO = 9; // deviceInfo
const K_DEV_EUI_CS = 10; // devEui
const K_FCNT = 11; // fCnt
const K_FPORT = 12; // fPort
const K_DATA = 13; // data
const K_OBJECT = 14; // object
const K_TIME = 15; // time
const K_RX_INFO = 16; // rxInfo
const K_RSSI = 17; // rssi
// biome-ignore lint/correctness/noUnusedVariables: the slot's name in the table; the code tells it from K_RSSI
const K_SNR = 18; // snr

// ---- the reference's constants ----
const DEPTH_MAX = 32;
const GATEWAYS_MAX = 64;
const GIVE_UP = -1;
const MEMO_SLOTS = 64;
const MEMO_ENTRY = 1024;
/** Longest value kept: its 16-byte compares stay inside its entry. */
const MEMO_VALUE_MAX = MEMO_ENTRY - 32;

const QUOTE: u32 = 0x22;
const BACKSLASH: u32 = 0x5c;
const COMMA: u32 = 0x2c;
const COLON: u32 = 0x3a;
const OPEN: u32 = 0x7b;
const CLOSE: u32 = 0x7d;
const LBRACKET: u32 = 0x5b;
const RBRACKET: u32 = 0x5d;
const MINUS: u32 = 0x2d;
const SPACE: u32 = 0x20;
const D0: u32 = 0x30;

// Kinds of object the scanner reads fields of.
const TTS_TOP = 0;
const TTS_IDS = 1;
const TTS_UP = 2;
const CS_TOP = 3;
const CS_INFO = 4;
const RADIO_GW = 5;

const SEEN_IDS = 1;
const SEEN_EUI = 2;
const SEEN_UP = 4;
const SEEN_FCNT = 8;
const SEEN_FPORT = 16;
const SEEN_DATA = 32;
const SEEN_DECODED = 64;
const SEEN_RADIO = 128;
const SEEN_TIME = 256;

function byte(i: i32): u32 {
  return load<u8>(usize(i));
}

function isDigit(c: u32): bool {
  return c - D0 < 10;
}

function isWs(c: u32): bool {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function ws(i: i32): i32 {
  while (isWs(byte(i))) i++;
  return i;
}

function seen(): i32 {
  return load<i32>(OUT + 4 * O_SEEN);
}

/** Whether field `bit` is read for the first time (a second one gives up: JSON.parse keeps the last). */
function once(bit: i32): bool {
  const s = seen();
  if ((s & bit) !== 0) return false;
  store<i32>(OUT + 4 * O_SEEN, s | bit);
  return true;
}

function hex(c: u32): bool {
  return c - D0 < 10 || (c | 0x20) - 0x61 < 6;
}

/**
 * The first byte at or after `j` that a string does not hold as it is: a quote, a backslash, a control byte
 * (the 0 after the message among them) or, unless `utf8` (the message is known to be UTF-8), a non-ASCII byte.
 */
function stop(j: i32, utf8: i32): i32 {
  const quote = i8x16.splat(i8(QUOTE));
  const backslash = i8x16.splat(i8(BACKSLASH));
  const control = i8x16.splat(i8(0xe0));
  const zero = i8x16.splat(0);
  const high = utf8 !== 0 ? 0 : 0xffff;
  while (true) {
    const v = v128.load(usize(j));
    // A control byte is one whose top three bits are 0.
    const m =
      i8x16.bitmask(
        v128.or(v128.or(i8x16.eq(v, quote), i8x16.eq(v, backslash)), i8x16.eq(v128.and(v, control), zero)),
      ) |
      (i8x16.bitmask(v) & high);
    if (m !== 0) return j + ctz<i32>(m);
    j += 16;
  }
}

/** Gives up at a byte `stop` found that ends no string; a non-ASCII one asks the caller for the UTF-8 check. */
function notPlain(c: u32): i32 {
  if (c >= 0x80) store<i32>(OUT + 4 * O_NEED_UTF8, 1);
  return GIVE_UP;
}

/** Any valid JSON string at `i` (a quote): the index after its closing quote. */
function str(i: i32, utf8: i32): i32 {
  let j = i + 1;
  while (true) {
    j = stop(j, utf8);
    const c = byte(j);
    if (c === QUOTE) return j + 1;
    if (c !== BACKSLASH) return notPlain(c);
    const e = byte(j + 1);
    if (e === 0x75) {
      if (!(hex(byte(j + 2)) && hex(byte(j + 3)) && hex(byte(j + 4)) && hex(byte(j + 5)))) return GIVE_UP;
      j += 6;
    } else if (
      e === QUOTE ||
      e === BACKSLASH ||
      e === 0x2f ||
      e === 0x62 ||
      e === 0x66 ||
      e === 0x6e ||
      e === 0x72 ||
      e === 0x74
    )
      j += 2;
    else return GIVE_UP;
  }
}

/** A string without escapes at `i` (its content is `[i + 1, result - 1)`); GIVE_UP for any other value. */
function plainStr(i: i32, utf8: i32): i32 {
  if (byte(i) !== QUOTE) return GIVE_UP;
  const j = stop(i + 1, utf8);
  const c = byte(j);
  return c === QUOTE ? j + 1 : notPlain(c);
}

/**
 * A number read exactly (`-?(0|[1-9][0-9]*)(\.[0-9]+)?`, at most 15 significant digits, no exponent) into
 * F_NUM; GIVE_UP for any other.
 */
function decimal(i: i32): i32 {
  let j = i;
  let neg = false;
  if (byte(j) === MINUS) {
    neg = true;
    j++;
  }
  const s = j;
  let m: f64 = 0;
  while (isDigit(byte(j))) m = m * 10 + f64(byte(j++) - D0);
  let digits = j - s;
  if (digits === 0 || (digits > 1 && byte(s) === D0)) return GIVE_UP;
  let scale = 0;
  if (byte(j) === 0x2e) {
    const f = ++j;
    while (isDigit(byte(j))) m = m * 10 + f64(byte(j++) - D0);
    scale = j - f;
    if (scale === 0) return GIVE_UP;
    digits += scale;
  }
  const c = byte(j);
  if (digits > 15 || c === 0x65 || c === 0x45) return GIVE_UP;
  // m and 10^scale (scale < 15: built by exact products) are exact doubles: one division, JSON.parse's result.
  let p: f64 = 1;
  for (let k = 0; k < scale; k++) p *= 10;
  const v = scale === 0 ? m : m / p;
  store<f64>(OUT + 8 * F_NUM, neg ? -v : v);
  return j;
}

/** An unsigned integer of at most 10 digits (no sign, fraction or exponent) into F_NUM. */
function uint(i: i32): i32 {
  let j = i;
  let v: f64 = 0;
  while (isDigit(byte(j))) v = v * 10 + f64(byte(j++) - D0);
  const n = j - i;
  if (n === 0 || n > 10 || (n > 1 && byte(i) === D0)) return GIVE_UP;
  const c = byte(j);
  if (c === 0x2e || c === 0x65 || c === 0x45) return GIVE_UP;
  store<f64>(OUT + 8 * F_NUM, v);
  return j;
}

/** Any valid JSON number at `i`: the index after it; GIVE_UP when none starts there. */
function skipNumber(i: i32): i32 {
  let j = i;
  if (byte(j) === MINUS) j++;
  let c = byte(j);
  if (c === D0) c = byte(++j);
  else {
    if (!isDigit(c)) return GIVE_UP;
    do c = byte(++j);
    while (isDigit(c));
  }
  if (c === 0x2e) {
    c = byte(++j);
    if (!isDigit(c)) return GIVE_UP;
    do c = byte(++j);
    while (isDigit(c));
  }
  if (c === 0x65 || c === 0x45) {
    c = byte(++j);
    if (c === 0x2b || c === MINUS) c = byte(++j);
    if (!isDigit(c)) return GIVE_UP;
    do c = byte(++j);
    while (isDigit(c));
  }
  return j;
}

/** Whether the four bytes at `i` are `word` (little-endian). */
function word4(i: i32, word: u32): bool {
  return load<u32>(usize(i)) === word;
}

/** A member's key at `i` (a quote, any string) and its colon, whitespace around: the index of its value. */
function skipKey(i: i32, utf8: i32): i32 {
  if (byte(i) !== QUOTE) return GIVE_UP;
  let j = str(i, utf8);
  if (j < 0) return GIVE_UP;
  if (byte(j) !== COLON) {
    j = ws(j);
    if (byte(j) !== COLON) return GIVE_UP;
  }
  j++;
  return byte(j) <= SPACE ? ws(j) : j;
}

/**
 * Any JSON value at `i` nested `depth` deep (whitespace skipped before it, not after): the reference's grammar
 * automaton, written as code. The containers it is inside are the low bits of `stack` (1 for an object), `n` of
 * them.
 */
function skipValue(i: i32, depth: i32, utf8: i32): i32 {
  let stack: u64 = 0;
  let n = 0;
  let deepest = 0;
  while (true) {
    // A value at i.
    let c = byte(i);
    if (c <= SPACE) {
      i = ws(i);
      c = byte(i);
    }
    if (c === QUOTE) i = str(i, utf8);
    else if (c === OPEN || c === LBRACKET) {
      if (depth + n >= DEPTH_MAX) return GIVE_UP;
      const isObject = c === OPEN;
      stack = (stack << 1) | (isObject ? 1 : 0);
      n++;
      if (n > deepest) deepest = n;
      i++;
      if (byte(i) <= SPACE) i = ws(i);
      if (byte(i) === (isObject ? CLOSE : RBRACKET)) i++;
      else {
        if (isObject) i = skipKey(i, utf8);
        if (i < 0) return GIVE_UP;
        continue;
      }
      n--;
      stack >>= 1;
    } else if (c === MINUS || isDigit(c)) i = skipNumber(i);
    else if (c === 0x74) i = word4(i, 0x65757274) ? i + 4 : GIVE_UP;
    else if (c === 0x66) i = word4(i + 1, 0x65736c61) ? i + 5 : GIVE_UP;
    else if (c === 0x6e) i = word4(i, 0x6c6c756e) ? i + 4 : GIVE_UP;
    else return GIVE_UP;
    if (i < 0) return GIVE_UP;
    // After a value: close containers until one goes on with a comma.
    while (true) {
      if (n === 0) {
        store<i32>(OUT + 4 * O_NEST, deepest);
        return i;
      }
      let d = byte(i);
      if (d <= SPACE) {
        i = ws(i);
        d = byte(i);
      }
      const inObject = (stack & 1) === 1;
      if (d === COMMA) {
        i++;
        if (inObject) {
          if (byte(i) <= SPACE) i = ws(i);
          i = skipKey(i, utf8);
          if (i < 0) return GIVE_UP;
        }
        break;
      }
      if (d !== (inObject ? CLOSE : RBRACKET)) return GIVE_UP;
      i++;
      n--;
      stack >>= 1;
    }
  }
}

/** Whether the key at `ks`, `len` bytes (below 16), is the field name in slot `k`: one 16-byte compare. */
function is(ks: i32, len: i32, k: i32): bool {
  const same = i8x16.bitmask(i8x16.eq(v128.load(usize(ks)), v128.load(KEYS + usize(k << 4))));
  const need = (1 << len) - 1;
  return (same & need) === need;
}

/** Walks the object at `i` (a `{`) of kind `level`, reading each member with `field`. */
function members(i: i32, level: i32, depth: i32, utf8: i32): i32 {
  if (byte(i) !== OPEN || depth >= DEPTH_MAX) return GIVE_UP;
  let j = i + 1;
  if (byte(j) <= SPACE) j = ws(j);
  if (byte(j) === CLOSE) return j + 1;
  while (true) {
    const ks = j + 1;
    j = plainStr(j, utf8);
    if (j < 0) return GIVE_UP;
    const ke = j - 1;
    if (byte(j) !== COLON) {
      j = ws(j);
      if (byte(j) !== COLON) return GIVE_UP;
    }
    j++;
    if (byte(j) <= SPACE) j = ws(j);
    j = field(level, ks, ke, j, depth + 1, utf8);
    if (j < 0) return GIVE_UP;
    let d = byte(j);
    if (d <= SPACE) {
      j = ws(j);
      d = byte(j);
    }
    if (d === CLOSE) return j + 1;
    if (d !== COMMA) return GIVE_UP;
    j++;
    if (byte(j) <= SPACE) j = ws(j);
  }
}

/** Reads (or skips) the value at `v` of the member `[ks, ke)` of an object of kind `level`. */
function field(level: i32, ks: i32, ke: i32, v: i32, depth: i32, utf8: i32): i32 {
  const len = ke - ks;
  // One table read tells most keys from the fields read (a branch that rarely goes the other way).
  const slot =
    len < 16 ? i32(load<u8>(FIELDS + usize((level << 9) | (len << 5) | i32(byte(ks) & 31)))) - 1 : -1;
  if (slot >= 0 && is(ks, len, slot)) {
    switch (slot) {
      case K_END_DEVICE_IDS:
        return once(SEEN_IDS) ? members(v, TTS_IDS, depth, utf8) : GIVE_UP;
      case K_UPLINK_MESSAGE:
        return once(SEEN_UP) ? members(v, TTS_UP, depth, utf8) : GIVE_UP;
      case K_DEVICE_INFO:
        return once(SEEN_IDS) ? members(v, CS_INFO, depth, utf8) : GIVE_UP;
      case K_RECEIVED_AT:
      case K_TIME:
        return once(SEEN_TIME) ? time(v, utf8) : GIVE_UP;
      case K_DEV_EUI:
      case K_DEV_EUI_CS:
        return once(SEEN_EUI) ? devEui(v, utf8) : GIVE_UP;
      case K_F_CNT:
      case K_FCNT:
        return once(SEEN_FCNT) ? counter(v) : GIVE_UP;
      case K_F_PORT:
      case K_FPORT:
        return once(SEEN_FPORT) ? port(v) : GIVE_UP;
      case K_FRM_PAYLOAD:
      case K_DATA:
        return once(SEEN_DATA) ? payload(v, utf8) : GIVE_UP;
      case K_RX_METADATA:
      case K_RX_INFO:
        return once(SEEN_RADIO) ? radio(v, depth, utf8) : GIVE_UP;
      case K_DECODED_PAYLOAD:
      case K_OBJECT:
        return once(SEEN_DECODED) ? decoded(v, depth, utf8) : GIVE_UP;
      default: {
        // K_RSSI, K_SNR (of a gateway): numbers; any other value does not count.
        const isR = slot === K_RSSI;
        const bit = isR ? 1 : 2;
        const gw = load<i32>(OUT + 4 * O_GW_SEEN);
        if ((gw & bit) !== 0) return GIVE_UP;
        store<i32>(OUT + 4 * O_GW_SEEN, gw | bit);
        const c = byte(v);
        if (c !== MINUS && !isDigit(c)) break;
        const e = decimal(v);
        if (e < 0) return GIVE_UP;
        store<f64>(OUT + 8 * (isR ? F_GW_RSSI : F_GW_SNR), load<f64>(OUT + 8 * F_NUM));
        return e;
      }
    }
  }
  const c = byte(v);
  if (c === QUOTE) return str(v, utf8);
  return c === OPEN ? skipMemo(v, depth, utf8, level, ks, ke) : skipValue(v, depth, utf8);
}

/**
 * The object at `v`, the value of member `[ks, ke)` of an object of kind `level`, skipped as skipValue does. A
 * network server repeats much of its metadata byte for byte (gateway ids and location, network ids, radio
 * settings), so the object this member (or another that shares its slot) had last time is kept: when the bytes
 * at `v` are the same, they are the same valid JSON, which ends where it ended then (an object ends at its own
 * brace) and nests as deep (so it fits here when `depth` plus its nesting does). Only objects read before the
 * message is known to be UTF-8 are kept: they are ASCII.
 */
function skipMemo(v: i32, depth: i32, utf8: i32, level: i32, ks: i32, ke: i32): i32 {
  const key = (load<i32>(OUT + 4 * O_TTS) * 8 + level) * 16 + (ke - ks);
  const slot = (key * 31 + i32(byte(ks)) + i32(byte(ks + 1)) * 5 + i32(byte(ke - 1)) * 11) & (MEMO_SLOTS - 1);
  const entry = MEMO + usize(slot * MEMO_ENTRY);
  const len = load<i32>(entry);
  if (len > 0 && depth + load<i32>(entry, 4) <= DEPTH_MAX) {
    // 16 bytes a compare; the 0 after the message differs from every byte of a kept value, so no compare
    // reads more than 16 bytes past it.
    let k = 0;
    while (true) {
      const same = i8x16.bitmask(i8x16.eq(v128.load(usize(v + k)), v128.load(entry + 16 + usize(k))));
      const rest = len - k;
      if (rest <= 16) {
        const need = (1 << rest) - 1;
        if ((same & need) === need) return v + len;
        break;
      }
      if (same !== 0xffff) break;
      k += 16;
    }
  }
  const j = skipValue(v, depth, utf8);
  if (j > 0 && utf8 === 0 && j - v <= MEMO_VALUE_MAX) {
    memory.copy(entry + 16, usize(v), usize(j - v));
    store<i32>(entry, j - v);
    store<i32>(entry, load<i32>(OUT + 4 * O_NEST), 4);
  }
  return j;
}

/** A hex digit's value, or -1. */
function hexValue(c: u32): i32 {
  if (c - D0 < 10) return i32(c - D0);
  const l = (c | 0x20) - 0x61;
  return l < 6 ? i32(l) + 10 : -1;
}

/** The device EUI: its position, and its value when it is 16 hex digits (as the catalogue lookup reads it). */
function devEui(v: i32, utf8: i32): i32 {
  const j = plainStr(v, utf8);
  if (j < 0) return GIVE_UP;
  const s = v + 1;
  store<i32>(OUT + 4 * O_EUI_S, s - i32(MSG));
  store<i32>(OUT + 4 * O_EUI_E, j - 1 - i32(MSG));
  let ok = 0;
  if (j - 1 - s === 16) {
    let hi = 0;
    let lo = 0;
    let bad = 0;
    for (let k = 0; k < 8; k++) {
      const a = hexValue(byte(s + k));
      const b = hexValue(byte(s + 8 + k));
      bad |= a | b;
      hi = (hi << 4) | (a & 15);
      lo = (lo << 4) | (b & 15);
    }
    store<i32>(OUT + 4 * O_EUI_HI, hi);
    store<i32>(OUT + 4 * O_EUI_LO, lo);
    ok = bad < 0 ? 0 : 1;
  }
  store<i32>(OUT + 4 * O_EUI_OK, ok);
  return j;
}

function counter(v: i32): i32 {
  const j = uint(v);
  const n = load<f64>(OUT + 8 * F_NUM);
  if (j < 0 || n > 4294967295) return GIVE_UP;
  store<u32>(OUT + 4 * O_FCNT, u32(n));
  return j;
}

function port(v: i32): i32 {
  const j = uint(v);
  const n = load<f64>(OUT + 8 * F_NUM);
  if (j < 0 || n > 255) return GIVE_UP;
  store<u32>(OUT + 4 * O_FPORT, u32(n));
  return j;
}

function decoded(v: i32, depth: i32, utf8: i32): i32 {
  const j = skipValue(v, depth, utf8);
  store<i32>(OUT + 4 * O_DEC_S, v - i32(MSG));
  store<i32>(OUT + 4 * O_DEC_E, j - i32(MSG));
  return j;
}

/** A time string read by isoTime into F_TIME; GIVE_UP when isoTime does not read it. */
function time(v: i32, utf8: i32): i32 {
  const j = plainStr(v, utf8);
  if (j < 0) return GIVE_UP;
  const t = isoTime(usize(v + 1), usize(j - 1));
  // biome-ignore lint/suspicious/noGlobalIsNan: AssemblyScript's isNaN builtin, on an f64
  if (isNaN(t)) return GIVE_UP;
  store<i32>(OUT + 4 * O_TIME_S, v + 1 - i32(MSG));
  store<i32>(OUT + 4 * O_TIME_E, j - 1 - i32(MSG));
  store<f64>(OUT + 8 * F_TIME, t);
  return j;
}

/** A payload: a plain string, or null (as absent). */
function payload(v: i32, utf8: i32): i32 {
  if (byte(v) === 0x6e) {
    if (byte(v + 1) !== 0x75 || byte(v + 2) !== 0x6c || byte(v + 3) !== 0x6c) return GIVE_UP;
    store<i32>(OUT + 4 * O_DATA_S, -1);
    store<i32>(OUT + 4 * O_DATA_E, -1);
    return v + 4;
  }
  const j = plainStr(v, utf8);
  if (j < 0) return GIVE_UP;
  store<i32>(OUT + 4 * O_DATA_S, v + 1 - i32(MSG));
  store<i32>(OUT + 4 * O_DATA_E, j - 1 - i32(MSG));
  return j;
}

/** The radio metadata array: best rssi and snr of its first gateways (a value that is no array counts none). */
function radio(at: i32, depth: i32, utf8: i32): i32 {
  if (byte(at) !== LBRACKET) return skipValue(at, depth, utf8);
  if (depth >= DEPTH_MAX) return GIVE_UP;
  let j = ws(at + 1);
  if (byte(j) === RBRACKET) return j + 1;
  let n = 0;
  while (true) {
    if (n++ < GATEWAYS_MAX && byte(j) === OPEN) {
      store<i32>(OUT + 4 * O_GW_SEEN, 0);
      store<f64>(OUT + 8 * F_GW_RSSI, NaN);
      store<f64>(OUT + 8 * F_GW_SNR, NaN);
      j = members(j, RADIO_GW, depth + 1, utf8);
      if (j < 0) return GIVE_UP;
      const r = load<f64>(OUT + 8 * F_GW_RSSI);
      const s = load<f64>(OUT + 8 * F_GW_SNR);
      if (r > load<f64>(OUT + 8 * F_RSSI)) store<f64>(OUT + 8 * F_RSSI, r);
      if (s > load<f64>(OUT + 8 * F_SNR)) store<f64>(OUT + 8 * F_SNR, s);
    } else {
      j = skipValue(j, depth + 1, utf8);
      if (j < 0) return GIVE_UP;
    }
    let d = byte(j);
    if (d <= SPACE) {
      j = ws(j);
      d = byte(j);
    }
    if (d === RBRACKET) return j + 1;
    if (d !== COMMA) return GIVE_UP;
    j = ws(j + 1);
  }
}

/**
 * Scans the `len`-byte uplink at MSG (`tts`: 1 for The Things Stack, 0 for ChirpStack; `utf8`: 1 when the
 * message is known to be valid UTF-8). Returns 1 when the scanner read it (results at OUT), 0 when it gives up
 * (OUT's O_NEED_UTF8 is 1 when a UTF-8 check of the message may let it read it).
 */
export function scanUplink(tts: i32, len: i32, utf8: i32): i32 {
  const start = i32(MSG);
  const end = start + len;
  store<u8>(usize(end), 0);
  store<i32>(OUT + 4 * O_SEEN, 0);
  store<i32>(OUT + 4 * O_EUI_S, -1);
  store<i32>(OUT + 4 * O_EUI_E, -1);
  store<i32>(OUT + 4 * O_DATA_S, -1);
  store<i32>(OUT + 4 * O_DATA_E, -1);
  store<i32>(OUT + 4 * O_DEC_S, -1);
  store<i32>(OUT + 4 * O_DEC_E, -1);
  store<i32>(OUT + 4 * O_TIME_S, -1);
  store<i32>(OUT + 4 * O_TIME_E, -1);
  store<i32>(OUT + 4 * O_NEED_UTF8, 0);
  store<i32>(OUT + 4 * O_TTS, tts);
  store<i32>(OUT + 4 * O_EUI_OK, 0);
  store<u32>(OUT + 4 * O_FCNT, 0);
  store<u32>(OUT + 4 * O_FPORT, 0);
  store<f64>(OUT + 8 * F_RSSI, -Infinity);
  store<f64>(OUT + 8 * F_SNR, -Infinity);
  let i = byte(start) <= SPACE ? ws(start) : start;
  i = members(i, tts !== 0 ? TTS_TOP : CS_TOP, 0, utf8);
  if (i < 0) return 0;
  if (byte(i) <= SPACE) i = ws(i);
  if (i !== end) return 0;
  const need = (tts !== 0 ? SEEN_IDS | SEEN_UP : SEEN_IDS) | SEEN_TIME | SEEN_EUI;
  return (seen() & need) === need ? 1 : 0;
}

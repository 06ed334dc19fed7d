/**
 * The fast path of uplink JSON: reads the few fields an uplink's events need (device EUI, frame counter, port,
 * payload, decoded payload, receive time, best RSSI and SNR) straight from the message bytes, skipping the rest
 * of the message (radio metadata, settings, ids) without building it. The skip still checks that the whole
 * message is JSON, so a message the scanner accepts is one `JSON.parse` accepts, with the same field values.
 *
 * How: no loop tests for the end of the message: a read past it gives undefined, which no table and no
 * comparison accepts, so every token ends there (and the scan gives up). Strings are skipped by a loop of one
 * table read per byte over plain ASCII, which stops at a quote, a backslash (the escape is checked) or a
 * non-ASCII byte (the whole message is then checked to be UTF-8, once). The rest of the grammar is an automaton:
 * one table step per byte outside strings.
 *
 * The scanner reads only messages it fully understands: the fields it reads at most once and of the expected
 * type (strings without escapes, integers without sign, fraction or exponent, RSSI and SNR as plain decimals),
 * a time `isoTime` reads. Anything else (escapes in a field it reads or in a key of an object it reads fields
 * of, duplicate or misspelt fields, numbers it does not read exactly, nesting deeper than UPLINK_SCAN_DEPTH_MAX,
 * any JSON or UTF-8 error) returns undefined, and the caller reads the message with `JSON.parse`, which then
 * decides — and names the error.
 */
import { isUtf8 } from "node:buffer";
import { BACKSLASH, CLOSE, COLON, COMMA, D0, isoTime, OPEN, QUOTE, SPACE } from "../wire/json-bytes.js";
import type { EuiIndex } from "./eui-index.js";

/** Nesting the scanner follows; deeper messages go to JSON.parse. */
export const UPLINK_SCAN_DEPTH_MAX = 32;
/** Gateways whose RSSI and SNR count (the rest of `rx_metadata` / `rxInfo` is skipped). */
export const UPLINK_RADIO_GATEWAYS_MAX = 64;

/** What an uplink's events are made of, whichever way it was read. */
export interface UplinkFields {
  /** Device EUI as sent (validated later), or a non-string when the message holds one. */
  readonly devEui: unknown;
  /** Frame counter (0 when absent). */
  readonly fCnt: number;
  /** Port (0 when absent). */
  readonly fPort: number;
  /** Base64 payload as sent ("" when absent or null). */
  readonly data: unknown;
  /** The network server's decoded payload, when it sent one. */
  readonly decoded: unknown;
  /** Receive time, ms since the epoch; NaN when absent or unreadable. */
  readonly timeMs: number;
  /** Best RSSI and SNR over the first UPLINK_RADIO_GATEWAYS_MAX gateways. */
  readonly radio: { rssi?: number; snr?: number };
}

const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;
const D9 = 0x39;

/** 1 for JSON whitespace. */
const WS = new Uint8Array(256);
WS[0x20] = WS[0x09] = WS[0x0a] = WS[0x0d] = 1;
/** 1 for bytes an ASCII string holds as they are (no quote, backslash, control or non-ASCII byte). */
const PLAIN_ASCII = new Uint8Array(256);
for (let c = 0x20; c < 0x80; c++) PLAIN_ASCII[c] = c === QUOTE || c === BACKSLASH ? 0 : 1;
/** The same for a message that is valid UTF-8: bytes of multi-byte characters too. */
const PLAIN_UTF8 = PLAIN_ASCII.slice();
PLAIN_UTF8.fill(1, 0x80);
/** 1 for the characters after a backslash that JSON allows (u is checked further). */
const ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrtu') ESCAPE[c.charCodeAt(0)] = 1;
/** 1 for hex digits. */
const HEX = new Uint8Array(256);
for (const c of "0123456789abcdefABCDEF") HEX[c.charCodeAt(0)] = 1;

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

// Field names, per source and level.
const K_END_DEVICE_IDS = ascii("end_device_ids");
const K_DEV_EUI = ascii("dev_eui");
const K_UPLINK_MESSAGE = ascii("uplink_message");
const K_F_CNT = ascii("f_cnt");
const K_F_PORT = ascii("f_port");
const K_FRM_PAYLOAD = ascii("frm_payload");
const K_DECODED_PAYLOAD = ascii("decoded_payload");
const K_RX_METADATA = ascii("rx_metadata");
const K_RECEIVED_AT = ascii("received_at");
const K_DEVICE_INFO = ascii("deviceInfo");
const K_DEV_EUI_CS = ascii("devEui");
const K_FCNT = ascii("fCnt");
const K_FPORT = ascii("fPort");
const K_DATA = ascii("data");
const K_OBJECT = ascii("object");
const K_TIME = ascii("time");
const K_RX_INFO = ascii("rxInfo");
const K_RSSI = ascii("rssi");
const K_SNR = ascii("snr");

/** Powers of ten a decimal with up to 22 fraction digits is divided by (all exact doubles). */
const POW10: readonly number[] = Array.from({ length: 23 }, (_, k) => 10 ** k);

// Kinds of object the scanner reads fields of.
const TTS_TOP = 0;
const TTS_IDS = 1;
const TTS_UP = 2;
const CS_TOP = 3;
const CS_INFO = 4;
const RADIO_GW = 5;

// Bits of `seen`: the fields read.
const SEEN_IDS = 1;
const SEEN_EUI = 2;
const SEEN_UP = 4;
const SEEN_FCNT = 8;
const SEEN_FPORT = 16;
const SEEN_DATA = 32;
const SEEN_DECODED = 64;
const SEEN_RADIO = 128;
const SEEN_TIME = 256;

// The JSON grammar outside strings as an automaton over bytes: GRAMMAR[state << 8 | byte] is the next state,
// or an action (ACTION and above) the loop in `skipValue` performs. A state below knows the kind of container
// it is in (BASE: the value being skipped itself), so a number or literal ends the way a value in it does.
const BASE = 0;
const IN_OBJECT = 1;
const IN_ARRAY = 2;
/** A value is expected (after a colon, a comma in an array, or at the start). */
const V_BASE = 0;
const V_OBJ = 1;
const V_ARR = 2;
/** After `[`: a value or `]`. */
const V_ARR_FIRST = 3;
/** After `{`: a key or `}`; after a comma in an object: a key. */
const KEY_FIRST = 4;
const KEY_NEXT = 5;
const COLON_NEXT = 6;
/** After a value: what may follow it in its container. */
const A_BASE = 7;
const A_OBJ = 8;
const A_ARR = 9;
/** Number and literal states: 8 + 10 per container kind, from 10 on. */
const N_MINUS = 0;
const N_ZERO = 1;
const N_INT = 2;
const N_DOT = 3;
const N_FRAC = 4;
const N_E = 5;
const N_ESIGN = 6;
const N_EXP = 7;
const LITERALS = ["true", "false", "null"] as const;
const KIND_STATES = 18;
const numberState = (kind: number, k: number): number => 10 + kind * KIND_STATES + k;
const STATES = 10 + 3 * KIND_STATES;
// Actions.
const ACTION = 0x80;
const STRING_VALUE = 0x80;
const STRING_KEY = 0x81;
const PUSH_OBJECT = 0x82;
const PUSH_ARRAY = 0x83;
const POP = 0x84;
const DONE = 0x85;
const FAIL = 0xff;

const GRAMMAR = ((): Uint8Array => {
  const t = new Uint8Array(STATES << 8).fill(FAIL);
  const set = (s: number, bytes: string | number[], to: number) => {
    for (const b of typeof bytes === "string" ? Array.from(bytes, (c) => c.charCodeAt(0)) : bytes)
      t[(s << 8) | b] = to;
  };
  const WHITESPACE = [0x20, 0x09, 0x0a, 0x0d];
  const DIGITS19 = "123456789";
  const DIGITS = "0123456789";
  const after = [A_BASE, A_OBJ, A_ARR];
  const value = (s: number, kind: number) => {
    set(s, WHITESPACE, s);
    set(s, '"', STRING_VALUE);
    set(s, "{", PUSH_OBJECT);
    set(s, "[", PUSH_ARRAY);
    set(s, "-", numberState(kind, N_MINUS));
    set(s, "0", numberState(kind, N_ZERO));
    set(s, DIGITS19, numberState(kind, N_INT));
    let next = numberState(kind, 8);
    for (const word of LITERALS) {
      set(s, word[0]!, next);
      for (let k = 1; k < word.length; k++, next++)
        set(next, word[k]!, k === word.length - 1 ? after[kind]! : next + 1);
    }
  };
  value(V_BASE, BASE);
  value(V_OBJ, IN_OBJECT);
  value(V_ARR, IN_ARRAY);
  value(V_ARR_FIRST, IN_ARRAY);
  set(V_ARR_FIRST, "]", POP);
  for (const s of [KEY_FIRST, KEY_NEXT]) {
    set(s, WHITESPACE, s);
    set(s, '"', STRING_KEY);
  }
  set(KEY_FIRST, "}", POP);
  set(COLON_NEXT, WHITESPACE, COLON_NEXT);
  set(COLON_NEXT, ":", V_OBJ);
  t.fill(DONE, A_BASE << 8, (A_BASE + 1) << 8);
  set(A_OBJ, WHITESPACE, A_OBJ);
  set(A_OBJ, ",", KEY_NEXT);
  set(A_OBJ, "}", POP);
  set(A_ARR, WHITESPACE, A_ARR);
  set(A_ARR, ",", V_ARR);
  set(A_ARR, "]", POP);
  for (let kind = BASE; kind <= IN_ARRAY; kind++) {
    const n = (k: number) => numberState(kind, k);
    // A number ends at any byte that may follow a value: that byte is read as after the value.
    for (const k of [N_ZERO, N_INT, N_FRAC, N_EXP])
      t.copyWithin(n(k) << 8, after[kind]! << 8, (after[kind]! + 1) << 8);
    set(n(N_MINUS), "0", n(N_ZERO));
    set(n(N_MINUS), DIGITS19, n(N_INT));
    set(n(N_INT), DIGITS, n(N_INT));
    for (const k of [N_ZERO, N_INT]) set(n(k), ".", n(N_DOT));
    set(n(N_DOT), DIGITS, n(N_FRAC));
    set(n(N_FRAC), DIGITS, n(N_FRAC));
    for (const k of [N_ZERO, N_INT, N_FRAC]) set(n(k), "eE", n(N_E));
    set(n(N_E), "+-", n(N_ESIGN));
    set(n(N_E), DIGITS, n(N_EXP));
    set(n(N_ESIGN), DIGITS, n(N_EXP));
    set(n(N_EXP), DIGITS, n(N_EXP));
  }
  return t;
})();

/** Why the scanner gave up: the caller falls back to JSON.parse. */
const GIVE_UP = -1;

/** What the scanner read from one message, as positions in `buf` (valid until the next scan). */
export interface ScannedUplink {
  /** The message's bytes. */
  readonly buf: Uint8Array;
  /** Device EUI string content, `[devEuiS, devEuiE)`. */
  readonly devEuiS: number;
  readonly devEuiE: number;
  readonly fCnt: number;
  readonly fPort: number;
  /** Payload string content, or -1 for null or absent. */
  readonly dataS: number;
  readonly dataE: number;
  /** The decoded payload's JSON text, or -1 when absent. */
  readonly decS: number;
  readonly decE: number;
  readonly timeMs: number;
  /** Best RSSI and SNR; -Infinity when no gateway gave one. */
  readonly rssi: number;
  readonly snr: number;
  /** The catalogue device of the device EUI (EuiIndex.find's answer: NONE when none or no EUI). */
  deviceIndex(euis: EuiIndex): number;
}

/**
 * A one-message scanner. Positions are indices into `buf`; every method
 * returns the index after what it read, or GIVE_UP.
 */
class Scanner implements ScannedUplink {
  buf: Uint8Array = new Uint8Array(0);
  end = 0;
  /** The message as given (for its UTF-8 check). */
  message: Uint8Array = this.buf;
  /** What a string holds as it is: ASCII, until a non-ASCII byte shows the message is valid UTF-8. */
  plain = PLAIN_ASCII;
  /** The last number read by `decimal` or `uint`. */
  num = 0;
  devEuiS = -1;
  devEuiE = -1;
  fCnt = 0;
  fPort = 0;
  dataS = -1;
  dataE = -1;
  decS = -1;
  decE = -1;
  timeMs = Number.NaN;
  rssi = Number.NEGATIVE_INFINITY;
  snr = Number.NEGATIVE_INFINITY;
  /** SEEN_* bits of the fields read. */
  seen = 0;
  /** The gateway being read: fields seen, its rssi and snr (NaN when it has none). */
  gwSeen = 0;
  gwRssi = Number.NaN;
  gwSnr = Number.NaN;

  /** Starts on a message. */
  load(payload: Uint8Array): void {
    const n = payload.length;
    this.buf = payload;
    this.end = n;
    this.message = payload;
    this.plain = PLAIN_ASCII;
    this.seen = 0;
    this.devEuiS = this.devEuiE = -1;
    this.fCnt = 0;
    this.fPort = 0;
    this.dataS = this.dataE = -1;
    this.decS = this.decE = -1;
    this.timeMs = Number.NaN;
    this.rssi = Number.NEGATIVE_INFINITY;
    this.snr = Number.NEGATIVE_INFINITY;
  }

  deviceIndex(euis: EuiIndex): number {
    return euis.find(this.buf, this.devEuiS, this.devEuiE);
  }

  /** Skips whitespace at `buf[i]`. */
  ws(i: number): number {
    const buf = this.buf;
    while (WS[buf[i]!] === 1) i++;
    return i;
  }

  /** Any valid JSON string at `buf[i]` (a quote): the index after its closing quote. */
  str(i: number): number {
    const buf = this.buf;
    const plain = this.plain;
    let j = i + 1;
    while (plain[buf[j]!] === 1) j++;
    return buf[j] === QUOTE ? j + 1 : this.strRest(j);
  }

  /** The rest of a string from a byte that is not plain ASCII: escapes checked, UTF-8 once per message. */
  strRest(j: number): number {
    const buf = this.buf;
    for (;;) {
      const c = buf[j]!;
      if (c === QUOTE) return j + 1;
      if (c === BACKSLASH) {
        const e = buf[j + 1]!;
        if (ESCAPE[e] !== 1) return GIVE_UP;
        if (e === 0x75) {
          if ((HEX[buf[j + 2]!]! & HEX[buf[j + 3]!]! & HEX[buf[j + 4]!]! & HEX[buf[j + 5]!]!) !== 1)
            return GIVE_UP;
          j += 6;
        } else j += 2;
      } else if (c >= 0x80 && this.plain === PLAIN_ASCII && isUtf8(this.message)) this.plain = PLAIN_UTF8;
      else return GIVE_UP;
      const plain = this.plain;
      while (plain[buf[j]!] === 1) j++;
    }
  }

  /** A string without escapes at `buf[i]` (its content is `[i + 1, result - 1)`); GIVE_UP for any other value. */
  plainStr(i: number): number {
    const buf = this.buf;
    if (buf[i] !== QUOTE) return GIVE_UP;
    const plain = this.plain;
    let j = i + 1;
    while (plain[buf[j]!] === 1) j++;
    if (buf[j] === QUOTE) return j + 1;
    // Non-ASCII: plain once the message is known to be UTF-8 (the value is then read as it is).
    if (buf[j]! < 0x80 || plain === PLAIN_UTF8 || !isUtf8(this.message)) return GIVE_UP;
    this.plain = PLAIN_UTF8;
    return this.plainStr(i);
  }

  /** Any valid JSON number at `buf[i]`. */
  skipNumber(i: number): number {
    const buf = this.buf;
    let j = i;
    if (buf[j] === MINUS) j++;
    let c = buf[j]!;
    if (c === D0) c = buf[++j]!;
    else {
      if (c < D0 || c > D9) return GIVE_UP;
      do c = buf[++j]!;
      while (c >= D0 && c <= D9);
    }
    if (c === 0x2e) {
      c = buf[++j]!;
      if (c < D0 || c > D9) return GIVE_UP;
      do c = buf[++j]!;
      while (c >= D0 && c <= D9);
    }
    if (c === 0x65 || c === 0x45) {
      c = buf[++j]!;
      if (c === 0x2b || c === MINUS) c = buf[++j]!;
      if (c < D0 || c > D9) return GIVE_UP;
      do c = buf[++j]!;
      while (c >= D0 && c <= D9);
    }
    return j;
  }

  /**
   * A number the scanner reads exactly (`-?(0|[1-9][0-9]*)(\.[0-9]+)?`, at most 15 significant digits, no
   * exponent) into `num`; GIVE_UP for any other.
   */
  decimal(i: number): number {
    const buf = this.buf;
    let j = i;
    let neg = false;
    if (buf[j] === MINUS) {
      neg = true;
      j++;
    }
    const s = j;
    let m = 0;
    while (isDigit(buf[j]!)) m = m * 10 + (buf[j++]! - D0);
    let digits = j - s;
    if (digits === 0 || (digits > 1 && buf[s] === D0)) return GIVE_UP;
    let scale = 0;
    if (buf[j] === 0x2e) {
      const f = ++j;
      while (isDigit(buf[j]!)) m = m * 10 + (buf[j++]! - D0);
      scale = j - f;
      if (scale === 0) return GIVE_UP;
      digits += scale;
    }
    if (digits > 15 || buf[j] === 0x65 || buf[j] === 0x45) return GIVE_UP;
    // m and 10^scale are exact doubles, so one division rounds the decimal's value once: JSON.parse's result.
    const v = scale === 0 ? m : m / POW10[scale]!;
    this.num = neg ? -v : v;
    return j;
  }

  /** An unsigned integer of at most 10 digits (no sign, fraction or exponent) into `num`. */
  uint(i: number): number {
    const buf = this.buf;
    let j = i;
    let v = 0;
    while (isDigit(buf[j]!)) v = v * 10 + (buf[j++]! - D0);
    const n = j - i;
    if (n === 0 || n > 10 || (n > 1 && buf[i] === D0)) return GIVE_UP;
    const c = buf[j];
    if (c === 0x2e || c === 0x65 || c === 0x45) return GIVE_UP;
    this.num = v;
    return j;
  }

  /** A member's key at `buf[i]` (a quote), its colon and the whitespace around: the index of its value. */
  key(i: number): number {
    const buf = this.buf;
    if (buf[i] !== QUOTE) return GIVE_UP;
    let j = this.str(i);
    if (j < 0) return GIVE_UP;
    if (buf[j] !== COLON) {
      j = this.ws(j);
      if (buf[j] !== COLON) return GIVE_UP;
    }
    j++;
    return buf[j]! <= SPACE ? this.ws(j) : j;
  }

  /**
   * Any JSON value at `buf[i]` nested `depth` deep (whitespace skipped before it, not after), checked by the
   * grammar automaton: one table step per byte outside strings. The containers it is inside are the low bits of
   * `stack` (1 for an object), `n` of them.
   */
  skipValue(i: number, depth: number): number {
    const buf = this.buf;
    let s = V_BASE;
    let stack = 0;
    let n = 0;
    for (;;) {
      s = GRAMMAR[(s << 8) | buf[i]!]!;
      if (s < ACTION) {
        i++;
        continue;
      }
      if (s === STRING_KEY) {
        i = this.str(i);
        if (i < 0) return GIVE_UP;
        // A key is followed by its colon (whitespace there is rare: the automaton reads it then).
        if (buf[i] === COLON) {
          i++;
          s = V_OBJ;
        } else s = COLON_NEXT;
        continue;
      }
      if (s === STRING_VALUE) {
        i = this.str(i);
        if (i < 0) return GIVE_UP;
        if (n === 0) return i;
        s = (stack & 1) === 1 ? A_OBJ : A_ARR;
        continue;
      }
      switch (s) {
        case PUSH_OBJECT:
        case PUSH_ARRAY:
          if (depth + n >= UPLINK_SCAN_DEPTH_MAX) return GIVE_UP;
          stack = (stack << 1) | (s === PUSH_OBJECT ? 1 : 0);
          n++;
          s = s === PUSH_OBJECT ? KEY_FIRST : V_ARR_FIRST;
          i++;
          break;
        case POP:
          i++;
          if (--n === 0) return i;
          stack >>>= 1;
          s = (stack & 1) === 1 ? A_OBJ : A_ARR;
          break;
        case DONE:
          return i;
        default:
          return GIVE_UP;
      }
    }
  }

  /**
   * Walks the object at `buf[i]` (a `{`) of kind `level`, reading each member with `field`. Keys with escapes
   * give up (the field they name would not be recognised).
   */
  members(i: number, level: number, depth: number): number {
    const buf = this.buf;
    if (buf[i] !== OPEN || depth >= UPLINK_SCAN_DEPTH_MAX) return GIVE_UP;
    let j = i + 1;
    if (buf[j]! <= SPACE) j = this.ws(j);
    if (buf[j] === CLOSE) return j + 1;
    for (;;) {
      const ks = j + 1;
      j = this.plainStr(j);
      if (j < 0) return GIVE_UP;
      const ke = j - 1;
      if (buf[j] !== COLON) {
        j = this.ws(j);
        if (buf[j] !== COLON) return GIVE_UP;
      }
      j++;
      if (buf[j]! <= SPACE) j = this.ws(j);
      j = this.field(level, ks, ke, j, depth + 1);
      if (j < 0) return GIVE_UP;
      let d = buf[j]!;
      if (d <= SPACE) {
        j = this.ws(j);
        d = buf[j]!;
      }
      if (d === CLOSE) return j + 1;
      if (d !== COMMA) return GIVE_UP;
      j++;
      if (buf[j]! <= SPACE) j = this.ws(j);
    }
  }

  /** Whether field `bit` is read for the first time (a second one gives up: JSON.parse keeps the last). */
  once(bit: number): boolean {
    if ((this.seen & bit) !== 0) return false;
    this.seen |= bit;
    return true;
  }

  /**
   * Reads (or skips) the value at `v` of the member `buf[ks, ke)` of an object of kind `level`. Keys are told
   * apart by length and first byte before they are compared.
   */
  field(level: number, ks: number, ke: number, v: number, depth: number): number {
    const len = ke - ks;
    const c0 = this.buf[ks];
    switch (level) {
      case TTS_TOP:
        if (len === 14) {
          if (c0 === 0x65 && this.is(ks, K_END_DEVICE_IDS))
            return this.once(SEEN_IDS) ? this.members(v, TTS_IDS, depth) : GIVE_UP;
          if (c0 === 0x75 && this.is(ks, K_UPLINK_MESSAGE))
            return this.once(SEEN_UP) ? this.members(v, TTS_UP, depth) : GIVE_UP;
        } else if (len === 11 && this.is(ks, K_RECEIVED_AT))
          return this.once(SEEN_TIME) ? this.time(v) : GIVE_UP;
        break;
      case TTS_IDS:
        if (len === 7 && this.is(ks, K_DEV_EUI)) return this.once(SEEN_EUI) ? this.devEui(v) : GIVE_UP;
        break;
      case TTS_UP:
        if (len === 5) {
          if (this.is(ks, K_F_CNT)) return this.once(SEEN_FCNT) ? this.counter(v) : GIVE_UP;
        } else if (len === 6) {
          if (this.is(ks, K_F_PORT)) return this.once(SEEN_FPORT) ? this.port(v) : GIVE_UP;
        } else if (len === 11) {
          if (c0 === 0x66 && this.is(ks, K_FRM_PAYLOAD))
            return this.once(SEEN_DATA) ? this.payload(v) : GIVE_UP;
          if (c0 === 0x72 && this.is(ks, K_RX_METADATA))
            return this.once(SEEN_RADIO) ? this.radio(v, depth) : GIVE_UP;
        } else if (len === 15 && this.is(ks, K_DECODED_PAYLOAD))
          return this.once(SEEN_DECODED) ? this.decoded(v, depth) : GIVE_UP;
        break;
      case CS_TOP:
        if (len === 4) {
          if (c0 === 0x66 && this.is(ks, K_FCNT)) return this.once(SEEN_FCNT) ? this.counter(v) : GIVE_UP;
          if (c0 === 0x64 && this.is(ks, K_DATA)) return this.once(SEEN_DATA) ? this.payload(v) : GIVE_UP;
          if (c0 === 0x74 && this.is(ks, K_TIME)) return this.once(SEEN_TIME) ? this.time(v) : GIVE_UP;
        } else if (len === 5) {
          if (this.is(ks, K_FPORT)) return this.once(SEEN_FPORT) ? this.port(v) : GIVE_UP;
        } else if (len === 6) {
          if (c0 === 0x72 && this.is(ks, K_RX_INFO))
            return this.once(SEEN_RADIO) ? this.radio(v, depth) : GIVE_UP;
          if (c0 === 0x6f && this.is(ks, K_OBJECT))
            return this.once(SEEN_DECODED) ? this.decoded(v, depth) : GIVE_UP;
        } else if (len === 10 && this.is(ks, K_DEVICE_INFO))
          return this.once(SEEN_IDS) ? this.members(v, CS_INFO, depth) : GIVE_UP;
        break;
      case CS_INFO:
        if (len === 6 && this.is(ks, K_DEV_EUI_CS)) return this.once(SEEN_EUI) ? this.devEui(v) : GIVE_UP;
        break;
      default: {
        // RADIO_GW: one gateway's rssi and snr (numbers; any other value does not count, as in bestRadio).
        const isR = len === 4 && this.is(ks, K_RSSI);
        if (!isR && !(len === 3 && this.is(ks, K_SNR))) break;
        const bit = isR ? 1 : 2;
        if ((this.gwSeen & bit) !== 0) return GIVE_UP;
        this.gwSeen |= bit;
        const c = this.buf[v]!;
        if (c !== MINUS && !isDigit(c)) break;
        const e = this.decimal(v);
        if (e < 0) return GIVE_UP;
        if (isR) this.gwRssi = this.num;
        else this.gwSnr = this.num;
        return e;
      }
    }
    return this.buf[v] === QUOTE ? this.str(v) : this.skipValue(v, depth);
  }

  /** Whether the key at `buf[ks]`, of `key`'s length, is `key`. */
  is(ks: number, key: Uint8Array): boolean {
    const buf = this.buf;
    for (let k = 0; k < key.length; k++) if (buf[ks + k] !== key[k]) return false;
    return true;
  }

  devEui(v: number): number {
    const j = this.plainStr(v);
    this.devEuiS = v + 1;
    this.devEuiE = j - 1;
    return j;
  }

  counter(v: number): number {
    const j = this.uint(v);
    if (j < 0 || this.num > 0xffffffff) return GIVE_UP;
    this.fCnt = this.num;
    return j;
  }

  port(v: number): number {
    const j = this.uint(v);
    if (j < 0 || this.num > 255) return GIVE_UP;
    this.fPort = this.num;
    return j;
  }

  decoded(v: number, depth: number): number {
    const j = this.skipValue(v, depth);
    this.decS = v;
    this.decE = j;
    return j;
  }

  /** A time string read by isoTime into timeMs; GIVE_UP when isoTime does not read it. */
  time(at: number): number {
    const j = this.plainStr(at);
    if (j < 0) return GIVE_UP;
    const t = isoTime(this.buf, at + 1, j - 1);
    if (Number.isNaN(t)) return GIVE_UP;
    this.timeMs = t;
    return j;
  }

  /** A payload: a plain string, or null (as ""). */
  payload(at: number): number {
    const buf = this.buf;
    if (buf[at] === 0x6e) {
      if (buf[at + 1] !== 0x75 || buf[at + 2] !== 0x6c || buf[at + 3] !== 0x6c) return GIVE_UP;
      this.dataS = this.dataE = -1;
      return at + 4;
    }
    const j = this.plainStr(at);
    if (j < 0) return GIVE_UP;
    this.dataS = at + 1;
    this.dataE = j - 1;
    return j;
  }

  /** The radio metadata array: best rssi and snr of its first gateways (a value that is no array counts none). */
  radio(at: number, depth: number): number {
    const buf = this.buf;
    if (buf[at] !== LBRACKET) return this.skipValue(at, depth);
    if (depth >= UPLINK_SCAN_DEPTH_MAX) return GIVE_UP;
    let j = this.ws(at + 1);
    if (buf[j] === RBRACKET) return j + 1;
    for (let n = 0; ; n++) {
      if (n < UPLINK_RADIO_GATEWAYS_MAX && buf[j] === OPEN) {
        this.gwSeen = 0;
        this.gwRssi = Number.NaN;
        this.gwSnr = Number.NaN;
        j = this.members(j, RADIO_GW, depth + 1);
        if (j < 0) return GIVE_UP;
        if (this.gwRssi > this.rssi) this.rssi = this.gwRssi;
        if (this.gwSnr > this.snr) this.snr = this.gwSnr;
      } else {
        j = this.skipValue(j, depth + 1);
        if (j < 0) return GIVE_UP;
      }
      let d = buf[j]!;
      if (d <= SPACE) {
        j = this.ws(j);
        d = buf[j]!;
      }
      if (d === RBRACKET) return j + 1;
      if (d !== COMMA) return GIVE_UP;
      j = this.ws(j + 1);
    }
  }
}

function isDigit(c: number): boolean {
  return c >= D0 && c <= D9;
}

const scanner = new Scanner();

/**
 * Scans an uplink into the shared scanner: what it read (positions into its copy of the message, valid until
 * the next scan), or undefined when the message is not one the scanner fully understands.
 */
export function scanUplinkBytes(
  source: "tts" | "chirpstack",
  payload: Uint8Array,
): ScannedUplink | undefined {
  const sc = scanner;
  sc.load(payload);
  const buf = sc.buf;
  let i = buf[0]! <= SPACE ? sc.ws(0) : 0;
  i = sc.members(i, source === "tts" ? TTS_TOP : CS_TOP, 0);
  if (i < 0) return undefined;
  if (buf[i]! <= SPACE) i = sc.ws(i);
  if (i !== sc.end) return undefined;
  // The objects, the time and the device EUI must be there (else the JSON.parse path names what is missing).
  const need = (source === "tts" ? SEEN_IDS | SEEN_UP : SEEN_IDS) | SEEN_TIME | SEEN_EUI;
  if ((sc.seen & need) !== need) return undefined;
  return sc;
}

/** Base64 digit values; -1 for any other byte. */
const BASE64_VALUE = new Int8Array(256).fill(-1);
for (let d = 0; d < 64; d++)
  BASE64_VALUE["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(d)] = d;
const PAD_CHAR = 0x3d;
const EMPTY = new Uint8Array(0);

/** Longest payload `scannedPayload` decodes into a scratch array. */
const SCRATCH_BYTES_MAX = 64;
/** Scratch arrays by length, made on first use. */
const scratch: Uint8Array[] = [];

/**
 * The payload the scanner found, decoded from base64 (empty when absent or null); undefined when it is not
 * strict base64 (groups of four digits, the last one padded with `=`), the JSON.parse path's error then. Bits
 * after the last whole byte are ignored, as `Buffer.from(s, "base64")` does. The bytes are a new Buffer, or with
 * `transient` (for a reader that keeps no reference to them) a scratch array the next call may overwrite.
 */
export function scannedPayload(sc: ScannedUplink, transient = false): Uint8Array | undefined {
  const s = sc.dataS;
  const len = sc.dataE - s;
  if (s < 0 || len === 0) return transient ? EMPTY : Buffer.alloc(0);
  if ((len & 3) !== 0) return undefined;
  const buf = sc.buf;
  const last = s + len - 4;
  const pad = buf[last + 3] !== PAD_CHAR ? 0 : buf[last + 2] !== PAD_CHAR ? 1 : 2;
  const n = (len >>> 2) * 3 - pad;
  const out =
    transient && n <= SCRATCH_BYTES_MAX ? (scratch[n] ??= new Uint8Array(n)) : Buffer.allocUnsafe(n);
  let bad = 0;
  let o = 0;
  for (let i = s; i < last; i += 4) {
    const a = BASE64_VALUE[buf[i]!]!;
    const b = BASE64_VALUE[buf[i + 1]!]!;
    const c = BASE64_VALUE[buf[i + 2]!]!;
    const d = BASE64_VALUE[buf[i + 3]!]!;
    bad |= a | b | c | d;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >>> 16;
    out[o++] = (v >>> 8) & 255;
    out[o++] = v & 255;
  }
  const a = BASE64_VALUE[buf[last]!]!;
  const b = BASE64_VALUE[buf[last + 1]!]!;
  const c = pad === 2 ? 0 : BASE64_VALUE[buf[last + 2]!]!;
  const d = pad >= 1 ? 0 : BASE64_VALUE[buf[last + 3]!]!;
  bad |= a | b | c | d;
  if (bad < 0) return undefined;
  const v = (a << 18) | (b << 12) | (c << 6) | d;
  out[o++] = v >>> 16;
  if (pad < 2) out[o++] = (v >>> 8) & 255;
  if (pad < 1) out[o] = v & 255;
  return out;
}

/** A byte range as a string (UTF-8). */
function text(buf: Uint8Array, s: number, e: number): string {
  let out = "";
  for (let i = s; i < e; i++) {
    const c = buf[i]!;
    if (c >= 0x80) return Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString("utf8");
    out += String.fromCharCode(c);
  }
  return out;
}

/** The decoded payload the scanner found, as JSON.parse reads it, or undefined. */
export function scannedDecoded(sc: ScannedUplink): unknown {
  return sc.decS < 0 ? undefined : JSON.parse(text(sc.buf, sc.decS, sc.decE));
}

/**
 * The fields of a The Things Stack v3 (`"tts"`) or ChirpStack v4 (`"chirpstack"`) uplink, read from its bytes;
 * undefined when the message is not one the scanner fully understands (read it with JSON.parse then).
 */
export function scanUplink(source: "tts" | "chirpstack", payload: Uint8Array): UplinkFields | undefined {
  const sc = scanUplinkBytes(source, payload);
  if (sc === undefined) return undefined;
  const radio: { rssi?: number; snr?: number } = {};
  if (sc.rssi !== Number.NEGATIVE_INFINITY) radio.rssi = sc.rssi;
  if (sc.snr !== Number.NEGATIVE_INFINITY) radio.snr = sc.snr;
  return {
    devEui: text(sc.buf, sc.devEuiS, sc.devEuiE),
    fCnt: sc.fCnt,
    fPort: sc.fPort,
    data: sc.dataS < 0 ? "" : text(sc.buf, sc.dataS, sc.dataE),
    decoded: scannedDecoded(sc),
    timeMs: sc.timeMs,
    radio,
  };
}

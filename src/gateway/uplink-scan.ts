/**
 * The fast path of uplink JSON: reads the few fields an uplink's events need (device EUI, frame counter, port,
 * payload, decoded payload, receive time, best RSSI and SNR) straight from the message bytes, skipping the rest
 * of the message (radio metadata, settings, ids) without building it. The skip still checks that the whole
 * message is JSON, so a message the scanner accepts is one `JSON.parse` accepts, with the same field values.
 *
 * The scanner reads only messages it fully understands: ASCII bytes only, the fields it reads at most once and of
 * the expected type (strings without escapes, integers without sign, fraction or exponent, RSSI and SNR as plain
 * decimals), a time `isoTime` reads. Anything else (unicode, escapes, duplicate or misspelt fields, numbers it
 * does not read exactly, nesting deeper than UPLINK_SCAN_DEPTH_MAX, any JSON error) returns undefined, and the
 * caller reads the message with `JSON.parse`, which then decides — and names the error.
 */
import { isoTime } from "../wire/jsonl-parse.js";

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

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;
const D0 = 0x30;

/** 1 for JSON whitespace. */
const WS = new Uint8Array(256);
WS[0x20] = WS[0x09] = WS[0x0a] = WS[0x0d] = 1;
/** 1 for bytes a string holds as they are (no quote, backslash, control or non-ASCII byte). */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x80; c++) PLAIN[c] = c === QUOTE || c === BACKSLASH ? 0 : 1;
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

/** Why the scanner gave up: the caller falls back to JSON.parse. */
const GIVE_UP = -1;

/**
 * A one-message scanner. Positions are indices into `buf`; every method returns the index after what it read,
 * or GIVE_UP.
 */
class Scanner {
  buf: Uint8Array = new Uint8Array(0);
  end = 0;
  /** The last string token's content, `[strS, strE)`. */
  strS = 0;
  strE = 0;
  /** The last number read by `num`. */
  num = 0;
  // Fields found (NaN / -1 markers for absent).
  devEuiS = -1;
  devEuiE = -1;
  fCnt = 0;
  fPort = 0;
  dataS = -1;
  dataE = -1;
  /** decoded payload value range, or -1. */
  decS = -1;
  decE = -1;
  timeMs = Number.NaN;
  rssi = Number.NEGATIVE_INFINITY;
  snr = Number.NEGATIVE_INFINITY;
  /** Bit per field read. */
  seen = 0;
  /** The gateway being read: fields seen, its rssi and snr (NaN when it has none). */
  gwSeen = 0;
  gwRssi = Number.NaN;
  gwSnr = Number.NaN;

  reset(buf: Uint8Array): void {
    this.seen = 0;
    this.buf = buf;
    this.end = buf.length;
    this.devEuiS = this.devEuiE = -1;
    this.fCnt = 0;
    this.fPort = 0;
    this.dataS = this.dataE = -1;
    this.decS = this.decE = -1;
    this.timeMs = Number.NaN;
    this.rssi = Number.NEGATIVE_INFINITY;
    this.snr = Number.NEGATIVE_INFINITY;
  }

  /** Skips whitespace at `buf[i]` (compact JSON has none: one table read then). */
  ws(i: number): number {
    const buf = this.buf;
    if (WS[buf[i]!] !== 1) return i;
    const end = this.end;
    do i++;
    while (i < end && WS[buf[i]!] === 1);
    return i;
  }

  /** A string at `buf[i]` (a quote) without escapes: sets strS/strE. GIVE_UP for escapes or anything else. */
  plainString(i: number): number {
    const buf = this.buf;
    if (buf[i] !== QUOTE) return GIVE_UP;
    const s = i + 1;
    let j = s;
    const end = this.end;
    while (j < end && PLAIN[buf[j]!] === 1) j++;
    if (j >= end || buf[j] !== QUOTE) return GIVE_UP;
    this.strS = s;
    this.strE = j;
    return j + 1;
  }

  /** Any valid JSON string at `buf[i]` (a quote), escapes checked. */
  skipString(i: number): number {
    const buf = this.buf;
    const end = this.end;
    let j = i + 1;
    for (;;) {
      while (j < end && PLAIN[buf[j]!] === 1) j++;
      if (j >= end) return GIVE_UP;
      const c = buf[j]!;
      if (c === QUOTE) return j + 1;
      if (c !== BACKSLASH) return GIVE_UP;
      const e = buf[j + 1]!;
      if (ESCAPE[e] !== 1) return GIVE_UP;
      if (e === 0x75) {
        if (j + 6 > end) return GIVE_UP;
        if ((HEX[buf[j + 2]!]! & HEX[buf[j + 3]!]! & HEX[buf[j + 4]!]! & HEX[buf[j + 5]!]!) !== 1)
          return GIVE_UP;
        j += 6;
      } else j += 2;
    }
  }

  /** Any valid JSON number at `buf[i]`. */
  skipNumber(i: number): number {
    const buf = this.buf;
    const end = this.end;
    let j = i;
    if (buf[j] === MINUS) j++;
    if (j >= end) return GIVE_UP;
    if (buf[j] === D0) j++;
    else {
      const s = j;
      while (j < end && isDigit(buf[j]!)) j++;
      if (j === s) return GIVE_UP;
    }
    if (buf[j] === 0x2e) {
      const s = ++j;
      while (j < end && isDigit(buf[j]!)) j++;
      if (j === s) return GIVE_UP;
    }
    if (buf[j] === 0x65 || buf[j] === 0x45) {
      j++;
      if (buf[j] === 0x2b || buf[j] === MINUS) j++;
      const s = j;
      while (j < end && isDigit(buf[j]!)) j++;
      if (j === s) return GIVE_UP;
    }
    return j;
  }

  /**
   * A number the scanner reads exactly (`-?(0|[1-9][0-9]*)(\.[0-9]+)?`, at most 15 significant digits, no
   * exponent) into `num`; GIVE_UP for any other.
   */
  decimal(i: number): number {
    const buf = this.buf;
    const end = this.end;
    let j = i;
    let neg = false;
    if (buf[j] === MINUS) {
      neg = true;
      j++;
    }
    const s = j;
    let m = 0;
    while (j < end && isDigit(buf[j]!)) m = m * 10 + (buf[j++]! - D0);
    let digits = j - s;
    if (digits === 0 || (digits > 1 && buf[s] === D0)) return GIVE_UP;
    let scale = 0;
    if (buf[j] === 0x2e) {
      const f = ++j;
      while (j < end && isDigit(buf[j]!)) m = m * 10 + (buf[j++]! - D0);
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
    const end = this.end;
    let j = i;
    let v = 0;
    while (j < end && isDigit(buf[j]!)) v = v * 10 + (buf[j++]! - D0);
    const n = j - i;
    if (n === 0 || n > 10 || (n > 1 && buf[i] === D0)) return GIVE_UP;
    const c = buf[j];
    if (c === 0x2e || c === 0x65 || c === 0x45) return GIVE_UP;
    this.num = v;
    return j;
  }

  /** Any JSON value at `buf[i]` (whitespace skipped before it, not after). */
  skipValue(i: number, depth: number): number {
    const buf = this.buf;
    const c = buf[i];
    if (c === QUOTE) return this.skipString(i);
    if (c === OPEN) {
      if (depth >= UPLINK_SCAN_DEPTH_MAX) return GIVE_UP;
      let j = this.ws(i + 1);
      if (buf[j] === CLOSE) return j + 1;
      for (;;) {
        if (buf[j] !== QUOTE) return GIVE_UP;
        j = this.skipString(j);
        if (j < 0) return GIVE_UP;
        j = this.ws(j);
        if (buf[j] !== COLON) return GIVE_UP;
        j = this.ws(j + 1);
        j = this.skipValue(j, depth + 1);
        if (j < 0) return GIVE_UP;
        j = this.ws(j);
        const d = buf[j];
        if (d === CLOSE) return j + 1;
        if (d !== COMMA) return GIVE_UP;
        j = this.ws(j + 1);
      }
    }
    if (c === LBRACKET) {
      if (depth >= UPLINK_SCAN_DEPTH_MAX) return GIVE_UP;
      let j = this.ws(i + 1);
      if (buf[j] === RBRACKET) return j + 1;
      for (;;) {
        j = this.skipValue(j, depth + 1);
        if (j < 0) return GIVE_UP;
        j = this.ws(j);
        const d = buf[j];
        if (d === RBRACKET) return j + 1;
        if (d !== COMMA) return GIVE_UP;
        j = this.ws(j + 1);
      }
    }
    if (c === MINUS || (c !== undefined && isDigit(c))) return this.skipNumber(i);
    if (c === 0x74) return this.literal(i, "true");
    if (c === 0x66) return this.literal(i, "false");
    if (c === 0x6e) return this.literal(i, "null");
    return GIVE_UP;
  }

  literal(i: number, word: string): number {
    if (i + word.length > this.end) return GIVE_UP;
    for (let k = 1; k < word.length; k++) if (this.buf[i + k] !== word.charCodeAt(k)) return GIVE_UP;
    return i + word.length;
  }

  /**
   * Walks the object at `buf[i]` (a `{`) of kind `level`, reading each member with `field`. Keys with escapes
   * give up (the field they name would not be recognised).
   */
  members(i: number, level: number, depth: number): number {
    const buf = this.buf;
    if (buf[i] !== OPEN || depth >= UPLINK_SCAN_DEPTH_MAX) return GIVE_UP;
    let j = this.ws(i + 1);
    if (buf[j] === CLOSE) return j + 1;
    for (;;) {
      j = this.plainString(j);
      if (j < 0) return GIVE_UP;
      const ks = this.strS;
      const ke = this.strE;
      j = this.ws(j);
      if (buf[j] !== COLON) return GIVE_UP;
      j = this.ws(j + 1);
      j = this.field(level, ks, ke, j, depth + 1);
      if (j < 0) return GIVE_UP;
      j = this.ws(j);
      const d = buf[j];
      if (d === CLOSE) return j + 1;
      if (d !== COMMA) return GIVE_UP;
      j = this.ws(j + 1);
    }
  }

  /** Whether field `bit` is read for the first time (a second one gives up: JSON.parse keeps the last). */
  once(bit: number): boolean {
    if ((this.seen & bit) !== 0) return false;
    this.seen |= bit;
    return true;
  }

  /** Reads (or skips) the value at `v` of the member `buf[ks, ke)` of an object of kind `level`. */
  field(level: number, ks: number, ke: number, v: number, depth: number): number {
    switch (level) {
      case TTS_TOP:
        if (this.is(ks, ke, K_END_DEVICE_IDS))
          return this.once(1) ? this.members(v, TTS_IDS, depth) : GIVE_UP;
        if (this.is(ks, ke, K_UPLINK_MESSAGE)) return this.once(4) ? this.members(v, TTS_UP, depth) : GIVE_UP;
        if (this.is(ks, ke, K_RECEIVED_AT)) return this.once(256) ? this.time(v) : GIVE_UP;
        break;
      case TTS_IDS:
        if (this.is(ks, ke, K_DEV_EUI)) return this.once(2) ? this.devEui(v) : GIVE_UP;
        break;
      case TTS_UP:
        if (this.is(ks, ke, K_F_CNT)) return this.once(8) ? this.counter(v) : GIVE_UP;
        if (this.is(ks, ke, K_F_PORT)) return this.once(16) ? this.port(v) : GIVE_UP;
        if (this.is(ks, ke, K_FRM_PAYLOAD)) return this.once(32) ? this.payload(v) : GIVE_UP;
        if (this.is(ks, ke, K_DECODED_PAYLOAD)) return this.once(64) ? this.decoded(v, depth) : GIVE_UP;
        if (this.is(ks, ke, K_RX_METADATA)) return this.once(128) ? this.radio(v, depth) : GIVE_UP;
        break;
      case CS_TOP:
        if (this.is(ks, ke, K_DEVICE_INFO)) return this.once(1) ? this.members(v, CS_INFO, depth) : GIVE_UP;
        if (this.is(ks, ke, K_FCNT)) return this.once(8) ? this.counter(v) : GIVE_UP;
        if (this.is(ks, ke, K_FPORT)) return this.once(16) ? this.port(v) : GIVE_UP;
        if (this.is(ks, ke, K_DATA)) return this.once(32) ? this.payload(v) : GIVE_UP;
        if (this.is(ks, ke, K_OBJECT)) return this.once(64) ? this.decoded(v, depth) : GIVE_UP;
        if (this.is(ks, ke, K_RX_INFO)) return this.once(128) ? this.radio(v, depth) : GIVE_UP;
        if (this.is(ks, ke, K_TIME)) return this.once(256) ? this.time(v) : GIVE_UP;
        break;
      case CS_INFO:
        if (this.is(ks, ke, K_DEV_EUI_CS)) return this.once(2) ? this.devEui(v) : GIVE_UP;
        break;
      default: {
        // RADIO_GW: one gateway's rssi and snr (numbers; any other value does not count, as in bestRadio).
        const isR = this.is(ks, ke, K_RSSI);
        if (!isR && !this.is(ks, ke, K_SNR)) break;
        const bit = isR ? 1 : 2;
        if ((this.gwSeen & bit) !== 0) return GIVE_UP;
        this.gwSeen |= bit;
        const c = this.buf[v];
        if (c !== MINUS && !(c !== undefined && isDigit(c))) break;
        const e = this.decimal(v);
        if (e < 0) return GIVE_UP;
        if (isR) this.gwRssi = this.num;
        else this.gwSnr = this.num;
        return e;
      }
    }
    return this.skipValue(v, depth);
  }

  devEui(v: number): number {
    const j = this.plainString(v);
    this.devEuiS = this.strS;
    this.devEuiE = this.strE;
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

  is(ks: number, ke: number, key: Uint8Array): boolean {
    if (ke - ks !== key.length) return false;
    const buf = this.buf;
    for (let k = 0; k < key.length; k++) if (buf[ks + k] !== key[k]) return false;
    return true;
  }

  /** A time string read by isoTime into timeMs; GIVE_UP when isoTime does not read it. */
  time(at: number): number {
    const j = this.plainString(at);
    if (j < 0) return GIVE_UP;
    const t = isoTime(this.buf, this.strS, this.strE);
    if (Number.isNaN(t)) return GIVE_UP;
    this.timeMs = t;
    return j;
  }

  /** A payload: a plain string, or null (as ""). */
  payload(at: number): number {
    if (this.buf[at] === 0x6e) {
      const j = this.literal(at, "null");
      if (j < 0) return GIVE_UP;
      this.dataS = this.dataE = -1;
      return j;
    }
    const j = this.plainString(at);
    if (j < 0) return GIVE_UP;
    this.dataS = this.strS;
    this.dataE = this.strE;
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
      j = this.ws(j);
      const d = buf[j];
      if (d === RBRACKET) return j + 1;
      if (d !== COMMA) return GIVE_UP;
      j = this.ws(j + 1);
    }
  }
}

function isDigit(c: number): boolean {
  return c >= D0 && c <= D0 + 9;
}

/** An ASCII byte range as a string. */
function text(buf: Uint8Array, s: number, e: number): string {
  let out = "";
  for (let i = s; i < e; i++) out += String.fromCharCode(buf[i]!);
  return out;
}

const scanner = new Scanner();

/**
 * The fields of a The Things Stack v3 (`"tts"`) or ChirpStack v4 (`"chirpstack"`) uplink, read from its bytes;
 * undefined when the message is not one the scanner fully understands (read it with JSON.parse then).
 */
export function scanUplink(source: "tts" | "chirpstack", payload: Uint8Array): UplinkFields | undefined {
  const sc = scanner;
  sc.reset(payload);
  const buf = payload;
  const i = sc.members(sc.ws(0), source === "tts" ? TTS_TOP : CS_TOP, 0);
  // The objects and the time must be there (else the JSON.parse path names what is missing).
  const need = source === "tts" ? 1 | 4 | 256 : 1 | 256;
  if (i < 0 || (sc.seen & need) !== need) return undefined;
  if (sc.ws(i) !== buf.length) return undefined;
  // A device EUI the scanner did not read (absent, or not a string) is the JSON.parse path's to name.
  if ((sc.seen & 2) === 0) return undefined;
  const radio: { rssi?: number; snr?: number } = {};
  if (sc.rssi !== Number.NEGATIVE_INFINITY) radio.rssi = sc.rssi;
  if (sc.snr !== Number.NEGATIVE_INFINITY) radio.snr = sc.snr;
  return {
    devEui: text(buf, sc.devEuiS, sc.devEuiE),
    fCnt: sc.fCnt,
    fPort: sc.fPort,
    data: sc.dataS < 0 ? "" : text(buf, sc.dataS, sc.dataE),
    decoded: sc.decS < 0 ? undefined : JSON.parse(text(buf, sc.decS, sc.decE)),
    timeMs: sc.timeMs,
    radio,
  };
}

/**
 * The strings the JSON Lines reader matches in place (keys, event types, vehicle names, annotation keys) and the
 * bit of each key in a line's key set. See Tokens for how a match is made.
 */
import { vehicleCode } from "../catalog/vehicles.js";
import { ascii } from "./json-bytes.js";
import { EVENT_KEYS } from "./jsonl.js";
import { EVENT_TYPES } from "./kinds.js";

/** A field's bit in the set of keys a line has. */
export const F_ID = 1;
export const F_TYPE = 2;
export const F_TIME = 4;
export const F_ZONE = 8;
export const F_SPACE = 16;
export const F_DEVICE = 32;
export const F_VEHICLE = 64;
export const F_SEQ = 128;
export const F_OCCUPIED = 256;
export const F_COUNT = 512;
export const F_SESSION = 1024;
export const F_COST = 2048;

export const KEY_FIELDS: readonly number[] = [
  F_ID,
  F_TYPE,
  F_TIME,
  F_ZONE,
  F_SPACE,
  F_DEVICE,
  F_VEHICLE,
  F_SEQ,
  F_OCCUPIED,
  F_COUNT,
  F_SESSION,
  F_COST,
];
export const KEY_COUNT = EVENT_KEYS.length;

/** Most 8-byte words a token is compared by. */
export const TOKEN_WORDS_MAX = 4;

/**
 * Known strings (keys, event types, vehicle names), each with what must follow it (a key's closing quote and
 * colon, a value's closing quote), matched in place: as the 8-byte words that cover the token (the last one
 * overlapping the one before when its length is not a multiple of 8), read as float64 — tokens are ASCII, so no
 * word is a NaN or a zero and equal floats are equal bytes —, as two overlapping 32-bit words under 8 bytes, byte
 * by byte under 4. A match is exact: the token's bytes, nothing else.
 */
export class Tokens {
  readonly count: number;
  /** Bytes of each token, its suffix included. */
  readonly length: Int32Array;
  private readonly wordCount: Int32Array;
  private readonly words: Float64Array;
  /** First and last 32-bit words of tokens of 4 to 7 bytes. */
  private readonly small: Int32Array;
  private readonly bytes: readonly Uint8Array[];

  constructor(names: readonly string[], suffix: string) {
    this.count = names.length;
    this.length = new Int32Array(this.count);
    this.wordCount = new Int32Array(this.count);
    this.words = new Float64Array(this.count * TOKEN_WORDS_MAX);
    this.small = new Int32Array(this.count * 2);
    this.bytes = names.map((name) => ascii(name + suffix));
    for (let t = 0; t < this.count; t++) {
      const token = this.bytes[t]!;
      const n = token.length;
      const dv = new DataView(token.buffer, token.byteOffset, n);
      this.length[t] = n;
      if (n >= 8) {
        const m = (n + 7) >> 3;
        if (m > TOKEN_WORDS_MAX) throw new RangeError(`token ${names[t]} is too long`);
        this.wordCount[t] = m;
        for (let w = 0; w < m; w++)
          this.words[t * TOKEN_WORDS_MAX + w] = dv.getFloat64(Math.min(w * 8, n - 8), true);
      } else if (n >= 4) {
        this.small[t * 2] = dv.getInt32(0, true);
        this.small[t * 2 + 1] = dv.getInt32(n - 4, true);
      }
    }
  }

  /** Whether token `t` is at `buf[p]`, within `lim` (`dv` views `buf`). */
  at(dv: DataView, buf: Uint8Array, p: number, lim: number, t: number): boolean {
    const n = this.length[t]!;
    if (p + n > lim) return false;
    if (n >= 8) {
      const base = t * TOKEN_WORDS_MAX;
      const last = this.wordCount[t]! - 1;
      for (let w = 0; w < last; w++)
        if (dv.getFloat64(p + w * 8, true) !== this.words[base + w]) return false;
      return dv.getFloat64(p + n - 8, true) === this.words[base + last];
    }
    if (n >= 4)
      return (
        dv.getInt32(p, true) === this.small[t * 2] && dv.getInt32(p + n - 4, true) === this.small[t * 2 + 1]
      );
    const b = this.bytes[t]!;
    for (let i = 0; i < n; i++) if (buf[p + i] !== b[i]) return false;
    return true;
  }

  /** The token at `buf[p]` (within `lim`): `hint` is tried first; -1 when none is there. */
  find(dv: DataView, buf: Uint8Array, p: number, lim: number, hint: number): number {
    if (hint >= 0 && this.at(dv, buf, p, lim, hint)) return hint;
    // A token of 8 bytes or more starts with its first word: one compare rules most of them out (0 is no word).
    const first = p + 8 <= lim ? dv.getFloat64(p, true) : 0;
    for (let t = 0; t < this.count; t++) {
      if (t === hint || (this.length[t]! >= 8 && this.words[t * TOKEN_WORDS_MAX] !== first)) continue;
      if (this.at(dv, buf, p, lim, t)) return t;
    }
    return -1;
  }
}

/** Keys in EVENT_KEYS order, each with its closing quote and the colon right after it. */
export const KEYS = new Tokens(EVENT_KEYS, '":');
/** The same keys after the comma before them and their opening quote (a key that follows another). */
export const NEXT_KEYS = new Tokens(
  EVENT_KEYS.map((key) => `,"${key}`),
  '":',
);
/** Event types, in wire-code order. */
export const TYPES = new Tokens(EVENT_TYPES, '"');
/** Vehicle type names and aliases that vehicleCode knows, and their codes. */
export const VEHICLE_NAMES: readonly string[] = [
  "unspecified",
  "other",
  "motorcycle",
  "moped",
  "scooter",
  "scooter_seated",
  "2",
  "three_wheeler",
  "bajaj",
  "bentor",
  "3",
  "car",
  "van",
  "4",
  "heavy",
  "truck",
  "bus",
  "freight",
  "6",
];
export const VEHICLES = new Tokens(VEHICLE_NAMES, '"');
export const VEHICLE_CODES_OF: readonly number[] = VEHICLE_NAMES.map(vehicleCode);
export const NOTE_SESSION = ascii('"event_session_id":"');
export const NOTE_DEVICE = ascii('"data_source_device_id":"');
export const NOTE_SPACE = ascii('"curb_space_id":"');

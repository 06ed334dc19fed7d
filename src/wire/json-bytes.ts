/**
 * Byte-level pieces of the JSON scanners (the JSON Lines reader, the uplink scanner): ASCII byte values, the
 * plain-string token check, FNV-1a over a byte range, ISO-8601 times read from bytes. No allocation on the hot
 * paths.
 */
import { daysInMonth } from "./events.js";
import { FNV_BASIS, FNV_PRIME } from "./id-table.js";

/** ASCII bytes the scanners look for. */
export const QUOTE = 0x22;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const BACKSLASH = 0x5c;
export const OPEN = 0x7b;
export const CLOSE = 0x7d;
export const SPACE = 0x20;
export const TAB = 0x09;
export const CR = 0x0d;
export const NL = 0x0a;
export const D0 = 0x30;

/** An ASCII string as its bytes. */
export const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** "true" and "fals" as little-endian 32-bit words. */
export const WORD_TRUE = 0x65757274;
export const WORD_FALS = 0x736c6166;

/**
 * Reads a string token at `buf[i]` (a quote) whose content is 1 to 256 bytes of printable ASCII without the
 * backslash (no escapes): returns the index after its closing quote, or -1. Four bytes at a time while none of
 * them ends the string or breaks the rule (`dv` views `buf`), then byte by byte.
 */
export function plain(buf: Uint8Array, dv: DataView, i: number, end: number): number {
  if (buf[i] !== QUOTE) return -1;
  const s = i + 1;
  let j = s;
  while (j + 4 <= end) {
    const x = dv.getInt32(j, true);
    const q = x ^ 0x22222222;
    const b = x ^ 0x5c5c5c5c;
    // A byte under 0x20 or over 0x7e, a quote or a backslash in the word (SWAR: a lane's high bit set).
    const bad =
      ((x - 0x20202020) & ~x) | (x + 0x01010101) | x | ((q - 0x01010101) & ~q) | ((b - 0x01010101) & ~b);
    if ((bad & 0x80808080) !== 0) break;
    j += 4;
  }
  for (;;) {
    if (j >= end) return -1;
    const c = buf[j]!;
    if (c === QUOTE) break;
    if (c < SPACE || c > 0x7e || c === BACKSLASH) return -1;
    j++;
  }
  const len = j - s;
  return len === 0 || len > 256 ? -1 : j + 1;
}

/** Running FNV-1a hash of `buf[s, e)` (see id-table.ts). */
export function fnv(buf: Uint8Array, s: number, e: number): number {
  let h = FNV_BASIS;
  for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i]!, FNV_PRIME) >>> 0;
  return h;
}

/** The index of the first byte at or after `i` that is not a space or a tab (or `end`). */
export function skipWs(buf: Uint8Array, i: number, end: number): number {
  while (i < end && (buf[i] === SPACE || buf[i] === TAB)) i++;
  return i;
}

/** An ASCII byte range as a string (cold: unknown ids only). */
export function text(buf: Uint8Array, s: number, e: number): string {
  let out = "";
  for (let i = s; i < e; i++) out += String.fromCharCode(buf[i]!);
  return out;
}

/** Two ASCII digits at buf[i], or -1. */
export function two(buf: Uint8Array, i: number): number {
  const a = buf[i]! - D0;
  const b = buf[i + 1]! - D0;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * `YYYY-MM-DDTHH:MM[:SS[.fffffffff]](Z|±HH:MM)` in `buf[s, e)` as ms since the epoch, the same value
 * parseEventTime gives; NaN for anything it does not read (the fallback then decides): an impossible date or
 * time, hour 24, a time before 1970.
 */
export function isoTime(buf: Uint8Array, s: number, e: number): number {
  const len = e - s;
  if (len < 17) return Number.NaN;
  const y1 = two(buf, s);
  const y2 = two(buf, s + 2);
  const mo = two(buf, s + 5);
  const d = two(buf, s + 8);
  const h = two(buf, s + 11);
  const mi = two(buf, s + 14);
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
    buf[s + 4] !== 0x2d ||
    buf[s + 7] !== 0x2d ||
    buf[s + 10] !== 0x54 ||
    buf[s + 13] !== COLON
  )
    return Number.NaN;
  const y = y1 * 100 + y2;
  if (d > daysInMonth(y, mo)) return Number.NaN;
  let i = s + 16;
  let sec = 0;
  let ms = 0;
  if (buf[i] === COLON) {
    if (i + 3 > e) return Number.NaN;
    sec = two(buf, i + 1);
    if (sec < 0 || sec > 59) return Number.NaN;
    i += 3;
    if (i < e && buf[i] === 0x2e) {
      i++;
      let digits = 0;
      while (i < e && buf[i]! >= D0 && buf[i]! <= D0 + 9) {
        // Date.parse keeps milliseconds and drops finer digits.
        if (digits < 3) ms = ms * 10 + (buf[i]! - D0);
        digits++;
        i++;
      }
      if (digits === 0 || digits > 9) return Number.NaN;
      for (let k = digits; k < 3; k++) ms *= 10;
    }
  }
  let offsetMin = 0;
  if (i + 1 === e && buf[i] === 0x5a) {
    // Z
  } else if (i + 6 === e && (buf[i] === 0x2b || buf[i] === 0x2d) && buf[i + 3] === COLON) {
    const oh = two(buf, i + 1);
    const om = two(buf, i + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN;
    offsetMin = (oh * 60 + om) * (buf[i] === 0x2b ? 1 : -1);
  } else return Number.NaN;
  const t = ((daysFromCivil(y, mo, d) * 24 + h) * 60 + mi - offsetMin) * 60_000 + sec * 1000 + ms;
  return t >= 0 ? t : Number.NaN;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * ISO-8601 times read from kernel memory: a port of `isoTime` in src/wire/jsonl-parse.ts (with `daysInMonth` of
 * src/wire/events.ts), shared by the `jsonl` and `uplink_simd` kernels. Not a kernel of its own: it has no
 * exports in any module's interface, only in the modules that import it.
 */

const D0: u32 = 0x30;
const COLON: u32 = 0x3a;
const MINUS: u32 = 0x2d;
const PLUS: u32 = 0x2b;

function at(p: usize): u32 {
  return u32(load<u8>(p));
}

/** Two ASCII digits at `p`, or -1. */
function two(p: usize): i32 {
  const a = i32(at(p)) - i32(D0);
  const b = i32(at(p + 1)) - i32(D0);
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function daysInMonth(year: i32, month: i32): i32 {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil; floor divisions). */
function daysFromCivil(year: i32, month: i32, day: i32): i64 {
  const y = month <= 2 ? year - 1 : year;
  const era = (y >= 0 ? y : y - 399) / 400;
  const yoe = y - era * 400;
  const doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return i64(era) * 146097 + i64(doe) - 719468;
}

/**
 * `YYYY-MM-DDTHH:MM[:SS[.fffffffff]](Z|±HH:MM)` in `[s, e)` as ms since the epoch, isoTime's value; NaN for
 * anything isoTime does not read (and for times before the epoch). Integer arithmetic: every intermediate value
 * is an integer below 2^53, as in the reference's doubles.
 */
export function isoTime(s: usize, e: usize): f64 {
  if (e - s < 17) return NaN;
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
    at(s + 4) !== MINUS ||
    at(s + 7) !== MINUS ||
    at(s + 10) !== 0x54 ||
    at(s + 13) !== COLON
  )
    return NaN;
  const y = y1 * 100 + y2;
  if (d > daysInMonth(y, mo)) return NaN;
  let i = s + 16;
  let sec = 0;
  let ms = 0;
  if (at(i) === COLON) {
    if (i + 3 > e) return NaN;
    sec = two(i + 1);
    if (sec < 0 || sec > 59) return NaN;
    i += 3;
    if (i < e && at(i) === 0x2e) {
      i++;
      let digits = 0;
      while (i < e && at(i) - D0 < 10) {
        // Date.parse keeps milliseconds and drops finer digits.
        if (digits < 3) ms = ms * 10 + i32(at(i) - D0);
        digits++;
        i++;
      }
      if (digits === 0 || digits > 9) return NaN;
      for (let k = digits; k < 3; k++) ms *= 10;
    }
  }
  let offsetMin = 0;
  if (i + 1 === e && at(i) === 0x5a) {
    // Z
  } else if (i + 6 === e && (at(i) === PLUS || at(i) === MINUS) && at(i + 3) === COLON) {
    const oh = two(i + 1);
    const om = two(i + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
    offsetMin = (oh * 60 + om) * (at(i) === PLUS ? 1 : -1);
  } else return NaN;
  const t =
    ((daysFromCivil(y, mo, d) * 24 + i64(h)) * 60 + i64(mi) - i64(offsetMin)) * 60000 +
    i64(sec) * 1000 +
    i64(ms);
  return t >= 0 ? f64(t) : NaN;
}

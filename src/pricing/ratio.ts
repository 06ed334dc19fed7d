/**
 * Exact ratios for controller thresholds. A threshold in the policy (`0.85`, `0.6`) is the decimal
 * number as written, n / d with d a power of ten; an occupancy is occupied / known bay-milliseconds,
 * both integers. Comparing the two is comparing a·d with n·b, done exactly (see `compareRatio`), so a
 * decision never depends on floating-point rounding.
 */

/** An exact non-negative-denominator rational: [numerator, denominator], both safe integers, d > 0. */
export type Ratio = readonly [number, number];

/** Most decimal places a threshold may have (its denominator divides 10^12, well below 2^53). */
export const RATIO_DECIMALS_MAX = 12;

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/;

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function reduce(n: bigint, d: bigint): Ratio | null {
  const g = gcd(n, d);
  const rn = g === 0n ? 0n : n / g;
  const rd = g === 0n ? 1n : d / g;
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  if (rd > max || rn > max || rn < -max) return null;
  return [Number(rn), Number(rd)];
}

/**
 * The exact value of a threshold as written: the shortest decimal that reads back as the same
 * double (what `String(x)` prints, i.e. the policy's JSON text for any number written with at most
 * 15 significant digits), as a reduced fraction. Null when it is not finite or has more than
 * RATIO_DECIMALS_MAX decimal places.
 *
 * @example decimalRatio(0.85) // [17, 20]
 */
export function decimalRatio(x: number): Ratio | null {
  if (!Number.isFinite(x)) return null;
  const m = DECIMAL.exec(String(x));
  if (m === null) return null;
  const frac = m[3] ?? "";
  const exp = Number(m[4] ?? 0) - frac.length;
  let n = BigInt(m[2]! + frac);
  if (m[1] === "-") n = -n;
  if (exp >= 0) return reduce(n * 10n ** BigInt(exp), 1n);
  const r = reduce(n, 10n ** BigInt(-exp));
  // Reduced, the denominator divides 10^-exp; more than 12 places is refused even when it reduces.
  return r === null || 10 ** RATIO_DECIMALS_MAX % r[1] !== 0 ? null : r;
}

/** x + sign·y exactly (sign ±1). */
export function addRatio(x: Ratio, y: Ratio, sign: 1 | -1): Ratio | null {
  const n = BigInt(x[0]) * BigInt(y[1]) + BigInt(sign) * BigInt(y[0]) * BigInt(x[1]);
  return reduce(n, BigInt(x[1]) * BigInt(y[1]));
}

/**
 * Sign of a/b − n/d, exactly, for integers a ≥ 0, b > 0, d > 0 and n, all of magnitude below 2^53.
 *
 * Why it is exact: when the double products a·d and n·b both lie within ±(2^53 − 1), they are the
 * exact products (rounding is monotone, so an exact integer product of 2^53 or more would round to at
 * least 2^53; an integer below 2^53 in magnitude is a double). Otherwise the products are taken in
 * BigInt. Occupancy sums of a controller period stay below 2^53 (capacity × period length), so the
 * fast branch covers thresholds with few decimals and all but very large periods; the BigInt branch
 * allocates but runs at most once per slot and decision.
 */
export function compareRatio(a: number, b: number, n: number, d: number): -1 | 0 | 1 {
  const x = a * d;
  const y = n * b;
  const max = Number.MAX_SAFE_INTEGER;
  if (x <= max && y <= max && y >= -max) return x < y ? -1 : x > y ? 1 : 0;
  if (
    !(
      Number.isSafeInteger(a) &&
      Number.isSafeInteger(b) &&
      Number.isSafeInteger(n) &&
      Number.isSafeInteger(d)
    )
  ) {
    // Outside the contract (not integers): compare the quotients as doubles rather than throw.
    const u = a / b;
    const v = n / d;
    return u < v ? -1 : u > v ? 1 : 0;
  }
  const bx = BigInt(a) * BigInt(d);
  const by = BigInt(n) * BigInt(b);
  return bx < by ? -1 : bx > by ? 1 : 0;
}

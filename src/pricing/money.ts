/**
 * Money in integer minor units (rupiah for IDR, cents for USD): rounding to a policy step and
 * formatting for human-readable decision rules. Formatting is hand-written rather than Intl so the
 * text is byte-identical on every Node/ICU version.
 */

/** How an amount is brought to a multiple of the policy's rounding step. */
export type RoundingRule = "nearest" | "up" | "down";

/** Rounding rule codes used in compiled tables (kernel side). */
export const ROUNDING_CODES: Readonly<Record<RoundingRule, number>> = { nearest: 0, up: 1, down: 2 };

/**
 * Rounds a non-negative integer amount to a multiple of `step` (ties round up under "nearest").
 * Monotone non-decreasing in `amount` for every rule, which keeps quotes monotone.
 *
 * @example roundToStep(1250, 500, "nearest") // 1500
 */
export function roundToStep(amount: number, step: number, rule: RoundingRule | number): number {
  const code = typeof rule === "number" ? rule : ROUNDING_CODES[rule];
  const r = amount % step;
  if (r === 0) return amount;
  const down = amount - r;
  if (code === 2) return down;
  if (code === 1) return down + step;
  return r * 2 >= step ? down + step : down;
}

/** Largest multiple of `step` that is ≤ `amount`. */
export function floorToStep(amount: number, step: number): number {
  return Math.floor(amount / step) * step;
}

/** Smallest multiple of `step` that is ≥ `amount`. */
export function ceilToStep(amount: number, step: number): number {
  return Math.ceil(amount / step) * step;
}

/** Digits after the decimal point of the minor unit, for currencies whose minor unit is not 1/100. */
const MINOR_DIGITS: Readonly<Record<string, number>> = { IDR: 0, JPY: 0, KRW: 0, VND: 0, CLP: 0 };
const SYMBOLS: Readonly<Record<string, string>> = { IDR: "Rp", USD: "$", EUR: "€", CAD: "CA$" };

/**
 * Formats integer minor units for people, deterministically: `Rp1,500`, `$0.25`, `-Rp500`.
 * IDR is counted in whole rupiah (the project's minor unit for IDR).
 *
 * @example formatMoney(1500, "IDR") // "Rp1,500"
 */
export function formatMoney(amountMinor: number, currency: string): string {
  const digits = MINOR_DIGITS[currency] ?? 2;
  const sign = amountMinor < 0 ? "-" : "";
  const abs = Math.abs(Math.round(amountMinor));
  const scale = 10 ** digits;
  const major = Math.floor(abs / scale);
  const minor = abs % scale;
  const majorText = String(major).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const text = digits === 0 ? majorText : `${majorText}.${String(minor).padStart(digits, "0")}`;
  const symbol = SYMBOLS[currency];
  return symbol === undefined ? `${sign}${text} ${currency}` : `${sign}${symbol}${text}`;
}

/** Formats a signed change: `+Rp500`, `−Rp500` (with a true minus sign), `±Rp0`. */
export function formatChange(deltaMinor: number, currency: string): string {
  if (deltaMinor === 0) return `±${formatMoney(0, currency)}`;
  return `${deltaMinor > 0 ? "+" : "−"}${formatMoney(Math.abs(deltaMinor), currency)}`;
}

/**
 * How people in the city read numbers and times: money as `Rp 2.000`, times as `14.05 WITA`, shares
 * as `85 %`. Hand-written rather than Intl so output is byte-identical on every Node/ICU version.
 */

import type { LocalClock } from "../pricing/localtime.js";
import { formatMoney } from "../pricing/money.js";

/** Indonesian abbreviations of Indonesia's time zones; other zones go by their IANA name. */
const ZONE_LABEL: Readonly<Record<string, string>> = {
  "Asia/Jakarta": "WIB",
  "Asia/Pontianak": "WIB",
  "Asia/Makassar": "WITA",
  "Asia/Jayapura": "WIT",
};

/** Short name of a time zone for people (`WITA` for Asia/Makassar). */
export function zoneLabel(timeZone: string): string {
  return ZONE_LABEL[timeZone] ?? timeZone;
}

/**
 * Money for people: rupiah as `Rp 2.000` (dot thousands, as Indonesians write it); other currencies
 * as formatMoney writes them.
 *
 * @example money(12500, "IDR") // "Rp 12.500"
 */
export function money(minor: number, currency: string): string {
  if (currency !== "IDR") return formatMoney(minor, currency);
  const sign = minor < 0 ? "−" : "";
  return `${sign}Rp ${String(Math.abs(Math.round(minor))).replace(/\B(?=(\d{3})+(?!\d))/g, ".")}`;
}

/** Local wall time `HH:MM` of instant t. */
export function hhmm(clock: LocalClock, t: number): string {
  return clock.iso(t).slice(11, 16);
}

/** Local `YYYY-MM-DD HH:MM` of instant t. */
export function dateTime(clock: LocalClock, t: number): string {
  const iso = clock.iso(t);
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** A share in [0, 1] as a whole percentage `85 %`. */
export function percent(x: number): string {
  return `${Math.round(x * 100)} %`;
}

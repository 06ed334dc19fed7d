/**
 * Tariff decisions: every price change (or change a freeze held back) as an explainable record,
 * and its JSON Lines form `{"type":"tariff",…}` with a stable key order so logs are byte-identical
 * across runs.
 */
import type { VehicleType } from "../catalog/vehicles.js";
import { formatChange, formatMoney } from "./money.js";

/** Who decided. */
export type DecisionSource = "step" | "pi" | "override";

/** One explainable tariff change. */
export interface TariffDecision {
  /** Record type in JSON Lines. */
  readonly type: "tariff";
  /** Instant the new price takes effect (ms since the epoch). */
  readonly effectiveMs: number;
  /** Zone id. */
  readonly zone: string;
  /** Vehicle class. */
  readonly vehicleType: VehicleType;
  /** Time band (policy band id). */
  readonly band: string;
  /** Controller type, or "override" for an operator. */
  readonly controller: DecisionSource;
  /** Policy controller id (or the operator's name for an override). */
  readonly controllerId: string;
  /** Price before, minor units per unit of the charge's headline (e.g. per hour). */
  readonly oldPrice: number;
  /** Price after (equal to oldPrice when a freeze held it). */
  readonly newPrice: number;
  /** ISO 4217 currency. */
  readonly currency: string;
  /** Mean occupancy of the period that drove it (4 decimals), or null for an override. */
  readonly occupancy: number | null;
  /** Mean coverage of that period (4 decimals), or null for an override. */
  readonly coverage: number | null;
  /** A bound (controller min/max or legal floor/ceiling) clipped the change. */
  readonly bounded: boolean;
  /** A freeze held the price. */
  readonly frozen: boolean;
  /** The rule, in words, e.g. "mean occupancy 0.84 ≥ upper 0.80 → +Rp500". */
  readonly rule: string;
}

/**
 * One decision as a JSON line (with trailing newline), keys in a fixed order.
 *
 * @example decisionLine(d) // '{"type":"tariff","effectiveMs":…,"zone":"PLU-001",…}\n'
 */
export function decisionLine(d: TariffDecision): string {
  return `${JSON.stringify({
    type: "tariff",
    effectiveMs: d.effectiveMs,
    zone: d.zone,
    vehicleType: d.vehicleType,
    band: d.band,
    controller: d.controller,
    controllerId: d.controllerId,
    oldPrice: d.oldPrice,
    newPrice: d.newPrice,
    currency: d.currency,
    occupancy: d.occupancy,
    coverage: d.coverage,
    bounded: d.bounded,
    frozen: d.frozen,
    rule: d.rule,
  })}\n`;
}

/** Rounds a ratio to 4 decimals for records. */
export function ratio4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** Two-decimal text of a ratio, as rules print it. */
export function ratio2(x: number): string {
  return x.toFixed(2);
}

/** The step rule sentence. */
export function stepRule(
  occ: number,
  code: number,
  lower: number,
  upper: number,
  lower2: number,
  upper2: number,
  deltaMinor: number,
  currency: string,
): string {
  const o = ratio2(occ);
  const change = formatChange(deltaMinor, currency);
  if (code === 2) return `mean occupancy ${o} ≥ upper2 ${ratio2(upper2)} → ${change}`;
  if (code === 1) return `mean occupancy ${o} ≥ upper ${ratio2(upper)} → ${change}`;
  if (code === -2) return `mean occupancy ${o} < lower2 ${ratio2(lower2)} → ${change}`;
  return `mean occupancy ${o} < lower ${ratio2(lower)} → ${change}`;
}

/** The PI rule sentence. */
export function piRule(
  occ: number,
  target: number,
  err: number,
  integral: number,
  deltaMinor: number,
  currency: string,
): string {
  const sign = (x: number) => (x >= 0 ? `+${ratio2(x)}` : `−${ratio2(-x)}`);
  return `mean occupancy ${ratio2(occ)}, target ${ratio2(target)} (error ${sign(err)}, integral ${sign(integral)}) → ${formatChange(deltaMinor, currency)}`;
}

/** Suffix for a change a bound clipped. */
export function boundedSuffix(newPrice: number, lo: number, hi: number, currency: string): string {
  return `, bounded to ${formatMoney(newPrice, currency)} (allowed ${formatMoney(lo, currency)}–${Number.isFinite(hi) ? formatMoney(hi, currency) : "∞"})`;
}

/**
 * What operators do to prices by hand: freezes (prices held over a zone set and time range) and overrides (one
 * slot's price set), their requests as validated at the boundary, and the actions logged for them.
 */
import type { City } from "../catalog/city.js";
import { VEHICLE_CODES, type VehicleType, vehicleCode, vehicleName } from "../catalog/vehicles.js";
import { type Issue, ParkirConfigError } from "../errors/index.js";
import type { Policy } from "./policy.js";
import { type PriceBook, priceSlot } from "./pricebook.js";
import type { ZoneSelector } from "./schema.js";
import { type TariffTable, zoneMask } from "./table.js";

/** A freeze: prices of the zones (and classes) do not move during [fromMs, toMs). */
export interface FreezeRequest {
  /** Zone ids, or a selector like the policy's. */
  readonly zones: readonly string[] | ZoneSelector;
  /** Vehicle classes held (default all). */
  readonly vehicleTypes?: readonly string[];
  /** Start (inclusive), ms. */
  readonly fromMs: number;
  /** End (exclusive), ms. */
  readonly toMs: number;
  /** Why (published with every held decision). */
  readonly reason: string;
  /** Who (operator name). Default "operator". */
  readonly by?: string;
}

/** An operator's price for one slot. */
export interface OverrideRequest {
  /** Zone id. */
  readonly zone: string;
  /** Vehicle class. */
  readonly vehicleType: string;
  /** Band id. */
  readonly band: string;
  /** New headline price, minor units (a multiple of the rounding step). */
  readonly priceMinor: number;
  /** When it takes effect (not before the slot's last change). */
  readonly effectiveMs: number;
  /** Why. */
  readonly reason: string;
  /** Who. Default "operator". */
  readonly by?: string;
}

/** A logged operator action. */
export interface OperatorAction {
  /** What was done. */
  readonly action: "freeze" | "override";
  /** Who did it. */
  readonly by: string;
  /** Zone ids affected. */
  readonly zones: readonly string[];
  /** Vehicle classes affected. */
  readonly vehicleTypes: readonly VehicleType[];
  /** Start of effect, ms. */
  readonly fromMs: number;
  /** End of effect (freezes), or null. */
  readonly toMs: number | null;
  /** Why. */
  readonly reason: string;
}

/** A freeze in force: zones (mask by zone index), vehicle codes and time range. */
export interface ActiveFreeze {
  readonly mask: Uint8Array;
  readonly codes: readonly number[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly reason: string;
}

/**
 * Validates a freeze request against the city: the freeze to apply and the action to log.
 *
 * @throws ParkirConfigError on unknown zones or classes, or an empty time range.
 */
export function resolveFreeze(
  city: City,
  req: FreezeRequest,
): { freeze: ActiveFreeze; action: OperatorAction } {
  const issues: Issue[] = [];
  const sel: ZoneSelector = Array.isArray(req.zones)
    ? { ids: [...(req.zones as string[])] }
    : (req.zones as ZoneSelector);
  sel.ids?.forEach((id, i) => {
    if (city.zoneIndex(id) < 0) issues.push({ path: `zones[${i}]`, message: `unknown zone ${id}` });
  });
  const codes = codesOf(req.vehicleTypes, issues);
  if (!(req.fromMs < req.toMs)) issues.push({ path: "toMs", message: "must be after fromMs" });
  if (issues.length > 0) throw new ParkirConfigError("freeze", issues);
  const mask = zoneMask(city, sel);
  const action: OperatorAction = {
    action: "freeze",
    by: req.by ?? "operator",
    zones: city.zones.filter((_, i) => mask[i] === 1).map((z) => z.id),
    vehicleTypes: codes.map(vehicleName),
    fromMs: req.fromMs,
    toMs: req.toMs,
    reason: req.reason,
  };
  return { freeze: { mask, codes, fromMs: req.fromMs, toMs: req.toMs, reason: req.reason }, action };
}

/** The slot an override request sets, validated. */
export interface OverrideTarget {
  /** Zone index. */
  readonly z: number;
  /** Vehicle code. */
  readonly code: number;
  /** Band index. */
  readonly band: number;
  /** Price slot (priceSlot numbering). */
  readonly ps: number;
  /** The published price of the slot's rate. */
  readonly rateHeadline: number;
}

/**
 * Validates an override request: a known zone, class and band with a rate, a price on the rounding grid, and
 * an effective time not before the slot's last change in `prices`.
 *
 * @throws ParkirConfigError listing every problem.
 */
export function overrideTarget(
  city: City,
  policy: Policy,
  table: TariffTable,
  prices: PriceBook,
  req: OverrideRequest,
): OverrideTarget {
  const issues: Issue[] = [];
  const z = city.zoneIndex(req.zone);
  if (z < 0) issues.push({ path: "zone", message: `unknown zone ${req.zone}` });
  const code = vehicleCode(req.vehicleType);
  if (code < 0) issues.push({ path: "vehicleType", message: `unknown vehicle class ${req.vehicleType}` });
  const band = policy.bands.findIndex((b) => b.id === req.band);
  if (band < 0) issues.push({ path: "band", message: `unknown band ${req.band}` });
  const step = policy.roundingStepMinor;
  if (!Number.isSafeInteger(req.priceMinor) || req.priceMinor < 0 || req.priceMinor % step !== 0)
    issues.push({
      path: "priceMinor",
      message: `must be a non-negative multiple of the rounding step ${step}`,
    });
  let rateHeadline = 0;
  if (issues.length === 0) {
    const g = table.zoneVehicleGroup[z * VEHICLE_CODES + code]!;
    const rate =
      g < 0 ? undefined : policy.tariffs[table.groupTariff[g]!]!.rates.find((r) => r.band === band);
    if (rate === undefined)
      issues.push({
        path: "band",
        message: `no rate of ${req.vehicleType} in zone ${req.zone} uses band ${req.band}`,
      });
    else rateHeadline = rate.headlineMinor;
  }
  const ps = issues.length === 0 ? priceSlot(z, code, band, table.nBands) : -1;
  if (ps >= 0) {
    const last = prices.changes(ps).at(-1);
    if (last !== undefined && req.effectiveMs < last[0])
      issues.push({ path: "effectiveMs", message: "must not be before the slot's last change" });
  }
  if (!Number.isFinite(req.effectiveMs))
    issues.push({ path: "effectiveMs", message: "must be ms since the epoch" });
  if (issues.length > 0) throw new ParkirConfigError("override", issues);
  return { z, code, band, ps, rateHeadline };
}

/** Vehicle codes of class names, sorted (every code when `names` is undefined); unknown names go to `issues`. */
function codesOf(names: readonly string[] | undefined, issues: Issue[]): number[] {
  if (names === undefined) return Array.from({ length: VEHICLE_CODES }, (_, i) => i);
  const out: number[] = [];
  names.forEach((n, i) => {
    const c = vehicleCode(n);
    if (c < 0) issues.push({ path: `vehicleTypes[${i}]`, message: `unknown vehicle class ${n}` });
    else if (!out.includes(c)) out.push(c);
  });
  return out.sort((x, y) => x - y);
}

/**
 * A loaded, validated pricing policy: the resolved model (plain records with numeric codes — band indices,
 * vehicle codes, ms — that the compiler and the controllers use) and its entry points, `loadPolicy` and
 * `loadPolicyFile`. Resolving a document into this model is policy-resolve.ts (bands, tariffs, surcharges,
 * limits, variants) and policy-controller.ts (controllers and their thresholds).
 */
import { readFileSync } from "node:fs";
import { formatPath } from "../catalog/city.js";
import { ParkirConfigError } from "../errors/index.js";
import type { RoundingRule } from "./money.js";
import { resolvePolicy } from "./policy-resolve.js";
import type { Ratio } from "./ratio.js";
import { type PolicyDocument, policySchema, type ZoneSelector } from "./schema.js";

export { ALWAYS_BAND } from "./schema.js";

/** How a band treats holidays or event days: 0 any day, 1 only those days, 2 never on them. */
export type DesignatedRule = 0 | 1 | 2;

/** A time span (CDS Time Span-like) in local time. */
export interface Band {
  /** Band id, used in decisions as the time band. */
  readonly id: string;
  /** Human label (defaults to the id). */
  readonly label: string;
  /** Index in `Policy.bands`. */
  readonly index: number;
  /** Bit d set when the band applies on weekday d (0 = Sunday). */
  readonly dayMask: number;
  /** Local minute of day the band starts (inclusive). */
  readonly startMinute: number;
  /** Local minute of day the band ends (exclusive); below `startMinute` means it wraps past midnight within the same date. */
  readonly endMinute: number;
  /** Holiday rule. */
  readonly holidays: DesignatedRule;
  /** Event-day rule. */
  readonly eventDays: DesignatedRule;
  /** JSON path of the band in the document. */
  readonly path: string;
}

/** One tier of a rate: units of `unitMs` starting `fromMs` into a segment cost `amountMinor` each (see kernel.ts). */
export interface Tier {
  /** Time into a segment where the tier starts. */
  readonly fromMs: number;
  /** Unit length; 0 = one unit for the rest of the segment. */
  readonly unitMs: number;
  /** Price per started unit, minor units. */
  readonly amountMinor: number;
}

/** A charge in one band. */
export interface Rate {
  /** Index of the band in `Policy.bands`. */
  readonly band: number;
  /** Human label. */
  readonly label: string;
  /** Visit fee, minor units: a stay pays the largest visit fee of any rate in force during it, once. */
  readonly perVisitMinor: number;
  /** Units by length of stay; empty for a pure per-visit charge. */
  readonly tiers: readonly Tier[];
  /** The price a controller moves: the first tier's unit price, or the visit fee when there are no tiers. */
  readonly headlineMinor: number;
  /** JSON path of the rate. */
  readonly path: string;
}

/** A tariff: which zones and vehicles it covers, visit-level terms, and its rates by band. */
export interface Tariff {
  /** Tariff id. */
  readonly id: string;
  /** Human label. */
  readonly label: string;
  /** Zones it covers. */
  readonly zones: ZoneSelector;
  /** Vehicle codes it covers. */
  readonly vehicleCodes: readonly number[];
  /** Stays shorter than this are free. */
  readonly graceMs: number;
  /** Maximum fee per visit (minor units), or -1 for none. */
  readonly maxFeeMinor: number;
  /** Maximum time charges per local day (minor units), or -1 for none. */
  readonly dailyCapMinor: number;
  /** Rates, first match wins at each instant. */
  readonly rates: readonly Rate[];
  /** JSON path. */
  readonly path: string;
}

/** A multiplier on units that start in a band (e.g. event day ×2). */
export interface Surcharge {
  /** Surcharge id. */
  readonly id: string;
  /** Human label. */
  readonly label: string;
  /** Band index. */
  readonly band: number;
  /** Factor on unit prices. */
  readonly multiplier: number;
  /** Zones it covers. */
  readonly zones: ZoneSelector;
  /** Vehicle codes it covers. */
  readonly vehicleCodes: readonly number[];
  /** JSON path. */
  readonly path: string;
}

/** A legal floor and ceiling for the headline price in zones of some classes. */
export interface Limit {
  /** Zone classes. */
  readonly zoneClasses: readonly string[];
  /** Vehicle codes. */
  readonly vehicleCodes: readonly number[];
  /** Floor, minor units (0 when none). */
  readonly floorMinor: number;
  /** Ceiling, minor units (Infinity when none). */
  readonly ceilingMinor: number;
  /** JSON path. */
  readonly path: string;
}

/** A demand-responsive controller, presets applied and money scaled to the policy currency. */
export interface Controller {
  /** Controller id. */
  readonly id: string;
  /** Index in `dynamic.controllers`. */
  readonly index: number;
  /** `step` (SFpark-style bands) or `pi` (proportional–integral toward a target). */
  readonly type: "step" | "pi";
  /** Preset the defaults came from, if any. */
  readonly preset: string | null;
  /** Zones it controls. */
  readonly zones: ZoneSelector;
  /** Vehicle codes it controls (null = every class with a tariff). */
  readonly vehicleCodes: readonly number[] | null;
  /** Band indices it controls (null = every band of the tariff). */
  readonly bands: readonly number[] | null;
  /** Length of the occupancy period each decision uses. */
  readonly everyMs: number;
  /** Shortest time between two changes of one price. */
  readonly minIntervalMs: number;
  /** Periods whose mean coverage is below this never move a price. */
  readonly minCoverage: number;
  /** Lowest price (minor units, a multiple of the rounding step). */
  readonly minMinor: number;
  /** Highest price. */
  readonly maxMinor: number;
  /** Step: below this mean occupancy, −step. */
  readonly lower: number;
  /** Step: at or above this, +step. */
  readonly upper: number;
  /** Step size. */
  readonly stepMinor: number;
  /** Step: below this, −step2 (−1 when unused). */
  readonly lower2: number;
  /** Step: at or above this, +step2 (2 when unused). */
  readonly upper2: number;
  /** Second-band step size. */
  readonly step2Minor: number;
  /** PI: target occupancy. */
  readonly target: number;
  /** PI: proportional gain, minor units per 1.0 of occupancy error. */
  readonly kp: number;
  /** PI: integral gain, minor units per 1.0 of accumulated error (error summed once per decision). */
  readonly ki: number;
  /** PI: bound on |accumulated error| (anti-windup). */
  readonly integralLimit: number;
  /** PI: largest change per decision. */
  readonly maxChangeMinor: number;
  /** PI: |error| at or below this holds the price. */
  readonly deadBand: number;
  /** The thresholds as exact ratios (the decimals as written), which decisions compare with. */
  readonly thresholds: ControllerThresholds;
  /** JSON path. */
  readonly path: string;
}

/** A controller's thresholds as exact ratios (see src/pricing/ratio.ts). */
export interface ControllerThresholds {
  /** `lower`. */
  readonly lower: Ratio;
  /** `upper`. */
  readonly upper: Ratio;
  /** `lower2` (−1 when unused). */
  readonly lower2: Ratio;
  /** `upper2` (2 when unused). */
  readonly upper2: Ratio;
  /** `target`. */
  readonly target: Ratio;
  /** `target − deadBand`. */
  readonly deadLow: Ratio;
  /** `target + deadBand`. */
  readonly deadHigh: Ratio;
  /** `minCoverage`. */
  readonly minCoverage: Ratio;
}

/** A freeze from the policy: prices in the zone set do not move during [fromMs, toMs). */
export interface Freeze {
  /** Zones held. */
  readonly zones: ZoneSelector;
  /** Vehicle codes held (all when the document gives none). */
  readonly vehicleCodes: readonly number[];
  /** Start (inclusive). */
  readonly fromMs: number;
  /** End (exclusive). */
  readonly toMs: number;
  /** Why. */
  readonly reason: string;
  /** JSON path. */
  readonly path: string;
}

/** The resolved dynamic section. */
export interface Dynamic {
  /** Periods are aligned to this instant. */
  readonly anchorMs: number;
  /** Controllers in document order. */
  readonly controllers: readonly Controller[];
  /** Policy freezes. */
  readonly freezes: readonly Freeze[];
}

/** A validated pricing policy. Immutable. */
export interface Policy {
  /** Policy id (with `#variant` appended when a variant was applied). */
  readonly id: string;
  /** Human name. */
  readonly name: string;
  /** ISO 4217 currency; must equal the city's. */
  readonly currency: string;
  /** Variant applied, or null for the base policy. */
  readonly variant: string | null;
  /** Rounding step (minor units). */
  readonly roundingStepMinor: number;
  /** Rounding rule. */
  readonly roundingRule: RoundingRule;
  /** Holidays as local day numbers. */
  readonly holidays: ReadonlySet<number>;
  /** Event days as local day numbers. */
  readonly eventDays: ReadonlySet<number>;
  /** Bands (time spans); `always` is added when a rate uses it without declaring it. */
  readonly bands: readonly Band[];
  /** Tariffs, first match wins per zone and vehicle class. */
  readonly tariffs: readonly Tariff[];
  /** Multiplier per vehicle code (1 when not given). */
  readonly vehicleMultipliers: readonly number[];
  /** Surcharges. */
  readonly surcharges: readonly Surcharge[];
  /** Legal limits. */
  readonly limits: readonly Limit[];
  /** Demand-responsive section, or null for a static policy. */
  readonly dynamic: Dynamic | null;
  /** Names of the variants the document offers. */
  readonly variants: readonly string[];
  /** The validated document. */
  readonly document: PolicyDocument;
}

/** Options of `loadPolicy`. */
export interface LoadPolicyOptions {
  /** Variant to apply (its tariffs go before the base ones, its bands and surcharges are added, its dynamic section replaces the base one). Default: none. */
  readonly variant?: string;
}

/**
 * Validates a policy document and resolves it.
 *
 * @throws ParkirConfigError listing every problem with its JSON path.
 * @example
 * const policy = loadPolicy(JSON.parse(readFileSync("seeds/palu/policy.json", "utf8")), { variant: "dynamic" });
 */
export function loadPolicy(json: unknown, options: LoadPolicyOptions = {}): Policy {
  const parsed = policySchema().safeParse(json);
  if (!parsed.success) {
    throw new ParkirConfigError(
      "pricing policy",
      parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    );
  }
  return resolvePolicy(parsed.data, options.variant ?? null);
}

/** Reads and loads a policy JSON file. */
export function loadPolicyFile(path: string, options: LoadPolicyOptions = {}): Policy {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ParkirConfigError("pricing policy", [
      { path: "", message: `cannot read ${path}: ${(e as Error).message}` },
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ParkirConfigError("pricing policy", [
      { path: "", message: `${path} is not JSON: ${(e as Error).message}` },
    ]);
  }
  return loadPolicy(json, options);
}

/**
 * A loaded, validated pricing policy: the document resolved into plain records with numeric codes
 * (band indices, vehicle codes, ms) that the compiler and the controllers use. Cross-references are
 * checked here; references to a city's zones are checked by `compileTariffs`.
 */
import { readFileSync } from "node:fs";
import { formatPath } from "../catalog/city.js";
import { VEHICLE_CODES, VEHICLE_TYPES, vehicleCode } from "../catalog/vehicles.js";
import { type Issue, ParkirConfigError } from "../errors/index.js";
import { parseDurationMs } from "./duration.js";
import { dayNumberOfDate, minuteOfDay } from "./localtime.js";
import { ceilToStep, floorToStep, type RoundingRule } from "./money.js";
import { PRESETS } from "./presets.js";
import { addRatio, decimalRatio, RATIO_DECIMALS_MAX, type Ratio } from "./ratio.js";
import {
  type BandDocument,
  type ControllerDocument,
  DAYS_OF_WEEK,
  type DynamicDocument,
  type PolicyDocument,
  policySchema,
  type SurchargeDocument,
  type TariffDocument,
  type ZoneSelector,
} from "./schema.js";

/** Id of the implicit band that covers all times (used when a rate names no band). */
export const ALWAYS_BAND = "always";

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
  return resolve(parsed.data, options.variant ?? null);
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

interface Located<T> {
  readonly doc: T;
  readonly path: string;
}

function resolve(doc: PolicyDocument, variantName: string | null): Policy {
  const issues: Issue[] = [];
  const step = doc.rounding.stepMinor;
  let bandDocs: Located<BandDocument>[] = doc.bands.map((b, i) => ({ doc: b, path: `bands[${i}]` }));
  let tariffDocs: Located<TariffDocument>[] = doc.tariffs.map((t, i) => ({ doc: t, path: `tariffs[${i}]` }));
  let surchargeDocs: Located<SurchargeDocument>[] = doc.surcharges.map((s, i) => ({
    doc: s,
    path: `surcharges[${i}]`,
  }));
  let dynamicDoc: Located<DynamicDocument> | null = doc.dynamic
    ? { doc: doc.dynamic, path: "dynamic" }
    : null;

  if (variantName !== null) {
    // Own properties only: "constructor", "__proto__" or "toString" are not variants of any policy.
    const v =
      doc.variants !== undefined && Object.hasOwn(doc.variants, variantName)
        ? doc.variants[variantName]
        : undefined;
    if (v === undefined) {
      const names = Object.keys(doc.variants ?? {});
      throw new ParkirConfigError("pricing policy", [
        {
          path: "variants",
          message: `no variant "${variantName}"${names.length ? ` (has: ${names.join(", ")})` : " (the policy has none)"}`,
        },
      ]);
    }
    const base = `variants.${variantName}`;
    if (v.bands)
      bandDocs = [...bandDocs, ...v.bands.map((b, i) => ({ doc: b, path: `${base}.bands[${i}]` }))];
    if (v.tariffs)
      tariffDocs = [...v.tariffs.map((t, i) => ({ doc: t, path: `${base}.tariffs[${i}]` })), ...tariffDocs];
    if (v.surcharges)
      surchargeDocs = [
        ...surchargeDocs,
        ...v.surcharges.map((s, i) => ({ doc: s, path: `${base}.surcharges[${i}]` })),
      ];
    if (v.dynamic) dynamicDoc = { doc: v.dynamic, path: `${base}.dynamic` };
  }

  // Bands.
  const bands: Band[] = [];
  const bandIndex = new Map<string, number>();
  for (const { doc: b, path } of bandDocs) {
    if (bandIndex.has(b.id)) {
      issues.push({ path: `${path}.id`, message: `duplicate band id ${b.id}` });
      continue;
    }
    bandIndex.set(b.id, bands.length);
    bands.push(makeBand(b, bands.length, path));
  }
  const bandRef = (id: string, path: string): number => {
    let i = bandIndex.get(id);
    if (i === undefined && id === ALWAYS_BAND) {
      i = bands.length;
      bandIndex.set(id, i);
      bands.push(makeBand({ id, label: "all times", holidays: "any", eventDays: "any" }, i, ""));
    }
    if (i === undefined) {
      issues.push({ path, message: `unknown band ${id}` });
      return -1;
    }
    return i;
  };

  // Tariffs.
  const tariffIds = new Set<string>();
  const tariffs: Tariff[] = tariffDocs.map(({ doc: t, path }) => {
    if (tariffIds.has(t.id)) issues.push({ path: `${path}.id`, message: `duplicate tariff id ${t.id}` });
    tariffIds.add(t.id);
    for (const [field, value] of [
      ["maxFeeMinor", t.maxFeeMinor],
      ["dailyCapMinor", t.dailyCapMinor],
    ] as const) {
      if (value !== undefined && value % step !== 0)
        issues.push({ path: `${path}.${field}`, message: `must be a multiple of the rounding step ${step}` });
    }
    const seenBands = new Set<number>();
    const rates: Rate[] = t.rates.map((r, ri) => {
      const rpath = `${path}.rates[${ri}]`;
      const band = bandRef(r.band, `${rpath}.band`);
      if (band >= 0 && seenBands.has(band))
        issues.push({ path: `${rpath}.band`, message: `band ${r.band} appears twice in tariff ${t.id}` });
      seenBands.add(band);
      const tiers: Tier[] = (r.tiers ?? []).map((x) => ({
        fromMs: x.fromMinutes * 60_000,
        unitMs: (x.unitMinutes ?? 0) * 60_000,
        amountMinor: x.amountMinor,
      }));
      const perVisitMinor = r.perVisitMinor ?? 0;
      return {
        band,
        label: r.label ?? `${t.id} ${r.band}`,
        perVisitMinor,
        tiers,
        headlineMinor: tiers[0]?.amountMinor ?? perVisitMinor,
        path: rpath,
      };
    });
    return {
      id: t.id,
      label: t.label ?? t.id,
      zones: t.zones,
      vehicleCodes: codes(t.vehicleTypes),
      graceMs: t.graceMinutes * 60_000,
      maxFeeMinor: t.maxFeeMinor ?? -1,
      dailyCapMinor: t.dailyCapMinor ?? -1,
      rates,
      path,
    };
  });

  const surcharges: Surcharge[] = surchargeDocs.map(({ doc: s, path }) => ({
    id: s.id,
    label: s.label ?? s.id,
    band: bandRef(s.band, `${path}.band`),
    multiplier: s.multiplier,
    zones: s.zones,
    vehicleCodes: s.vehicleTypes ? codes(s.vehicleTypes) : allCodes(),
    path,
  }));

  const limits: Limit[] = doc.limits.map((l, i) => ({
    zoneClasses: l.zoneClass,
    vehicleCodes: l.vehicleTypes ? codes(l.vehicleTypes) : allCodes(),
    floorMinor: l.floorMinor ?? 0,
    ceilingMinor: l.ceilingMinor ?? Number.POSITIVE_INFINITY,
    path: `limits[${i}]`,
  }));

  const vehicleMultipliers = VEHICLE_TYPES.map(
    (v) => (doc.vehicleMultipliers as Partial<Record<string, number>>)[v] ?? 1,
  );

  let dynamic: Dynamic | null = null;
  if (dynamicDoc !== null) {
    const { doc: d, path } = dynamicDoc;
    const controllerIds = new Set<string>();
    const controllers = d.controllers.map((c, i) => {
      const cpath = `${path}.controllers[${i}]`;
      if (controllerIds.has(c.id))
        issues.push({ path: `${cpath}.id`, message: `duplicate controller id ${c.id}` });
      controllerIds.add(c.id);
      const bandsOf = c.bands?.map((b, bi) => bandRef(b, `${cpath}.bands[${bi}]`)) ?? null;
      return resolveController(c, i, cpath, doc.currency, step, bandsOf, issues);
    });
    const freezes: Freeze[] = d.freezes.map((f, i) => {
      const fpath = `${path}.freezes[${i}]`;
      const fromMs = instantMs(f.from);
      const toMs = instantMs(f.to);
      if (!(fromMs < toMs)) issues.push({ path: `${fpath}.to`, message: "must be after from" });
      return {
        zones: f.zones,
        vehicleCodes: f.vehicleTypes ? codes(f.vehicleTypes) : allCodes(),
        fromMs,
        toMs,
        reason: f.reason,
        path: fpath,
      };
    });
    dynamic = { anchorMs: d.anchor === undefined ? 0 : instantMs(d.anchor), controllers, freezes };
  }

  if (issues.length > 0) throw new ParkirConfigError("pricing policy", issues);
  return Object.freeze({
    id: variantName === null ? doc.id : `${doc.id}#${variantName}`,
    name: doc.name,
    currency: doc.currency,
    variant: variantName,
    roundingStepMinor: step,
    roundingRule: doc.rounding.rule,
    holidays: new Set(doc.calendar.holidays.map(dayNumberOfDate)),
    eventDays: new Set(doc.calendar.eventDays.map(dayNumberOfDate)),
    bands,
    tariffs,
    vehicleMultipliers,
    surcharges,
    limits,
    dynamic,
    variants: Object.keys(doc.variants ?? {}).sort(),
    document: doc,
  });
}

function makeBand(b: BandDocument, index: number, path: string): Band {
  let dayMask = 0x7f;
  if (b.daysOfWeek) {
    dayMask = 0;
    for (const d of b.daysOfWeek) dayMask |= 1 << DAYS_OF_WEEK.indexOf(d);
  }
  const rule = (r: "any" | "only" | "except"): DesignatedRule => (r === "only" ? 1 : r === "except" ? 2 : 0);
  return {
    id: b.id,
    label: b.label ?? b.id,
    index,
    dayMask,
    startMinute: minuteOfDay(b.timeOfDayStart ?? "00:00"),
    endMinute: minuteOfDay(b.timeOfDayEnd ?? "24:00"),
    holidays: rule(b.holidays),
    eventDays: rule(b.eventDays),
    path,
  };
}

function resolveController(
  c: ControllerDocument,
  index: number,
  path: string,
  currency: string,
  step: number,
  bands: number[] | null,
  issues: Issue[],
): Controller {
  const preset = c.preset ? PRESETS[c.preset] : undefined;
  const type = c.type ?? (preset ? "step" : undefined);
  if (type === undefined)
    issues.push({ path: `${path}.type`, message: 'give "type" ("step" or "pi") or a "preset"' });
  if (preset && type === "pi") issues.push({ path: `${path}.type`, message: "presets are step controllers" });
  let scale = c.scale;
  if (preset && scale === undefined) {
    if (preset.currency === currency) scale = 1;
    else
      issues.push({
        path: `${path}.scale`,
        message: `preset ${preset.name} is in ${preset.currency} cents; give "scale" (${currency} minor units per ${preset.currency} cent)`,
      });
  }
  const k = scale ?? 1;
  // Scaled preset money, brought onto the policy's rounding grid (steps at least one step).
  const p = preset
    ? {
        lower: preset.lower,
        upper: preset.upper,
        stepMinor: Math.max(step, Math.round((preset.stepMinor * k) / step) * step),
        minMinor: ceilToStep(preset.minMinor * k, step),
        maxMinor: floorToStep(preset.maxMinor * k, step),
        every: preset.every,
        minInterval: preset.minInterval,
      }
    : undefined;
  const need = <T>(field: string, value: T | undefined): T => {
    if (value === undefined)
      issues.push({ path: `${path}.${field}`, message: `required for a ${type} controller` });
    return value as T;
  };
  const onGrid = (field: string, value: number | undefined): void => {
    if (value !== undefined && value % step !== 0)
      issues.push({ path: `${path}.${field}`, message: `must be a multiple of the rounding step ${step}` });
  };
  for (const f of ["minMinor", "maxMinor", "stepMinor", "step2Minor", "maxChangeMinor"] as const)
    onGrid(f, c[f]);

  const everyMs = parseDurationMs(need("every", c.every ?? p?.every) ?? "");
  const minIntervalMs = parseDurationMs(need("minInterval", c.minInterval ?? p?.minInterval) ?? "");
  const minMinor = need("minMinor", c.minMinor ?? p?.minMinor) ?? 0;
  const maxMinor = need("maxMinor", c.maxMinor ?? p?.maxMinor) ?? 0;
  if (minMinor > maxMinor) issues.push({ path: `${path}.minMinor`, message: "must not exceed maxMinor" });

  let lower = 0;
  let upper = 1;
  let stepMinor = 0;
  let lower2 = -1;
  let upper2 = 2;
  let step2Minor = 0;
  let target = 0;
  let kp = 0;
  let ki = 0;
  let maxChangeMinor = 0;
  if (type === "step") {
    lower = need("lower", c.lower ?? p?.lower) ?? 0;
    upper = need("upper", c.upper ?? p?.upper) ?? 1;
    stepMinor = need("stepMinor", c.stepMinor ?? p?.stepMinor) ?? 0;
    if (stepMinor === 0) issues.push({ path: `${path}.stepMinor`, message: "must be positive" });
    if (lower > upper) issues.push({ path: `${path}.lower`, message: "must not exceed upper" });
    if (c.lower2 !== undefined || c.upper2 !== undefined || c.step2Minor !== undefined) {
      step2Minor = need("step2Minor", c.step2Minor) ?? 0;
      lower2 = c.lower2 ?? -1;
      upper2 = c.upper2 ?? 2;
      if (c.lower2 !== undefined && c.lower2 > lower)
        issues.push({ path: `${path}.lower2`, message: "must not exceed lower" });
      if (c.upper2 !== undefined && c.upper2 < upper)
        issues.push({ path: `${path}.upper2`, message: "must not be below upper" });
      if (step2Minor < stepMinor)
        issues.push({ path: `${path}.step2Minor`, message: "must not be below stepMinor" });
    }
  } else if (type === "pi") {
    target = need("target", c.target) ?? 0;
    kp = need("kp", c.kp) ?? 0;
    ki = c.ki ?? 0;
    maxChangeMinor = need("maxChangeMinor", c.maxChangeMinor) ?? 0;
    if (maxChangeMinor === 0) issues.push({ path: `${path}.maxChangeMinor`, message: "must be positive" });
  }
  const deadBand = c.deadBand ?? 0;
  const exact = (field: string, x: number): Ratio => {
    const r = decimalRatio(x);
    if (r === null)
      issues.push({
        path: `${path}.${field}`,
        message: `must have at most ${RATIO_DECIMALS_MAX} decimal places`,
      });
    return r ?? [0, 1];
  };
  const targetRatio = exact("target", target);
  const deadRatio = exact("deadBand", deadBand);
  const thresholds: ControllerThresholds = {
    lower: exact("lower", lower),
    upper: exact("upper", upper),
    lower2: exact("lower2", lower2),
    upper2: exact("upper2", upper2),
    target: targetRatio,
    deadLow: addRatio(targetRatio, deadRatio, -1) ?? [0, 1],
    deadHigh: addRatio(targetRatio, deadRatio, 1) ?? [0, 1],
    minCoverage: exact("minCoverage", c.minCoverage),
  };
  return {
    id: c.id,
    index,
    type: type ?? "step",
    preset: preset?.name ?? null,
    zones: c.zones,
    vehicleCodes: c.vehicleTypes ? codes(c.vehicleTypes) : null,
    bands,
    everyMs,
    minIntervalMs,
    minCoverage: c.minCoverage,
    minMinor,
    maxMinor,
    lower,
    upper,
    stepMinor,
    lower2,
    upper2,
    step2Minor,
    target,
    kp,
    ki,
    integralLimit: c.integralLimit ?? 10,
    maxChangeMinor,
    deadBand,
    thresholds,
    path,
  };
}

function codes(names: readonly string[]): number[] {
  return [...new Set(names.map(vehicleCode))].sort((a, b) => a - b);
}

function allCodes(): number[] {
  return Array.from({ length: VEHICLE_CODES }, (_, i) => i);
}

/** ms of a validated instant (number or ISO with offset). */
export function instantMs(v: number | string): number {
  return typeof v === "number" ? v : Date.parse(v);
}

/** True when a zone matches a selector (every given field must match). */
export function selects(
  sel: ZoneSelector,
  zone: { id: string; zoneClass: string; detection: readonly string[]; street: string },
): boolean {
  if (sel.ids && !sel.ids.includes(zone.id)) return false;
  if (sel.zoneClass && !sel.zoneClass.includes(zone.zoneClass)) return false;
  if (sel.detection && !zone.detection.includes(sel.detection)) return false;
  if (sel.street && zone.street !== sel.street) return false;
  return true;
}

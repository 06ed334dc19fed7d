/**
 * From a schema-valid policy document to the Policy model: the variant applied, bands, tariffs, surcharges,
 * limits and the dynamic part resolved to numeric codes, every cross-reference checked (each problem with
 * its JSON path). Also the small rules other pricing files share: zone selectors and instants.
 */
import { VEHICLE_TYPES } from "../catalog/vehicles.js";
import { type Issue, ParkirConfigError } from "../errors/index.js";
import { dayNumberOfDate, minuteOfDay } from "./localtime.js";
import type {
  Band,
  DesignatedRule,
  Dynamic,
  Freeze,
  Limit,
  Policy,
  Rate,
  Surcharge,
  Tariff,
  Tier,
} from "./policy.js";
import { allCodes, codes, resolveController } from "./policy-controller.js";
import {
  ALWAYS_BAND,
  type BandDocument,
  DAYS_OF_WEEK,
  type DynamicDocument,
  type PolicyDocument,
  type SurchargeDocument,
  type TariffDocument,
  type ZoneSelector,
} from "./schema.js";

interface Located<T> {
  readonly doc: T;
  readonly path: string;
}

/** Resolves a schema-valid document (variant `variantName`, or none); throws ParkirConfigError listing every problem. */
export function resolvePolicy(doc: PolicyDocument, variantName: string | null): Policy {
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

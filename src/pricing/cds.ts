/**
 * Export of tariffs as CDS (Open Mobility Foundation Curb Data Specification, Curbs API) Policy
 * objects with Rate and Time Span fields: `rate`, `rate_unit`, `rate_unit_period`,
 * `increment_duration`, `increment_amount`, `start_duration`, `end_duration`; `days_of_week`,
 * `time_of_day_start`, `time_of_day_end`, `designated_period`, `designated_period_except`.
 * What CDS cannot express (grace periods, caps, surcharges, entry fees next to unit prices) is
 * listed in `notes` rather than invented as fields. Output is deterministic: policy ids are
 * name-based UUIDs of their content.
 */
import { createHash } from "node:crypto";
import { VEHICLE_CODES, vehicleName } from "../catalog/vehicles.js";
import type { Band, Rate } from "./policy.js";
import type { PriceBook } from "./pricebook.js";
import { priceSlot } from "./pricebook.js";
import { DAYS_OF_WEEK } from "./schema.js";
import type { TariffTable } from "./table.js";

/** CDS Rate. */
export interface CdsRate {
  rate: number;
  rate_unit: "minute" | "hour" | "day";
  rate_unit_period: "rolling";
  increment_duration?: number;
  increment_amount?: number;
  start_duration?: number;
  end_duration?: number;
}

/** CDS Time Span. */
export interface CdsTimeSpan {
  days_of_week?: string[];
  time_of_day_start?: string;
  time_of_day_end?: string;
  designated_period?: string;
  designated_period_except?: boolean;
}

/** CDS Rule (parking with rates). */
export interface CdsRule {
  activity: "parking";
  user_classes?: string[];
  rate: CdsRate[];
}

/** CDS Policy. */
export interface CdsPolicy {
  curb_policy_id: string;
  published_date: number;
  priority: number;
  rules: CdsRule[];
  time_spans?: CdsTimeSpan[];
}

/** The export: policies, which zones use them, and what could not be expressed. */
export interface CdsExport {
  /** Policies, sorted by id. */
  policies: CdsPolicy[];
  /** Zones and the ids of their policies (priority order). */
  zones: { user_zone_id: string; curb_policy_ids: string[] }[];
  /** Parts of the policy CDS has no field for. */
  notes: string[];
}

/** Options of `toCds`. */
export interface CdsExportOptions {
  /** `published_date` of every policy, ms (explicit so the export is reproducible). */
  readonly publishedMs: number;
  /** Dynamic prices to apply (the prices in force at `atMs`). Default: the published tariff. */
  readonly prices?: PriceBook | null;
  /** Instant whose dynamic prices are exported. Default: publishedMs. */
  readonly atMs?: number;
}

/** CDS user class of each vehicle code ("unspecified" has none: the rule applies to everyone). */
const USER_CLASS = ["", "motorcycle", "three_wheeler", "car", "truck"] as const;
const UNITS = [
  ["hour", 3_600_000],
  ["minute", 60_000],
  ["day", 86_400_000],
] as const;

/**
 * Exports a compiled table as CDS Policies.
 *
 * @example
 * const cds = toCds(table, { publishedMs: Date.parse("2026-11-01T00:00:00+08:00") });
 * cds.policies[0].rules[0].rate; // [{ rate: 4000, rate_unit: "day", … }]
 */
export function toCds(table: TariffTable, options: CdsExportOptions): CdsExport {
  const { city, policy } = table;
  const at = options.atMs ?? options.publishedMs;
  const notes = new Set<string>();
  const byId = new Map<string, CdsPolicy>();
  const zones: CdsExport["zones"] = [];
  for (let z = 0; z < city.zoneCount; z++) {
    // Rules per rate of each tariff that applies in the zone (rates of different tariffs stay apart).
    const perRate = new Map<string, { priority: number; tariff: number; band: Band; rules: CdsRule[] }>();
    for (let code = 0; code < VEHICLE_CODES; code++) {
      const g = table.zoneVehicleGroup[z * VEHICLE_CODES + code]!;
      if (g < 0) continue;
      const ti = table.groupTariff[g]!;
      const tariff = policy.tariffs[ti]!;
      if (tariff.graceMs > 0)
        notes.add(`${tariff.path}: grace period (${tariff.graceMs / 60_000} min free) has no CDS field`);
      if (tariff.maxFeeMinor >= 0)
        notes.add(`${tariff.path}: maximum fee ${tariff.maxFeeMinor} has no CDS field`);
      if (tariff.dailyCapMinor >= 0)
        notes.add(`${tariff.path}: daily cap ${tariff.dailyCapMinor} has no CDS field`);
      const mult = policy.vehicleMultipliers[code] ?? 1;
      tariff.rates.forEach((r, ri) => {
        const p = options.prices?.priceAt(priceSlot(z, code, r.band, table.nBands), at);
        const delta = p === undefined ? 0 : p - r.headlineMinor;
        const uc = USER_CLASS[code];
        const rates = cdsRates(r, mult, delta, notes);
        const rule: CdsRule = uc
          ? { activity: "parking", user_classes: [uc], rate: rates }
          : { activity: "parking", rate: rates };
        const key = `${ti}|${ri}`;
        let entry = perRate.get(key);
        if (entry === undefined) {
          // First match wins within a tariff, so rate order is CDS priority (lowest applies).
          entry = { priority: ri + 1, tariff: ti, band: policy.bands[r.band]!, rules: [] };
          perRate.set(key, entry);
        }
        entry.rules.push(rule);
      });
    }
    const ids: string[] = [];
    const entries = [...perRate.values()].sort((a, b) => a.priority - b.priority || a.tariff - b.tariff);
    for (const entry of entries) {
      const priority = entry.priority;
      const body = { priority, rules: entry.rules, time_spans: timeSpans(entry.band, notes) };
      const json = JSON.stringify(body);
      const id = uuidV5(`parkir:${policy.id}:${json}`);
      if (!byId.has(id)) {
        const cds: CdsPolicy = {
          curb_policy_id: id,
          published_date: options.publishedMs,
          priority,
          rules: entry.rules,
        };
        if (body.time_spans.length > 0) cds.time_spans = body.time_spans;
        byId.set(id, cds);
      }
      ids.push(id);
    }
    if (ids.length > 0) zones.push({ user_zone_id: city.zones[z]!.id, curb_policy_ids: ids });
  }
  for (const s of policy.surcharges)
    notes.add(
      `${s.path}: surcharge ×${s.multiplier} in band ${policy.bands[s.band]!.id} is not in the exported rates`,
    );
  for (let code = 0; code < VEHICLE_CODES; code++) {
    const m = policy.vehicleMultipliers[code] ?? 1;
    if (m !== 1) notes.add(`vehicleMultipliers.${vehicleName(code)}: ×${m} is applied to the exported rates`);
  }
  return {
    policies: [...byId.values()].sort((a, b) => cmpKey(a.curb_policy_id, b.curb_policy_id)),
    zones,
    notes: [...notes].sort(cmpKey),
  };
}

function cdsRates(r: Rate, mult: number, delta: number, notes: Set<string>): CdsRate[] {
  const out: CdsRate[] = [];
  if (r.tiers.length === 0) {
    const amount = Math.round(Math.max(0, r.perVisitMinor + delta) * mult);
    notes.add(`${r.path}: per-visit fee exported as a per-day rate (the same for stays under 24 h)`);
    out.push({ rate: amount, rate_unit: "day", rate_unit_period: "rolling", increment_duration: 1 });
    return out;
  }
  if (r.perVisitMinor > 0)
    notes.add(`${r.path}: entry fee ${r.perVisitMinor} next to unit prices has no CDS field`);
  r.tiers.forEach((t, k) => {
    const amount = Math.round(Math.max(0, t.amountMinor + delta) * mult);
    const next = r.tiers[k + 1]?.fromMs;
    if (t.unitMs === 0) {
      notes.add(`${r.path}.tiers[${k}]: one unit for the rest of the stay exported as a per-day rate`);
      const rate: CdsRate = {
        rate: amount,
        rate_unit: "day",
        rate_unit_period: "rolling",
        increment_duration: 1,
      };
      if (t.fromMs > 0) rate.start_duration = Math.ceil(t.fromMs / 86_400_000);
      out.push(rate);
      return;
    }
    for (const [unit, len] of UNITS) {
      const rate = (amount * len) / t.unitMs;
      const sd = t.fromMs / len;
      const ed = next === undefined ? 0 : next / len;
      if (!Number.isInteger(rate) || !Number.isInteger(sd) || !Number.isInteger(ed)) continue;
      const cds: CdsRate = { rate, rate_unit: unit, rate_unit_period: "rolling" };
      if (t.unitMs % len === 0) cds.increment_duration = t.unitMs / len;
      else cds.increment_amount = amount;
      if (t.fromMs > 0) cds.start_duration = sd;
      if (next !== undefined) cds.end_duration = ed;
      out.push(cds);
      return;
    }
    notes.add(`${r.path}.tiers[${k}]: not expressible in whole CDS units; rounded to a per-minute rate`);
    const cds: CdsRate = {
      rate: Math.ceil(amount / (t.unitMs / 60_000)),
      rate_unit: "minute",
      rate_unit_period: "rolling",
      increment_duration: t.unitMs / 60_000,
    };
    if (t.fromMs > 0) cds.start_duration = Math.round(t.fromMs / 60_000);
    if (next !== undefined) cds.end_duration = Math.round(next / 60_000);
    out.push(cds);
  });
  return out;
}

function timeSpans(b: Band, notes: Set<string>): CdsTimeSpan[] {
  const base: CdsTimeSpan = {};
  if (b.dayMask !== 0x7f) base.days_of_week = DAYS_OF_WEEK.filter((_, d) => ((b.dayMask >> d) & 1) === 1);
  if (b.holidays !== 0) {
    base.designated_period = "holidays";
    if (b.holidays === 2) base.designated_period_except = true;
    if (b.eventDays !== 0)
      notes.add(
        `${b.path || `band ${b.id}`}: holiday and event-day rules together; only the holiday rule is exported`,
      );
  } else if (b.eventDays !== 0) {
    base.designated_period = "event days";
    if (b.eventDays === 2) base.designated_period_except = true;
  }
  const hhmm = (m: number) =>
    `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
  const span = (s: number, e: number): CdsTimeSpan => {
    const out: CdsTimeSpan = { ...base };
    if (s > 0) out.time_of_day_start = hhmm(s);
    if (e < 1440) out.time_of_day_end = hhmm(e);
    return out;
  };
  const spans =
    b.startMinute < b.endMinute
      ? [span(b.startMinute, b.endMinute)]
      : [span(b.startMinute, 1440), span(0, b.endMinute)];
  return spans.filter((s) => Object.keys(s).length > 0);
}

/** A name-based (version 5 layout, SHA-1) UUID of a string. */
export function uuidV5(name: string): string {
  const h = createHash("sha1").update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

function cmpKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

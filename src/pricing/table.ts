/**
 * The compiled tariff table: a policy flattened against a city into numeric arrays, so billing is
 * a loop over typed arrays with no strings, objects or Intl calls (and can be ported to an
 * AssemblyScript kernel as is). Layout, all indices dense:
 *
 * - `zoneVehicleGroup[zone * VEHICLE_CODES + code]` → group g, or -1 when no tariff applies (free).
 *   A group is one (tariff, vehicle multiplier, set of surcharges) combination.
 * - `groupGraceMs[g]`, `groupMaxFeeMinor[g]` (-1 none), `groupDailyCapMinor[g]` (-1 none).
 * - Local time is cut into `nCuts` pieces per day at `cutMinute[c]` (0 first); a day has a class
 *   `dayClass = weekday + 7·holiday + 14·eventDay` (0…27).
 * - `cellRate[(g * 28 + dayClass) * nCuts + c]` → rate r in force, or -1 (free time);
 *   `cellMult[same]` → vehicle multiplier × surcharge multipliers in force there.
 * - Rate r: `rateBand[r]` (band index), `ratePerVisitMinor[r]`, `rateHeadlineMinor[r]`, its tiers
 *   `rateTierStart[r] … + rateTierCount[r]`.
 * - Tier k: `tierFromMs[k]` (segment time where it starts), `tierUnitMs[k]` (0 = one unit for
 *   the rest of the segment), `tierAmountMinor[k]`.
 * - Timeline (grown on demand, local days `firstDay … firstDay + nDays - 1`): `dayStartMs[i]`
 *   (nDays + 1 entries), `dayClassOf[i]`, `cutMs[i * nCuts + c]` (instant of each cut that day).
 * - Dynamic prices (optional, see PriceBook.flatten): price slot
 *   `(zone * VEHICLE_CODES + code) * nBands + band`, history in `histMs/histPriceMinor` between
 *   `histOffset[slot]` and `histOffset[slot + 1]`.
 */
import type { City } from "../catalog/city.js";
import { VEHICLE_CODES } from "../catalog/vehicles.js";
import { type Issue, ParkirConfigError } from "../errors/index.js";
import { DAY_MS, LocalClock } from "./localtime.js";
import { ROUNDING_CODES } from "./money.js";
import type { Band, Policy } from "./policy.js";
import { selects } from "./policy-resolve.js";
import type { ZoneSelector } from "./schema.js";

/** Number of day classes: 7 weekdays × holiday × event day. */
export const DAY_CLASSES = 28;
/** Longest stay billed (366 days); longer ones are refused. */
export const STAY_MS_MAX = 366 * DAY_MS;
/** Most local days a timeline may cover (about 110 years). */
export const TIMELINE_DAYS_MAX = 40_000;

/** Does `band` apply on a day of class `dayClass` at local minute `minute`? */
export function bandApplies(band: Band, dayClass: number, minute: number): boolean {
  const weekday = dayClass % 7;
  const holiday = ((dayClass / 7) | 0) & 1;
  const event = dayClass >= 14 ? 1 : 0;
  if (((band.dayMask >> weekday) & 1) === 0) return false;
  if ((band.holidays === 1 && !holiday) || (band.holidays === 2 && holiday)) return false;
  if ((band.eventDays === 1 && !event) || (band.eventDays === 2 && event)) return false;
  const s = band.startMinute;
  const e = band.endMinute;
  return s < e ? minute >= s && minute < e : minute >= s || minute < e;
}

/**
 * A policy compiled against a city (see the file comment for the layout). Build with
 * `compileTariffs`; bill with the `quote` function (one stay, with a breakdown) or `billBatch` (typed arrays).
 */
export class TariffTable {
  /** The city. */
  readonly city: City;
  /** The policy. */
  readonly policy: Policy;
  /** Local clock of the city's time zone. */
  readonly clock: LocalClock;
  /** Policy currency (equals the city's). */
  readonly currency: string;
  /** Rounding step, minor units. */
  readonly roundStepMinor: number;
  /** Rounding rule code (0 nearest, 1 up, 2 down). */
  readonly roundCode: number;
  /** Number of bands (price slots per zone and class). */
  readonly nBands: number;
  /** Number of cuts per day. */
  readonly nCuts: number;
  /** Local minute of each cut. */
  readonly cutMinute: Int32Array;
  /** Number of groups. */
  readonly nGroups: number;
  /** Group of each zone × vehicle code, or -1. */
  readonly zoneVehicleGroup: Int32Array;
  /** Tariff index of each group. */
  readonly groupTariff: Int32Array;
  /** Grace period per group. */
  readonly groupGraceMs: Float64Array;
  /** Maximum fee per group, -1 for none. */
  readonly groupMaxFeeMinor: Float64Array;
  /** Daily cap (per local day) per group, -1 for none. */
  readonly groupDailyCapMinor: Float64Array;
  /** Rate in force per group × day class × cut, or -1. */
  readonly cellRate: Int32Array;
  /** Unit multiplier per cell. */
  readonly cellMult: Float64Array;
  /** Band of each rate. */
  readonly rateBand: Int32Array;
  /** Entry fee of each rate. */
  readonly ratePerVisitMinor: Float64Array;
  /** Headline price of each rate. */
  readonly rateHeadlineMinor: Float64Array;
  /** First tier of each rate. */
  readonly rateTierStart: Int32Array;
  /** Tier count of each rate. */
  readonly rateTierCount: Int32Array;
  /** Tariff of each rate. */
  readonly rateTariff: Int32Array;
  /** Tier start, ms from the start of a segment (see kernel.ts). */
  readonly tierFromMs: Float64Array;
  /** Tier unit length, ms (0 = rest of stay). */
  readonly tierUnitMs: Float64Array;
  /** Tier unit price. */
  readonly tierAmountMinor: Float64Array;
  /** First local day number of the timeline. */
  firstDay = 0;
  /** Days in the timeline. */
  nDays = 0;
  /** Start instant of each day (nDays + 1 entries). */
  dayStartMs: Float64Array = new Float64Array(1);
  /** Day class of each day. */
  dayClassOf: Uint8Array = new Uint8Array(0);
  /** Instant of each cut of each day. */
  cutMs: Float64Array = new Float64Array(0);

  /** @internal Use compileTariffs. */
  constructor(city: City, policy: Policy) {
    const issues: Issue[] = [];
    if (policy.currency !== city.currency)
      issues.push({
        path: "currency",
        message: `policy currency ${policy.currency} differs from the city's ${city.currency}`,
      });
    checkSelectors(city, policy, issues);
    this.city = city;
    this.policy = policy;
    this.clock = LocalClock.for(city.timeZone);
    this.currency = policy.currency;
    this.roundStepMinor = policy.roundingStepMinor;
    this.roundCode = ROUNDING_CODES[policy.roundingRule];
    this.nBands = policy.bands.length;

    const cuts = new Set<number>([0]);
    for (const b of policy.bands) {
      if (b.startMinute < 1440) cuts.add(b.startMinute);
      if (b.endMinute < 1440) cuts.add(b.endMinute);
    }
    this.cutMinute = Int32Array.from([...cuts].sort((a, b) => a - b));
    this.nCuts = this.cutMinute.length;

    // Rates and tiers, flattened in tariff order.
    const rates = policy.tariffs.flatMap((t, ti) => t.rates.map((r) => ({ r, ti })));
    const rateBase: number[] = [];
    let acc = 0;
    for (const t of policy.tariffs) {
      rateBase.push(acc);
      acc += t.rates.length;
    }
    const nTiers = rates.reduce((n, x) => n + x.r.tiers.length, 0);
    this.rateBand = new Int32Array(rates.length);
    this.ratePerVisitMinor = new Float64Array(rates.length);
    this.rateHeadlineMinor = new Float64Array(rates.length);
    this.rateTierStart = new Int32Array(rates.length);
    this.rateTierCount = new Int32Array(rates.length);
    this.rateTariff = new Int32Array(rates.length);
    this.tierFromMs = new Float64Array(nTiers);
    this.tierUnitMs = new Float64Array(nTiers);
    this.tierAmountMinor = new Float64Array(nTiers);
    let k = 0;
    rates.forEach(({ r, ti }, i) => {
      this.rateBand[i] = r.band;
      this.ratePerVisitMinor[i] = r.perVisitMinor;
      this.rateHeadlineMinor[i] = r.headlineMinor;
      this.rateTierStart[i] = k;
      this.rateTierCount[i] = r.tiers.length;
      this.rateTariff[i] = ti;
      for (const tier of r.tiers) {
        this.tierFromMs[k] = tier.fromMs;
        this.tierUnitMs[k] = tier.unitMs;
        this.tierAmountMinor[k] = tier.amountMinor;
        k++;
      }
    });

    // Groups by signature: first matching tariff, vehicle multiplier, matching surcharges.
    const zoneVehicleGroup = new Int32Array(city.zoneCount * VEHICLE_CODES).fill(-1);
    const signatures = new Map<string, number>();
    const groups: { tariff: number; mult: number; surcharges: number[] }[] = [];
    const tariffZones = policy.tariffs.map((t) => zoneMask(city, t.zones));
    const surchargeZones = policy.surcharges.map((s) => zoneMask(city, s.zones));
    for (let z = 0; z < city.zoneCount; z++) {
      for (let code = 0; code < VEHICLE_CODES; code++) {
        const ti = policy.tariffs.findIndex(
          (t, i) => tariffZones[i]![z] === 1 && t.vehicleCodes.includes(code),
        );
        if (ti < 0) continue;
        const sur = policy.surcharges.flatMap((s, i) =>
          surchargeZones[i]![z] === 1 && s.vehicleCodes.includes(code) ? [i] : [],
        );
        const mult = policy.vehicleMultipliers[code] ?? 1;
        const key = `${ti}|${mult}|${sur.join(",")}`;
        let g = signatures.get(key);
        if (g === undefined) {
          g = groups.length;
          signatures.set(key, g);
          groups.push({ tariff: ti, mult, surcharges: sur });
        }
        zoneVehicleGroup[z * VEHICLE_CODES + code] = g;
      }
    }
    this.zoneVehicleGroup = zoneVehicleGroup;
    this.nGroups = groups.length;
    this.groupTariff = Int32Array.from(groups.map((g) => g.tariff));
    this.groupGraceMs = Float64Array.from(groups.map((g) => policy.tariffs[g.tariff]!.graceMs));
    this.groupMaxFeeMinor = Float64Array.from(groups.map((g) => policy.tariffs[g.tariff]!.maxFeeMinor));
    this.groupDailyCapMinor = Float64Array.from(groups.map((g) => policy.tariffs[g.tariff]!.dailyCapMinor));
    const cells = groups.length * DAY_CLASSES * this.nCuts;
    this.cellRate = new Int32Array(cells).fill(-1);
    this.cellMult = new Float64Array(cells);
    groups.forEach((grp, g) => {
      const tariff = policy.tariffs[grp.tariff]!;
      for (let dc = 0; dc < DAY_CLASSES; dc++) {
        for (let c = 0; c < this.nCuts; c++) {
          const minute = this.cutMinute[c]!;
          const cell = (g * DAY_CLASSES + dc) * this.nCuts + c;
          const ri = tariff.rates.findIndex((r) => bandApplies(policy.bands[r.band]!, dc, minute));
          this.cellRate[cell] = ri < 0 ? -1 : rateBase[grp.tariff]! + ri;
          let mult = grp.mult;
          for (const si of grp.surcharges) {
            const s = policy.surcharges[si]!;
            if (bandApplies(policy.bands[s.band]!, dc, minute)) mult *= s.multiplier;
          }
          this.cellMult[cell] = mult;
        }
      }
    });

    checkLimits(this, issues);
    if (issues.length > 0) throw new ParkirConfigError("pricing policy", issues);
  }

  /** Number of price slots (zoneCount × VEHICLE_CODES × nBands): the size of a PriceBook for this table. */
  get priceSlots(): number {
    return this.city.zoneCount * VEHICLE_CODES * this.nBands;
  }

  /** Legal [floor, ceiling] of the headline price for a zone index and vehicle code. */
  legalBounds(zone: number, code: number): [number, number] {
    const zc = this.city.zones[zone]?.zoneClass ?? "";
    let lo = 0;
    let hi = Number.POSITIVE_INFINITY;
    for (const l of this.policy.limits) {
      if (!l.zoneClasses.includes(zc) || !l.vehicleCodes.includes(code)) continue;
      lo = Math.max(lo, l.floorMinor);
      hi = Math.min(hi, l.ceilingMinor);
    }
    return [lo, hi];
  }

  /** Rate in force for a zone index and vehicle code at instant `t`, or -1 (free). Grows the timeline. */
  rateAt(zone: number, code: number, t: number): number {
    const g = this.zoneVehicleGroup[zone * VEHICLE_CODES + code] ?? -1;
    if (g < 0) return -1;
    this.ensureRange(t, t);
    const d = this.dayIndex(t);
    let c = 0;
    while (c + 1 < this.nCuts && this.cutMs[d * this.nCuts + c + 1]! <= t) c++;
    return this.cellRate[(g * DAY_CLASSES + this.dayClassOf[d]!) * this.nCuts + c]!;
  }

  /** Index into the timeline of the day containing `t` (the timeline must cover `t`). */
  dayIndex(t: number): number {
    let d = Math.floor((t - this.dayStartMs[0]!) / DAY_MS);
    if (d < 0) d = 0;
    if (d > this.nDays - 1) d = this.nDays - 1;
    while (d > 0 && this.dayStartMs[d]! > t) d--;
    while (d < this.nDays - 1 && this.dayStartMs[d + 1]! <= t) d++;
    return d;
  }

  /**
   * Makes the timeline cover the local days of [fromMs, toMs] (Intl calls happen here, a few per
   * new day, never in the billing loop).
   *
   * @throws ParkirConfigError when the range exceeds TIMELINE_DAYS_MAX days.
   */
  ensureRange(fromMs: number, toMs: number): void {
    if (this.nDays > 0 && fromMs >= this.dayStartMs[0]! && toMs < this.dayStartMs[this.nDays]!) return;
    const a = this.clock.dayNumberOf(fromMs);
    const b = this.clock.dayNumberOf(toMs);
    const first = this.nDays > 0 ? Math.min(a, this.firstDay) : a;
    const last = this.nDays > 0 ? Math.max(b, this.firstDay + this.nDays - 1) : b;
    const n = last - first + 1;
    if (n > TIMELINE_DAYS_MAX)
      throw new ParkirConfigError("billing range", [
        { path: "", message: `times span ${n} local days; at most ${TIMELINE_DAYS_MAX} are supported` },
      ]);
    const nc = this.nCuts;
    const dayStartMs = new Float64Array(n + 1);
    const dayClassOf = new Uint8Array(n);
    const cutMs = new Float64Array(n * nc);
    const policy = this.policy;
    for (let i = 0; i < n; i++) {
      const dn = first + i;
      const old = dn - this.firstDay;
      if (this.nDays > 0 && old >= 0 && old < this.nDays) {
        dayStartMs[i] = this.dayStartMs[old]!;
        dayClassOf[i] = this.dayClassOf[old]!;
        cutMs.set(this.cutMs.subarray(old * nc, old * nc + nc), i * nc);
        continue;
      }
      const day = this.clock.day(dn);
      dayStartMs[i] = day.startMs;
      dayClassOf[i] = day.weekday + (policy.holidays.has(dn) ? 7 : 0) + (policy.eventDays.has(dn) ? 14 : 0);
      const regular =
        day.endMs - day.startMs === DAY_MS &&
        this.clock.offsetMs(day.startMs) === this.clock.offsetMs(day.endMs - 1);
      for (let c = 0; c < nc; c++) {
        const m = this.cutMinute[c]!;
        cutMs[i * nc + c] =
          c === 0
            ? day.startMs
            : regular
              ? day.startMs + m * 60_000
              : this.clock.wallToUtc(dn * DAY_MS + m * 60_000);
      }
    }
    dayStartMs[n] = this.clock.day(last).endMs;
    this.firstDay = first;
    this.nDays = n;
    this.dayStartMs = dayStartMs;
    this.dayClassOf = dayClassOf;
    this.cutMs = cutMs;
  }
}

/**
 * Compiles a policy against a city: checks zone references, currency and legal limits, and builds
 * the flat tables billing runs on.
 *
 * @throws ParkirConfigError listing every problem with its JSON path.
 * @example
 * const table = compileTariffs(city, loadPolicyFile("seeds/palu/policy.json"));
 * quote(table, { zone: "PLU-001", vehicleType: "car", start: "2026-11-30T09:00:00+08:00", end: "2026-11-30T10:30:00+08:00" });
 */
export function compileTariffs(city: City, policy: Policy): TariffTable {
  return new TariffTable(city, policy);
}

/** 1 for every zone index the selector picks. */
export function zoneMask(city: City, sel: ZoneSelector): Uint8Array {
  const mask = new Uint8Array(city.zoneCount);
  const ids = sel.ids ? new Set(sel.ids) : null;
  city.zones.forEach((z, i) => {
    if (ids && !ids.has(z.id)) return;
    if (selects({ ...sel, ids: undefined }, z)) mask[i] = 1;
  });
  return mask;
}

function checkSelectors(city: City, policy: Policy, issues: Issue[]): void {
  const check = (sel: ZoneSelector, path: string): void => {
    sel.ids?.forEach((id, i) => {
      if (city.zoneIndex(id) < 0)
        issues.push({ path: `${path}.zones.ids[${i}]`, message: `unknown zone ${id}` });
    });
  };
  for (const t of policy.tariffs) check(t.zones, t.path);
  for (const s of policy.surcharges) check(s.zones, s.path);
  for (const c of policy.dynamic?.controllers ?? []) check(c.zones, c.path);
  for (const f of policy.dynamic?.freezes ?? []) check(f.zones, f.path);
}

function checkLimits(table: TariffTable, issues: Issue[]): void {
  const { city, policy } = table;
  if (policy.limits.length === 0) return;
  const reported = new Set<string>();
  for (let z = 0; z < city.zoneCount; z++) {
    for (let code = 0; code < VEHICLE_CODES; code++) {
      const g = table.zoneVehicleGroup[z * VEHICLE_CODES + code]!;
      if (g < 0) continue;
      const [lo, hi] = table.legalBounds(z, code);
      const tariff = policy.tariffs[table.groupTariff[g]!]!;
      for (const r of tariff.rates) {
        const price = r.headlineMinor;
        if ((price >= lo && price <= hi) || reported.has(r.path)) continue;
        reported.add(r.path);
        issues.push({
          path: r.path,
          message: `headline price ${price} is outside the legal range [${lo}, ${hi}] for zone ${city.zones[z]!.id} (class ${city.zones[z]!.zoneClass})`,
        });
      }
    }
  }
}

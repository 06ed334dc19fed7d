/**
 * The pricing engine: turns closed occupancy windows into explainable tariff decisions, keeps the
 * price history quotes read, and logs every freeze and override. Deterministic: the same windows,
 * freezes and overrides in the same order give the same decisions.
 */
import type { Observable } from "rxjs";
import { Subject } from "rxjs/internal/Subject";
import { type City, fnv1a } from "../catalog/city.js";
import { VEHICLE_CODES, type VehicleType, vehicleCode, vehicleName } from "../catalog/vehicles.js";
import { type Issue, ParkirConfigError, ParkirError, ParkirWireError } from "../errors/index.js";
import type { WindowBatch } from "../occupancy/types.js";
import {
  type ControllerArrays,
  controllerPass,
  createControllerArrays,
  FLAG,
  P_INTEGRAL_LIMIT,
  P_KI,
  P_KP,
  P_MAX_CHANGE,
  P_MIN_INTERVAL_MS,
  P_ROUND_STEP,
  P_STEP,
  P_STEP2,
  P_TYPE,
  PARAM_STRIDE,
  R_DEAD_HIGH,
  R_DEAD_LOW,
  R_LOWER,
  R_LOWER2,
  R_MIN_COVERAGE,
  R_TARGET,
  R_UPPER,
  R_UPPER2,
  RATIO_STRIDE,
  RULE,
} from "./controller.js";
import { boundedSuffix, piRule, ratio4, stepRule, type TariffDecision } from "./decision.js";
import { type BatchBillReport, billKernel } from "./kernel.js";
import { ceilToStep, floorToStep, formatMoney } from "./money.js";
import type { Controller, Policy } from "./policy.js";
import { PriceBook, priceSlot } from "./pricebook.js";
import { type Quote, type QuoteRequest, quote } from "./quote.js";
import type { ZoneSelector } from "./schema.js";
import { compileTariffs, DAY_CLASSES, type TariffTable, zoneMask } from "./table.js";

/** Options of a PricingEngine. */
export interface PricingEngineOptions {
  /** A table already compiled from the same city and policy (saves compiling twice). Default: compiled here. */
  readonly table?: TariffTable;
  /** Decisions kept in memory; older ones are dropped and counted (the JSON Lines log is the durable record). Default 1,000,000 (~300 MB worst case). */
  readonly decisionLogMax?: number;
}

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

/** Current price of one controlled slot. */
export interface SlotPrice {
  /** Zone id. */
  readonly zone: string;
  /** Vehicle class. */
  readonly vehicleType: VehicleType;
  /** Band id. */
  readonly band: string;
  /** Current headline price, minor units. */
  readonly priceMinor: number;
  /** Instant of the last change, or null when still at the published price. */
  readonly sinceMs: number | null;
  /** Controller id. */
  readonly controllerId: string;
}

/** Engine counters. */
export interface PricingEngineStats {
  /** Window batches consumed. */
  batches: number;
  /** Window records used by a controller. */
  recordsUsed: number;
  /** Records for zones or classes the city does not know. */
  recordsUnknown: number;
  /** Records with figures that are not finite, or negative (ignored). */
  recordsInvalid: number;
  /** Records for periods already decided (out of order). */
  recordsLate: number;
  /** Decisions dropped from memory by decisionLogMax. */
  decisionsDropped: number;
}

interface RowContext {
  readonly dayClass: number;
  readonly cut: number;
  readonly windowStart: number;
  readonly len: number;
  readonly anchor: number;
  readonly out: TariffDecision[];
}

/** Magic of a pricing checkpoint ("PKPR"). */
const PRICING_MAGIC = Uint8Array.of(0x50, 0x4b, 0x50, 0x52);
const PRICING_CHECKPOINT_VERSION = 1;

/** The JSON of a pricing checkpoint (non-finite numbers as null for NaN, "-Infinity"). */
interface PricingCheckpoint {
  readonly v: number;
  readonly layout: number;
  readonly n: number;
  readonly price: number[];
  readonly lastChangeMs: (number | string | null)[];
  readonly integral: number[];
  readonly occMs: number[];
  readonly knownOccMs: number[];
  readonly knownMs: number[];
  readonly capacityMs: number[];
  readonly openPeriod: (number | string | null)[];
  readonly freezes: {
    zones: number[];
    codes: number[];
    fromMs: number;
    toMs: number;
    reason: string;
  }[];
  readonly prices: [number, number, number][];
  readonly stats: PricingEngineStats;
}

function encodeNumber(x: number): number | string | null {
  if (Number.isFinite(x)) return x;
  return Number.isNaN(x) ? null : String(x);
}

function decodeNumber(x: number | string | null): number {
  if (x === null) return Number.NaN;
  return typeof x === "string" ? Number(x) : x;
}

function zoneIndices(mask: Uint8Array): number[] {
  const out: number[] = [];
  for (let z = 0; z < mask.length; z++) if (mask[z] === 1) out.push(z);
  return out;
}

interface ActiveFreeze {
  mask: Uint8Array;
  codes: readonly number[];
  fromMs: number;
  toMs: number;
  reason: string;
}

/**
 * Demand-responsive pricing over a city.
 *
 * @example
 * const engine = new PricingEngine(city, loadPolicyFile("seeds/palu/policy.json", { variant: "dynamic" }));
 * engine.tariffs$.subscribe((ds) => ds.forEach((d) => process.stdout.write(decisionLine(d))));
 * occupancy.windows$.subscribe((batch) => engine.onWindows(batch));
 */
export class PricingEngine {
  /** The city. */
  readonly city: City;
  /** The policy. */
  readonly policy: Policy;
  /** Compiled tariffs. */
  readonly table: TariffTable;
  /** Price histories (read by quotes). */
  readonly prices: PriceBook;
  /** Counters. */
  readonly stats: PricingEngineStats = {
    batches: 0,
    recordsUsed: 0,
    recordsUnknown: 0,
    recordsInvalid: 0,
    recordsLate: 0,
    decisionsDropped: 0,
  };
  /** Controller state over all controlled slots (slots of one controller are contiguous). */
  readonly arrays: ControllerArrays;
  private readonly controllers: readonly Controller[];
  private readonly ctrlStart: Int32Array;
  private readonly slotZone: Uint32Array;
  private readonly slotCode: Uint8Array;
  private readonly slotBand: Uint16Array;
  private readonly slotOfPrice: Int32Array;
  private readonly openPeriod: Float64Array;
  private readonly freezes: ActiveFreeze[] = [];
  private readonly frozenBy: Int32Array;
  private readonly outIdx: Uint32Array;
  private readonly log: TariffDecision[] = [];
  private readonly actionLog: OperatorAction[] = [];
  private readonly subject = new Subject<TariffDecision[]>();
  private readonly logMax: number;

  /** Decisions as they are made, one array per window batch (or override) that made any. */
  readonly tariffs$: Observable<TariffDecision[]> = this.subject.asObservable();

  /**
   * @throws ParkirConfigError when the policy does not fit the city (unknown zones, currency,
   * limits, controller bounds that exclude a published price).
   */
  constructor(city: City, policy: Policy, options: PricingEngineOptions = {}) {
    this.city = city;
    this.policy = policy;
    this.table = options.table ?? compileTariffs(city, policy);
    this.logMax = options.decisionLogMax ?? 1_000_000;
    const table = this.table;
    const nBands = table.nBands;
    const nPrice = city.zoneCount * VEHICLE_CODES * nBands;
    this.prices = new PriceBook(nPrice);
    this.controllers = policy.dynamic?.controllers ?? [];
    this.slotOfPrice = new Int32Array(nPrice).fill(-1);

    // Enumerate controlled slots, controller by controller.
    const issues: Issue[] = [];
    const zones: number[] = [];
    const codes: number[] = [];
    const bands: number[] = [];
    const ctrlOf: number[] = [];
    const starts: number[] = [];
    for (const c of this.controllers) {
      starts.push(zones.length);
      const mask = zoneMask(city, c.zones);
      for (let z = 0; z < city.zoneCount; z++) {
        if (mask[z] === 0) continue;
        for (let code = 0; code < VEHICLE_CODES; code++) {
          if (c.vehicleCodes !== null && !c.vehicleCodes.includes(code)) continue;
          const g = table.zoneVehicleGroup[z * VEHICLE_CODES + code]!;
          if (g < 0) continue;
          for (const r of policy.tariffs[table.groupTariff[g]!]!.rates) {
            if (c.bands !== null && !c.bands.includes(r.band)) continue;
            const ps = priceSlot(z, code, r.band, nBands);
            if (this.slotOfPrice[ps]! >= 0) continue;
            this.slotOfPrice[ps] = zones.length;
            zones.push(z);
            codes.push(code);
            bands.push(r.band);
            ctrlOf.push(c.index);
          }
        }
      }
    }
    starts.push(zones.length);
    const n = zones.length;
    this.ctrlStart = Int32Array.from(starts);
    this.slotZone = Uint32Array.from(zones);
    this.slotCode = Uint8Array.from(codes);
    this.slotBand = Uint16Array.from(bands);
    this.frozenBy = new Int32Array(n).fill(-1);
    this.outIdx = new Uint32Array(n);
    this.openPeriod = new Float64Array(this.controllers.length).fill(Number.NaN);
    const a = createControllerArrays(n, this.controllers.length);
    this.arrays = a;
    const step = policy.roundingStepMinor;
    for (const c of this.controllers) {
      const p = c.index * PARAM_STRIDE;
      a.params[p + P_TYPE] = c.type === "pi" ? 1 : 0;
      a.params[p + P_STEP] = c.stepMinor;
      a.params[p + P_STEP2] = c.step2Minor;
      a.params[p + P_KP] = c.kp;
      a.params[p + P_KI] = c.ki;
      a.params[p + P_INTEGRAL_LIMIT] = c.integralLimit;
      a.params[p + P_MAX_CHANGE] = c.maxChangeMinor;
      a.params[p + P_MIN_INTERVAL_MS] = c.minIntervalMs;
      a.params[p + P_ROUND_STEP] = step;
      const q = c.index * RATIO_STRIDE;
      const th = c.thresholds;
      a.ratios.set(th.lower, q + R_LOWER);
      a.ratios.set(th.upper, q + R_UPPER);
      a.ratios.set(th.lower2, q + R_LOWER2);
      a.ratios.set(th.upper2, q + R_UPPER2);
      a.ratios.set(th.target, q + R_TARGET);
      a.ratios.set(th.deadLow, q + R_DEAD_LOW);
      a.ratios.set(th.deadHigh, q + R_DEAD_HIGH);
      a.ratios.set(th.minCoverage, q + R_MIN_COVERAGE);
    }
    const reported = new Set<string>();
    for (let i = 0; i < n; i++) {
      const c = this.controllers[ctrlOf[i]!]!;
      const z = zones[i]!;
      const code = codes[i]!;
      const [floor, ceiling] = table.legalBounds(z, code);
      const lo = ceilToStep(Math.max(c.minMinor, floor), step);
      const hi = floorToStep(Math.min(c.maxMinor, ceiling), step);
      const g = table.zoneVehicleGroup[z * VEHICLE_CODES + code]!;
      const rate = policy.tariffs[table.groupTariff[g]!]!.rates.find((r) => r.band === bands[i])!;
      const key = `${c.path}|${rate.path}|${lo}|${hi}`;
      if (lo > hi && !reported.has(key)) {
        reported.add(key);
        issues.push({
          path: c.path,
          message: `no price allowed for zone ${city.zones[z]!.id}: [${c.minMinor}, ${c.maxMinor}] and the legal limits [${floor}, ${ceiling}] do not overlap`,
        });
      } else if ((rate.headlineMinor < lo || rate.headlineMinor > hi) && !reported.has(key)) {
        reported.add(key);
        issues.push({
          path: rate.path,
          message: `published price ${rate.headlineMinor} is outside [${lo}, ${hi}] allowed by controller ${c.id} for zone ${city.zones[z]!.id}`,
        });
      }
      a.ctrl[i] = c.index;
      a.lo[i] = lo;
      a.hi[i] = hi;
      a.base[i] = rate.headlineMinor;
      a.price[i] = rate.headlineMinor;
    }
    if (issues.length > 0) throw new ParkirConfigError("pricing policy", issues);
    for (const f of policy.dynamic?.freezes ?? []) {
      this.freezes.push({
        mask: zoneMask(city, f.zones),
        codes: f.vehicleCodes,
        fromMs: f.fromMs,
        toMs: f.toMs,
        reason: f.reason,
      });
    }
  }

  /** Every decision so far, oldest first (append-only; see decisionLogMax). */
  get decisions(): readonly TariffDecision[] {
    return this.log;
  }

  /** Every operator action so far, oldest first. */
  get actions(): readonly OperatorAction[] {
    return this.actionLog;
  }

  /** Number of controlled price slots (zone × class × band). */
  get slotCount(): number {
    return this.arrays.n;
  }

  /**
   * Consumes one closed window batch: adds its occupancy to each controller's open period and
   * decides every period the batch completes. Windows with null occupancy never move a price.
   * Returns the decisions made (also emitted on tariffs$ when any).
   */
  onWindows(batch: WindowBatch): TariffDecision[] {
    this.stats.batches++;
    const out: TariffDecision[] = [];
    const anchor = this.policy.dynamic?.anchorMs ?? 0;
    // Close periods this batch lies beyond.
    for (const c of this.controllers) {
      const open = this.openPeriod[c.index]!;
      if (!Number.isNaN(open)) {
        const end = anchor + (open + 1) * c.everyMs;
        if (batch.windowStart >= end) this.close(c, end, out);
      }
    }
    const len = batch.windowEnd - batch.windowStart;
    if (len > 0 && this.arrays.n > 0 && (batch.columns?.length ?? batch.records.length) > 0) {
      const table = this.table;
      table.ensureRange(batch.windowStart, batch.windowStart);
      const d = table.dayIndex(batch.windowStart);
      let cut = 0;
      while (cut + 1 < table.nCuts && table.cutMs[d * table.nCuts + cut + 1]! <= batch.windowStart) cut++;
      const ctx: RowContext = {
        dayClass: table.dayClassOf[d]!,
        cut,
        windowStart: batch.windowStart,
        len,
        anchor,
        out,
      };
      const cols = batch.columns;
      if (cols !== undefined) {
        // Typed columns (engine batches): no per-row objects or id lookups.
        for (let row = 0; row < cols.length; row++) {
          this.addRow(
            ctx,
            cols.zone[row]!,
            cols.vehicle[row]!,
            !Number.isNaN(cols.occupancy[row]!),
            cols.occupiedBayMs[row]!,
            cols.knownBayMs[row]!,
            cols.capacity[row]!,
          );
        }
      } else {
        for (const rec of batch.records) {
          const z = this.city.zoneIndex(rec.zone);
          const code = vehicleCode(rec.vehicleType);
          if (z < 0 || code < 0) {
            this.stats.recordsUnknown++;
            continue;
          }
          // Records carry ratios: bay-ms are recovered from the catalogue capacity (exact for the
          // occupancy engine's own records, whose ratios are quotients of these integers).
          const cap = this.city.capacity[z * VEHICLE_CODES + code]!;
          const knownMs = Math.round(rec.coverage * cap * len);
          const occMs = rec.occupancy === null ? 0 : Math.round(rec.occupancy * knownMs);
          this.addRow(ctx, z, code, rec.occupancy !== null, occMs, knownMs, cap);
        }
      }
    }
    // Close periods this batch completes.
    for (const c of this.controllers) {
      const open = this.openPeriod[c.index]!;
      if (!Number.isNaN(open)) {
        const end = anchor + (open + 1) * c.everyMs;
        if (batch.windowEnd >= end) this.close(c, end, out);
      }
    }
    this.publish(out);
    return out;
  }

  /**
   * Adds one window row (zone index, vehicle code; occupied and known bay-ms, capacity) to its slot's
   * open period. Bay-ms are integers; anything else is rounded to the nearest one.
   */
  private addRow(
    ctx: RowContext,
    z: number,
    code: number,
    hasOccupancy: boolean,
    occupiedBayMs: number,
    knownBayMs: number,
    capacity: number,
  ): void {
    const table = this.table;
    if (!(z < this.city.zoneCount) || !(code < VEHICLE_CODES)) {
      this.stats.recordsUnknown++;
      return;
    }
    if (
      !(knownBayMs >= 0 && knownBayMs <= Number.MAX_SAFE_INTEGER) ||
      (hasOccupancy && !(occupiedBayMs >= 0 && occupiedBayMs <= Number.MAX_SAFE_INTEGER)) ||
      !(capacity >= 0 && capacity <= 0xffffffff)
    ) {
      this.stats.recordsInvalid++;
      return;
    }
    const g = table.zoneVehicleGroup[z * VEHICLE_CODES + code]!;
    if (g < 0) return;
    const r = table.cellRate[(g * DAY_CLASSES + ctx.dayClass) * table.nCuts + ctx.cut]!;
    if (r < 0) return;
    const i = this.slotOfPrice[priceSlot(z, code, table.rateBand[r]!, table.nBands)]!;
    if (i < 0) return;
    const a = this.arrays;
    const c = this.controllers[a.ctrl[i]!]!;
    const period = Math.floor((ctx.windowStart - ctx.anchor) / c.everyMs);
    const open = this.openPeriod[c.index]!;
    if (Number.isNaN(open)) this.openPeriod[c.index] = period;
    else if (period < open) {
      this.stats.recordsLate++;
      return;
    } else if (period > open) {
      this.close(c, ctx.anchor + (open + 1) * c.everyMs, ctx.out);
      this.openPeriod[c.index] = period;
    }
    this.stats.recordsUsed++;
    const known = Math.round(knownBayMs);
    a.capacityMs[i]! += capacity * ctx.len;
    a.knownMs[i]! += known;
    if (hasOccupancy) {
      a.occMs[i]! += Math.round(occupiedBayMs);
      a.knownOccMs[i]! += known;
    }
  }

  /** Decides controller `c`'s open period at `effectiveMs`. */
  private close(c: Controller, effectiveMs: number, out: TariffDecision[]): void {
    this.openPeriod[c.index] = Number.NaN;
    const a = this.arrays;
    const from = this.ctrlStart[c.index]!;
    const to = this.ctrlStart[c.index + 1]!;
    this.markFrozen(from, to, effectiveMs);
    const count = controllerPass(a, from, to, effectiveMs, this.outIdx);
    const currency = this.policy.currency;
    for (let j = 0; j < count; j++) {
      const i = this.outIdx[j]!;
      const flags = a.outFlags[i]!;
      const bounded = (flags & FLAG.bounded) !== 0;
      const frozen = (flags & FLAG.frozen) !== 0;
      const rule = a.outRule[i]!;
      const old = a.outOld[i]!;
      const proposed = a.outProposed[i]!;
      const occ = a.outOcc[i]!;
      let text: string;
      if (rule === RULE.pi) {
        const intended = proposed - old;
        text = piRule(occ, c.target, a.outErr[i]!, a.integral[i]!, intended, currency);
      } else {
        const raw = rule === RULE.step2Up || rule === RULE.step2Down ? c.step2Minor : c.stepMinor;
        text = stepRule(occ, rule, c.lower, c.upper, c.lower2, c.upper2, rule > 0 ? raw : -raw, currency);
      }
      if (bounded) text += boundedSuffix(proposed, a.lo[i]!, a.hi[i]!, currency);
      if (frozen) text += `, held by freeze: ${this.freezes[this.frozenBy[i]!]?.reason ?? "freeze"}`;
      const newPrice = frozen ? old : proposed;
      const d: TariffDecision = {
        type: "tariff",
        effectiveMs,
        zone: this.city.zones[this.slotZone[i]!]!.id,
        vehicleType: vehicleName(this.slotCode[i]!),
        band: this.policy.bands[this.slotBand[i]!]!.id,
        controller: c.type,
        controllerId: c.id,
        oldPrice: old,
        newPrice,
        currency,
        occupancy: ratio4(occ),
        coverage: ratio4(a.outCov[i]!),
        bounded,
        frozen,
        rule: text,
      };
      if (!frozen)
        this.prices.set(
          priceSlot(this.slotZone[i]!, this.slotCode[i]!, this.slotBand[i]!, this.table.nBands),
          effectiveMs,
          newPrice,
        );
      out.push(d);
    }
  }

  private markFrozen(from: number, to: number, t: number): void {
    const a = this.arrays;
    a.frozen.fill(0, from, to);
    this.frozenBy.fill(-1, from, to);
    this.freezes.forEach((f, fi) => {
      if (!(t >= f.fromMs && t < f.toMs)) return;
      for (let i = from; i < to; i++) {
        if (a.frozen[i] === 0 && f.mask[this.slotZone[i]!] === 1 && f.codes.includes(this.slotCode[i]!)) {
          a.frozen[i] = 1;
          this.frozenBy[i] = fi;
        }
      }
    });
  }

  private publish(ds: TariffDecision[]): void {
    if (ds.length === 0) return;
    for (const d of ds) this.log.push(d);
    if (this.log.length > this.logMax) {
      const drop = this.log.length - this.logMax;
      this.log.splice(0, drop);
      this.stats.decisionsDropped += drop;
    }
    this.subject.next(ds);
  }

  /**
   * Freezes prices of a zone set during [fromMs, toMs): controller decisions there are held and
   * logged with `frozen: true`. The action is logged.
   *
   * @throws ParkirConfigError on unknown zones or classes, or an empty time range.
   */
  freeze(req: FreezeRequest): OperatorAction {
    const issues: Issue[] = [];
    const sel: ZoneSelector = Array.isArray(req.zones)
      ? { ids: [...(req.zones as string[])] }
      : (req.zones as ZoneSelector);
    sel.ids?.forEach((id, i) => {
      if (this.city.zoneIndex(id) < 0) issues.push({ path: `zones[${i}]`, message: `unknown zone ${id}` });
    });
    const codes = this.codesOf(req.vehicleTypes, issues);
    if (!(req.fromMs < req.toMs)) issues.push({ path: "toMs", message: "must be after fromMs" });
    if (issues.length > 0) throw new ParkirConfigError("freeze", issues);
    const mask = zoneMask(this.city, sel);
    this.freezes.push({ mask, codes, fromMs: req.fromMs, toMs: req.toMs, reason: req.reason });
    const action: OperatorAction = {
      action: "freeze",
      by: req.by ?? "operator",
      zones: this.city.zones.filter((_, i) => mask[i] === 1).map((z) => z.id),
      vehicleTypes: codes.map(vehicleName),
      fromMs: req.fromMs,
      toMs: req.toMs,
      reason: req.reason,
    };
    this.actionLog.push(action);
    return action;
  }

  /**
   * Sets one slot's price by hand. The price is kept within the legal floor and ceiling (not the
   * controller's min/max: operators may step outside them); the controller waits minInterval before
   * its next change. Logged as an action and as a decision with controller "override".
   *
   * @throws ParkirConfigError on an unknown zone, class or band, a price off the rounding grid,
   * or an effective time before the slot's last change.
   */
  override(req: OverrideRequest): TariffDecision {
    const issues: Issue[] = [];
    const z = this.city.zoneIndex(req.zone);
    if (z < 0) issues.push({ path: "zone", message: `unknown zone ${req.zone}` });
    const code = vehicleCode(req.vehicleType);
    if (code < 0) issues.push({ path: "vehicleType", message: `unknown vehicle class ${req.vehicleType}` });
    const band = this.policy.bands.findIndex((b) => b.id === req.band);
    if (band < 0) issues.push({ path: "band", message: `unknown band ${req.band}` });
    const step = this.policy.roundingStepMinor;
    if (!Number.isSafeInteger(req.priceMinor) || req.priceMinor < 0 || req.priceMinor % step !== 0)
      issues.push({
        path: "priceMinor",
        message: `must be a non-negative multiple of the rounding step ${step}`,
      });
    let rateHeadline = 0;
    if (issues.length === 0) {
      const g = this.table.zoneVehicleGroup[z * VEHICLE_CODES + code]!;
      const rate =
        g < 0
          ? undefined
          : this.policy.tariffs[this.table.groupTariff[g]!]!.rates.find((r) => r.band === band);
      if (rate === undefined)
        issues.push({
          path: "band",
          message: `no rate of ${req.vehicleType} in zone ${req.zone} uses band ${req.band}`,
        });
      else rateHeadline = rate.headlineMinor;
    }
    const ps = issues.length === 0 ? priceSlot(z, code, band, this.table.nBands) : -1;
    if (ps >= 0) {
      const last = this.prices.changes(ps).at(-1);
      if (last !== undefined && req.effectiveMs < last[0])
        issues.push({ path: "effectiveMs", message: "must not be before the slot's last change" });
    }
    if (!Number.isFinite(req.effectiveMs))
      issues.push({ path: "effectiveMs", message: "must be ms since the epoch" });
    if (issues.length > 0) throw new ParkirConfigError("override", issues);

    const [floor, ceiling] = this.table.legalBounds(z, code);
    const lo = ceilToStep(floor, step);
    const hi = Number.isFinite(ceiling) ? floorToStep(ceiling, step) : ceiling;
    const price = Math.min(Math.max(req.priceMinor, lo), hi);
    const i = this.slotOfPrice[ps]!;
    const old = i >= 0 ? this.arrays.price[i]! : (this.prices.priceAt(ps, req.effectiveMs) ?? rateHeadline);
    if (i >= 0) {
      this.arrays.price[i] = price;
      this.arrays.lastChangeMs[i] = req.effectiveMs;
      this.arrays.integral[i] = 0;
    }
    this.prices.set(ps, req.effectiveMs, price);
    const by = req.by ?? "operator";
    const currency = this.policy.currency;
    let rule = `operator override by ${by}: ${formatMoney(old, currency)} → ${formatMoney(price, currency)} (${req.reason})`;
    if (price !== req.priceMinor)
      rule += boundedSuffix(price, lo, hi, currency).replace(
        "bounded to",
        "legal limits applied, bounded to",
      );
    const d: TariffDecision = {
      type: "tariff",
      effectiveMs: req.effectiveMs,
      zone: req.zone,
      vehicleType: vehicleName(code),
      band: req.band,
      controller: "override",
      controllerId: by,
      oldPrice: old,
      newPrice: price,
      currency,
      occupancy: null,
      coverage: null,
      bounded: price !== req.priceMinor,
      frozen: false,
      rule,
    };
    this.actionLog.push({
      action: "override",
      by,
      zones: [req.zone],
      vehicleTypes: [vehicleName(code)],
      fromMs: req.effectiveMs,
      toMs: null,
      reason: req.reason,
    });
    this.publish([d]);
    return d;
  }

  /** Current price of every controlled slot, in slot order (controller, zone, class, band). */
  currentPrices(): SlotPrice[] {
    const a = this.arrays;
    const out: SlotPrice[] = [];
    for (let i = 0; i < a.n; i++) {
      const since = a.lastChangeMs[i]!;
      out.push({
        zone: this.city.zones[this.slotZone[i]!]!.id,
        vehicleType: vehicleName(this.slotCode[i]!),
        band: this.policy.bands[this.slotBand[i]!]!.id,
        priceMinor: a.price[i]!,
        sinceMs: Number.isFinite(since) ? since : null,
        controllerId: this.controllers[a.ctrl[i]!]!.id,
      });
    }
    return out;
  }

  /** Quotes a stay with this engine's price history (see `quote`). */
  quote(req: QuoteRequest): Quote {
    return quote(this.table, req, this.prices);
  }

  /** Bills many stays with this engine's price history (see `billBatch`). */
  billBatch(
    startsMs: Float64Array,
    endsMs: Float64Array,
    zones: Uint32Array,
    vehicles: Uint8Array,
    out: Float64Array | Int32Array,
    assurance: "locked" | "integrated" = "locked",
  ): BatchBillReport {
    const p = this.prices.size > 0 ? this.prices.flatten() : null;
    return billKernel(this.table, p, startsMs, endsMs, zones, vehicles, out, assurance === "locked");
  }

  /** Completes tariffs$ (no more decisions will be emitted). */
  complete(): void {
    this.subject.complete();
  }

  /**
   * The controller state as bytes for `restore`: every slot's price, last change and PI integrator, the open
   * period's sums, freezes added by `freeze()`, the price in force per slot (quotes read it) and the counters.
   * Not in it: the in-memory decision and action logs (the JSON Lines outputs are their durable record) and price
   * history before the last change of each slot. Size: a few dozen bytes per controlled slot.
   */
  checkpoint(): Uint8Array {
    const a = this.arrays;
    const policyFreezes = this.policy.dynamic?.freezes.length ?? 0;
    const doc: PricingCheckpoint = {
      v: PRICING_CHECKPOINT_VERSION,
      layout: this.layoutHash(),
      n: a.n,
      price: Array.from(a.price),
      lastChangeMs: Array.from(a.lastChangeMs, encodeNumber),
      integral: Array.from(a.integral),
      occMs: Array.from(a.occMs),
      knownOccMs: Array.from(a.knownOccMs),
      knownMs: Array.from(a.knownMs),
      capacityMs: Array.from(a.capacityMs),
      openPeriod: Array.from(this.openPeriod, encodeNumber),
      freezes: this.freezes.slice(policyFreezes).map((f) => ({
        zones: zoneIndices(f.mask),
        codes: [...f.codes],
        fromMs: f.fromMs,
        toMs: f.toMs,
        reason: f.reason,
      })),
      prices: this.prices.latest(),
      stats: { ...this.stats },
    };
    const json = new TextEncoder().encode(JSON.stringify(doc));
    const out = new Uint8Array(4 + json.byteLength);
    out.set(PRICING_MAGIC, 0);
    out.set(json, 4);
    return out;
  }

  /**
   * Continues from `checkpoint()` bytes of an engine built from the same city and policy: the next decisions are
   * those an engine that never stopped would make. Call it on a new engine, before its first window.
   *
   * @throws ParkirWireError "catalog-mismatch" when the bytes were written for another city, policy or controller
   *   layout; another reason when they are not a pricing checkpoint (nothing changes either way). ParkirError when
   *   this engine has consumed windows already.
   */
  restore(bytes: Uint8Array): void {
    if (this.stats.batches > 0 || this.log.length > 0)
      throw new ParkirError("restore needs a new pricing engine (this one has made decisions)");
    const doc = this.readCheckpoint(bytes);
    const a = this.arrays;
    a.price.set(doc.price);
    a.lastChangeMs.set(doc.lastChangeMs.map(decodeNumber));
    a.integral.set(doc.integral);
    a.occMs.set(doc.occMs);
    a.knownOccMs.set(doc.knownOccMs);
    a.knownMs.set(doc.knownMs);
    a.capacityMs.set(doc.capacityMs);
    this.openPeriod.set(doc.openPeriod.map(decodeNumber));
    for (const f of doc.freezes) {
      const mask = new Uint8Array(this.city.zoneCount);
      for (const z of f.zones) mask[z] = 1;
      this.freezes.push({ mask, codes: f.codes, fromMs: f.fromMs, toMs: f.toMs, reason: f.reason });
    }
    for (const [slot, ms, price] of doc.prices) this.prices.set(slot, ms, price);
    Object.assign(this.stats, doc.stats);
  }

  /** Validates checkpoint bytes completely before anything is changed. */
  private readCheckpoint(bytes: Uint8Array): PricingCheckpoint {
    const bad = (reason: "too-small" | "bad-identifier" | "bad-string" | "bad-field", what: string) =>
      new ParkirWireError(reason, 0, `pricing checkpoint: ${what}`);
    if (!(bytes instanceof Uint8Array) || bytes.byteLength < 4)
      throw bad("too-small", "shorter than its magic");
    for (let i = 0; i < 4; i++) if (bytes[i] !== PRICING_MAGIC[i]) throw bad("bad-identifier", "wrong magic");
    let doc: PricingCheckpoint;
    try {
      doc = JSON.parse(
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(4)),
      ) as PricingCheckpoint;
    } catch {
      throw bad("bad-string", "not JSON");
    }
    if (typeof doc !== "object" || doc === null || doc.v !== PRICING_CHECKPOINT_VERSION)
      throw bad(
        "bad-field",
        `version ${String((doc as { v?: unknown } | null)?.v)} is not ${PRICING_CHECKPOINT_VERSION}`,
      );
    const layout = this.layoutHash();
    if (doc.layout !== layout || doc.n !== this.arrays.n)
      throw new ParkirWireError(
        "catalog-mismatch",
        0,
        `pricing checkpoint is for another city, policy or controller layout (${String(doc.layout)}, ${String(doc.n)} slots; this engine: ${layout}, ${this.arrays.n} slots)`,
      );
    const n = this.arrays.n;
    const finite = (x: unknown) => typeof x === "number" && Number.isFinite(x);
    const column = (name: keyof PricingCheckpoint, len: number, ok: (x: unknown) => boolean) => {
      const v = doc[name];
      if (!Array.isArray(v) || v.length !== len || !v.every(ok))
        throw bad("bad-field", `${name} is malformed`);
    };
    const timeOrNone = (x: unknown) => finite(x) || x === "-Infinity";
    column("price", n, (x) => Number.isSafeInteger(x));
    column("lastChangeMs", n, timeOrNone);
    for (const k of ["integral", "occMs", "knownOccMs", "knownMs", "capacityMs"] as const)
      column(k, n, finite);
    column("openPeriod", this.controllers.length, (x) => x === null || Number.isSafeInteger(x));
    const zones = this.city.zoneCount;
    column("freezes", Array.isArray(doc.freezes) ? doc.freezes.length : -1, (f) => {
      const r = f as PricingCheckpoint["freezes"][number];
      return (
        typeof r === "object" &&
        r !== null &&
        Array.isArray(r.zones) &&
        r.zones.every((z) => Number.isInteger(z) && z >= 0 && z < zones) &&
        Array.isArray(r.codes) &&
        r.codes.every((c) => Number.isInteger(c) && c >= 0 && c < VEHICLE_CODES) &&
        finite(r.fromMs) &&
        finite(r.toMs) &&
        r.fromMs < r.toMs &&
        typeof r.reason === "string"
      );
    });
    column("prices", Array.isArray(doc.prices) ? doc.prices.length : -1, (e) => {
      const r = e as [unknown, unknown, unknown];
      return (
        Array.isArray(r) &&
        r.length === 3 &&
        Number.isInteger(r[0]) &&
        (r[0] as number) >= 0 &&
        (r[0] as number) < this.prices.slots &&
        finite(r[1]) &&
        Number.isSafeInteger(r[2])
      );
    });
    const st = doc.stats as unknown as Record<string, unknown> | null;
    if (
      typeof st !== "object" ||
      st === null ||
      !Object.keys(this.stats).every((k) => Number.isSafeInteger(st[k]) && (st[k] as number) >= 0)
    )
      throw bad("bad-field", "stats are malformed");
    return doc;
  }

  /** FNV-1a of what a checkpoint's arrays depend on: the city, the controllers and every slot's place and bounds. */
  private layoutHash(): number {
    const a = this.arrays;
    return fnv1a(
      JSON.stringify([
        this.city.id,
        this.city.catalogHash,
        this.policy.dynamic?.anchorMs ?? 0,
        this.controllers.map((c) => [c.id, c.type, c.everyMs]),
        Array.from(this.slotZone),
        Array.from(this.slotCode),
        Array.from(this.slotBand),
        Array.from(a.ctrl),
        Array.from(a.lo),
        Array.from(a.hi),
        Array.from(a.base),
        Array.from(a.params),
        Array.from(a.ratios),
      ]),
    );
  }

  private codesOf(names: readonly string[] | undefined, issues: Issue[]): number[] {
    if (names === undefined) return Array.from({ length: VEHICLE_CODES }, (_, i) => i);
    const out: number[] = [];
    names.forEach((n, i) => {
      const c = vehicleCode(n);
      if (c < 0) issues.push({ path: `vehicleTypes[${i}]`, message: `unknown vehicle class ${n}` });
      else if (!out.includes(c)) out.push(c);
    });
    return out.sort((x, y) => x - y);
  }
}

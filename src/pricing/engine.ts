/**
 * The pricing engine: turns closed occupancy windows into explainable tariff decisions, keeps the
 * price history quotes read, and logs every freeze and override. Deterministic: the same windows,
 * freezes and overrides in the same order give the same decisions.
 */
import type { Observable } from "rxjs";
import { type City, fnv1a } from "../catalog/city.js";
import { VEHICLE_CODES, type VehicleType, vehicleCode, vehicleName } from "../catalog/vehicles.js";
import { ParkirError } from "../errors/index.js";
import type { WindowBatch } from "../occupancy/types.js";
import { subject as newSubject } from "../rx.js";
import {
  decodeNumber,
  encodeNumber,
  PRICING_CHECKPOINT_VERSION,
  PRICING_MAGIC,
  type PricingCheckpoint,
  readPricingCheckpoint,
  zoneIndices,
} from "./checkpoint.js";
import { type ControllerArrays, controllerPass, FLAG, RULE } from "./controller.js";
import { boundedSuffix, piRule, ratio4, stepRule, type TariffDecision } from "./decision.js";
import { type BatchBillReport, billKernel } from "./kernel.js";
import { ceilToStep, floorToStep, formatMoney } from "./money.js";
import {
  type ActiveFreeze,
  type FreezeRequest,
  type OperatorAction,
  type OverrideRequest,
  overrideTarget,
  resolveFreeze,
} from "./operator.js";
import type { Controller, Policy } from "./policy.js";
import { PriceBook, priceSlot } from "./pricebook.js";
import { type Quote, type QuoteRequest, quote } from "./quote.js";
import { controlledSlots } from "./slots.js";
import { compileTariffs, DAY_CLASSES, type TariffTable, zoneMask } from "./table.js";

/** Options of a PricingEngine. */
export interface PricingEngineOptions {
  /** A table already compiled from the same city and policy (saves compiling twice). Default: compiled here. */
  readonly table?: TariffTable;
  /** Decisions kept in memory; older ones are dropped and counted (the JSON Lines log is the durable record). Default 1,000,000 (~300 MB worst case). */
  readonly decisionLogMax?: number;
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
  private readonly subject = newSubject<TariffDecision[]>();
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
    const slots = controlledSlots(city, policy, table);
    this.slotOfPrice = slots.slotOfPrice;
    this.ctrlStart = slots.ctrlStart;
    this.slotZone = slots.slotZone;
    this.slotCode = slots.slotCode;
    this.slotBand = slots.slotBand;
    this.arrays = slots.arrays;
    const n = slots.arrays.n;
    this.frozenBy = new Int32Array(n).fill(-1);
    this.outIdx = new Uint32Array(n);
    this.openPeriod = new Float64Array(this.controllers.length).fill(Number.NaN);
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
    const { freeze, action } = resolveFreeze(this.city, req);
    this.freezes.push(freeze);
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
    const { z, code, ps, rateHeadline } = overrideTarget(
      this.city,
      this.policy,
      this.table,
      this.prices,
      req,
    );
    const step = this.policy.roundingStepMinor;
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
    const doc = readPricingCheckpoint(bytes, {
      layout: this.layoutHash(),
      slots: this.arrays.n,
      controllers: this.controllers.length,
      zones: this.city.zoneCount,
      priceSlots: this.prices.slots,
      statKeys: Object.keys(this.stats),
    });
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
}

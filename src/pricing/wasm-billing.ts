/**
 * The wasm billing kernel (wasm/billing.ts) behind the same contract as the pricing engine's
 * `billBatch`: same arguments, same amounts, same report. The compiled tariff table is copied into
 * the shared memory once (its timeline again whenever it grows); session rows are read in place when
 * they already lie in the arena (see `rows`), else copied in once per call and counted in
 * `copiedBytes`.
 */

import type { SharedArena } from "../runtime/memory.js";
import { compileKernelSync, instantiateKernel } from "../runtime/wasm.js";
import { type BillBatchOptions, checkBillBatch } from "./batch.js";
import type { BatchBillReport, PriceArrays } from "./kernel.js";
import { STAY_MS_MAX, type TariffTable } from "./table.js";

// Table slots of wasm/billing.ts (a test checks they match).
/** @internal */
export const BILLING_SLOTS = {
  B_ZONE_VEHICLE_GROUP: 0,
  B_GROUP_GRACE_MS: 1,
  B_GROUP_MAX_FEE: 2,
  B_GROUP_DAILY_CAP: 3,
  B_CELL_RATE: 4,
  B_CELL_MULT: 5,
  B_RATE_BAND: 6,
  B_RATE_PER_VISIT: 7,
  B_RATE_HEADLINE: 8,
  B_RATE_TIER_START: 9,
  B_RATE_TIER_COUNT: 10,
  B_TIER_FROM_MS: 11,
  B_TIER_UNIT_MS: 12,
  B_TIER_AMOUNT: 13,
  B_DAY_START_MS: 14,
  B_DAY_CLASS_OF: 15,
  B_CUT_MS: 16,
  B_HIST_OFFSET: 17,
  B_HIST_MS: 18,
  B_HIST_PRICE: 19,
  B_N_CUTS: 20,
  B_N_DAYS: 21,
  B_N_BANDS: 22,
  B_ZONE_COUNT: 23,
  B_ROUND_CODE: 24,
  B_HAS_PRICES: 25,
  TABLE_F64: 128,
  BF_ROUND_STEP: 0,
  BF_STAY_MS_MAX: 1,
} as const;
const S = BILLING_SLOTS;
const TABLE_BYTES = 256;

interface BillingExports {
  validRange(tbl: number, starts: number, ends: number, n: number, outLoHi: number): void;
  billRows(
    tbl: number,
    starts: number,
    ends: number,
    zones: number,
    vehicles: number,
    out: number,
    n: number,
    locked: number,
    outTotal: number,
  ): number;
}

/** Session rows laid out in the shared memory, to be filled in place and billed without a copy. */
export interface BillingRows {
  /** Stay starts, ms since the epoch. */
  readonly startsMs: Float64Array;
  /** Stay ends, ms since the epoch. */
  readonly endsMs: Float64Array;
  /** Dense zone indices. */
  readonly zones: Uint32Array;
  /** Vehicle wire codes. */
  readonly vehicles: Uint8Array;
  /** Amounts written by the kernel, minor units (−1 for an invalid row). */
  readonly out: Float64Array;
}

type Typed = Float64Array | Uint32Array | Int32Array | Uint8Array;

/**
 * Batch billing with the wasm kernel for one compiled tariff table.
 *
 * @example
 * const billing = new WasmBilling(arena, table);
 * const rows = billing.rows(n);          // fill rows.startsMs, rows.endsMs, rows.zones, rows.vehicles
 * billing.billBatch(rows.startsMs, rows.endsMs, rows.zones, rows.vehicles, rows.out); // zero copy
 */
export class WasmBilling {
  /** The table billed against. */
  readonly table: TariffTable;
  /** Bytes copied into the shared memory for session rows and results so far (0 when callers use `rows`). */
  copiedBytes = 0;
  private readonly arena: SharedArena;
  private readonly k: BillingExports;
  private readonly tbl: number;
  private readonly scratch: number;
  private readonly copies = new WeakMap<object, number>();
  private timeline: readonly [Float64Array, Uint8Array, Float64Array] | null = null;
  private prices: PriceArrays | null = null;
  private stage: BillingRows | null = null;

  constructor(arena: SharedArena, table: TariffTable) {
    this.arena = arena;
    this.table = table;
    this.k = instantiateKernel<BillingExports>(compileKernelSync("billing"), arena.memory);
    this.tbl = arena.alloc(TABLE_BYTES, 8);
    this.scratch = arena.alloc(16, 8);
    // Recycled arena space is not cleared: start from an all-zero table (no prices).
    arena.u8().fill(0, this.tbl, this.tbl + TABLE_BYTES);
    const T = table;
    this.setPtr(S.B_ZONE_VEHICLE_GROUP, this.copy(T.zoneVehicleGroup));
    this.setPtr(S.B_GROUP_GRACE_MS, this.copy(T.groupGraceMs));
    this.setPtr(S.B_GROUP_MAX_FEE, this.copy(T.groupMaxFeeMinor));
    this.setPtr(S.B_GROUP_DAILY_CAP, this.copy(T.groupDailyCapMinor));
    this.setPtr(S.B_CELL_RATE, this.copy(T.cellRate));
    this.setPtr(S.B_CELL_MULT, this.copy(T.cellMult));
    this.setPtr(S.B_RATE_BAND, this.copy(T.rateBand));
    this.setPtr(S.B_RATE_PER_VISIT, this.copy(T.ratePerVisitMinor));
    this.setPtr(S.B_RATE_HEADLINE, this.copy(T.rateHeadlineMinor));
    this.setPtr(S.B_RATE_TIER_START, this.copy(T.rateTierStart));
    this.setPtr(S.B_RATE_TIER_COUNT, this.copy(T.rateTierCount));
    this.setPtr(S.B_TIER_FROM_MS, this.copy(T.tierFromMs));
    this.setPtr(S.B_TIER_UNIT_MS, this.copy(T.tierUnitMs));
    this.setPtr(S.B_TIER_AMOUNT, this.copy(T.tierAmountMinor));
    this.setPtr(S.B_N_CUTS, T.nCuts);
    this.setPtr(S.B_N_BANDS, T.nBands);
    this.setPtr(S.B_ZONE_COUNT, T.city.zoneCount);
    this.setPtr(S.B_ROUND_CODE, T.roundCode);
    const f64 = arena.f64();
    f64[(this.tbl + S.TABLE_F64) / 8 + S.BF_ROUND_STEP] = T.roundStepMinor;
    f64[(this.tbl + S.TABLE_F64) / 8 + S.BF_STAY_MS_MAX] = STAY_MS_MAX;
  }

  /**
   * Rows for `n` sessions in the shared memory. Billing them is zero-copy. Each call allocates new
   * rows (shared memory is never freed): allocate once, reuse for every batch.
   */
  rows(n: number): BillingRows {
    const a = this.arena;
    const starts = a.alloc(8 * n, 8);
    const ends = a.alloc(8 * n, 8);
    const out = a.alloc(8 * n, 8);
    const zones = a.alloc(4 * n, 4);
    const vehicles = a.alloc(n, 8);
    const buf = a.memory.buffer;
    return {
      startsMs: new Float64Array(buf, starts, n),
      endsMs: new Float64Array(buf, ends, n),
      zones: new Uint32Array(buf, zones, n),
      vehicles: new Uint8Array(buf, vehicles, n),
      out: new Float64Array(buf, out, n),
    };
  }

  /**
   * Bills stays exactly like the pricing engine's `billBatch` (same validation, same amounts).
   *
   * @throws ParkirConfigError when the arrays have different lengths or the price book was made for another table.
   */
  billBatch(
    startsMs: Float64Array,
    endsMs: Float64Array,
    zones: Uint32Array,
    vehicles: Uint8Array,
    out: Float64Array | Int32Array,
    options: BillBatchOptions = {},
  ): BatchBillReport {
    checkBillBatch(this.table, startsMs, endsMs, zones, vehicles, out, options);
    const n = startsMs.length;
    const p = options.prices && options.prices.size > 0 ? options.prices.flatten() : null;
    this.syncPrices(p);
    const locked = (options.assurance ?? "locked") === "locked";
    const a = this.arena;
    const inPlace =
      a.owns(startsMs) &&
      a.owns(endsMs) &&
      a.owns(zones) &&
      a.owns(vehicles) &&
      out instanceof Float64Array &&
      a.owns(out);
    let rows: BillingRows;
    if (inPlace) rows = { startsMs, endsMs, zones, vehicles, out: out as Float64Array };
    else {
      rows = this.staging(n);
      rows.startsMs.set(startsMs);
      rows.endsMs.set(endsMs);
      rows.zones.set(zones);
      rows.vehicles.set(vehicles);
      this.copiedBytes += 21 * n;
    }
    const k = this.k;
    const s = this.scratch;
    k.validRange(this.tbl, rows.startsMs.byteOffset, rows.endsMs.byteOffset, n, s);
    const f64 = a.f64();
    const lo = f64[s / 8]!;
    const hi = f64[s / 8 + 1]!;
    if (lo <= hi) this.table.ensureRange(lo, hi);
    this.syncTimeline();
    const invalid = k.billRows(
      this.tbl,
      rows.startsMs.byteOffset,
      rows.endsMs.byteOffset,
      rows.zones.byteOffset,
      rows.vehicles.byteOffset,
      rows.out.byteOffset,
      n,
      locked ? 1 : 0,
      s,
    );
    const totalMinor = a.f64()[s / 8]!;
    if (!inPlace) {
      out.set(rows.out.subarray(0, n));
      this.copiedBytes += 8 * n;
    }
    return { billed: n - invalid, invalid, totalMinor };
  }

  private staging(n: number): BillingRows {
    const cur = this.stage;
    if (cur !== null && cur.startsMs.length >= n) {
      return {
        startsMs: cur.startsMs.subarray(0, n),
        endsMs: cur.endsMs.subarray(0, n),
        zones: cur.zones.subarray(0, n),
        vehicles: cur.vehicles.subarray(0, n),
        out: cur.out.subarray(0, n),
      };
    }
    // Grow geometrically; the old region is abandoned (the arena never frees), so at most 2× is wasted.
    let cap = Math.max(1024, cur?.startsMs.length ?? 0);
    while (cap < n) cap *= 2;
    this.stage = this.rows(cap);
    return this.staging(n);
  }

  private syncTimeline(): void {
    const T = this.table;
    const t = this.timeline;
    if (t !== null && t[0] === T.dayStartMs && t[1] === T.dayClassOf && t[2] === T.cutMs) return;
    this.setPtr(S.B_DAY_START_MS, this.copy(T.dayStartMs));
    this.setPtr(S.B_DAY_CLASS_OF, this.copy(T.dayClassOf));
    this.setPtr(S.B_CUT_MS, this.copy(T.cutMs));
    this.setPtr(S.B_N_DAYS, T.nDays);
    this.timeline = [T.dayStartMs, T.dayClassOf, T.cutMs];
  }

  private syncPrices(p: PriceArrays | null): void {
    if (p === this.prices) return;
    this.prices = p;
    if (p === null) {
      this.setPtr(S.B_HAS_PRICES, 0);
      return;
    }
    this.setPtr(S.B_HIST_OFFSET, this.copy(p.histOffset));
    this.setPtr(S.B_HIST_MS, this.copy(p.histMs));
    this.setPtr(S.B_HIST_PRICE, this.copy(p.histPriceMinor));
    this.setPtr(S.B_HAS_PRICES, 1);
  }

  /** Copies a typed array into the arena once (cached by identity) and returns its byte offset. */
  private copy(src: Typed): number {
    const hit = this.copies.get(src);
    if (hit !== undefined) return hit;
    const at = this.arena.alloc(Math.max(8, src.byteLength), 8);
    this.arena.u8().set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), at);
    this.copies.set(src, at);
    return at;
  }

  private setPtr(slot: number, value: number): void {
    this.arena.u32()[this.tbl / 4 + slot] = value;
  }
}

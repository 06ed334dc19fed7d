/**
 * The tariff formula, in one place: how a stay becomes an amount. Used by `quote` (with a recorder
 * for the breakdown) and by the batch billing loop (without), so both give the same amount.
 *
 * A stay [s, e) is walked in units from arrival:
 * 1. Stays shorter than the tariff's grace period are free.
 * 2. At each instant t the rate in force is looked up (band at t, first match in the tariff); time
 *    with no rate is free and skipped to the next band boundary.
 * 3. The first priced instant charges the rate's entry fee (`perVisitMinor`) once per visit.
 * 4. A unit starts at t: its tier is the one containing the elapsed time t − s, its price the tier
 *    amount (plus the dynamic delta, see below), times the vehicle multiplier and the surcharges in
 *    force at t, rounded to an integer; the next unit starts one unit length later (a tier without
 *    a unit length covers the rest of the stay).
 * 5. Units are summed per rolling 24 h from arrival and each sum is capped at the daily cap; the
 *    total is capped at the maximum fee and rounded to the policy step (caps are multiples of it).
 *
 * Dynamic prices: a price slot (zone, class, band) may have a price history. The controlled price P
 * replaces the rate's headline price H; every tier moves by the same delta P − H (never below 0).
 * `locked` reads P at arrival, `integrated` at each unit's start. Every step is monotone in the
 * stay's end, so a longer stay never costs less.
 */
import { VEHICLE_CODES } from "../catalog/vehicles.js";
import { DAY_MS } from "./localtime.js";
import { roundToStep } from "./money.js";
import { DAY_CLASSES, STAY_MS_MAX, type TariffTable } from "./table.js";

/** Dynamic price histories in flat form (see PriceBook.flatten). */
export interface PriceArrays {
  /** Price slots: zoneCount × VEHICLE_CODES × nBands. */
  readonly slots: number;
  /** History of slot i is entries histOffset[i] … histOffset[i + 1] - 1 (slots + 1 entries). */
  readonly histOffset: Int32Array;
  /** Effective instant of each entry, ascending within a slot. */
  readonly histMs: Float64Array;
  /** Price of each entry, minor units. */
  readonly histPriceMinor: Float64Array;
}

/** Receives the steps of one bill, for a line-by-line breakdown. */
export interface BillRecorder {
  /** The stay was shorter than the grace period. */
  grace(graceMs: number): void;
  /** No tariff covers this zone and vehicle class. */
  noTariff(): void;
  /** Entry fee charged at `t`. */
  entry(t: number, amountMinor: number, rate: number, mult: number): void;
  /** One unit [from, to) charged `amountMinor` (`priceMinor` before multipliers). */
  unit(
    from: number,
    to: number,
    amountMinor: number,
    rate: number,
    tier: number,
    priceMinor: number,
    mult: number,
  ): void;
  /** A rolling 24 h period's sum exceeded the daily cap by `excessMinor`. */
  dailyCap(period: number, excessMinor: number): void;
  /** The total exceeded the maximum fee by `excessMinor`. */
  maxFee(excessMinor: number): void;
  /** Rounding changed the total by `diffMinor`. */
  rounding(diffMinor: number): void;
}

/**
 * Bills one stay of vehicle `code` in zone index `zone` from `s` to `e` (ms). Returns the amount in
 * minor units, or -1 when the stay is invalid (end before start, not finite, longer than
 * STAY_MS_MAX, unknown zone or class). The table's timeline must cover [s, e].
 */
export function billOne(
  T: TariffTable,
  P: PriceArrays | null,
  zone: number,
  code: number,
  s: number,
  e: number,
  locked: boolean,
  rec: BillRecorder | null,
): number {
  if (
    !(e >= s) ||
    e - s > STAY_MS_MAX ||
    !(zone >= 0 && zone < T.city.zoneCount) ||
    !(code >= 0 && code < VEHICLE_CODES)
  )
    return -1;
  const g = T.zoneVehicleGroup[zone * VEHICLE_CODES + code]!;
  if (g < 0) {
    if (rec !== null) rec.noTariff();
    return 0;
  }
  const graceMs = T.groupGraceMs[g]!;
  if (e - s < graceMs) {
    if (rec !== null) rec.grace(graceMs);
    return 0;
  }
  const nc = T.nCuts;
  const dayStartMs = T.dayStartMs;
  const cutMs = T.cutMs;
  const cellBase = g * DAY_CLASSES;
  const cap = T.groupDailyCapMinor[g]!;
  // Locate the day and cut holding s.
  let d = T.dayIndex(s);
  let c = 0;
  while (c + 1 < nc && cutMs[d * nc + c + 1]! <= s) c++;
  let segEnd = c + 1 < nc ? cutMs[d * nc + c + 1]! : dayStartMs[d + 1]!;

  let entryDone = false;
  let period = 0;
  let periodSum = 0;
  let total = 0;
  let t = s;
  while (t < e) {
    while (t >= segEnd) {
      c++;
      if (c === nc) {
        c = 0;
        d++;
      }
      segEnd = c + 1 < nc ? cutMs[d * nc + c + 1]! : dayStartMs[d + 1]!;
    }
    const cell = (cellBase + T.dayClassOf[d]!) * nc + c;
    const r = T.cellRate[cell]!;
    if (r < 0) {
      t = segEnd;
      continue;
    }
    const mult = T.cellMult[cell]!;
    let delta = 0;
    if (P !== null) {
      const slot = (zone * VEHICLE_CODES + code) * T.nBands + T.rateBand[r]!;
      let lo = P.histOffset[slot]!;
      let hi = P.histOffset[slot + 1]! - 1;
      const at = locked ? s : t;
      if (hi >= lo && P.histMs[lo]! <= at) {
        // Last entry with histMs <= at.
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (P.histMs[mid]! <= at) lo = mid;
          else hi = mid - 1;
        }
        delta = P.histPriceMinor[lo]! - T.rateHeadlineMinor[r]!;
      }
    }
    const elapsed = t - s;
    if (cap >= 0) {
      const p = Math.floor(elapsed / DAY_MS);
      if (p !== period) {
        if (periodSum > cap) {
          if (rec !== null) rec.dailyCap(period, periodSum - cap);
          periodSum = cap;
        }
        total += periodSum;
        periodSum = 0;
        period = p;
      }
    }
    const n = T.rateTierCount[r]!;
    if (!entryDone) {
      entryDone = true;
      let pv = T.ratePerVisitMinor[r]!;
      if (n === 0) pv = Math.max(pv + delta, 0);
      if (pv > 0) {
        const a = Math.round(pv * mult);
        periodSum += a;
        if (rec !== null) rec.entry(t, a, r, mult);
      }
    }
    if (n === 0) {
      t = segEnd;
      continue;
    }
    const k0 = T.rateTierStart[r]!;
    const kEnd = k0 + n;
    let k = kEnd - 1;
    while (k > k0 && T.tierFromMs[k]! > elapsed) k--;
    if (rec === null && segEnd >= e && (locked || P === null) && (cap < 0 || e - s <= DAY_MS)) {
      // Fast path: the rest of the stay lies in this segment (one rate, one multiplier, one price,
      // one cap period), so count the units of each tier instead of walking them. Same result.
      const dur = e - s;
      let el = elapsed;
      while (el < dur) {
        while (k + 1 < kEnd && T.tierFromMs[k + 1]! <= el) k++;
        const amt = Math.max(T.tierAmountMinor[k]! + delta, 0);
        const a = Math.round(amt * mult);
        const u = T.tierUnitMs[k]!;
        if (u === 0) {
          periodSum += a;
          break;
        }
        const limit = k + 1 < kEnd && T.tierFromMs[k + 1]! < dur ? T.tierFromMs[k + 1]! : dur;
        const count = Math.ceil((limit - el) / u);
        periodSum += count * a;
        el += count * u;
      }
      break;
    }
    const price = Math.max(T.tierAmountMinor[k]! + delta, 0);
    const a = Math.round(price * mult);
    const u = T.tierUnitMs[k]!;
    const next = u > 0 ? t + u : e;
    periodSum += a;
    if (rec !== null) rec.unit(t, Math.min(next, e), a, r, k, price, mult);
    t = next;
  }
  if (cap >= 0 && periodSum > cap) {
    if (rec !== null) rec.dailyCap(period, periodSum - cap);
    periodSum = cap;
  }
  total += periodSum;
  const maxFee = T.groupMaxFeeMinor[g]!;
  if (maxFee >= 0 && total > maxFee) {
    if (rec !== null) rec.maxFee(total - maxFee);
    total = maxFee;
  }
  const rounded = roundToStep(total, T.roundStepMinor, T.roundCode);
  if (rec !== null && rounded !== total) rec.rounding(rounded - total);
  return rounded;
}

/** Counts from one batch billing call. */
export interface BatchBillReport {
  /** Rows billed. */
  billed: number;
  /** Rows refused (amount -1): end before start, not finite, too long, unknown zone or class. */
  invalid: number;
  /** Sum of the valid amounts, minor units. */
  totalMinor: number;
}

/**
 * Bills many stays at once (the nightly reconciliation hot path): row i is vehicle `vehicles[i]`
 * (wire code) in zone index `zones[i]` from `startsMs[i]` to `endsMs[i]`; its amount goes to
 * `out[i]` (-1 when invalid). No allocation per row.
 */
export function billKernel(
  T: TariffTable,
  P: PriceArrays | null,
  startsMs: Float64Array,
  endsMs: Float64Array,
  zones: Uint32Array,
  vehicles: Uint8Array,
  out: Float64Array | Int32Array,
  locked: boolean,
): BatchBillReport {
  const n = startsMs.length;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const s = startsMs[i]!;
    const e = endsMs[i]!;
    if (e >= s && e - s <= STAY_MS_MAX) {
      if (s < lo) lo = s;
      if (e > hi) hi = e;
    }
  }
  if (lo <= hi) T.ensureRange(lo, hi);
  let invalid = 0;
  let totalMinor = 0;
  for (let i = 0; i < n; i++) {
    const a = billOne(T, P, zones[i]!, vehicles[i]!, startsMs[i]!, endsMs[i]!, locked, null);
    out[i] = a;
    if (a < 0) invalid++;
    else totalMinor += a;
  }
  return { billed: n - invalid, invalid, totalMinor };
}

/**
 * The tariff formula, in one place: how a stay becomes an amount. Used by `quote` (with a recorder
 * for the breakdown) and by the batch billing loop (without), so both give the same amount.
 *
 * A stay [s, e) is cut into segments: maximal runs of time with one rate in force (band at that
 * local time, first match in the tariff), one unit multiplier (vehicle × surcharges) and one price,
 * and — when the tariff has a daily cap — within one local day. Segment boundaries are instants of
 * the city's calendar and of the price history, never of the stay, which is what makes the amount
 * monotone at both ends.
 * 1. Stays shorter than the tariff's grace period are free.
 * 2. Time with no rate is free.
 * 3. Each priced segment is billed as units from its own start: a tier holds the units starting at
 *    segment time [fromMinutes, next tier's fromMinutes), each costing the tier amount (plus the
 *    dynamic delta) × the multiplier, rounded to an integer; a tier without a unit length is one
 *    unit for the rest of the segment. A unit never spans a band boundary, surcharge boundary,
 *    local midnight (capped tariffs) or price change (integrated): it is cut there.
 * 4. Time charges are summed per local day and each day's sum is capped at the daily cap.
 * 5. The visit fee is the largest `perVisitMinor` (× multiplier) of any segment of the stay,
 *    charged once, outside the daily cap.
 * 6. The total is capped at the maximum fee and rounded to the policy step (caps are multiples of it).
 *
 * Dynamic prices: a price slot (zone, class, band) may have a price history. The controlled price P
 * replaces the rate's headline price H; every tier moves by the same delta P − H (never below 0).
 * `locked` reads P at arrival, `integrated` at each instant (a price change cuts a segment).
 *
 * Monotonicity: a longer stay (earlier start or later end) has every segment of the shorter stay
 * inside one of its own segments with the same rate, multiplier and price, plus more; a segment's
 * charge grows with its length, day sums, caps, the visit-fee maximum and rounding are monotone.
 * So the amount never decreases when the stay grows at either end — except, in `locked` mode, when
 * an earlier arrival locks an earlier (lower) price: price assurance honours the price at arrival.
 */
import { VEHICLE_CODES } from "../catalog/vehicles.js";
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
  /** The visit fee charged: the largest one in force during the stay, first met in the segment starting at `t`. */
  visitFee(t: number, amountMinor: number, rate: number, mult: number): void;
  /**
   * `count` units of tier `tier` over [from, to), `amountMinor` each (`priceMinor` before multipliers).
   */
  units(
    from: number,
    to: number,
    count: number,
    amountMinor: number,
    rate: number,
    tier: number,
    priceMinor: number,
    mult: number,
  ): void;
  /** The time charges of the local day [from, to) (clipped to the stay) exceeded the daily cap by `excessMinor`. */
  dailyCap(from: number, to: number, excessMinor: number): void;
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
  const slotBase = (zone * VEHICLE_CODES + code) * T.nBands;
  // Locate the day and cut holding s.
  let d = T.dayIndex(s);
  let c = 0;
  while (c + 1 < nc && cutMs[d * nc + c + 1]! <= s) c++;
  let cutEnd = c + 1 < nc ? cutMs[d * nc + c + 1]! : dayStartMs[d + 1]!;

  // The open segment: a maximal run of time with one rate, multiplier and price (and one local day
  // when the tariff has a daily cap). Rate −1 is free time.
  let segRate = -1;
  let segMult = 0;
  let segDelta = 0;
  let segStart = s;
  let segDay = d;
  let daySum = 0;
  let total = 0;
  let visit = 0;
  let visitT = s;
  let visitRate = -1;
  let visitMult = 1;
  let t = s;
  for (;;) {
    const done = t >= e;
    let r = -1;
    let mult = 0;
    let delta = 0;
    let end = e;
    if (!done) {
      while (t >= cutEnd) {
        c++;
        if (c === nc) {
          c = 0;
          d++;
        }
        cutEnd = c + 1 < nc ? cutMs[d * nc + c + 1]! : dayStartMs[d + 1]!;
      }
      if (cutEnd < e) end = cutEnd;
      const cell = (cellBase + T.dayClassOf[d]!) * nc + c;
      r = T.cellRate[cell]!;
      if (r >= 0) {
        mult = T.cellMult[cell]!;
        if (P !== null) {
          const slot = slotBase + T.rateBand[r]!;
          const first = P.histOffset[slot]!;
          const last = P.histOffset[slot + 1]! - 1;
          const at = locked ? s : t;
          // Last entry with histMs <= at (first − 1 when none).
          let lo = first - 1;
          let hi = last;
          while (lo < hi) {
            const mid = (lo + hi + 1) >> 1;
            if (P.histMs[mid]! <= at) lo = mid;
            else hi = mid - 1;
          }
          if (lo >= first) delta = P.histPriceMinor[lo]! - T.rateHeadlineMinor[r]!;
          // Integrated: a price change ends the piece (a unit never spans one).
          if (!locked && lo < last && P.histMs[lo + 1]! < end) end = P.histMs[lo + 1]!;
        }
      }
    }
    if (done || r !== segRate || mult !== segMult || delta !== segDelta || (cap >= 0 && d !== segDay)) {
      if (segRate >= 0) {
        // Charge the segment [segStart, t) as units from its own start.
        const len = t - segStart;
        const n = T.rateTierCount[segRate]!;
        let pv = T.ratePerVisitMinor[segRate]!;
        // biome-ignore lint/complexity/useMathMinMax: a NaN sum gives 0 (Math.max would give NaN), in both kernels
        if (n === 0) pv = pv + segDelta > 0 ? pv + segDelta : 0;
        if (pv > 0) {
          const a = Math.round(pv * segMult);
          if (a > visit) {
            visit = a;
            visitT = segStart;
            visitRate = segRate;
            visitMult = segMult;
          }
        }
        const k0 = T.rateTierStart[segRate]!;
        const kEnd = k0 + n;
        for (let k = k0; k < kEnd; k++) {
          const from = T.tierFromMs[k]!;
          if (!(len > from)) break;
          const amt0 = T.tierAmountMinor[k]!;
          // biome-ignore lint/complexity/useMathMinMax: a NaN sum gives 0 (Math.max would give NaN), in both kernels
          const price = amt0 + segDelta > 0 ? amt0 + segDelta : 0;
          const a = Math.round(price * segMult);
          const u = T.tierUnitMs[k]!;
          let count = 1;
          let to = len;
          if (u > 0) {
            const limit = k + 1 < kEnd && T.tierFromMs[k + 1]! < len ? T.tierFromMs[k + 1]! : len;
            count = Math.ceil((limit - from) / u);
            to = limit;
          }
          daySum += count * a;
          if (rec !== null) rec.units(segStart + from, segStart + to, count, a, segRate, k, price, segMult);
        }
      }
      if (done || (cap >= 0 && d !== segDay)) {
        if (cap >= 0 && daySum > cap) {
          if (rec !== null)
            rec.dailyCap(
              Math.max(s, dayStartMs[segDay]!),
              Math.min(e, dayStartMs[segDay + 1]!),
              daySum - cap,
            );
          daySum = cap;
        }
        total += daySum;
        daySum = 0;
      }
      if (done) break;
      segRate = r;
      segMult = mult;
      segDelta = delta;
      segStart = t;
      segDay = d;
    }
    t = end;
  }
  if (visit > 0) {
    total += visit;
    if (rec !== null) rec.visitFee(visitT, visit, visitRate, visitMult);
  }
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

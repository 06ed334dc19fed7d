// Billing kernel: a line-by-line port of `billOne` and `billKernel` of src/pricing/kernel.ts (the
// recorder-free path) and `roundToStep` of src/pricing/money.ts. Same amounts, bit for bit: the JS
// code is the reference and test/runtime compares both on random sessions and policies.
//
// The compiled tariff table (src/pricing/table.ts) is copied into the shared memory by
// src/runtime/billing.ts, which describes it in a table of u32 byte offsets (`tbl + 4 * B_*`) and f64
// parameters (`tbl + TABLE_F64 + 8 * BF_*`). Nothing is allocated; indices come from the table itself
// or are range-checked here exactly as the reference does.

// ---- table slots (keep in step with src/runtime/billing.ts; a test compares them) ----
const B_ZONE_VEHICLE_GROUP = 0; // i32
const B_GROUP_GRACE_MS = 1; // f64
const B_GROUP_MAX_FEE = 2; // f64
const B_GROUP_DAILY_CAP = 3; // f64
const B_CELL_RATE = 4; // i32
const B_CELL_MULT = 5; // f64
const B_RATE_BAND = 6; // i32
const B_RATE_PER_VISIT = 7; // f64
const B_RATE_HEADLINE = 8; // f64
const B_RATE_TIER_START = 9; // i32
const B_RATE_TIER_COUNT = 10; // i32
const B_TIER_FROM_MS = 11; // f64
const B_TIER_UNIT_MS = 12; // f64
const B_TIER_AMOUNT = 13; // f64
const B_DAY_START_MS = 14; // f64, nDays + 1
const B_DAY_CLASS_OF = 15; // u8
const B_CUT_MS = 16; // f64
const B_HIST_OFFSET = 17; // i32, slots + 1 (0 when no prices)
const B_HIST_MS = 18; // f64
const B_HIST_PRICE = 19; // f64
const B_N_CUTS = 20; // u32 value
const B_N_DAYS = 21; // u32 value
const B_N_BANDS = 22; // u32 value
const B_ZONE_COUNT = 23; // u32 value
const B_ROUND_CODE = 24; // u32 value
const B_HAS_PRICES = 25; // u32 value: 1 when B_HIST_* describe a price history
/** Byte offset of the f64 parameters in the table. */
const TABLE_F64: usize = 128;
const BF_ROUND_STEP = 0;
const BF_STAY_MS_MAX = 1;

const VEHICLE_CODES: u32 = 5;
const DAY_CLASSES = 28;
const DAY_MS: f64 = 86_400_000;

function ptr(tbl: usize, slot: i32): usize {
  return usize(load<u32>(tbl + (usize(slot) << 2)));
}
function num(tbl: usize, slot: i32): i32 {
  return load<i32>(tbl + (usize(slot) << 2));
}
function f64At(base: usize, i: i32): f64 {
  return load<f64>(base + (usize(i) << 3));
}
function i32At(base: usize, i: i32): i32 {
  return load<i32>(base + (usize(i) << 2));
}

/** roundToStep of src/pricing/money.ts with a numeric rule (0 nearest, ties up; 1 up; 2 down). */
function roundToStep(amount: f64, step: f64, code: i32): f64 {
  // f64 `%` is a software fmod in wasm (slow); for whole amounts and steps below 2^53 the integer
  // remainder is the same number.
  const r =
    amount >= 0 &&
    amount <= 9007199254740991 &&
    amount === Math.floor(amount) &&
    step >= 1 &&
    step === Math.floor(step)
      ? f64(i64(amount) % i64(step))
      : amount % step;
  if (r === 0) return amount;
  const down = amount - r;
  if (code === 2) return down;
  if (code === 1) return down + step;
  return r * 2 >= step ? down + step : down;
}

/** TariffTable.dayIndex: index of the timeline day containing `t`. */
function dayIndex(t: f64): i32 {
  let df = Math.floor((t - f64At(dayStartMs, 0)) / DAY_MS);
  if (df < 0) df = 0;
  if (df > f64(nDays - 1)) df = f64(nDays - 1);
  let d = i32(df);
  while (d > 0 && f64At(dayStartMs, d) > t) d--;
  while (d < nDays - 1 && f64At(dayStartMs, d + 1) <= t) d++;
  return d;
}

// The table's pointers, read once per call of billRows (per-instance globals: each thread has its own
// instance, and nothing survives a call).
let zoneCount: u32 = 0;
let stayMsMax: f64 = 0;
let roundStep: f64 = 0;
let roundCode: i32 = 0;
let zoneVehicleGroup: usize = 0;
let groupGraceMs: usize = 0;
let groupMaxFee: usize = 0;
let groupDailyCap: usize = 0;
let nc: i32 = 0;
let nDays: i32 = 0;
let dayStartMs: usize = 0;
let dayClassOf: usize = 0;
let cutMs: usize = 0;
let cellRate: usize = 0;
let cellMult: usize = 0;
let rateBand: usize = 0;
let ratePerVisit: usize = 0;
let rateHeadline: usize = 0;
let rateTierStart: usize = 0;
let rateTierCount: usize = 0;
let tierFromMs: usize = 0;
let tierUnitMs: usize = 0;
let tierAmount: usize = 0;
let hasPrices = false;
let histOffset: usize = 0;
let histMs: usize = 0;
let histPrice: usize = 0;
let nBands: i32 = 0;

function loadTable(tbl: usize): void {
  zoneCount = u32(num(tbl, B_ZONE_COUNT));
  stayMsMax = load<f64>(tbl + TABLE_F64 + (BF_STAY_MS_MAX << 3));
  roundStep = load<f64>(tbl + TABLE_F64 + (BF_ROUND_STEP << 3));
  roundCode = num(tbl, B_ROUND_CODE);
  zoneVehicleGroup = ptr(tbl, B_ZONE_VEHICLE_GROUP);
  groupGraceMs = ptr(tbl, B_GROUP_GRACE_MS);
  groupMaxFee = ptr(tbl, B_GROUP_MAX_FEE);
  groupDailyCap = ptr(tbl, B_GROUP_DAILY_CAP);
  nc = num(tbl, B_N_CUTS);
  nDays = num(tbl, B_N_DAYS);
  dayStartMs = ptr(tbl, B_DAY_START_MS);
  dayClassOf = ptr(tbl, B_DAY_CLASS_OF);
  cutMs = ptr(tbl, B_CUT_MS);
  cellRate = ptr(tbl, B_CELL_RATE);
  cellMult = ptr(tbl, B_CELL_MULT);
  rateBand = ptr(tbl, B_RATE_BAND);
  ratePerVisit = ptr(tbl, B_RATE_PER_VISIT);
  rateHeadline = ptr(tbl, B_RATE_HEADLINE);
  rateTierStart = ptr(tbl, B_RATE_TIER_START);
  rateTierCount = ptr(tbl, B_RATE_TIER_COUNT);
  tierFromMs = ptr(tbl, B_TIER_FROM_MS);
  tierUnitMs = ptr(tbl, B_TIER_UNIT_MS);
  tierAmount = ptr(tbl, B_TIER_AMOUNT);
  hasPrices = num(tbl, B_HAS_PRICES) !== 0;
  histOffset = ptr(tbl, B_HIST_OFFSET);
  histMs = ptr(tbl, B_HIST_MS);
  histPrice = ptr(tbl, B_HIST_PRICE);
  nBands = num(tbl, B_N_BANDS);
}

/**
 * billOne of src/pricing/kernel.ts without a recorder (loadTable must have run). Returns the amount,
 * or -1 for an invalid stay.
 *
 * One difference in method, none in result: where the reference walks a run of units one by one
 * while nothing but the unit start changes (same time segment, rate, multiplier, tier, daily-cap
 * period and price), this adds the run's units at once (count × amount; integer sums below 2^53
 * are exact, so the total is the same).
 */
function billOne(zone: u32, code: u32, s: f64, e: f64, locked: bool): f64 {
  if (!(e >= s) || e - s > stayMsMax) return -1;
  if (!(zone < zoneCount && code < VEHICLE_CODES)) return -1;
  const g = i32At(zoneVehicleGroup, i32(zone * VEHICLE_CODES + code));
  if (g < 0) return 0;
  const graceMs = f64At(groupGraceMs, g);
  if (e - s < graceMs) return 0;
  const cellBase = g * DAY_CLASSES;
  const cap = f64At(groupDailyCap, g);
  // Runs of units are added at once only for whole-millisecond stays, where every time sum is exact.
  const integral = s === Math.floor(s) && e === Math.floor(e);

  let d = dayIndex(s);
  let c = 0;
  while (c + 1 < nc && f64At(cutMs, d * nc + c + 1) <= s) c++;
  let segEnd = c + 1 < nc ? f64At(cutMs, d * nc + c + 1) : f64At(dayStartMs, d + 1);

  let entryDone = false;
  let period: f64 = 0;
  let periodSum: f64 = 0;
  let total: f64 = 0;
  let t = s;
  while (t < e) {
    while (t >= segEnd) {
      c++;
      if (c === nc) {
        c = 0;
        d++;
      }
      segEnd = c + 1 < nc ? f64At(cutMs, d * nc + c + 1) : f64At(dayStartMs, d + 1);
    }
    const cell = (cellBase + i32(load<u8>(dayClassOf + usize(d)))) * nc + c;
    const r = i32At(cellRate, cell);
    if (r < 0) {
      t = segEnd;
      continue;
    }
    const mult = f64At(cellMult, cell);
    let delta: f64 = 0;
    if (hasPrices) {
      const slot = i32(zone * VEHICLE_CODES + code) * nBands + i32At(rateBand, r);
      let lo = i32At(histOffset, slot);
      let hi = i32At(histOffset, slot + 1) - 1;
      const at = locked ? s : t;
      if (hi >= lo && f64At(histMs, lo) <= at) {
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (f64At(histMs, mid) <= at) lo = mid;
          else hi = mid - 1;
        }
        delta = f64At(histPrice, lo) - f64At(rateHeadline, r);
      }
    }
    const elapsed = t - s;
    if (cap >= 0) {
      const p = Math.floor(elapsed / DAY_MS);
      if (p !== period) {
        if (periodSum > cap) periodSum = cap;
        total += periodSum;
        periodSum = 0;
        period = p;
      }
    }
    const n = i32At(rateTierCount, r);
    if (!entryDone) {
      entryDone = true;
      let pv = f64At(ratePerVisit, r);
      // biome-ignore lint/complexity/useMathMinMax: as in the reference (a NaN sum gives 0, Math.max would give NaN)
      if (n === 0) pv = pv + delta > 0 ? pv + delta : 0;
      if (pv > 0) periodSum += Math.round(pv * mult);
    }
    if (n === 0) {
      t = segEnd;
      continue;
    }
    const k0 = i32At(rateTierStart, r);
    const kEnd = k0 + n;
    let k = kEnd - 1;
    while (k > k0 && f64At(tierFromMs, k) > elapsed) k--;
    if (segEnd >= e && (locked || !hasPrices) && (cap < 0 || e - s <= DAY_MS)) {
      // Fast path of the reference: the rest of the stay lies in this segment.
      const dur = e - s;
      let el = elapsed;
      while (el < dur) {
        while (k + 1 < kEnd && f64At(tierFromMs, k + 1) <= el) k++;
        const amt0 = f64At(tierAmount, k);
        // biome-ignore lint/complexity/useMathMinMax: as in the reference (a NaN sum gives 0, Math.max would give NaN)
        const amt = amt0 + delta > 0 ? amt0 + delta : 0;
        const a = Math.round(amt * mult);
        const u = f64At(tierUnitMs, k);
        if (u === 0) {
          periodSum += a;
          break;
        }
        const limit = k + 1 < kEnd && f64At(tierFromMs, k + 1) < dur ? f64At(tierFromMs, k + 1) : dur;
        const count = Math.ceil((limit - el) / u);
        periodSum += count * a;
        el += count * u;
      }
      break;
    }
    const amt0 = f64At(tierAmount, k);
    // biome-ignore lint/complexity/useMathMinMax: as in the reference (a NaN sum gives 0, Math.max would give NaN)
    const price = amt0 + delta > 0 ? amt0 + delta : 0;
    const a = Math.round(price * mult);
    const u = f64At(tierUnitMs, k);
    if (u > 0 && integral && (locked || !hasPrices)) {
      // A run of units with this amount: until the segment, the stay, the tier or the cap period ends.
      let limit = segEnd < e ? segEnd : e;
      if (k + 1 < kEnd && s + f64At(tierFromMs, k + 1) < limit) limit = s + f64At(tierFromMs, k + 1);
      if (cap >= 0 && s + (period + 1) * DAY_MS < limit) limit = s + (period + 1) * DAY_MS;
      const count = Math.ceil((limit - t) / u);
      periodSum += count * a;
      t += count * u;
      continue;
    }
    const next = u > 0 ? t + u : e;
    periodSum += a;
    t = next;
  }
  if (cap >= 0 && periodSum > cap) periodSum = cap;
  total += periodSum;
  const maxFee = f64At(groupMaxFee, g);
  if (maxFee >= 0 && total > maxFee) total = maxFee;
  return roundToStep(total, roundStep, roundCode);
}

/**
 * Earliest start and latest end (written as two f64 at `outLoHi`) over the valid stays
 * (end ≥ start, length ≤ the maximum) of `n` rows, as billKernel computes them before growing the
 * table's timeline. lo > hi when no row is valid.
 */
export function validRange(tbl: usize, starts: usize, ends: usize, n: i32, outLoHi: usize): void {
  const stayMax = load<f64>(tbl + TABLE_F64 + (BF_STAY_MS_MAX << 3));
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const s = f64At(starts, i);
    const e = f64At(ends, i);
    if (e >= s && e - s <= stayMax) {
      if (s < lo) lo = s;
      if (e > hi) hi = e;
    }
  }
  store<f64>(outLoHi, lo);
  store<f64>(outLoHi, hi, 8);
}

/**
 * The billing loop of billKernel: row i (start, end, zone, vehicle) → out[i] (f64). Returns the
 * number of invalid rows; the sum of valid amounts is written as an f64 at `outTotal`.
 */
export function billRows(
  tbl: usize,
  starts: usize,
  ends: usize,
  zones: usize,
  vehicles: usize,
  out: usize,
  n: i32,
  locked: bool,
  outTotal: usize,
): i32 {
  loadTable(tbl);
  let invalid = 0;
  let totalMinor: f64 = 0;
  for (let i = 0; i < n; i++) {
    const a = billOne(
      load<u32>(zones + (usize(i) << 2)),
      u32(load<u8>(vehicles + usize(i))),
      f64At(starts, i),
      f64At(ends, i),
      locked,
    );
    store<f64>(out + (usize(i) << 3), a);
    if (a < 0) invalid++;
    else totalMinor += a;
  }
  store<f64>(outTotal, totalMinor);
  return invalid;
}

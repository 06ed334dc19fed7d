// Billing kernel: a line-by-line port of `billOne` and `billKernel` of src/pricing/kernel.ts (the
// recorder-free path) and `roundToStep` of src/pricing/money.ts. Same amounts, bit for bit: the JS
// code is the reference and test/runtime compares both on random sessions and policies.
//
// The compiled tariff table (src/pricing/table.ts) is copied into the shared memory by
// src/pricing/wasm-billing.ts, which describes it in a table of u32 byte offsets (`tbl + 4 * B_*`) and f64
// parameters (`tbl + TABLE_F64 + 8 * BF_*`). Nothing is allocated; indices come from the table itself
// or are range-checked here exactly as the reference does.

// ---- table slots (keep in step with src/pricing/wasm-billing.ts; a test compares them) ----
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
const DAY_MS: f64 = 86_400_000; // dayIndex

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
 * or -1 for an invalid stay. Same steps in the same order as the reference, so every floating-point
 * sum is the same.
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
  const slotBase = i32(zone * VEHICLE_CODES + code) * nBands;

  let d = dayIndex(s);
  let c = 0;
  while (c + 1 < nc && f64At(cutMs, d * nc + c + 1) <= s) c++;
  let cutEnd = c + 1 < nc ? f64At(cutMs, d * nc + c + 1) : f64At(dayStartMs, d + 1);

  let segRate = -1;
  let segMult: f64 = 0;
  let segDelta: f64 = 0;
  let segStart = s;
  let segDay = d;
  let daySum: f64 = 0;
  let total: f64 = 0;
  let visit: f64 = 0;
  let t = s;
  for (;;) {
    const done = t >= e;
    let r = -1;
    let mult: f64 = 0;
    let delta: f64 = 0;
    let end = e;
    if (!done) {
      while (t >= cutEnd) {
        c++;
        if (c === nc) {
          c = 0;
          d++;
        }
        cutEnd = c + 1 < nc ? f64At(cutMs, d * nc + c + 1) : f64At(dayStartMs, d + 1);
      }
      if (cutEnd < e) end = cutEnd;
      const cell = (cellBase + i32(load<u8>(dayClassOf + usize(d)))) * nc + c;
      r = i32At(cellRate, cell);
      if (r >= 0) {
        mult = f64At(cellMult, cell);
        if (hasPrices) {
          const slot = slotBase + i32At(rateBand, r);
          const first = i32At(histOffset, slot);
          const last = i32At(histOffset, slot + 1) - 1;
          const at = locked ? s : t;
          let lo = first - 1;
          let hi = last;
          while (lo < hi) {
            const mid = (lo + hi + 1) >> 1;
            if (f64At(histMs, mid) <= at) lo = mid;
            else hi = mid - 1;
          }
          if (lo >= first) delta = f64At(histPrice, lo) - f64At(rateHeadline, r);
          if (!locked && lo < last && f64At(histMs, lo + 1) < end) end = f64At(histMs, lo + 1);
        }
      }
    }
    if (done || r !== segRate || mult !== segMult || delta !== segDelta || (cap >= 0 && d !== segDay)) {
      if (segRate >= 0) {
        const len = t - segStart;
        const n = i32At(rateTierCount, segRate);
        let pv = f64At(ratePerVisit, segRate);
        // biome-ignore lint/complexity/useMathMinMax: a NaN sum gives 0 (Math.max would give NaN), in both kernels
        if (n === 0) pv = pv + segDelta > 0 ? pv + segDelta : 0;
        if (pv > 0) {
          const a = Math.round(pv * segMult);
          if (a > visit) visit = a;
        }
        const k0 = i32At(rateTierStart, segRate);
        const kEnd = k0 + n;
        for (let k = k0; k < kEnd; k++) {
          const from = f64At(tierFromMs, k);
          if (!(len > from)) break;
          const amt0 = f64At(tierAmount, k);
          // biome-ignore lint/complexity/useMathMinMax: a NaN sum gives 0 (Math.max would give NaN), in both kernels
          const price = amt0 + segDelta > 0 ? amt0 + segDelta : 0;
          const a = Math.round(price * segMult);
          const u = f64At(tierUnitMs, k);
          let count: f64 = 1;
          if (u > 0) {
            const limit = k + 1 < kEnd && f64At(tierFromMs, k + 1) < len ? f64At(tierFromMs, k + 1) : len;
            count = Math.ceil((limit - from) / u);
          }
          daySum += count * a;
        }
      }
      if (done || (cap >= 0 && d !== segDay)) {
        if (cap >= 0 && daySum > cap) daySum = cap;
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
  if (visit > 0) total += visit;
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

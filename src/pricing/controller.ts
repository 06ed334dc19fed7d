/**
 * The controller pass: one decision step for many price slots over flat typed arrays (10,000 zones
 * × 2 classes in well under 2 ms). The engine feeds it occupancy sums and turns its outputs into
 * decision records; a benchmark or an AssemblyScript port can drive it directly.
 *
 * Layout: slot i (a zone × vehicle class × band price) uses controller `ctrl[i]`, whose parameters
 * are `params[ctrl[i] * PARAM_STRIDE + P_*]` and whose thresholds are exact ratios
 * `ratios[ctrl[i] * RATIO_STRIDE + R_*]` (numerator) and `… + R_* + 1` (denominator > 0).
 * Accumulators for the open period, all integers (bay-milliseconds, exact below 2^53):
 * `occMs` = Σ occupied bay-ms over windows with an occupancy, `knownOccMs` = Σ known bay-ms over the
 * same windows, `knownMs` = Σ known bay-ms over all windows, `capacityMs` = Σ capacity × window length
 * over all windows. The pass consumes and clears them.
 *
 * Every threshold comparison is exact (`compareRatio`): mean occupancy occMs / knownOccMs against
 * lower, upper, lower2, upper2 and the PI dead band [target − deadBand, target + deadBand]; mean
 * coverage knownMs / capacityMs against minCoverage; the sign of the PI error. Only the size of a PI
 * change (gains × error, rounded to the step) is floating point.
 */
import { compareRatio } from "./ratio.js";

/** Parameters per controller. */
export const PARAM_STRIDE = 9;
/** Step size, minor units. */
export const P_STEP = 0;
/** Second-band step. */
export const P_STEP2 = 1;
/** PI proportional gain (minor units per 1.0 error). */
export const P_KP = 2;
/** PI integral gain (minor units per 1.0 accumulated error). */
export const P_KI = 3;
/** PI bound on |accumulated error|. */
export const P_INTEGRAL_LIMIT = 4;
/** PI largest change per decision. */
export const P_MAX_CHANGE = 5;
/** Shortest time between two changes of one slot, ms. */
export const P_MIN_INTERVAL_MS = 6;
/** Rounding step of prices. */
export const P_ROUND_STEP = 7;
/** Controller type: 0 step, 1 pi. */
export const P_TYPE = 8;

/** Ratio entries per controller (numerator at R_*, denominator at R_* + 1). */
export const RATIO_STRIDE = 16;
/** Step: below this mean occupancy, −step. */
export const R_LOWER = 0;
/** Step: at or above this, +step. */
export const R_UPPER = 2;
/** Step: below this, −step2 (−1/1 when unused). */
export const R_LOWER2 = 4;
/** Step: at or above this, +step2 (2/1 when unused). */
export const R_UPPER2 = 6;
/** PI target occupancy. */
export const R_TARGET = 8;
/** PI: target − deadBand (holds at or above it …). */
export const R_DEAD_LOW = 10;
/** PI: target + deadBand (… and at or below it). */
export const R_DEAD_HIGH = 12;
/** Minimum mean coverage of the period. */
export const R_MIN_COVERAGE = 14;

/**
 * Parameter offsets within a controller's PARAM_STRIDE block of `params` (public form of the P_*
 * constants).
 */
export const CONTROLLER_PARAM = Object.freeze({
  stride: PARAM_STRIDE,
  step: P_STEP,
  step2: P_STEP2,
  kp: P_KP,
  ki: P_KI,
  integralLimit: P_INTEGRAL_LIMIT,
  maxChange: P_MAX_CHANGE,
  minIntervalMs: P_MIN_INTERVAL_MS,
  roundStep: P_ROUND_STEP,
  type: P_TYPE,
});

/**
 * Ratio offsets within a controller's RATIO_STRIDE block of `ratios` (public form of the R_*
 * constants): numerator at the offset, denominator right after it.
 */
export const CONTROLLER_RATIO = Object.freeze({
  stride: RATIO_STRIDE,
  lower: R_LOWER,
  upper: R_UPPER,
  lower2: R_LOWER2,
  upper2: R_UPPER2,
  target: R_TARGET,
  deadLow: R_DEAD_LOW,
  deadHigh: R_DEAD_HIGH,
  minCoverage: R_MIN_COVERAGE,
});

/** Rule codes written to `outRule`. */
export const RULE = { stepUp: 1, step2Up: 2, stepDown: -1, step2Down: -2, pi: 3 } as const;
/** Rule codes written to `outRule` (public name). */
export const CONTROLLER_RULE = RULE;
/** Flag bits written to `outFlags`. */
export const FLAG = { bounded: 1, frozen: 2 } as const;
/** Flag bits written to `outFlags` (public name). */
export const CONTROLLER_FLAG = FLAG;

/** State and scratch of a controller pass over `n` slots (see file comment). */
export interface ControllerArrays {
  /** Number of slots. */
  readonly n: number;
  /** Controller parameters, PARAM_STRIDE per controller. */
  readonly params: Float64Array;
  /** Controller thresholds as exact ratios, RATIO_STRIDE per controller (see file comment). */
  readonly ratios: Float64Array;
  /** Controller of each slot. */
  readonly ctrl: Uint16Array;
  /** Lowest allowed price per slot (controller min and legal floor, on the rounding grid). */
  readonly lo: Int32Array;
  /** Highest allowed price per slot. */
  readonly hi: Int32Array;
  /** Published (static) price per slot: the PI controller's reference. */
  readonly base: Int32Array;
  /** Current price per slot. */
  readonly price: Int32Array;
  /** Instant of each slot's last change (−Infinity when never). */
  readonly lastChangeMs: Float64Array;
  /** PI accumulated error per slot. */
  readonly integral: Float64Array;
  /** Accumulator: Σ occupied bay-ms of windows with an occupancy. */
  readonly occMs: Float64Array;
  /** Accumulator: Σ known bay-ms of windows with an occupancy. */
  readonly knownOccMs: Float64Array;
  /** Accumulator: Σ known bay-ms of every window. */
  readonly knownMs: Float64Array;
  /** Accumulator: Σ capacity × windowMs of every window. */
  readonly capacityMs: Float64Array;
  /** Input: 1 when a freeze holds the slot at this pass's instant. */
  readonly frozen: Uint8Array;
  /** Output: price before the decision. */
  readonly outOld: Int32Array;
  /** Output: price after the decision (equals the old one when frozen). */
  readonly outNew: Int32Array;
  /** Output: proposed price (what it would be without a freeze). */
  readonly outProposed: Int32Array;
  /** Output: mean occupancy of the period (occMs / knownOccMs, for records). */
  readonly outOcc: Float64Array;
  /** Output: mean coverage of the period. */
  readonly outCov: Float64Array;
  /** Output: PI error (occupancy − target). */
  readonly outErr: Float64Array;
  /** Output: rule code (RULE). */
  readonly outRule: Int8Array;
  /** Output: flags (FLAG). */
  readonly outFlags: Uint8Array;
}

/** Allocates controller arrays for `n` slots and `controllers` controllers (all zero; ratios 1/1; lastChangeMs = −Infinity). */
export function createControllerArrays(n: number, controllers: number): ControllerArrays {
  return {
    n,
    params: new Float64Array(controllers * PARAM_STRIDE),
    ratios: new Float64Array(controllers * RATIO_STRIDE).fill(1),
    ctrl: new Uint16Array(n),
    lo: new Int32Array(n),
    hi: new Int32Array(n),
    base: new Int32Array(n),
    price: new Int32Array(n),
    lastChangeMs: new Float64Array(n).fill(Number.NEGATIVE_INFINITY),
    integral: new Float64Array(n),
    occMs: new Float64Array(n),
    knownOccMs: new Float64Array(n),
    knownMs: new Float64Array(n),
    capacityMs: new Float64Array(n),
    frozen: new Uint8Array(n),
    outOld: new Int32Array(n),
    outNew: new Int32Array(n),
    outProposed: new Int32Array(n),
    outOcc: new Float64Array(n),
    outCov: new Float64Array(n),
    outErr: new Float64Array(n),
    outRule: new Int8Array(n),
    outFlags: new Uint8Array(n),
  };
}

/** Sign of a/b − the ratio stored at `ratios[at]`, `ratios[at + 1]`. */
function vsRatio(a: number, b: number, ratios: Float64Array, at: number): -1 | 0 | 1 {
  return compareRatio(a, b, ratios[at]!, ratios[at + 1]!);
}

/**
 * Runs one decision for slots [from, to) at instant `effectiveMs`: each slot with occupancy in the
 * period (and enough coverage, and no change within minInterval) gets its rule applied, clamped to
 * [lo, hi]; frozen slots keep their price. Writes the index of every slot whose price changed or
 * would have changed but for a freeze to `outIdx` and returns how many. Clears the accumulators of
 * the range. Allocates nothing unless a comparison falls back to BigInt (products beyond 2^53).
 */
export function controllerPass(
  a: ControllerArrays,
  from: number,
  to: number,
  effectiveMs: number,
  outIdx: Uint32Array,
): number {
  const params = a.params;
  const ratios = a.ratios;
  let n = 0;
  for (let i = from; i < to; i++) {
    const occMs = a.occMs[i]!;
    const knownOcc = a.knownOccMs[i]!;
    const known = a.knownMs[i]!;
    const capMs = a.capacityMs[i]!;
    a.occMs[i] = 0;
    a.knownOccMs[i] = 0;
    a.knownMs[i] = 0;
    a.capacityMs[i] = 0;
    if (!(knownOcc > 0)) continue; // no window with an occupancy: never move a price
    if (!(occMs >= 0 && known >= 0 && capMs >= 0)) continue; // not bay-ms (NaN, negative): hold
    const p = a.ctrl[i]! * PARAM_STRIDE;
    const q = a.ctrl[i]! * RATIO_STRIDE;
    if (vsRatio(known, capMs, ratios, q + R_MIN_COVERAGE) < 0) continue; // mean coverage below the minimum
    if (effectiveMs - a.lastChangeMs[i]! < params[p + P_MIN_INTERVAL_MS]!) continue;
    const old = a.price[i]!;
    const lo = a.lo[i]!;
    const hi = a.hi[i]!;
    let delta = 0;
    let rule = 0;
    let err = 0;
    let nextIntegral = a.integral[i]!;
    if (params[p + P_TYPE]! === 0) {
      if (vsRatio(occMs, knownOcc, ratios, q + R_UPPER2) >= 0) {
        delta = params[p + P_STEP2]!;
        rule = RULE.step2Up;
      } else if (vsRatio(occMs, knownOcc, ratios, q + R_UPPER) >= 0) {
        delta = params[p + P_STEP]!;
        rule = RULE.stepUp;
      } else if (vsRatio(occMs, knownOcc, ratios, q + R_LOWER2) < 0) {
        delta = -params[p + P_STEP2]!;
        rule = RULE.step2Down;
      } else if (vsRatio(occMs, knownOcc, ratios, q + R_LOWER) < 0) {
        delta = -params[p + P_STEP]!;
        rule = RULE.stepDown;
      }
    } else {
      // Within the dead band [target − deadBand, target + deadBand]: hold.
      if (
        vsRatio(occMs, knownOcc, ratios, q + R_DEAD_LOW) >= 0 &&
        vsRatio(occMs, knownOcc, ratios, q + R_DEAD_HIGH) <= 0
      )
        continue;
      const sign = vsRatio(occMs, knownOcc, ratios, q + R_TARGET);
      // The size of the error is floating point; its sign is exact (a difference below double
      // resolution is kept as the smallest double of that sign).
      err = sign === 0 ? 0 : occMs / knownOcc - ratios[q + R_TARGET]! / ratios[q + R_TARGET + 1]!;
      if (Math.sign(err) !== sign) err = sign * Number.MIN_VALUE;
      const limit = params[p + P_INTEGRAL_LIMIT]!;
      let integ = a.integral[i]! + err;
      if (integ > limit) integ = limit;
      else if (integ < -limit) integ = -limit;
      let d = a.base[i]! + params[p + P_KP]! * err + params[p + P_KI]! * integ - old;
      const maxChange = params[p + P_MAX_CHANGE]!;
      if (d > maxChange) d = maxChange;
      else if (d < -maxChange) d = -maxChange;
      const step = params[p + P_ROUND_STEP]!;
      delta = d < 0 ? -Math.round(-d / step) * step : Math.round(d / step) * step;
      rule = RULE.pi;
      // Anti-windup: stop integrating while the output is pinned at a bound in the error's direction.
      const cand = old + delta;
      if (!((cand >= hi && sign > 0) || (cand <= lo && sign < 0))) nextIntegral = integ;
    }
    const cand = old + delta;
    const nw = cand < lo ? lo : Math.min(cand, hi);
    const frozen = a.frozen[i]! !== 0;
    if (!frozen) a.integral[i] = nextIntegral;
    if (nw === old) continue;
    let flags = nw !== cand ? FLAG.bounded : 0;
    if (frozen) flags |= FLAG.frozen;
    else {
      a.price[i] = nw;
      a.lastChangeMs[i] = effectiveMs;
    }
    a.outOld[i] = old;
    a.outNew[i] = frozen ? old : nw;
    a.outProposed[i] = nw;
    a.outOcc[i] = occMs / knownOcc;
    a.outCov[i] = known / capMs;
    a.outErr[i] = err;
    a.outRule[i] = rule;
    a.outFlags[i] = flags;
    outIdx[n++] = i;
  }
  return n;
}

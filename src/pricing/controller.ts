/**
 * The controller pass: one decision step for many price slots over flat typed arrays (10,000 zones
 * × 2 classes in well under 2 ms). The engine feeds it occupancy sums and turns its outputs into
 * decision records; a benchmark or an AssemblyScript port can drive it directly.
 *
 * Layout: slot i (a zone × vehicle class × band price) uses controller `ctrl[i]`, whose parameters
 * are `params[ctrl[i] * PARAM_STRIDE + P_*]`. Accumulators for the open period:
 * `occW` = Σ occupancy·coverage·windowMs over windows with an occupancy, `covW` = Σ coverage·windowMs
 * over the same windows, `seenMs` = Σ windowMs over all windows, `knownW` = Σ coverage·windowMs over
 * all windows. The pass consumes and clears them.
 */

/** Parameters per controller. */
export const PARAM_STRIDE = 16;
/** Step: below this mean occupancy, −step. */
export const P_LOWER = 0;
/** Step: at or above this, +step. */
export const P_UPPER = 1;
/** Step size, minor units. */
export const P_STEP = 2;
/** Step: below this, −step2 (−1 when unused). */
export const P_LOWER2 = 3;
/** Step: at or above this, +step2 (2 when unused). */
export const P_UPPER2 = 4;
/** Second-band step. */
export const P_STEP2 = 5;
/** PI target occupancy. */
export const P_TARGET = 6;
/** PI proportional gain (minor units per 1.0 error). */
export const P_KP = 7;
/** PI integral gain (minor units per 1.0 accumulated error). */
export const P_KI = 8;
/** PI bound on |accumulated error|. */
export const P_INTEGRAL_LIMIT = 9;
/** PI largest change per decision. */
export const P_MAX_CHANGE = 10;
/** PI dead band on |error|. */
export const P_DEAD_BAND = 11;
/** Shortest time between two changes of one slot, ms. */
export const P_MIN_INTERVAL_MS = 12;
/** Minimum mean coverage of the period. */
export const P_MIN_COVERAGE = 13;
/** Rounding step of prices. */
export const P_ROUND_STEP = 14;
/** Controller type: 0 step, 1 pi. */
export const P_TYPE = 15;

/**
 * Parameter offsets within a controller's PARAM_STRIDE block of `params` (public form of the P_*
 * constants).
 */
export const CONTROLLER_PARAM = Object.freeze({
  stride: 16,
  lower: 0,
  upper: 1,
  step: 2,
  lower2: 3,
  upper2: 4,
  step2: 5,
  target: 6,
  kp: 7,
  ki: 8,
  integralLimit: 9,
  maxChange: 10,
  deadBand: 11,
  minIntervalMs: 12,
  minCoverage: 13,
  roundStep: 14,
  type: 15,
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
  /** Accumulator: Σ occupancy·coverage·windowMs. */
  readonly occW: Float64Array;
  /** Accumulator: Σ coverage·windowMs of windows with an occupancy. */
  readonly covW: Float64Array;
  /** Accumulator: Σ windowMs of every window. */
  readonly seenMs: Float64Array;
  /** Accumulator: Σ coverage·windowMs of every window. */
  readonly knownW: Float64Array;
  /** Input: 1 when a freeze holds the slot at this pass's instant. */
  readonly frozen: Uint8Array;
  /** Output: price before the decision. */
  readonly outOld: Int32Array;
  /** Output: price after the decision (equals the old one when frozen). */
  readonly outNew: Int32Array;
  /** Output: proposed price (what it would be without a freeze). */
  readonly outProposed: Int32Array;
  /** Output: mean occupancy of the period. */
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

/** Allocates controller arrays for `n` slots and `controllers` controllers (all zero; lastChangeMs = −Infinity). */
export function createControllerArrays(n: number, controllers: number): ControllerArrays {
  return {
    n,
    params: new Float64Array(controllers * PARAM_STRIDE),
    ctrl: new Uint16Array(n),
    lo: new Int32Array(n),
    hi: new Int32Array(n),
    base: new Int32Array(n),
    price: new Int32Array(n),
    lastChangeMs: new Float64Array(n).fill(Number.NEGATIVE_INFINITY),
    integral: new Float64Array(n),
    occW: new Float64Array(n),
    covW: new Float64Array(n),
    seenMs: new Float64Array(n),
    knownW: new Float64Array(n),
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

/**
 * Runs one decision for slots [from, to) at instant `effectiveMs`: each slot with occupancy in the
 * period (and enough coverage, and no change within minInterval) gets its rule applied, clamped to
 * [lo, hi]; frozen slots keep their price. Writes the index of every slot whose price changed or
 * would have changed but for a freeze to `outIdx` and returns how many. Clears the accumulators of
 * the range. No allocation.
 */
export function controllerPass(
  a: ControllerArrays,
  from: number,
  to: number,
  effectiveMs: number,
  outIdx: Uint32Array,
): number {
  const params = a.params;
  let n = 0;
  for (let i = from; i < to; i++) {
    const w = a.covW[i]!;
    const occSum = a.occW[i]!;
    const seen = a.seenMs[i]!;
    const known = a.knownW[i]!;
    a.occW[i] = 0;
    a.covW[i] = 0;
    a.seenMs[i] = 0;
    a.knownW[i] = 0;
    if (!(w > 0)) continue; // no window with an occupancy: never move a price
    const p = a.ctrl[i]! * PARAM_STRIDE;
    const cov = known / seen;
    if (cov < params[p + P_MIN_COVERAGE]!) continue;
    if (effectiveMs - a.lastChangeMs[i]! < params[p + P_MIN_INTERVAL_MS]!) continue;
    const occ = occSum / w;
    const old = a.price[i]!;
    const lo = a.lo[i]!;
    const hi = a.hi[i]!;
    let delta = 0;
    let rule = 0;
    let err = 0;
    let nextIntegral = a.integral[i]!;
    if (params[p + P_TYPE]! === 0) {
      if (occ >= params[p + P_UPPER2]!) {
        delta = params[p + P_STEP2]!;
        rule = RULE.step2Up;
      } else if (occ >= params[p + P_UPPER]!) {
        delta = params[p + P_STEP]!;
        rule = RULE.stepUp;
      } else if (occ < params[p + P_LOWER2]!) {
        delta = -params[p + P_STEP2]!;
        rule = RULE.step2Down;
      } else if (occ < params[p + P_LOWER]!) {
        delta = -params[p + P_STEP]!;
        rule = RULE.stepDown;
      }
    } else {
      err = occ - params[p + P_TARGET]!;
      if ((err < 0 ? -err : err) <= params[p + P_DEAD_BAND]!) continue;
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
      if (!((cand >= hi && err > 0) || (cand <= lo && err < 0))) nextIntegral = integ;
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
    a.outOcc[i] = occ;
    a.outCov[i] = cov;
    a.outErr[i] = err;
    a.outRule[i] = rule;
    a.outFlags[i] = flags;
    outIdx[n++] = i;
  }
  return n;
}

/**
 * Window rows: the formulas that turn a row's accumulators (kernel.ts's 64-byte records, plus the zone-event
 * state of ColdRows) into the closed window's columns, and the reset that starts the row's next window in the
 * same pass, so the hot loops never ask whether a row belongs to the open window. O(1) per row, no per-bay
 * work. docs/OCCUPANCY.md states the formulas; windows.ts calls closeRows for the rows a closing window needs.
 */
import {
  AF_DWELL_SUM,
  AF_KNOWN_MS,
  AF_OCC_MS,
  AU_ARRIVALS,
  AU_DEPARTURES,
  AU_DWELL_COUNT,
  AU_EPOCH,
  AU_KNOWN,
  AU_LAST,
  AU_OCC,
  AU_PEAK,
  R_EPOCH,
  R_WIN_END,
} from "./kernel.js";
import type { EngineState } from "./state.js";
import type { WindowColumns } from "./types.js";

// Detection codes (catalog DETECTION).
const D_SENSORS = 0;
const D_BALANCING = 1;
const D_MANUAL = 2;
const D_MODEL = 3;
/** Confidence of a figure estimated from payment sessions. */
export const MODEL_BASED_CONFIDENCE = 0.5;

/**
 * Resets a row's window fields for window `epoch`: the sums become "remaining time" sums (count × windowMs),
 * counts and the peak become 0 (the count carried in competes for the peak at the row's first change or at
 * close, see notePeak). Called when a window closes.
 */
export function resetRow(
  accF64: Float64Array,
  accU32: Uint32Array,
  row: number,
  epoch: number,
  windowMs: number,
): void {
  const a64 = row * 8;
  const a32 = row * 16;
  const occ = accU32[a32 + AU_OCC]!;
  accF64[a64 + AF_OCC_MS] = occ * windowMs;
  accF64[a64 + AF_KNOWN_MS] = accU32[a32 + AU_KNOWN]! * windowMs;
  accF64[a64 + AF_DWELL_SUM] = 0;
  accU32[a32 + AU_PEAK] = 0;
  accU32[a32 + AU_LAST] = 0;
  accU32[a32 + AU_ARRIVALS] = 0;
  accU32[a32 + AU_DEPARTURES] = 0;
  accU32[a32 + AU_DWELL_COUNT] = 0;
  accU32[a32 + AU_EPOCH] = epoch;
}

/** Makes a row's cold window fields belong to the open window (host-side zone events call this; hot fields
 * always do, see closeRows). */
export function currentRow(s: EngineState, row: number): void {
  const epoch = s.reg[R_EPOCH]!;
  const w = s.windowMs;
  const z = s.coldRows();
  if (z.epoch[row] !== epoch) {
    const occ = z.qOcc[row]!;
    z.qOccMs[row] = occ * w;
    z.qKnownMs[row] = z.qKnown[row]! * w;
    z.qPeak[row] = 0;
    z.qLast[row] = 0;
    z.qArrivals[row] = 0;
    z.qDepartures[row] = 0;
    z.qDwellSum[row] = 0;
    z.qDwellCount[row] = 0;
    z.driftWindow[row] = 0;
    z.epoch[row] = epoch;
  }
}

/**
 * Where closeRows notes the rows whose figures change: for each row whose new figures differ from those the
 * columns held (NaN equal to NaN) or that counted arrivals or departures, bit r of `marks` (bit r & 31 of word
 * r >>> 5) is set and `at[r]` becomes `now`.
 */
export interface RowChanges {
  readonly marks: Uint32Array;
  readonly at: Uint32Array;
  now: number;
}

/** Equal figures: the same number, or both NaN. */
function same(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/**
 * Writes the rows of the open window (which must be complete) into `c` and resets each row for the next window
 * (its number R_EPOCH + 1; closeWindow then counts the window closed): every row of [closeLo, closeHi), or with
 * `list`, the rows list[0 .. listLength) of that range; with `changes`, notes the rows it changes there.
 * Formulas: docs/OCCUPANCY.md.
 */
export function closeRows(
  s: EngineState,
  minCoverage: number,
  countHalfLifeMs: number,
  c: WindowColumns,
  list: Uint32Array | null = null,
  listLength = 0,
  changes?: RowChanges,
): void {
  // Rows [closeLo, closeHi): all of them, or a worker shard's own (the others' columns are left as they are).
  const lo = s.closeLo;
  const hi = s.closeHi;
  const w = s.windowMs;
  const endMs = s.reg[R_WIN_END]!;
  const f = s.accF64;
  const u = s.accU32;
  const occupancy = c.occupancy;
  const coverage = c.coverage;
  const meanDwellMs = c.meanDwellMs;
  const confidence = c.confidence;
  const occupiedBayMs = c.occupiedBayMs;
  const knownBayMs = c.knownBayMs;
  const arrivals = c.arrivals;
  const departures = c.departures;
  const peakOccupied = c.peakOccupied;
  const detection = c.detection;
  const driftVehicles = c.driftVehicles;
  const rowCapacity = s.rowCapacity;
  const rowDetection = s.rowDetection;
  const accEpoch = s.reg[R_EPOCH]!;
  // Zone-event state (null in engines that never saw a zone event: then all of it is at its defaults).
  const z = s.cold;
  const count = list === null ? hi - lo : listLength;
  const marks = changes?.marks;
  const changedAt = changes?.at;
  const now = changes?.now ?? 0;
  for (let i = 0; i < count; i++) {
    const r = list === null ? lo + i : list[i]!;
    if (r < lo || r >= hi) continue;
    const cap = rowCapacity[r]!;
    let method = rowDetection[r]!;
    const a64 = r * 8;
    const a32 = r * 16;
    let occMs = f[a64 + AF_OCC_MS]!;
    let knownMs = f[a64 + AF_KNOWN_MS]!;
    let dwellSum = f[a64 + AF_DWELL_SUM]!;
    let dwellCount = u[a32 + AU_DWELL_COUNT]!;
    let arrived = u[a32 + AU_ARRIVALS]!;
    let departed = u[a32 + AU_DEPARTURES]!;
    let peak = Math.max(u[a32 + AU_PEAK]!, u[a32 + AU_OCC]!);
    // The row starts the next window now (the hot loops never check which window a row belongs to).
    resetRow(f, u, r, accEpoch + 1, w);
    let cold = method === D_MODEL || knownMs === 0;
    if (cold && method !== D_MODEL)
      cold = z !== null && (z.epoch[r] === accEpoch ? z.qKnownMs[r]! : z.qKnown[r]! * w) > 0;
    if (cold) {
      // Payments: the figure of modelBased rows, and the fallback of rows whose own method saw nothing.
      method = D_MODEL;
      if (z !== null && z.epoch[r] === accEpoch) {
        occMs = z.qOccMs[r]!;
        knownMs = z.qKnownMs[r]!;
        dwellSum = z.qDwellSum[r]!;
        dwellCount = z.qDwellCount[r]!;
        arrived = z.qArrivals[r]!;
        departed = z.qDepartures[r]!;
        peak = Math.max(z.qPeak[r]!, z.qOcc[r]!);
      } else {
        peak = z === null ? 0 : z.qOcc[r]!;
        occMs = peak * w;
        knownMs = z === null ? 0 : z.qKnown[r]! * w;
        dwellSum = 0;
        dwellCount = 0;
        arrived = 0;
        departed = 0;
      }
    }
    const cov = knownMs / (cap * w);
    const occ = knownMs > 0 && cov >= minCoverage ? occMs / knownMs : Number.NaN;
    const dwell = dwellCount > 0 ? Math.round(dwellSum / dwellCount) : Number.NaN;
    let conf = 0;
    let drift = 0;
    if (knownMs > 0) {
      if (method === D_SENSORS) conf = 1;
      else if (method === D_BALANCING) {
        conf = cap / (cap + (z === null ? 0 : z.driftSinceReset[r]!));
        drift = z !== null && z.epoch[r] === accEpoch ? z.driftWindow[r]! : 0;
      } else if (method === D_MANUAL) {
        const at = z === null ? -1 : z.countTime[r]!;
        conf = at < 0 ? 0 : 2 ** (-(endMs - at) / countHalfLifeMs);
      } else conf = MODEL_BASED_CONFIDENCE;
    }
    // Coverage and occupancy follow from the two sums (the row's capacity and minCoverage are the engine's); of
    // the others only the mean dwell can be NaN.
    if (
      marks !== undefined &&
      ((arrived | departed) !== 0 ||
        arrived !== arrivals[r] ||
        departed !== departures[r] ||
        peak !== peakOccupied[r] ||
        method !== detection[r] ||
        occMs !== occupiedBayMs[r] ||
        knownMs !== knownBayMs[r] ||
        conf !== confidence[r] ||
        drift !== driftVehicles[r] ||
        !same(dwell, meanDwellMs[r]!))
    ) {
      marks[r >>> 5] = marks[r >>> 5]! | (1 << (r & 31));
      changedAt![r] = now;
    }
    arrivals[r] = arrived;
    departures[r] = departed;
    peakOccupied[r] = peak;
    occupiedBayMs[r] = occMs;
    knownBayMs[r] = knownMs;
    coverage[r] = cov;
    occupancy[r] = occ;
    meanDwellMs[r] = dwell;
    detection[r] = method;
    confidence[r] = conf;
    driftVehicles[r] = drift;
  }
}

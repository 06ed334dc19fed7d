/**
 * Daily demand curves by kind of place, in local time. A curve gives the share of a zone's capacity
 * the arrivals aim to fill at each local hour; with the stay-length distribution it sets the arrival rate
 * (see arrivalRates). The shapes are plausible guesses for an
 * Indonesian city, not measurements.
 */
import type { ZoneKind } from "./zone-kinds.js";

/** Demand shape and stay lengths of one kind of place. */
export interface DemandProfile {
  /** Target occupancy share (0..1) per local hour 0..23, Monday to Thursday. */
  readonly weekday: readonly number[];
  /** Multiplier on `weekday` on Fridays (mosques use `fridayPrayer` instead). */
  readonly friday: number;
  /** Multiplier on `weekday` on Saturdays. */
  readonly saturday: number;
  /** Multiplier on `weekday` on Sundays, unless `sunday` is given. */
  readonly sundayFactor: number;
  /** Own Sunday curve (churches), replacing `weekday × sundayFactor`. */
  readonly sunday?: readonly number[];
  /** Friday midday prayer: target occupancy for these local hours on Fridays (mosques). */
  readonly fridayPrayer?: { readonly hours: readonly number[]; readonly occupancy: number };
  /** Median stay in minutes per vehicle code (index 1 motorcycle, 2 three-wheeler, 3 car, 4 heavy). */
  readonly dwellMedianMin: readonly [number, number, number, number, number];
  /** Log-space standard deviation of stay length (lognormal). */
  readonly dwellSigma: number;
  /** Local hours [from, to) in which attendants walk the zone and count. */
  readonly attendantHours: readonly [number, number];
}

const HOURS = 24;

function curve(points: Readonly<Record<number, number>>, base: number): number[] {
  const out: number[] = [];
  for (let h = 0; h < HOURS; h++) out.push(points[h] ?? base);
  return out;
}

/** Demand profiles by kind of place. */
export const DEMAND: Readonly<Record<ZoneKind, DemandProfile>> = {
  // Traditional markets open before dawn and thin out in the afternoon.
  market: {
    weekday: curve(
      { 4: 0.15, 5: 0.45, 6: 0.75, 7: 0.9, 8: 0.95, 9: 0.9, 10: 0.85, 11: 0.75, 12: 0.65, 13: 0.6, 14: 0.55 },
      0.05,
    ).map((v, h) => (h >= 15 && h <= 20 ? 0.5 - (h - 15) * 0.07 : v)),
    friday: 0.95,
    saturday: 1.05,
    sundayFactor: 1,
    dwellMedianMin: [0, 35, 35, 50, 40],
    dwellSigma: 0.65,
    attendantHours: [5, 21],
  },
  // Shop streets: a late-morning plateau and an evening peak.
  shops: {
    weekday: curve(
      {
        0: 0.05,
        7: 0.25,
        8: 0.45,
        9: 0.6,
        10: 0.7,
        11: 0.75,
        12: 0.7,
        13: 0.65,
        14: 0.65,
        15: 0.7,
        16: 0.8,
        17: 0.85,
        18: 0.9,
        19: 0.9,
        20: 0.8,
        21: 0.55,
        22: 0.3,
        23: 0.12,
      },
      0.03,
    ),
    friday: 0.95,
    saturday: 1.1,
    sundayFactor: 0.9,
    dwellMedianMin: [0, 25, 25, 40, 30],
    dwellSigma: 0.7,
    attendantHours: [7, 23],
  },
  office: {
    weekday: curve(
      {
        6: 0.05,
        7: 0.5,
        8: 0.85,
        9: 0.9,
        10: 0.9,
        11: 0.85,
        12: 0.7,
        13: 0.85,
        14: 0.85,
        15: 0.7,
        16: 0.4,
        17: 0.15,
      },
      0.02,
    ),
    friday: 0.85,
    saturday: 0.3,
    sundayFactor: 0.1,
    dwellMedianMin: [0, 300, 300, 360, 60],
    dwellSigma: 0.55,
    attendantHours: [7, 18],
  },
  hospital: {
    weekday: curve(
      {
        7: 0.5,
        8: 0.8,
        9: 0.95,
        10: 0.95,
        11: 0.9,
        12: 0.8,
        13: 0.75,
        14: 0.7,
        15: 0.65,
        16: 0.7,
        17: 0.75,
        18: 0.7,
        19: 0.6,
        20: 0.45,
        21: 0.35,
      },
      0.25,
    ),
    friday: 0.95,
    saturday: 0.85,
    sundayFactor: 0.75,
    dwellMedianMin: [0, 90, 90, 120, 60],
    dwellSigma: 0.7,
    attendantHours: [6, 22],
  },
  // Pupils ride motorcycles and stay the school day; parents drop off and pick up.
  school: {
    weekday: curve(
      { 6: 0.3, 7: 0.85, 8: 0.8, 9: 0.7, 10: 0.7, 11: 0.75, 12: 0.8, 13: 0.6, 14: 0.4, 15: 0.2, 16: 0.1 },
      0.01,
    ),
    friday: 0.8,
    saturday: 0.3,
    sundayFactor: 0.05,
    dwellMedianMin: [0, 240, 120, 60, 30],
    dwellSigma: 0.8,
    attendantHours: [6, 16],
  },
  // Five daily prayers; Friday midday prayer fills the street.
  mosque: {
    weekday: curve({ 4: 0.5, 5: 0.3, 11: 0.2, 12: 0.7, 13: 0.2, 15: 0.5, 18: 0.8, 19: 0.6 }, 0.05),
    friday: 1,
    saturday: 1,
    sundayFactor: 1,
    fridayPrayer: { hours: [11, 12], occupancy: 1 },
    dwellMedianMin: [0, 35, 35, 40, 30],
    dwellSigma: 0.45,
    attendantHours: [4, 21],
  },
  church: {
    weekday: curve({ 18: 0.15, 19: 0.15 }, 0.05),
    friday: 1,
    saturday: 1.2,
    sundayFactor: 1,
    sunday: curve({ 6: 0.4, 7: 0.9, 8: 0.9, 9: 0.85, 10: 0.9, 11: 0.6, 16: 0.4, 17: 0.7, 18: 0.6 }, 0.05),
    dwellMedianMin: [0, 90, 90, 100, 60],
    dwellSigma: 0.4,
    attendantHours: [6, 21],
  },
  // Talise beach front: morning walkers, then evenings and weekends at the food stalls.
  beach: {
    weekday: curve(
      {
        0: 0.3,
        1: 0.15,
        6: 0.35,
        7: 0.3,
        15: 0.3,
        16: 0.55,
        17: 0.8,
        18: 0.9,
        19: 0.9,
        20: 0.85,
        21: 0.7,
        22: 0.55,
        23: 0.4,
      },
      0.08,
    ).map((v, h) => (h >= 2 && h <= 5 ? 0.04 : v)),
    friday: 1.05,
    saturday: 1.3,
    sundayFactor: 1.3,
    dwellMedianMin: [0, 80, 80, 100, 60],
    dwellSigma: 0.6,
    attendantHours: [6, 24],
  },
  mall: {
    weekday: curve(
      {
        10: 0.3,
        11: 0.45,
        12: 0.55,
        13: 0.55,
        14: 0.5,
        15: 0.55,
        16: 0.65,
        17: 0.75,
        18: 0.85,
        19: 0.9,
        20: 0.8,
        21: 0.5,
        22: 0.15,
      },
      0.02,
    ),
    friday: 1,
    saturday: 1.2,
    sundayFactor: 1.25,
    dwellMedianMin: [0, 110, 110, 130, 60],
    dwellSigma: 0.6,
    attendantHours: [9, 23],
  },
};

/**
 * Target occupancy share (0..1) of a kind of place at a local hour and weekday (0 = Sunday).
 *
 * @example targetOccupancy("office", 9, 1) // 0.9
 */
export function targetOccupancy(kind: ZoneKind, hour: number, weekday: number): number {
  const p = DEMAND[kind];
  if (weekday === 5 && p.fridayPrayer?.hours.includes(hour)) return p.fridayPrayer.occupancy;
  let v: number;
  if (weekday === 0) v = p.sunday !== undefined ? p.sunday[hour]! : p.weekday[hour]! * p.sundayFactor;
  else if (weekday === 5) v = p.weekday[hour]! * p.friday;
  else if (weekday === 6) v = p.weekday[hour]! * p.saturday;
  else v = p.weekday[hour]!;
  return Math.min(1, v);
}

/** Mean of a lognormal stay in ms for a kind of place and vehicle code. */
export function meanDwellMs(kind: ZoneKind, vehicleCode: number): number {
  const p = DEMAND[kind];
  return p.dwellMedianMin[vehicleCode]! * 60_000 * Math.exp((p.dwellSigma * p.dwellSigma) / 2);
}

const HOUR_MS = 3_600_000;
/** Arrival instants sampled per hour when integrating presence. */
const GRID = 8;
/** Slots after which a slot's arrivals are all gone (stays are capped at 16 h). */
const PRESENCE_SLOTS = 17;

/**
 * Arrival rate per hour slot (arrivals per ms per unit of capacity) that makes the expected occupancy
 * follow the demand curve: at the end of each slot, vehicles still present from earlier arrivals plus
 * this slot's arrivals match the curve. Solving slot by slot front-loads arrivals for long stays
 * (offices fill at 8, not at 14) instead of lagging the curve by the stay length. When the curve
 * falls faster than vehicles leave, the rate is 0 and occupancy decays at its natural pace.
 *
 * @param hour Local hour of each slot. @param weekday Local weekday of each slot (0 = Sunday).
 */
export function arrivalRates(
  kind: ZoneKind,
  vehicleCode: number,
  hour: Uint8Array,
  weekday: Uint8Array,
): Float64Array {
  const p = DEMAND[kind];
  const n = hour.length;
  const medianMs = p.dwellMedianMin[vehicleCode]! * 60_000;
  // presence[j]: expected share of one slot's arrivals (spread evenly) still present j slots after it ends.
  const horizon = PRESENCE_SLOTS;
  const presence = new Float64Array(horizon + 1);
  for (let j = 0; j <= horizon; j++) {
    let sum = 0;
    for (let i = 0; i < GRID; i++)
      sum += lognormalSurvival((j + 1 - (i + 0.5) / GRID) * HOUR_MS, medianMs, p.dwellSigma);
    presence[j] = sum / GRID;
  }
  const target = (s: number): number =>
    targetOccupancy(kind, hour[Math.min(s, n - 1)]!, weekday[Math.min(s, n - 1)]!);
  const arrivals = new Float64Array(n); // expected arrivals per slot per unit capacity
  const rates = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    let still = 0;
    for (let k = Math.max(0, s - horizon); k < s; k++) still += arrivals[k]! * presence[s - k]!;
    const wanted = (target(s) + target(s + 1)) / 2;
    arrivals[s] = Math.max(0, (wanted - still) / presence[0]!);
    rates[s] = arrivals[s]! / HOUR_MS;
  }
  return rates;
}

/** P(stay > x) for a lognormal stay with the given median and log-space sigma. */
function lognormalSurvival(xMs: number, medianMs: number, sigma: number): number {
  if (xMs <= 0) return 1;
  return 0.5 * erfc(Math.log(xMs / medianMs) / (sigma * Math.SQRT2));
}

/** Complementary error function (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * z);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const r = poly * Math.exp(-z * z);
  return x >= 0 ? r : 2 - r;
}

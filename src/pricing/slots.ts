/**
 * The controlled price slots of a policy over a city: which (zone, class, band) prices each controller moves,
 * numbered controller by controller, and the controller arrays they start from (parameters, exact thresholds,
 * price bounds on the rounding grid, the published price). A policy whose controller bounds exclude a
 * published price, or leave no legal price, is refused here.
 */
import type { City } from "../catalog/city.js";
import { VEHICLE_CODES } from "../catalog/vehicles.js";
import { type Issue, ParkirConfigError } from "../errors/index.js";
import {
  type ControllerArrays,
  createControllerArrays,
  P_INTEGRAL_LIMIT,
  P_KI,
  P_KP,
  P_MAX_CHANGE,
  P_MIN_INTERVAL_MS,
  P_ROUND_STEP,
  P_STEP,
  P_STEP2,
  P_TYPE,
  PARAM_STRIDE,
  R_DEAD_HIGH,
  R_DEAD_LOW,
  R_LOWER,
  R_LOWER2,
  R_MIN_COVERAGE,
  R_TARGET,
  R_UPPER,
  R_UPPER2,
  RATIO_STRIDE,
} from "./controller.js";
import { ceilToStep, floorToStep } from "./money.js";
import type { Policy } from "./policy.js";
import { priceSlot } from "./pricebook.js";
import { type TariffTable, zoneMask } from "./table.js";

/** The controlled slots (slots of one controller are contiguous) and their controller state. */
export interface ControlledSlots {
  /** First slot of each controller, and the slot count last (controllers + 1 entries). */
  readonly ctrlStart: Int32Array;
  /** Zone index of each slot. */
  readonly slotZone: Uint32Array;
  /** Vehicle code of each slot. */
  readonly slotCode: Uint8Array;
  /** Band index of each slot. */
  readonly slotBand: Uint16Array;
  /** Slot of each price slot (priceSlot numbering), or −1 when no controller moves it. */
  readonly slotOfPrice: Int32Array;
  /** Controller state over the slots, at the published prices. */
  readonly arrays: ControllerArrays;
}

/**
 * Enumerates the slots every controller of `policy` moves and fills their controller arrays.
 *
 * @throws ParkirConfigError when a controller's bounds and the legal limits leave no price, or exclude the
 *   published one.
 */
export function controlledSlots(city: City, policy: Policy, table: TariffTable): ControlledSlots {
  const controllers = policy.dynamic?.controllers ?? [];
  const nBands = table.nBands;
  const slotOfPrice = new Int32Array(city.zoneCount * VEHICLE_CODES * nBands).fill(-1);

  // Enumerate controlled slots, controller by controller.
  const issues: Issue[] = [];
  const zones: number[] = [];
  const codes: number[] = [];
  const bands: number[] = [];
  const ctrlOf: number[] = [];
  const starts: number[] = [];
  for (const c of controllers) {
    starts.push(zones.length);
    const mask = zoneMask(city, c.zones);
    for (let z = 0; z < city.zoneCount; z++) {
      if (mask[z] === 0) continue;
      for (let code = 0; code < VEHICLE_CODES; code++) {
        if (c.vehicleCodes !== null && !c.vehicleCodes.includes(code)) continue;
        const g = table.zoneVehicleGroup[z * VEHICLE_CODES + code]!;
        if (g < 0) continue;
        for (const r of policy.tariffs[table.groupTariff[g]!]!.rates) {
          if (c.bands !== null && !c.bands.includes(r.band)) continue;
          const ps = priceSlot(z, code, r.band, nBands);
          if (slotOfPrice[ps]! >= 0) continue;
          slotOfPrice[ps] = zones.length;
          zones.push(z);
          codes.push(code);
          bands.push(r.band);
          ctrlOf.push(c.index);
        }
      }
    }
  }
  starts.push(zones.length);
  const n = zones.length;
  const a = createControllerArrays(n, controllers.length);
  const step = policy.roundingStepMinor;
  for (const c of controllers) {
    const p = c.index * PARAM_STRIDE;
    a.params[p + P_TYPE] = c.type === "pi" ? 1 : 0;
    a.params[p + P_STEP] = c.stepMinor;
    a.params[p + P_STEP2] = c.step2Minor;
    a.params[p + P_KP] = c.kp;
    a.params[p + P_KI] = c.ki;
    a.params[p + P_INTEGRAL_LIMIT] = c.integralLimit;
    a.params[p + P_MAX_CHANGE] = c.maxChangeMinor;
    a.params[p + P_MIN_INTERVAL_MS] = c.minIntervalMs;
    a.params[p + P_ROUND_STEP] = step;
    const q = c.index * RATIO_STRIDE;
    const th = c.thresholds;
    a.ratios.set(th.lower, q + R_LOWER);
    a.ratios.set(th.upper, q + R_UPPER);
    a.ratios.set(th.lower2, q + R_LOWER2);
    a.ratios.set(th.upper2, q + R_UPPER2);
    a.ratios.set(th.target, q + R_TARGET);
    a.ratios.set(th.deadLow, q + R_DEAD_LOW);
    a.ratios.set(th.deadHigh, q + R_DEAD_HIGH);
    a.ratios.set(th.minCoverage, q + R_MIN_COVERAGE);
  }
  const reported = new Set<string>();
  for (let i = 0; i < n; i++) {
    const c = controllers[ctrlOf[i]!]!;
    const z = zones[i]!;
    const code = codes[i]!;
    const [floor, ceiling] = table.legalBounds(z, code);
    const lo = ceilToStep(Math.max(c.minMinor, floor), step);
    const hi = floorToStep(Math.min(c.maxMinor, ceiling), step);
    const g = table.zoneVehicleGroup[z * VEHICLE_CODES + code]!;
    const rate = policy.tariffs[table.groupTariff[g]!]!.rates.find((r) => r.band === bands[i])!;
    const key = `${c.path}|${rate.path}|${lo}|${hi}`;
    if (lo > hi && !reported.has(key)) {
      reported.add(key);
      issues.push({
        path: c.path,
        message: `no price allowed for zone ${city.zones[z]!.id}: [${c.minMinor}, ${c.maxMinor}] and the legal limits [${floor}, ${ceiling}] do not overlap`,
      });
    } else if ((rate.headlineMinor < lo || rate.headlineMinor > hi) && !reported.has(key)) {
      reported.add(key);
      issues.push({
        path: rate.path,
        message: `published price ${rate.headlineMinor} is outside [${lo}, ${hi}] allowed by controller ${c.id} for zone ${city.zones[z]!.id}`,
      });
    }
    a.ctrl[i] = c.index;
    a.lo[i] = lo;
    a.hi[i] = hi;
    a.base[i] = rate.headlineMinor;
    a.price[i] = rate.headlineMinor;
  }
  if (issues.length > 0) throw new ParkirConfigError("pricing policy", issues);
  return {
    ctrlStart: Int32Array.from(starts),
    slotZone: Uint32Array.from(zones),
    slotCode: Uint8Array.from(codes),
    slotBand: Uint16Array.from(bands),
    slotOfPrice,
    arrays: a,
  };
}

/**
 * A policy's controllers resolved: type and preset, currency scale, step sizes, PI gains, price bounds on the
 * rounding grid, and the occupancy thresholds as exact ratios, every inconsistency reported with its path;
 * and the vehicle codes a selector names, which tariffs, surcharges, limits and freezes share.
 */
import { VEHICLE_CODES, vehicleCode } from "../catalog/vehicles.js";
import type { Issue } from "../errors/index.js";
import { parseDurationMs } from "./duration.js";
import { ceilToStep, floorToStep } from "./money.js";
import type { Controller, ControllerThresholds } from "./policy.js";
import { PRESETS } from "./presets.js";
import { addRatio, decimalRatio, RATIO_DECIMALS_MAX, type Ratio } from "./ratio.js";
import type { ControllerDocument } from "./schema.js";
/** Resolves controller document `c` (the `index`th, at JSON `path`); problems go to `issues`. */
export function resolveController(
  c: ControllerDocument,
  index: number,
  path: string,
  currency: string,
  step: number,
  bands: number[] | null,
  issues: Issue[],
): Controller {
  const preset = c.preset ? PRESETS[c.preset] : undefined;
  const type = c.type ?? (preset ? "step" : undefined);
  if (type === undefined)
    issues.push({ path: `${path}.type`, message: 'give "type" ("step" or "pi") or a "preset"' });
  if (preset && type === "pi") issues.push({ path: `${path}.type`, message: "presets are step controllers" });
  let scale = c.scale;
  if (preset && scale === undefined) {
    if (preset.currency === currency) scale = 1;
    else
      issues.push({
        path: `${path}.scale`,
        message: `preset ${preset.name} is in ${preset.currency} cents; give "scale" (${currency} minor units per ${preset.currency} cent)`,
      });
  }
  const k = scale ?? 1;
  // Scaled preset money, brought onto the policy's rounding grid (steps at least one step).
  const p = preset
    ? {
        lower: preset.lower,
        upper: preset.upper,
        stepMinor: Math.max(step, Math.round((preset.stepMinor * k) / step) * step),
        minMinor: ceilToStep(preset.minMinor * k, step),
        maxMinor: floorToStep(preset.maxMinor * k, step),
        every: preset.every,
        minInterval: preset.minInterval,
      }
    : undefined;
  const need = <T>(field: string, value: T | undefined): T => {
    if (value === undefined)
      issues.push({ path: `${path}.${field}`, message: `required for a ${type} controller` });
    return value as T;
  };
  const onGrid = (field: string, value: number | undefined): void => {
    if (value !== undefined && value % step !== 0)
      issues.push({ path: `${path}.${field}`, message: `must be a multiple of the rounding step ${step}` });
  };
  for (const f of ["minMinor", "maxMinor", "stepMinor", "step2Minor", "maxChangeMinor"] as const)
    onGrid(f, c[f]);

  const everyMs = parseDurationMs(need("every", c.every ?? p?.every) ?? "");
  const minIntervalMs = parseDurationMs(need("minInterval", c.minInterval ?? p?.minInterval) ?? "");
  const minMinor = need("minMinor", c.minMinor ?? p?.minMinor) ?? 0;
  const maxMinor = need("maxMinor", c.maxMinor ?? p?.maxMinor) ?? 0;
  if (minMinor > maxMinor) issues.push({ path: `${path}.minMinor`, message: "must not exceed maxMinor" });

  let lower = 0;
  let upper = 1;
  let stepMinor = 0;
  let lower2 = -1;
  let upper2 = 2;
  let step2Minor = 0;
  let target = 0;
  let kp = 0;
  let ki = 0;
  let maxChangeMinor = 0;
  if (type === "step") {
    lower = need("lower", c.lower ?? p?.lower) ?? 0;
    upper = need("upper", c.upper ?? p?.upper) ?? 1;
    stepMinor = need("stepMinor", c.stepMinor ?? p?.stepMinor) ?? 0;
    if (stepMinor === 0) issues.push({ path: `${path}.stepMinor`, message: "must be positive" });
    if (lower > upper) issues.push({ path: `${path}.lower`, message: "must not exceed upper" });
    if (c.lower2 !== undefined || c.upper2 !== undefined || c.step2Minor !== undefined) {
      step2Minor = need("step2Minor", c.step2Minor) ?? 0;
      lower2 = c.lower2 ?? -1;
      upper2 = c.upper2 ?? 2;
      if (c.lower2 !== undefined && c.lower2 > lower)
        issues.push({ path: `${path}.lower2`, message: "must not exceed lower" });
      if (c.upper2 !== undefined && c.upper2 < upper)
        issues.push({ path: `${path}.upper2`, message: "must not be below upper" });
      if (step2Minor < stepMinor)
        issues.push({ path: `${path}.step2Minor`, message: "must not be below stepMinor" });
    }
  } else if (type === "pi") {
    target = need("target", c.target) ?? 0;
    kp = need("kp", c.kp) ?? 0;
    ki = c.ki ?? 0;
    maxChangeMinor = need("maxChangeMinor", c.maxChangeMinor) ?? 0;
    if (maxChangeMinor === 0) issues.push({ path: `${path}.maxChangeMinor`, message: "must be positive" });
  }
  const deadBand = c.deadBand ?? 0;
  const exact = (field: string, x: number): Ratio => {
    const r = decimalRatio(x);
    if (r === null)
      issues.push({
        path: `${path}.${field}`,
        message: `must have at most ${RATIO_DECIMALS_MAX} decimal places`,
      });
    return r ?? [0, 1];
  };
  const targetRatio = exact("target", target);
  const deadRatio = exact("deadBand", deadBand);
  const thresholds: ControllerThresholds = {
    lower: exact("lower", lower),
    upper: exact("upper", upper),
    lower2: exact("lower2", lower2),
    upper2: exact("upper2", upper2),
    target: targetRatio,
    deadLow: addRatio(targetRatio, deadRatio, -1) ?? [0, 1],
    deadHigh: addRatio(targetRatio, deadRatio, 1) ?? [0, 1],
    minCoverage: exact("minCoverage", c.minCoverage),
  };
  return {
    id: c.id,
    index,
    type: type ?? "step",
    preset: preset?.name ?? null,
    zones: c.zones,
    vehicleCodes: c.vehicleTypes ? codes(c.vehicleTypes) : null,
    bands,
    everyMs,
    minIntervalMs,
    minCoverage: c.minCoverage,
    minMinor,
    maxMinor,
    lower,
    upper,
    stepMinor,
    lower2,
    upper2,
    step2Minor,
    target,
    kp,
    ki,
    integralLimit: c.integralLimit ?? 10,
    maxChangeMinor,
    deadBand,
    thresholds,
    path,
  };
}

/** Sorted distinct vehicle codes of class names. */
export function codes(names: readonly string[]): number[] {
  return [...new Set(names.map(vehicleCode))].sort((a, b) => a - b);
}

/** Every vehicle code. */
export function allCodes(): number[] {
  return Array.from({ length: VEHICLE_CODES }, (_, i) => i);
}

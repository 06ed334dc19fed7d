/**
 * Options of the trace generator, their defaults and their validation. Fault rates model what real
 * LoRaWAN sensor networks do; every rate can be set to 0 (or `faults: false` turns them all off).
 */
import type { CapacityClass } from "../catalog/vehicles.js";
import { type Issue, ParkirConfigError } from "../errors/index.js";

/** Faults injected into the delivered trace. Ground truth (who parks where and when) does not depend on them. */
export interface FaultOptions {
  /** Share of device uplinks (bay sensors, gate counters) that never arrive; the sequence number is still used. Default 0.01. */
  readonly lossRate: number;
  /** Share of device uplinks delivered twice (LoRaWAN retransmission: same event_id and sequence_number, 2–30 s later). Default 0.02. */
  readonly duplicateRate: number;
  /** Every event is delivered up to this many ms after its event time (uniform). Default 2000. */
  readonly jitterMs: number;
  /** Share of events delayed by up to 2 min (out of order but on time for a usual lateness allowance). Default 0.03. */
  readonly reorderRate: number;
  /** Share of events delayed by 2 to 10 min (late for a short lateness allowance). Default 0.003. */
  readonly lateRate: number;
  /** Chance per bay sensor and day of one silent period (radio blocked: uplinks are sent but lost). Default 0.05. */
  readonly silentSensorRate: number;
  /** Shortest silent period in hours. Default 1. */
  readonly silentHoursMin: number;
  /** Longest silent period in hours. Default 8. */
  readonly silentHoursMax: number;
  /** Share of vehicles a gate counter misses (no event at all, so in/out balance drifts). Default 0.02. */
  readonly gateMissRate: number;
  /** Largest relative error of an attendant count (uniform in ±this). Default 0.15. */
  readonly countErrorMax: number;
}

/** Default fault rates. */
export const DEFAULT_FAULTS: FaultOptions = Object.freeze({
  lossRate: 0.01,
  duplicateRate: 0.02,
  jitterMs: 2000,
  reorderRate: 0.03,
  lateRate: 0.003,
  silentSensorRate: 0.05,
  silentHoursMin: 1,
  silentHoursMax: 8,
  gateMissRate: 0.02,
  countErrorMax: 0.15,
});

/** Every fault off: no loss, no duplicates, delivery in event-time order, exact counts. */
export const NO_FAULTS: FaultOptions = Object.freeze({
  lossRate: 0,
  duplicateRate: 0,
  jitterMs: 0,
  reorderRate: 0,
  lateRate: 0,
  silentSensorRate: 0,
  silentHoursMin: 1,
  silentHoursMax: 8,
  gateMissRate: 0,
  countErrorMax: 0,
});

/** Longest trace, in hours (31 days: about 2–3 million events for Palu). */
export const TRACE_HOURS_MAX = 24 * 31;

/** Options of generateTrace. */
export interface TraceOptions {
  /** PRNG seed (any safe integer). Default 1. */
  readonly seed?: number;
  /** Start of the trace, ms since the epoch. Events with event time in [startMs, startMs + hours) are emitted. */
  readonly startMs: number;
  /** Length of the trace in hours (fractions allowed), at most TRACE_HOURS_MAX. */
  readonly hours: number;
  /** Fault rates (missing ones take DEFAULT_FAULTS), or false for none. Default DEFAULT_FAULTS. */
  readonly faults?: Partial<FaultOptions> | false;
  /** A sensor sends a scheduled_report when it has sent nothing for this long. Default 3 h. */
  readonly heartbeatMs?: number;
  /** The network server emits comms_lost after hearing nothing from a sensor for this long. Default 3.5 h (must exceed heartbeatMs). */
  readonly commsLostAfterMs?: number;
  /** Hours simulated before startMs (not emitted) so the trace starts with cars already parked. Default 12; costs that much extra simulation. */
  readonly warmupHours?: number;
  /** Share of stays paid electronically (payment_start/payment_end). Default 0.3. */
  readonly paymentShare?: number;
  /** Flat tariff per visit in minor units per class; classes without one get no payment events. Default Palu's Rp2,000 motorcycle, Rp4,000 car. */
  readonly tariffMinor?: Partial<Record<CapacityClass, number>>;
  /** Multiplier on every zone's arrival rate. Default 1. */
  readonly demandScale?: number;
  /** Shortest time between two attendant rounds of a zone, ms. Default 30 min. */
  readonly countIntervalMinMs?: number;
  /** Longest time between two attendant rounds of a zone, ms. Default 60 min. */
  readonly countIntervalMaxMs?: number;
}

/** Options with every default filled in. */
export interface ResolvedTraceOptions {
  readonly seed: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly faults: FaultOptions;
  readonly heartbeatMs: number;
  readonly commsLostAfterMs: number;
  readonly warmupMs: number;
  readonly paymentShare: number;
  readonly tariffMinor: Readonly<Partial<Record<CapacityClass, number>>>;
  readonly demandScale: number;
  readonly countIntervalMinMs: number;
  readonly countIntervalMaxMs: number;
}

const HOUR_MS = 3_600_000;

/**
 * Fills defaults and checks every option.
 *
 * @throws ParkirConfigError listing every bad option.
 */
export function resolveTraceOptions(o: TraceOptions): ResolvedTraceOptions {
  const issues: Issue[] = [];
  const num = (path: string, v: unknown, min: number, max: number, integer = false): void => {
    if (
      typeof v !== "number" ||
      !Number.isFinite(v) ||
      v < min ||
      v > max ||
      (integer && !Number.isInteger(v))
    ) {
      issues.push({ path, message: `must be ${integer ? "an integer" : "a number"} in [${min}, ${max}]` });
    }
  };
  const seed = o.seed ?? 1;
  if (!Number.isSafeInteger(seed)) issues.push({ path: "seed", message: "must be a safe integer" });
  const warmupHours = o.warmupHours ?? 12;
  num("warmupHours", warmupHours, 0, 48);
  num("startMs", o.startMs, warmupHours * HOUR_MS, 8.64e15 - (TRACE_HOURS_MAX + 1) * HOUR_MS, true);
  if (typeof o.hours !== "number" || !(o.hours > 0 && o.hours <= TRACE_HOURS_MAX)) {
    issues.push({ path: "hours", message: `must be a number in (0, ${TRACE_HOURS_MAX}]` });
  }
  const heartbeatMs = o.heartbeatMs ?? 3 * HOUR_MS;
  num("heartbeatMs", heartbeatMs, 60_000, 48 * HOUR_MS, true);
  const commsLostAfterMs = o.commsLostAfterMs ?? 3.5 * HOUR_MS;
  num("commsLostAfterMs", commsLostAfterMs, 60_000, 96 * HOUR_MS, true);
  if (commsLostAfterMs <= heartbeatMs)
    issues.push({ path: "commsLostAfterMs", message: "must exceed heartbeatMs" });
  const paymentShare = o.paymentShare ?? 0.3;
  num("paymentShare", paymentShare, 0, 1);
  const demandScale = o.demandScale ?? 1;
  num("demandScale", demandScale, 0, 100);
  const countIntervalMinMs = o.countIntervalMinMs ?? 30 * 60_000;
  const countIntervalMaxMs = o.countIntervalMaxMs ?? 60 * 60_000;
  num("countIntervalMinMs", countIntervalMinMs, 60_000, 24 * HOUR_MS, true);
  num("countIntervalMaxMs", countIntervalMaxMs, countIntervalMinMs, 24 * HOUR_MS, true);
  const tariffMinor = o.tariffMinor ?? { motorcycle: 2000, car: 4000 };
  for (const [k, v] of Object.entries(tariffMinor)) num(`tariffMinor.${k}`, v, 0, 0x7fffffff, true);

  const faults: FaultOptions = o.faults === false ? NO_FAULTS : { ...DEFAULT_FAULTS, ...(o.faults ?? {}) };
  for (const k of [
    "lossRate",
    "duplicateRate",
    "reorderRate",
    "lateRate",
    "silentSensorRate",
    "gateMissRate",
  ] as const) {
    num(`faults.${k}`, faults[k], 0, 1);
  }
  if (faults.reorderRate + faults.lateRate > 1)
    issues.push({ path: "faults", message: "reorderRate + lateRate must be at most 1" });
  num("faults.jitterMs", faults.jitterMs, 0, 60_000, true);
  num("faults.countErrorMax", faults.countErrorMax, 0, 1);
  num("faults.silentHoursMin", faults.silentHoursMin, 0, 48);
  num("faults.silentHoursMax", faults.silentHoursMax, faults.silentHoursMin, 48);
  for (const k of Object.keys(faults)) {
    if (!(k in DEFAULT_FAULTS)) issues.push({ path: `faults.${k}`, message: "unknown fault option" });
  }
  if (issues.length > 0) throw new ParkirConfigError("trace options", issues);
  return {
    seed,
    startMs: o.startMs,
    endMs: o.startMs + Math.round(o.hours * HOUR_MS),
    faults,
    heartbeatMs,
    commsLostAfterMs,
    warmupMs: Math.round(warmupHours * HOUR_MS),
    paymentShare,
    tariffMinor,
    demandScale,
    countIntervalMinMs,
    countIntervalMaxMs,
  };
}

/**
 * One day replayed for the report and the demo: events through the occupancy engine, the flat and the
 * dynamic tariff, and an open-data hub; what the report shows is collected on the way.
 */
import type { City } from "../catalog/city.js";
import { OccupancyEngine } from "../occupancy/engine.js";
import type { HealthEvent } from "../occupancy/reports.js";
import type { WindowBatch } from "../occupancy/types.js";
import { OpenDataHub } from "../opendata/hub.js";
import { ReplayFeeder } from "../opendata/replay.js";
import type { TariffDecision } from "../pricing/decision.js";
import { PricingEngine } from "../pricing/engine.js";
import { loadPolicy, type Policy } from "../pricing/policy.js";
import { reconcile } from "../pricing/reconcile.js";
import type { CdsEvent } from "../wire/events.js";
import { observedVisits, revenueByZone, type ZoneRevenue } from "./revenue.js";

/** What to replay. */
export interface DayInput {
  readonly city: City;
  /** Events in recorded (arrival) order. */
  readonly events: readonly CdsEvent[];
  /** The policy document (its base is the flat tariff; its `dynamic` variant, when present, the dynamic one). */
  readonly policyDocument: unknown;
  /** Called with every closed window (e.g. to write JSON Lines). */
  readonly onWindow?: (batch: WindowBatch, decisions: readonly TariffDecision[]) => void;
  /** Called after each step with (events done, events total). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What the day's replay found. */
export interface DayData {
  readonly city: City;
  /** The hub after the day: hourly aggregates, bay statuses, decisions. */
  readonly hub: OpenDataHub;
  readonly flat: Policy;
  readonly dynamic: Policy;
  /** Whether the policy had a dynamic variant. */
  readonly hasDynamic: boolean;
  /** First and last event time, ms. */
  readonly firstEventMs: number;
  readonly lastEventMs: number;
  readonly events: number;
  readonly accepted: number;
  readonly duplicate: number;
  readonly late: number;
  readonly unknown: number;
  /** Events refused by the clock-skew guard plus batches that failed verification. */
  readonly refused: number;
  readonly windows: number;
  readonly records: number;
  readonly decisions: readonly TariffDecision[];
  /** Every sensor health change, in event time. */
  readonly health: readonly HealthEvent[];
  readonly revenue: readonly ZoneRevenue[];
  readonly stays: number;
  readonly payments: number;
  readonly unpaidStays: number;
  readonly leakageMinor: number;
}

const STEP_EVENTS = 16_384;

/** Replays a day. Deterministic for given inputs. */
export function replayDay(input: DayInput): DayData {
  const { city, events } = input;
  const flatPolicy = loadPolicy(input.policyDocument);
  const variants = (input.policyDocument as { variants?: Record<string, unknown> }).variants ?? {};
  const hasDynamic = Object.hasOwn(variants, "dynamic");
  const dynPolicy = hasDynamic ? loadPolicy(input.policyDocument, { variant: "dynamic" }) : flatPolicy;
  const flat = new PricingEngine(city, flatPolicy);
  const dynamic = new PricingEngine(city, dynPolicy);
  const engine = new OccupancyEngine(city);
  const health: HealthEvent[] = [];
  let windows = 0;
  let records = 0;
  engine.windows$.subscribe((batch) => {
    windows++;
    records += batch.records.length;
    const ds = dynamic.onWindows(batch);
    input.onWindow?.(batch, ds);
  });
  engine.health$.subscribe((h) => {
    for (const e of h.events) health.push(e);
  });
  const hub = new OpenDataHub({ city, engine, pricing: dynamic, hoursMax: 24 * 40, seriesMax: 12 * 24 * 2 });
  const feeder = new ReplayFeeder(city, events, engine, hub);
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const e of events) {
    const t = typeof e.event_time === "number" ? e.event_time : Date.parse(e.event_time);
    if (t < first) first = t;
    if (t > last) last = t;
  }
  while (!feeder.done) {
    feeder.advanceCount(STEP_EVENTS);
    input.onProgress?.(feeder.position, events.length);
  }
  engine.close();
  const visits = observedVisits(events, city);
  const revenue = revenueByZone(city, visits, flat, dynamic);
  const rec = reconcile(dynamic.table, visits.stays, visits.payments, { prices: dynamic.prices });
  return {
    city,
    hub,
    flat: flatPolicy,
    dynamic: dynPolicy,
    hasDynamic,
    firstEventMs: first,
    lastEventMs: last,
    events: events.length,
    accepted: feeder.totals.accepted,
    duplicate: feeder.totals.duplicate,
    late: feeder.totals.late,
    unknown: feeder.totals.unknownBay + feeder.encodeReport.unknownBay + feeder.encodeReport.unknownZone,
    refused: feeder.totals.clockSkew + feeder.totals.rejected,
    windows,
    records,
    decisions: dynamic.decisions,
    health,
    revenue,
    stays: visits.stays.length,
    payments: visits.payments.length,
    unpaidStays: rec.totals.unpaidStays,
    leakageMinor: rec.totals.leakageMinor,
  };
}

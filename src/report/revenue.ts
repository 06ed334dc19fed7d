/**
 * Revenue of each parking point at the observed demand, for cars and motorcycles, under two tariffs.
 * Visits of a class a point senses bay by bay are the stays its sensors saw (paid or not); visits of
 * a class it counts (motorcycles, at attendant-run points) are the paid sessions. Cold path.
 */
import type { City } from "../catalog/city.js";
import { VEHICLE_CODES, vehicleCode } from "../catalog/vehicles.js";
import type { PricingEngine } from "../pricing/engine.js";
import type { DetectedStay, PaidSession } from "../pricing/reconcile.js";
import type { CdsEvent } from "../wire/events.js";
import { parseEventTime } from "../wire/events.js";

/** One class's revenue at a point. */
export interface ClassRevenue {
  /** Visits billed. */
  readonly visits: number;
  /** Under the flat (published) tariff, minor units. */
  readonly flatMinor: number;
  /** Under the dynamic tariff (prices integrated over each stay), minor units. */
  readonly dynamicMinor: number;
}

/** Revenue of one parking point. */
export interface ZoneRevenue {
  readonly zone: string;
  readonly name: string;
  readonly car: ClassRevenue;
  readonly motorcycle: ClassRevenue;
}

/** What the sensors and payments saw. */
export interface ObservedVisits {
  /** Stays the bay sensors saw (park_start then park_end on one bay, duplicates dropped). */
  readonly stays: DetectedStay[];
  /** Paid sessions (payment_end with its session's start). */
  readonly payments: PaidSession[];
}

/** Pairs park_start/park_end per bay and payment_start/payment_end per session, in event time. */
export function observedVisits(trace: readonly CdsEvent[], city: City): ObservedVisits {
  const seen = new Set<string>();
  const events = trace
    .filter((e) => !seen.has(e.event_id) && seen.add(e.event_id) !== undefined)
    .map((e) => ({ e, t: parseEventTime(e.event_time) }))
    .sort((a, b) => a.t - b.t || (a.e.event_id < b.e.event_id ? -1 : 1));
  const open = new Map<string, number>();
  const sessions = new Map<string, number>();
  const stays: DetectedStay[] = [];
  const payments: PaidSession[] = [];
  for (const { e, t } of events) {
    const bayId =
      e.curb_space_id ??
      (e.data_source_device_id === undefined
        ? undefined
        : city.bayId(city.deviceIndex(e.data_source_device_id)));
    if (e.event_type === "park_start" && bayId) open.set(bayId, t);
    else if (e.event_type === "park_end" && bayId) {
      const start = open.get(bayId);
      open.delete(bayId);
      const bay = city.bayIndex(bayId);
      if (start !== undefined && bay >= 0) {
        const vehicle = city.bayVehicle[bay] === vehicleCode("motorcycle") ? "motorcycle" : "car";
        stays.push({
          zone: city.zones[city.bayZone[bay]!]!.id,
          vehicleType: vehicle,
          startMs: start,
          endMs: t,
        });
      }
    } else if (e.event_type === "payment_start" && e.event_session_id) sessions.set(e.event_session_id, t);
    else if (e.event_type === "payment_end" && e.event_session_id && e.curb_zone_id) {
      const payment: PaidSession = {
        zone: e.curb_zone_id,
        sessionId: e.event_session_id,
        startMs: sessions.get(e.event_session_id) ?? t,
        endMs: t,
        amountMinor: e.actual_cost ?? 0,
      };
      payments.push(e.vehicle_type === undefined ? payment : { ...payment, vehicleType: e.vehicle_type });
    }
  }
  return { stays, payments };
}

/** Bills every visit of cars and motorcycles under both tariffs, per point (points with no visit left out). */
export function revenueByZone(
  city: City,
  visits: ObservedVisits,
  flat: PricingEngine,
  dynamic: PricingEngine,
): ZoneRevenue[] {
  const list: { zone: number; code: number; startMs: number; endMs: number }[] = [];
  const sensed = (z: number, code: number) => city.sensedBays[z * VEHICLE_CODES + code]! > 0;
  for (const s of visits.stays) {
    const z = city.zoneIndex(s.zone);
    const code = vehicleCode(s.vehicleType);
    if (z >= 0 && code >= 0) list.push({ zone: z, code, startMs: s.startMs, endMs: s.endMs });
  }
  for (const p of visits.payments) {
    const z = city.zoneIndex(p.zone);
    const code = vehicleCode(p.vehicleType ?? "unspecified");
    // A class the point senses is billed from its sensor stays, not again from its payments.
    if (z >= 0 && code > 0 && !sensed(z, code))
      list.push({ zone: z, code, startMs: p.startMs, endMs: p.endMs });
  }
  const n = list.length;
  const starts = new Float64Array(n);
  const ends = new Float64Array(n);
  const zones = new Uint32Array(n);
  const vehicles = new Uint8Array(n);
  list.forEach((v, i) => {
    starts[i] = v.startMs;
    ends[i] = Math.max(v.endMs, v.startMs);
    zones[i] = v.zone;
    vehicles[i] = v.code;
  });
  const flatOut = new Float64Array(n);
  const dynOut = new Float64Array(n);
  flat.billBatch(starts, ends, zones, vehicles, flatOut);
  dynamic.billBatch(starts, ends, zones, vehicles, dynOut, "integrated");
  const car = vehicleCode("car");
  const moto = vehicleCode("motorcycle");
  const acc = new Float64Array(city.zoneCount * 6);
  for (let i = 0; i < n; i++) {
    const k = vehicles[i] === car ? 0 : vehicles[i] === moto ? 3 : -1;
    if (k < 0) continue;
    const o = zones[i]! * 6 + k;
    acc[o]!++;
    acc[o + 1]! += Math.max(0, flatOut[i]!);
    acc[o + 2]! += Math.max(0, dynOut[i]!);
  }
  const out: ZoneRevenue[] = [];
  for (let z = 0; z < city.zoneCount; z++) {
    const o = z * 6;
    if (acc[o] === 0 && acc[o + 3] === 0) continue;
    out.push({
      zone: city.zones[z]!.id,
      name: city.zones[z]!.name,
      car: { visits: acc[o]!, flatMinor: acc[o + 1]!, dynamicMinor: acc[o + 2]! },
      motorcycle: { visits: acc[o + 3]!, flatMinor: acc[o + 4]!, dynamicMinor: acc[o + 5]! },
    });
  }
  return out;
}

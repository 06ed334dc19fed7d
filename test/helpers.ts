/** Small catalogues and event arbitraries shared by tests. */
import fc from "fast-check";
import { type City, loadCity } from "../src/catalog/index.js";
import type { CdsEvent } from "../src/wire/index.js";

/** A two-zone city: Z1 has 3 car bays with sensors plus attendant-counted motorcycles; Z2 is an off-street lot with a gate. */
export function tinyCity(): City {
  return loadCity(tinyCityConfig());
}

/** tinyCity's catalogue. */
export function tinyCityConfig() {
  return {
    id: "tiny",
    name: "Tiny",
    timeZone: "Asia/Makassar",
    currency: "IDR",
    synthetic: true,
    zones: [
      {
        id: "Z1",
        name: "Jl. Satu",
        location: { lat: -0.89, lon: 119.86 },
        street: "on",
        zoneClass: "A",
        detection: ["baySensors", "attendantCounts"],
        capacity: { motorcycle: 30 },
        bays: [
          { id: "Z1-B1", vehicleType: "car", sensorId: "S1" },
          { id: "Z1-B2", vehicleType: "car", sensorId: "S2" },
          { id: "Z1-B3", vehicleType: "car", sensorId: "S3" },
        ],
      },
      {
        id: "Z2",
        name: "Lot Dua",
        location: { lat: -0.9, lon: 119.87 },
        street: "off",
        zoneClass: "B",
        detection: ["gateCounters", "attendantCounts"],
        capacity: { car: 50, motorcycle: 100 },
        gates: [{ id: "G1", deviceId: "GATE-1" }],
      },
    ],
  };
}

/** Base time of generated events: 2026-11-30T00:00:00+08:00. */
export const T0_MS = Date.parse("2026-11-30T00:00:00+08:00");

/** Arbitrary valid CDS event for tinyCity (ids may also be unknown when `unknown` is true). */
export function arbEvent(unknown = false): fc.Arbitrary<CdsEvent> {
  const time = fc.oneof(
    fc.integer({ min: T0_MS, max: T0_MS + 86_400_000 }),
    fc.integer({ min: T0_MS, max: T0_MS + 86_400_000 }).map((ms) => new Date(ms).toISOString()),
  );
  const bays = unknown ? ["Z1-B1", "Z1-B2", "Z1-B3", "NOPE"] : ["Z1-B1", "Z1-B2", "Z1-B3"];
  const sensors = unknown ? ["S1", "S2", "S3", "S9"] : ["S1", "S2", "S3"];
  const zones = unknown ? ["Z1", "Z2", "Z9"] : ["Z1", "Z2"];
  const id = fc.string({ minLength: 1, maxLength: 24 });
  const seq = fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined });
  const bayRef = fc.oneof(
    fc.record({ curb_space_id: fc.constantFrom(...bays) }),
    fc.record({ data_source_device_id: fc.constantFrom(...sensors) }),
  );
  const bayEvent = fc
    .tuple(
      id,
      fc.constantFrom("park_start", "park_end", "comms_lost", "comms_restored", "decommissioned" as const),
      time,
      bayRef,
      seq,
      fc.option(fc.constantFrom("car", "van", "motorcycle"), { nil: undefined }),
    )
    .map(([event_id, event_type, event_time, ref, sequence_number, vehicle_type]) =>
      clean({ event_id, event_type, event_time, ...ref, sequence_number, vehicle_type }),
    );
  const report = fc
    .tuple(id, time, bayRef, seq, fc.boolean())
    .map(([event_id, event_time, ref, sequence_number, occupied]) =>
      clean({
        event_id,
        event_type: "scheduled_report" as const,
        event_time,
        ...ref,
        sequence_number,
        occupied,
      }),
    );
  const count = fc
    .tuple(
      id,
      time,
      fc.constantFrom(...zones),
      fc.nat(200),
      fc.constantFrom("motorcycle", "car", "moped"),
      fc.option(fc.constantFrom("att-1", "att-2"), { nil: undefined }),
    )
    .map(([event_id, event_time, curb_zone_id, vehicle_count, vehicle_type, data_source_device_id]) =>
      clean({
        event_id,
        event_type: "manual_count" as const,
        event_time,
        curb_zone_id,
        vehicle_count,
        vehicle_type,
        data_source_device_id,
      }),
    );
  const gate = fc
    .tuple(
      id,
      fc.constantFrom("enter_area", "exit_area" as const),
      time,
      fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
      seq,
    )
    .map(([event_id, event_type, event_time, vehicle_count, sequence_number]) =>
      clean({
        event_id,
        event_type,
        event_time,
        data_source_device_id: "GATE-1",
        vehicle_count,
        sequence_number,
        vehicle_type: "car",
      }),
    );
  const payment = fc
    .tuple(
      id,
      fc.constantFrom("payment_start", "payment_end" as const),
      time,
      fc.constantFrom(...zones),
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.nat(100_000),
    )
    .map(([event_id, event_type, event_time, curb_zone_id, event_session_id, cost]) =>
      clean({
        event_id,
        event_type,
        event_time,
        curb_zone_id,
        event_session_id,
        actual_cost: event_type === "payment_end" ? cost : undefined,
        vehicle_type: "motorcycle",
      }),
    );
  return fc.oneof(bayEvent, report, count, gate, payment);
}

function clean<T extends object>(o: T): CdsEvent {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as unknown as CdsEvent;
}

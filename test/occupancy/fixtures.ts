/** Small catalogues and helpers for occupancy tests. */
import fc from "fast-check";
import { type City, loadCity } from "../../src/catalog/index.js";
import type { OccupancyOptions, WindowBatch } from "../../src/occupancy/index.js";
import { OccupancyEngine } from "../../src/occupancy/index.js";
import { type CdsEvent, encodeEvents } from "../../src/wire/index.js";

/** 2026-11-30T00:00:00+08:00, a multiple of every window length used in tests. */
export const T0 = Date.parse("2026-11-30T00:00:00+08:00");
export const SEC = 1000;
export const MIN = 60_000;

/**
 * Zones: A — 4 car bays with sensors (A1..A4, sensors SA1..SA4); B — attendant-counted motorcycles (10);
 * C — a car park with a gate counter (capacity 5); D — payments only (4 cars); E — 2 car bays with sensors
 * and 6 attendant-counted motorcycles (mixed methods).
 */
export function testCity(): City {
  const loc = { lat: -0.89, lon: 119.86 };
  const bay = (id: string) => ({ id, vehicleType: "car" as const, sensorId: `S${id}` });
  return loadCity({
    id: "occ-test",
    name: "Occupancy test city",
    timeZone: "Asia/Makassar",
    currency: "IDR",
    synthetic: true,
    zones: [
      {
        id: "A",
        name: "Jl. A",
        location: loc,
        street: "on",
        zoneClass: "1",
        detection: ["baySensors"],
        capacity: {},
        bays: ["A1", "A2", "A3", "A4"].map(bay),
      },
      {
        id: "B",
        name: "Jl. B",
        location: loc,
        street: "on",
        zoneClass: "1",
        detection: ["attendantCounts"],
        capacity: { motorcycle: 10 },
      },
      {
        id: "C",
        name: "Lot C",
        location: loc,
        street: "off",
        zoneClass: "2",
        detection: ["gateCounters"],
        capacity: { car: 5 },
        gates: [{ id: "GC", deviceId: "GATE-C" }],
      },
      {
        id: "D",
        name: "Jl. D",
        location: loc,
        street: "on",
        zoneClass: "1",
        detection: ["payments"],
        capacity: { car: 4 },
      },
      {
        id: "E",
        name: "Jl. E",
        location: loc,
        street: "on",
        zoneClass: "1",
        detection: ["baySensors", "attendantCounts"],
        capacity: { motorcycle: 6 },
        bays: ["E1", "E2"].map(bay),
      },
    ],
  });
}

/** A city of `zones` zones with `baysPerZone` car bays each (for properties). */
export function sensorCity(zones: number, baysPerZone: number): City {
  return loadCity({
    id: `grid-${zones}x${baysPerZone}`,
    name: "Grid",
    timeZone: "Asia/Makassar",
    currency: "IDR",
    zones: Array.from({ length: zones }, (_, z) => ({
      id: `Z${z}`,
      name: `Zone ${z}`,
      location: { lat: -0.89, lon: 119.86 },
      street: "on" as const,
      zoneClass: "1",
      detection: ["baySensors" as const],
      capacity: {},
      bays: Array.from({ length: baysPerZone }, (_, b) => ({
        id: `Z${z}-B${b}`,
        vehicleType: "car" as const,
        sensorId: `Z${z}-S${b}`,
      })),
    })),
  });
}

let nextId = 0;
/** A bay event with a fresh id. */
export function bayEvent(
  type: CdsEvent["event_type"],
  bay: string,
  timeMs: number,
  extra: Partial<CdsEvent> = {},
): CdsEvent {
  return { event_id: `e${nextId++}`, event_type: type, event_time: timeMs, curb_space_id: bay, ...extra };
}

/** Runs events through a fresh engine in batches of `batchSize`, closes it, returns every window. */
export function run(
  city: City,
  batches: readonly (readonly CdsEvent[])[],
  options: OccupancyOptions = {},
): WindowBatch[] {
  const engine = new OccupancyEngine(city, options);
  const out: WindowBatch[] = [];
  engine.windows$.subscribe((w) => out.push(w));
  for (const b of batches) engine.ingest(encodeEvents(b, city));
  engine.close();
  return out;
}

/** Splits into batches of n. */
export function chunk<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

/** Windows as comparable plain data (records via JSON). */
export function plain(windows: readonly WindowBatch[]): unknown {
  return JSON.parse(JSON.stringify(windows));
}

/** The record of one zone and class in a window. */
export function rowOf(w: WindowBatch, zone: string, vehicleType: string) {
  const r = w.records.find((x) => x.zone === zone && x.vehicleType === vehicleType);
  if (r === undefined) throw new Error(`no row ${zone}/${vehicleType}`);
  return r;
}

/** One generated step: a delay and what happens. */
interface Step {
  readonly dtMs: number;
  readonly what: number;
  readonly pick: number;
  readonly flag: boolean;
  readonly n: number;
}

const BAYS = ["A1", "A2", "A3", "A4", "E1", "E2"];
const BAY_KINDS = [
  "park_start",
  "park_start",
  "park_end",
  "park_end",
  "scheduled_report",
  "comms_lost",
  "comms_restored",
  "decommissioned",
] as const;

/**
 * Arbitrary event streams over testCity, in event-time order, with unique event ids, per-device increasing
 * sequence numbers (or none, per device), unique payment keys: a stream without duplicates.
 */
export function arbStream(maxEvents = 120): fc.Arbitrary<CdsEvent[]> {
  const step = fc.record({
    dtMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 120_000 })),
    what: fc.integer({ min: 0, max: 99 }),
    pick: fc.nat(1000),
    flag: fc.boolean(),
    n: fc.integer({ min: 0, max: 12 }),
  });
  return fc
    .tuple(
      fc.array(step, { minLength: 1, maxLength: maxEvents }),
      fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      fc.nat(600_000),
    )
    .map(([steps, usesSeq, offset]) => materialize(steps, usesSeq, T0 + offset));
}

function materialize(steps: readonly Step[], usesSeq: readonly boolean[], startMs: number): CdsEvent[] {
  const out: CdsEvent[] = [];
  const seq = new Map<string, number>();
  const nextSeq = (device: string) => {
    const s = (seq.get(device) ?? 100) + 1;
    seq.set(device, s);
    return s;
  };
  const open: string[] = [];
  let sessions = 0;
  let t = startMs;
  steps.forEach((s, i) => {
    t += s.dtMs;
    const id = `g${i}`;
    if (s.what < 60) {
      const b = s.pick % BAYS.length;
      const bay = BAYS[b]!;
      const kind = BAY_KINDS[s.pick % BAY_KINDS.length]!;
      const e: CdsEvent = { event_id: id, event_type: kind, event_time: t, curb_space_id: bay };
      if (kind === "scheduled_report") e.occupied = s.flag;
      if (usesSeq[b]) e.sequence_number = nextSeq(bay);
      out.push(e);
    } else if (s.what < 72) {
      const zone = ["B", "C", "E"][s.pick % 3]!;
      const e: CdsEvent = {
        event_id: id,
        event_type: "manual_count",
        event_time: t,
        curb_zone_id: zone,
        vehicle_count: s.n,
      };
      if (zone === "C") e.vehicle_type = "car";
      out.push(e);
    } else if (s.what < 86) {
      const e: CdsEvent = {
        event_id: id,
        event_type: s.flag ? "enter_area" : "exit_area",
        event_time: t,
        data_source_device_id: "GATE-C",
        vehicle_count: 1 + (s.n % 3),
        vehicle_type: "car",
      };
      if (usesSeq[6]) e.sequence_number = nextSeq("GATE-C");
      out.push(e);
    } else {
      const zone = ["D", "B"][s.pick % 2]!;
      if (s.flag || open.length === 0) {
        const session = `sess-${sessions++}`;
        open.push(session);
        out.push({
          event_id: id,
          event_type: "payment_start",
          event_time: t,
          curb_zone_id: zone,
          event_session_id: session,
          vehicle_type: zone === "D" ? "car" : "motorcycle",
        });
      } else {
        const session = open.splice(s.pick % open.length, 1)[0]!;
        out.push({
          event_id: id,
          event_type: "payment_end",
          event_time: t,
          curb_zone_id: zone,
          event_session_id: session,
          actual_cost: 2000,
        });
      }
    }
  });
  return out;
}

/**
 * Delivery order with bounded lateness: each event is delayed by less than `latenessMs` of event time, so no
 * event is ever late. `delays` are fractions in [0, 1).
 */
export function deliver<T extends CdsEvent>(
  events: readonly T[],
  delays: readonly number[],
  latenessMs: number,
): T[] {
  const keyed = events.map((e, i) => ({
    e,
    i,
    key: Number(e.event_time) + Math.floor((delays[i % delays.length] ?? 0) * latenessMs),
  }));
  keyed.sort((a, b) => a.key - b.key || a.i - b.i);
  return keyed.map((k) => k.e);
}

/** Random batch sizes that cover `n` events. */
export function split<T>(items: readonly T[], sizes: readonly number[]): T[][] {
  const out: T[][] = [];
  let at = 0;
  let k = 0;
  while (at < items.length) {
    const n = Math.max(1, sizes[k++ % Math.max(1, sizes.length)] ?? 1);
    out.push(items.slice(at, at + n));
    at += n;
  }
  return out;
}

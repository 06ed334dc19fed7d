/** Hand-computed scenarios: every expected number below is worked out in the comments. */
import { expect, test } from "vitest";
import type { HealthEvent, LateReport, WindowBatch } from "../../src/occupancy/index.js";
import { OccupancyEngine } from "../../src/occupancy/index.js";
import type { CdsEvent } from "../../src/wire/index.js";
import { encodeEvents } from "../../src/wire/index.js";
import { bayEvent, MIN, rowOf, run, T0, testCity } from "./fixtures.js";

const city = testCity();
const vacantAll = (t: number, bays = ["A1", "A2", "A3", "A4"]) =>
  bays.map((b) => bayEvent("scheduled_report", b, t, { occupied: false }));

test("a window with arrivals at known instants", () => {
  const events = [
    ...vacantAll(T0),
    bayEvent("park_start", "A1", T0 + 1 * MIN),
    bayEvent("park_start", "A2", T0 + 2 * MIN),
    bayEvent("park_end", "A1", T0 + 3 * MIN),
    bayEvent("scheduled_report", "A3", T0 + 5 * MIN, { occupied: false }),
  ];
  const windows = run(city, [events]);
  expect(windows).toHaveLength(1);
  const w = windows[0]!;
  expect([w.windowStart, w.windowEnd]).toEqual([T0, T0 + 5 * MIN]);
  const a = rowOf(w, "A", "car");
  // known: 4 bays × 5 min = 20 bay-min; occupied: A1 1→3 (2 min) + A2 2→5 (3 min) = 5 bay-min.
  expect(a.occupancy).toBe(5 / 20);
  expect(a.coverage).toBe(1);
  expect(a.arrivals).toBe(2);
  expect(a.departures).toBe(1);
  expect(a.peakOccupied).toBe(2);
  expect(a.meanDwellMs).toBe(2 * MIN);
  expect(a.detection).toBe("singleSpaceDetection");
  expect(a.confidence).toBe(1);
  // The columns carry the exact integrals.
  const i = w.records.indexOf(a);
  expect(w.columns!.occupiedBayMs[i]).toBe(5 * MIN);
  expect(w.columns!.knownBayMs[i]).toBe(20 * MIN);
});

test("rows: every zone and class with capacity, in zone then class order", () => {
  const w = run(city, [
    [...vacantAll(T0), bayEvent("scheduled_report", "A1", T0 + 5 * MIN, { occupied: false })],
  ])[0]!;
  expect(w.records.map((r) => `${r.zone}/${r.vehicleType}`)).toEqual([
    "A/car",
    "B/motorcycle",
    "C/car",
    "D/car",
    "E/motorcycle",
    "E/car",
  ]);
  // Nothing observed: coverage 0, occupancy null, confidence 0.
  const b = rowOf(w, "B", "motorcycle");
  expect([b.coverage, b.occupancy, b.confidence, b.meanDwellMs]).toEqual([0, null, 0, null]);
});

test("coverage below minCoverage gives occupancy null", () => {
  // Only A1 reports: coverage 1/4 < 0.5.
  const events = [
    bayEvent("park_start", "A1", T0),
    bayEvent("scheduled_report", "A1", T0 + 5 * MIN, { occupied: true }),
  ];
  const a = rowOf(run(city, [events])[0]!, "A", "car");
  expect(a.coverage).toBe(0.25);
  expect(a.occupancy).toBeNull();
  const low = rowOf(run(city, [events], { minCoverage: 0.25 })[0]!, "A", "car");
  expect(low.occupancy).toBe(1);
});

test("a sensor that goes silent: unknown after the timeout, coverage drops, health$ reports it", () => {
  const opts = { sensorTimeoutMs: 10 * MIN };
  const events: CdsEvent[] = [...vacantAll(T0)];
  // A2..A4 report every 5 minutes; A1 says nothing until a park_start at 17 min.
  for (let m = 5; m <= 20; m += 5) events.push(...vacantAll(T0 + m * MIN, ["A2", "A3", "A4"]));
  events.push(bayEvent("park_start", "A1", T0 + 17 * MIN));
  events.sort((x, y) => Number(x.event_time) - Number(y.event_time));
  const engine = new OccupancyEngine(city, { ...opts, clock: () => 42 });
  const windows: WindowBatch[] = [];
  const health: HealthEvent[] = [];
  engine.windows$.subscribe((w) => windows.push(w));
  engine.health$.subscribe((h) => {
    expect(h.detectedAtMs).toBe(42);
    health.push(...h.events);
  });
  engine.ingest(encodeEvents(events, city));
  engine.close();
  expect(windows.map((w) => (w.windowStart - T0) / MIN)).toEqual([0, 5, 10, 15]);
  const cov = windows.map((w) => rowOf(w, "A", "car").coverage);
  // A1's deadline is 0 + 10 min: known in [0,5) and [5,10), unknown in [10,15);
  // in [15,20) unknown 15→17 and known 17→20: (3 × 5 + 3) / 20 = 0.9.
  expect(cov).toEqual([1, 1, 0.75, 0.9]);
  const last = rowOf(windows[3]!, "A", "car");
  expect(last.occupancy).toBe(3 / 18);
  expect(last.arrivals).toBe(1);
  expect(health).toEqual([
    { status: "silent", bay: "A1", device: "SA1", zone: "A", atMs: T0 + 10 * MIN },
    { status: "recovered", bay: "A1", device: "SA1", zone: "A", atMs: T0 + 17 * MIN },
  ]);
  expect(engine.counters.silent).toBe(1);
  expect(engine.counters.recovered).toBe(1);
});

test("a message exactly at the deadline keeps the sensor alive", () => {
  const events = [...vacantAll(T0), ...vacantAll(T0 + 10 * MIN), ...vacantAll(T0 + 15 * MIN)];
  const engine = new OccupancyEngine(city, { sensorTimeoutMs: 10 * MIN });
  let reports = 0;
  engine.health$.subscribe(() => reports++);
  engine.ingest(encodeEvents(events, city));
  engine.close();
  expect(reports).toBe(0);
});

test("comms_lost, comms_restored and decommissioned", () => {
  const events = [
    ...vacantAll(T0),
    bayEvent("comms_lost", "A1", T0 + 1 * MIN),
    bayEvent("comms_restored", "A1", T0 + 2 * MIN),
    bayEvent("decommissioned", "A2", T0 + 3 * MIN),
    bayEvent("scheduled_report", "A1", T0 + 4 * MIN, { occupied: true }),
    ...vacantAll(T0 + 5 * MIN, ["A3"]),
  ];
  const engine = new OccupancyEngine(city);
  const health: HealthEvent[] = [];
  const windows: WindowBatch[] = [];
  engine.health$.subscribe((h) => health.push(...h.events));
  engine.windows$.subscribe((w) => windows.push(w));
  engine.ingest(encodeEvents(events, city));
  engine.close();
  expect(health.map((h) => `${h.status}:${h.bay}:${(h.atMs - T0) / MIN}`)).toEqual([
    "lost:A1:1",
    "recovered:A1:2",
    "decommissioned:A2:3",
  ]);
  const a = rowOf(windows[0]!, "A", "car");
  // known: A1 0→1 and 4→5 (2 min), A2 0→3 (3), A3, A4 (5 each) = 15 bay-min; occupied A1 4→5 = 1.
  expect(a.coverage).toBe(15 / 20);
  expect(a.occupancy).toBe(1 / 15);
  expect(a.arrivals).toBe(0); // a report is not an arrival
});

test("a late event is counted, reported on late$ and not applied", () => {
  const engine = new OccupancyEngine(city); // lateness 2 min
  const late: LateReport[] = [];
  const windows: WindowBatch[] = [];
  engine.late$.subscribe((r) => late.push(r));
  engine.windows$.subscribe((w) => windows.push(w));
  const first = engine.ingest(
    encodeEvents(
      [
        ...vacantAll(T0),
        bayEvent("park_start", "A1", T0 + 1 * MIN),
        bayEvent("park_start", "A2", T0 + 10 * MIN),
      ],
      city,
    ),
  );
  expect(first.watermarkMs).toBe(T0 + 8 * MIN);
  const lateEvent = bayEvent("park_start", "A3", T0 + 5 * MIN);
  const second = engine.ingest(encodeEvents([lateEvent], city));
  expect(second).toMatchObject({ accepted: 0, late: 1, duplicate: 0, rejected: 0 });
  engine.close();
  expect(late).toHaveLength(1);
  expect(late[0]!.count).toBe(1);
  expect(late[0]!.events[0]).toEqual({
    index: 0,
    eventId: lateEvent.event_id,
    eventType: "park_start",
    timeMs: T0 + 5 * MIN,
    watermarkMs: T0 + 8 * MIN,
    bay: "A3",
    zone: "A",
  });
  // Window [5, 10): A1 occupied all 5 minutes of 20 known bay-minutes; A3 stayed vacant.
  expect(rowOf(windows[1]!, "A", "car").occupancy).toBe(0.25);
  expect(engine.counters.late).toBe(1);
});

test("within the lateness, an out-of-order event is applied in event-time order", () => {
  const end = bayEvent("scheduled_report", "A4", T0 + 5 * MIN, { occupied: false });
  const start = bayEvent("park_start", "A1", T0 + MIN);
  const stop = bayEvent("park_end", "A1", T0 + 3 * MIN);
  const opts = { allowedLatenessMs: 5 * MIN };
  const inOrder = run(city, [[...vacantAll(T0), start, stop, end]], opts);
  const swapped = run(city, [[stop], [end, ...vacantAll(T0)], [start]], opts);
  expect(JSON.stringify(swapped)).toBe(JSON.stringify(inOrder));
  expect(rowOf(inOrder[0]!, "A", "car").meanDwellMs).toBe(2 * MIN);
});

test("duplicates: same event id, or same device, sequence number and time, while within the lateness", () => {
  const engine = new OccupancyEngine(city);
  const start = bayEvent("park_start", "A1", T0, { sequence_number: 7 });
  // Another id, same device, sequence number and time: a retransmission.
  const r1 = engine.ingest(encodeEvents([start, { ...start, event_id: "retransmission" }], city));
  expect(r1).toMatchObject({ accepted: 1, duplicate: 1 });
  // The same event id with another sequence number is the same event.
  const r2 = engine.ingest(encodeEvents([{ ...start, sequence_number: 9, event_time: T0 + MIN }], city));
  expect(r2).toMatchObject({ accepted: 0, duplicate: 1 });
  // The same sequence number at another time is a new event (the device's counter restarted).
  const r3 = engine.ingest(
    encodeEvents([{ ...start, event_id: "after-rejoin", event_time: T0 + 2 * MIN }], city),
  );
  expect(r3).toMatchObject({ accepted: 1, duplicate: 0 });
  const end = bayEvent("park_end", "A1", T0 + 10 * MIN, { sequence_number: 8 });
  engine.ingest(encodeEvents([end], city));
  // Now older than the watermark (8 min): the original is forgotten and the copy is late, never applied.
  const r4 = engine.ingest(encodeEvents([start], city));
  expect(r4).toMatchObject({ accepted: 0, duplicate: 0, late: 1 });
  // A copy (same id) of an event still within the lateness is a duplicate even when its own time is late.
  const r5 = engine.ingest(encodeEvents([{ ...end, event_time: T0 + MIN }], city));
  expect(r5).toMatchObject({ duplicate: 1, late: 0 });
});

test("duplicates without sequence numbers are recognised by event id", () => {
  const engine = new OccupancyEngine(city);
  const e = bayEvent("park_start", "A1", T0);
  expect(engine.ingest(encodeEvents([e, e], city))).toMatchObject({ accepted: 1, duplicate: 1 });
  const count = {
    event_id: "c1",
    event_type: "manual_count",
    event_time: T0,
    curb_zone_id: "B",
    vehicle_count: 3,
  } as const;
  expect(engine.ingest(encodeEvents([count, count], city))).toMatchObject({ accepted: 1, duplicate: 1 });
  const pay = {
    event_id: "p1",
    event_type: "payment_start",
    event_time: T0,
    curb_zone_id: "D",
    event_session_id: "S",
  } as const;
  expect(engine.ingest(encodeEvents([pay, { ...pay, event_id: "p2" }], city))).toMatchObject({
    accepted: 1,
    duplicate: 1,
  });
});

test("attendant counts: a count holds until the next, confidence decays with age", () => {
  const count = (n: number, t: number): CdsEvent => ({
    event_id: `count-${t}`,
    event_type: "manual_count",
    event_time: t,
    curb_zone_id: "B",
    vehicle_count: n,
    vehicle_type: "motorcycle",
  });
  const w = run(city, [[count(4, T0 + MIN), count(8, T0 + 3 * MIN), count(8, T0 + 5 * MIN)]], {
    countHalfLifeMs: 60 * MIN,
  });
  const b = rowOf(w[0]!, "B", "motorcycle");
  // known from 1 min: 10 × 4 = 40 veh-min of 50 → coverage 0.8; present 4 × 2 + 8 × 2 = 24 → 0.6.
  expect(b.coverage).toBe(0.8);
  expect(b.occupancy).toBe(0.6);
  expect(b.peakOccupied).toBe(8);
  expect(b.detection).toBe("manual");
  // Count 2 minutes old at the window end, half-life 60 minutes.
  expect(b.confidence).toBe(2 ** (-2 / 60));
});

test("gate balance: clamped to [0, capacity], drift reported, a count resets it", () => {
  const gate = (type: "enter_area" | "exit_area", n: number, t: number): CdsEvent => ({
    event_id: `g-${t}`,
    event_type: type,
    event_time: t,
    data_source_device_id: "GATE-C",
    vehicle_count: n,
    vehicle_type: "car",
  });
  const events: CdsEvent[] = [
    gate("enter_area", 3, T0 + MIN),
    gate("exit_area", 1, T0 + 2 * MIN),
    gate("enter_area", 4, T0 + 3 * MIN), // 2 + 4 = 6 > capacity 5: clamped, drift 1
    {
      event_id: "reset",
      event_type: "manual_count",
      event_time: T0 + 6 * MIN,
      curb_zone_id: "C",
      vehicle_count: 2,
      vehicle_type: "car",
    },
    gate("exit_area", 1, T0 + 10 * MIN),
  ];
  const w = run(city, [events]);
  const c0 = rowOf(w[0]!, "C", "car");
  // known from 1 min: 5 × 4 = 20 veh-min of 25; present 3 × 1 + 2 × 1 + 5 × 2 = 15.
  expect(c0).toMatchObject({ coverage: 0.8, occupancy: 0.75, arrivals: 7, departures: 1, peakOccupied: 5 });
  expect(c0.detection).toBe("balancing");
  expect(c0.confidence).toBe(5 / 6);
  expect(w[0]!.columns!.driftVehicles[w[0]!.records.indexOf(c0)]).toBe(1);
  const c1 = rowOf(w[1]!, "C", "car");
  // 5 until 6 min, then 2: (5 × 1 + 2 × 4) / 25.
  expect(c1.occupancy).toBe(13 / 25);
  expect(c1.confidence).toBe(1);
});

test("payments: open sessions count as occupied (modelBased), dwell from session length", () => {
  const pay = (type: "payment_start" | "payment_end", session: string, t: number, zone = "D"): CdsEvent => ({
    event_id: `${type}-${session}`,
    event_type: type,
    event_time: t,
    curb_zone_id: zone,
    event_session_id: session,
    vehicle_type: "car",
    ...(type === "payment_end" ? { actual_cost: 4000 } : {}),
  });
  const events = [
    pay("payment_start", "s1", T0 + MIN),
    pay("payment_start", "s2", T0 + 2 * MIN),
    pay("payment_end", "s1", T0 + 4 * MIN),
  ];
  const d = rowOf(run(city, [[...events, pay("payment_start", "s3", T0 + 5 * MIN)]])[0]!, "D", "car");
  // known from 1 min: 4 × 4 = 16; present s1 1→4 (3) + s2 2→5 (3) = 6.
  expect(d).toMatchObject({
    occupancy: 6 / 16,
    coverage: 16 / 20,
    arrivals: 2,
    departures: 1,
    peakOccupied: 2,
    meanDwellMs: 3 * MIN,
  });
  expect(d.detection).toBe("modelBased");
  expect(d.confidence).toBe(0.5);
});

test("payments are the fallback of a zone whose own method saw nothing", () => {
  const events: CdsEvent[] = [
    {
      event_id: "p",
      event_type: "payment_start",
      event_time: T0,
      curb_zone_id: "B",
      event_session_id: "x",
      vehicle_type: "motorcycle",
    },
    {
      event_id: "c",
      event_type: "manual_count",
      event_time: T0 + 5 * MIN,
      curb_zone_id: "B",
      vehicle_count: 5,
      vehicle_type: "motorcycle",
    },
    {
      event_id: "end",
      event_type: "payment_end",
      event_time: T0 + 10 * MIN,
      curb_zone_id: "B",
      event_session_id: "x",
      actual_cost: 2000,
    },
  ];
  const w = run(city, [events]);
  expect(rowOf(w[0]!, "B", "motorcycle")).toMatchObject({
    detection: "modelBased",
    occupancy: 0.1,
    coverage: 1,
  });
  expect(rowOf(w[1]!, "B", "motorcycle")).toMatchObject({ detection: "manual", occupancy: 0.5 });
});

test("a zone can mix methods per vehicle class", () => {
  const events: CdsEvent[] = [
    bayEvent("park_start", "E1", T0),
    bayEvent("scheduled_report", "E2", T0, { occupied: false }),
    { event_id: "c", event_type: "manual_count", event_time: T0, curb_zone_id: "E", vehicle_count: 3 },
    bayEvent("scheduled_report", "E2", T0 + 5 * MIN, { occupied: false }),
  ];
  const w = run(city, [events])[0]!;
  // The count has no vehicle type: it goes to the class not watched by sensors (motorcycles).
  expect(rowOf(w, "E", "motorcycle")).toMatchObject({ detection: "manual", occupancy: 0.5 });
  expect(rowOf(w, "E", "car")).toMatchObject({ detection: "singleSpaceDetection", occupancy: 0.5 });
});

test("zone events for a class without capacity count as unknownBay", () => {
  const engine = new OccupancyEngine(city);
  const r = engine.ingest(
    encodeEvents(
      [
        {
          event_id: "x",
          event_type: "manual_count",
          event_time: T0,
          curb_zone_id: "B",
          vehicle_count: 1,
          vehicle_type: "car",
        },
      ],
      city,
    ),
  );
  expect(r).toMatchObject({ accepted: 0, unknownBay: 1 });
});

test("snapshot: live counts per zone as of the watermark", () => {
  const engine = new OccupancyEngine(city, { allowedLatenessMs: 0 });
  engine.ingest(
    encodeEvents(
      [...vacantAll(T0), bayEvent("park_start", "A1", T0 + MIN), bayEvent("park_start", "A2", T0 + 2 * MIN)],
      city,
    ),
  );
  const snap = engine.snapshot();
  // Events strictly before the watermark (2 min) are applied: A2's arrival waits.
  expect(snap.atMs).toBe(T0 + 2 * MIN);
  const a = city.zoneIndex("A");
  expect([snap.zoneOccupied[a], snap.zoneKnown[a], snap.zoneCapacity[a]]).toEqual([1, 4, 4]);
  expect(snap.detectionOf(a, 3)).toBe("singleSpaceDetection");
  engine.close();
  expect(engine.snapshot().zoneOccupied[a]).toBe(2);
});

test("bay times stay exact across moves of the 32-bit time base; a stay over 24 days loses its start", () => {
  const DAY = 24 * 60 * MIN;
  // Daily windows, 7-day timeout: the time base moves every 12 days (windows ending > 2^30 ms past it).
  const opts = { windowMs: DAY, sensorTimeoutMs: 7 * DAY };
  const start = Math.floor(T0 / DAY) * DAY;
  const events: CdsEvent[] = [...vacantAll(start + MIN)];
  // Heartbeats every 5 days keep A1, A2 (occupied) and A4 (vacant) online; A3 falls silent after day 20.
  for (let d = 5; d <= 45; d += 5) {
    for (const b of ["A1", "A2", "A4"]) {
      const occupied = (b === "A1" && d < 13) || (b === "A2" && d < 40);
      if (b !== "A4" && !occupied) continue;
      events.push(bayEvent("scheduled_report", b, start + d * DAY, { occupied }));
    }
    if (d <= 20) events.push(bayEvent("scheduled_report", "A3", start + d * DAY, { occupied: false }));
  }
  events.push(bayEvent("park_start", "A1", start + 2 * MIN), bayEvent("park_start", "A2", start + 3 * MIN));
  // A1 leaves after 13 days (its start moved through one rebase); A2 after 40 days (over 24: start lost).
  events.push(bayEvent("park_end", "A1", start + 13 * DAY + 5 * MIN));
  events.push(bayEvent("park_end", "A2", start + 40 * DAY + 7 * MIN));
  events.push(bayEvent("scheduled_report", "A4", start + 46 * DAY, { occupied: false }));
  events.sort((a, b) => Number(a.event_time) - Number(b.event_time));
  for (const kernel of ["js", "wasm"] as const) {
    const engine = new OccupancyEngine(city, { ...opts, kernel });
    const windows: WindowBatch[] = [];
    const health: HealthEvent[] = [];
    engine.windows$.subscribe((w) => windows.push(w));
    engine.health$.subscribe((h) => health.push(...h.events));
    engine.ingest(encodeEvents(events, city));
    engine.close();
    const day = (n: number) => rowOf(windows.find((w) => w.windowStart === start + n * DAY)!, "A", "car");
    expect(day(13).departures).toBe(1);
    expect(day(13).meanDwellMs).toBe(13 * DAY + 3 * MIN);
    expect(day(40).departures).toBe(1);
    expect(day(40).meanDwellMs).toBeNull();
    // A3's last message was on day 20: silent exactly 7 days later, after two rebases.
    expect(health.filter((h) => h.bay === "A3")).toEqual([
      expect.objectContaining({ status: "silent", atMs: start + 27 * DAY }),
    ]);
    // Day 27: A3 silent from 00:00, A1 silent since day 20 (no message after it left): only A2 and A4 known.
    expect(day(27).coverage).toBe(0.5);
    expect(health.filter((h) => h.bay === "A1")).toEqual([
      expect.objectContaining({ status: "silent", atMs: start + 20 * DAY + 5 * MIN }),
    ]);
  }
});

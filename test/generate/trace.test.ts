import { expect, test } from "vitest";
import { ParkirConfigError } from "../../src/errors/index.js";
import { DEFAULT_FAULTS, generateTrace, zoneKindOf } from "../../src/generate/index.js";
import {
  type CdsEvent,
  decodeEvents,
  EncodeReport,
  encodeEventBatches,
  eventIssues,
  toJsonLines,
} from "../../src/wire/index.js";
import {
  bayStateProblem,
  firstDifference,
  groupBy,
  MONDAY_MS,
  paluCity,
  paluTrace,
  SENSOR_UPLINKS,
  timeOf,
  withoutDuplicates,
} from "./fixtures.js";

const HOUR_MS = 3_600_000;
const day = () => paluTrace(1, 24);
const quietDay = () => paluTrace(1, 24, false);

test("a full Palu day generates in well under 2 s", () => {
  const { events, cpuMs } = day();
  expect(events.length).toBeGreaterThan(50_000);
  // Typically 0.3-0.7 s of CPU (garbage collection threads included).
  expect(cpuMs).toBeLessThan(2000);
});

test("same seed, identical events (so byte-identical JSON Lines); another seed, other events", () => {
  const again = generateTrace(paluCity(), { seed: 1, startMs: MONDAY_MS, hours: 24 });
  expect(firstDifference(again, day().events)).toBe(-1);
  expect(toJsonLines(again.slice(0, 5000)) === toJsonLines(day().events.slice(0, 5000))).toBe(true);
  expect(firstDifference(paluTrace(2, 2).events, paluTrace(1, 2).events)).toBeGreaterThanOrEqual(0);
});

test("a longer trace extends a shorter one: same events up to the shorter one's end, same delivery order", () => {
  for (const faults of [false, undefined] as const) {
    const short = paluTrace(1, 2, faults).events;
    const head = (faults === false ? quietDay() : day()).events.filter(
      (e) => timeOf(e) < MONDAY_MS + 2 * HOUR_MS,
    );
    expect(short.length).toBeGreaterThan(500);
    expect(firstDifference(head, short)).toBe(-1);
  }
});

test("every event is valid, encodes with no unknown ids and decodes back to the same JSON", () => {
  const { events } = day();
  const city = paluCity();
  const invalid = events.filter((e) => eventIssues(e).length > 0);
  expect(invalid).toEqual([]);
  const report = new EncodeReport();
  const batches = encodeEventBatches(events, city, 4096, report);
  expect(report.unknownBay + report.unknownZone).toBe(0);
  expect(report.encoded).toBe(events.length);
  expect(
    firstDifference(
      batches.flatMap((b) => decodeEvents(b, city)),
      events,
    ),
  ).toBe(-1);
}, 30_000);

test("all kinds of event appear in a day, inside the window", () => {
  const { events } = day();
  const kinds = new Set(events.map((e) => e.event_type));
  for (const k of [
    "park_start",
    "park_end",
    "scheduled_report",
    "comms_lost",
    "comms_restored",
    "enter_area",
    "exit_area",
    "manual_count",
    "payment_start",
    "payment_end",
  ]) {
    expect(kinds.has(k as CdsEvent["event_type"]), k).toBe(true);
  }
  const outside = events.filter(
    (e) => !Number.isInteger(e.event_time) || timeOf(e) < MONDAY_MS || timeOf(e) >= MONDAY_MS + 24 * HOUR_MS,
  );
  expect(outside).toEqual([]);
});

test("event ids are unique except retransmissions, which repeat the whole device uplink", () => {
  const { events, report } = day();
  const first = new Map<string, string>();
  const bad: string[] = [];
  let repeats = 0;
  for (const e of events) {
    const line = JSON.stringify(e);
    const prior = first.get(e.event_id);
    if (prior === undefined) {
      first.set(e.event_id, line);
      continue;
    }
    repeats++;
    if (line !== prior || e.sequence_number === undefined) bad.push(line);
  }
  expect(bad).toEqual([]);
  expect(repeats).toBe(report.duplicates);
  expect(repeats).toBeGreaterThan(0);
});

test("with faults off: no duplicates, no comms events, delivery in event-time order", () => {
  const { events } = quietDay();
  expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
  expect(events.some((e) => e.event_type === "comms_lost" || e.event_type === "comms_restored")).toBe(false);
  const backwards = events.filter((e, i) => i > 0 && timeOf(e) < timeOf(events[i - 1]!));
  expect(backwards).toEqual([]);
});

test("with faults off, per bay park_start and park_end alternate and heartbeats confirm the state", () => {
  const uplinks = groupBy(quietDay().events, (e) =>
    SENSOR_UPLINKS.has(e.event_type) ? e.curb_space_id : undefined,
  );
  expect(uplinks.size).toBe(paluCity().bayCount);
  const bad: string[] = [];
  for (const [bay, list] of uplinks) {
    // Event-time order (ties by sequence number) is the sequence-number order, with no gaps.
    const byTime = [...list].sort((a, b) => timeOf(a) - timeOf(b) || a.sequence_number! - b.sequence_number!);
    let last = MONDAY_MS;
    let change: string | undefined;
    for (let i = 0; i < byTime.length; i++) {
      const e = byTime[i]!;
      if (i > 0 && e.sequence_number !== byTime[i - 1]!.sequence_number! + 1)
        bad.push(`${e.event_id}: sequence gap`);
      if (e.event_type !== "scheduled_report") {
        if (e.event_type === change) bad.push(`${e.event_id}: two ${change} in a row`);
        change = e.event_type;
      }
      // A heartbeat at least every 3 h: never 3 h without an uplink, from the start of the window.
      if (timeOf(e) - last > 3 * HOUR_MS) bad.push(`${e.event_id}: silent for over 3 h`);
      last = timeOf(e);
    }
    const p = bayStateProblem(list);
    if (p !== "") bad.push(`${bay}: ${p}`);
  }
  expect(bad).toEqual([]);
});

test("with faults on, bay state only breaks across a lost uplink, and sequence numbers rise with time", () => {
  const events = withoutDuplicates(day().events);
  const uplinks = groupBy(events, (e) =>
    SENSOR_UPLINKS.has(e.event_type) ? e.data_source_device_id : undefined,
  );
  for (const [device, list] of uplinks) expect(bayStateProblem(list), device).toBe("");
  const gates = groupBy(events, (e) =>
    e.event_type === "enter_area" || e.event_type === "exit_area" ? e.data_source_device_id : undefined,
  );
  expect(gates.size).toBeGreaterThan(0);
  for (const [device, list] of gates) {
    const bySeq = [...list].sort((a, b) => a.sequence_number! - b.sequence_number!);
    for (let i = 1; i < bySeq.length; i++) {
      expect(bySeq[i]!.sequence_number, device).toBeGreaterThan(bySeq[i - 1]!.sequence_number!);
      expect(timeOf(bySeq[i]!), device).toBeGreaterThanOrEqual(timeOf(bySeq[i - 1]!));
    }
  }
});

test("comms_lost comes after 3.5 h of silence, and nothing is heard until comms_restored", () => {
  const { events } = paluTrace(3, 12, { silentSensorRate: 1 });
  const byDevice = groupBy(withoutDuplicates(events), (e) =>
    e.curb_space_id === undefined ? undefined : e.data_source_device_id,
  );
  let periods = 0;
  for (const [device, list] of byDevice) {
    const sorted = [...list].sort((a, b) => timeOf(a) - timeOf(b) || rank(a) - rank(b));
    let lostAt: number | undefined;
    let lastHeard: number | undefined;
    for (const e of sorted) {
      if (e.event_type === "comms_lost") {
        expect(lostAt, device).toBeUndefined();
        if (lastHeard !== undefined) expect(timeOf(e) - lastHeard, device).toBe(3.5 * HOUR_MS);
        lostAt = timeOf(e);
        periods++;
      } else if (e.event_type === "comms_restored") {
        if (lostAt !== undefined) expect(timeOf(e), device).toBeGreaterThan(lostAt);
        lostAt = undefined;
      } else {
        expect(lostAt, `${device} heard while lost`).toBeUndefined();
        lastHeard = timeOf(e);
      }
    }
  }
  expect(periods).toBeGreaterThan(paluCity().bayCount / 4);
});

/** Same-ms order: comms_lost, comms_restored, then the uplink that restored it. */
function rank(e: CdsEvent): number {
  return e.event_type === "comms_lost" ? 0 : e.event_type === "comms_restored" ? 1 : 2;
}

test("fault rates are roughly honoured over half a day", () => {
  const faults = {
    lossRate: 0.05,
    duplicateRate: 0.05,
    reorderRate: 0.1,
    lateRate: 0.02,
    silentSensorRate: 0,
  };
  const { events } = paluTrace(4, 12, faults);
  // Duplicates: repeated ids over distinct device uplinks.
  const ids = new Set<string>();
  let dups = 0;
  let uplinks = 0;
  for (const e of events) {
    if (ids.has(e.event_id)) dups++;
    else {
      ids.add(e.event_id);
      if (e.sequence_number !== undefined) uplinks++;
    }
  }
  expect(dups / uplinks).toBeGreaterThan(0.04);
  expect(dups / uplinks).toBeLessThan(0.06);
  // Loss: gaps in each device's sequence numbers.
  let expected = 0;
  let received = 0;
  for (const list of groupBy(withoutDuplicates(events), (e) =>
    e.sequence_number === undefined ? undefined : e.data_source_device_id,
  ).values()) {
    const seqs = list.map((e) => e.sequence_number!);
    expected += Math.max(...seqs) - Math.min(...seqs) + 1;
    received += seqs.length;
  }
  const loss = 1 - received / expected;
  expect(loss).toBeGreaterThan(0.04);
  expect(loss).toBeLessThan(0.06);
  // Lateness: how far an event's time lags the newest event time delivered before it.
  let newest = 0;
  let late = 0;
  let delayed = 0;
  for (const e of events) {
    const lag = newest - timeOf(e);
    if (lag > 125_000) late++;
    if (lag > 10_000) delayed++;
    newest = Math.max(newest, timeOf(e));
  }
  expect(late / events.length).toBeGreaterThan(0.012);
  expect(late / events.length).toBeLessThan(0.025);
  expect(delayed / events.length).toBeGreaterThan(0.08);
  expect(delayed / events.length).toBeLessThan(0.13);
});

test("faults change what is delivered, never the ground truth", () => {
  const quiet = quietDay().events;
  const noisy = withoutDuplicates(day().events);
  const key = (e: CdsEvent) =>
    `${e.data_source_device_id}|${e.event_type}|${e.event_time}|${e.vehicle_type}|${e.occupied}`;
  const truth = new Set(quiet.map(key));
  const invented = noisy.filter(
    (e) => e.data_source_device_id !== undefined && !e.event_type.startsWith("comms") && !truth.has(key(e)),
  );
  expect(invented).toEqual([]);
  // Payments and count times are the same; counts differ by at most the counting error.
  const pay = (list: CdsEvent[]) =>
    toJsonLines(list.filter((e) => e.event_type.startsWith("payment")).sort(byId));
  expect(pay(noisy)).toBe(pay(quiet));
  const quietCounts = new Map(
    quiet.filter((e) => e.event_type === "manual_count").map((e) => [e.event_id, e]),
  );
  const noisyCounts = noisy.filter((e) => e.event_type === "manual_count");
  expect(noisyCounts.length).toBe(quietCounts.size);
  let differ = 0;
  const bad: string[] = [];
  for (const e of noisyCounts) {
    const q = quietCounts.get(e.event_id);
    const n = q?.vehicle_count ?? -1;
    if (q === undefined || e.event_time !== q.event_time)
      bad.push(`${e.event_id}: no such round without faults`);
    else if (Math.abs(e.vehicle_count! - n) > Math.ceil(n * DEFAULT_FAULTS.countErrorMax) + 1)
      bad.push(`${e.event_id}: error too large`);
    if (e.vehicle_count !== n) differ++;
  }
  expect(bad).toEqual([]);
  expect(differ).toBeGreaterThan(noisyCounts.length / 3);
}, 30_000);

function byId(a: CdsEvent, b: CdsEvent): number {
  return a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0;
}

test("exact attendant counts never exceed capacity and follow working hours, every 30-60 min", () => {
  const city = paluCity();
  const counts = quietDay().events.filter((e) => e.event_type === "manual_count");
  expect(counts.length).toBeGreaterThan(1000);
  const bad: string[] = [];
  for (const e of counts) {
    const z = city.zones[city.zoneIndex(e.curb_zone_id!)]!;
    const cap = (z.capacity as Record<string, number | undefined>)[e.vehicle_type!] ?? 0;
    if (!(cap > 0) || e.vehicle_count! > cap)
      bad.push(`${e.event_id}: ${e.vehicle_count} over capacity ${cap}`);
    // Digital points: attendants count motorcycles only, sensors see the cars.
    if (z.detection.includes("baySensors") && e.vehicle_type !== "motorcycle")
      bad.push(`${e.event_id}: counted cars`);
    const hour = (new Date(timeOf(e)).getUTCHours() + 8) % 24;
    if (hour < 4) bad.push(`${e.event_id}: counted at ${hour} h`);
  }
  for (const [zone, list] of groupBy(counts, (e) => `${e.curb_zone_id}|${e.vehicle_type}`)) {
    for (let i = 1; i < list.length; i++) {
      const gap = timeOf(list[i]!) - timeOf(list[i - 1]!);
      // Consecutive rounds on one working day are 30-60 min apart (a night break is longer).
      if (gap < 3 * HOUR_MS && (gap < 30 * 60_000 - 1 || gap > 60 * 60_000 + 1))
        bad.push(`${zone}: gap ${gap} ms`);
    }
  }
  expect(bad).toEqual([]);
});

test("payments: flat Palu tariff, one start and one end per session, end after start", () => {
  const payments = groupBy(
    day().events.filter((e) => e.event_type.startsWith("payment")),
    (e) => e.event_session_id,
  );
  expect(payments.size).toBeGreaterThan(1000);
  const bad: string[] = [];
  for (const [session, list] of payments) {
    const start = list.filter((e) => e.event_type === "payment_start");
    const end = list.filter((e) => e.event_type === "payment_end");
    const s = start[0];
    const e = end[0];
    if (start.length > 1 || end.length > 1) bad.push(`${session}: more than one start or end`);
    if (e !== undefined && e.actual_cost !== (e.vehicle_type === "car" ? 4000 : 2000))
      bad.push(`${session}: cost`);
    if (s !== undefined && e !== undefined && timeOf(e) <= timeOf(s))
      bad.push(`${session}: ends before it starts`);
    if (s?.actual_cost !== undefined) bad.push(`${session}: cost on start`);
  }
  expect(bad).toEqual([]);
});

test("demand follows local time: offices fill by day, Talise fills in the evening", () => {
  const city = paluCity();
  const arrivalsByHour = (kind: string, events = quietDay().events): number[] => {
    const h = new Array(24).fill(0);
    for (const e of events) {
      if (e.event_type !== "payment_start") continue;
      if (zoneKindOf(city.zones[city.zoneIndex(e.curb_zone_id!)]!) !== kind) continue;
      h[Math.floor((timeOf(e) - MONDAY_MS) / HOUR_MS)]++;
    }
    return h;
  };
  const office = arrivalsByHour("office");
  expect(office[7]! + office[8]!).toBeGreaterThan(5 * (office[19]! + office[20]! + 1));
  const beach = arrivalsByHour("beach");
  expect(beach[17]! + beach[18]!).toBeGreaterThan(2 * (beach[10]! + beach[11]! + 1));
  // The same catalogue in another time zone (13 h behind) moves the office peak by 13 h.
  const lima = generateTrace(
    { ...city, timeZone: "America/Lima" },
    { seed: 1, startMs: MONDAY_MS, hours: 24, faults: false },
  );
  const limaOffice = arrivalsByHour("office", lima);
  const peak = (h: number[]) => h.indexOf(Math.max(...h));
  expect((peak(limaOffice) - peak(office) + 24) % 24).toBe(13);
});

test("bad options are refused with every problem and its path", () => {
  const city = paluCity();
  const issues = (o: Parameters<typeof generateTrace>[1]) => {
    try {
      generateTrace(city, o);
    } catch (e) {
      expect(e).toBeInstanceOf(ParkirConfigError);
      return (e as ParkirConfigError).issues.map((i) => i.path);
    }
    return [];
  };
  expect(issues({ startMs: MONDAY_MS, hours: 0 })).toEqual(["hours"]);
  expect(issues({ startMs: MONDAY_MS, hours: Number.NaN })).toEqual(["hours"]);
  expect(issues({ startMs: MONDAY_MS, hours: 10_000 })).toEqual(["hours"]);
  expect(issues({ startMs: 1.5, hours: 1 })).toEqual(["startMs"]);
  expect(issues({ startMs: MONDAY_MS, hours: 1, seed: 0.5 })).toEqual(["seed"]);
  expect(issues({ startMs: MONDAY_MS, hours: 1, faults: { lossRate: 2, duplicateRate: -1 } })).toEqual([
    "faults.lossRate",
    "faults.duplicateRate",
  ]);
  expect(issues({ startMs: MONDAY_MS, hours: 1, faults: { nope: 1 } as never })).toEqual(["faults.nope"]);
  expect(issues({ startMs: MONDAY_MS, hours: 1, heartbeatMs: 4 * HOUR_MS })).toEqual(["commsLostAfterMs"]);
  expect(issues({ startMs: MONDAY_MS, hours: 1, tariffMinor: { car: -5 } })).toEqual(["tariffMinor.car"]);
});

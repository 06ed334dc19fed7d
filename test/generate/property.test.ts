import fc from "fast-check";
import { expect, test } from "vitest";
import type { City } from "../../src/catalog/index.js";
import { type FaultOptions, generateTrace } from "../../src/generate/index.js";
import {
  type CdsEvent,
  EncodeReport,
  encodeEventBatches,
  eventIssues,
  toJsonLines,
} from "../../src/wire/index.js";
import { T0_MS, tinyCity } from "../helpers.js";
import { bayStateProblem, groupBy, paluCity, SENSOR_UPLINKS, timeOf, withoutDuplicates } from "./fixtures.js";

const HOUR_MS = 3_600_000;

const faultsArb: fc.Arbitrary<Partial<FaultOptions> | false | undefined> = fc.oneof(
  fc.constant(false as const),
  fc.constant(undefined),
  fc.record({
    lossRate: fc.double({ min: 0, max: 0.5, noNaN: true }),
    duplicateRate: fc.double({ min: 0, max: 0.5, noNaN: true }),
    reorderRate: fc.double({ min: 0, max: 0.5, noNaN: true }),
    lateRate: fc.double({ min: 0, max: 0.2, noNaN: true }),
    silentSensorRate: fc.double({ min: 0, max: 1, noNaN: true }),
    gateMissRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
    jitterMs: fc.integer({ min: 0, max: 10_000 }),
  }),
);

/** Every invariant a trace must keep, whatever the seed, window and faults. Returns the problems. */
function problems(
  city: City,
  events: readonly CdsEvent[],
  startMs: number,
  endMs: number,
  faults: unknown,
): string[] {
  const out: string[] = [];
  const seen = new Map<string, string>();
  for (const e of events) {
    if (eventIssues(e).length > 0) out.push(`${e.event_id}: invalid`);
    if (timeOf(e) < startMs || timeOf(e) >= endMs) out.push(`${e.event_id}: outside the window`);
    const line = JSON.stringify(e);
    const prior = seen.get(e.event_id);
    if (prior === undefined) seen.set(e.event_id, line);
    else if (prior !== line || e.sequence_number === undefined) out.push(`${e.event_id}: id reused`);
  }
  const report = new EncodeReport();
  encodeEventBatches(events, city, 512, report);
  if (report.unknownBay + report.unknownZone > 0) out.push(`unknown ids ${report.unknownIds.join(",")}`);
  const unique = withoutDuplicates(events);
  for (const [bay, list] of groupBy(unique, (e) =>
    SENSOR_UPLINKS.has(e.event_type) ? e.curb_space_id : undefined,
  )) {
    const p = bayStateProblem(list);
    if (p !== "") out.push(`${bay}: ${p}`);
  }
  for (const [zone, list] of groupBy(unique, (e) =>
    e.event_type === "manual_count" ? e.curb_zone_id : undefined,
  )) {
    if (faults === false) {
      const z = city.zones[city.zoneIndex(zone)]!;
      for (const e of list) {
        const cap = (z.capacity as Record<string, number | undefined>)[e.vehicle_type!] ?? 0;
        if (e.vehicle_count! > cap) out.push(`${e.event_id}: ${e.vehicle_count} over capacity ${cap}`);
      }
    }
  }
  if (faults === false) {
    if (unique.length !== events.length) out.push("duplicates without faults");
    for (let i = 1; i < events.length; i++) {
      if (timeOf(events[i]!) < timeOf(events[i - 1]!))
        out.push(`${events[i]!.event_id}: delivered out of order without faults`);
    }
  }
  return out;
}

test("property: any seed, window and fault mix keeps every invariant, deterministically (small city)", () => {
  const city = tinyCity();
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.double({ min: 0.1, max: 48, noNaN: true }),
      fc.integer({ min: 0, max: 14 * 24 * 60 }),
      faultsArb,
      (seed, hours, offsetMin, faults) => {
        const startMs = T0_MS + offsetMin * 60_000;
        const events = generateTrace(city, { seed, startMs, hours, faults });
        const endMs = startMs + Math.round(hours * HOUR_MS);
        expect(problems(city, events, startMs, endMs, faults)).toEqual([]);
        expect(toJsonLines(generateTrace(city, { seed, startMs, hours, faults }))).toBe(toJsonLines(events));
        // A shorter trace is the head of this one.
        const half = hours / 2;
        const halfEnd = startMs + Math.round(half * HOUR_MS);
        const short = generateTrace(city, { seed, startMs, hours: half, faults });
        expect(toJsonLines(short)).toBe(toJsonLines(events.filter((e) => timeOf(e) < halfEnd)));
      },
    ),
    { numRuns: 40 },
  );
});

test("property: Palu, short windows at any time of the week keep every invariant", () => {
  const city = paluCity();
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.double({ min: 0.05, max: 1.5, noNaN: true }),
      fc.integer({ min: 0, max: 7 * 24 * 60 }),
      faultsArb,
      (seed, hours, offsetMin, faults) => {
        const startMs = T0_MS + offsetMin * 60_000;
        const events = generateTrace(city, { seed, startMs, hours, faults });
        expect(problems(city, events, startMs, startMs + Math.round(hours * HOUR_MS), faults)).toEqual([]);
      },
    ),
    { numRuns: 12 },
  );
});

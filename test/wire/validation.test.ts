/**
 * The fast paths of event validation against the rule-by-rule reference: validEventKind never vouches for an
 * event the rules refuse (so eventIssues and every typed error stay what they were), and isoTimeMs reads every
 * time the regular expression and Date.parse accept, to the same millisecond, and nothing else.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { loadCity } from "../../src/catalog/index.js";
import { generateTrace, paluCatalog } from "../../src/generate/index.js";
import {
  EventFields,
  eventFields,
  eventIssues,
  eventIssuesByRule,
  eventTimeProblem,
  isoTimeMs,
  isoTimeProblem,
  parseEventTime,
  readEvent,
  validEventKind,
} from "../../src/wire/events.js";
import type { CdsEvent } from "../../src/wire/index.js";
import { EVENT_TYPES, KIND } from "../../src/wire/kinds.js";
import { arbEvent } from "../helpers.js";
import { arbEventShape } from "./event-shapes.js";

/** Valid events, then broken ones: a field changed, removed or added, an extra key, another kind of object. */
const arbObject = arbEventShape;

describe("validEventKind", () => {
  test("vouches only for events the rules accept, with their kind; eventIssues is the rules' answer", () => {
    fc.assert(
      fc.property(arbObject, (o) => {
        const byRule = eventIssuesByRule(o);
        expect(eventIssues(o)).toEqual(byRule);
        const kind = validEventKind(o);
        if (kind >= 0) {
          expect(byRule).toEqual([]);
          expect(kind).toBe(KIND[(o as { event_type: keyof typeof KIND }).event_type]);
        }
      }),
      { numRuns: 3000 },
    );
  });

  test("readEvent reads the fields eventFields reads, for every event it vouches for", () => {
    const fast = new EventFields();
    const slow = new EventFields();
    fc.assert(
      fc.property(fc.array(arbObject, { maxLength: 6 }), (objects) => {
        // Several in a row: readEvent remembers the last vehicle name it looked up.
        for (const o of objects) {
          const kind = readEvent(o, fast);
          expect(kind).toBe(validEventKind(o));
          if (kind < 0) continue;
          eventFields(o as CdsEvent, slow);
          expect({ ...fast }).toEqual({ ...slow });
        }
      }),
      { numRuns: 1000 },
    );
  });

  test("an event_type that is not a kind is never taken for one, whatever names came before it", () => {
    const names = [...EVENT_TYPES, "", "toString", "park_enD", "park_starts", "xpark_start", "PARK_START"];
    fc.assert(
      fc.property(arbEvent(true), fc.array(fc.constantFrom(...names), { maxLength: 12 }), (e, types) => {
        for (const t of types) {
          const o = { ...e, event_type: t };
          const kind = validEventKind(o);
          if (kind >= 0) expect(EVENT_TYPES[kind]).toBe(t);
          expect(kind >= 0).toBe(eventIssuesByRule(o).length === 0);
        }
      }),
    );
  });

  test("vouches for every valid generated event (the fast path is the usual one)", () => {
    fc.assert(
      fc.property(arbEvent(true), (e) => {
        expect(validEventKind(e)).toBe(KIND[e.event_type]);
      }),
    );
    const city = loadCity(paluCatalog());
    const trace = generateTrace(city, {
      seed: 7,
      startMs: Date.parse("2026-11-30T00:00:00+08:00"),
      hours: 1,
    });
    expect(trace.length).toBeGreaterThan(100);
    for (const e of trace) expect(validEventKind(e)).toBe(KIND[e.event_type]);
  });
});

const digitsOf = (n: number) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`));
/** ISO-like strings: right shape with any digits (impossible dates too), every optional part, some noise. */
const arbIso = fc
  .record({
    year: fc.oneof(digitsOf(4), fc.integer({ min: 1969, max: 2300 }).map(String), fc.constant("275760")),
    month: fc.oneof(
      digitsOf(2),
      fc.integer({ min: 1, max: 12 }).map((m) => String(m).padStart(2, "0")),
    ),
    day: fc.oneof(
      digitsOf(2),
      fc.integer({ min: 1, max: 31 }).map((d) => String(d).padStart(2, "0")),
    ),
    hour: fc.oneof(digitsOf(2), fc.constantFrom("00", "23", "24")),
    minute: fc.oneof(digitsOf(2), fc.constantFrom("00", "59", "60")),
    second: fc.option(fc.oneof(digitsOf(2), fc.constantFrom("00", "59", "60")), { nil: undefined }),
    fraction: fc.option(fc.stringMatching(/^[0-9]{0,11}$/), { nil: undefined }),
    zone: fc.oneof(
      fc.constant("Z"),
      fc.constant("z"),
      fc.constant(""),
      fc
        .tuple(
          fc.constantFrom("+", "-"),
          fc.oneof(digitsOf(2), fc.constantFrom("08", "23", "24")),
          digitsOf(2),
        )
        .map(([s, h, m]) => `${s}${h}:${m}`),
      fc.constantFrom("+0800", "+08", "+08:00x"),
    ),
    sep: fc.constantFrom("T", "T", "T", " ", "t"),
  })
  .map(
    (p) =>
      `${p.year}-${p.month}-${p.day}${p.sep}${p.hour}:${p.minute}` +
      (p.second === undefined ? "" : `:${p.second}${p.fraction === undefined ? "" : `.${p.fraction}`}`) +
      p.zone,
  );

describe("isoTimeMs", () => {
  test("reads exactly the times the regular expression and Date.parse accept, to the same millisecond", () => {
    fc.assert(
      fc.property(fc.oneof(arbIso, fc.string({ maxLength: 30 })), (s) => {
        const ms = isoTimeMs(s);
        const problem = isoTimeProblem(s);
        if (problem === null) expect(ms).toBe(Date.parse(s));
        else expect(ms).toBeNaN();
        expect(eventTimeProblem(s)).toBe(problem);
        expect(parseEventTime(s)).toBe(problem === null ? Date.parse(s) : Number.NaN);
      }),
      { numRuns: 5000 },
    );
  });

  test("the edges: leap days, offsets across midnight and the epoch, fractions cut to the millisecond", () => {
    for (const s of [
      "2024-02-29T00:00Z",
      "2100-02-28T23:59:59.999Z",
      "2000-02-29T12:00:00.5+14:00",
      "1970-01-01T00:00Z",
      "1970-01-01T07:59:59+08:00",
      "1970-01-01T08:00:00+08:00",
      "2026-11-30T09:00:00.123456789-09:30",
      "2026-12-31T23:59:59.9999Z",
    ]) {
      expect(isoTimeMs(s)).toBe(isoTimeProblem(s) === null ? Date.parse(s) : Number.NaN);
    }
    expect(isoTimeMs("1970-01-01T07:59:59+08:00")).toBeNaN(); // before 1970
    expect(isoTimeMs("2026-11-30T09:00:00.123456789-09:30")).toBe(Date.parse("2026-11-30T18:30:00.123Z"));
  });
});

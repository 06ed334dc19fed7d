/**
 * encodeEvents on plain objects of every shape against the rules' path: each object judged by eventIssuesByRule,
 * the valid ones resolved by `resolve` (eventFields) and written by the flatbuffers Builder. The
 * fast path (readEvent, the last-looked-up ids, strings straight into the arena, a range instead of a slice) must
 * write those bytes and that report; a bad event costs only itself.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { loadCity } from "../../src/catalog/index.js";
import { ParkirConfigError, ParkirEventError, ParkirWireError } from "../../src/errors/index.js";
import { EncodeReport, encodeEventBatches, encodeEvents, Rows, resolve } from "../../src/wire/encode.js";
import { type CdsEvent, eventIssuesByRule } from "../../src/wire/events.js";
import { BATCH_SPAN_MS_MAX } from "../../src/wire/layout.js";
import { arbEvent, T0_MS, tinyCity, tinyCityConfig } from "../helpers.js";
import { builderBatch } from "./builder-batch.js";
import { arbEventShape } from "./event-shapes.js";

const city = tinyCity();

/** The rules' path: what encodeEvents with `invalid: "skip"` must write and report. */
function reference(objects: readonly unknown[], keepIds: boolean) {
  const report = new EncodeReport();
  const rows = new Rows(objects.length);
  rows.keepIds = keepIds;
  const refused: { index: number; paths: string[] }[] = [];
  for (const [i, o] of objects.entries()) {
    const issues = eventIssuesByRule(o);
    if (issues.length > 0) {
      report.invalid++;
      refused.push({ index: i, paths: issues.map((x) => x.path) });
      continue;
    }
    resolve(o as CdsEvent, city, report, rows);
  }
  const times = Array.from(rows.timeMs.subarray(0, rows.length));
  const span = Math.max(...times) - Math.min(...times);
  if (span > BATCH_SPAN_MS_MAX)
    throw new ParkirWireError(
      "time-range",
      0,
      `events span ${span} ms; a batch holds at most ${BATCH_SPAN_MS_MAX} ms`,
    );
  report.encoded += rows.length;
  const bytes = builderBatch(rows, city.id, city.catalogHash, keepIds);
  return { bytes, report, refused };
}

function summary(r: EncodeReport) {
  const { encoded, unknownBay, unknownZone, unknownIds, invalid } = r;
  return { encoded, unknownBay, unknownZone, unknownIds, invalid };
}

describe("encodeEvents on objects of every shape", () => {
  test("writes the bytes and report of the rules' path (eventIssuesByRule, resolve, the flatbuffers Builder)", () => {
    fc.assert(
      fc.property(fc.array(arbEventShape, { maxLength: 40 }), fc.boolean(), (objects, keepIds) => {
        let want: ReturnType<typeof reference> | ParkirWireError;
        try {
          want = reference(objects, keepIds);
        } catch (e) {
          // Times at the edges of the range: both refuse the batch, for its span.
          if (!(e instanceof ParkirWireError)) throw e;
          want = e;
        }
        const report = new EncodeReport();
        const encode = () =>
          encodeEvents(objects as CdsEvent[], city, report, { invalid: "skip", keepEventIds: keepIds });
        if (want instanceof ParkirWireError) {
          expect(encode).toThrow(want.message);
          return;
        }
        expect(Buffer.from(encode())).toEqual(Buffer.from(want.bytes));
        expect(summary(report)).toEqual(summary(want.report));
        expect(report.errors.map((e) => ({ index: e.index, paths: e.issues.map((x) => x.path) }))).toEqual(
          want.refused,
        );
        for (const e of report.errors) {
          expect(e).toBeInstanceOf(ParkirEventError);
          expect(e.message).toMatch(new RegExp(`^event ${e.index}: invalid event: `));
        }
      }),
      { numRuns: 1500 },
    );
  }, 120_000);

  test("a bad event costs only itself: the others write what they write alone", () => {
    fc.assert(
      fc.property(
        fc.array(arbEvent(true), { maxLength: 30 }),
        fc.array(fc.tuple(fc.nat(), arbEventShape), { maxLength: 4 }),
        (good, inserts) => {
          const all: unknown[] = [...good];
          const bad: number[] = [];
          for (const [at, o] of inserts) {
            if (eventIssuesByRule(o).length === 0) continue;
            const i = at % (all.length + 1);
            all.splice(i, 0, o);
            for (let b = 0; b < bad.length; b++) if (bad[b]! >= i) bad[b]!++;
            bad.push(i);
          }
          bad.sort((a, b) => a - b);
          const report = new EncodeReport();
          const got = encodeEvents(all as CdsEvent[], city, report, { invalid: "skip" });
          expect(Buffer.from(got)).toEqual(Buffer.from(encodeEvents(good, city)));
          expect(report.invalid).toBe(bad.length);
          expect(report.errors.map((e) => e.index)).toEqual(bad);
          // By default the first bad event refuses the call, naming itself and its fields.
          if (bad.length > 0) {
            let thrown: unknown;
            try {
              encodeEvents(all as CdsEvent[], city);
            } catch (e) {
              thrown = e;
            }
            expect(thrown).toBeInstanceOf(ParkirEventError);
            expect((thrown as ParkirEventError).index).toBe(bad[0]);
            expect((thrown as ParkirEventError).issues).toEqual(eventIssuesByRule(all[bad[0]!]));
          }
        },
      ),
      { numRuns: 400 },
    );
  }, 120_000);

  test("a report keeps the first ENCODE_ERRORS_MAX errors and counts them all", () => {
    const bad = Array.from({ length: 150 }, (_, i) => ({ event_id: `e${i}` }));
    const report = new EncodeReport();
    encodeEvents(bad as unknown as CdsEvent[], city, report, { invalid: "skip" });
    expect(report.invalid).toBe(150);
    expect(report.errors.map((e) => e.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  test("start and end encode what a slice encodes; encodeEventBatches over a range alike", () => {
    fc.assert(
      fc.property(
        fc.array(arbEvent(true), { maxLength: 40 }),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        (events, a, b, ids) => {
          const start = a % (events.length + 1);
          const end = start + (b % (events.length - start + 1));
          const options = { keepEventIds: ids };
          const sliced = encodeEvents(events.slice(start, end), city, new EncodeReport(), options);
          const ranged = encodeEvents(events, city, new EncodeReport(), { ...options, start, end });
          expect(Buffer.from(ranged)).toEqual(Buffer.from(sliced));
          const want = encodeEventBatches(events.slice(start, end), city, 7).map((x) => Buffer.from(x));
          const got = encodeEventBatches(events, city, 7, new EncodeReport(), { start, end }).map((x) =>
            Buffer.from(x),
          );
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 300 },
    );
  }, 120_000);

  test("a range that is not one is a ParkirConfigError naming start or end, before anything is read", () => {
    const events = [
      { event_id: "a", event_type: "park_start", event_time: T0_MS, curb_space_id: "Z1-B1" },
    ] as CdsEvent[];
    for (const [start, end] of [
      [-1, 1],
      [0, 2],
      [1, 0],
      [0.5, 1],
      [Number.NaN, 1],
    ] as const) {
      expect(() => encodeEvents(events, city, undefined, { start, end })).toThrow(ParkirConfigError);
      expect(() => encodeEventBatches(events, city, 10, undefined, { start, end })).toThrow(
        /invalid encodeEventBatches options: (start|end): must be a whole number/,
      );
    }
    expect(() => encodeEventBatches(events, city, 0)).toThrow(
      /batchSize: must be a whole number, 1 or more; got 0/,
    );
  });

  test("ids looked up last in one city never answer for another", () => {
    // The same ids, in another order: bay and device indices differ between the two cities.
    const config = (reversed: boolean) => {
      const c = tinyCityConfig();
      if (!reversed) return c;
      const zones = c.zones
        .map((z) => ({ ...z, ...(z.bays ? { bays: [...z.bays].reverse() } : {}) }))
        .reverse();
      return { ...c, id: "tinier", zones };
    };
    const cities = [loadCity(config(false)), loadCity(config(true))];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(1), fc.array(arbEvent(true), { minLength: 1, maxLength: 6 })), {
          maxLength: 10,
        }),
        (calls) => {
          for (const [c, events] of calls) {
            // A city loaded afresh has looked nothing up yet.
            const fresh = encodeEvents(events, loadCity(config(c === 1)));
            expect(Buffer.from(encodeEvents(events, cities[c]!))).toEqual(Buffer.from(fresh));
          }
        },
      ),
      { numRuns: 200 },
    );
  }, 120_000);
});

/**
 * The id keys of de-duplication (dedup.ts: event_id bytes in a hash table, hashed four bytes at a time) on ids
 * that stress the hash: any Unicode, every length mod 4 (so the 0–3 trailing bytes matter), ids that differ
 * only in their last bytes or only in length, each reused by other events (copies) or by none, alongside
 * sequence keys, delivered in any order across batches. The engine's counters and windows must be the Map
 * reference's (copies.ts admissionOracle). Both kernels.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { OccupancyEngine, type WindowBatch } from "../../src/occupancy/index.js";
import { type CdsEvent, encodeEvents } from "../../src/wire/index.js";
import { admissionOracle, COPY_LATENESS_MS } from "./copies.js";
import { MIN, SEC, T0, testCity } from "./fixtures.js";

const city = testCity();
const OPTS = { windowMs: 5 * MIN, allowedLatenessMs: COPY_LATENESS_MS, sensorTimeoutMs: 30 * MIN };

/** A pool of ids: random Unicode, and neighbours of one id that differ in their last bytes or their length. */
const arbIds = fc
  .tuple(
    fc.array(fc.string({ unit: "binary", minLength: 1, maxLength: 13 }), { minLength: 1, maxLength: 6 }),
    fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 9 }),
  )
  .map(([random, stem]) => [
    ...random,
    stem,
    `${stem}a`,
    `${stem}b`,
    `${stem}ab`,
    `${stem}é`,
    `${stem}\u{1F697}`,
    stem.slice(0, -1) || "x",
  ]);

const arbFeed = arbIds.chain((ids) =>
  fc
    .array(
      fc.record({
        id: fc.constantFrom(...ids),
        bay: fc.constantFrom("A1", "A2", "A3"),
        start: fc.boolean(),
        atMs: fc.integer({ min: 0, max: 8 * MIN }),
        seq: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 60 },
    )
    .chain((raw) =>
      fc.tuple(fc.constant(raw), fc.array(fc.integer({ min: 1, max: raw.length }), { maxLength: 4 })),
    )
    .map(([raw, cuts]) => {
      const events: CdsEvent[] = raw.map((r) => ({
        event_id: r.id,
        event_type: r.start ? "park_start" : "park_end",
        event_time: T0 + r.atMs - (r.atMs % SEC),
        curb_space_id: r.bay,
        data_source_device_id: `S${r.bay}`,
        ...(r.seq === undefined ? {} : { sequence_number: r.seq }),
      }));
      const at = [...new Set(cuts)].sort((a, b) => a - b);
      const batches: CdsEvent[][] = [];
      let from = 0;
      for (const c of [...at, events.length]) {
        if (c > from) batches.push(events.slice(from, c));
        from = c;
      }
      return { events, batches };
    }),
);

function run(batches: readonly CdsEvent[][], kernel: "js" | "wasm") {
  const engine = new OccupancyEngine(city, { ...OPTS, kernel });
  const windows: WindowBatch[] = [];
  engine.windows$.subscribe((w) => windows.push(w));
  for (const b of batches) expect(engine.ingest(encodeEvents(b, city)).rejected).toBe(0);
  engine.close();
  return { counters: engine.counters, windows: JSON.parse(JSON.stringify(windows)) as unknown };
}

describe("id keys of de-duplication", () => {
  test.each(["js", "wasm"] as const)(
    "kernel %s: any ids, copies anywhere: counts and windows as the Map reference",
    (kernel) => {
      fc.assert(
        fc.property(arbFeed, ({ events, batches }) => {
          const want = admissionOracle(events, COPY_LATENESS_MS);
          const got = run(batches, kernel);
          expect({
            accepted: got.counters.accepted,
            duplicate: got.counters.duplicate,
            late: got.counters.late,
          }).toEqual({ accepted: want.accepted, duplicate: want.duplicate, late: want.late });
          expect(got.windows).toEqual(run([want.kept], kernel).windows);
        }),
        { numRuns: 150 },
      );
    },
  );

  test.each(["js", "wasm"] as const)(
    "kernel %s: two ids of the same length and the same 32-bit hash are two keys (the bytes decide)",
    (kernel) => {
      // Found by brute force over ev-<7 digits> with the hash of dedup.ts (Murmur3, 32-bit, seed 0x9747b28c).
      const [a, b] = ["ev-0025594", "ev-0129793"];
      const at = (s: number, id: string): CdsEvent => ({
        event_id: id,
        event_type: "park_start",
        event_time: T0 + s * SEC,
        curb_space_id: "A1",
        data_source_device_id: "SA1",
      });
      const got = run([[at(0, a), at(1, b), at(2, a), at(3, b)]], kernel);
      expect(got.counters.accepted).toBe(2);
      expect(got.counters.duplicate).toBe(2);
    },
  );
});

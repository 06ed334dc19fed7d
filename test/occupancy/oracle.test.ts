/**
 * The engine against an independent oracle: the hand-written RxJS pipeline of the benchmarks
 * (bench/peers/rxjs-occupancy.ts), plain objects and per-bay `scan`s, written from the rules in
 * docs/OCCUPANCY.md and sharing no code with the kernels. On bay-sensor feeds in event-time order (what that
 * pipeline handles) both kernels must give its windows, field for field. The feeds mix park_start, park_end
 * and scheduled_report at random, so every transition (including the ones that change nothing, such as a
 * park_start on an occupied bay) occurs: the kernels' branch-free fast path is checked against a plain
 * if/else reading of the rules.
 *
 * Also here: checkpoints written by the engine before rows were reset at window close still restore exactly.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { syntheticCityDoc } from "../../bench/fixtures/city.js";
import { synthEvents } from "../../bench/fixtures/events.js";
import { rxjsOccupancy } from "../../bench/peers/rxjs-occupancy.js";
import { type City, loadCity } from "../../src/catalog/index.js";
import { readCheckpoint, writeCheckpoint } from "../../src/occupancy/checkpoint.js";
import { OccupancyEngine, type WindowBatch } from "../../src/occupancy/index.js";
import { AU_EPOCH, R_EPOCH } from "../../src/occupancy/kernel.js";
import { type CdsEvent, encodeEvents } from "../../src/wire/index.js";
import { MIN, T0 } from "./fixtures.js";

const OPTIONS = { windowMs: 5 * MIN, minCoverage: 0.5 } as const;

/** An all-sensed city: 3 zones of 4 bays (car and motorcycle bays, so zones have one or two rows). */
const city: City = loadCity(syntheticCityDoc({ zones: 3, baysPerZone: 4, seed: 11, attendants: false }));

type Kind = "park_start" | "park_end" | "vacant" | "occupied";

/** A feed in strictly increasing event time (equal times on one bay have no delivery-order meaning). */
const arbFeed = fc.array(
  fc.record({
    bay: fc.nat({ max: city.bayCount - 1 }),
    kind: fc.constantFrom<Kind>("park_start", "park_end", "vacant", "occupied"),
    gapMs: fc.integer({ min: 1, max: 3 * MIN }),
  }),
  { minLength: 1, maxLength: 120 },
);

function toEvents(feed: readonly { bay: number; kind: Kind; gapMs: number }[]): CdsEvent[] {
  const seq = new Uint32Array(city.bayCount);
  let t = T0 + 17_000;
  return feed.map(({ bay, kind, gapMs }, i) => {
    t += gapMs;
    seq[bay]! += 1;
    const e: CdsEvent = {
      event_id: `e${i}`,
      event_type: kind === "vacant" || kind === "occupied" ? "scheduled_report" : kind,
      event_time: t,
      curb_zone_id: city.zones[city.bayZone[bay]!]!.id,
      curb_space_id: city.bayId(bay),
      data_source_device_id: city.deviceId(bay),
      sequence_number: seq[bay]!,
    };
    if (e.event_type === "scheduled_report") e.occupied = kind === "occupied";
    return e;
  });
}

function engineWindows(events: CdsEvent[], kernel: "js" | "wasm", batchEvents: number): unknown {
  const engine = new OccupancyEngine(city, { ...OPTIONS, kernel });
  const out: WindowBatch[] = [];
  engine.windows$.subscribe((w) => out.push(w));
  for (let i = 0; i < events.length; i += batchEvents) {
    const r = engine.ingest(encodeEvents(events.slice(i, i + batchEvents), city));
    expect(r.accepted).toBe(Math.min(batchEvents, events.length - i));
  }
  engine.close();
  return plain(out);
}

function plain(windows: readonly { windowStart: number; windowEnd: number; records: unknown }[]): unknown {
  return JSON.parse(
    JSON.stringify(windows.map((w) => ({ start: w.windowStart, end: w.windowEnd, records: w.records }))),
  );
}

describe("oracle: the hand-written RxJS pipeline", () => {
  test.each(["js", "wasm"] as const)(
    "kernel %s gives its windows on any in-order bay-sensor feed",
    (kernel) => {
      fc.assert(
        fc.property(arbFeed, fc.integer({ min: 1, max: 40 }), (feed, batchEvents) => {
          const events = toEvents(feed);
          expect(engineWindows(events, kernel, batchEvents)).toEqual(
            plain(rxjsOccupancy(events, city, OPTIONS)),
          );
        }),
        { numRuns: 150 },
      );
    },
  );
});

describe("checkpoints written while rows were reset lazily", () => {
  // data/checkpoint-lazy-rows.bin: written by commit 307c18c, whose kernels reset a row on its first touch in a
  // window, after 230 of these 400 events; some of its rows still hold an older window's sums.
  const lazyCity = loadCity(syntheticCityDoc({ zones: 6, baysPerZone: 5, seed: 5 }));
  const events = synthEvents(lazyCity, { count: 400, seed: 9, meanGapMs: 20_000 });
  // The file predates the catalogue hash that covers structure (bay zones and classes, capacities): it is
  // re-signed with the current hash, every section unchanged.
  const written = readCheckpoint(
    new Uint8Array(readFileSync(new URL("data/checkpoint-lazy-rows.bin", import.meta.url))),
  );
  const sections = new Map([...written.sections].filter(([name]) => name !== "checksum"));
  const bytes = writeCheckpoint({ ...written, sections, catalogHash: lazyCity.catalogHash });

  test("hold rows of an older window", () => {
    const parts = readCheckpoint(bytes);
    const epoch = new Float64Array(bytesCopy(parts.sections.get("reg")!).buffer)[R_EPOCH]!;
    const acc = new Uint32Array(bytesCopy(parts.sections.get("rows.acc")!).buffer);
    const stale = [];
    for (let r = 0; r * 16 < acc.length; r++) if (acc[r * 16 + AU_EPOCH] !== epoch) stale.push(r);
    expect(stale.length).toBeGreaterThan(0);
  });

  test.each(["js", "wasm"] as const)(
    "restore (kernel %s) and continue as the uninterrupted run",
    (kernel) => {
      const whole = new OccupancyEngine(lazyCity, { kernel });
      const expected: WindowBatch[] = [];
      whole.windows$.subscribe((w) => expected.push(w));
      whole.ingest(encodeEvents(events.slice(0, 230), lazyCity));
      expected.length = 0;
      whole.ingest(encodeEvents(events.slice(230), lazyCity));
      whole.close();
      const restored = OccupancyEngine.restore(lazyCity, bytes, { kernel });
      const got: WindowBatch[] = [];
      restored.windows$.subscribe((w) => got.push(w));
      restored.ingest(encodeEvents(events.slice(230), lazyCity));
      restored.close();
      expect(expected.length).toBeGreaterThan(3);
      expect(plain(got)).toEqual(plain(expected));
      expect(restored.counters).toEqual(whole.counters);
    },
  );
});

/** A copy of `b` in its own (aligned) buffer. */
function bytesCopy(b: Uint8Array): Uint8Array {
  return b.slice();
}

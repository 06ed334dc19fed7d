/**
 * The engine against an independent oracle: the hand-written RxJS pipeline of the benchmarks
 * (bench/peers/rxjs-occupancy.ts), plain objects and per-bay `scan`s, written from the rules in
 * docs/OCCUPANCY.md and sharing no code with the kernels. On bay-sensor feeds in event-time order (what that
 * pipeline handles) both kernels must give its windows, field for field. The feeds mix park_start, park_end
 * and scheduled_report at random, so every transition (including the ones that change nothing, such as a
 * park_start on an occupied bay) occurs: the kernels' branch-free fast path is checked against a plain
 * if/else reading of the rules.
 *
 * Also here: checkpoints of an older format are refused clearly.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { syntheticCityDoc } from "../../bench/fixtures/city.js";
import { rxjsGroupByOccupancy } from "../../bench/peers/rxjs-occupancy.js";
import { type City, loadCity } from "../../src/catalog/index.js";
import { ParkirWireError } from "../../src/errors/index.js";
import { OccupancyEngine, type WindowBatch } from "../../src/occupancy/index.js";
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
            plain(rxjsGroupByOccupancy(events, city, OPTIONS)),
          );
        }),
        { numRuns: 150 },
      );
    },
  );
});

describe("checkpoints of an older format", () => {
  // data/checkpoint-lazy-rows.bin: format version 2 (written by commit 307c18c): its de-duplication memory was a
  // per-device window that cannot be turned into the exact keys of version 3.
  const lazyCity = loadCity(syntheticCityDoc({ zones: 6, baysPerZone: 5, seed: 5 }));
  const bytes = new Uint8Array(readFileSync(new URL("data/checkpoint-lazy-rows.bin", import.meta.url)));

  test.each(["js", "wasm"] as const)(
    "are refused with a ParkirWireError naming both versions (kernel %s)",
    (kernel) => {
      expect(() => OccupancyEngine.restore(lazyCity, bytes, { kernel })).toThrow(ParkirWireError);
      expect(() => OccupancyEngine.restore(lazyCity, bytes, { kernel })).toThrow(
        /format version 2.*version 3/,
      );
    },
  );
});

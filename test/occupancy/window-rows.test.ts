/**
 * Closing windows recomputes only the rows touched in the window or the one before (WindowRows): its columns
 * must equal those of closing every row, on any feed — windows with no events, long gaps (sensor timeouts,
 * stays across many windows), unknown bays, zone events and payments, out-of-order delivery, a checkpoint and
 * restore in the middle, either kernel, fresh or reused window buffers.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { vehicleCode } from "../../src/catalog/vehicles.js";
import type { OccupancyOptions, WindowColumns } from "../../src/occupancy/index.js";
import { OccupancyEngine } from "../../src/occupancy/index.js";
import type { WindowRows } from "../../src/occupancy/windows.js";
import { type CdsEvent, encodeEvents } from "../../src/wire/index.js";
import { arbStream, deliver, MIN, split, testCity } from "./fixtures.js";

const city = testCity();
const WINDOW = 5 * MIN;

/** Every column of a window, copied (reused buffers are only valid during the emission), and its times. */
function snapshotColumns(start: number, c: WindowColumns): string {
  const parts: string[] = [String(start)];
  for (const [key, col] of Object.entries(c).sort(([a], [b]) => a.localeCompare(b))) {
    if (key === "length") continue;
    const a = col as Float64Array;
    parts.push(`${key}:${Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex")}`);
  }
  return parts.join("|");
}

function engine(options: OccupancyOptions, incremental: boolean): OccupancyEngine {
  const e = new OccupancyEngine(city, options);
  (e as unknown as { windowRows: WindowRows }).windowRows.incremental = incremental;
  return e;
}

/** Runs batches through an engine (restored from a checkpoint after batch `restoreAt`), returns its windows. */
function run(
  batches: readonly (readonly CdsEvent[])[],
  options: OccupancyOptions,
  incremental: boolean,
  restoreAt: number,
): string[] {
  const out: string[] = [];
  const watch = (e: OccupancyEngine) =>
    e.windows$.subscribe((w) => out.push(snapshotColumns(w.windowStart, w.columns!)));
  let e = engine(options, incremental);
  watch(e);
  batches.forEach((b, i) => {
    e.ingest(encodeEvents(b, city));
    if (i === restoreAt) {
      const bytes = e.checkpoint();
      const { windowMs, allowedLatenessMs, sensorTimeoutMs, ...rest } = options;
      e = OccupancyEngine.restore(city, bytes, rest);
      (e as unknown as { windowRows: WindowRows }).windowRows.incremental = incremental;
      watch(e);
    }
  });
  e.close();
  return out;
}

/**
 * Feeds of testCity with gaps: each event moved later by a number of whole and part windows (so runs of
 * windows without events, sensors timing out, stays across many windows), plus events for bays the catalogue
 * does not have.
 */
const arbGappyFeed = fc
  .tuple(
    arbStream(90),
    fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 40 * WINDOW })), {
      minLength: 1,
      maxLength: 90,
    }),
    fc.array(fc.nat(89), { maxLength: 5 }),
  )
  .map(([events, gaps, unknownAt]) => {
    let shift = 0;
    const out: CdsEvent[] = events.map((e, i) => {
      shift += gaps[i % gaps.length]!;
      return { ...e, event_time: (e.event_time as number) + shift };
    });
    for (const at of unknownAt) {
      const near = out[Math.min(at, out.length - 1)]!;
      out.push({
        event_id: `unknown-${at}`,
        event_type: "park_start",
        event_time: near.event_time,
        curb_space_id: "NO-SUCH-BAY",
      });
    }
    return out.sort((a, b) => (a.event_time as number) - (b.event_time as number));
  });

describe("closing only the rows that changed", () => {
  test("equals closing every row, column for column, on any feed (either kernel, fresh or reused buffers, restored midway)", () => {
    fc.assert(
      fc.property(
        arbGappyFeed,
        fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom<"js" | "wasm">("js", "wasm"),
        fc.boolean(),
        fc.integer({ min: -1, max: 12 }),
        (events, delays, sizes, kernel, reuseWindowBuffers, restoreAt) => {
          const options: OccupancyOptions = {
            windowMs: WINDOW,
            allowedLatenessMs: 2 * MIN,
            sensorTimeoutMs: 10 * MIN,
            kernel,
            reuseWindowBuffers,
          };
          const batches = split(deliver(events, delays, 2 * MIN), sizes);
          const full = run(batches, options, false, -1);
          expect(run(batches, options, true, restoreAt)).toEqual(full);
        },
      ),
      { numRuns: 150 },
    );
  });

  test("a quiet row after a busy window goes back to its quiet figures; a restored engine recomputes what it did not see", () => {
    // A1 arrives in window 0, nothing then for three windows (A1 stays); a checkpoint is taken in window 4
    // after A2 arrived, the restored engine closes windows 4 and 5.
    const t0 = Date.parse("2026-11-30T00:00:00+08:00");
    const options: OccupancyOptions = { windowMs: WINDOW, allowedLatenessMs: 0, sensorTimeoutMs: 60 * MIN };
    const ev = (id: string, bay: string, t: number): CdsEvent => ({
      event_id: id,
      event_type: "park_start",
      event_time: t,
      curb_space_id: bay,
    });
    const batches = [
      [ev("a", "A1", t0 + MIN)],
      [ev("b", "A2", t0 + 4 * WINDOW + MIN)],
      [ev("c", "A3", t0 + 6 * WINDOW)],
    ];
    const full = run(batches, options, false, -1);
    expect(full).toHaveLength(6);
    expect(run(batches, options, true, -1)).toEqual(full);
    expect(run(batches, options, true, 1)).toEqual(full);
    // The figures themselves: arrivals of zone A car in windows 0..5 are 1, 0, 0, 0, 1, 0.
    const e = new OccupancyEngine(city, options);
    const arrivals: number[] = [];
    e.windows$.subscribe((w) => {
      const c = w.columns!;
      const r = Array.from(c.zone).findIndex((z, i) => z === 0 && c.vehicle[i] === vehicleCode("car"));
      arrivals.push(c.arrivals[r]!);
    });
    for (const b of batches) e.ingest(encodeEvents(b, city));
    e.close();
    expect(arrivals).toEqual([1, 0, 0, 0, 1, 0]);
  });
});

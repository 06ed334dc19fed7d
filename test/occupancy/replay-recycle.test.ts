/**
 * replayJsonLines hands the kernel memory of an engine nobody else saw to the next replay's engine (recycle): a
 * replay on recycled memory must give what a replay on fresh memory gives, and nothing of an earlier replay may
 * stay readable through it.
 */
import fc from "fast-check";
import { expect, test } from "vitest";
import {
  type OccupancyEngine,
  type OccupancyOptions,
  type ReplayJsonLinesSummary,
  replayJsonLinesSync,
  type WindowBatch,
} from "../../src/occupancy/index.js";
import { type CdsEvent, toJsonLines } from "../../src/wire/index.js";
import { arbStream, MIN, T0, testCity } from "./fixtures.js";

const city = testCity();
const enc = new TextEncoder();

/** A replay's windows (records, read during the emission), its summary, and its windows' column memory. */
function replay(
  events: readonly CdsEvent[],
  engine: OccupancyOptions,
  onEngine?: (e: OccupancyEngine) => void,
): { windows: string[]; summary: ReplayJsonLinesSummary; memory: Set<ArrayBufferLike>; kept: WindowBatch[] } {
  const windows: string[] = [];
  const memory = new Set<ArrayBufferLike>();
  const kept: WindowBatch[] = [];
  const summary = replayJsonLinesSync(enc.encode(toJsonLines(events)), city, {
    engine,
    reader: { batchEvents: 16 },
    onWindows: (w) => {
      windows.push(JSON.stringify(w.records));
      memory.add(w.columns!.occupancy.buffer);
      kept.push(w);
    },
    ...(onEngine === undefined ? {} : { onEngine }),
  });
  return { windows, summary, memory, kept };
}

test("replays one after another on recycled kernel memory give what the JS kernel gives on fresh memory", () => {
  let pairs = 0;
  let recycled = 0;
  fc.assert(
    fc.property(fc.array(arbStream(80), { minLength: 2, maxLength: 4 }), (feeds) => {
      let before: ReturnType<typeof replay> | undefined;
      for (const feed of feeds) {
        // A report three windows after the feed's last event: every replay closes windows.
        const last = Math.max(T0, ...feed.map((e) => e.event_time as number));
        const events: CdsEvent[] = [
          ...feed,
          {
            event_id: "tail",
            event_type: "scheduled_report",
            event_time: last + 15 * MIN,
            curb_space_id: "A1",
            occupied: false,
          },
        ];
        const want = replay(events, { kernel: "js", windowMs: 5 * MIN, sensorTimeoutMs: 20 * MIN });
        const got = replay(events, { kernel: "wasm", windowMs: 5 * MIN, sensorTimeoutMs: 20 * MIN });
        expect(got.windows).toEqual(want.windows);
        expect(got.summary).toEqual(want.summary);
        // The windows of the replay before are stale: their memory now holds this replay's engine.
        for (const w of before?.kept ?? []) expect(() => w.columns).toThrow(/reused/);
        if (before !== undefined && got.windows.length > 0) {
          pairs++;
          if ([...got.memory].some((m) => before!.memory.has(m))) recycled++;
        }
        if (got.windows.length > 0) before = got;
      }
    }),
    { numRuns: 40 },
  );
  // Every engine after the first was built in the memory of the replay before.
  expect(recycled).toBe(pairs);
  expect(pairs).toBeGreaterThanOrEqual(40);
});

test("an engine handed to onEngine keeps its memory: its state stays readable after later replays", () => {
  const events: CdsEvent[] = ["A1", "A2", "A3"].map((b, i) => ({
    event_id: `e${i}`,
    event_type: "park_start",
    event_time: T0 + i * 6 * MIN,
    curb_space_id: b,
  }));
  let seen: OccupancyEngine | undefined;
  const first = replay(events, {}, (e) => {
    seen = e;
  });
  const counters = seen!.counters;
  const snapshot = JSON.stringify(seen!.snapshot());
  expect(counters.accepted).toBe(3);
  for (let i = 0; i < 3; i++) replay(events.slice(0, 1), {});
  expect(seen!.counters).toEqual(counters);
  expect(JSON.stringify(seen!.snapshot())).toBe(snapshot);
  // Its last window is still readable (the engine is closed, nothing reused its columns).
  expect(first.kept.at(-1)!.columns!.length).toBeGreaterThan(0);
});

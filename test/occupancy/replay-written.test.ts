/**
 * Batches parkir's own writer has just written are ingested over the layout they were written with, not verified
 * again (INGEST_WRITTEN): that layout must be exactly what verifyBatch finds in the bytes, and the shortcut must be
 * out of reach of a user's bytes — a copy, an earlier batch, bytes changed by a callback, replayBatchesSync's
 * input and the package's exports all go through verification. replayEventsSync (objects -> windows) takes the
 * shortcut; it must give what verified ingestion of the same batches gives.
 */
import fc from "fast-check";
import { describe, expect, test, vi } from "vitest";
import * as parkir from "../../src/index.js";
import { windowRecordLine } from "../../src/occupancy/closed-window.js";
import { replayBatchesSync, replayEventsSync, replayJsonLinesSync } from "../../src/occupancy/index.js";
import { lowerMedian } from "../../src/occupancy/jsonl-replay.js";
import { writtenLayout } from "../../src/wire/batch-writer.js";
import {
  type CdsEvent,
  EncodeReport,
  encodeEvents,
  JsonLinesReader,
  toJsonLines,
} from "../../src/wire/index.js";
import { wasmReaderAvailable } from "../../src/wire/jsonl-wasm.js";
import { verifyBatch } from "../../src/wire/verify.js";
import { arbEvent, tinyCity } from "../helpers.js";
import { arbEventShape, arbJsonLines } from "../wire/event-shapes.js";

const city = tinyCity();
const enc = new TextEncoder();

/** JSON Lines of random events (unknown ids too), with bytes spliced in anywhere (escapes, newlines, junk). */
const jsonLines = arbJsonLines(30);

/** Random event objects: valid ones (unknown ids too) and any shape (most of them invalid). */
const objects = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: arbEvent(true) as fc.Arbitrary<unknown> },
    { weight: 1, arbitrary: arbEventShape },
  ),
  { maxLength: 40 },
) as fc.Arbitrary<CdsEvent[]>;

const readers = wasmReaderAvailable() ? [false, true] : [false];

describe("the layout a writer records", () => {
  test.each(readers)(
    "is what verifyBatch finds in every batch the JSON Lines reader writes (wasm %s)",
    (wasm) => {
      let batches = 0;
      fc.assert(
        fc.property(
          jsonLines,
          fc.integer({ min: 1, max: 9 }),
          fc.boolean(),
          fc.boolean(),
          (bytes, batchEvents, keepEventIds, into) => {
            const memory = new Uint8Array(1 << 16);
            const reader = new JsonLinesReader(city, {
              wasm,
              batchEvents,
              keepEventIds,
              ...(into ? { into: (n: number) => memory.subarray(0, n) } : {}),
            });
            reader.push(bytes);
            reader.end();
            for (let c = reader.next(); c !== null; c = reader.next()) {
              if (c.batch === undefined) continue;
              batches++;
              expect(writtenLayout(c.batch)).toEqual(verifyBatch(c.batch, { city }));
            }
          },
        ),
        { numRuns: 250 },
      );
      expect(batches).toBeGreaterThan(200);
    },
  );

  test("is what verifyBatch finds in every batch encodeEvents writes", () => {
    fc.assert(
      fc.property(objects, fc.boolean(), (events, keepEventIds) => {
        let batch: Uint8Array;
        try {
          batch = encodeEvents(events, city, new EncodeReport(), { keepEventIds, invalid: "skip" });
        } catch (e) {
          // Events spanning more than a batch may: nothing is written.
          expect((e as parkir.ParkirWireError).reason).toBe("time-range");
          return;
        }
        expect(writtenLayout(batch)).toEqual(verifyBatch(batch, { city }));
      }),
      { numRuns: 300 },
    );
  });

  test("belongs to the very array delivered last: not to a copy, not to an earlier batch", () => {
    const events = [
      { event_id: "a", event_type: "park_start", event_time: 1_796_000_000_000, curb_space_id: "Z1-B1" },
    ] as CdsEvent[];
    const first = encodeEvents(events, city);
    expect(writtenLayout(first)).toBeDefined();
    expect(writtenLayout(first.slice())).toBeUndefined();
    expect(writtenLayout(first.subarray(0))).toBeUndefined();
    const second = encodeEvents(events, city);
    expect(writtenLayout(first)).toBeUndefined();
    expect(writtenLayout(second)).toBeDefined();
  });
});

/** Windows of a replay as lines, and its summary. */
function windowsOf(run: (onWindows: (b: parkir.WindowBatch) => void) => parkir.ReplayJsonLinesSummary) {
  const lines: string[] = [];
  const summary = run((b) => {
    for (const r of b.records) lines.push(windowRecordLine(r));
  });
  return { lines, summary };
}

describe("the shortcut is out of reach of a user's bytes", () => {
  test("the package does not export it", () => {
    expect(Object.keys(parkir)).not.toContain("INGEST_WRITTEN");
    expect(Object.values(parkir).some((v) => typeof v === "symbol")).toBe(false);
  });

  test("replayBatchesSync verifies the batches it is given, even the one a writer delivered last", () => {
    const events = [0, 1, 2].map((k) => ({
      event_id: `e${k}`,
      event_type: "park_start",
      event_time: 1_796_000_000_000 + k * 60_000,
      curb_space_id: `Z1-B${k + 1}`,
    })) as CdsEvent[];
    const batch = encodeEvents(events, city);
    const layout = verifyBatch(batch, { city });
    // The first event's target: a bay the catalogue does not have.
    new DataView(batch.buffer, batch.byteOffset).setUint32(layout.eventsOffset + 4, 999, true);
    expect(writtenLayout(batch)).toBeDefined();
    const s = replayBatchesSync([batch], city, { feedReference: false });
    expect(s.refusedBatches).toBe(1);
    expect(s.accepted).toBe(0);
  });

  test("a batch a callback may have written into since it was written is verified", () => {
    const good = (k: number) =>
      `{"event_id":"e${k}","event_type":"park_start","event_time":${1_796_000_000_000 + k * 1000},"curb_space_id":"Z1-B${(k % 3) + 1}"}`;
    // The batch of lines 1 to 5 is complete at line 5, and handed over with line 3's error.
    const lines = `${[good(0), good(1), "not json", good(2), good(3), good(4)].join("\n")}\n`;
    let engine: parkir.OccupancyEngine | undefined;
    const errors: number[] = [];
    const s = replayJsonLinesSync(enc.encode(lines), city, {
      feedReference: false,
      reader: { batchEvents: 4 },
      onEngine: (e) => {
        engine = e;
      },
      // The batch is in the engine's batch memory now: overwrite it.
      onError: (e) => {
        errors.push(e.line);
        engine!.batchBuffer(64).fill(0xff);
      },
    });
    expect(errors).toEqual([3]);
    expect(s.refusedBatches).toBe(1);
    expect(s.accepted).toBe(1);
  });
});

describe("the shortcut and awaits", () => {
  test("replayJsonLines verifies batches in the engine's memory: other code may write there while it awaits", async () => {
    const line = (k: number) =>
      `{"event_id":"e${k}","event_type":"park_start","event_time":${1_796_000_000_000 + k * 1000},"curb_space_id":"Z1-B${(k % 3) + 1}"}\n`;
    const text = Array.from({ length: 40 }, (_, k) => line(k)).join("");
    let engine: parkir.OccupancyEngine | undefined;
    let done = false;
    // Other code of the program: each turn of the microtask queue, it overwrites the start of the batch memory.
    const other = (async () => {
      for (let turn = 0; turn < 1_000_000 && !done; turn++) {
        await Promise.resolve();
        if (engine !== undefined && !engine.isClosed) engine.batchBuffer(64).fill(0xff);
      }
    })();
    const s = await parkir.replayJsonLines([enc.encode(text)], city, {
      feedReference: false,
      reader: { batchEvents: 8 },
      onEngine: (e) => {
        engine = e;
      },
    });
    done = true;
    await other;
    expect(s.refusedBatches).toBe(5);
    expect(s.accepted).toBe(0);
  });
});

describe("replayEventsSync", () => {
  test("gives what verified ingestion of the same batches gives; each invalid event refused alone", () => {
    fc.assert(
      fc.property(
        objects,
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        fc.boolean(),
        (events, batchEvents, keepEventIds, feedReference) => {
          const refused: number[] = [];
          const fast = windowsOf((onWindows) =>
            replayEventsSync(events, city, {
              batchEvents,
              keepEventIds,
              feedReference,
              engine: { windowMs: 60_000 },
              onWindows,
              onError: (e) => refused.push(e.index),
            }),
          );
          // The reference: each range encoded by itself (in halves while it spans too long a time), its batch
          // verified by the engine.
          const batches: Uint8Array[] = [];
          const invalid: number[] = [];
          const encode = (start: number, end: number): void => {
            const report = new EncodeReport();
            let b: Uint8Array;
            try {
              b = encodeEvents(events, city, report, { keepEventIds, start, end, invalid: "skip" });
            } catch (e) {
              expect((e as parkir.ParkirWireError).reason).toBe("time-range");
              const mid = start + ((end - start) >>> 1);
              encode(start, mid);
              encode(mid, end);
              return;
            }
            if (report.encoded > 0) batches.push(b);
            invalid.push(...report.errors.map((e) => e.index));
          };
          for (let i = 0; i < events.length; i += batchEvents)
            encode(i, Math.min(events.length, i + batchEvents));
          const slow = windowsOf((onWindows) =>
            replayBatchesSync(batches, city, { feedReference, engine: { windowMs: 60_000 }, onWindows }),
          );
          expect(fast.lines).toEqual(slow.lines);
          expect(refused).toEqual(invalid);
          expect(fast.summary).toEqual({
            ...slow.summary,
            rejected: invalid.length,
            lines: events.length,
            unknownBay: fast.summary.unknownBay,
            unknownIds: fast.summary.unknownIds,
          });
          expect(fast.summary.refusedBatches).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("refuses what is not an array of events, and a bad batch size, before replaying anything", () => {
    for (const bad of [null, 5, "events", { length: 2 }])
      expect(() => replayEventsSync(bad as unknown as CdsEvent[], city)).toThrow(parkir.ParkirError);
    expect(() => replayEventsSync([], city, { batchEvents: 0 })).toThrow(parkir.ParkirConfigError);
    expect(replayEventsSync([], city, { feedReference: false }).accepted).toBe(0);
  });

  test("a range spanning more than a batch may is split, not refused", () => {
    const day = 86_400_000;
    const events = [0, 30, 60, 90].map((d, k) => ({
      event_id: `e${k}`,
      event_type: "scheduled_report",
      event_time: 1_796_000_000_000 + d * day,
      curb_space_id: "Z1-B1",
      occupied: k % 2 === 0,
    })) as CdsEvent[];
    const s = replayEventsSync(events, city, { feedReference: false, engine: { maxTimeJumpMs: 100 * day } });
    expect(s.rejected).toBe(0);
    expect(s.refusedBatches).toBe(0);
    expect(s.accepted + s.late + s.clockSkew).toBe(4);
  });
});

describe("memory of batches held until the feed's reference time is known", () => {
  test("serves later replays, but never a caller's batch memory", async () => {
    // A fresh module: its pool of held memory starts empty.
    vi.resetModules();
    const fresh = await import("../../src/occupancy/jsonl-replay.js");
    const events = fc.sample(arbEvent(), { numRuns: 300, seed: 5 });
    const batches = [0, 100, 200].map((i) =>
      encodeEvents(events, city, undefined, { start: i, end: i + 100 }),
    );
    const before = batches.map((b) => Buffer.from(b).toString("hex"));
    // replayBatchesSync holds the caller's batches (fewer than REPLAY_REFERENCE_EVENTS events), then ingests them.
    const first = windowsOf((onWindows) => fresh.replayBatchesSync(batches, city, { onWindows }));
    // Later replays hold their own batches: in memory the pool hands out, never the caller's.
    const text = enc.encode(toJsonLines(events));
    const jsonl = (onWindows: (b: parkir.WindowBatch) => void) =>
      fresh.replayJsonLinesSync(text, city, { reader: { batchEvents: 50 }, onWindows });
    const again = windowsOf(jsonl);
    windowsOf((onWindows) => fresh.replayEventsSync(events, city, { batchEvents: 50, onWindows }));
    expect(batches.map((b) => Buffer.from(b).toString("hex"))).toEqual(before);
    // A replay on reused held memory gives what the first gave.
    expect(windowsOf(jsonl)).toEqual(again);
    expect(again.lines).toEqual(first.lines);
  });
});

describe("the feed's reference time", () => {
  test("lowerMedian is the lower median a sort gives, whatever the values (ties, runs, extremes)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: 0, max: 20 }),
            fc.integer({ min: 0, max: 8.64e15 }),
            fc.constantFrom(0, 8.64e15, 1_796_000_000_000),
          ),
          { minLength: 1, maxLength: 300 },
        ),
        fc.constantFrom("as is", "sorted", "reversed", "organ pipe"),
        (values, order) => {
          const v = [...values];
          if (order === "sorted") v.sort((a, b) => a - b);
          if (order === "reversed") v.sort((a, b) => b - a);
          if (order === "organ pipe") v.sort((a, b) => a - b).push(...v.splice(0, v.length >>> 1).reverse());
          const want = Float64Array.from(v).sort()[(v.length - 1) >>> 1];
          // The values are read from a prefix of a larger buffer, as the replay's.
          const a = new Float64Array(v.length + 5).fill(-1);
          a.set(v);
          expect(lowerMedian(a, v.length)).toBe(want);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

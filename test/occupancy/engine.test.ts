/** The engine's API: input handling, options, limits, outputs, operator form, checkpoint format. */
import { ByteBuffer } from "flatbuffers";
import { from, lastValueFrom, toArray } from "rxjs";
import { describe, expect, test } from "vitest";
import { ParkirClockError, ParkirConfigError, ParkirError, ParkirWireError } from "../../src/errors/index.js";
import type { HealthReport, IngestResult, LateReport, WindowBatch } from "../../src/occupancy/index.js";
import {
  CHECKPOINT_IDENTIFIER,
  createOccupancyEngine,
  OccupancyEngine,
  occupancy,
} from "../../src/occupancy/index.js";
import * as K from "../../src/occupancy/kernel.js";
import { Checkpoint } from "../../src/wire/generated/checkpoint.js";
import * as L from "../../src/wire/index.js";
import { type CdsEvent, encodeEvents, viewBatch } from "../../src/wire/index.js";
import { bayEvent, MIN, rowOf, SEC, sensorCity, T0, testCity } from "./fixtures.js";

const city = testCity();
const reports = (t: number) =>
  ["A1", "A2", "A3", "A4"].map((b) => bayEvent("scheduled_report", b, t, { occupied: false }));

test("the kernel's literal constants match the wire layout and catalogue", () => {
  expect(K.W_TIME * 4).toBe(L.EV_TIME_MS);
  expect(K.W_TARGET * 4).toBe(L.EV_TARGET);
  expect(K.W_SEQ * 4).toBe(L.EV_SEQ);
  expect(K.W_VALUE * 4).toBe(L.EV_VALUE);
  expect(K.W_KVF * 4).toBe(L.EV_KIND);
  expect(L.EV_VEHICLE).toBe(L.EV_KIND + 1);
  expect(L.EV_FLAGS).toBe(L.EV_KIND + 2);
  expect(K.W_DEVICE * 4).toBe(L.EV_DEVICE);
  expect(K.WORDS_PER_EVENT * 4).toBe(L.EVENT_STRIDE);
  expect(K.FLAG_ID_HASH).toBe(L.FLAG_SEQ_IS_ID_HASH);
  expect(K.FLAG_ZONE).toBe(L.FLAG_TARGET_ZONE);
  expect(K.NO_DEV).toBe(L.NO_DEVICE);
  expect(K.CLASSES).toBe(5);
  expect(L.KIND.payment_start).toBe(9);
  expect(L.KIND.enter_area).toBe(6);
  // A bay's state and flags share the low byte of its state word (what checkpoints save), its window row the
  // rest (the wasm kernel's B_* byte offsets are 4 × these); its two times are 32-bit, relative to a base register.
  expect(K.BS_STATE).toBe(3);
  expect(K.OCCUPIED & ~K.BS_STATE).toBe(0);
  expect((K.BF_ALL << K.BS_FLAGS) & K.BS_LOW).toBe(K.BF_ALL << K.BS_FLAGS);
  expect(K.BS_LOW).toBe((1 << K.BS_ROW) - 1);
  // Rows stay below 2^23 (≤ 1,000,000 zones × 4 classes), so row << BS_ROW keeps the word a positive int32.
  expect(1_000_000 * 4 * 2 ** K.BS_ROW).toBeLessThan(2 ** 31);
  expect([K.B_SINCE, K.B_LAST, K.B_WORD, K.BAY_WORDS, K.DEDUP_CHUNK]).toEqual([0, 1, 2, 3, 8192]);
  expect(K.TIME_SPAN_MS).toBeLessThan(2 ** 31 - 7 * 24 * 3_600_000);
});

describe("ingest", () => {
  test("a batch that fails verification is refused whole with a ParkirWireError", () => {
    const engine = new OccupancyEngine(city);
    const r = engine.ingest(new Uint8Array([1, 2, 3]));
    expect(r.rejected).toBe(1);
    expect(r.error).toBeInstanceOf(ParkirWireError);
    expect(engine.counters.rejected).toBe(1);
    const other = sensorCity(1, 1);
    const foreign = encodeEvents(
      [{ event_id: "x", event_type: "park_start", event_time: T0, curb_space_id: "Z0-B0" }],
      other,
    );
    const r2 = engine.ingest(foreign);
    expect(r2.error?.reason).toBe("catalog-mismatch");
    expect(engine.counters.accepted).toBe(0);
  });

  test("accepts an EventBatchView (verified again against the catalogue)", () => {
    const engine = new OccupancyEngine(city);
    const bytes = encodeEvents(reports(T0), city);
    expect(engine.ingest(viewBatch(bytes)).accepted).toBe(4);
    const foreign = encodeEvents(
      [{ event_id: "x", event_type: "park_start", event_time: T0, curb_space_id: "Z0-B0" }],
      sensorCity(1, 1),
    );
    expect(engine.ingest(viewBatch(foreign)).rejected).toBe(1);
  });

  test("unaligned input bytes are fine", () => {
    const engine = new OccupancyEngine(city);
    const bytes = encodeEvents(reports(T0), city);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(engine.ingest(shifted.subarray(3)).accepted).toBe(4);
  });

  test("an empty batch is fine", () => {
    const engine = new OccupancyEngine(city);
    expect(engine.ingest(encodeEvents([], city))).toMatchObject({
      accepted: 0,
      rejected: 0,
      windowsClosed: 0,
    });
  });

  test("a sequence number far below the window is a counter reset, not a duplicate", () => {
    const engine = new OccupancyEngine(city);
    const r = engine.ingest(
      encodeEvents(
        [
          bayEvent("park_start", "A1", T0, { sequence_number: 1000 }),
          bayEvent("park_end", "A1", T0 + SEC, { sequence_number: 1 }),
          bayEvent("park_start", "A1", T0 + 2 * SEC, { sequence_number: 2 }),
          bayEvent("park_start", "A1", T0 + 2 * SEC, { sequence_number: 2 }),
        ],
        city,
      ),
    );
    expect(r).toMatchObject({ accepted: 3, duplicate: 1 });
  });
});

describe("options", () => {
  test("invalid options end in ParkirConfigError listing every problem", () => {
    try {
      new OccupancyEngine(city, { windowMs: -1, minCoverage: 2, bogus: 1 } as never);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ParkirConfigError);
      const paths = (e as ParkirConfigError).issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(["windowMs", "minCoverage"]));
    }
    expect(() => createOccupancyEngine(city, { windowMs: 10 * MIN, sensorTimeoutMs: 5 * MIN })).toThrow(
      /sensorTimeoutMs/,
    );
  });
});

describe("lifecycle", () => {
  test("close flushes, completes the observables and refuses further ingest", () => {
    const engine = new OccupancyEngine(city);
    const done: string[] = [];
    engine.windows$.subscribe({ complete: () => done.push("windows") });
    engine.late$.subscribe({ complete: () => done.push("late") });
    engine.health$.subscribe({ complete: () => done.push("health") });
    engine.ingest(encodeEvents(reports(T0), city));
    engine.close();
    engine.close();
    expect(done).toEqual(["windows", "late", "health"]);
    expect(engine.isClosed).toBe(true);
    expect(() => engine.ingest(encodeEvents([], city))).toThrow(ParkirError);
  });

  test("at close the watermark moves to the newest event: windows ending at or before it are emitted", () => {
    const engine = new OccupancyEngine(city);
    const ends: number[] = [];
    engine.windows$.subscribe((w) => ends.push(w.windowEnd - T0));
    engine.ingest(encodeEvents([...reports(T0), ...reports(T0 + 10 * MIN)], city));
    expect(ends).toEqual([0 + 5 * MIN]); // watermark 8 min
    engine.close();
    expect(ends).toEqual([5 * MIN, 10 * MIN]);
  });

  test("advanceTo and tick (virtual clock) close windows on a quiet feed", () => {
    let now = T0;
    const engine = new OccupancyEngine(city, { clock: () => now, idleAdvanceMs: MIN });
    const ends: number[] = [];
    engine.windows$.subscribe((w) => ends.push((w.windowEnd - T0) / MIN));
    now = T0 + 30 * SEC;
    engine.ingest(encodeEvents(reports(T0 + 30 * SEC), city));
    expect(engine.tick()).toBe(0); // not idle yet
    now = T0 + 12 * MIN;
    expect(engine.tick()).toBe(2); // watermark → 10 min
    expect(ends).toEqual([5, 10]);
    expect(engine.advanceTo(T0 + 15 * MIN)).toBe(1);
    expect(engine.advanceTo(T0)).toBe(0); // never back
    // Events behind the moved watermark are late.
    expect(engine.ingest(encodeEvents(reports(T0 + 14 * MIN), city)).late).toBe(4);
  });
});

describe("limits", () => {
  test("pending overflow forces the watermark forward and is counted", () => {
    const big = sensorCity(10, 200);
    const engine = new OccupancyEngine(big, { pendingMax: 1024, allowedLatenessMs: 24 * 60 * MIN });
    const events: CdsEvent[] = [];
    for (let i = 0; i < 3000; i++) {
      events.push({
        event_id: `e${i}`,
        event_type: "park_start",
        event_time: T0 + i * SEC,
        curb_space_id: `Z${i % 10}-B${i % 200}`,
      });
    }
    engine.ingest(encodeEvents(events, big));
    const c = engine.counters;
    expect(c.forcedWatermark).toBeGreaterThan(0);
    expect(c.pending).toBeLessThanOrEqual(1024);
    expect(c.accepted).toBe(3000);
    // The watermark moved just past the newest event that had to go: 1024 remain.
    expect(engine.watermarkMs).toBe(T0 + (3000 - 1024 - 1) * SEC + 1);
    const late = engine.ingest(
      encodeEvents(
        [{ event_id: "old", event_type: "park_end", event_time: T0, curb_space_id: "Z0-B0" }],
        big,
      ),
    );
    expect(late.late).toBe(1);
  });

  test("late$ describes at most lateDetailsMax events; the count is exact", () => {
    const engine = new OccupancyEngine(city, { lateDetailsMax: 2 });
    const late: LateReport[] = [];
    engine.late$.subscribe((r) => late.push(r));
    engine.ingest(encodeEvents(reports(T0 + 10 * MIN), city));
    engine.ingest(encodeEvents(reports(T0), city));
    expect(late).toHaveLength(1);
    expect(late[0]!.count).toBe(4);
    expect(late[0]!.events).toHaveLength(2);
  });

  test("thousands of sensors going silent at once: health$ in one report per call, the log drains", () => {
    const big = sensorCity(50, 100); // 5000 bays > the 4096-entry health log
    const engine = new OccupancyEngine(big, { sensorTimeoutMs: 10 * MIN, healthDetailsMax: 4500 });
    const health: HealthReport[] = [];
    engine.health$.subscribe((h) => health.push(h));
    const windows: WindowBatch[] = [];
    engine.windows$.subscribe((w) => windows.push(w));
    const events: CdsEvent[] = [];
    for (let b = 0; b < big.bayCount; b++) {
      events.push({
        event_id: `r${b}`,
        event_type: "scheduled_report",
        event_time: T0,
        curb_space_id: big.bayId(b),
        occupied: b % 2 === 0,
      });
    }
    engine.ingest(encodeEvents(events, big));
    engine.ingest(
      encodeEvents(
        [
          {
            event_id: "late-one",
            event_type: "park_start",
            event_time: T0 + 30 * MIN,
            curb_space_id: "Z0-B0",
          },
        ],
        big,
      ),
    );
    expect(health).toHaveLength(1);
    expect(health[0]!.events).toHaveLength(4500);
    expect(health[0]!.dropped).toBe(500);
    expect(health[0]!.events.every((h) => h.status === "silent" && h.atMs === T0 + 10 * MIN)).toBe(true);
    expect(engine.counters.silent).toBe(5000);
    engine.close();
    // [10, 15) min: every sensor unknown.
    expect(windows.find((w) => w.windowStart === T0 + 10 * MIN)!.records.every((r) => r.coverage === 0)).toBe(
      true,
    );
  });

  test("a paid session that never ends is closed after sensorTimeoutMs", () => {
    const engine = new OccupancyEngine(city, { sensorTimeoutMs: 10 * MIN });
    const windows: WindowBatch[] = [];
    engine.windows$.subscribe((w) => windows.push(w));
    engine.ingest(
      encodeEvents(
        [
          {
            event_id: "p",
            event_type: "payment_start",
            event_time: T0,
            curb_zone_id: "D",
            event_session_id: "s",
            vehicle_type: "car",
          },
          ...reports(T0 + 15 * MIN),
        ],
        city,
      ),
    );
    engine.close();
    expect(windows.map((w) => rowOf(w, "D", "car").occupancy)).toEqual([0.25, 0.25, 0]);
    expect(engine.counters.sessionsExpired).toBe(1);
  });
});

describe("window batches", () => {
  test("reuseWindowBuffers: columns are valid until the next call; detach() keeps a copy", () => {
    const engine = new OccupancyEngine(city, { reuseWindowBuffers: true });
    const kept: WindowBatch[] = [];
    const detached: WindowBatch[] = [];
    let readDuring = 0;
    engine.windows$.subscribe((w) => {
      kept.push(w);
      detached.push((w as import("../../src/occupancy/index.js").ClosedWindow).detach());
      readDuring += w.records.length;
    });
    engine.ingest(encodeEvents([...reports(T0), ...reports(T0 + 10 * MIN)], city));
    engine.ingest(encodeEvents(reports(T0 + 20 * MIN), city));
    expect(kept).toHaveLength(3);
    expect(readDuring).toBe(18);
    expect(() => kept[0]!.columns).toThrow(ParkirError);
    expect(kept[0]!.records).toHaveLength(6); // built during the emission, so still there
    expect(detached[0]!.columns!.coverage[0]).toBe(1);
    expect(JSON.stringify(detached)).toBe(JSON.stringify(kept));
  });

  test("the operator form emits one WindowBatch per closed window and completes", async () => {
    const batches = [
      encodeEvents(reports(T0), city),
      new Uint8Array([9, 9]),
      encodeEvents(reports(T0 + 12 * MIN), city),
    ];
    const results: IngestResult[] = [];
    const out = await lastValueFrom(
      from(batches).pipe(occupancy(city, { onIngest: (r) => results.push(r) }), toArray()),
    );
    expect(out.map((w) => (w.windowStart - T0) / MIN)).toEqual([0, 5]);
    expect(results.map((r) => r.rejected)).toEqual([0, 1, 0]);
    const engine = new OccupancyEngine(city);
    const direct: WindowBatch[] = [];
    engine.windows$.subscribe((w) => direct.push(w));
    for (const b of batches) engine.ingest(b);
    engine.close();
    expect(JSON.stringify(out)).toBe(JSON.stringify(direct));
  });
});

describe("checkpoint", () => {
  test("is a FlatBuffers Checkpoint the generated reader understands", () => {
    const engine = new OccupancyEngine(city);
    const last = bayEvent("park_start", "A1", T0 + 10 * MIN);
    engine.ingest(encodeEvents([...reports(T0), last], city));
    const bytes = engine.checkpoint();
    expect(new TextDecoder().decode(bytes.subarray(4, 8))).toBe(CHECKPOINT_IDENTIFIER);
    const cp = Checkpoint.getRootAsCheckpoint(new ByteBuffer(bytes));
    expect(cp.formatVersion()).toBe(3);
    expect(cp.city()).toBe(city.id);
    expect(cp.catalogHash()).toBe(city.catalogHash);
    expect(cp.watermarkMs()).toBe(T0 + 8 * MIN);
    expect(cp.maxEventMs()).toBe(T0 + 10 * MIN);
    const size = (name: string) =>
      Array.from({ length: cp.sectionsLength() }, (_, i) => cp.sections(i)!)
        .find((s) => s.name() === name)!
        .bytesLength();
    // 9 bytes per bay; de-duplication keeps only the keys of events at or above the watermark: here the last
    // event's id (it has no sequence number), 16 + 16 bytes and the id's bytes.
    expect(size("bays.state")).toBe(city.bayCount);
    expect(size("bays.time")).toBe(8 * city.bayCount);
    expect(size("dedup.keys")).toBe(16);
    expect(size("dedup.times")).toBe(16);
    expect(size("dedup.ids")).toBe(new TextEncoder().encode(last.event_id).length);
  });

  test("zone-event state is allocated on the first zone event, and restored only when it holds something", () => {
    const coldOf = (e: OccupancyEngine) => (e as unknown as { s: { cold: unknown } }).s.cold;
    const engine = new OccupancyEngine(city);
    engine.ingest(encodeEvents([...reports(T0), bayEvent("park_start", "A1", T0 + 10 * MIN)], city));
    expect(coldOf(engine)).toBeNull();
    const bytes = engine.checkpoint();
    const restored = OccupancyEngine.restore(city, bytes);
    expect(coldOf(restored)).toBeNull();
    expect(Buffer.compare(restored.checkpoint(), bytes)).toBe(0);
    const count: CdsEvent = {
      event_id: "count-1",
      event_type: "manual_count",
      event_time: T0 + 11 * MIN,
      curb_zone_id: "B",
      vehicle_type: "motorcycle",
      vehicle_count: 3,
    };
    engine.ingest(encodeEvents([count, bayEvent("park_end", "A1", T0 + 20 * MIN)], city));
    expect(coldOf(engine)).not.toBeNull();
    const withCold = engine.checkpoint();
    const again = OccupancyEngine.restore(city, withCold);
    expect(coldOf(again)).not.toBeNull();
    expect(Buffer.compare(again.checkpoint(), withCold)).toBe(0);
  });

  test("restore refuses another catalogue and conflicting options; takes non-semantic ones", () => {
    const engine = new OccupancyEngine(city, { windowMs: 10 * MIN });
    const bytes = engine.checkpoint();
    expect(() => OccupancyEngine.restore(sensorCity(1, 1), bytes)).toThrow(ParkirWireError);
    expect(() => OccupancyEngine.restore(city, bytes, { windowMs: 5 * MIN })).toThrow(ParkirConfigError);
    const restored = OccupancyEngine.restore(city, bytes, {
      windowMs: 10 * MIN,
      lateDetailsMax: 3,
      clock: () => 1,
    });
    expect(restored.options.windowMs).toBe(10 * MIN);
    expect(restored.options.lateDetailsMax).toBe(3);
  });

  test("restore keeps payments, de-duplication memory and counters", () => {
    const engine = new OccupancyEngine(city);
    const pay: CdsEvent = {
      event_id: "p",
      event_type: "payment_start",
      event_time: T0,
      curb_zone_id: "D",
      event_session_id: "s1",
      vehicle_type: "car",
    };
    const start = bayEvent("park_start", "A1", T0, { sequence_number: 5 });
    engine.ingest(encodeEvents([pay, start], city));
    const restored = OccupancyEngine.restore(city, engine.checkpoint());
    expect(restored.ingest(encodeEvents([pay, start], city))).toMatchObject({ duplicate: 2, accepted: 0 });
    expect(restored.counters.accepted).toBe(2);
  });
});

test("a far jump of the watermark emits windows as it goes (bounded memory), in order", () => {
  const engine = new OccupancyEngine(city, { reuseWindowBuffers: true });
  const starts: number[] = [];
  let rows = 0;
  engine.windows$.subscribe((w) => {
    starts.push(w.windowStart);
    rows += w.columns!.length; // readable during the emission
  });
  engine.ingest(encodeEvents([...reports(T0), ...reports(T0 + 24 * 60 * MIN)], city));
  expect(starts).toHaveLength(24 * 12 - 1); // the watermark is 2 min short of the second report
  expect(starts.every((t, i) => t === T0 + i * 5 * MIN)).toBe(true);
  expect(rows).toBe(starts.length * 6);
});

describe("clock-skew guard (maxTimeJumpMs)", () => {
  const DAY = 24 * 60 * MIN;

  test("events too far past the newest event are refused alone, counted with their reason; the rest of the batch is kept", () => {
    const engine = new OccupancyEngine(city);
    const windows: number[] = [];
    engine.windows$.subscribe((w) => windows.push(w.windowStart));
    engine.ingest(encodeEvents(reports(T0), city));
    const before = engine.checkpoint();
    // A gateway whose clock is 30 years ahead: every event of the batch is refused, and nothing changes.
    const ahead = T0 + 30 * 365 * DAY;
    const skewed = [bayEvent("park_start", "A1", ahead), bayEvent("park_end", "A2", ahead + MIN)];
    const r = engine.ingest(encodeEvents(skewed, city));
    expect(r).toMatchObject({ rejected: 0, accepted: 0, clockSkew: 2, windowsClosed: 0 });
    expect(r.error).toBeUndefined();
    expect(r.skew).toMatchObject({ count: 2, ahead: 2, behind: 0, reference: "data", minMs: ahead });
    expect(r.skew!.referenceMs).toBe(T0);
    expect(r.skew!.indices).toEqual([0, 1]);
    expect(Buffer.compare(engine.checkpoint(), before)).toBe(0);
    expect(windows).toEqual([]);
    expect(engine.counters).toMatchObject({ rejected: 0, clockSkew: 2 });
    // One event 7.5 days ahead among good ones costs only itself.
    const mixed = [
      ...reports(T0 + MIN),
      bayEvent("park_start", "A1", T0 + 7.5 * DAY),
      ...reports(T0 + 2 * MIN),
    ];
    const m = engine.ingest(encodeEvents(mixed, city));
    expect(m).toMatchObject({ accepted: 8, clockSkew: 1, rejected: 0 });
    expect(m.skew!.indices).toEqual([4]);
    // Within the limit (7 days by default) a jump closes the windows in between, as always.
    expect(engine.ingest(encodeEvents(reports(T0 + DAY), city))).toMatchObject({ clockSkew: 0, accepted: 4 });
    expect(windows.length).toBe(24 * 12 - 1);
  });

  test("the limit is an option; advanceTo moves the reference; a fresh engine measures its first batch from its middle", () => {
    const late = reports(T0 + 10 * DAY);
    const strict = new OccupancyEngine(city, { maxTimeJumpMs: DAY });
    strict.ingest(encodeEvents(reports(T0), city));
    expect(strict.ingest(encodeEvents(reports(T0 + 2 * DAY), city)).clockSkew).toBe(4);
    const lenient = new OccupancyEngine(city, { maxTimeJumpMs: 30 * DAY });
    lenient.ingest(encodeEvents(reports(T0), city));
    expect(lenient.ingest(encodeEvents(late, city)).clockSkew).toBe(0);
    const moved = new OccupancyEngine(city);
    moved.ingest(encodeEvents(reports(T0), city));
    moved.advanceTo(T0 + 9 * DAY);
    expect(moved.ingest(encodeEvents(late, city)).clockSkew).toBe(0);
    // A fresh engine without a trusted clock: the events around its first batch's median time that no gap of
    // more than maxTimeJumpMs separates from it. Here the 4 reports at T0 + 10 days lie 10 days from the rest.
    const fresh = new OccupancyEngine(city);
    const first = fresh.ingest(encodeEvents([...reports(T0), ...reports(T0 + MIN), ...late], city));
    expect(first).toMatchObject({ accepted: 8, clockSkew: 4 });
    expect(first.skew).toMatchObject({ reference: "batch", ahead: 4, behind: 0 });
    // Steps no longer than the limit are one run, however long the batch.
    const steps = new OccupancyEngine(city);
    const stepped = [0, 5, 10, 15].flatMap((d) => reports(T0 + d * DAY));
    expect(steps.ingest(encodeEvents(stepped, city))).toMatchObject({ accepted: 16, clockSkew: 0 });
    expect(() => new OccupancyEngine(city, { maxTimeJumpMs: 1000 })).toThrow(ParkirConfigError);
  });

  test("tick refuses a clock far past the data (a reset gateway clock, old data on a live clock), state unchanged", () => {
    let now = T0;
    const engine = new OccupancyEngine(city, { clock: () => now, idleAdvanceMs: MIN, maxTimeJumpMs: DAY });
    const windows: number[] = [];
    engine.windows$.subscribe((w) => windows.push(w.windowStart));
    engine.ingest(encodeEvents(reports(T0), city));
    const before = engine.checkpoint();
    now = T0 + 400 * DAY;
    let error: unknown;
    try {
      engine.tick();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ParkirClockError);
    expect(error).toMatchObject({
      referenceMs: T0,
      limitMs: DAY,
      timeMs: now - engine.options.allowedLatenessMs,
    });
    expect((error as Error).message).toMatch(/days after the newest event/);
    expect(Buffer.compare(engine.checkpoint(), before)).toBe(0);
    expect(windows).toEqual([]);
    // Within the limit tick moves on as before; advanceTo without maxJumpMs moves anywhere on purpose.
    now = T0 + DAY / 2;
    expect(engine.tick()).toBe(12 * 12 - 1);
    expect(() => engine.advanceTo(T0 + 3 * DAY, { maxJumpMs: DAY })).toThrow(ParkirClockError);
    expect(engine.advanceTo(T0 + 3 * DAY)).toBeGreaterThan(0);
    expect(() => engine.advanceTo(T0, { maxJumpMs: -1 })).toThrow(ParkirError);
    // A fresh engine has nothing to measure from: its first tick moves the watermark.
    const fresh = new OccupancyEngine(city, { clock: () => now, idleAdvanceMs: MIN, maxTimeJumpMs: DAY });
    expect(() => fresh.tick()).not.toThrow();
  });

  test("a non-default limit is kept in checkpoints; the default is not written (older checkpoints stay valid)", () => {
    const custom = new OccupancyEngine(city, { maxTimeJumpMs: DAY });
    custom.ingest(encodeEvents(reports(T0), city));
    const restored = OccupancyEngine.restore(city, custom.checkpoint());
    expect(restored.options.maxTimeJumpMs).toBe(DAY);
    expect(Buffer.compare(restored.checkpoint(), custom.checkpoint())).toBe(0);
    expect(() => OccupancyEngine.restore(city, custom.checkpoint(), { maxTimeJumpMs: 2 * DAY })).toThrow(
      ParkirConfigError,
    );
    const plain = new OccupancyEngine(city);
    plain.ingest(encodeEvents(reports(T0), city));
    expect(
      OccupancyEngine.restore(city, plain.checkpoint(), { maxTimeJumpMs: 7 * DAY }).options.maxTimeJumpMs,
    ).toBe(7 * DAY);
  });
});

test("subscribers may call the engine from inside an emission", () => {
  const engine = new OccupancyEngine(city);
  const starts: number[] = [];
  let fed = false;
  engine.windows$.subscribe((w) => {
    starts.push(w.windowStart);
    if (!fed) {
      fed = true;
      engine.ingest(encodeEvents(reports(T0 + 30 * MIN), city));
    }
  });
  engine.ingest(encodeEvents([...reports(T0), ...reports(T0 + 10 * MIN)], city));
  engine.close();
  expect(starts.map((t) => (t - T0) / MIN)).toEqual([0, 5, 10, 15, 20, 25]);
});

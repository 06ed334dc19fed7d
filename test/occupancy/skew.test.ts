/**
 * The clock-skew guard event by event: a refused event costs only itself (the engine ends in the state it would
 * have without it), a fresh engine cannot be captured by an outlier, a trusted clock is a reference too.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ParkirClockError, ParkirError, ParkirWireError } from "../../src/errors/index.js";
import { OccupancyEngine, type OccupancyOptions, ShardedOccupancyEngine } from "../../src/occupancy/index.js";
import { type CdsEvent, encodeEvents, viewBatch } from "../../src/wire/index.js";
import { arbStream, bayEvent, MIN, split, T0, testCity } from "./fixtures.js";

const city = testCity();
const DAY = 24 * 60 * MIN;
const reports = (t: number) =>
  ["A1", "A2", "A3", "A4"].map((b) => bayEvent("scheduled_report", b, t, { occupied: false }));

/** Feeds batches; returns the final checkpoint, the windows (as JSON) and the summed counts. */
function feed(batches: readonly (readonly CdsEvent[])[], options: OccupancyOptions) {
  const engine = new OccupancyEngine(city, options);
  const windows: string[] = [];
  engine.windows$.subscribe((w) => windows.push(JSON.stringify(w)));
  let accepted = 0;
  let clockSkew = 0;
  for (const b of batches) {
    const r = engine.ingest(encodeEvents(b, city));
    accepted += r.accepted;
    clockSkew += r.clockSkew;
  }
  const checkpoint = engine.checkpoint();
  engine.close();
  return { checkpoint, windows, accepted, clockSkew, counters: engine.counters };
}

describe("one event with a wrong clock costs only itself", () => {
  test("property: outliers anywhere (ahead in any batch, behind in the first) leave the state as without them", () => {
    fc.assert(
      fc.property(
        arbStream(80),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        fc.array(
          fc.record({
            batch: fc.nat(20),
            at: fc.nat(1000),
            ahead: fc.boolean(),
            // A batch spans at most 49.7 days (the wire format): outliers on both sides must fit in one.
            distanceMs: fc.integer({ min: 7 * DAY + 1, max: 24 * DAY }),
            kind: fc.constantFrom("park_start", "park_end", "payment_start", "enter_area"),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.constantFrom<"js" | "wasm">("js", "wasm"),
        (events, sizes, outliers, kernel) => {
          const clean = split(events, sizes);
          const dirty = clean.map((b) => [...b]);
          const last = Math.max(...events.map((e) => Number(e.event_time)));
          const first = Math.min(...events.map((e) => Number(e.event_time)));
          let n = 0;
          for (const o of outliers) {
            const k = o.batch % dirty.length;
            // Behind the data only in the first batch (later, an old event is merely late), and only while the
            // first batch's bulk stays the median.
            const behind = !o.ahead && k === 0 && 2 * (n + 1) < dirty[0]!.length;
            if (!o.ahead && !behind) continue;
            const t = behind ? first - o.distanceMs : last + o.distanceMs;
            if (o.ahead && k === 0 && 2 * (n + 1) >= dirty[0]!.length) continue;
            const id = `skew-${n++}`;
            const e: CdsEvent =
              o.kind === "payment_start"
                ? {
                    event_id: id,
                    event_type: "payment_start",
                    event_time: t,
                    curb_zone_id: "D",
                    event_session_id: id,
                    vehicle_type: "car",
                  }
                : o.kind === "enter_area"
                  ? {
                      event_id: id,
                      event_type: "enter_area",
                      event_time: t,
                      data_source_device_id: "GATE-C",
                      vehicle_type: "car",
                    }
                  : bayEvent(o.kind, "A1", t);
            const b = dirty[k]!;
            b.splice(o.at % (b.length + 1), 0, e);
          }
          const options = { kernel, allowedLatenessMs: 60_000 };
          const a = feed(clean, options);
          const b = feed(dirty, options);
          expect(b.clockSkew).toBe(n);
          expect(b.accepted).toBe(a.accepted);
          expect(b.windows).toEqual(a.windows);
          expect(Buffer.compare(b.checkpoint, a.checkpoint)).toBe(0);
          expect(b.counters.clockSkew).toBe(n);
        },
      ),
      { numRuns: 60 },
    );
  });

  test("a fresh engine: an event 49 days ahead of (or behind) the rest of its first batch is refused, the feed goes on", () => {
    const engine = new OccupancyEngine(city);
    const windows: number[] = [];
    engine.windows$.subscribe((w) => windows.push(w.windowStart));
    const early = bayEvent("park_start", "A1", T0 - 40 * DAY);
    const far = bayEvent("park_start", "A2", T0 + 9 * DAY);
    const r = engine.ingest(encodeEvents([early, ...reports(T0), far, ...reports(T0 + MIN)], city));
    expect(r).toMatchObject({ accepted: 8, clockSkew: 2 });
    expect(r.skew).toMatchObject({
      reference: "batch",
      ahead: 1,
      behind: 1,
      minMs: T0 - 40 * DAY,
      maxMs: T0 + 9 * DAY,
    });
    expect(r.skew!.indices).toEqual([0, 5]);
    expect(engine.maxEventMs).toBe(T0 + MIN);
    // The next hour's data is accepted: the outliers did not become the reference.
    const next = engine.ingest(encodeEvents(reports(T0 + 60 * MIN), city));
    expect(next).toMatchObject({ accepted: 4, clockSkew: 0, late: 0 });
    expect(windows.length).toBe(11);
  });

  test("a fresh engine given referenceTimeMs refuses an event at time 0 alone in the first batch", () => {
    const engine = new OccupancyEngine(city, { referenceTimeMs: T0 });
    const zero = engine.ingest(encodeEvents([bayEvent("park_start", "A1", 0)], city));
    expect(zero).toMatchObject({ accepted: 0, clockSkew: 1, skew: { reference: "given", behind: 1 } });
    expect(engine.maxEventMs).toBe(Number.NEGATIVE_INFINITY);
    expect(engine.ingest(encodeEvents(reports(T0 + MIN), city))).toMatchObject({ accepted: 4, clockSkew: 0 });
    // Once anchored, the data is the reference: a day later is fine.
    expect(engine.ingest(encodeEvents(reports(T0 + DAY), city))).toMatchObject({ accepted: 4, clockSkew: 0 });
  });

  test("with clockGuard the clock is the reference: of a fresh engine both ways, later ahead only", () => {
    let now = T0;
    const engine = new OccupancyEngine(city, { clock: () => now, clockGuard: true });
    // A single event at time 0 in the first batch, then one 49 days ahead: neither can anchor the engine.
    expect(engine.ingest(encodeEvents([bayEvent("park_start", "A1", 0)], city))).toMatchObject({
      accepted: 0,
      clockSkew: 1,
      skew: { reference: "clock", behind: 1, referenceMs: T0 },
    });
    expect(engine.ingest(encodeEvents([bayEvent("park_start", "A1", T0 + 49 * DAY)], city))).toMatchObject({
      accepted: 0,
      clockSkew: 1,
      skew: { reference: "clock", ahead: 1 },
    });
    expect(engine.ingest(encodeEvents(reports(T0 - DAY), city))).toMatchObject({ accepted: 4 });
    // Later events are measured from the data (a day old here) and from the clock: 7.5 days past the clock is refused.
    now = T0 + DAY;
    expect(engine.ingest(encodeEvents([bayEvent("park_start", "A1", now + 7.5 * DAY)], city)).clockSkew).toBe(
      1,
    );
    expect(engine.ingest(encodeEvents(reports(now), city))).toMatchObject({ accepted: 4, clockSkew: 0 });
    expect(engine.counters.clockSkew).toBe(3);
  });

  test("with clockGuard, state stuck ahead of the clock is neither checkpointed nor restored", () => {
    // Written without the guard: the first (and only) batch is one event 30 days ahead of the clock.
    const unguarded = new OccupancyEngine(city, { clock: () => T0 });
    unguarded.ingest(encodeEvents([bayEvent("park_start", "A1", T0 + 30 * DAY)], city));
    const stuck = unguarded.checkpoint();
    let error: unknown;
    try {
      OccupancyEngine.restore(city, stuck, { clock: () => T0, clockGuard: true });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ParkirWireError);
    expect((error as ParkirWireError).reason).toBe("clock-skew");
    // The same state restores when the clock has caught up.
    expect(() =>
      OccupancyEngine.restore(city, stuck, { clock: () => T0 + 29 * DAY, clockGuard: true }),
    ).not.toThrow();
    // A clock that went back: checkpoint() refuses with a typed error, nothing changes.
    let now = T0 + 30 * DAY;
    const guarded = new OccupancyEngine(city, { clock: () => now, clockGuard: true });
    guarded.ingest(encodeEvents(reports(now), city));
    now = T0;
    expect(() => guarded.checkpoint()).toThrow(ParkirClockError);
    expect(() => guarded.checkpoint()).toThrow(/refusing to checkpoint/);
    now = T0 + 30 * DAY;
    expect(guarded.checkpoint().byteLength).toBeGreaterThan(0);
  });

  test("ingest of anything but bytes or a view throws a ParkirError (a programming error)", async () => {
    const engine = new OccupancyEngine(city);
    for (const bad of [null, undefined, 42, "batch", [1, 2, 3], { bytes: new Uint8Array(8) }]) {
      expect(() => engine.ingest(bad as unknown as Uint8Array)).toThrow(ParkirError);
    }
    expect(() => engine.ingest(null as unknown as Uint8Array)).toThrow(/got null/);
    // The sharded engine refuses the same way, before queueing the call.
    const sharded = await ShardedOccupancyEngine.create(city, { workers: 0 });
    await expect(sharded.ingest(null as unknown as Uint8Array)).rejects.toThrow(ParkirError);
    await sharded.close();
    // A view is still accepted.
    expect(engine.ingest(viewBatch(encodeEvents(reports(T0), city), city)).accepted).toBe(4);
  });
});

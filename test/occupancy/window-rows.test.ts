/**
 * Closing windows recomputes only the rows touched in the window or the one before (WindowRows): its columns
 * must equal those of closing every row, on any feed — windows with no events, long gaps (sensor timeouts,
 * stays across many windows), unknown bays, zone events and payments, out-of-order delivery, a checkpoint and
 * restore in the middle, either kernel, fresh or reused window buffers. Each window's changedRows must be exactly
 * the rows whose figures differ from the window before's or that counted arrivals or departures.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { vehicleCode } from "../../src/catalog/vehicles.js";
import type { ClosedWindow } from "../../src/occupancy/closed-window.js";
import type { OccupancyOptions, WindowBatch, WindowColumns } from "../../src/occupancy/index.js";
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

/**
 * How an engine closes windows: every row (false), only the rows that changed (true), or only those with the
 * wasm kernel's ways forced: rows closed in a sweep in row order above `sweepAbove` touched rows (0: always,
 * 2^32 − 1: never, undefined: the default), touched rows noted inside applyEvents or in a pass of their own.
 */
type Closing = boolean | { readonly sweepAbove: number | undefined; readonly noting: boolean };

function tune(e: OccupancyEngine, closing: Closing): void {
  const rows = (e as unknown as { windowRows: WindowRows }).windowRows;
  rows.incremental = closing !== false;
  if (typeof closing === "object") {
    rows.sweepAbove = closing.sweepAbove;
    rows.noting = closing.noting;
  }
}

function engine(options: OccupancyOptions, closing: Closing): OccupancyEngine {
  const e = new OccupancyEngine(city, options);
  tune(e, closing);
  return e;
}

/**
 * Runs batches through an engine (restored from a checkpoint after batch `restoreAt`), returns what `read`
 * makes of each window during its emission (told whether it is the first its engine closed); default: the
 * window's start and columns.
 */
function run<T = string>(
  batches: readonly (readonly CdsEvent[])[],
  options: OccupancyOptions,
  closing: Closing,
  restoreAt: number,
  read: (w: WindowBatch, first: boolean) => T = (w) => snapshotColumns(w.windowStart, w.columns!) as T,
): T[] {
  const out: T[] = [];
  const watch = (e: OccupancyEngine) => {
    let first = true;
    e.windows$.subscribe((w) => {
      out.push(read(w, first));
      first = false;
    });
  };
  let e = engine(options, closing);
  watch(e);
  batches.forEach((b, i) => {
    e.ingest(encodeEvents(b, city));
    if (i === restoreAt) {
      const bytes = e.checkpoint();
      const { windowMs, allowedLatenessMs, sensorTimeoutMs, ...rest } = options;
      e = OccupancyEngine.restore(city, bytes, rest);
      tune(e, closing);
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

const SENSOR_KINDS = new Set(["park_start", "park_end", "scheduled_report", "comms_lost", "comms_restored"]);

/**
 * A gappy feed delivered out of order in batches, and an engine's options: either kernel, fresh or reused
 * buffers; every event or the sensors' only (an engine without zone-event state: the wasm kernel then closes its
 * rows itself); every row computed or not (`incremental`); a restore after batch `restoreAt` (−1: none).
 */
const arbRun = fc
  .record({
    events: arbGappyFeed,
    delays: fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 1, maxLength: 30 }),
    sizes: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
    kernel: fc.constantFrom<"js" | "wasm">("js", "wasm"),
    reuseWindowBuffers: fc.boolean(),
    sensorsOnly: fc.boolean(),
    incremental: fc.boolean(),
    sweepAbove: fc.constantFrom(undefined, 0, 2 ** 32 - 1),
    noting: fc.boolean(),
    restoreAt: fc.integer({ min: -1, max: 12 }),
  })
  .map((x) => {
    const events = x.sensorsOnly
      ? x.events.filter((e) => e.curb_space_id !== undefined && SENSOR_KINDS.has(e.event_type))
      : x.events;
    const options: OccupancyOptions = {
      windowMs: WINDOW,
      allowedLatenessMs: 2 * MIN,
      sensorTimeoutMs: 10 * MIN,
      kernel: x.kernel,
      reuseWindowBuffers: x.reuseWindowBuffers,
    };
    const batches = split(deliver(events, x.delays, 2 * MIN), x.sizes);
    const closing: Closing = x.incremental && { sweepAbove: x.sweepAbove, noting: x.noting };
    return { batches, options, closing, restoreAt: x.restoreAt };
  });

describe("closing only the rows that changed", () => {
  test("equals closing every row, column for column, on any feed (either kernel, fresh or reused buffers, restored midway, rows closed in a sweep or from the lists, touched rows noted while applying or after)", () => {
    fc.assert(
      fc.property(arbRun, ({ batches, options, closing, restoreAt }) => {
        const full = run(batches, options, false, -1);
        expect(run(batches, options, closing === false ? true : closing, restoreAt)).toEqual(full);
      }),
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

/** One emitted window as the changed-row test reads it: its changedRows and each row's figures, copied. */
interface Listed {
  readonly first: boolean;
  readonly changed: number[];
  readonly figures: string[];
  readonly moved: boolean[];
}

const FIGURES = [
  "occupancy",
  "coverage",
  "meanDwellMs",
  "confidence",
  "occupiedBayMs",
  "knownBayMs",
  "driftVehicles",
  "arrivals",
  "departures",
  "peakOccupied",
  "detection",
] as const;

function listed(w: WindowBatch, first: boolean): Listed {
  const c = w.columns!;
  const figures: string[] = [];
  const moved: boolean[] = [];
  for (let r = 0; r < c.length; r++) {
    figures.push(FIGURES.map((k) => String(c[k][r])).join("|"));
    moved.push(c.arrivals[r]! + c.departures[r]! > 0);
  }
  return { first, changed: Array.from(w.changedRows!), figures, moved };
}

/** What changedRows must be: every row in an engine's first window, else the rows whose figures differ from the
 * window before's or that counted arrivals or departures. */
function expectedChanged(windows: readonly Listed[], j: number): number[] {
  const w = windows[j]!;
  const rows = w.figures.map((_, r) => r);
  if (w.first) return rows;
  const prev = windows[j - 1]!;
  return rows.filter((r) => w.figures[r] !== prev.figures[r] || w.moved[r]);
}

/** An engine with reused buffers, the windows it emits (`seen`) and their detached copies (`kept`). */
function reusingEngine(): { e: OccupancyEngine; seen: WindowBatch[]; kept: WindowBatch[] } {
  const e = new OccupancyEngine(city, { windowMs: WINDOW, allowedLatenessMs: 0, reuseWindowBuffers: true });
  const seen: WindowBatch[] = [];
  const kept: WindowBatch[] = [];
  e.windows$.subscribe((w) => {
    seen.push(w);
    kept.push((w as ClosedWindow).detach());
  });
  return { e, seen, kept };
}

/** A park_start on `bay` at `t`. */
const parkStart = (id: string, bay: string, t: number): CdsEvent => ({
  event_id: id,
  event_type: "park_start",
  event_time: t,
  curb_space_id: bay,
});

describe("changedRows", () => {
  test("lists exactly the rows whose figures differ from the window before's or that counted arrivals or departures (every row in an engine's first window): either kernel, fresh or reused buffers, every row computed or not, restored midway", () => {
    let listedSome = 0;
    let leftSome = 0;
    fc.assert(
      fc.property(arbRun, ({ batches, options, closing, restoreAt }) => {
        const windows = run(batches, options, closing, restoreAt, listed);
        windows.forEach((w, j) => {
          const want = expectedChanged(windows, j);
          expect(w.changed, `window ${j}`).toEqual(want);
          if (!w.first && want.length > 0) listedSome++;
          if (!w.first && want.length < w.figures.length) leftSome++;
        });
      }),
      { numRuns: 150 },
    );
    // The feeds reach both sides: windows that list rows and windows that leave rows out.
    expect(listedSome).toBeGreaterThan(100);
    expect(leftSome).toBeGreaterThan(100);
  });

  test("reused buffers: the list is valid during the emission and throws after the next call; detach() keeps it", () => {
    const t0 = Date.parse("2026-11-30T00:00:00+08:00");
    const { e, seen, kept } = reusingEngine();
    const ev = parkStart;
    e.ingest(encodeEvents([ev("a", "A1", t0 + MIN), ev("b", "A2", t0 + WINDOW + MIN)], city));
    e.ingest(encodeEvents([ev("c", "A3", t0 + 2 * WINDOW + MIN)], city));
    e.close();
    expect(seen).toHaveLength(2);
    expect(() => seen[0]!.changedRows).toThrow(/reused/);
    const rows = kept[0]!.columns!.length;
    const a = Array.from(kept[0]!.columns!.zone).findIndex(
      (z, i) => z === 0 && kept[0]!.columns!.vehicle[i] === vehicleCode("car"),
    );
    // The first window lists every row; the second the row of zone A's cars (an arrival).
    expect(Array.from(kept[0]!.changedRows!)).toEqual(Array.from({ length: rows }, (_, r) => r));
    expect(Array.from(kept[1]!.changedRows!)).toEqual([a]);
  });

  test("lists a row whose figures repeat the window before's when it counted arrivals or departures (either kernel)", () => {
    // A1 is known vacant from window 0; in windows 1 and 2 a car parks from minute 1 to minute 2: the same
    // figures twice (arrivals, departures, dwell, occupied and known time); window 3 is quiet again.
    const t0 = Date.parse("2026-11-30T00:00:00+08:00");
    const ev = (id: string, type: string, t: number): CdsEvent => ({
      event_id: id,
      event_type: type,
      event_time: t,
      curb_space_id: "A1",
    });
    const feed = [
      ev("e0", "park_end", t0 + MIN),
      ev("s1", "park_start", t0 + WINDOW + MIN),
      ev("e1", "park_end", t0 + WINDOW + 2 * MIN),
      ev("s2", "park_start", t0 + 2 * WINDOW + MIN),
      ev("e2", "park_end", t0 + 2 * WINDOW + 2 * MIN),
      ev("x", "park_end", t0 + 4 * WINDOW + MIN),
    ];
    for (const kernel of ["js", "wasm"] as const) {
      const options: OccupancyOptions = {
        windowMs: WINDOW,
        allowedLatenessMs: 0,
        kernel,
        reuseWindowBuffers: true,
      };
      const windows = run([feed], options, true, -1, listed);
      const rows = windows[0]!.figures.length;
      const a = Array.from({ length: rows }, (_, r) => r).find((r) => windows[1]!.moved[r])!;
      expect(windows.map((w) => w.figures[a])[2]).toBe(windows[1]!.figures[a]);
      expect(windows.map((w) => w.changed)).toEqual([
        Array.from({ length: rows }, (_, r) => r),
        [a],
        [a],
        [a],
      ]);
    }
  });
});

describe("reused buffers: windows closed in place", () => {
  test("each window is emitted before the next one closes, in the engine's one column set, and goes stale when the next one closes (either kernel, restored midway)", () => {
    let stale = 0;
    fc.assert(
      fc.property(arbRun, ({ batches, options, restoreAt }) => {
        const reused = { ...options, reuseWindowBuffers: true };
        // The figures and lists equal those of fresh buffers.
        expect(run(batches, reused, true, restoreAt)).toEqual(run(batches, options, true, restoreAt));
        expect(run(batches, reused, true, restoreAt, listed)).toEqual(
          run(batches, options, true, restoreAt, listed),
        );
        const e = new OccupancyEngine(city, reused);
        let emitted = 0;
        let before: WindowBatch | undefined;
        const sets = new Set<WindowColumns>();
        e.windows$.subscribe((w) => {
          emitted++;
          // Nothing closed after this window yet; the window before went stale when this one closed.
          expect(e.counters.windowsClosed).toBe(emitted);
          sets.add(w.columns!);
          expect(w.changedRows!.length).toBeLessThanOrEqual(w.columns!.length);
          if (before !== undefined) {
            expect(() => before!.columns).toThrow(/reused/);
            expect(() => before!.changedRows).toThrow(/reused/);
            stale++;
          }
          before = w;
        });
        for (const b of batches) e.ingest(encodeEvents(b, city));
        e.close();
        expect(sets.size).toBeLessThanOrEqual(1);
      }),
      { numRuns: 100 },
    );
    expect(stale).toBeGreaterThan(100);
  });

  test("a window read after the next one closed in the same call throws; detach() during the emission keeps it", () => {
    const t0 = Date.parse("2026-11-30T00:00:00+08:00");
    const { e, seen, kept } = reusingEngine();
    const ev = parkStart;
    // One call closes windows 0, 1 and 2.
    e.ingest(
      encodeEvents(
        [ev("a", "A1", t0 + MIN), ev("b", "A2", t0 + WINDOW + MIN), ev("c", "A3", t0 + 3 * WINDOW)],
        city,
      ),
    );
    expect(seen).toHaveLength(3);
    expect(() => seen[0]!.columns).toThrow(/reused/);
    expect(() => seen[1]!.columns).toThrow(/reused/);
    expect(seen[2]!.columns!.length).toBe(kept[2]!.columns!.length);
    const car = Array.from(kept[0]!.columns!.zone).findIndex(
      (z, i) => z === 0 && kept[0]!.columns!.vehicle[i] === vehicleCode("car"),
    );
    expect([0, 1, 2].map((j) => kept[j]!.columns!.arrivals[car])).toEqual([1, 1, 0]);
  });
});

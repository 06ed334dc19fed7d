/**
 * Exactness of admission and of the figures that depend on it: de-duplication against an independent Map-based
 * reference (copies anywhere within the lateness, with and without sequence numbers, bay sensors and gate
 * counters, across batches), device counter resets, payment keys that are exact and per zone, and
 * peakOccupied against a per-instant reference. Both kernels.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { fnv1a } from "../../src/catalog/city.js";
import { OccupancyEngine, type OccupancyOptions, type WindowBatch } from "../../src/occupancy/index.js";
import { type CdsEvent, EncodeReport, encodeEvents } from "../../src/wire/index.js";
import {
  admissionOracle,
  arbCopiedFeed,
  COPY_LATENESS_MS,
  collidingPayments,
  collidingSessions,
} from "./copies.js";
import { MIN, SEC, sensorCity, split, T0, testCity } from "./fixtures.js";

const city = testCity();
const OPTS: OccupancyOptions = {
  windowMs: 5 * MIN,
  allowedLatenessMs: COPY_LATENESS_MS,
  sensorTimeoutMs: 30 * MIN,
};
const KERNELS = ["js", "wasm"] as const;

function runBatches(batches: readonly (readonly CdsEvent[])[], kernel: "js" | "wasm", options = OPTS) {
  const engine = new OccupancyEngine(city, { ...options, kernel });
  const windows: WindowBatch[] = [];
  engine.windows$.subscribe((w) => windows.push(w));
  for (const b of batches) engine.ingest(encodeEvents(b, city));
  engine.close();
  return { windows: JSON.parse(JSON.stringify(windows)) as unknown, counters: engine.counters };
}

describe("de-duplication is exact within the lateness", () => {
  test.each(KERNELS)(
    "kernel %s: counts as the Map reference, and windows as the de-duplicated feed's, with copies anywhere",
    (kernel) => {
      fc.assert(
        fc.property(arbCopiedFeed(COPY_LATENESS_MS, 3 * MIN), (feed) => {
          const want = admissionOracle(feed.events, COPY_LATENESS_MS);
          const got = runBatches(feed.batches, kernel);
          expect({
            accepted: got.counters.accepted,
            duplicate: got.counters.duplicate,
            late: got.counters.late,
          }).toEqual({ accepted: want.accepted, duplicate: want.duplicate, late: want.late });
          // Copies must change nothing: the windows are those of the events the reference kept.
          expect(got.windows).toEqual(runBatches([want.kept], kernel).windows);
        }),
        { numRuns: 200 },
      );
    },
  );

  test.each(KERNELS)("kernel %s: copies delivered within the lateness are all dropped", (kernel) => {
    fc.assert(
      fc.property(arbCopiedFeed(COPY_LATENESS_MS, COPY_LATENESS_MS / 2), (feed) => {
        const got = runBatches(feed.batches, kernel);
        // Delivered at most half the lateness after their original, which waited at most half the lateness.
        expect(got.counters.duplicate).toBe(feed.copies);
        expect(got.counters.late).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  test("a gate counter's copy after newer events does not count twice (balances are not idempotent)", () => {
    const gate = (id: string, type: "enter_area" | "exit_area", t: number): CdsEvent => ({
      event_id: id,
      event_type: type,
      event_time: t,
      curb_zone_id: "C",
      data_source_device_id: "GATE-C",
    });
    const events = [
      gate("g1", "enter_area", T0 + 10 * SEC),
      gate("g2", "enter_area", T0 + 20 * SEC),
      gate("g3", "exit_area", T0 + 30 * SEC),
      gate("g1", "enter_area", T0 + 10 * SEC),
    ];
    for (const kernel of KERNELS) {
      const got = runBatches([events.slice(0, 2), events.slice(2)], kernel);
      expect(got.counters).toMatchObject({ accepted: 3, duplicate: 1 });
    }
  });
});

describe("checkpoints carry the de-duplication and payment keys", () => {
  test.each(KERNELS)("kernel %s: restore at any batch and continue as the uninterrupted run", (kernel) => {
    fc.assert(
      fc.property(arbCopiedFeed(COPY_LATENESS_MS, 3 * MIN), fc.nat(), (feed, cut) => {
        const events = [...feed.events];
        collidingPayments(T0).forEach((p, k) => {
          events.splice(Math.min(events.length, k * 2), 0, p);
        });
        const batches = split(events, [4, 7, 1]).map((b) => encodeEvents(b, city));
        const k = cut % (batches.length + 1);
        const whole = new OccupancyEngine(city, { ...OPTS, kernel });
        const first = new OccupancyEngine(city, { ...OPTS, kernel });
        const a: unknown[] = [];
        const b: unknown[] = [];
        whole.windows$.subscribe((w) => a.push(JSON.parse(JSON.stringify(w))));
        first.windows$.subscribe((w) => b.push(JSON.parse(JSON.stringify(w))));
        for (let i = 0; i < k; i++) {
          whole.ingest(batches[i]!);
          first.ingest(batches[i]!);
        }
        const bytes = first.checkpoint();
        const restored = OccupancyEngine.restore(city, bytes, { kernel });
        expect(Buffer.from(restored.checkpoint()).equals(Buffer.from(bytes))).toBe(true);
        restored.windows$.subscribe((w) => b.push(JSON.parse(JSON.stringify(w))));
        for (let i = k; i < batches.length; i++) {
          expect(restored.ingest(batches[i]!)).toEqual(whole.ingest(batches[i]!));
        }
        expect(Buffer.from(restored.checkpoint()).equals(Buffer.from(whole.checkpoint()))).toBe(true);
        whole.close();
        restored.close();
        expect(b).toEqual(a);
        expect(restored.counters).toEqual(whole.counters);
      }),
      { numRuns: 150 },
    );
  });
});

describe("device counter resets", () => {
  test.each(KERNELS)(
    "kernel %s: a device whose counter restarts mid-stream loses no new event; its retransmissions are dropped",
    (kernel) => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 2, maxLength: 5 }),
          fc.integer({ min: 0, max: 3 }),
          fc.array(fc.nat(), { maxLength: 10 }),
          fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 6 }),
          (runs, restartAt, copies, cuts) => {
            // Sessions of the device (between rejoins), each counting up from restartAt, 5 s apart.
            const base: CdsEvent[] = [];
            let t = T0 + SEC;
            runs.forEach((len, r) => {
              for (let k = 0; k < len; k++) {
                t += 5 * SEC;
                base.push({
                  event_id: `r${r}-${k}`,
                  event_type: k % 2 === 0 ? "park_start" : "park_end",
                  event_time: t,
                  curb_space_id: "A1",
                  data_source_device_id: "SA1",
                  sequence_number: restartAt + k,
                });
              }
            });
            // Retransmissions (another id, same device, counter and time) right after a later event.
            const events = [...base];
            for (const c of copies) {
              const i = c % base.length;
              const at = Math.min(events.length, events.indexOf(base[i]!) + 1 + (c % 4));
              events.splice(at, 0, { ...base[i]!, event_id: `copy-${c}` });
            }
            const batches: CdsEvent[][] = [];
            for (let at = 0, k = 0; at < events.length; k++) {
              batches.push(events.slice(at, at + cuts[k % cuts.length]!));
              at += cuts[k % cuts.length]!;
            }
            const got = runBatches(batches, kernel);
            expect(got.counters).toMatchObject({ accepted: base.length, duplicate: copies.length, late: 0 });
            expect(got.windows).toEqual(runBatches([base], kernel).windows);
          },
        ),
        { numRuns: 150 },
      );
    },
  );
});

describe("payment keys are exact and per zone", () => {
  const [a, b] = collidingSessions();
  const pay = (
    id: string,
    type: "payment_start" | "payment_end",
    t: number,
    session: string,
    zone = "D",
  ): CdsEvent => ({
    event_id: id,
    event_type: type,
    event_time: t,
    curb_zone_id: zone,
    event_session_id: session,
    ...(type === "payment_end" ? { actual_cost: 4000 } : {}),
  });

  test("the two session ids collide in the wire's 32-bit hash", () => {
    expect(a).not.toBe(b);
    expect(fnv1a(a)).toBe(fnv1a(b));
  });

  test.each(KERNELS)("kernel %s: two sessions whose ids collide are two vehicles", (kernel) => {
    const events = [
      pay("p1", "payment_start", T0 + MIN, a),
      pay("p2", "payment_start", T0 + 2 * MIN, b),
      pay("p3", "payment_end", T0 + 7 * MIN, a),
      pay("p4", "payment_end", T0 + 8 * MIN, b),
      pay("p5", "payment_start", T0 + 20 * MIN, "later"),
    ];
    const engine = new OccupancyEngine(city, { ...OPTS, kernel });
    const windows: WindowBatch[] = [];
    engine.windows$.subscribe((w) => windows.push(w));
    expect(engine.ingest(encodeEvents(events, city))).toMatchObject({ accepted: 5, duplicate: 0 });
    engine.close();
    const d = (w: WindowBatch) => w.records.find((r) => r.zone === "D")!;
    expect(d(windows[0]!)).toMatchObject({ arrivals: 2, peakOccupied: 2 });
    expect(d(windows[1]!)).toMatchObject({ departures: 2, meanDwellMs: 6 * MIN });
  });

  test.each(KERNELS)(
    "kernel %s: one session id in two zones is two sessions; a repeat in one zone is not",
    (kernel) => {
      const events = [
        pay("q1", "payment_start", T0 + MIN, "S-1", "D"),
        pay("q2", "payment_start", T0 + MIN, "S-1", "B"),
        pay("q3", "payment_start", T0 + 2 * MIN, "S-1", "D"),
      ];
      const engine = new OccupancyEngine(city, { ...OPTS, kernel });
      expect(engine.ingest(encodeEvents(events, city))).toMatchObject({ accepted: 2, duplicate: 1 });
      // Checkpoints carry the exact keys: a restored engine still knows both sessions and the repeat.
      const restored = OccupancyEngine.restore(city, engine.checkpoint(), { kernel });
      expect(restored.checkpoint()).toEqual(engine.checkpoint());
      expect(
        restored.ingest(encodeEvents([pay("q4", "payment_start", T0 + 3 * MIN, "S-1", "B")], city)),
      ).toMatchObject({ accepted: 0, duplicate: 1 });
    },
  );
});

describe("zone-level park_start and park_end", () => {
  test("count in a gate-counted zone, and an unknown place names its field", () => {
    const report = new EncodeReport();
    const events: CdsEvent[] = [
      { event_id: "z1", event_type: "park_start", event_time: T0 + MIN, curb_zone_id: "C" },
      { event_id: "z2", event_type: "park_start", event_time: T0 + 2 * MIN, curb_zone_id: "C" },
      { event_id: "z3", event_type: "park_end", event_time: T0 + 3 * MIN, curb_zone_id: "C" },
      { event_id: "z4", event_type: "park_start", event_time: T0 + 3 * MIN, curb_zone_id: "NOPE" },
      { event_id: "z5", event_type: "park_end", event_time: T0 + 3 * MIN, curb_space_id: "A9" },
      { event_id: "z6", event_type: "park_end", event_time: T0 + 3 * MIN, data_source_device_id: "S-NONE" },
    ];
    const bytes = encodeEvents(events, city, report);
    expect(report).toMatchObject({ encoded: 3, unknownBay: 2, unknownZone: 1 });
    expect(report.unknownIds).toEqual([
      "curb_zone_id=NOPE",
      "curb_space_id=A9",
      "data_source_device_id=S-NONE",
    ]);
    const engine = new OccupancyEngine(city, OPTS);
    const windows: WindowBatch[] = [];
    engine.windows$.subscribe((w) => windows.push(w));
    expect(engine.ingest(bytes)).toMatchObject({ accepted: 3, unknownBay: 0 });
    engine.advanceTo(T0 + 5 * MIN);
    const c = windows[0]!.records.find((r) => r.zone === "C")!;
    expect(c).toMatchObject({ arrivals: 2, departures: 1, peakOccupied: 2, detection: "balancing" });
    // Known from the first gate event (1 min); 1 vehicle from 1 to 2 min, 2 from 2 to 3, 1 from 3 to 5:
    // (1 + 2 + 2) vehicle-minutes of 5 bays × 4 minutes known.
    expect(c.occupancy).toBeCloseTo(5 / 20, 12);
  });
});

describe("peakOccupied", () => {
  const grid = sensorCity(1, 4);
  const W = 5 * MIN;

  /** The reference: per window, the most bays occupied after all events of any of its instants. */
  function peaks(events: readonly CdsEvent[], windowStarts: readonly number[]): number[] {
    const occupied = new Set<string>();
    let k = 0;
    return windowStarts.map((ws) => {
      let peak = occupied.size;
      let first = true;
      while (k < events.length && (events[k]!.event_time as number) < ws + W) {
        const t = events[k]!.event_time as number;
        const instant: CdsEvent[] = [];
        while (k < events.length && events[k]!.event_time === t) instant.push(events[k++]!);
        // Within an instant, one bay's events apply in event-kind order (park_start before park_end).
        instant.sort(
          (x, y) =>
            grid.bayIndex(x.curb_space_id!) - grid.bayIndex(y.curb_space_id!) ||
            (x.event_type === "park_start" ? 0 : 1) - (y.event_type === "park_start" ? 0 : 1),
        );
        for (const e of instant) {
          if (e.event_type === "park_start") occupied.add(e.curb_space_id!);
          else occupied.delete(e.curb_space_id!);
        }
        // The count carried into the window counts only when no event happened at its first instant.
        if (first && t === ws) peak = occupied.size;
        else peak = Math.max(peak, occupied.size);
        first = false;
      }
      return peak;
    });
  }

  test.each(KERNELS)(
    "kernel %s: the maximum over instants of the count after all events of that instant",
    (kernel) => {
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              bay: fc.nat(3),
              start: fc.boolean(),
              step: fc.constantFrom(0, 0, 30 * SEC, 60 * SEC, 150 * SEC),
            }),
            { minLength: 1, maxLength: 60 },
          ),
          (feed) => {
            let t = T0;
            const events: CdsEvent[] = feed.map((f, i) => {
              t += f.step;
              return {
                event_id: `p${i}`,
                event_type: f.start ? "park_start" : "park_end",
                event_time: t,
                curb_space_id: grid.bayId(f.bay),
              };
            });
            const engine = new OccupancyEngine(grid, { windowMs: W, allowedLatenessMs: MIN, kernel });
            const windows: WindowBatch[] = [];
            engine.windows$.subscribe((w) => windows.push(w));
            engine.ingest(encodeEvents(events, grid));
            engine.close();
            const want = peaks(
              events,
              windows.map((w) => w.windowStart),
            );
            expect(windows.map((w) => w.records[0]!.peakOccupied)).toEqual(want);
          },
        ),
        { numRuns: 300 },
      );
    },
  );
});

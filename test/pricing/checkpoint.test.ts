/**
 * Pricing checkpoints: an engine restored from `checkpoint()` bytes makes the decisions an engine that never
 * stopped makes; bytes of another policy or damaged bytes are refused with a typed error and change nothing.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ParkirWireError } from "../../src/errors/index.js";
import type { WindowBatch, WindowRecord } from "../../src/occupancy/types.js";
import { loadPolicy, PricingEngine, type TariffDecision } from "../../src/pricing/index.js";
import { basePolicy, pricingCity } from "./fixtures.js";

const MIN = 60_000;
const W = 5 * MIN;
const DAY0 = Date.parse("2026-11-30T00:00:00+08:00");

function policy(type: "step" | "pi", every: string, minInterval: string, lower = 0.6) {
  const controller =
    type === "step"
      ? { type, lower, upper: 0.85, stepMinor: 500, upper2: 0.95, step2Minor: 1000 }
      : { type, target: 0.75, kp: 20000, ki: 5000, maxChangeMinor: 1500, deadBand: 0.02 };
  return loadPolicy(
    basePolicy({
      bands: [
        { id: "morning", timeOfDayStart: "07:00", timeOfDayEnd: "12:00" },
        { id: "afternoon", timeOfDayStart: "12:00", timeOfDayEnd: "17:00" },
      ],
      tariffs: [
        {
          id: "car",
          vehicleTypes: ["car", "motorcycle"],
          rates: ["morning", "afternoon"].map((band) => ({
            band,
            tiers: [{ fromMinutes: 0, unitMinutes: 60, amountMinor: 3000 }],
          })),
        },
      ],
      dynamic: {
        controllers: [
          {
            id: "c",
            zones: {},
            vehicleTypes: ["car", "motorcycle"],
            every,
            minInterval,
            minMinor: 1000,
            maxMinor: 6000,
            ...controller,
          },
        ],
        freezes: [],
      },
    }),
  );
}

const arbRow = fc.record({
  zone: fc.constantFrom("A1", "A2", "B1"),
  vehicleType: fc.constantFrom("car" as const, "motorcycle" as const),
  occupancy: fc.option(fc.constantFrom(0, 0.3, 0.6, 0.7, 0.8, 0.86, 0.9, 0.97, 1), { nil: null }),
  coverage: fc.constantFrom(0, 0.5, 1),
});

function batch(i: number, startSlot: number, rows: readonly fc.RecordValue<typeof arbRow>[]): WindowBatch {
  const start = DAY0 + (startSlot + i) * W;
  const seen = new Set<string>();
  const records: WindowRecord[] = rows
    .filter((r) => !seen.has(r.zone + r.vehicleType) && seen.add(r.zone + r.vehicleType))
    .map((r) => ({
      type: "occupancy",
      zone: r.zone,
      vehicleType: r.vehicleType,
      windowStart: start,
      windowEnd: start + W,
      occupancy: r.occupancy,
      coverage: r.coverage,
      arrivals: 0,
      departures: 0,
      peakOccupied: 0,
      meanDwellMs: null,
      detection: "singleSpaceDetection",
      confidence: 1,
    }));
  return { windowStart: start, windowEnd: start + W, records };
}

const arbRun = fc.record({
  windows: fc.array(fc.array(arbRow, { maxLength: 6 }), { minLength: 1, maxLength: 150 }),
  startSlot: fc.integer({ min: 6 * 12, max: 18 * 12 }),
  type: fc.constantFrom("step" as const, "pi" as const),
  every: fc.constantFrom("5m", "15m", "1h"),
  minInterval: fc.constantFrom("5m", "1h", "2h"),
  /** Where the engine stops and a new one continues from its checkpoint (mid-period included). */
  cuts: fc.array(fc.nat(), { maxLength: 4 }),
  /** An operator freeze added before the first cut (it must survive the restore). */
  freeze: fc.option(fc.record({ from: fc.nat(150), len: fc.integer({ min: 1, max: 40 }) }), {
    nil: undefined,
  }),
  override: fc.boolean(),
});

describe("pricing checkpoint", () => {
  test("engines restored at random cuts (mid-period too) decide exactly as one that never stopped", () => {
    fc.assert(
      fc.property(arbRun, (r) => {
        const city = pricingCity();
        const p = policy(r.type, r.every, r.minInterval);
        const operate = (e: PricingEngine) => {
          if (r.freeze !== undefined)
            e.freeze({
              zones: ["A1", "B1"],
              vehicleTypes: ["car"],
              fromMs: DAY0 + (r.startSlot + r.freeze.from) * W,
              toMs: DAY0 + (r.startSlot + r.freeze.from + r.freeze.len) * W,
              reason: "market day",
            });
          if (r.override)
            e.override({
              zone: "A2",
              vehicleType: "car",
              band: "morning",
              priceMinor: 4500,
              effectiveMs: DAY0,
              reason: "test",
            });
        };
        const whole = new PricingEngine(city, p);
        operate(whole);
        const expected: TariffDecision[] = [...whole.decisions];
        r.windows.forEach((w, i) => {
          expected.push(...whole.onWindows(batch(i, r.startSlot, w)));
        });

        const cuts = new Set(r.cuts.map((c) => c % (r.windows.length + 1)));
        let engine = new PricingEngine(city, p);
        operate(engine);
        const got: TariffDecision[] = [...engine.decisions];
        r.windows.forEach((w, i) => {
          if (cuts.has(i)) {
            const bytes = engine.checkpoint();
            engine = new PricingEngine(city, p);
            engine.restore(bytes);
          }
          got.push(...engine.onWindows(batch(i, r.startSlot, w)));
        });
        expect(got).toEqual(expected);
        expect(engine.currentPrices()).toEqual(whole.currentPrices());
        expect(engine.stats).toEqual(whole.stats);
        // The price in force is what quotes read after the restore.
        expect(engine.prices.latest()).toEqual(whole.prices.latest());
        // A checkpoint of the restored engine is the uninterrupted engine's, byte for byte.
        expect(engine.checkpoint()).toEqual(whole.checkpoint());
      }),
      { numRuns: 120 },
    );
  });

  test("a checkpoint of another policy or controller layout is refused (catalog-mismatch); the engine is unchanged", () => {
    const city = pricingCity();
    const a = new PricingEngine(city, policy("step", "15m", "5m"));
    for (let i = 0; i < 30; i++)
      a.onWindows(batch(i, 8 * 12, [{ zone: "A1", vehicleType: "car", occupancy: 1, coverage: 1 }]));
    const bytes = a.checkpoint();
    for (const other of [
      policy("step", "15m", "5m", 0.5),
      policy("pi", "15m", "5m"),
      policy("step", "1h", "5m"),
    ]) {
      const b = new PricingEngine(city, other);
      const before = b.checkpoint();
      const e = (() => {
        try {
          b.restore(bytes);
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(ParkirWireError);
      expect((e as ParkirWireError).reason).toBe("catalog-mismatch");
      expect(b.checkpoint()).toEqual(before);
    }
    const otherCity = pricingCity("Asia/Makassar", "IDR", 5);
    expect(() => new PricingEngine(otherCity, policy("step", "15m", "5m")).restore(bytes)).toThrow(
      /another city, policy/,
    );
  });

  test("damaged bytes are refused with a typed error and change nothing", () => {
    const city = pricingCity();
    const p = policy("pi", "15m", "5m");
    const a = new PricingEngine(city, p);
    for (let i = 0; i < 40; i++)
      a.onWindows(batch(i, 8 * 12, [{ zone: "A1", vehicleType: "car", occupancy: 0.95, coverage: 1 }]));
    const good = a.checkpoint();
    const text = new TextDecoder().decode(good.subarray(4));
    const mutate = (f: (doc: Record<string, unknown>) => void) => {
      const doc = JSON.parse(text) as Record<string, unknown>;
      f(doc);
      const json = new TextEncoder().encode(JSON.stringify(doc));
      const out = new Uint8Array(4 + json.byteLength);
      out.set(good.subarray(0, 4));
      out.set(json, 4);
      return out;
    };
    const bad: Uint8Array[] = [
      new Uint8Array(0),
      good.subarray(0, 3),
      good.subarray(0, good.byteLength - 7),
      Uint8Array.from(good, (b, i) => (i === 0 ? b ^ 1 : b)),
      mutate((d) => {
        d.v = 9;
      }),
      mutate((d) => {
        (d.price as number[]).pop();
      }),
      mutate((d) => {
        (d.integral as unknown[])[0] = "x";
      }),
      mutate((d) => {
        (d.openPeriod as unknown[])[0] = 1.5;
      }),
      mutate((d) => {
        d.prices = [[1e9, 0, 100]];
      }),
      mutate((d) => {
        d.freezes = [{ zones: [99], codes: [0], fromMs: 0, toMs: 1, reason: "" }];
      }),
      mutate((d) => {
        d.stats = { batches: -1 };
      }),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...bad), (bytes) => {
        const b = new PricingEngine(city, p);
        const before = b.checkpoint();
        expect(() => b.restore(bytes)).toThrow(ParkirWireError);
        expect(b.checkpoint()).toEqual(before);
      }),
      { numRuns: bad.length * 3 },
    );
    // And any single flipped byte is either refused or, if it still reads, gives a valid engine (never a crash).
    fc.assert(
      fc.property(fc.nat(good.byteLength - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const b = new PricingEngine(city, p);
        const bytes = Uint8Array.from(good);
        bytes[at]! ^= x;
        try {
          b.restore(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(ParkirWireError);
        }
      }),
      { numRuns: 300 },
    );
  });

  test("restore is for a new engine only", () => {
    const city = pricingCity();
    const p = policy("step", "5m", "5m");
    const a = new PricingEngine(city, p);
    a.onWindows(batch(0, 100, [{ zone: "A1", vehicleType: "car", occupancy: 1, coverage: 1 }]));
    expect(() => a.restore(a.checkpoint())).toThrow(/new pricing engine/);
  });
});

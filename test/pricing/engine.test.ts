import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { VEHICLE_CODES, VEHICLE_TYPES, type VehicleType, vehicleCode } from "../../src/catalog/index.js";
import type { WindowBatch, WindowColumns, WindowRecord } from "../../src/occupancy/types.js";
import {
  controllerPass,
  createControllerArrays,
  decisionLine,
  loadPolicy,
  CONTROLLER_PARAM as P,
  PricingEngine,
  priceSlot,
  CONTROLLER_RATIO as R,
  type TariffDecision,
} from "../../src/pricing/index.js";
import { basePolicy, issuesOf, pricingCity } from "./fixtures.js";

const MIN = 60_000;
const W = 5 * MIN;
const DAY0 = Date.parse("2026-11-30T00:00:00+08:00"); // Monday, Palu time
const at = (hhmm: string) => DAY0 + (Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3))) * MIN;

const stepController = {
  id: "c",
  type: "step",
  zones: { zoneClass: "A" },
  vehicleTypes: ["car"],
  every: "1h",
  minInterval: "1h",
  lower: 0.6,
  upper: 0.85,
  stepMinor: 500,
  upper2: 0.95,
  step2Minor: 1000,
  minMinor: 2000,
  maxMinor: 5000,
};

function policy(controller: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
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
      dynamic: { controllers: [{ ...stepController, ...controller }], freezes: [] },
      ...extra,
    }),
  );
}

interface Row {
  zone?: string;
  vehicleType?: VehicleType;
  occupancy: number | null;
  coverage?: number;
}

function batch(start: number, rows: Row[]): WindowBatch {
  const records: WindowRecord[] = rows.map((r) => ({
    type: "occupancy",
    zone: r.zone ?? "A1",
    vehicleType: r.vehicleType ?? "car",
    windowStart: start,
    windowEnd: start + W,
    occupancy: r.occupancy,
    coverage: r.coverage ?? 1,
    arrivals: 0,
    departures: 0,
    peakOccupied: 0,
    meanDwellMs: null,
    detection: "singleSpaceDetection",
    confidence: 1,
  }));
  return { windowStart: start, windowEnd: start + W, records };
}

/** Feeds windows from `from` to `to` (HH:MM), each with rows from `rows(windowStart)`. */
function feed(engine: PricingEngine, from: string, to: string, rows: (t: number) => Row[]): TariffDecision[] {
  const out: TariffDecision[] = [];
  for (let t = at(from); t < at(to); t += W) out.push(...engine.onWindows(batch(t, rows(t))));
  return out;
}

describe("step controller", () => {
  test("an hour at 0.90 raises the price by one step at the end of the hour", () => {
    const city = pricingCity();
    const engine = new PricingEngine(city, policy());
    expect(engine.slotCount).toBe(2 * 2); // A1 and A2 × morning, afternoon (cars only)
    const ds = feed(engine, "08:00", "09:00", () => [{ occupancy: 0.9 }]);
    expect(ds).toEqual([
      {
        type: "tariff",
        effectiveMs: at("09:00"),
        zone: "A1",
        vehicleType: "car",
        band: "morning",
        controller: "step",
        controllerId: "c",
        oldPrice: 3000,
        newPrice: 3500,
        currency: "IDR",
        occupancy: 0.9,
        coverage: 1,
        bounded: false,
        frozen: false,
        rule: "mean occupancy 0.90 ≥ upper 0.85 → +Rp500",
      },
    ]);
    expect(engine.decisions).toEqual(ds);
    expect(decisionLine(ds[0]!)).toBe(
      `{"type":"tariff","effectiveMs":${at("09:00")},"zone":"A1","vehicleType":"car","band":"morning","controller":"step","controllerId":"c","oldPrice":3000,"newPrice":3500,"currency":"IDR","occupancy":0.9,"coverage":1,"bounded":false,"frozen":false,"rule":"mean occupancy 0.90 ≥ upper 0.85 → +Rp500"}\n`,
    );
    // Quotes see the new price from 09:00 (integrated) or at arrival (locked).
    const req = { zone: "A1", vehicleType: "car", startMs: at("08:30"), endMs: at("10:30") };
    // Locked: units at 08:30 and 09:30 at 3,000. Integrated: the price change at 09:00 ends a unit (a unit never
    // spans a price change), so 08:30–09:00 at 3,000 and 09:00–10:30 as two units at 3,500.
    expect(engine.quote({ ...req, assurance: "locked" }).amount).toBe(2 * 3000);
    expect(engine.quote({ ...req, assurance: "integrated" }).amount).toBe(3000 + 2 * 3500);
  });

  test("the period mean is weighted by coverage (known bay time)", () => {
    const engine = new PricingEngine(pricingCity(), policy());
    const ds = feed(engine, "08:00", "09:00", (t) => [
      t < at("08:30") ? { occupancy: 0.4, coverage: 1 } : { occupancy: 0.9, coverage: 0.25 },
    ]);
    expect(ds.map((d) => [d.newPrice, d.occupancy, d.coverage, d.rule])).toEqual([
      [2500, 0.5, 0.625, "mean occupancy 0.50 < lower 0.60 → −Rp500"],
    ]);
  });

  test("the second band takes the larger step; holds between lower and upper", () => {
    const engine = new PricingEngine(pricingCity(), policy());
    const ds = feed(engine, "08:00", "09:00", () => [
      { zone: "A1", occupancy: 0.97 },
      { zone: "A2", occupancy: 0.7 },
    ]);
    expect(ds.map((d) => [d.zone, d.newPrice, d.rule])).toEqual([
      ["A1", 4000, "mean occupancy 0.97 ≥ upper2 0.95 → +Rp1,000"],
    ]);
  });

  test("windows with null occupancy, or too little coverage, never move a price", () => {
    const engine = new PricingEngine(pricingCity(), policy({ minCoverage: 0.5 }));
    expect(feed(engine, "08:00", "09:00", () => [{ occupancy: null, coverage: 0.1 }])).toEqual([]);
    // Mean coverage 0.4 < 0.5 even though occupancy is high.
    expect(feed(engine, "09:00", "10:00", () => [{ occupancy: 0.99, coverage: 0.4 }])).toEqual([]);
    // A few null windows among good ones do not count toward occupancy.
    const ds = feed(engine, "10:00", "11:00", (t) => [
      t < at("10:15") ? { occupancy: null, coverage: 0 } : { occupancy: 0.9 },
    ]);
    expect(ds.map((d) => [d.occupancy, d.coverage])).toEqual([[0.9, 0.75]]);
  });

  test("bands are decided apart; clamps mark bounded; never past max", () => {
    const engine = new PricingEngine(pricingCity(), policy());
    const ds = feed(engine, "07:00", "14:00", () => [{ occupancy: 1 }]);
    // Morning: 3,000 → 4,000 → 5,000 then held at the max (no decision); afternoon starts again from 3,000.
    expect(ds.map((d) => [d.band, d.oldPrice, d.newPrice, d.bounded])).toEqual([
      ["morning", 3000, 4000, false],
      ["morning", 4000, 5000, false],
      ["afternoon", 3000, 4000, false],
      ["afternoon", 4000, 5000, false],
    ]);
  });

  test("a clipped change says so", () => {
    const engine = new PricingEngine(pricingCity(), policy({ maxMinor: 4500 }));
    const ds = feed(engine, "08:00", "10:00", () => [{ occupancy: 1 }]);
    expect(ds.map((d) => [d.newPrice, d.bounded, d.rule])).toEqual([
      [4000, false, "mean occupancy 1.00 ≥ upper2 0.95 → +Rp1,000"],
      [
        4500,
        true,
        "mean occupancy 1.00 ≥ upper2 0.95 → +Rp1,000, bounded to Rp4,500 (allowed Rp2,000–Rp4,500)",
      ],
    ]);
  });

  test("the legal ceiling of the zone class beats the controller's max", () => {
    const p = policy({}, { limits: [{ zoneClass: "A", vehicleTypes: ["car"], ceilingMinor: 3500 }] });
    const engine = new PricingEngine(pricingCity(), p);
    const ds = feed(engine, "08:00", "10:00", () => [{ occupancy: 1 }]);
    expect(ds.map((d) => d.newPrice)).toEqual([3500]);
  });

  test("never more than one change per minInterval", () => {
    const engine = new PricingEngine(pricingCity(), policy({ minInterval: "3h", maxMinor: 50000 }));
    const ds = feed(engine, "07:00", "12:00", () => [{ occupancy: 1 }]);
    expect(ds.map((d) => new Date(d.effectiveMs).toISOString())).toEqual([
      "2026-11-30T00:00:00.000Z",
      "2026-11-30T03:00:00.000Z",
    ]);
  });
});

describe("freezes and overrides", () => {
  test("a policy freeze holds the price and is logged on the decision", () => {
    const p = policy(
      {},
      {
        dynamic: {
          controllers: [stepController],
          freezes: [
            {
              zones: { ids: ["A1"] },
              from: "2026-11-30T08:30:00+08:00",
              to: "2026-11-30T10:00:00+08:00",
              reason: "council review",
            },
          ],
        },
      },
    );
    const engine = new PricingEngine(pricingCity(), p);
    const ds = feed(engine, "08:00", "11:00", () => [{ zone: "A1", occupancy: 0.9 }]);
    expect(
      ds.map((d) => [new Date(d.effectiveMs).getUTCHours() + 8, d.oldPrice, d.newPrice, d.frozen, d.rule]),
    ).toEqual([
      [9, 3000, 3000, true, "mean occupancy 0.90 ≥ upper 0.85 → +Rp500, held by freeze: council review"],
      [10, 3000, 3500, false, "mean occupancy 0.90 ≥ upper 0.85 → +Rp500"],
      [11, 3500, 4000, false, "mean occupancy 0.90 ≥ upper 0.85 → +Rp500"],
    ]);
    const slot = priceSlot(0, vehicleCode("car"), 0, engine.table.nBands); // A1, car, morning
    expect(engine.prices.changes(slot).map(([, price]) => price)).toEqual([3500, 4000]);
  });

  test("an operator freeze and an override are logged; the override shows in quotes", () => {
    const engine = new PricingEngine(pricingCity(), policy());
    const seen: TariffDecision[][] = [];
    engine.tariffs$.subscribe((ds) => seen.push(ds));
    const action = engine.freeze({
      zones: ["A2"],
      fromMs: at("08:00"),
      toMs: at("12:00"),
      reason: "event",
      by: "dishub",
    });
    expect(action).toEqual({
      action: "freeze",
      by: "dishub",
      zones: ["A2"],
      vehicleTypes: [...VEHICLE_TYPES],
      fromMs: at("08:00"),
      toMs: at("12:00"),
      reason: "event",
    });
    const ds = feed(engine, "08:00", "09:00", () => [
      { zone: "A1", occupancy: 0.9 },
      { zone: "A2", occupancy: 0.9 },
    ]);
    expect(ds.map((d) => [d.zone, d.frozen])).toEqual([
      ["A1", false],
      ["A2", true],
    ]);
    const o = engine.override({
      zone: "A2",
      vehicleType: "car",
      band: "morning",
      priceMinor: 4500,
      effectiveMs: at("09:30"),
      reason: "market day",
      by: "dishub",
    });
    expect(o).toMatchObject({
      controller: "override",
      controllerId: "dishub",
      oldPrice: 3000,
      newPrice: 4500,
      occupancy: null,
    });
    expect(o.rule).toBe("operator override by dishub: Rp3,000 → Rp4,500 (market day)");
    expect(engine.actions.map((a) => a.action)).toEqual(["freeze", "override"]);
    expect(seen).toEqual([ds, [o]]);
    const req = { zone: "A2", vehicleType: "car", startMs: at("09:00"), endMs: at("11:00") };
    expect(engine.quote({ ...req, assurance: "locked" }).amount).toBe(6000);
    // Integrated: 09:00–09:30 one unit at 3,000, 09:30–11:00 two units at 4,500.
    expect(engine.quote({ ...req, assurance: "integrated" }).amount).toBe(3000 + 2 * 4500);
    // The controller waits minInterval after an override; history is append-only.
    expect(
      issuesOf(() => engine.override({ ...o, priceMinor: 4000, effectiveMs: at("09:00"), reason: "x" })).map(
        (i) => i.path,
      ),
    ).toEqual(["effectiveMs"]);
    expect(
      issuesOf(() =>
        engine.override({
          zone: "Q",
          vehicleType: "car",
          band: "nope",
          priceMinor: 123,
          effectiveMs: 0,
          reason: "x",
        }),
      ).map((i) => i.path),
    ).toEqual(["zone", "band", "priceMinor"]);
  });
});

describe("pi controller", () => {
  const pi = {
    type: "pi",
    target: 0.8,
    kp: 10000,
    ki: 2000,
    integralLimit: 1,
    maxChangeMinor: 1000,
    deadBand: 0.05,
    lower: undefined,
    upper: undefined,
    stepMinor: undefined,
    upper2: undefined,
    step2Minor: undefined,
  };
  test("moves toward the target: P + I, limited per decision, rounded to the step", () => {
    const engine = new PricingEngine(pricingCity(), policy(pi));
    // error +0.10: 3000 + 10000·0.1 + 2000·0.1 = 4200 → change +1200 limited to +1000 → 4000.
    const ds = feed(engine, "08:00", "10:00", () => [{ occupancy: 0.9 }]);
    expect(ds.map((d) => [d.oldPrice, d.newPrice, d.rule])).toEqual([
      [3000, 4000, "mean occupancy 0.90, target 0.80 (error +0.10, integral +0.10) → +Rp1,000"],
      // second hour: 3000 + 1000 + 2000·0.2 = 4400 → +400 → rounds to +500.
      [4000, 4500, "mean occupancy 0.90, target 0.80 (error +0.10, integral +0.20) → +Rp500"],
    ]);
  });

  test("dead band holds; the integral stops growing at the max (anti-windup)", () => {
    const engine = new PricingEngine(pricingCity(), policy(pi));
    expect(feed(engine, "07:00", "08:00", () => [{ occupancy: 0.83 }])).toEqual([]);
    const ds = feed(engine, "08:00", "12:00", () => [{ occupancy: 1 }]);
    expect(ds.map((d) => d.newPrice)).toEqual([4000, 5000]);
    const i = engine.currentPrices().findIndex((p) => p.zone === "A1" && p.band === "morning");
    expect(engine.arrays.price[i]).toBe(5000);
    // +0.2 was integrated once; from the decision that reached the max on, it is held.
    expect(engine.arrays.integral[i]).toBeCloseTo(0.2, 10);
  });
});

describe("engine properties", () => {
  const rows = fc.array(
    fc.record({
      zone: fc.constantFrom("A1", "A2", "B1"),
      vehicleType: fc.constantFrom("car" as const, "motorcycle" as const),
      occupancy: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
      coverage: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    { maxLength: 4 },
  );
  const arbRun = fc.record({
    windows: fc.array(rows, { minLength: 1, maxLength: 150 }),
    startSlot: fc.integer({ min: 0, max: 24 * 12 }),
    type: fc.constantFrom("step", "pi"),
    minInterval: fc.constantFrom("5m", "1h", "2h", "1d"),
    every: fc.constantFrom("5m", "15m", "1h"),
  });

  type Run = fc.RecordValue<typeof arbRun> extends infer T ? T : never;
  /** The run's controller: its type, `every` and `minInterval`, for cars and motorcycles. */
  function controllerOf(r: Pick<Run, "type" | "every" | "minInterval">): Record<string, unknown> {
    return r.type === "step"
      ? { every: r.every, minInterval: r.minInterval, vehicleTypes: ["car", "motorcycle"] }
      : {
          type: "pi",
          target: 0.75,
          kp: 20000,
          ki: 5000,
          maxChangeMinor: 1500,
          deadBand: 0.02,
          lower: undefined,
          upper: undefined,
          stepMinor: undefined,
          upper2: undefined,
          step2Minor: undefined,
          every: r.every,
          minInterval: r.minInterval,
          vehicleTypes: ["car", "motorcycle"],
          zones: {},
        };
  }

  function run(r: Run) {
    const engine = new PricingEngine(pricingCity(), policy(controllerOf(r)));
    const lines: string[] = [];
    r.windows.forEach((w, i) => {
      for (const d of engine.onWindows(batch(DAY0 + (r.startSlot + i) * W, w))) lines.push(decisionLine(d));
    });
    return { engine, lines };
  }

  test("prices stay in [min, max], change at most once per minInterval, and the same inputs give the same decisions", () => {
    fc.assert(
      fc.property(arbRun, (r) => {
        const { engine, lines } = run(r);
        expect(run(r).lines).toEqual(lines);
        const minInterval = { "5m": 5, "1h": 60, "2h": 120, "1d": 1440 }[r.minInterval] * MIN;
        const last = new Map<string, number>();
        for (const d of engine.decisions) {
          expect(d.newPrice).toBeGreaterThanOrEqual(2000);
          expect(d.newPrice).toBeLessThanOrEqual(5000);
          expect(d.newPrice % 500).toBe(0);
          if (d.occupancy !== null) expect(d.occupancy).toBeGreaterThanOrEqual(0);
          if (d.frozen || d.newPrice === d.oldPrice) continue;
          const key = `${d.zone}|${d.vehicleType}|${d.band}`;
          const prev = last.get(key);
          if (prev !== undefined) expect(d.effectiveMs - prev).toBeGreaterThanOrEqual(minInterval);
          last.set(key, d.effectiveMs);
        }
        for (const p of engine.currentPrices())
          expect(p.priceMinor >= 2000 && p.priceMinor <= 5000).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  /** Windows as the occupancy engine makes them: integer bay-ms, and records whose ratios are their quotients. */
  const intRows = fc.array(
    fc.record({
      zone: fc.constantFrom(0, 1, 2),
      code: fc.constantFrom(vehicleCode("car"), vehicleCode("motorcycle")),
      known: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 0.5, 5 / 9, 1)),
      occupied: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 0.6, 0.8, 0.85, 1)),
      withOccupancy: fc.boolean(),
    }),
    { maxLength: 4 },
  );
  const arbIntRun = fc.record({
    windows: fc.array(intRows, { minLength: 1, maxLength: 120 }),
    startSlot: fc.integer({ min: 0, max: 24 * 12 }),
    type: fc.constantFrom("step", "pi"),
    minInterval: fc.constantFrom("5m", "1h", "2h", "1d"),
    every: fc.constantFrom("5m", "15m", "1h"),
  });

  test("typed window columns give the same decisions as records, for every controller type, every and minInterval", () => {
    fc.assert(
      fc.property(arbIntRun, (r) => {
        const city = pricingCity();
        const a = new PricingEngine(city, policy(controllerOf(r)));
        const b = new PricingEngine(city, policy(controllerOf(r)));
        r.windows.forEach((w, i) => {
          const start = DAY0 + (r.startSlot + i) * W;
          // One row per zone and class, as the occupancy engine emits them.
          const seen = new Set<number>();
          const rows = w
            .filter((x) => !seen.has(x.zone * 8 + x.code) && seen.add(x.zone * 8 + x.code))
            .sort((x, y) => x.zone - y.zone || x.code - y.code)
            .map((x) => {
              const cap = city.capacity[x.zone * VEHICLE_CODES + x.code]!;
              const knownMs = Math.round(x.known * cap * W);
              const occMs = Math.round(x.occupied * knownMs);
              return { ...x, cap, knownMs, occMs, has: x.withOccupancy && knownMs > 0 };
            });
          const records: WindowRecord[] = rows.map((x) => ({
            type: "occupancy",
            zone: city.zones[x.zone]!.id,
            vehicleType: VEHICLE_TYPES[x.code]!,
            windowStart: start,
            windowEnd: start + W,
            occupancy: x.has ? x.occMs / x.knownMs : null,
            coverage: x.knownMs / (x.cap * W),
            arrivals: 0,
            departures: 0,
            peakOccupied: 0,
            meanDwellMs: null,
            detection: "singleSpaceDetection",
            confidence: 1,
          }));
          const columns = {
            length: rows.length,
            zone: Uint32Array.from(rows, (x) => x.zone),
            vehicle: Uint8Array.from(rows, (x) => x.code),
            occupancy: Float64Array.from(rows, (x) => (x.has ? x.occMs / x.knownMs : Number.NaN)),
            coverage: Float64Array.from(rows, (x) => x.knownMs / (x.cap * W)),
            occupiedBayMs: Float64Array.from(rows, (x) => x.occMs),
            knownBayMs: Float64Array.from(rows, (x) => x.knownMs),
            capacity: Uint32Array.from(rows, (x) => x.cap),
          } as unknown as WindowColumns;
          expect(
            b.onWindows({
              windowStart: start,
              windowEnd: start + W,
              columns,
              get records(): never {
                throw new Error("records read");
              },
            }),
          ).toEqual(a.onWindows({ windowStart: start, windowEnd: start + W, records }));
        });
        expect(b.currentPrices()).toEqual(a.currentPrices());
      }),
      { numRuns: 60 },
    );
  });
});

test("controller pass over 10,000 zones × 2 classes", () => {
  const n = 20_000;
  const a = createControllerArrays(n, 1);
  a.ratios.set([3, 5], R.lower);
  a.ratios.set([4, 5], R.upper);
  a.ratios.set([2, 1], R.upper2);
  a.ratios.set([-1, 1], R.lower2);
  a.ratios.set([0, 1], R.minCoverage);
  a.params[P.step] = 250;
  a.params[P.minIntervalMs] = 0;
  for (let i = 0; i < n; i++) {
    a.lo[i] = 500;
    a.hi[i] = 10000;
    a.price[i] = 2000;
    a.occMs[i] = (i % 10) * 360_000;
    a.knownOccMs[i] = 3_600_000;
    a.knownMs[i] = 3_600_000;
    a.capacityMs[i] = 3_600_000;
  }
  const out = new Uint32Array(n);
  const count = controllerPass(a, 0, n, 0, out);
  // occupancy 0.0 … 0.5 go down (6 of 10), 0.8 and 0.9 go up (2 of 10).
  expect(count).toBe(n * 0.8);
  expect(a.price[0]).toBe(1750);
  expect(a.price[8]).toBe(2250);
  expect(a.price[7]).toBe(2000);
  expect(a.occMs[0]).toBe(0);
  expect(a.knownOccMs[0]).toBe(0);
  expect(a.params.length).toBe(P.stride);
  expect(a.ratios.length).toBe(R.stride);
});

test("the public parameter and ratio offsets match the kernel's", async () => {
  const k = await import("../../src/pricing/controller.js");
  expect([
    k.PARAM_STRIDE,
    k.P_STEP,
    k.P_STEP2,
    k.P_KP,
    k.P_KI,
    k.P_INTEGRAL_LIMIT,
    k.P_MAX_CHANGE,
    k.P_MIN_INTERVAL_MS,
    k.P_ROUND_STEP,
    k.P_TYPE,
  ]).toEqual([
    P.stride,
    P.step,
    P.step2,
    P.kp,
    P.ki,
    P.integralLimit,
    P.maxChange,
    P.minIntervalMs,
    P.roundStep,
    P.type,
  ]);
  expect([
    k.RATIO_STRIDE,
    k.R_LOWER,
    k.R_UPPER,
    k.R_LOWER2,
    k.R_UPPER2,
    k.R_TARGET,
    k.R_DEAD_LOW,
    k.R_DEAD_HIGH,
    k.R_MIN_COVERAGE,
  ]).toEqual([
    R.stride,
    R.lower,
    R.upper,
    R.lower2,
    R.upper2,
    R.target,
    R.deadLow,
    R.deadHigh,
    R.minCoverage,
  ]);
});

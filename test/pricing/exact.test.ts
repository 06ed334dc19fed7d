/**
 * Controller thresholds are compared exactly: occupancy and coverage are ratios of integer bay-ms, thresholds
 * the decimals the policy states, and every decision equals one taken with BigInt rationals.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { WindowBatch, WindowColumns } from "../../src/occupancy/types.js";
import {
  CONTROLLER_RULE,
  compareRatio,
  controllerPass,
  createControllerArrays,
  decimalRatio,
  loadPolicy,
  CONTROLLER_PARAM as P,
  PricingEngine,
  CONTROLLER_RATIO as R,
} from "../../src/pricing/index.js";
import { basePolicy, issuesOf, pricingCity } from "./fixtures.js";

const MIN = 60_000;
const W = 5 * MIN;
const DAY0 = Date.parse("2026-11-30T00:00:00+08:00");
const H8 = DAY0 + 8 * 60 * MIN;

function policy(controller: Record<string, unknown>) {
  return loadPolicy(
    basePolicy({
      tariffs: [
        {
          id: "car",
          vehicleTypes: ["car"],
          rates: [{ tiers: [{ fromMinutes: 0, unitMinutes: 60, amountMinor: 3000 }] }],
        },
      ],
      dynamic: {
        controllers: [
          {
            id: "c",
            zones: { ids: ["A1"] },
            vehicleTypes: ["car"],
            every: "1h",
            minInterval: "1h",
            minMinor: 1000,
            maxMinor: 9000,
            ...controller,
          },
        ],
      },
    }),
  );
}

/** One hour of 5-minute windows of zone A1's cars: `known` of its bays reporting, `occupied` of them occupied. */
function hour(cars: number, known: number, occupied: number, columns: boolean): WindowBatch[] {
  const out: WindowBatch[] = [];
  for (let t = H8; t < H8 + 60 * MIN; t += W) {
    const knownMs = known * W;
    const occMs = occupied * W;
    const rec = {
      type: "occupancy" as const,
      zone: "A1",
      vehicleType: "car" as const,
      windowStart: t,
      windowEnd: t + W,
      occupancy: occMs / knownMs,
      coverage: knownMs / (cars * W),
      arrivals: 0,
      departures: 0,
      peakOccupied: occupied,
      meanDwellMs: null,
      detection: "singleSpaceDetection" as const,
      confidence: 1,
    };
    const cols = {
      length: 1,
      zone: Uint32Array.of(0),
      vehicle: Uint8Array.of(3),
      occupancy: Float64Array.of(rec.occupancy),
      coverage: Float64Array.of(rec.coverage),
      occupiedBayMs: Float64Array.of(occMs),
      knownBayMs: Float64Array.of(knownMs),
      capacity: Uint32Array.of(cars),
    } as unknown as WindowColumns;
    out.push(
      columns
        ? { windowStart: t, windowEnd: t + W, columns: cols, records: [rec] }
        : { windowStart: t, windowEnd: t + W, records: [rec] },
    );
  }
  return out;
}

function decide(
  cars: number,
  known: number,
  occupied: number,
  controller: Record<string, unknown>,
  columns: boolean,
) {
  const engine = new PricingEngine(pricingCity("Asia/Makassar", "IDR", cars), policy(controller));
  return hour(cars, known, occupied, columns).flatMap((b) => engine.onWindows(b));
}

const SFPARK = { preset: "sfpark", scale: 1, stepMinor: 500, minMinor: 1000, maxMinor: 9000 };

describe("exact controller boundaries", () => {
  for (const columns of [false, true]) {
    const how = columns ? "typed columns" : "records";
    test(`SFpark: 4 of 5 reporting bays occupied is exactly the upper threshold 0.80, with 5 or 9 bays (${how})`, () => {
      for (const cars of [5, 9]) {
        const ds = decide(cars, 5, 4, SFPARK, columns);
        expect(ds.map((d) => [d.oldPrice, d.newPrice, d.rule])).toEqual([
          [3000, 3500, "mean occupancy 0.80 ≥ upper 0.80 → +Rp500"],
        ]);
      }
    });

    test(`PI: occupancy exactly target + dead band holds (${how})`, () => {
      const pi = { type: "pi", target: 0.75, deadBand: 0.05, kp: 10000, ki: 0, maxChangeMinor: 1000 };
      // 4 of 5 = 0.80 = 0.75 + 0.05: |error| ≤ dead band, no change, on 5 bays and on 9.
      expect(decide(5, 5, 4, pi, columns)).toEqual([]);
      expect(decide(9, 5, 4, pi, columns)).toEqual([]);
      // 3 of 5 = 0.60 is below 0.70: it acts.
      expect(decide(9, 5, 3, pi, columns).map((d) => d.newPrice)).toEqual([2000]);
    });

    test(`minCoverage: 3 of 5 bays reporting is exactly 0.6 coverage (${how})`, () => {
      const step = { type: "step", lower: 0.6, upper: 0.8, stepMinor: 500, minCoverage: 0.6 };
      expect(decide(5, 3, 3, step, columns).map((d) => d.newPrice)).toEqual([3500]);
      // 5 of 9 reporting is below 0.6: held.
      expect(decide(9, 5, 5, step, columns)).toEqual([]);
    });
  }

  test("thresholds are the decimals as written, with at most 12 places", () => {
    expect(decimalRatio(0.85)).toEqual([17, 20]);
    expect(decimalRatio(0.1)).toEqual([1, 10]);
    expect(decimalRatio(1)).toEqual([1, 1]);
    expect(decimalRatio(0)).toEqual([0, 1]);
    expect(decimalRatio(1e-7)).toEqual([1, 10_000_000]);
    expect(decimalRatio(0.123456789012)).toEqual([30864197253, 250000000000]);
    expect(decimalRatio(1e-13)).toBeNull();
    expect(decimalRatio(0.1234567890123)).toBeNull();
    expect(decimalRatio(Number.NaN)).toBeNull();
    const issues = issuesOf(() =>
      policy({ type: "step", lower: 0.6, upper: 0.8000000000001, stepMinor: 500 }),
    );
    expect(issues).toEqual([
      { path: "dynamic.controllers[0].upper", message: "must have at most 12 decimal places" },
    ]);
  });

  test("decimalRatio reads k / 10^j back exactly", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 12 }), fc.nat(), (j, k0) => {
        const den = 10 ** j;
        const k = k0 % (den + 1);
        const r = decimalRatio(k / den)!;
        expect(BigInt(r[0]) * BigInt(den)).toBe(BigInt(k) * BigInt(r[1]));
      }),
    );
  });
});

/** A decimal threshold in [0, 1] with 1 to 4 places, as a policy would state it. */
const arbThreshold = fc
  .record({ places: fc.integer({ min: 1, max: 4 }), k: fc.nat() })
  .map(({ places, k }) => (k % (10 ** places + 1)) / 10 ** places);

/** Integer bay-ms a and b with a ≤ b, often exactly on `at` (or one bay-ms off), small or near 2^50. */
function arbOnRatio(at: fc.Arbitrary<number>) {
  return fc
    .record({
      at,
      scale: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 2 ** 30 })),
      off: fc.constantFrom(-1, 0, 0, 1),
      b: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 2 ** 50 })),
      a: fc.double({ min: 0, max: 1, noNaN: true }),
      exact: fc.boolean(),
    })
    .map((x) => {
      if (!x.exact) return { a: Math.floor(x.a * x.b), b: x.b };
      const [n, d] = decimalRatio(x.at)!;
      const b = d * x.scale;
      return { a: Math.min(b, Math.max(0, n * x.scale + x.off)), b };
    });
}

/** Sign of a/b − n/d with BigInt. */
function big(a: number, b: number, [n, d]: readonly [number, number]): number {
  const x = BigInt(a) * BigInt(d);
  const y = BigInt(n) * BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

describe("controller decisions equal BigInt rational decisions", () => {
  test("compareRatio is the sign of a/b − n/d", () => {
    fc.assert(
      fc.property(arbThreshold, arbOnRatio(arbThreshold), (t, { a, b }) => {
        const r = decimalRatio(t)!;
        expect(compareRatio(a, b, r[0], r[1])).toBe(big(a, b, r));
      }),
      { numRuns: 2000 },
    );
  });

  test("step rule and minimum coverage", () => {
    const arb = fc
      .tuple(arbThreshold, arbThreshold, arbThreshold, arbThreshold, arbThreshold)
      .map((t) => [...t].sort((x, y) => x - y))
      .chain(([lower2, lower, upper, upper2, minCov]) =>
        fc.record({
          th: fc.constant({
            lower2: lower2!,
            lower: lower!,
            upper: upper!,
            upper2: upper2!,
            minCov: minCov!,
          }),
          occ: arbOnRatio(fc.constantFrom(lower2!, lower!, upper!, upper2!)),
          cov: arbOnRatio(fc.constant(minCov!)),
        }),
      );
    fc.assert(
      fc.property(arb, ({ th, occ, cov }) => {
        const a = createControllerArrays(1, 1);
        a.ratios.set(decimalRatio(th.lower)!, R.lower);
        a.ratios.set(decimalRatio(th.upper)!, R.upper);
        a.ratios.set(decimalRatio(th.lower2)!, R.lower2);
        a.ratios.set(decimalRatio(th.upper2)!, R.upper2);
        a.ratios.set(decimalRatio(th.minCov)!, R.minCoverage);
        a.params[P.step] = 500;
        a.params[P.step2] = 1000;
        a.lo[0] = 0;
        a.hi[0] = 100_000;
        a.price[0] = 50_000;
        a.occMs[0] = occ.a;
        a.knownOccMs[0] = occ.b;
        a.knownMs[0] = cov.a;
        a.capacityMs[0] = cov.b;
        const out = new Uint32Array(1);
        const count = controllerPass(a, 0, 1, 0, out);
        let rule = 0;
        if (big(cov.a, cov.b, decimalRatio(th.minCov)!) >= 0) {
          if (big(occ.a, occ.b, decimalRatio(th.upper2)!) >= 0) rule = CONTROLLER_RULE.step2Up;
          else if (big(occ.a, occ.b, decimalRatio(th.upper)!) >= 0) rule = CONTROLLER_RULE.stepUp;
          else if (big(occ.a, occ.b, decimalRatio(th.lower2)!) < 0) rule = CONTROLLER_RULE.step2Down;
          else if (big(occ.a, occ.b, decimalRatio(th.lower)!) < 0) rule = CONTROLLER_RULE.stepDown;
        }
        expect(count).toBe(rule === 0 ? 0 : 1);
        if (rule !== 0) expect(a.outRule[0]).toBe(rule);
      }),
      { numRuns: 2000 },
    );
  });

  test("PI dead band and the sign of the error", () => {
    const arb = fc
      .record({ target: arbThreshold, dead: arbThreshold.map((x) => x / 10) })
      .chain(({ target, dead }) =>
        fc.record({
          target: fc.constant(target),
          dead: fc.constant(Number(dead.toFixed(5))),
          occ: arbOnRatio(
            fc.constantFrom(
              target,
              Number(Math.min(1, target + dead).toFixed(5)),
              Number(Math.max(0, target - dead).toFixed(5)),
            ),
          ),
        }),
      );
    fc.assert(
      fc.property(arb, ({ target, dead, occ }) => {
        const engine = new PricingEngine(
          pricingCity(),
          policy({ type: "pi", target, deadBand: dead, kp: 0, ki: 0, maxChangeMinor: 500 }),
        );
        const a = engine.arrays;
        const t = decimalRatio(target)!;
        const d = decimalRatio(dead)!;
        // |a/b − t| ≤ d ⇔ (t − d)·b ≤ a ≤ (t + d)·b, in BigInt.
        const num = (x: readonly [number, number], y: readonly [number, number], s: bigint) =>
          [
            BigInt(x[0]) * BigInt(y[1]) + s * BigInt(y[0]) * BigInt(x[1]),
            BigInt(x[1]) * BigInt(y[1]),
          ] as const;
        const [ln, ld] = num(t, d, -1n);
        const [hn, hd] = num(t, d, 1n);
        const A = BigInt(occ.a);
        const B = BigInt(occ.b);
        const inside = A * ld >= ln * B && A * hd <= hn * B;
        a.occMs[0] = occ.a;
        a.knownOccMs[0] = occ.b;
        a.knownMs[0] = 1;
        a.capacityMs[0] = 1;
        controllerPass(a, 0, 1, 0, new Uint32Array(a.n));
        // The integral moves (by the error, sign exact) only outside the dead band.
        if (inside) expect(a.integral[0]).toBe(0);
        else expect(Math.sign(a.integral[0]!)).toBe(big(occ.a, occ.b, t));
      }),
      { numRuns: 300 },
    );
  });
});

test("a window row with figures that are not bay-ms is refused alone and counted", () => {
  const engine = new PricingEngine(pricingCity("Asia/Makassar", "IDR", 5), policy(SFPARK));
  for (const b of hour(5, 5, 4, false)) {
    const good = b.records[0]!;
    // The same zone and class again, broken three ways: each row is ignored, the good one still counts.
    engine.onWindows({
      ...b,
      records: [
        { ...good, occupancy: Number.NaN },
        { ...good, coverage: Number.POSITIVE_INFINITY },
        { ...good, occupancy: -0.5 },
        good,
      ],
    });
  }
  expect(engine.stats.recordsInvalid).toBe(12 * 3);
  expect(engine.decisions.map((d) => [d.newPrice, d.occupancy])).toEqual([[3500, 0.8]]);
});

test("thresholds may be written as decimals or percentages in text; the same exact values", () => {
  const asText = { type: "step", lower: "60%", upper: "0.8", stepMinor: 500, minCoverage: "55.5%" };
  const pol = policy(asText).dynamic!.controllers[0]!;
  expect([pol.lower, pol.upper, pol.minCoverage]).toEqual([0.6, 0.8, 0.555]);
  expect(pol.thresholds.minCoverage).toEqual([111, 200]);
  expect(decide(9, 5, 4, asText, true).map((d) => d.newPrice)).toEqual([3500]);
  const pct = (x: string) =>
    policy({ type: "pi", target: x, kp: 1, maxChangeMinor: 500 }).dynamic!.controllers[0]!;
  expect(["100%", "5%", "0.5%", "87.25%", "0", "1"].map((x) => pct(x).target)).toEqual([
    1, 0.05, 0.005, 0.8725, 0, 1,
  ]);
  for (const bad of ["85", "1.5", "120%", "0.8.1", "-5%", "abc", ""])
    expect(issuesOf(() => pct(bad)).map((i) => i.path)).toEqual(["dynamic.controllers[0].target"]);
});

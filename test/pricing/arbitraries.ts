/**
 * Random tariff policies for property tests of the JS billing code (test/pricing) and of the wasm billing
 * kernel against it (test/pricing/wasm-billing): bands (with day-of-week and holiday rules), per-visit and tiered
 * rates, grace, caps, a vehicle multiplier, a surcharge and rounding, in Asia/Makassar or Europe/Berlin.
 */
import fc from "fast-check";

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

/** Time zones the random policies are compiled in (a test maps each to its city). */
export type PolicyZone = "makassar" | "berlin";

/** Tiers: runs of units (1–60 min, 1–4 of them), the last one optionally priced for the rest of the stay. */
const arbTiers = fc
  .array(
    fc.record({
      unit: fc.constantFrom(1, 5, 15, 30, 60),
      count: fc.integer({ min: 1, max: 4 }),
      amount: fc.integer({ min: 0, max: 6000 }),
      rest: fc.boolean(),
    }),
    { minLength: 1, maxLength: 3 },
  )
  .map((parts) => {
    let from = 0;
    return parts.map((p, i) => {
      const t =
        i === parts.length - 1 && p.rest
          ? { fromMinutes: from, amountMinor: p.amount }
          : { fromMinutes: from, unitMinutes: p.unit, amountMinor: p.amount };
      from += p.unit * p.count;
      return t;
    });
  });

const arbRate = fc
  .record({
    perVisit: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }),
    tiers: fc.option(arbTiers, { nil: undefined }),
  })
  .map(({ perVisit, tiers }) => ({
    ...(perVisit !== undefined || tiers === undefined ? { perVisitMinor: perVisit ?? 1000 } : {}),
    ...(tiers !== undefined ? { tiers } : {}),
  }));

const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;

/** A band on a 15-minute grid, possibly across midnight, on some weekdays, with a holiday rule. */
const arbBand = fc
  .record({
    start: fc.integer({ min: 0, max: 95 }),
    len: fc.integer({ min: 1, max: 95 }),
    days: fc.subarray([...DAYS], { minLength: 1 }),
    holidays: fc.constantFrom("any", "only", "except"),
  })
  .map(({ start, len, days, holidays }) => ({
    timeOfDayStart: hhmm(start * 15),
    timeOfDayEnd: hhmm(((start + len) % 96) * 15 || 1440),
    daysOfWeek: days,
    holidays,
  }));

/**
 * A random policy document for cars and heavy vehicles, with `holidays` as its calendar, and the time zone to
 * compile it in.
 *
 * @example fc.property(arbPolicyDoc(["2025-03-28"]), ({ doc, tz }) => …)
 */
export function arbPolicyDoc(holidays: readonly string[]): fc.Arbitrary<{ doc: object; tz: PolicyZone }> {
  return fc
    .record({
      rule: fc.constantFrom("nearest", "up", "down"),
      step: fc.constantFrom(1, 100, 500),
      bands: fc.array(fc.tuple(arbBand, arbRate), { minLength: 0, maxLength: 3 }),
      fallback: fc.option(arbRate, { nil: undefined }),
      grace: fc.integer({ min: 0, max: 30 }),
      maxFeeSteps: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
      capSteps: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
      heavy: fc.constantFrom(1, 1.5, 2, 2.7),
      surcharge: fc.option(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom(0.5, 2, 3)), {
        nil: undefined,
      }),
      tz: fc.constantFrom<PolicyZone>("makassar", "berlin"),
    })
    .filter((p) => p.bands.length > 0 || p.fallback !== undefined)
    .map((p) => {
      const bands = p.bands.map(([b], i) => ({ id: `b${i}`, ...b }));
      const rates = p.bands.map(([, r], i) => ({ band: `b${i}`, ...r }));
      if (p.fallback) rates.push({ band: "always", ...p.fallback });
      const doc = {
        id: "random",
        name: "random",
        currency: "IDR",
        rounding: { stepMinor: p.step, rule: p.rule },
        calendar: { holidays: [...holidays] },
        bands,
        vehicleMultipliers: { heavy: p.heavy },
        surcharges:
          p.surcharge && p.surcharge[0] < bands.length
            ? [{ id: "s", band: `b${p.surcharge[0]}`, multiplier: p.surcharge[1] }]
            : [],
        tariffs: [
          {
            id: "t",
            vehicleTypes: ["car", "heavy"],
            graceMinutes: p.grace,
            ...(p.maxFeeSteps !== undefined ? { maxFeeMinor: p.maxFeeSteps * p.step * 10 } : {}),
            ...(p.capSteps !== undefined ? { dailyCapMinor: p.capSteps * p.step * 10 } : {}),
            rates,
          },
        ],
      };
      return { doc, tz: p.tz };
    });
}

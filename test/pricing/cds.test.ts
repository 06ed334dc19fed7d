import { expect, test } from "vitest";
import { loadPolicy, PricingEngine, toCds } from "../../src/pricing/index.js";
import { basePolicy, pricingCity, tableOf } from "./fixtures.js";

const PUBLISHED = Date.parse("2026-11-01T00:00:00+08:00");

const doc = {
  calendar: { holidays: ["2026-12-25"] },
  bands: [
    {
      id: "day",
      timeOfDayStart: "08:00",
      timeOfDayEnd: "18:00",
      daysOfWeek: ["mon", "tue", "wed", "thu", "fri"],
      holidays: "except",
    },
    { id: "night", timeOfDayStart: "22:00", timeOfDayEnd: "06:00" },
  ],
  tariffs: [
    {
      id: "car",
      vehicleTypes: ["car"],
      graceMinutes: 5,
      rates: [
        {
          band: "day",
          tiers: [
            { fromMinutes: 0, unitMinutes: 60, amountMinor: 3000 },
            { fromMinutes: 60, unitMinutes: 15, amountMinor: 500 },
          ],
        },
        { band: "night", perVisitMinor: 2000 },
      ],
    },
  ],
};

test("rates and time spans in CDS field names", () => {
  const out = toCds(tableOf(doc), { publishedMs: PUBLISHED });
  const day = out.policies.find((p) => p.priority === 1)!;
  expect(day).toMatchObject({
    published_date: PUBLISHED,
    rules: [
      {
        activity: "parking",
        user_classes: ["car"],
        rate: [
          {
            rate: 3000,
            rate_unit: "hour",
            rate_unit_period: "rolling",
            increment_duration: 1,
            end_duration: 1,
          },
          {
            rate: 2000,
            rate_unit: "hour",
            rate_unit_period: "rolling",
            increment_amount: 500,
            start_duration: 1,
          },
        ],
      },
    ],
    time_spans: [
      {
        days_of_week: ["mon", "tue", "wed", "thu", "fri"],
        designated_period: "holidays",
        designated_period_except: true,
        time_of_day_start: "08:00",
        time_of_day_end: "18:00",
      },
    ],
  });
  expect(day.curb_policy_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const night = out.policies.find((p) => p.priority === 2)!;
  expect(night.rules[0]!.rate).toEqual([
    { rate: 2000, rate_unit: "day", rate_unit_period: "rolling", increment_duration: 1 },
  ]);
  expect(night.time_spans).toEqual([{ time_of_day_start: "22:00" }, { time_of_day_end: "06:00" }]);
  // Every zone uses the same two policies; motorcycles keep the base per-visit tariff in a third.
  expect(out.zones.map((z) => z.user_zone_id)).toEqual(["A1", "A2", "B1"]);
  expect(out.zones[0]!.curb_policy_ids).toContain(day.curb_policy_id);
  expect(out.notes).toEqual(
    expect.arrayContaining([
      "tariffs[0]: grace period (5 min free) has no CDS field",
      "tariffs[0].rates[1]: per-visit fee exported as a per-day rate (the same for stays under 24 h)",
    ]),
  );
});

test("deterministic, and dynamic prices at an instant give their own policies", () => {
  const a = JSON.stringify(toCds(tableOf(doc), { publishedMs: PUBLISHED }));
  expect(JSON.stringify(toCds(tableOf(doc), { publishedMs: PUBLISHED }))).toBe(a);
  const city = pricingCity();
  const engine = new PricingEngine(
    city,
    loadPolicy(
      basePolicy({
        ...doc,
        dynamic: {
          controllers: [
            {
              id: "c",
              type: "step",
              zones: { ids: ["A1"] },
              bands: ["day"],
              every: "1h",
              minInterval: "1h",
              lower: 0.5,
              upper: 0.8,
              stepMinor: 500,
              minMinor: 1000,
              maxMinor: 6000,
            },
          ],
        },
      }),
    ),
  );
  const t = Date.parse("2026-11-30T10:00:00+08:00");
  engine.override({
    zone: "A1",
    vehicleType: "car",
    band: "day",
    priceMinor: 4000,
    effectiveMs: t,
    reason: "test",
  });
  const before = toCds(engine.table, { publishedMs: PUBLISHED, prices: engine.prices, atMs: t - 1 });
  const after = toCds(engine.table, { publishedMs: PUBLISHED, prices: engine.prices, atMs: t });
  expect(before.zones[0]!.curb_policy_ids).toEqual(before.zones[1]!.curb_policy_ids);
  expect(after.zones[0]!.curb_policy_ids[0]).not.toBe(after.zones[1]!.curb_policy_ids[0]);
  const a1 = after.policies.find((p) => p.curb_policy_id === after.zones[0]!.curb_policy_ids[0])!;
  // Headline 4,000 (+1,000): the later tier moves by the same delta, 1,500 per 15 min.
  expect(a1.rules[0]!.rate.map((r) => r.rate)).toEqual([4000, 6000]);
});

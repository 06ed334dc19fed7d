import { describe, expect, test } from "vitest";
import { loadPolicy, type Quote, quote, type TariffTable } from "../../src/pricing/index.js";
import { basePolicy, issuesOf, pricingCity, tableOf } from "./fixtures.js";

const MIN = 60_000;
const H = 60 * MIN;

function q(table: TariffTable, start: string, minutes: number, vehicleType = "car", zone = "A1"): Quote {
  const s = Date.parse(start);
  const r = quote(table, { zone, vehicleType, startMs: s, endMs: s + minutes * MIN });
  // Every quote: the breakdown adds up, and the amount sits on the rounding grid.
  expect(r.breakdown.reduce((a, l) => a + l.amount, 0)).toBe(r.amount);
  expect(r.amount % table.roundStepMinor).toBe(0);
  return r;
}
const amount = (table: TariffTable, start: string, minutes: number, vehicleType = "car") =>
  q(table, start, minutes, vehicleType).amount;

const car = (rate: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  tariffs: [{ id: "car", vehicleTypes: ["car"], rates: [rate], ...extra }],
});
const tiers = (...t: [number, number | undefined, number][]) =>
  t.map(([fromMinutes, unitMinutes, amountMinor]) =>
    unitMinutes === undefined ? { fromMinutes, amountMinor } : { fromMinutes, unitMinutes, amountMinor },
  );
const MON = "2026-11-30T09:00:00+08:00"; // a Monday in Palu

describe("charge shapes, hand-computed", () => {
  test("flat per visit", () => {
    const t = tableOf({});
    expect([amount(t, MON, 1), amount(t, MON, 600), amount(t, MON, 1, "motorcycle")]).toEqual([
      4000, 4000, 2000,
    ]);
    expect(amount(t, MON, 0)).toBe(0); // a zero-length stay is no visit
    expect(q(t, MON, 30).breakdown).toEqual([
      { from: MON, to: "2026-11-30T09:30:00+08:00", label: "visit fee (car, all times)", amount: 4000 },
    ]);
  });

  test("per started 15 minutes", () => {
    const t = tableOf(car({ tiers: tiers([0, 15, 500]) }));
    expect([1, 15, 16, 30, 31, 60].map((m) => amount(t, MON, m))).toEqual([500, 500, 1000, 1000, 1500, 2000]);
  });

  test("progressive: first hour Rp3,000, each later hour Rp2,000, after 4 h one Rp5,000 unit for the rest", () => {
    const t = tableOf(car({ tiers: tiers([0, 60, 3000], [60, 60, 2000], [240, undefined, 5000]) }));
    expect([30, 60, 61, 150, 240, 241, 600].map((m) => amount(t, MON, m))).toEqual([
      3000, 3000, 5000, 7000, 9000, 14000, 14000,
    ]);
    expect(q(t, MON, 150).breakdown.map((l) => [l.label, l.amount])).toEqual([
      ["1 × 1 h at Rp3,000 (car, all times)", 3000],
      ["2 × 1 h at Rp2,000 (car, all times)", 4000],
    ]);
  });

  test("entry fee plus units", () => {
    const t = tableOf(car({ perVisitMinor: 1000, tiers: tiers([0, 60, 2000]) }));
    expect([1, 61].map((m) => amount(t, MON, m))).toEqual([3000, 5000]);
  });

  test("grace period: under 10 minutes is free", () => {
    const t = tableOf(car({ perVisitMinor: 4000 }, { graceMinutes: 10 }));
    expect([9, 10, 11].map((m) => amount(t, MON, m))).toEqual([0, 4000, 4000]);
    expect(q(t, MON, 9).breakdown[0]!.label).toBe("free: stay shorter than the 10 min grace period");
  });

  test("daily cap per local day and maximum fee per visit", () => {
    const t = tableOf(car({ tiers: tiers([0, 60, 1000]) }, { dailyCapMinor: 10000 }));
    // From Monday 09:00: 9 h, 10 h; 24 h = Monday 09–24 (15 units, capped) + Tuesday 00–09 (9 units);
    // 26 h = both days capped.
    expect([9 * 60, 10 * 60, 24 * 60, 26 * 60].map((m) => amount(t, MON, m))).toEqual([
      9000, 10000, 19000, 20000,
    ]);
    const lines = q(t, MON, 26 * 60).breakdown;
    expect(lines.filter((l) => l.label.startsWith("daily cap")).map((l) => [l.from, l.to, l.amount])).toEqual(
      [
        [MON, "2026-12-01T00:00:00+08:00", -5000],
        ["2026-12-01T00:00:00+08:00", "2026-12-01T11:00:00+08:00", -1000],
      ],
    );
    // Units restart at local midnight in a capped tariff: 23:30–00:30 is two units.
    expect(amount(t, "2026-11-30T23:30:00+08:00", 60)).toBe(2000);
    // A whole local day is capped once.
    expect(amount(t, "2026-11-30T00:00:00+08:00", 24 * 60)).toBe(10000);
    const m = tableOf(car({ tiers: tiers([0, 60, 1000]) }, { maxFeeMinor: 5000 }));
    expect([4 * 60, 5 * 60, 30 * 60].map((x) => amount(m, MON, x))).toEqual([4000, 5000, 5000]);
  });

  test("vehicle multiplier and rounding rules", () => {
    const doc = (rule: string) => ({
      rounding: { stepMinor: 500, rule },
      vehicleMultipliers: { heavy: 1.3 },
      tariffs: [{ id: "t", vehicleTypes: ["car", "heavy"], rates: [{ tiers: tiers([0, 60, 1000]) }] }],
    });
    // heavy: 1,300 per hour; 2 h = 2,600.
    expect(amount(tableOf(doc("up")), MON, 120, "heavy")).toBe(3000);
    expect(amount(tableOf(doc("nearest")), MON, 120, "heavy")).toBe(2500);
    expect(amount(tableOf(doc("down")), MON, 120, "heavy")).toBe(2500);
    expect(amount(tableOf(doc("up")), MON, 120, "car")).toBe(2000);
    expect(q(tableOf(doc("up")), MON, 120, "heavy").breakdown.at(-1)).toMatchObject({
      label: "rounded up to a multiple of Rp500",
      amount: 400,
    });
  });

  test("event-day surcharge ×2 and a holiday band", () => {
    const t = tableOf({
      calendar: { holidays: ["2026-12-25"], eventDays: ["2026-12-01"] },
      bands: [
        { id: "holiday", holidays: "only" },
        { id: "event", eventDays: "only" },
      ],
      tariffs: [
        {
          id: "car",
          vehicleTypes: ["car"],
          rates: [
            { band: "holiday", perVisitMinor: 0 },
            { band: "always", tiers: tiers([0, 60, 1000]) },
          ],
        },
      ],
      surcharges: [{ id: "event", label: "event day", band: "event", multiplier: 2 }],
    });
    expect(amount(t, MON, 120)).toBe(2000);
    expect(amount(t, "2026-12-01T09:00:00+08:00", 120)).toBe(4000);
    expect(amount(t, "2026-12-25T09:00:00+08:00", 120)).toBe(0);
    // 23:00 on the event day to 01:00 the next day: one doubled hour, one plain hour.
    expect(amount(t, "2026-12-01T23:00:00+08:00", 120)).toBe(3000);
  });

  test("days of week: weekends free", () => {
    const t = tableOf({
      bands: [{ id: "weekdays", daysOfWeek: ["mon", "tue", "wed", "thu", "fri"] }],
      tariffs: [
        { id: "car", vehicleTypes: ["car"], rates: [{ band: "weekdays", tiers: tiers([0, 60, 1000]) }] },
      ],
    });
    expect(amount(t, "2026-11-28T09:00:00+08:00", 120)).toBe(0); // Saturday
    // Sunday 23:00 → Monday 02:00: only the Monday units (00:00 and 01:00) are paid.
    expect(amount(t, "2026-11-29T23:30:00+08:00", 150)).toBe(2000);
  });
});

describe("across midnight and band boundaries", () => {
  const dayNight = tableOf({
    bands: [
      { id: "day", label: "08-18", timeOfDayStart: "08:00", timeOfDayEnd: "18:00" },
      { id: "evening", label: "18-22", timeOfDayStart: "18:00", timeOfDayEnd: "22:00" },
    ],
    tariffs: [
      {
        id: "car",
        vehicleTypes: ["car"],
        rates: [
          { band: "day", tiers: tiers([0, 60, 3000], [60, 30, 1000]) },
          { band: "evening", perVisitMinor: 2000 },
        ],
      },
    ],
  });

  test("a unit never spans a band boundary; the visit fee of any band met is charged", () => {
    // 17:10–18:00 one day unit (Rp3,000); the evening's visit fee (Rp2,000) once; 22:00–08:00 free; next day
    // 08:00–10:00 is a new day segment: its first hour (Rp3,000), then two 30-minute units.
    const r = q(dayNight, "2026-11-30T17:10:00+08:00", 16 * 60 + 50);
    expect(r.amount).toBe(3000 + 2000 + 3000 + 2 * 1000);
    expect(r.breakdown.map((l) => [l.from, l.to, l.amount])).toEqual([
      ["2026-11-30T18:00:00+08:00", "2026-12-01T10:00:00+08:00", 2000],
      ["2026-11-30T17:10:00+08:00", "2026-11-30T18:00:00+08:00", 3000],
      ["2026-12-01T08:00:00+08:00", "2026-12-01T09:00:00+08:00", 3000],
      ["2026-12-01T09:00:00+08:00", "2026-12-01T10:00:00+08:00", 2000],
    ]);
    // Arriving a minute before the evening band never avoids its visit fee.
    expect(amount(dayNight, "2026-11-30T17:59:00+08:00", 62)).toBe(3000 + 2000);
    expect(amount(dayNight, "2026-11-30T18:00:00+08:00", 61)).toBe(2000);
  });

  test("arriving in the evening band pays its visit fee once, then day units next morning", () => {
    // Tiers count from the start of each segment: 08:00 starts the day band's first hour.
    expect(amount(dayNight, "2026-11-30T21:00:00+08:00", 12 * 60)).toBe(2000 + 3000);
    expect(amount(dayNight, "2026-11-30T21:00:00+08:00", 12 * 60 + 1)).toBe(2000 + 3000 + 1000);
  });

  test("units across a time-band boundary at noon", () => {
    const t = tableOf({
      bands: [
        { id: "morning", timeOfDayStart: "07:00", timeOfDayEnd: "12:00" },
        { id: "afternoon", timeOfDayStart: "12:00", timeOfDayEnd: "17:00" },
      ],
      tariffs: [
        {
          id: "car",
          vehicleTypes: ["car"],
          rates: [
            { band: "morning", tiers: tiers([0, 30, 1000]) },
            { band: "afternoon", tiers: tiers([0, 30, 2000]) },
          ],
        },
      ],
    });
    expect(amount(t, "2026-11-30T11:30:00+08:00", 60)).toBe(3000);
    // 11:45–12:00 one morning unit; 12:00–12:45 two afternoon units (a unit never spans noon).
    expect(amount(t, "2026-11-30T11:45:00+08:00", 60)).toBe(1000 + 2000 + 2000);
    expect(amount(t, "2026-11-30T11:45:00+08:00", 15)).toBe(1000);
    expect(amount(t, "2026-11-30T11:45:00+08:00", 16)).toBe(1000 + 2000);
  });

  test("a band that wraps past midnight applies within the same date", () => {
    const t = tableOf({
      bands: [{ id: "night", timeOfDayStart: "22:00", timeOfDayEnd: "06:00" }],
      tariffs: [
        { id: "car", vehicleTypes: ["car"], rates: [{ band: "night", tiers: tiers([0, 60, 1000]) }] },
      ],
    });
    // 21:00 → 07:00: units at 22:00 … 05:00 (8 units) are night units.
    expect(amount(t, "2026-11-30T21:00:00+08:00", 600)).toBe(8000);
  });
});

describe("daylight saving (Europe/Berlin) proves local time is right", () => {
  const city = pricingCity("Europe/Berlin", "EUR");
  const table = () =>
    tableOf(
      {
        currency: "EUR",
        rounding: { stepMinor: 10, rule: "up" },
        bands: [
          { id: "night", timeOfDayStart: "00:00", timeOfDayEnd: "06:00" },
          { id: "day", timeOfDayStart: "06:00", timeOfDayEnd: "24:00" },
        ],
        tariffs: [
          {
            id: "car",
            vehicleTypes: ["car"],
            rates: [
              { band: "night", tiers: tiers([0, 60, 100]) },
              { band: "day", tiers: tiers([0, 60, 200]) },
            ],
          },
        ],
      },
      city,
    );
  const t = table();
  const euro = (startIso: string, endIso: string) =>
    quote(t, { zone: "A1", vehicleType: "car", start: startIso, end: endIso }).amount;

  test("spring forward: 00:30 CET to 06:00 CEST is 4.5 real hours (5 night units), then one day unit", () => {
    expect(euro("2025-03-30T00:30:00+01:00", "2025-03-30T06:30:00+02:00")).toBe(5 * 100 + 200);
    expect(euro("2025-03-30T00:30:00+01:00", "2025-03-30T06:00:00+02:00")).toBe(5 * 100);
  });

  test("the 06:00 boundary is local (04:00Z on the switch day, 05:00Z the day before)", () => {
    // 05:30–06:00 one night unit, 06:00–07:30 two day units (at 05:00Z it would be two night units and one day unit).
    expect(euro("2025-03-30T05:30:00+02:00", "2025-03-30T07:30:00+02:00")).toBe(100 + 2 * 200);
    expect(euro("2025-03-29T05:30:00+01:00", "2025-03-29T07:30:00+01:00")).toBe(100 + 2 * 200);
  });

  test("fall back: a whole local day has 25 hourly units", () => {
    const r = quote(t, {
      zone: "A1",
      vehicleType: "car",
      start: "2025-10-26T00:00:00+02:00",
      end: "2025-10-27T00:00:00+01:00",
    });
    // 00:00-06:00 local is 7 real hours (02:00-03:00 happens twice), then 18 day hours.
    expect(r.amount).toBe(7 * 100 + 18 * 200);
    expect(r.currency).toBe("EUR");
  });
});

describe("bad requests", () => {
  test("every problem with its path", () => {
    const t = tableOf({});
    expect(
      issuesOf(() =>
        quote(t, {
          zone: "Z9",
          vehicleType: "bicycle",
          start: "yesterday",
          end: 5,
          assurance: "maybe" as "locked",
        }),
      ).map((i) => i.path),
    ).toEqual(["zone", "vehicleType", "start", "assurance"]);
    expect(issuesOf(() => quote(t, { zone: "A1", vehicleType: "car", startMs: 10, endMs: 5 }))[0]!.path).toBe(
      "end",
    );
  });

  test("a zone or class without a tariff is free and says so", () => {
    const t = tableOf({
      tariffs: [
        { id: "car", zones: { zoneClass: "B" }, vehicleTypes: ["car"], rates: [{ perVisitMinor: 4000 }] },
      ],
    });
    const r = q(t, MON, 60, "car", "A1");
    expect(r.amount).toBe(0);
    expect(r.breakdown[0]!.label).toMatch(/no tariff applies/);
    expect(q(t, MON, 60, "car", "B1").amount).toBe(4000);
  });

  test("ISO and ms give the same quote", () => {
    const t = tableOf(car({ tiers: tiers([0, 60, 1000]) }));
    const a = quote(t, { zone: "A1", vehicleType: "4", start: MON, end: "2026-11-30T11:00:00+08:00" });
    const b = quote(t, {
      zone: "A1",
      vehicleType: "car",
      startMs: Date.parse(MON),
      endMs: Date.parse(MON) + 2 * H,
    });
    expect(a).toEqual(b);
    expect(loadPolicy(basePolicy()).id).toBe("test");
  });
});

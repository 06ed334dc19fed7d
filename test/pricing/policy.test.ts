import { existsSync, readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { loadCityFile } from "../../src/catalog/index.js";
import {
  compileTariffs,
  loadPolicy,
  loadPolicyFile,
  PricingEngine,
  quote,
  SFPARK,
} from "../../src/pricing/index.js";
import { basePolicy, issuesOf, pricingCity, tableOf } from "./fixtures.js";

const T = Date.parse("2026-11-30T09:00:00+08:00");
const paths = (fn: () => unknown) => issuesOf(fn).map((i) => i.path);

describe("policy validation reports every problem with its JSON path", () => {
  test("schema problems", () => {
    const issues = issuesOf(() =>
      loadPolicy(
        basePolicy({
          currency: "rupiah",
          rounding: { stepMinor: 0, rule: "sideways" },
          calendar: { holidays: ["2026-02-30"] },
          bands: [{ id: "b", timeOfDayStart: "25:00", daysOfWeek: ["monday"] }],
          tariffs: [
            {
              id: "t",
              vehicleTypes: ["bicycle"],
              rates: [{ tiers: [{ fromMinutes: 5, unitMinutes: 60, amountMinor: 1.5 }] }, {}],
            },
          ],
        }),
      ),
    );
    const p = issues.map((i) => i.path);
    expect(p).toEqual(
      expect.arrayContaining([
        "currency",
        "rounding.stepMinor",
        "rounding.rule",
        "calendar.holidays[0]",
        "bands[0].timeOfDayStart",
        "bands[0].daysOfWeek[0]",
        "tariffs[0].vehicleTypes[0]",
        "tariffs[0].rates[0].tiers[0].amountMinor",
        "tariffs[0].rates[1]",
      ]),
    );
    for (const i of issues) expect(i.message.length).toBeGreaterThan(3);
  });

  test("tiers must line up with the previous tier's units", () => {
    const tiers = [
      { fromMinutes: 0, unitMinutes: 60, amountMinor: 1000 },
      { fromMinutes: 90, unitMinutes: 30, amountMinor: 500 },
      { fromMinutes: 120, amountMinor: 500 },
      { fromMinutes: 180, unitMinutes: 30, amountMinor: 500 },
    ];
    expect(
      paths(() =>
        loadPolicy(basePolicy({ tariffs: [{ id: "t", vehicleTypes: ["car"], rates: [{ tiers }] }] })),
      ),
    ).toEqual(["tariffs[0].rates[0].tiers[1].fromMinutes", "tariffs[0].rates[0].tiers[2].unitMinutes"]);
  });

  test("cross-references", () => {
    const p = paths(() =>
      loadPolicy(
        basePolicy({
          bands: [{ id: "day", timeOfDayStart: "08:00", timeOfDayEnd: "18:00" }, { id: "day" }],
          tariffs: [
            {
              id: "t",
              vehicleTypes: ["car"],
              maxFeeMinor: 1200,
              rates: [{ band: "nope", perVisitMinor: 1000 }],
            },
            {
              id: "t",
              vehicleTypes: ["car"],
              rates: [
                { band: "day", perVisitMinor: 1 },
                { band: "day", perVisitMinor: 1 },
              ],
            },
          ],
          surcharges: [{ id: "s", band: "ghost", multiplier: 2 }],
        }),
      ),
    );
    expect(p).toEqual([
      "bands[1].id",
      "tariffs[0].maxFeeMinor",
      "tariffs[0].rates[0].band",
      "tariffs[1].id",
      "tariffs[1].rates[1].band",
      "surcharges[0].band",
    ]);
  });

  test("controllers: required fields, grid, presets and freezes", () => {
    const p = paths(() =>
      loadPolicy(
        basePolicy({
          dynamic: {
            controllers: [
              { id: "a", type: "step", every: "1h", minMinor: 1000, maxMinor: 900, stepMinor: 250 },
              { id: "b", preset: "sfpark" },
              {
                id: "c",
                type: "pi",
                every: "1h",
                minInterval: "1h",
                minMinor: 0,
                maxMinor: 5000,
                target: 0.8,
              },
              { id: "c", preset: "calgary", type: "pi", scale: 10 },
            ],
            freezes: [
              { from: "2016-01-01T00:00:00-07:00", to: "2015-01-01T00:00:00-07:00", reason: "council" },
            ],
          },
        }),
      ),
    );
    expect(p).toEqual(
      expect.arrayContaining([
        "dynamic.controllers[0].stepMinor",
        "dynamic.controllers[0].minInterval",
        "dynamic.controllers[0].minMinor",
        "dynamic.controllers[0].lower",
        "dynamic.controllers[0].upper",
        "dynamic.controllers[1].scale",
        "dynamic.controllers[2].kp",
        "dynamic.controllers[2].maxChangeMinor",
        "dynamic.controllers[3].id",
        "dynamic.controllers[3].type",
        "dynamic.freezes[0].to",
      ]),
    );
  });

  test("a duration must have a unit", () => {
    const c = { id: "c", type: "step", every: "1 hour" };
    expect(paths(() => loadPolicy(basePolicy({ dynamic: { controllers: [c] } })))).toEqual([
      "dynamic.controllers[0].every",
    ]);
  });

  test("unknown variant", () => {
    expect(issuesOf(() => loadPolicy(basePolicy(), { variant: "dynamic" }))[0]!.message).toMatch(
      /no variant "dynamic"/,
    );
  });

  test("against a city: unknown zones, currency, legal limits, controller bounds", () => {
    const city = pricingCity();
    expect(
      paths(() =>
        compileTariffs(
          city,
          loadPolicy(
            basePolicy({
              currency: "EUR",
              tariffs: [
                {
                  id: "t",
                  zones: { ids: ["A1", "Z9"] },
                  vehicleTypes: ["car"],
                  rates: [{ perVisitMinor: 500 }],
                },
              ],
              limits: [{ zoneClass: "A", vehicleTypes: ["car"], floorMinor: 1000 }],
            }),
          ),
        ),
      ),
    ).toEqual(["currency", "tariffs[0].zones.ids[1]", "tariffs[0].rates[0]"]);
    const policy = loadPolicy(
      basePolicy({
        tariffs: [
          {
            id: "t",
            vehicleTypes: ["car"],
            rates: [{ tiers: [{ fromMinutes: 0, unitMinutes: 60, amountMinor: 500 }] }],
          },
        ],
        dynamic: {
          controllers: [
            {
              id: "c",
              type: "step",
              every: "1h",
              minInterval: "1h",
              lower: 0.6,
              upper: 0.8,
              stepMinor: 500,
              minMinor: 1000,
              maxMinor: 5000,
            },
          ],
        },
      }),
    );
    expect(paths(() => new PricingEngine(city, policy))).toEqual(["tariffs[0].rates[0]"]);
  });

  test("a file that is missing or not JSON", () => {
    expect(issuesOf(() => loadPolicyFile("/no/such/policy.json"))[0]!.message).toMatch(/cannot read/);
  });
});

describe("presets", () => {
  test("SFpark scaled to rupiah with an explicit factor, on the Rp500 grid", () => {
    const policy = loadPolicy(
      basePolicy({ dynamic: { controllers: [{ id: "sf", preset: "sfpark", scale: 20 }] } }),
    );
    const c = policy.dynamic!.controllers[0]!;
    expect(c).toMatchObject({
      type: "step",
      lower: 0.6,
      upper: 0.8,
      stepMinor: 500,
      minMinor: 1000,
      maxMinor: 20000,
    });
    expect(c.minIntervalMs).toBe(28 * 86_400_000);
    expect(SFPARK.stepMinor).toBe(25);
  });

  test("a scaled step never rounds to zero, explicit fields override the preset", () => {
    const policy = loadPolicy(
      basePolicy({
        dynamic: { controllers: [{ id: "s", preset: "seattle", scale: 1, every: "1h", upper: 0.9 }] },
      }),
    );
    const c = policy.dynamic!.controllers[0]!;
    expect(c).toMatchObject({ stepMinor: 500, lower: 0.7, upper: 0.9, everyMs: 3_600_000 });
  });
});

describe("seeds/palu/policy.json", () => {
  const doc = JSON.parse(readFileSync("seeds/palu/policy.json", "utf8"));

  test("the flat base: Rp2,000 per motorcycle visit and Rp4,000 per car visit", () => {
    const table = compileTariffs(pricingCity(), loadPolicy(doc));
    expect(table.policy.dynamic).toBeNull();
    const q = (vehicleType: string, minutes: number) =>
      quote(table, { zone: "A1", vehicleType, startMs: T, endMs: T + minutes * 60_000 }).amount;
    expect([q("motorcycle", 5), q("motorcycle", 300), q("car", 1), q("car", 600)]).toEqual([
      2000, 2000, 4000, 4000,
    ]);
    expect([q("three_wheeler", 60), q("heavy", 60), q("unspecified", 60)]).toEqual([3000, 6000, 0]);
  });

  test("the dynamic variant controls only zones with bay sensors", () => {
    const city = pricingCity();
    const engine = new PricingEngine(city, loadPolicy(doc, { variant: "dynamic" }));
    const zones = new Set(engine.currentPrices().map((p) => p.zone));
    expect([...zones]).toEqual(["A1"]);
    expect(engine.slotCount).toBe(2 * 3);
  });

  test.skipIf(!existsSync("seeds/palu/city.json"))(
    "compiles against the Palu catalogue: 50 digital points",
    () => {
      const city = loadCityFile("seeds/palu/city.json");
      const engine = new PricingEngine(city, loadPolicy(doc, { variant: "dynamic" }));
      expect(new Set(engine.currentPrices().map((p) => p.zone)).size).toBe(50);
      expect(tableOf({}, city).nGroups).toBeGreaterThan(0);
    },
  );
});

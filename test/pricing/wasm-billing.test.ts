/** The wasm billing kernel against the JS reference (billBatch) on random policies, prices and sessions. */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type City, loadCity, VEHICLE_CODES } from "../../src/catalog/index.js";
import {
  billBatch,
  compileTariffs,
  loadPolicy,
  PriceBook,
  priceSlot,
  type TariffTable,
} from "../../src/pricing/index.js";
import { BILLING_SLOTS, WasmBilling } from "../../src/pricing/wasm-billing.js";
import { SharedArena } from "../../src/runtime/index.js";
import { arbPolicyDoc } from "../pricing/arbitraries.js";

const DAY = 86_400_000;
const MIN = 60_000;
const T0 = Date.parse("2025-03-27T00:00:00Z"); // Berlin switches to summer time on 2025-03-30

function city(timeZone: string): City {
  const zone = (id: string, zoneClass: string) => ({
    id,
    name: id,
    location: { lat: -0.89, lon: 119.86 },
    street: "on",
    zoneClass,
    detection: ["attendantCounts"],
    capacity: { motorcycle: 20, car: 4, heavy: 2 },
    bays: [],
  });
  return loadCity({
    id: `billing-${timeZone}`,
    name: "Billing test",
    timeZone,
    currency: "IDR",
    synthetic: true,
    zones: [zone("A1", "A"), zone("A2", "A"), zone("B1", "B")],
  });
}
const CITIES = { makassar: city("Asia/Makassar"), berlin: city("Europe/Berlin") };

/** Random policies compiled in their time zone's city; the calendar's holiday falls in the stays' days. */
const arbPolicy = arbPolicyDoc(["2025-03-28"]).map((p) => compileTariffs(CITIES[p.tz], loadPolicy(p.doc)));

const arbChanges = fc.array(
  fc.record({
    zone: fc.nat(2),
    code: fc.nat(VEHICLE_CODES - 1),
    band: fc.nat(3),
    at: fc.integer({ min: T0 - DAY, max: T0 + 6 * DAY }),
    price: fc.integer({ min: 0, max: 40 }).map((x) => x * 250),
  }),
  { maxLength: 40 },
);

function bookOf(table: TariffTable, changes: Change[]): PriceBook {
  const book = new PriceBook(table.city.zoneCount * VEHICLE_CODES * table.nBands);
  for (const c of [...changes].sort((a, b) => a.at - b.at))
    if (c.band < table.nBands) book.set(priceSlot(c.zone, c.code, c.band, table.nBands), c.at, c.price);
  return book;
}
type Change = { zone: number; code: number; band: number; at: number; price: number };

/** Random rows, including invalid ones (end before start, NaN, too long, unknown zone or class) and fractional ms. */
const arbRows = fc.array(
  fc.record({
    s: fc.oneof(
      fc.integer({ min: T0, max: T0 + 5 * DAY }),
      fc.constant(Number.NaN),
      fc.integer({ min: T0, max: T0 + DAY }),
    ),
    d: fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 600 * MIN }) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 3 * DAY }) },
      { weight: 1, arbitrary: fc.integer({ min: -MIN, max: -1 }) },
      { weight: 1, arbitrary: fc.constant(400 * DAY) },
    ),
    frac: fc.constantFrom(0, 0, 0, 0, 0.25, 0.5),
    zone: fc.oneof({ weight: 9, arbitrary: fc.nat(2) }, { weight: 1, arbitrary: fc.constant(7) }),
    code: fc.oneof(
      { weight: 9, arbitrary: fc.constantFrom(1, 3, 4) },
      { weight: 1, arbitrary: fc.constant(9) },
    ),
  }),
  { minLength: 1, maxLength: 60 },
);

describe("wasm billing kernel", () => {
  const arena = new SharedArena({ initialBytes: 4 << 20 });

  it("gives the JS reference's amounts and report for random policies, prices and sessions", () => {
    fc.assert(
      fc.property(
        arbPolicy,
        arbChanges,
        arbRows,
        fc.constantFrom("locked" as const, "integrated" as const),
        fc.boolean(),
        (table, changes, rows, assurance, withPrices) => {
          const n = rows.length;
          const starts = Float64Array.from(rows, (r) => r.s + r.frac);
          const ends = Float64Array.from(rows, (r) => r.s + r.d);
          const zones = Uint32Array.from(rows, (r) => r.zone);
          const vehicles = Uint8Array.from(rows, (r) => r.code);
          const options = { assurance, prices: withPrices ? bookOf(table, changes) : null };
          const expected = new Float64Array(n);
          const report = billBatch(table, starts, ends, zones, vehicles, expected, options);
          const wasm = new WasmBilling(arena, table);
          const mark = arena.mark();
          const got = new Float64Array(n);
          expect(wasm.billBatch(starts, ends, zones, vehicles, got, options)).toEqual(report);
          expect([...got]).toEqual([...expected]);
          // Zero copy: rows already in the shared memory.
          const inPlace = wasm.rows(n);
          inPlace.startsMs.set(starts);
          inPlace.endsMs.set(ends);
          inPlace.zones.set(zones);
          inPlace.vehicles.set(vehicles);
          const copied = wasm.copiedBytes;
          const r2 = wasm.billBatch(
            inPlace.startsMs,
            inPlace.endsMs,
            inPlace.zones,
            inPlace.vehicles,
            inPlace.out,
            options,
          );
          expect(r2).toEqual(report);
          expect([...inPlace.out]).toEqual([...expected]);
          expect(wasm.copiedBytes).toBe(copied);
          arena.release(mark);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("bills the Palu seed policy (flat and dynamic) like the reference, into an Int32Array too", () => {
    const palu = loadCity(JSON.parse(readFileSync("seeds/palu/city.json", "utf8")));
    for (const variant of [undefined, "dynamic"]) {
      const policyDoc = JSON.parse(readFileSync("seeds/palu/policy.json", "utf8"));
      const table = compileTariffs(palu, loadPolicy(policyDoc, variant === undefined ? {} : { variant }));
      const n = 5000;
      const starts = new Float64Array(n);
      const ends = new Float64Array(n);
      const zones = new Uint32Array(n);
      const vehicles = new Uint8Array(n);
      let x = 12345;
      const rnd = () => {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        return x / 2 ** 32;
      };
      for (let i = 0; i < n; i++) {
        starts[i] = T0 + Math.floor(rnd() * 7 * DAY);
        ends[i] = starts[i]! + Math.floor(rnd() * 10 * 3_600_000);
        zones[i] = Math.floor(rnd() * palu.zoneCount);
        vehicles[i] = 1 + Math.floor(rnd() * 4);
      }
      const expected = new Int32Array(n);
      const report = billBatch(table, starts, ends, zones, vehicles, expected);
      const got = new Int32Array(n);
      expect(new WasmBilling(arena, table).billBatch(starts, ends, zones, vehicles, got)).toEqual(report);
      expect(got).toEqual(expected);
      expect(report.totalMinor).toBeGreaterThan(0);
    }
  });

  it("refuses rows of different lengths like the reference", () => {
    const table = fc.sample(arbPolicy, { seed: 1, numRuns: 1 })[0]!;
    const w = new WasmBilling(arena, table);
    expect(() =>
      w.billBatch(
        new Float64Array(2),
        new Float64Array(1),
        new Uint32Array(2),
        new Uint8Array(2),
        new Float64Array(2),
      ),
    ).toThrow(/endsMs: has 1 rows/);
  });

  it("uses the table slots the AssemblyScript source declares", () => {
    const src = readFileSync("wasm/billing.ts", "utf8");
    for (const [name, value] of Object.entries(BILLING_SLOTS)) {
      const m = new RegExp(`const ${name}(?::\\s*\\w+)? = (\\d+);`).exec(src);
      expect(m, name).not.toBeNull();
      expect(Number(m![1]), name).toBe(value);
    }
  });
});

/**
 * Quotes, JS batch billing and the wasm billing kernel against the independent minute-by-minute reference
 * pricer (test/pricing/reference.ts) on random policies, stays and price histories.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { VEHICLE_CODES, vehicleCode } from "../../src/catalog/index.js";
import {
  billBatch,
  compileTariffs,
  loadPolicy,
  PriceBook,
  priceSlot,
  quote,
} from "../../src/pricing/index.js";
import { WasmBilling } from "../../src/pricing/wasm-billing.js";
import { SharedArena } from "../../src/runtime/index.js";
import { arbPolicyDoc } from "./arbitraries.js";
import { pricingCity } from "./fixtures.js";
import { type RefPolicyDoc, referencePrice } from "./reference.js";

const MIN = 60_000;
const T0 = Date.parse("2025-03-28T00:00:00Z"); // Berlin switches to summer time on 2025-03-30
const ZONES = { makassar: "Asia/Makassar", berlin: "Europe/Berlin" } as const;
const cities = { makassar: pricingCity(ZONES.makassar), berlin: pricingCity(ZONES.berlin) };
const arbPolicy = arbPolicyDoc(["2025-03-28", "2025-03-30"]);

/** Whole-minute stays of up to two days, often across midnight and the daylight-saving switch. */
const arbStay = fc.record({
  s: fc.integer({ min: 0, max: 4 * 1440 }).map((m) => T0 + m * MIN),
  d: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 * 1440 })).map((m) => m * MIN),
  zone: fc.constantFrom(0, 2),
  vehicle: fc.constantFrom("car" as const, "heavy" as const),
});

/** Whole-minute price changes of zones A1 and B1. */
const arbChanges = fc.array(
  fc.record({
    zone: fc.constantFrom(0, 2),
    code: fc.constantFrom(3, 4),
    band: fc.nat(3),
    at: fc.integer({ min: -1440, max: 6 * 1440 }).map((m) => T0 + m * MIN),
    price: fc.integer({ min: 0, max: 40 }).map((x) => x * 250),
  }),
  { maxLength: 30 },
);

describe("billing against the minute-by-minute reference", () => {
  const arena = new SharedArena({ initialBytes: 4 << 20 });

  test("quotes, batch billing and the wasm kernel equal the reference", () => {
    fc.assert(
      fc.property(
        arbPolicy,
        fc.array(arbStay, { minLength: 1, maxLength: 6 }),
        fc.option(arbChanges, { nil: null }),
        fc.constantFrom("locked" as const, "integrated" as const),
        (p, stays, changes, mode) => {
          const table = compileTariffs(cities[p.tz], loadPolicy(p.doc));
          let book: PriceBook | null = null;
          if (changes !== null) {
            book = new PriceBook(table.city.zoneCount * VEHICLE_CODES * table.nBands);
            for (const c of [...changes].sort((a, b) => a.at - b.at))
              if (c.band < table.nBands)
                book.set(priceSlot(c.zone, c.code, c.band, table.nBands), c.at, c.price);
          }
          const expected = stays.map((st) =>
            referencePrice(
              p.doc as RefPolicyDoc,
              ZONES[p.tz],
              {
                zone: st.zone,
                vehicle: st.vehicle,
                vehicleCode: vehicleCode(st.vehicle),
                startMs: st.s,
                endMs: st.s + st.d,
              },
              book,
              mode === "locked",
            ),
          );
          const quoted = stays.map(
            (st) =>
              quote(
                table,
                {
                  zone: table.city.zones[st.zone]!.id,
                  vehicleType: st.vehicle,
                  startMs: st.s,
                  endMs: st.s + st.d,
                  assurance: mode,
                },
                book,
              ).amount,
          );
          expect(quoted).toEqual(expected);
          const starts = Float64Array.from(stays, (x) => x.s);
          const ends = Float64Array.from(stays, (x) => x.s + x.d);
          const zones = Uint32Array.from(stays, (x) => x.zone);
          const vehicles = Uint8Array.from(stays, (x) => vehicleCode(x.vehicle));
          const js = new Float64Array(stays.length);
          billBatch(table, starts, ends, zones, vehicles, js, { assurance: mode, prices: book });
          expect([...js]).toEqual(expected);
          const mark = arena.mark();
          const wasm = new Float64Array(stays.length);
          new WasmBilling(arena, table).billBatch(starts, ends, zones, vehicles, wasm, {
            assurance: mode,
            prices: book,
          });
          arena.release(mark);
          expect([...wasm]).toEqual(expected);
        },
      ),
      { numRuns: 100 },
    );
  }, 60_000);
});

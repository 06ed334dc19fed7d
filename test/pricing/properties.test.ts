/** Invariants of quotes and batch billing over random policies, stays and price histories. */
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
  type TariffTable,
} from "../../src/pricing/index.js";
import { arbPolicyDoc, type PolicyZone } from "./arbitraries.js";
import { pricingCity } from "./fixtures.js";

const T0 = Date.parse("2025-03-24T00:00:00Z"); // spans the Berlin spring switch within 10 days
const MIN = 60_000;
const cities = { makassar: pricingCity("Asia/Makassar"), berlin: pricingCity("Europe/Berlin") };

/** Random policies; the calendar's holidays fall in the stays' ten days. */
const arbPolicy = arbPolicyDoc(["2025-03-26", "2025-03-30"]);

function compile(p: { doc: object; tz: PolicyZone }): TariffTable {
  return compileTariffs(cities[p.tz], loadPolicy(p.doc));
}

/** A random price history over every slot of zones A1 and B1. */
const arbChanges = fc.array(
  fc.record({
    zone: fc.constantFrom(0, 2),
    code: fc.constantFrom(vehicleCode("car"), vehicleCode("heavy")),
    band: fc.nat(3),
    at: fc.oneof(
      fc.integer({ min: T0 - 86_400_000, max: T0 + 12 * 86_400_000 }),
      fc.integer({ min: T0, max: T0 + 86_400_000 }),
    ),
    price: fc.integer({ min: 0, max: 40 }).map((x) => x * 250),
  }),
  { maxLength: 60 },
);

function bookOf(
  table: TariffTable,
  changes: { zone: number; code: number; band: number; at: number; price: number }[],
): PriceBook {
  const book = new PriceBook(table.city.zoneCount * VEHICLE_CODES * table.nBands);
  for (const c of [...changes].sort((a, b) => a.at - b.at)) {
    if (c.band < table.nBands) book.set(priceSlot(c.zone, c.code, c.band, table.nBands), c.at, c.price);
  }
  return book;
}

const arbStay = fc.record({
  s: fc.oneof(
    fc.integer({ min: T0, max: T0 + 10 * 86_400_000 }),
    fc.integer({ min: T0, max: T0 + 86_400_000 }),
  ),
  d: fc.oneof(fc.integer({ min: 0, max: 600 * MIN }), fc.integer({ min: 0, max: 3 * 86_400_000 })),
  zone: fc.constantFrom("A1", "B1"),
  vehicleType: fc.constantFrom("car", "heavy"),
});
const assurance = fc.constantFrom("locked" as const, "integrated" as const);

describe("quote invariants", () => {
  test("a quote never decreases when a stay grows at either end; caps hold; a multiple of the step; lines add up", () => {
    fc.assert(
      fc.property(
        arbPolicy,
        arbChanges,
        arbStay,
        fc.integer({ min: 0, max: 2 * 86_400_000 }),
        fc.oneof(fc.integer({ min: 0, max: 3 * 3_600_000 }), fc.integer({ min: 0, max: 2 * 86_400_000 })),
        assurance,
        (p, changes, st, extraEnd, extraStart, mode) => {
          const table = compile(p);
          const early = st.s - extraStart;
          // Price assurance honours the price at arrival: an earlier arrival may lock an earlier, lower price,
          // so in locked mode no price changes between the two arrivals.
          const held =
            mode === "locked"
              ? changes.map((c) => (c.at > early && c.at <= st.s ? { ...c, at: early } : c))
              : changes;
          const book = bookOf(table, held);
          const q = (startMs: number, endMs: number) =>
            quote(
              table,
              { zone: st.zone, vehicleType: st.vehicleType, startMs, endMs, assurance: mode },
              book,
            );
          const base = q(st.s, st.s + st.d);
          const later = q(st.s, st.s + st.d + extraEnd);
          const earlier = q(early, st.s + st.d);
          const both = q(early, st.s + st.d + extraEnd);
          expect(later.amount).toBeGreaterThanOrEqual(base.amount);
          expect(earlier.amount).toBeGreaterThanOrEqual(base.amount);
          expect(both.amount).toBeGreaterThanOrEqual(Math.max(later.amount, earlier.amount));
          const tariff = p.doc.tariffs[0]!;
          const step = table.roundStepMinor;
          for (const [x, s0, e0] of [
            [base, st.s, st.s + st.d],
            [later, st.s, st.s + st.d + extraEnd],
            [earlier, early, st.s + st.d],
            [both, early, st.s + st.d + extraEnd],
          ] as const) {
            expect(x.amount).toBeGreaterThanOrEqual(0);
            expect(x.amount % step).toBe(0);
            expect(x.breakdown.reduce((sum, l) => sum + l.amount, 0)).toBe(x.amount);
            if (tariff.maxFeeMinor !== undefined) expect(x.amount).toBeLessThanOrEqual(tariff.maxFeeMinor);
            if (tariff.dailyCapMinor !== undefined) {
              // Time charges are capped per local day; the visit fee comes on top, once.
              const days = table.dayIndex(e0) - table.dayIndex(s0) + 1;
              const visit = x.breakdown.find((l) => l.label.startsWith("visit fee"))?.amount ?? 0;
              const bound = Math.ceil((days * tariff.dailyCapMinor + visit) / step) * step;
              expect(x.amount).toBeLessThanOrEqual(bound);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test("locked and integrated agree when prices do not change during the stay", () => {
    fc.assert(
      fc.property(arbPolicy, arbChanges, arbStay, (p, changes, st) => {
        const table = compile(p);
        // Every price set before arrival and none during the stay.
        const before = changes.map((c) => ({ ...c, at: Math.min(c.at, st.s) }));
        for (const book of [null, bookOf(table, before)]) {
          const req = { zone: st.zone, vehicleType: st.vehicleType, startMs: st.s, endMs: st.s + st.d };
          expect(quote(table, { ...req, assurance: "integrated" }, book).amount).toBe(
            quote(table, { ...req, assurance: "locked" }, book).amount,
          );
        }
      }),
      { numRuns: 200 },
    );
  });

  test("locked is integrated with every price held at its arrival value", () => {
    fc.assert(
      fc.property(arbPolicy, arbChanges, arbStay, (p, changes, st) => {
        const table = compile(p);
        const book = bookOf(table, changes);
        const held = new PriceBook(book.slots);
        for (let slot = 0; slot < book.slots; slot++) {
          const price = book.priceAt(slot, st.s);
          if (price !== undefined) held.set(slot, st.s, price);
        }
        const req = { zone: st.zone, vehicleType: st.vehicleType, startMs: st.s, endMs: st.s + st.d };
        expect(quote(table, { ...req, assurance: "locked" }, book).amount).toBe(
          quote(table, { ...req, assurance: "integrated" }, held).amount,
        );
      }),
      { numRuns: 200 },
    );
  });

  test("batch billing equals quote for random sessions", () => {
    fc.assert(
      fc.property(
        arbPolicy,
        arbChanges,
        fc.array(arbStay, { minLength: 1, maxLength: 40 }),
        assurance,
        (p, changes, stays, mode) => {
          const table = compile(p);
          const book = bookOf(table, changes);
          const n = stays.length;
          const out = new Float64Array(n);
          const report = billBatch(
            table,
            Float64Array.from(stays, (x) => x.s),
            Float64Array.from(stays, (x) => x.s + x.d),
            Uint32Array.from(stays, (x) => table.city.zoneIndex(x.zone)),
            Uint8Array.from(stays, (x) => vehicleCode(x.vehicleType)),
            out,
            { assurance: mode, prices: book },
          );
          expect(report.invalid).toBe(0);
          stays.forEach((x, i) => {
            const q = quote(
              table,
              { zone: x.zone, vehicleType: x.vehicleType, startMs: x.s, endMs: x.s + x.d, assurance: mode },
              book,
            );
            expect(out[i]).toBe(q.amount);
          });
          expect(report.totalMinor).toBe(out.reduce((a, b) => a + b, 0));
        },
      ),
      { numRuns: 150 },
    );
  });
});

test("batch billing refuses bad rows with -1 and counts them", () => {
  const table = compile({
    doc: {
      id: "x",
      name: "x",
      currency: "IDR",
      rounding: { stepMinor: 500, rule: "up" },
      tariffs: [{ id: "t", vehicleTypes: ["car"], rates: [{ perVisitMinor: 4000 }] }],
    },
    tz: "makassar",
  });
  const out = new Int32Array(5);
  const r = billBatch(
    table,
    Float64Array.of(T0, T0, Number.NaN, T0, T0),
    Float64Array.of(T0 + MIN, T0 - 1, T0, T0 + 400 * 86_400_000, T0 + MIN),
    Uint32Array.of(0, 0, 0, 0, 99),
    Uint8Array.of(3, 3, 3, 3, 3),
    out,
  );
  expect([...out]).toEqual([4000, -1, -1, -1, -1]);
  expect(r).toEqual({ billed: 1, invalid: 4, totalMinor: 4000 });
});

test("a price book made for another table is refused", () => {
  const table = compile({
    doc: {
      id: "x",
      name: "x",
      currency: "IDR",
      rounding: { stepMinor: 500, rule: "up" },
      tariffs: [{ id: "t", vehicleTypes: ["car"], rates: [{ perVisitMinor: 4000 }] }],
    },
    tz: "makassar",
  });
  const wrong = new PriceBook(table.priceSlots + 1);
  expect(() => quote(table, { zone: "A1", vehicleType: "car", startMs: T0, endMs: T0 + MIN }, wrong)).toThrow(
    /slots/,
  );
  const one = Float64Array.of(T0);
  expect(() =>
    billBatch(table, one, one, Uint32Array.of(0), Uint8Array.of(3), new Float64Array(1), { prices: wrong }),
  ).toThrow(/slots/);
  expect(() =>
    billBatch(table, one, Float64Array.of(), Uint32Array.of(0), Uint8Array.of(3), new Float64Array(1)),
  ).toThrow(/endsMs: has 0 rows/);
});

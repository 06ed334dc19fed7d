import fc from "fast-check";
import { expect, test } from "vitest";
import { type DetectedStay, type PaidSession, reconcile } from "../../src/pricing/index.js";
import { tableOf } from "./fixtures.js";

const t = (hhmm: string) => Date.parse(`2026-11-30T${hhmm}:00+08:00`);

test("matches stays to payments by the documented rule and estimates leakage", () => {
  const table = tableOf({});
  const stays = [
    { zone: "A1", vehicleType: "car", startMs: t("09:00"), endMs: t("10:00") },
    { zone: "A1", vehicleType: "car", startMs: t("09:30"), endMs: t("11:00") },
    { zone: "A1", vehicleType: "car", startMs: t("14:00"), endMs: t("15:00") },
    { zone: "A1", vehicleType: "motorcycle", startMs: t("09:00"), endMs: t("09:20") },
    { zone: "Z9", vehicleType: "car", startMs: t("09:00"), endMs: t("10:00") },
  ];
  const payments: PaidSession[] = [
    {
      zone: "A1",
      sessionId: "b",
      startMs: t("09:05"),
      endMs: t("10:00"),
      amountMinor: 4000,
      vehicleType: "car",
    },
    { zone: "A1", sessionId: "a", startMs: t("09:40"), endMs: t("11:00"), amountMinor: 2000 },
    {
      zone: "A1",
      sessionId: "c",
      startMs: t("20:00"),
      endMs: t("20:00"),
      amountMinor: 2000,
      vehicleType: "motorcycle",
    },
    {
      zone: "A1",
      sessionId: "d",
      startMs: t("09:10"),
      endMs: t("09:10"),
      amountMinor: 2000,
      vehicleType: "motorcycle",
    },
    { zone: "B1", sessionId: "e", startMs: t("09:10"), endMs: t("09:10"), amountMinor: 2000 },
    { zone: "A1", sessionId: "f", startMs: t("09:10"), endMs: t("09:00"), amountMinor: 2000 },
  ];
  const r = reconcile(table, stays, payments);
  expect(r.zones).toEqual([
    {
      zone: "A1",
      stays: 4,
      paidStays: 3,
      unpaidStays: 1,
      payments: 4,
      unmatchedPayments: 1,
      expectedMinor: 14000,
      collectedMinor: 10000,
      leakageMinor: 4000 + 2000,
    },
    {
      zone: "B1",
      stays: 0,
      paidStays: 0,
      unpaidStays: 0,
      payments: 1,
      unmatchedPayments: 1,
      expectedMinor: 0,
      collectedMinor: 2000,
      leakageMinor: 0,
    },
  ]);
  expect(r.totals).toMatchObject({
    zone: "*",
    stays: 4,
    payments: 5,
    collectedMinor: 12000,
    leakageMinor: 6000,
  });
  expect([r.invalidStays, r.invalidPayments, r.currency]).toEqual([1, 1, "IDR"]);
});

test("ties go to the earlier payment, then the smaller session id; order of input does not matter", () => {
  const table = tableOf({});
  const stays = [{ zone: "A1", vehicleType: "car", startMs: t("09:00"), endMs: t("10:00") }];
  const pay = (sessionId: string, start: string, amountMinor: number): PaidSession => ({
    zone: "A1",
    sessionId,
    startMs: t(start),
    endMs: t("10:00"),
    amountMinor,
  });
  // Equal overlap (the whole stay): x starts earlier; y and z start together, y < z.
  const payments = [pay("z", "08:55", 0), pay("y", "08:55", 4000), pay("x", "08:50", 1000)];
  const a = reconcile(table, stays, payments);
  const b = reconcile(table, stays, [...payments].reverse());
  expect(a).toEqual(b);
  expect(a.totals.leakageMinor).toBe(3000); // matched x paid 1,000 of 4,000
  const c = reconcile(table, stays, payments.slice(0, 2));
  expect(c.totals.leakageMinor).toBe(0); // y beats z
});

test("tolerance: a payment just outside the stay still matches, further out does not", () => {
  const table = tableOf({});
  const stays = [{ zone: "A1", vehicleType: "car", startMs: t("09:00"), endMs: t("10:00") }];
  const one = (at: string) => [
    { zone: "A1", sessionId: "p", startMs: t(at), endMs: t(at), amountMinor: 4000 },
  ];
  expect(reconcile(table, stays, one("10:09")).totals.paidStays).toBe(1);
  expect(reconcile(table, stays, one("10:11")).totals.paidStays).toBe(0);
  expect(reconcile(table, stays, one("10:11"), { toleranceMs: 15 * 60_000 }).totals.paidStays).toBe(1);
});

test("pairs as many stays as possible where a greedy pass would not", () => {
  const table = tableOf({});
  const stays = [
    { zone: "A1", vehicleType: "car", startMs: t("09:00"), endMs: t("10:00") },
    { zone: "A1", vehicleType: "car", startMs: t("09:50"), endMs: t("11:00") },
  ];
  const payments: PaidSession[] = [
    // Overlaps the first stay most (50 min against 5), but is the only payment the second stay can have.
    { zone: "A1", sessionId: "long", startMs: t("09:10"), endMs: t("10:50"), amountMinor: 4000 },
    { zone: "A1", sessionId: "early", startMs: t("09:00"), endMs: t("09:05"), amountMinor: 4000 },
  ];
  const r = reconcile(table, stays, payments);
  expect(r.totals).toMatchObject({ paidStays: 2, unpaidStays: 0, unmatchedPayments: 0, leakageMinor: 0 });
});

/** Does payment q pay for stay s? The documented rule, written apart from the implementation. */
function compatible(s: DetectedStay, q: PaidSession, tol: number): boolean {
  if (s.zone !== q.zone) return false;
  if (q.vehicleType !== undefined && q.vehicleType !== s.vehicleType) return false;
  const lo = s.startMs - tol;
  const hi = s.endMs + tol;
  return q.startMs === q.endMs ? q.startMs >= lo && q.startMs <= hi : q.startMs < hi && q.endMs > lo;
}

/** The most stays any one-to-one pairing can pay, by trying every assignment. */
function bruteMax(stays: DetectedStay[], payments: PaidSession[], tol: number): number {
  const used = new Array<boolean>(payments.length).fill(false);
  const go = (i: number): number => {
    if (i === stays.length) return 0;
    let best = go(i + 1);
    payments.forEach((q, j) => {
      if (used[j] || !compatible(stays[i]!, q, tol)) return;
      used[j] = true;
      best = Math.max(best, 1 + go(i + 1));
      used[j] = false;
    });
    return best;
  };
  return go(0);
}

test("the number of paid stays is the maximum any pairing reaches (brute force on small instances)", () => {
  const table = tableOf({});
  const minute = (m: number) => t("08:00") + m * 60_000;
  const arbStay = fc
    .record({
      zone: fc.constantFrom("A1", "A2"),
      vehicleType: fc.constantFrom("car", "motorcycle"),
      s: fc.integer({ min: 0, max: 240 }),
      d: fc.integer({ min: 0, max: 120 }),
    })
    .map((x): DetectedStay => ({ ...x, startMs: minute(x.s), endMs: minute(x.s + x.d) }));
  const arbPayment = fc
    .record({
      zone: fc.constantFrom("A1", "A2"),
      vehicleType: fc.option(fc.constantFrom("car", "motorcycle"), { nil: undefined }),
      s: fc.integer({ min: -20, max: 260 }),
      d: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 150 })),
      amountMinor: fc.constantFrom(0, 2000, 4000),
      sessionId: fc.string({ maxLength: 3 }),
    })
    .map(
      (x): PaidSession => ({
        zone: x.zone,
        sessionId: x.sessionId,
        startMs: minute(x.s),
        endMs: minute(x.s + x.d),
        amountMinor: x.amountMinor,
        ...(x.vehicleType !== undefined ? { vehicleType: x.vehicleType } : {}),
      }),
    );
  fc.assert(
    fc.property(
      fc.array(arbStay, { maxLength: 7 }),
      fc.array(arbPayment, { maxLength: 7 }),
      fc.constantFrom(0, 10 * 60_000),
      (stays, payments, tol) => {
        const r = reconcile(table, stays, payments, { toleranceMs: tol });
        const best = bruteMax(stays, payments, tol);
        expect(r.totals.paidStays).toBe(best);
        expect(r.totals.unmatchedPayments).toBe(payments.length - best);
        // Leakage is at most the expected amount of the stays left unpaid plus the shortfalls of the paid ones.
        expect(r.totals.leakageMinor).toBeLessThanOrEqual(r.totals.expectedMinor);
      },
    ),
    { numRuns: 500 },
  );
});

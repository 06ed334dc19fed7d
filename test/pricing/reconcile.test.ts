import { expect, test } from "vitest";
import { type PaidSession, reconcile } from "../../src/pricing/index.js";
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

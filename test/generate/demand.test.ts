import { expect, test } from "vitest";
import { arrivalRates, localSlots, targetOccupancy } from "../../src/generate/index.js";

test("local slots follow the city's time zone through Intl", () => {
  const monday = Date.parse("2026-11-30T00:00:00+08:00");
  const s = localSlots("Asia/Makassar", monday, monday + 26 * 3_600_000);
  expect(s.firstSlotMs).toBe(monday);
  expect([...s.hour.slice(0, 3)]).toEqual([0, 1, 2]);
  expect(s.weekday[0]).toBe(1);
  expect(s.weekday[24]).toBe(2);
  const utc = localSlots("UTC", monday, monday + 3_600_000);
  expect(utc.hour[0]).toBe(16);
  expect(utc.weekday[0]).toBe(0);
});

test("arrival rates are non-negative and front-load long stays", () => {
  const monday = Date.parse("2026-11-30T00:00:00+08:00");
  const s = localSlots("Asia/Makassar", monday, monday + 24 * 3_600_000);
  const office = arrivalRates("office", 3, s.hour, s.weekday);
  for (const r of office) expect(r).toBeGreaterThanOrEqual(0);
  // Offices fill in the morning: more cars arrive 6-9 than 12-15, though the curve is as high at 14 as at 9.
  expect(office[6]! + office[7]! + office[8]!).toBeGreaterThan(
    1.5 * (office[12]! + office[13]! + office[14]!),
  );
  // Nobody arrives once the curve falls faster than cars leave.
  expect(office[17]).toBe(0);
  expect(targetOccupancy("office", 3, 1)).toBeLessThan(targetOccupancy("office", 10, 1));
  expect(targetOccupancy("mosque", 12, 5)).toBe(1);
  expect(targetOccupancy("church", 8, 0)).toBeGreaterThan(targetOccupancy("church", 8, 1));
});

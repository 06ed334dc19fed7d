import { expect, test } from "vitest";
import { LocalClock } from "../../src/pricing/index.js";

const H = 3_600_000;

test("Asia/Makassar is UTC+8 all year, days are 24 h", () => {
  const c = LocalClock.for("Asia/Makassar");
  for (const iso of ["2026-01-15T12:00:00Z", "2026-07-15T12:00:00Z"])
    expect(c.offsetMs(Date.parse(iso))).toBe(8 * H);
  const d = c.dayOf(Date.parse("2026-11-30T23:59:59+08:00"));
  expect(d.date).toBe("2026-11-30");
  expect(d.weekday).toBe(1); // Monday
  expect(d.startMs).toBe(Date.parse("2026-11-30T00:00:00+08:00"));
  expect(d.endMs - d.startMs).toBe(24 * H);
  expect(c.iso(Date.parse("2026-11-30T01:02:03Z"))).toBe("2026-11-30T09:02:03+08:00");
});

test("Europe/Berlin: 23 h and 25 h days around the daylight-saving switches", () => {
  const c = LocalClock.for("Europe/Berlin");
  const spring = c.dayOf(Date.parse("2025-03-30T12:00:00+02:00"));
  expect(spring.date).toBe("2025-03-30");
  expect(spring.startMs).toBe(Date.parse("2025-03-30T00:00:00+01:00"));
  expect(spring.endMs - spring.startMs).toBe(23 * H);
  const autumn = c.dayOf(Date.parse("2025-10-26T12:00:00+01:00"));
  expect(autumn.endMs - autumn.startMs).toBe(25 * H);
  // 02:30 does not exist on 30 March: it maps to the switch (03:00 CEST = 01:00Z).
  expect(c.wallToUtc(Date.UTC(2025, 2, 30, 2, 30))).toBe(Date.parse("2025-03-30T01:00:00Z"));
  // 02:30 happens twice on 26 October: the earlier one (CEST) is used.
  expect(c.wallToUtc(Date.UTC(2025, 9, 26, 2, 30))).toBe(Date.parse("2025-10-26T02:30:00+02:00"));
  expect(c.iso(Date.parse("2025-10-26T01:30:00Z"))).toBe("2025-10-26T02:30:00+01:00");
});

test("a zone west of UTC with a negative offset", () => {
  const c = LocalClock.for("America/Los_Angeles");
  expect(c.iso(Date.parse("2026-01-01T07:59:00Z"))).toBe("2025-12-31T23:59:00-08:00");
  expect(c.dayOf(Date.parse("2026-01-01T07:59:00Z")).date).toBe("2025-12-31");
});

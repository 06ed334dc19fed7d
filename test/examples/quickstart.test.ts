import { expect, test } from "vitest";
import { quickstart } from "../../examples/quickstart.js";

test("the README's API tour runs and does what it says", () => {
  const lines: string[] = [];
  const r = quickstart((l) => lines.push(l));
  // Two hours of 5-minute windows: every window ending at or before the last event is emitted.
  expect(r.windows).toBeGreaterThanOrEqual(23);
  expect(r.windows).toBeLessThanOrEqual(24);
  expect(r.decisions).toBeGreaterThan(0);
  expect(r.amount % 500).toBe(0);
  expect(r.amount).toBeGreaterThan(0);
  expect(lines.at(-1)).toMatch(/^quote: \d+ IDR — /);
  expect(lines.filter((l) => l.startsWith('{"type":"tariff"')).length).toBe(Math.min(3, r.decisions));
});

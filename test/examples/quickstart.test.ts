import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
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

// `npm test` builds first; the built example answers --help and refuses a wrong flag in one line.
const BUILT = "dist/examples/quickstart.js";
test.skipIf(!existsSync(BUILT))("the example takes --help and refuses an unknown flag in one line", () => {
  const help = spawnSync(process.execPath, [BUILT, "--help"], { encoding: "utf8" });
  expect(help.status).toBe(0);
  expect(help.stdout).toMatch(/^Usage: /);
  const bad = spawnSync(process.execPath, [BUILT, "--nope"], { encoding: "utf8" });
  expect(bad.status).toBe(2);
  expect(bad.stderr.trim().split("\n")).toEqual(["quickstart: unknown argument '--nope' (try --help)"]);
});

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { formatSummary, runDemo } from "../../src/cli/demo.js";
import { loadCityFile, seedPath } from "../../src/index.js";

test("the demo (npm start) is deterministic, writes its JSON Lines and summarises them", () => {
  const dir = mkdtempSync(join(tmpdir(), "parkir-demo-"));
  const base = {
    city: seedPath("palu", "city.json"),
    policy: seedPath("palu", "policy.json"),
    seed: 3,
    hours: 10,
    startMs: Date.parse("2026-11-30T00:00:00+08:00"),
    progress: false,
  };
  const a = runDemo({ ...base, out: join(dir, "a.jsonl") });
  const b = runDemo({ ...base, out: join(dir, "b.jsonl") });
  const text = readFileSync(a.outPath, "utf8");
  expect(readFileSync(b.outPath, "utf8")).toBe(text);
  const lines = text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string });
  expect(lines.filter((l) => l.type === "occupancy").length).toBe(a.records);
  expect(lines.filter((l) => l.type === "tariff").length).toBe(a.decisions.length);
  expect(a.decisions.length).toBeGreaterThan(0);
  expect(a.accepted + a.duplicate + a.late + a.unknown).toBe(a.events);
  expect(a.revenue.length).toBeGreaterThan(0);
  expect(a.revenue.length).toBeLessThanOrEqual(50); // only the digital points have sensor-detected stays
  const summary = formatSummary(a, loadCityFile(base.city));
  expect(summary).toMatch(/busiest .* emptiest/);
  expect(summary).toContain(a.outPath);
  expect(summary).toContain("At the observed demand");
}, 120_000);

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { formatSummary, runDemo } from "../../src/cli/demo.js";
import { main } from "../../src/cli/main.js";
import { seedPath } from "../../src/index.js";

test("the demo (npm start) is deterministic, writes its JSON Lines and report, and summarises in local time", () => {
  const dir = mkdtempSync(join(tmpdir(), "parkir-demo-"));
  const base = {
    city: seedPath("palu", "city.json"),
    policy: seedPath("palu", "policy.json"),
    seed: 3,
    hours: 10,
    startMs: Date.parse("2026-11-30T00:00:00+08:00"),
    progress: false,
  };
  const a = runDemo({ ...base, out: join(dir, "a.jsonl"), report: join(dir, "a.html") });
  const b = runDemo({ ...base, out: join(dir, "b.jsonl"), report: join(dir, "b.html") });
  const text = readFileSync(a.outPath, "utf8");
  expect(readFileSync(b.outPath, "utf8")).toBe(text);
  expect(readFileSync(b.reportPath, "utf8")).toBe(readFileSync(a.reportPath, "utf8"));
  const lines = text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string });
  const day = a.day;
  expect(lines.filter((l) => l.type === "occupancy").length).toBe(day.records);
  expect(lines.filter((l) => l.type === "tariff").length).toBe(day.decisions.length);
  expect(day.decisions.length).toBeGreaterThan(0);
  expect(day.accepted + day.duplicate + day.late + day.unknown).toBe(day.events);
  // Cars and motorcycles both earn; motorcycles at many more points than the 50 digital ones.
  expect(day.revenue.filter((r) => r.motorcycle.visits > 0).length).toBeGreaterThan(50);
  expect(day.revenue.some((r) => r.car.visits > 0)).toBe(true);
  const summary = formatSummary(a);
  expect(summary).toMatch(/busiest .* emptiest/);
  expect(summary).toContain(a.outPath);
  expect(summary).toContain(a.reportPath);
  expect(summary).toContain("At the observed demand");
  // Local time throughout (no UTC instants), prices with their unit, points by id and name.
  // (The temporary directory's random name is left out: it may end in a Z.)
  expect(summary.replaceAll(dir, "")).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|Z\b/);
  expect(summary).toMatch(/All times are local \(WITA, Asia\/Makassar\)/);
  expect(summary).toMatch(
    /\d{2}:\d{2} WITA {2}PLU-\d{3} [A-Z][a-z]+ - .*: Rp \d[\d.]* → Rp \d[\d.]* per (hour|visit)/,
  );
  expect(summary).toMatch(/car Rp 4\.000 per visit, motorcycle Rp 2\.000 per visit/);
  expect(readFileSync(a.reportPath, "utf8")).toMatch(/^<!doctype html>/);
}, 180_000);

test("parkir report: usage errors exit 2, a missing events file 2, bad lines are skipped with a note", async () => {
  const dir = mkdtempSync(join(tmpdir(), "parkir-report-cli-"));
  expect(await main(["report", "--events", join(dir, "missing.jsonl")])).toBe(2);
  expect(await main(["report", "--date", "30/11/2026"])).toBe(2);
  const events = join(dir, "events.jsonl");
  const { writeFileSync } = await import("node:fs");
  const sample = readFileSync(seedPath("palu", "sample-1h.jsonl"), "utf8");
  writeFileSync(events, `${sample}not json\n`);
  const out = join(dir, "r.html");
  const err: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  const outWrite = process.stdout.write.bind(process.stdout);
  const printed: string[] = [];
  process.stderr.write = ((s: string) => err.push(String(s)) > 0) as typeof process.stderr.write;
  process.stdout.write = ((s: string) => printed.push(String(s)) > 0) as typeof process.stdout.write;
  try {
    expect(await main(["report", "--events", events, "--out", out])).toBe(0);
  } finally {
    process.stderr.write = write;
    process.stdout.write = outWrite;
  }
  expect(err.join("")).toMatch(/1 bad line\(s\) skipped/);
  expect(printed.join("").trim()).toBe(out);
  const html = readFileSync(out, "utf8");
  expect((html.match(/<circle data-zone="/g) ?? []).length).toBe(200);
}, 120_000);

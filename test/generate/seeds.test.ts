import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { generateTrace } from "../../src/generate/index.js";
import { parseEventLines, toJsonLines } from "../../src/wire/index.js";
import { paluCity, ROOT } from "./fixtures.js";

/** The committed sample: `parkir generate --seed 1 --start 2026-11-30T08:00:00+08:00 --hours 1`. */
const SAMPLE = join(ROOT, "seeds", "palu", "sample-1h.jsonl");

test("the committed seeds/palu/sample-1h.jsonl is the generator's output (regenerate with PARKIR_UPDATE_SEEDS=1)", () => {
  const expected = toJsonLines(
    generateTrace(paluCity(), { seed: 1, startMs: Date.parse("2026-11-30T08:00:00+08:00"), hours: 1 }),
  );
  if (process.env.PARKIR_UPDATE_SEEDS === "1") writeFileSync(SAMPLE, expected);
  expect(existsSync(SAMPLE)).toBe(true);
  const text = readFileSync(SAMPLE, "utf8");
  expect(text.length).toBeLessThan(2 * 1024 * 1024);
  expect(text === expected).toBe(true);
  const parsed = parseEventLines(text);
  expect(parsed.errors).toEqual([]);
  expect(new Set(parsed.events.map((e) => e.event_type)).size).toBe(10);
});

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { main } from "../../src/cli/main.js";
import { T0_MS, tinyCity } from "../helpers.js";
import { captureOutput } from "./capture.js";

const io = captureOutput();

test("--help works for the program and every subcommand", async () => {
  expect(await main(["--help"])).toBe(0);
  const names = [...io.out.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]).filter((n) => n !== "help");
  expect(names).toContain("convert");
  for (const name of names) {
    io.out = "";
    expect(await main([name!, "--help"])).toBe(0);
    expect(io.out).toMatch(new RegExp(`Usage: parkir ${name}`));
  }
});

// `npm test` builds first; `npx parkir` runs the built file directly, so it must be executable.
const BIN = "dist/lib/cli.js";
test.skipIf(!existsSync(BIN))("the built command runs as an executable (npx parkir)", () => {
  const r = spawnSync(BIN, ["--help"], { encoding: "utf8" });
  expect(r.error).toBeUndefined();
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/Usage: parkir/);
  const bad = spawnSync(BIN, ["replay", "--window", "banana"], { encoding: "utf8" });
  expect(bad.status).toBe(2);
});

test("bad arguments exit non-zero with a clear message", async () => {
  expect(await main(["frobnicate"])).toBe(2);
  expect(io.err).toMatch(/unknown command 'frobnicate'/);
  io.err = "";
  expect(await main(["convert", "--city", "/no/such/file.json", "--in", "-"])).toBe(2);
  expect(io.err).toMatch(/no such file/);
});

test("convert: JSONL -> fb -> JSONL is stable, bad lines are reported with their line number", async () => {
  const dir = mkdtempSync(join(tmpdir(), "parkir-cli-"));
  const cityPath = join(dir, "city.json");
  const city = tinyCity();
  writeFileSync(
    cityPath,
    JSON.stringify({
      id: city.id,
      name: city.name,
      timeZone: city.timeZone,
      currency: city.currency,
      zones: city.zones,
    }),
  );
  const lines = [
    {
      event_id: "a",
      event_type: "park_start",
      event_time: T0_MS,
      curb_space_id: "Z1-B1",
      sequence_number: 1,
    },
    {
      event_id: "b",
      event_type: "manual_count",
      event_time: T0_MS + 1000,
      curb_zone_id: "Z1",
      vehicle_type: "motorcycle",
      vehicle_count: 12,
    },
    { event_id: "c", event_type: "park_end", event_time: T0_MS + 2000, curb_space_id: "UNKNOWN" },
  ];
  const jsonl = join(dir, "in.jsonl");
  writeFileSync(jsonl, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
  const fb = join(dir, "out.fb");
  expect(await main(["convert", "--city", cityPath, "--in", jsonl, "--out", fb])).toBe(0);
  expect(io.err).toMatch(/wrote 2 events in 1 batch.*unknown ids \(e\.g\. curb_space_id=UNKNOWN\)/);
  const back = join(dir, "back.jsonl");
  expect(await main(["convert", "--city", cityPath, "--in", fb, "--out", back])).toBe(0);
  const decoded = readFileSync(back, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(decoded.map((e) => e.event_id)).toEqual(["a", "b"]);
  expect(decoded[0]).toMatchObject({
    curb_zone_id: "Z1",
    data_source_device_id: "S1",
    vehicle_type: "car",
    sequence_number: 1,
  });

  writeFileSync(jsonl, `${JSON.stringify(lines[0])}\n{"event_id": 3}\n`);
  io.err = "";
  expect(await main(["convert", "--city", cityPath, "--in", jsonl, "--out", fb])).toBe(1);
  expect(io.err).toMatch(/1 invalid event line\(s\):\n {2}line 2: invalid event/);
  expect(await main(["convert", "--city", cityPath, "--in", jsonl, "--out", fb, "--skip-invalid"])).toBe(0);
});

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { CliError } from "../../src/cli/errors.js";
import { DEFAULT_START, register } from "../../src/cli/generate.js";
import { generateTrace } from "../../src/generate/index.js";
import { decodeEvents, readFrames, toJsonLines } from "../../src/wire/index.js";
import { PALU_PATH, paluCity } from "./fixtures.js";

/** Runs `parkir <argv>` with only the generate command, the way src/cli/main.ts handles errors. */
async function run(argv: string[]): Promise<number> {
  const program = new Command("parkir").exitOverride();
  register(program);
  for (const cmd of program.commands) cmd.exitOverride();
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof CliError) {
      process.stderr.write(`parkir: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}

let out = "";
let err = "";
let tty: boolean | undefined;
beforeEach(() => {
  out = "";
  err = "";
  tty = process.stdout.isTTY;
  vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  process.stdout.isTTY = tty as true;
});

const dir = mkdtempSync(join(tmpdir(), "parkir-generate-"));

test("JSON Lines on stdout by default, reproducible, from the bundled Palu catalogue", async () => {
  expect(await run(["generate", "--hours", "0.5", "--seed", "3"])).toBe(0);
  const expected = toJsonLines(
    generateTrace(paluCity(), { seed: 3, startMs: Date.parse(DEFAULT_START), hours: 0.5 }),
  );
  expect(out.length).toBeGreaterThan(1000);
  expect(out === expected).toBe(true);
  expect(err).toMatch(
    /wrote \d+ events for 200 zones \(0\.5 h from 2026-11-29T16:00:00\.000Z, seed 3\) as JSON Lines/,
  );
  const first = out;
  out = "";
  expect(
    await run(["generate", "--city", PALU_PATH, "--hours", "0.5", "--seed", "3", "--start", DEFAULT_START]),
  ).toBe(0);
  expect(out === first).toBe(true);
  out = "";
  expect(await run(["generate", "--hours", "0.5", "--seed", "4"])).toBe(0);
  expect(out).not.toBe(first);
});

test("--format fb writes frames that decode to the same events; --no-faults and --report", async () => {
  const fb = join(dir, "trace.fb");
  const args = [
    "generate",
    "--hours",
    "1",
    "--start",
    "2026-12-04T11:00:00+08:00",
    "--no-faults",
    "--report",
  ];
  expect(await run([...args, "--format", "fb", "--out", fb, "--batch-events", "500"])).toBe(0);
  expect(err).toMatch(/as FlatBuffers frames/);
  expect(JSON.parse(err.trim().split("\n").at(-1)!)).toMatchObject({ duplicates: 0, lost: 0, late: 0 });
  const batches = readFrames(new Uint8Array(readFileSync(fb)));
  expect(batches.length).toBeGreaterThan(1);
  const events = batches.flatMap((b) => decodeEvents(b, paluCity()));
  expect(await run(args)).toBe(0);
  expect(toJsonLines(events) === out).toBe(true);
  const times = events.map((e) => e.event_time as number);
  expect(times).toEqual([...times].sort((a, b) => a - b));
  const jsonl = join(dir, "trace.jsonl");
  expect(await run([...args, "--out", jsonl])).toBe(0);
  expect(readFileSync(jsonl, "utf8") === out).toBe(true);
});

test("fault rates from the command line change the trace", async () => {
  expect(await run(["generate", "--hours", "1", "--report"])).toBe(0);
  const base = JSON.parse(err.trim().split("\n").at(-1)!);
  err = "";
  expect(
    await run(["generate", "--hours", "1", "--report", "--duplicate-rate", "0.5", "--loss-rate", "0"]),
  ).toBe(0);
  const noisy = JSON.parse(err.trim().split("\n").at(-1)!);
  expect(noisy.lost).toBe(0);
  expect(noisy.duplicates).toBeGreaterThan(5 * base.duplicates);
});

test("refuses binary output to a terminal", async () => {
  process.stdout.isTTY = true;
  expect(await run(["generate", "--hours", "0.1", "--format", "fb"])).toBe(2);
  expect(err).toMatch(/refusing to write binary output to a terminal/);
  expect(out).toBe("");
});

test("bad arguments exit non-zero with a clear message", async () => {
  const cases: [string[], number, RegExp][] = [
    [["--seed", "x"], 2, /--seed <n>.*must be a non-negative integer/],
    [["--seed", "4294967296"], 2, /--seed <n>.*between 0 and 4294967295/],
    [["--hours", "0"], 2, /--hours <h>.*must be a number of hours/],
    [["--hours", "1e9"], 2, /--hours <h>.*at most|--hours <h>.*\(0, 744\]/],
    [["--hours", "abc"], 2, /--hours <h>.*must be a number/],
    [["--start", "2026-11-30T00:00:00"], 2, /--start <iso>.*ISO-8601 with an offset/],
    [["--format", "xml"], 2, /Allowed choices are jsonl, fb/],
    [["--city", join(dir, "missing.json")], 2, /no such file/],
    [["--loss-rate", "1.5"], 2, /--loss-rate <share>.*between 0 and 1/],
    [["--no-faults", "--late-rate", "0.1"], 2, /--no-faults cannot be combined with --late-rate/],
    [["--batch-events", "0"], 2, /--batch-events <n>.*positive integer/],
    [["--out", join(dir, "no", "such", "dir.jsonl")], 1, /cannot write/],
    [["--frobnicate"], 2, /unknown option '--frobnicate'/],
  ];
  for (const [args, code, message] of cases) {
    err = "";
    expect(await run(["generate", "--hours", "0.01", ...args]), args.join(" ")).toBe(code);
    expect(err, args.join(" ")).toMatch(message);
  }
  const bad = join(dir, "bad-city.json");
  writeFileSync(
    bad,
    JSON.stringify({ id: "x", name: "x", timeZone: "Mars/Olympus", currency: "IDR", zones: [] }),
  );
  err = "";
  expect(await run(["generate", "--city", bad])).toBe(2);
  expect(err).toMatch(/timeZone: must be an IANA time zone/);
  expect(err).toMatch(/zones: a city needs at least one zone/);
});

test("--help explains every option", async () => {
  expect(await run(["generate", "--help"])).toBe(0);
  for (const flag of [
    "--city",
    "--seed",
    "--hours",
    "--start",
    "--format",
    "--out",
    "--no-faults",
    "--loss-rate",
  ]) {
    expect(out).toContain(flag);
  }
  expect(out).toMatch(/Usage: parkir generate/);
});

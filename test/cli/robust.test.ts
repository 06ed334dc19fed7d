/**
 * The CLI under hostile conditions, run as the built binary: a full disk behind standard output, an
 * unwritable --out, variant names from Object.prototype, feeds with a wrong clock or garbage, and the exit
 * codes README documents (0 success, 1 runtime failure, 2 usage or configuration error).
 */
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";

const BIN = "dist/lib/cli.js";
const CITY = "seeds/palu/city.json";
const POLICY = "seeds/palu/policy.json";
const SAMPLE = "seeds/palu/sample-1h.jsonl";
const dir = mkdtempSync(join(tmpdir(), "parkir-cli-robust-"));
const aFile = join(dir, "a-file");
writeFileSync(aFile, "");
const full = openSync("/dev/full", "w");
afterAll(() => closeSync(full));

function run(args: readonly string[], stdout: "pipe" | number = "pipe"): SpawnSyncReturns<string> {
  return spawnSync("node", [BIN, ...args], {
    encoding: "utf8",
    stdio: ["ignore", stdout, "pipe"],
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });
}

/** One line on stderr, no stack trace. */
function oneLine(stderr: string, message: RegExp): void {
  const lines = stderr.trimEnd().split("\n");
  expect(lines.at(-1)).toMatch(message);
  expect(stderr).not.toMatch(/\n\s+at /);
}

const QUOTE = ["--city", CITY, "--policy", POLICY, "--zone", "PLU-001", "--vehicle", "car"];
const STAY = ["--start", "2026-11-30T09:00:00+08:00", "--end", "2026-11-30T10:30:00+08:00"];

test("a full disk behind standard output: one line and exit 1 in every command, and no 'wrote' before it", () => {
  const commands = [
    ["generate", "--hours", "0.2"],
    ["generate", "--hours", "0.2", "--format", "fb"],
    ["convert", "--city", CITY, "--in", SAMPLE],
    ["replay", "--city", CITY, "--events", SAMPLE],
    ["quote", ...QUOTE, ...STAY],
    ["demo", "--hours", "1", "--out", join(dir, "demo.jsonl")],
  ];
  for (const args of commands) {
    const r = run(args, full);
    expect(r.status, args.join(" ")).toBe(1);
    oneLine(r.stderr, /^parkir: cannot write standard output: ENOSPC/);
    expect(r.stderr, args.join(" ")).not.toMatch(/wrote/);
  }
}, 120_000);

test("an unwritable --out: one line naming the file, exit 1", () => {
  const out = join(aFile, "x");
  for (const args of [
    ["generate", "--hours", "0.1", "--out", out],
    ["convert", "--city", CITY, "--in", SAMPLE, "--out", out],
    ["demo", "--hours", "1", "--out", join(out, "demo.jsonl")],
  ]) {
    const r = run(args);
    expect(r.status, args.join(" ")).toBe(1);
    oneLine(r.stderr, new RegExp(`^parkir: cannot write ${out}`));
  }
  const r = run(["generate", "--hours", "0.1", "--out", "/dev/full"]);
  expect(r.status).toBe(1);
  oneLine(r.stderr, /^parkir: cannot write \/dev\/full: ENOSPC/);
}, 120_000);

test("variant names are a policy's own: constructor, __proto__ and toString are refused as configuration errors", () => {
  for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
    const r = run(["quote", ...QUOTE, ...STAY, "--variant", name]);
    expect(r.status, name).toBe(2);
    oneLine(r.stderr, new RegExp(`no variant "${name}" \\(has: dynamic\\)`));
  }
  expect(run(["quote", ...QUOTE, ...STAY, "--variant", "dynamic"]).status).toBe(0);
  // An impossible date on the command line is a usage error naming it.
  const feb30 = run([
    "quote",
    ...QUOTE,
    "--start",
    "2026-02-30T09:00:00+08:00",
    "--end",
    "2026-03-02T09:00:00+08:00",
  ]);
  expect(feb30.status).toBe(2);
  expect(feb30.stderr).toMatch(
    /'--start <time>' argument '2026-02-30T09:00:00\+08:00' is invalid\. 2026-02-30 is not a calendar date/,
  );
}, 120_000);

test("configuration errors exit 2, with the problems listed", () => {
  const bad = join(dir, "bad-city.json");
  writeFileSync(
    bad,
    JSON.stringify({ id: "x", name: "x", timeZone: "Mars/Olympus", currency: "IDR", zones: [] }),
  );
  const r = run(["replay", "--city", bad, "--events", SAMPLE]);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/timeZone: must be an IANA time zone/);
}, 120_000);

test("replay: one event from a wrong clock costs only itself and is reported; a feed with nothing accepted exits 1", () => {
  const lines = readFileSync(SAMPLE, "utf8").trimEnd().split("\n");
  const first = JSON.parse(lines[0]!);
  const at = (t: number, id: string) => JSON.stringify({ ...first, event_id: id, event_time: t });
  const t0 = first.event_time as number;
  // An event at time 0 before the feed, one 7.5 days ahead in the middle of the hour.
  const skewed = [
    at(0, "zero"),
    ...lines.slice(0, 700),
    at(t0 + 7.5 * 86_400_000, "ahead"),
    ...lines.slice(700),
  ];
  const file = join(dir, "skewed.jsonl");
  writeFileSync(file, `${skewed.join("\n")}\n`);
  const clean = run(["replay", "--city", CITY, "--events", SAMPLE]);
  const r = run(["replay", "--city", CITY, "--events", file]);
  expect(r.status).toBe(0);
  const summary = JSON.parse(r.stdout.trimEnd().split("\n").at(-1)!);
  const cleanSummary = JSON.parse(clean.stdout.trimEnd().split("\n").at(-1)!);
  expect(summary).toEqual({ ...cleanSummary, clockSkew: 2 });
  // The windows are those of the clean feed.
  expect(r.stdout.split("\n").slice(0, -2)).toEqual(clean.stdout.split("\n").slice(0, -2));
  expect(r.stderr).toMatch(/refused 1 event\(s\) more than 7\.0 days/);
  expect(r.stderr).toMatch(/dropped .*2 too far from the rest of the feed in time \(clock skew\)/);

  const garbage = join(dir, "garbage.jsonl");
  writeFileSync(garbage, "not json\n{}\n[1,2]\n");
  const g = run(["replay", "--city", CITY, "--events", garbage]);
  expect(g.status).toBe(1);
  oneLine(g.stderr, /^parkir: no event of .* was accepted/);
  const empty = join(dir, "empty.jsonl");
  writeFileSync(empty, "");
  expect(run(["replay", "--city", CITY, "--events", empty]).status).toBe(0);
}, 120_000);

test("replay of good frames followed by 4 MiB of zeros: the good frames are replayed, then one error and exit 1", () => {
  const fb = join(dir, "day.fb");
  expect(run(["convert", "--city", CITY, "--in", SAMPLE, "--out", fb]).status).toBe(0);
  const good = readFileSync(fb);
  const padded = new Uint8Array(good.byteLength + (4 << 20));
  padded.set(good);
  const file = join(dir, "padded.fb");
  writeFileSync(file, padded);
  const clean = run(["replay", "--city", CITY, "--events", fb]);
  const r = run(["replay", "--city", CITY, "--events", file]);
  expect(r.status).toBe(1);
  oneLine(r.stderr, /frame \d+: frame of 0 bytes cannot hold a batch; stopped reading here/);
  expect(r.stdout).toBe(clean.stdout);
}, 120_000);

test("replay streams its input: standard input gives the file's output; a 2 MiB line spanning read chunks costs only itself", () => {
  const clean = run(["replay", "--city", CITY, "--events", SAMPLE]);
  expect(clean.status).toBe(0);
  const piped = spawnSync("node", [BIN, "replay", "--city", CITY, "--events", "-"], {
    encoding: "utf8",
    input: readFileSync(SAMPLE),
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });
  expect(piped.status).toBe(0);
  expect(piped.stdout).toBe(clean.stdout);

  const lines = readFileSync(SAMPLE, "utf8").trimEnd().split("\n");
  const huge = `{"event_id":"${"x".repeat(2 << 20)}"}`;
  const file = join(dir, "huge-line.jsonl");
  writeFileSync(file, `${[...lines.slice(0, 100), huge, ...lines.slice(100)].join("\n")}\n`);
  const r = run(["replay", "--city", CITY, "--events", file]);
  expect(r.status).toBe(0);
  expect(r.stderr).toMatch(
    new RegExp(
      `line 101: invalid event: line of ${huge.length} bytes is longer than maxLineBytes \\(65536\\)`,
    ),
  );
  const summary = JSON.parse(r.stdout.trimEnd().split("\n").at(-1)!);
  const cleanSummary = JSON.parse(clean.stdout.trimEnd().split("\n").at(-1)!);
  expect(summary).toEqual({ ...cleanSummary, rejected: cleanSummary.rejected + 1 });
  expect(r.stdout.split("\n").slice(0, -2)).toEqual(clean.stdout.split("\n").slice(0, -2));
}, 120_000);

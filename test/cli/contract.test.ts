/**
 * The command line's contract with its users: the defaults and exit codes README's CLI section states are the
 * ones the CLI has, every `--help` states each default once, catalogues and policies default to the bundled
 * Palu seeds, and every subcommand maps usage and configuration errors to the same status.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import fc from "fast-check";
import { expect, test } from "vitest";
import { buildProgram, main } from "../../src/cli/main.js";
import { SEED_MAX, seed } from "../../src/cli/options.js";
import { captureOutput } from "./capture.js";

const io = captureOutput();

const SAMPLE = "seeds/palu/sample-1h.jsonl";
const dir = mkdtempSync(join(tmpdir(), "parkir-cli-contract-"));

/** README's "## Command line" section. */
function cliSection(): string {
  const readme = readFileSync("README.md", "utf8");
  const start = readme.indexOf("## Command line");
  return readme.slice(start, readme.indexOf("\n## ", start + 1));
}

/** Rows of the markdown table whose header starts with `| first |`, as cells (`\|` kept as `|`). */
function tableRows(section: string, first: string): string[][] {
  const lines = section.split("\n");
  const head = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  expect(head, `a table headed "${first}"`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(head + 2)) {
    if (!line.startsWith("|")) break;
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replaceAll("\\|", "|"));
    rows.push(cells);
  }
  return rows;
}

function subcommand(name: string): Command {
  const cmd = buildProgram().commands.find((c) => c.name() === name);
  expect(cmd, name).toBeDefined();
  return cmd!;
}

/** The `(default: …)` an option's line in `--help` states, whitespace collapsed. */
function statedDefault(cmd: Command, long: string): string | undefined {
  const option = cmd.options.find((o) => o.long === long);
  expect(option, `${cmd.name()} ${long}`).toBeDefined();
  const text = cmd.createHelp().optionDescription(option!).replace(/\s+/g, " ");
  return /\((?:[^()]*, )?default: ([^()]*)\)/.exec(text)?.[1];
}

/** The README status whose meaning starts with `meaning`. */
function readmeStatus(meaning: string): number {
  const row = tableRows(cliSection(), "status").find((r) => r[1]!.startsWith(meaning));
  expect(row, meaning).toBeDefined();
  return Number(row![0]);
}

test("README's command table: every option it shows exists, and every default it states is the one --help states", () => {
  const rows = tableRows(cliSection(), "command");
  const names = buildProgram()
    .commands.map((c) => c.name())
    .filter((n) => n !== "serve" && n !== "simulate");
  const documented = rows.map((r) => /^`parkir ([a-z]+)/.exec(r[0]!)?.[1]);
  for (const name of names) expect(documented, name).toContain(name);
  let checked = 0;
  for (const [usage, , defaults] of rows) {
    const cmd = subcommand(/^`parkir ([a-z]+)/.exec(usage!)![1]!);
    for (const [, long] of usage!.matchAll(/(--[a-z-]+)/g))
      expect(cmd.options.map((o) => o.long)).toContain(long);
    expect(defaults, `${cmd.name()}: a defaults cell`).toBeTruthy();
    for (const [, long, value] of defaults!.matchAll(/`(--[a-z-]+)` ([^,]+)/g)) {
      const stated = statedDefault(cmd, long!);
      expect(stated, `${cmd.name()} ${long} states a default in --help`).toBeDefined();
      expect(stated, `${cmd.name()} ${long}`).toContain(value!.trim());
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(20);
});

test("every --help states each default once", async () => {
  expect(await main(["--help"])).toBe(0);
  for (const cmd of buildProgram().commands) {
    const help = cmd.createHelp();
    for (const option of cmd.options) {
      const text = help.optionDescription(option);
      expect(
        text.match(/\(default|[;,] default:/g)?.length ?? 0,
        `${cmd.name()} ${option.long}`,
      ).toBeLessThan(2);
    }
    for (const argument of cmd.registeredArguments) {
      const text = help.argumentDescription(argument);
      expect(
        text.match(/\(default|[;,] default:/g)?.length ?? 0,
        `${cmd.name()} ${argument.name()}`,
      ).toBeLessThan(2);
    }
    io.out = "";
    expect(await main([cmd.name(), "--help"])).toBe(0);
    expect(io.out.replace(/\s+/g, " "), cmd.name()).not.toMatch(/\(default[^()]*\) ?\(default/);
  }
});

test("every option naming a catalogue or a policy defaults to the bundled Palu seed, and --help says so", () => {
  let checked = 0;
  for (const cmd of buildProgram().commands) {
    for (const option of cmd.options) {
      if (
        option.long !== "--city" &&
        !(option.long === "--policy" && !["replay", "worker", "serve"].includes(cmd.name()))
      )
        continue;
      expect(option.mandatory, `${cmd.name()} ${option.long}`).toBe(false);
      expect(statedDefault(cmd, option.long), `${cmd.name()} ${option.long}`).toBe(
        `the bundled seeds/palu/${option.long === "--city" ? "city" : "policy"}.json`,
      );
      checked++;
    }
  }
  expect(checked).toBeGreaterThanOrEqual(10);
});

test("quote and replay without --city / --policy use the bundled Palu seeds", async () => {
  const stay = ["--zone", "PLU-001", "--vehicle", "car", "--start", "2026-11-30T09:00:00+08:00"];
  const end = ["--end", "2026-11-30T10:30:00+08:00", "--variant", "dynamic"];
  expect(await main(["quote", ...stay, ...end])).toBe(0);
  const bare = io.out;
  io.out = "";
  const explicit = ["--city", "seeds/palu/city.json", "--policy", "seeds/palu/policy.json"];
  expect(await main(["quote", ...explicit, ...stay, ...end])).toBe(0);
  expect(JSON.parse(bare)).toEqual(JSON.parse(io.out));
  expect(JSON.parse(bare).amount).toBeGreaterThan(0);

  io.out = "";
  expect(await main(["replay", "--events", SAMPLE])).toBe(0);
  const replayed = io.out;
  io.out = "";
  expect(await main(["replay", "--city", "seeds/palu/city.json", "--events", SAMPLE])).toBe(0);
  expect(replayed).toBe(io.out);
  expect(JSON.parse(replayed.trimEnd().split("\n").at(-1)!).accepted).toBeGreaterThan(1000);
}, 60_000);

test("every subcommand: an unknown option, an invalid catalogue and a mistyped --variant are usage or configuration errors", async () => {
  const usage = readmeStatus("a usage or configuration error");
  expect(tableRows(cliSection(), "status").map((r) => Number(r[0]))).toEqual([0, 1, 2, 70]);
  const badCity = join(dir, "bad-city.json");
  writeFileSync(badCity, JSON.stringify({ id: "x", name: "x", timeZone: "Asia/Makassar", currency: "IDR" }));
  const badPolicy = join(dir, "bad-policy.json");
  writeFileSync(badPolicy, JSON.stringify({ currency: "IDR", tariffs: "free" }));
  const nats = ["--nats", "nats://127.0.0.1:1", "--partitions", "2"];
  const stay = ["--zone", "PLU-001", "--vehicle", "car", "--start", "2026-11-30T09:00:00+08:00"];
  const quote = [...stay, "--end", "2026-11-30T10:00:00+08:00"];
  const demo = [
    "--hours",
    "1",
    "--no-progress",
    "--out",
    join(dir, "d.jsonl"),
    "--report",
    join(dir, "d.html"),
  ];
  const required: Record<string, readonly string[]> = {
    generate: ["--hours", "1"],
    convert: ["--in", SAMPLE],
    replay: ["--events", SAMPLE],
    quote,
    demo,
    report: ["--out", join(dir, "r.html")],
    publish: [...nats, SAMPLE],
    worker: nats,
  };
  const cases: [string, string[], RegExp][] = [];
  for (const [name, args] of Object.entries(required)) {
    cases.push([name, ["--frobnicate", ...args], /unknown option '--frobnicate'/]);
    cases.push([name, ["--city", badCity, ...args], /bad-city\.json: zones: /]);
  }
  const policy = ["--policy", "seeds/palu/policy.json", "--variant", "dynamc"];
  for (const name of ["replay", "quote", "worker"])
    cases.push([name, [...policy, ...required[name]!], /no variant "dynamc" \(has: dynamic\)/]);
  for (const name of ["quote", "demo", "report", "worker"])
    cases.push([name, ["--policy", badPolicy, ...required[name]!], /tariffs: /]);
  for (const [name, args, message] of cases) {
    io.err = "";
    expect(await main([name, ...args]), `${name} ${args.join(" ")}`).toBe(usage);
    expect(io.err, `${name} ${args.join(" ")}`).toMatch(message);
    expect(io.err).not.toMatch(/\n\s+at /);
  }
  // The README's seed rule: the same for every command that takes one.
  for (const name of ["generate", "demo"]) {
    const option = subcommand(name).options.find((o) => o.long === "--seed")!;
    expect(option.parseArg, name).toBe(seed);
    io.err = "";
    expect(await main([name, "--seed", "-1", ...required[name]!])).toBe(usage);
    expect(io.err).toMatch(/'--seed <n>' argument '-1' is invalid/);
  }
}, 120_000);

test("seed: every integer 0..2^32-1 is accepted as written; anything else is refused", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: SEED_MAX }), (n) => {
      expect(seed(String(n))).toBe(n);
    }),
  );
  expect(seed("0")).toBe(0);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.integer({ min: SEED_MAX + 1, max: Number.MAX_SAFE_INTEGER }).map(String),
        fc.integer({ min: -1e9, max: -1 }).map(String),
        fc.double({ noInteger: true, noNaN: true }).map(String),
        fc.constantFrom("", " ", "1e3", "0x10", "1.0", "NaN", "seven", "+1"),
      ),
      (text) => {
        expect(() => seed(text)).toThrow(/integer/);
      },
    ),
  );
});

test("demo --seed 0 runs, as generate --seed 0 does", async () => {
  const demo = [
    "--hours",
    "1",
    "--no-progress",
    "--out",
    join(dir, "s0.jsonl"),
    "--report",
    join(dir, "s0.html"),
  ];
  expect(await main(["demo", "--seed", "0", ...demo])).toBe(0);
  expect(readFileSync(join(dir, "s0.jsonl"), "utf8").length).toBeGreaterThan(0);
  io.out = "";
  expect(await main(["generate", "--seed", "0", "--hours", "0.1"])).toBe(0);
  expect(io.out.split("\n").length).toBeGreaterThan(10);
}, 120_000);

test("replay: partial rejections are counted per reason on stderr and exit 0; a replay with every line rejected exits 1", async () => {
  const lines = readFileSync(SAMPLE, "utf8").trimEnd().split("\n");
  const first = JSON.parse(lines[0]!);
  const unknown = JSON.stringify({ ...first, event_id: "ghost-1", curb_zone_id: "NO-SUCH-ZONE" });
  const file = join(dir, "partial.jsonl");
  writeFileSync(file, `${["not json", "{}", unknown, ...lines].join("\n")}\n`);
  expect(await main(["replay", "--events", file])).toBe(0);
  expect(io.err).toMatch(
    /dropped 2 invalid \(lines, or batches that failed verification\), 1 with unknown ids, \d+ late, \d+ duplicate$/m,
  );
  const summary = JSON.parse(io.out.trimEnd().split("\n").at(-1)!);
  expect(summary).toMatchObject({ rejected: 2, unknownBay: 1 });
  expect(summary.accepted).toBeGreaterThan(1000);

  const runtime = readmeStatus("a runtime failure");
  for (const body of ["not json\n{}\n", `${unknown}\n`]) {
    const rejected = join(dir, "rejected.jsonl");
    writeFileSync(rejected, body);
    io.err = "";
    expect(await main(["replay", "--events", rejected])).toBe(runtime);
    expect(io.err.trimEnd().split("\n").at(-1)).toMatch(/^parkir: no event of .* was accepted/);
  }
}, 60_000);

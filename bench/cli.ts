/**
 * Command line of the benchmark runner: `npm run bench -- [--quick] [--suite NAME]... [--out FILE]`.
 */
import { Command, CommanderError, Option } from "commander";
import type { SuiteDefinition } from "./harness.js";

/** Parsed command line. */
export interface BenchArgs {
  /** Brief runs (CI smoke test; figures not comparable with full runs). */
  readonly quick: boolean;
  /** Suites to run, in registry order. */
  readonly suites: readonly SuiteDefinition[];
  /** Results file; undefined for the default `bench/results/<date>-<host>[-quick].json`. */
  readonly out: string | undefined;
  /** Write no results file. */
  readonly write: boolean;
}

/** A bad command line: message for stderr, exit code 2. */
export class BenchUsageError extends Error {
  override readonly name = "BenchUsageError";
}

/**
 * Parses argv (without node and script). Returns null when help was printed.
 *
 * @throws BenchUsageError for unknown flags, unknown suites or missing values.
 */
export function parseBenchArgs(
  argv: readonly string[],
  all: readonly SuiteDefinition[],
  write: (text: string) => void = (t) => process.stdout.write(t),
): BenchArgs | null {
  const names = all.map((s) => s.name);
  const program = new Command("npm run bench --")
    .description(
      "Benchmarks parkir next to the alternatives a user would otherwise pick, in one process run.\n" +
        "Prints a Markdown table on stdout, progress on stderr, and writes JSON results.",
    )
    .option("--quick", "run each suite briefly (CI smoke test; figures not comparable with full runs)", false)
    .addOption(
      new Option(
        "--suite <names...>",
        `suites to run (repeatable or comma-separated): ${names.join(", ")}`,
      ).argParser((value: string, previous: string[] | undefined) => [
        ...(previous ?? []),
        ...value.split(","),
      ]),
    )
    .option("--out <file>", "results JSON path (default bench/results/<YYYY-MM-DD>-<host>[-quick].json)")
    .option("--no-write", "do not write a results file (the tables, with commit and machine, still print)")
    .addHelpText(
      "after",
      `\nSuites:\n${all.map((s) => `  ${s.name.padEnd(19)} ${s.summary}`).join("\n")}\n\nExamples:\n` +
        "  npm run bench                         # everything, minutes\n" +
        "  npm run bench -- --quick              # smoke run, every suite briefly\n" +
        "  npm run bench -- --suite wire,limit   # two suites\n",
    )
    .helpOption("-h, --help", "show this help")
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeOut: write, writeErr: () => {} });
  try {
    program.parse([...argv], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.help") return null;
      throw new BenchUsageError(e.message.replace(/^error: /, ""));
    }
    throw e;
  }
  const opts = program.opts<{ quick: boolean; suite?: string[]; out?: string; write: boolean }>();
  const wanted = (opts.suite ?? []).map((s) => s.trim()).filter((s) => s !== "");
  for (const w of wanted) {
    if (!names.includes(w))
      throw new BenchUsageError(`unknown suite ${JSON.stringify(w)}; known suites: ${names.join(", ")}`);
  }
  if (opts.suite !== undefined && wanted.length === 0)
    throw new BenchUsageError("--suite needs at least one suite name");
  return {
    quick: opts.quick,
    suites: wanted.length === 0 ? all : all.filter((s) => wanted.includes(s.name)),
    out: opts.out,
    write: opts.write,
  };
}

/**
 * Entry point of `npm run bench`: parses flags, runs the suites, prints the Markdown table on
 * stdout and writes the JSON results. Exit codes: 0 ok, 1 a suite failed (or its cases disagree),
 * 2 bad command line.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BenchUsageError, parseBenchArgs } from "./cli.js";
import { runBenchmarks } from "./harness.js";
import { hostName, renderMarkdown, resultsFileName, writeResults } from "./report.js";
import { closePools } from "./suites/engine.js";
import { SUITES } from "./suites/index.js";

/** bench/results/ in the repository (this file runs from dist/bench/). */
const RESULTS_DIR = fileURLToPath(new URL("../../bench/results/", import.meta.url));

async function main(argv: readonly string[]): Promise<number> {
  let args: ReturnType<typeof parseBenchArgs>;
  try {
    args = parseBenchArgs(argv, SUITES);
  } catch (e) {
    if (e instanceof BenchUsageError) {
      process.stderr.write(`bench: ${e.message}\nRun \`npm run bench -- --help\` for usage.\n`);
      return 2;
    }
    throw e;
  }
  if (args === null) return 0;
  const started = performance.now();
  const path = !args.write
    ? undefined
    : args.out === undefined
      ? resolve(RESULTS_DIR, resultsFileName(new Date(), hostName(), args.quick))
      : resolve(args.out);
  let results: Awaited<ReturnType<typeof runBenchmarks>>;
  try {
    results = await runBenchmarks({
      suites: args.suites,
      profile: args.quick ? "quick" : "full",
      keepGoing: true,
      // Saved after every suite, so a long run that is stopped still leaves what it measured.
      onSuite: (partial) => {
        if (path !== undefined) writeResults(path, partial);
      },
    });
  } finally {
    // Worker pools of the sharded-engine cases would keep the process alive.
    await closePools();
  }
  const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`;
  process.stdout.write(renderMarkdown(results, command));
  if (path !== undefined) {
    writeResults(path, results);
    process.stderr.write(`results written to ${path}\n`);
  }
  process.stderr.write(`total ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  for (const f of results.failures ?? [])
    process.stderr.write(`bench: suite ${f.suite} failed: ${f.error}\n`);
  return results.failures === undefined ? 0 : 1;
}

/** How long the harness waits, once every suite is done, for the process to end by itself before it exits. */
const EXIT_GRACE_MS = 2_000;

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // A peer's client (MQTT, NATS, DuckDB) that keeps a handle open must not keep the harness running.
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  },
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), EXIT_GRACE_MS).unref();
  },
);

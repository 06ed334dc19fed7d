/**
 * What a results file says to a user: where parkir is faster or slower than what they would otherwise write or
 * pick, on which input, measured side by side in one run, with the command that reproduces each row; and the
 * machine's yardsticks. No targets.
 *
 * `node dist/bench/summary.js bench/results/<file>.json --markdown` prints the Markdown README shows;
 * `--readme [README.md]` writes it into README's block between `<!-- bench-summary: FILE -->` and
 * `<!-- /bench-summary -->` (naming FILE there), the one-command refresh after a run.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import type { BenchResults, CaseResult, SuiteResult } from "./harness.js";
import { sourceText } from "./report.js";
import { median } from "./stats.js";
import { yardsticks } from "./suites/limit.js";

/** One comparison: parkir's case next to a peer's, from the same input in the same run. */
export interface Comparison {
  /** What is computed, from which input. */
  readonly what: string;
  /** parkir's side (API, path). */
  readonly parkir: string;
  /** The alternative. */
  readonly peer: string;
  readonly parkirPerSec: number;
  readonly peerPerSec: number;
  /** parkir's rate over the peer's (round by round when the run had rounds). */
  readonly ratio: number;
  /** The lowest and highest round-by-round ratio (null when the run had no rounds). */
  readonly range: readonly [number, number] | null;
  /** Unit of the rates ("events", "quotes", "slots"). */
  readonly unit: string;
  /** `npm run bench -- --suite NAME`. */
  readonly command: string;
}

/** The comparisons a summary reports: [suite, parkir case, peer case, what, parkir side, peer side, unit]. */
const COMPARISONS: readonly (readonly [string, string, string, string, string, string, string])[] = [
  [
    "e2e",
    "parkir-jsonl",
    "map-jsonl",
    "JSON Lines bytes → closed 5-min windows",
    "`replayJsonLinesSync` (lines read in wasm)",
    "`JSON.parse` per line + a plain `Map` loop",
    "events",
  ],
  [
    "e2e",
    "parkir-jsonl",
    "duckdb-jsonl",
    "JSON Lines bytes → closed 5-min windows",
    "`replayJsonLinesSync` (lines read in wasm)",
    "DuckDB SQL (`read_json`, `lag`, `GROUP BY`)",
    "events",
  ],
  [
    "e2e",
    "parkir-jsonl-file",
    "duckdb-jsonl",
    "JSON Lines file → closed 5-min windows",
    "`replayJsonLinesSync` reading the file (as `parkir replay`)",
    "DuckDB SQL reading the file",
    "events",
  ],
  [
    "e2e",
    "parkir-objects",
    "map-objects",
    "event objects → closed 5-min windows",
    "`replayEventsSync` (each object validated)",
    "a plain `Map` loop",
    "events",
  ],
  [
    "uplinks",
    "parkir-scan",
    "json-extract",
    "uplink JSON (The Things Stack, ChirpStack) → events",
    "`parseMessage` (uplink scanner, payload decoder, catalogue)",
    "`JSON.parse` + the fields read off the object",
    "messages",
  ],
  [
    "wire",
    "flatbuffers-view-all-fields",
    "json-all-fields",
    "bytes → every field the engine reads",
    "FlatBuffers batch (`EventBatchView`)",
    "`JSON.parse` per line, ids looked up",
    "events",
  ],
  [
    "wire",
    "flatbuffers-view-all-fields",
    "protobufjs-all-fields",
    "bytes → every field the engine reads",
    "FlatBuffers batch (`EventBatchView`)",
    "protobufjs decode, ids looked up",
    "events",
  ],
  [
    "wire-encode",
    "flatbuffers",
    "json",
    "event objects → bytes",
    "`encodeEvents` (validates, resolves ids)",
    "`JSON.stringify` per line",
    "events",
  ],
  [
    "gateway",
    "parkir-write",
    "plain-mqtt",
    "uplinks from a local MQTT broker → closed windows",
    "`parkir serve` path, acknowledged once written",
    "mqtt.js + `JSON.parse` + a `Map`",
    "messages",
  ],
  [
    "gateway",
    "parkir-fsync",
    "plain-mqtt",
    "uplinks from a local MQTT broker → closed windows",
    "`parkir serve` path, fsync before acknowledging",
    "mqtt.js + `JSON.parse` + a `Map`",
    "messages",
  ],
  [
    "wasm-workers",
    "piscina-1",
    "single-thread",
    "encoded batches → closed windows",
    "sharded engine, `workers: 1`",
    "the engine in the caller's thread",
    "events",
  ],
  [
    "wasm-workers",
    "piscina-2",
    "piscina-1",
    "encoded batches → closed windows",
    "sharded engine, `workers: 2`",
    "sharded engine, `workers: 1`",
    "events",
  ],
  [
    "wasm-workers",
    "piscina-2-jsonl",
    "piscina-1-jsonl",
    "JSON Lines bytes → closed windows",
    "sharded engine, `workers: 2`",
    "sharded engine, `workers: 1`",
    "events",
  ],
  [
    "wasm-workers",
    "piscina-2-parse-jsonl",
    "piscina-1-jsonl",
    "JSON Lines bytes → closed windows",
    "sharded engine, `workers: 2, shards: 1` (the second worker parses)",
    "sharded engine, `workers: 1`",
    "events",
  ],
  [
    "pricing",
    "progressive-js",
    "progressive-quote",
    "stays → bills, progressive tariff",
    "`billBatch` over typed arrays",
    "one `quote()` per stay",
    "stays",
  ],
  [
    "pricing-controller",
    "js",
    "plain-objects",
    "one price-controller pass, 10,000 zones × 2 classes",
    "`controllerPass` over typed arrays",
    "a loop over one object per slot",
    "slots",
  ],
];

/** The comparisons a results object holds (rows whose cases did not run are left out). */
export function comparisons(results: BenchResults): Comparison[] {
  const rows: Comparison[] = [];
  for (const [suite, a, b, what, parkir, peer, unit] of COMPARISONS) {
    const s = results.suites.find((x) => x.name === suite);
    const ca = s?.cases.find((c) => c.name === a);
    const cb = s?.cases.find((c) => c.name === b);
    if (ca === undefined || cb === undefined) continue;
    rows.push({
      what,
      parkir,
      peer,
      parkirPerSec: ca.eventsPerSec,
      peerPerSec: cb.eventsPerSec,
      ratio: pairedRatio(ca, cb),
      range: ratioRange(ca, cb),
      unit,
      command: `npm run bench -- --suite ${suite}`,
    });
  }
  return rows;
}

/**
 * a's events/s over b's: the median of their ratios round by round when the run had rounds (both sides of a
 * round were measured seconds apart, so the machine's drift cancels), else the ratio of their rates.
 */
export function pairedRatio(a: CaseResult, b: CaseResult): number {
  const ra = a.roundRates as readonly number[] | undefined;
  const rb = b.roundRates as readonly number[] | undefined;
  if (ra === undefined || rb === undefined || ra.length !== rb.length || ra.length === 0)
    return a.eventsPerSec / b.eventsPerSec;
  return median(ra.map((x, r) => x / rb[r]!));
}

/** The lowest and highest of a's round-by-round ratios to b, or null when the run had no rounds. */
export function ratioRange(a: CaseResult, b: CaseResult): [number, number] | null {
  const ra = a.roundRates as readonly number[] | undefined;
  const rb = b.roundRates as readonly number[] | undefined;
  if (ra === undefined || rb === undefined || ra.length !== rb.length || ra.length < 2) return null;
  const xs = ra.map((x, r) => x / rb[r]!);
  return [Math.min(...xs), Math.max(...xs)];
}

/** A rate with its unit: "1.23 M events/s", "45.6 k stays/s". */
export function formatPerSec(x: number, unit: string): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(x >= 1e8 ? 0 : 2)} M ${unit}/s`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k ${unit}/s`;
  return `${x.toPrecision(3)} ${unit}/s`;
}

/** "**2.31×** (faster)", "**0.17×** (slower; rounds 0.12–0.25×)". */
export function verdict(ratio: number, range: readonly [number, number] | null = null): string {
  const fmt = (r: number) => (r >= 0.1 ? r.toFixed(2) : r.toPrecision(2));
  const rounds = range === null ? "" : `; rounds ${fmt(range[0])}–${fmt(range[1])}×`;
  return `**${fmt(ratio)}×** (${ratio >= 1 ? "faster" : "slower"}${rounds})`;
}

/** Bytes/s as GB/s. */
const gbps = (x: number) => `${(x / 1e9).toFixed(1)} GB/s`;

/** The yardstick lines of a limit suite, or nothing when it did not run. */
function yardstickLines(limit: SuiteResult | undefined, kernels: SuiteResult | undefined): string[] {
  if (limit === undefined) return [];
  const y = yardsticks(limit.cases);
  const parts: string[] = [];
  if (y.readBytesPerSec !== null)
    parts.push(`sequential read ${gbps(y.readBytesPerSec)} (\`${y.readCase}\`)`);
  if (y.u32AddsPerSec !== null)
    parts.push(
      `one chain of dependent u32 adds ${formatPerSec(y.u32AddsPerSec, "adds")} (a latency, not a bandwidth)`,
    );
  parts.push(
    y.floorEventsPerSec === null
      ? "random-update floor not measured in this run"
      : `random-update floor ${formatPerSec(y.floorEventsPerSec, "events")}`,
  );
  const lines = ["", `Yardsticks of this machine (\`npm run bench -- --suite limit\`): ${parts.join("; ")}.`];
  // The occupancy suite measures the floor on its own feed, beside the kernels and the engine.
  const floor = kernels?.cases.find((c) => c.name === "floor");
  const kernel = kernels?.cases.find((c) => c.name === "kernel-wasm");
  const engine = kernels?.cases.find((c) => c.name === "wasm");
  if (floor !== undefined && kernel !== undefined && engine !== undefined) {
    const pct = (x: number) => `${((x / floor.eventsPerSec) * 100).toFixed(1)} %`;
    lines.push(
      "",
      `Against the random-update floor on the same events (\`npm run bench -- --suite occupancy\`): the wasm kernel alone runs at ${pct(kernel.eventsPerSec)} of it, the whole engine at ${pct(engine.eventsPerSec)}.`,
    );
  }
  return lines;
}

/** What a worker buys, from the `wasm-workers` suite: the main thread's share and delay with and without workers. */
function workerLines(workers: SuiteResult | undefined): string[] {
  if (workers === undefined) return [];
  const figure = (name: string): string | null => {
    const x = workers.cases.find((c) => c.name === name);
    const elu = x?.mainElu;
    const p99 = x?.loopDelayP99Ms;
    if (typeof elu !== "number" || typeof p99 !== "number") return null;
    // A loop blocked for the whole run records no delay samples at all: say what that means.
    if (elu >= 0.99)
      return `event-loop utilisation ${elu.toFixed(2)}, the event loop blocked for each whole ingest`;
    return `event-loop utilisation ${elu.toFixed(2)}, delay p99 ${p99.toFixed(1)} ms`;
  };
  const parts: string[] = [];
  for (const [input, suffix] of [
    ["batches", ""],
    ["JSON Lines", "-jsonl"],
  ] as const) {
    const one = figure(`piscina-1${suffix}`);
    const none = figure(`single-thread${suffix}`);
    if (one !== null && none !== null)
      parts.push(`from ${input}, \`workers: 1\` ${one} (in the caller's thread: ${none})`);
  }
  if (parts.length === 0) return [];
  return [
    "",
    `The main thread while the engine ingests at full speed (\`npm run bench -- --suite wasm-workers\`): ${parts.join("; ")}.`,
  ];
}

/** The summary as Markdown: where the figures come from, the comparison table, the yardsticks. */
export function summaryMarkdown(results: BenchResults, file: string): string {
  const m = results.meta;
  const lines = [
    `From \`${file}\`: ${m.quick ? "a quick (smoke) run" : "a full run"} on ${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.date.slice(0, 10)}, ${sourceText(m)}. Each row compares two cases timed in the same run on the same input; parkir ÷ other is the median of their ratios round by round, with the lowest and highest round (so it can differ from the ratio of the two rates, which pool every round).`,
    "",
    "| from → to | parkir | compared with | parkir | other | parkir ÷ other | reproduce |",
    "|---|---|---|---:|---:|---:|---|",
  ];
  for (const c of comparisons(results)) {
    lines.push(
      `| ${c.what} | ${c.parkir} | ${c.peer} | ${formatPerSec(c.parkirPerSec, c.unit)} | ${formatPerSec(c.peerPerSec, c.unit)} | ${verdict(c.ratio, c.range)} | \`${c.command}\` |`,
    );
  }
  const suite = (name: string) => results.suites.find((s) => s.name === name);
  lines.push(...yardstickLines(suite("limit"), suite("occupancy")), ...workerLines(suite("wasm-workers")));
  return `${lines.join("\n")}\n`;
}

/** README's generated block: its opening marker names the results file. */
export const README_BLOCK = /<!-- bench-summary: (\S+) -->\n([\s\S]*?)<!-- \/bench-summary -->/;

/** The results file README's block names and the Markdown in it, or null when README has no block. */
export function readmeBlock(readme: string): { file: string; markdown: string } | null {
  const m = README_BLOCK.exec(readme);
  return m === null ? null : { file: m[1]!, markdown: m[2]! };
}

/** README with its block regenerated from `results` (read from `file`, a path relative to the repository). */
export function withSummary(readme: string, results: BenchResults, file: string): string {
  if (readmeBlock(readme) === null) throw new Error("README has no <!-- bench-summary: FILE --> block");
  return readme.replace(
    README_BLOCK,
    () => `<!-- bench-summary: ${file} -->\n${summaryMarkdown(results, file)}<!-- /bench-summary -->`,
  );
}

function main(argv: readonly string[]): number {
  const [file, flag, target] = argv;
  if (file === undefined || (flag !== undefined && flag !== "--markdown" && flag !== "--readme")) {
    process.stderr.write(
      "usage: node dist/bench/summary.js bench/results/<file>.json [--markdown | --readme [README.md]]\n",
    );
    return 2;
  }
  const results = JSON.parse(readFileSync(file, "utf8")) as BenchResults;
  // The name README shows: relative to the repository (this file runs from dist/bench/).
  const root = resolve(new URL("../..", import.meta.url).pathname);
  const shown = relative(root, resolve(file));
  if (flag === "--readme") {
    const path = target ?? resolve(root, "README.md");
    writeFileSync(path, withSummary(readFileSync(path, "utf8"), results, shown));
    process.stderr.write(`${path}: benchmark summary from ${shown}\n`);
    return 0;
  }
  process.stdout.write(summaryMarkdown(results, shown));
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === `file://${process.argv[1]}`)
  process.exitCode = main(process.argv.slice(2));

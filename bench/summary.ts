/**
 * Headline table of a results file: the figures the project's performance targets name, each with its
 * target and whether this run meets it. `node dist/bench/summary.js bench/results/<file>.json`
 * prints Markdown on stdout (used for the README). A figure whose case is missing prints "not measured".
 */
import { readFileSync } from "node:fs";
import type { BenchResults, CaseResult } from "./harness.js";
import { formatRatio } from "./report.js";
import { median } from "./stats.js";

/** One headline row. */
export interface HeadlineRow {
  readonly what: string;
  readonly value: string;
  readonly target: string;
  /** true met, false missed, null no target or not measured. */
  readonly met: boolean | null;
  readonly source: string;
}

type Find = (suite: string, name: string) => CaseResult | undefined;

const mps = (x: number) => `${(x / 1e6).toFixed(x >= 1e8 ? 0 : 1)} M/s`;
const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %`;
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;

/** The headline rows of a results object. */
export function headline(results: BenchResults): HeadlineRow[] {
  const find: Find = (suite, name) =>
    results.suites.find((s) => s.name === suite)?.cases.find((c) => c.name === name);
  const rows: HeadlineRow[] = [];
  const add = (
    what: string,
    source: [string, string] | [string, string, string],
    value: (a: CaseResult, b: CaseResult | undefined) => number,
    show: (v: number) => string,
    target?: { text: string; ok: (v: number) => boolean },
  ) => {
    const a = find(source[0], source[1]);
    const b = source[2] === undefined ? undefined : find(source[0], source[2]);
    const src = `${source[0]}/${source[1]}${source[2] === undefined ? "" : ` ÷ ${source[2]}`}`;
    if (a === undefined || (source[2] !== undefined && b === undefined)) {
      rows.push({ what, value: "not measured", target: target?.text ?? "", met: null, source: src });
      return;
    }
    const v = value(a, b);
    rows.push({
      what,
      value: show(v),
      target: target?.text ?? "",
      met: target ? target.ok(v) : null,
      source: src,
    });
  };
  const rate = (a: CaseResult) => a.eventsPerSec;
  const ratio = (a: CaseResult, b: CaseResult | undefined) => pairedRatio(a, b!);
  const ofRead = (a: CaseResult) => (a.fractionOfMemoryRead as number | undefined) ?? Number.NaN;
  const x = (v: number) => `${formatRatio(v)}×`;

  // Issue 3: occupancy engine.
  add("JS engine ingest, 100k bays, in order", ["wasm-occupancy", "js"], rate, mps, {
    text: "≥ 20 M/s",
    ok: (v) => v >= 20e6,
  });
  add("Window close, 10,000 zones (JS kernel)", ["window-close", "js"], (a) => 1000 / a.hz, ms, {
    text: "≤ 5 ms",
    ok: (v) => v <= 5,
  });
  add("Window close, 10,000 zones (wasm kernel)", ["window-close", "wasm"], (a) => 1000 / a.hz, ms, {
    text: "≤ 5 ms",
    ok: (v) => v <= 5,
  });
  add(
    "Engine state per bay (JS kernel)",
    ["footprint", "engine"],
    (a) => (a.stateBytesPerBay as number | undefined) ?? Number.NaN,
    (v) => `${v.toFixed(0)} B`,
    { text: "≤ 32 B", ok: (v) => v <= 32 },
  );
  // Issue 3 sets the target for the JS reference; the wasm kernel's figure is bytes allocated in its shared
  // memory (the same state plus copies of the catalogue's bay columns it reads), shown for comparison.
  add(
    "Engine state per bay (wasm kernel, allocated)",
    ["footprint", "engine-wasm"],
    (a) => (a.stateBytesPerBay as number | undefined) ?? Number.NaN,
    (v) => `${v.toFixed(0)} B`,
  );
  // Issue 4: pricing.
  add("Progressive tariff quotes (billBatch, JS)", ["pricing", "progressive-js"], rate, mps, {
    text: "≥ 5 M/s",
    ok: (v) => v >= 5e6,
  });
  add("Controller pass, 10k zones × 2", ["pricing-controller", "js"], (a) => 1000 / a.hz, ms, {
    text: "≤ 2 ms",
    ok: (v) => v <= 2,
  });
  // Issue 5: runtime.
  add("wasm ÷ JS occupancy kernel, in order", ["wasm-occupancy", "kernel-wasm", "kernel-js"], ratio, x, {
    text: "≥ 3×",
    ok: (v) => v >= 3,
  });
  add(
    "wasm ÷ JS occupancy kernel, shuffled",
    ["wasm-occupancy", "kernel-wasm-shuffled", "kernel-js-shuffled"],
    ratio,
    x,
    { text: "≥ 3×", ok: (v) => v >= 3 },
  );
  add("wasm kernel ÷ memory read, in order", ["wasm-occupancy", "kernel-wasm"], ofRead, pct, {
    text: "≥ 50 %",
    ok: (v) => v >= 0.5,
  });
  add("wasm kernel ÷ memory read, shuffled", ["wasm-occupancy", "kernel-wasm-shuffled"], ofRead, pct, {
    text: "≥ 50 %",
    ok: (v) => v >= 0.5,
  });
  add("Whole engine, wasm, one thread, in order", ["wasm-occupancy", "wasm"], rate, mps, {
    text: "≥ 100 M/s",
    ok: (v) => v >= 100e6,
  });
  add("Whole engine, wasm, one thread, shuffled", ["wasm-occupancy", "wasm-shuffled"], rate, mps);
  add("Whole engine, wasm, batches received in kernel memory", ["wasm-occupancy", "wasm-inplace"], rate, mps);
  add("Whole engine wasm ÷ JS, in order", ["wasm-occupancy", "wasm", "js"], ratio, x);
  add("2 workers ÷ 1 worker, 64k batches", ["wasm-workers", "piscina-2", "piscina-1"], ratio, x, {
    text: "≥ 1.6×",
    ok: (v) => v >= 1.6,
  });
  add("Billing kernel, flat tariff", ["wasm-billing", "wasm-flat"], rate, mps, {
    text: "≥ 20 M/s",
    ok: (v) => v >= 20e6,
  });
  add("Billing kernel, hourly tariff", ["wasm-billing", "wasm-dynamic"], rate, mps, {
    text: "≥ 20 M/s",
    ok: (v) => v >= 20e6,
  });
  // Issue 6: parkir next to what a user would otherwise pick.
  add("Engine ÷ hand-written RxJS (groupBy + scan)", ["occupancy", "js", "rxjs-idiomatic"], ratio, x);
  add("FlatBuffers view ÷ JSON.parse, reading", ["wire", "flatbuffers-view", "json"], ratio, x);
  add("Engine (Palu trace) 2 workers ÷ one thread", ["engine", "piscina-2", "single-thread"], ratio, x);
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

/** The headline rows as a Markdown table. */
export function headlineMarkdown(rows: readonly HeadlineRow[]): string {
  const lines = ["| figure | this run | target | met | from (suite/case) |", "|---|---:|---:|:---:|---|"];
  for (const r of rows) {
    const met = r.met === null ? "" : r.met ? "yes" : "**no**";
    lines.push(`| ${r.what} | ${r.value} | ${r.target} | ${met} | \`${r.source}\` |`);
  }
  return `${lines.join("\n")}\n`;
}

const file = process.argv[2];
if (file !== undefined && import.meta.url === `file://${process.argv[1]}`) {
  const results = JSON.parse(readFileSync(file, "utf8")) as BenchResults;
  process.stdout.write(headlineMarkdown(headline(results)));
}

/**
 * Output of a benchmark run: the Markdown table for people and the JSON file for tools.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import type { BenchResults, CaseResult, SuiteResult } from "./harness.js";
import { formatRate } from "./harness.js";

/**
 * Default results file name: `<YYYY-MM-DD>-<host>.json`, or `<YYYY-MM-DD>-<host>-quick.json` for
 * quick runs so a smoke run never overwrites published figures.
 *
 * @example resultsFileName(new Date("2026-11-30"), "ci-1", false) // "2026-11-30-ci-1.json"
 */
export function resultsFileName(date: Date, host: string, quick: boolean): string {
  const safeHost = host.replace(/[^A-Za-z0-9.-]+/g, "_") || "host";
  return `${date.toISOString().slice(0, 10)}-${safeHost}${quick ? "-quick" : ""}.json`;
}

/** The local host name used in result file names. */
export function hostName(): string {
  return hostname();
}

/** Writes results as pretty JSON (creating the directory) and returns the path. */
export function writeResults(path: string, results: BenchResults): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}

/**
 * The results as Markdown: one table per suite with the workload, the baseline and per-case notes.
 */
export function renderMarkdown(results: BenchResults, command?: string): string {
  const m = results.meta;
  const lines: string[] = [];
  lines.push(`# parkir benchmarks${m.quick ? " (quick)" : ""}`);
  lines.push("");
  lines.push(`Node ${m.node} · ${m.cpu} · ${m.cores} cores · ${m.date} · ${sourceText(m)}`);
  if (command !== undefined) lines.push(`Command: \`${command}\``);
  for (const s of results.suites) lines.push("", ...renderSuite(s));
  return `${lines.join("\n")}\n`;
}

/** The measured source: "commit 1a2b3c4d5e6f", "(uncommitted changes)" when the tree was dirty. */
export function sourceText(meta: {
  readonly commit?: string | null;
  readonly dirty?: boolean | null;
}): string {
  if (meta.commit === undefined || meta.commit === null) return "commit not recorded";
  const dirty =
    meta.dirty === true ? " with uncommitted changes" : meta.dirty === null ? " (tree state unknown)" : "";
  return `commit ${meta.commit.slice(0, 12)}${dirty}`;
}

function renderSuite(s: SuiteResult): string[] {
  const sizes = Object.entries(s.workload.sizes)
    .map(([k, v]) => `${k} ${typeof v === "number" ? v.toLocaleString("en-US") : v}`)
    .join(", ");
  const out = [
    `## ${s.name}`,
    "",
    `${s.workload.description} (${sizes}${s.workload.seed === null ? "" : `; seed ${s.workload.seed}`}). Baseline: \`${s.baseline}\`.${roundsNote(s)}`,
    "",
    "| case | ops/s | ±rme | samples | events/op | events/s | × baseline | notes |",
    "|---|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const c of s.cases) {
    out.push(
      `| ${c.name} | ${formatRate(c.hz)} | ${c.rme.toFixed(1)} % | ${c.samples} | ${c.eventsPerOp.toLocaleString("en-US")} | ${formatRate(c.eventsPerSec)} | ${ratioText(c)} | ${notes(c)} |`,
    );
  }
  return out;
}

/** How ratios were taken, when the suite ran in rounds. */
function roundsNote(s: SuiteResult): string {
  const range = s.cases.find((c) => c.ratioRange !== undefined)?.ratioRange as { rounds: number } | undefined;
  if (range === undefined) return "";
  return ` Cases ran in ${range.rounds} interleaved rounds; × baseline is the median of the rounds' ratios (range in brackets).`;
}

/** The ratio to the baseline, with the range over rounds when there were several (e.g. "2.10 (1.95–2.30)"). */
function ratioText(c: CaseResult): string {
  const range = c.ratioRange as { min: number; max: number } | undefined;
  const mid = formatRatio(c.ratioToBaseline);
  if (range === undefined || range.min === range.max) return mid;
  return `${mid} (${formatRatio(range.min)}–${formatRatio(range.max)})`;
}

function notes(c: CaseResult): string {
  const parts: string[] = [];
  const num = (k: string): number | undefined => (typeof c[k] === "number" ? (c[k] as number) : undefined);
  const bytesPerEvent = num("bytesPerEvent");
  if (bytesPerEvent !== undefined) parts.push(`${bytesPerEvent.toFixed(1)} B/event`);
  const bytesPerSec = num("bytesPerSec");
  if (bytesPerSec !== undefined) parts.push(`${(bytesPerSec / 1e9).toFixed(2)} GB/s`);
  const fraction = num("fractionOfLimit");
  if (fraction !== undefined) parts.push(`${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)} % of limit`);
  const ofRead = num("fractionOfMemoryRead");
  if (ofRead !== undefined && c.name !== "memory-read")
    parts.push(`${(ofRead * 100).toFixed(ofRead < 0.1 ? 1 : 0)} % of memory-read`);
  const setup = num("setupMs");
  if (setup !== undefined) parts.push(`setup ${setup.toFixed(1)} ms (untimed)`);
  const latency = c.latencyMs as Record<string, number> | undefined;
  if (latency !== undefined && typeof latency.p50 === "number") {
    parts.push(`latency p50 ${latency.p50.toFixed(2)} ms, p99 ${(latency.p99 ?? Number.NaN).toFixed(2)} ms`);
  }
  const memory = c.memory as Record<string, number> | undefined;
  if (memory !== undefined && typeof memory.bytesPerBay === "number") {
    parts.push(
      `${memory.bytesPerBay.toFixed(0)} B/bay (heap ${mb(memory.heapUsedBytes)}, buffers ${mb(memory.externalBytes)}, RSS ${mb(memory.rssBytes)})`,
    );
  }
  const state = num("stateBytesPerBay");
  const stateRss = num("stateRssBytesPerBay");
  if (state !== undefined)
    parts.push(
      `state ${state.toFixed(0)} B/bay${stateRss === undefined ? "" : ` (RSS growth ${stateRss.toFixed(0)} B/bay)`}`,
    );
  const phases = c.phasesMs as Record<string, number> | undefined;
  if (phases !== undefined) {
    parts.push(
      Object.entries(phases)
        .map(([k, v]) => `${k} ${v.toFixed(1)} ms`)
        .join(", "),
    );
  }
  const note = c.note;
  if (typeof note === "string") parts.push(note);
  if (c.runCheck === "consistent") parts.push("each timed run checked against the case's first run");
  else if (c.runCheck === "none") parts.push("timed runs not checked");
  return parts.join("; ");
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? "?" : `${(bytes / 1048576).toFixed(1)} MiB`;
}

/** A ratio with 2 decimals, or 2 significant digits below 0.1 (0.0021 stays readable). */
export function formatRatio(ratio: number): string {
  return ratio >= 0.1 || ratio === 0 ? ratio.toFixed(2) : ratio.toPrecision(2);
}

/**
 * Peak memory of a JSON Lines replay against the size of its input: not a suite (nothing is compared side by
 * side), the measurement behind docs/BENCHMARKS.md's streaming figure. After `npm run build`:
 *
 *   node dist/bench/jsonl-memory.js HOURS [cli|stream|bytes]
 *
 * writes a generated Palu trace of HOURS hours (default faults) as JSON Lines to a temporary file, then in a
 * fresh child process replays it — `cli` (default): `parkir replay --events FILE` with its output to /dev/null;
 * `stream`: replayJsonLines over fs.createReadStream (64 KiB chunks); `bytes`: the whole file read, then
 * parseEventLines + encodeEventBatches + ingest (what a program holding the whole file does) — and prints the
 * file's size and the child's peak RSS (the kernel's high-water mark, getrusage maxrss).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCity } from "../src/catalog/index.js";
import { generateTrace, paluCatalog } from "../src/generate/index.js";
import { OccupancyEngine, replayJsonLines } from "../src/occupancy/index.js";
import { EncodeReport, encodeEventBatches, parseEventLines, toJsonLines } from "../src/wire/index.js";
import { BENCH_SEED, PALU_DAY_MS } from "./fixtures/workload.js";

async function child(path: string, mode: string): Promise<void> {
  if (mode === "cli") {
    // The CLI itself, in this process: its standard output goes to /dev/null (see main).
    const { main } = await import("../src/cli/main.js");
    const code = await main(["replay", "--events", path]);
    const peak = process.resourceUsage().maxRSS * 1024;
    writeFileSync(`${path}.peak.json`, JSON.stringify({ mode, exitCode: code, peakRssBytes: peak }));
    return;
  }
  const city = loadCity(paluCatalog());
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  let windows = 0;
  if (mode === "stream") {
    await replayJsonLines(createReadStream(path, { highWaterMark: 65_536 }), city, {
      onWindows: () => {
        windows++;
      },
    });
  } else {
    const engine = new OccupancyEngine(city, { reuseWindowBuffers: true, clock: () => 0 });
    engine.windows$.subscribe(() => {
      windows++;
    });
    const parsed = parseEventLines(new TextDecoder().decode(readFileSync(path)));
    const batches = encodeEventBatches(parsed.events, city, 4096, new EncodeReport(), {
      keepEventIds: false,
    });
    for (const b of batches) engine.ingest(b);
    engine.close();
  }
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  process.stdout.write(`${JSON.stringify({ mode, windows, peakRssBytes: peak })}\n`);
}

function main(argv: readonly string[]): void {
  const hours = Number(argv[0] ?? "24");
  const mode = argv[1] ?? "cli";
  if (!(hours > 0) || (mode !== "cli" && mode !== "stream" && mode !== "bytes")) {
    process.stderr.write("usage: node dist/bench/jsonl-memory.js HOURS [cli|stream|bytes]\n");
    process.exitCode = 2;
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "parkir-jsonl-memory-"));
  try {
    const path = join(dir, "trace.jsonl");
    const city = loadCity(paluCatalog());
    const events = generateTrace(city, { seed: BENCH_SEED, startMs: PALU_DAY_MS, hours, warmupHours: 12 });
    writeFileSync(path, toJsonLines(events));
    const args = [fileURLToPath(import.meta.url), "--child", path, mode];
    let r: { mode: string; peakRssBytes: number };
    if (mode === "cli") {
      const run = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] });
      if (run.status !== 0) throw new Error(`parkir replay exited with ${run.status}`);
      r = JSON.parse(readFileSync(`${path}.peak.json`, "utf8"));
    } else r = JSON.parse(execFileSync(process.execPath, args, { encoding: "utf8" }));
    process.stdout.write(
      `${JSON.stringify({ hours, events: events.length, fileBytes: statSync(path).size, ...r })}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") await child(process.argv[3]!, process.argv[4]!);
else main(process.argv.slice(2));

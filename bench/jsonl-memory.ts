/**
 * Peak memory of a JSON Lines replay against the size of its input: not a suite (nothing is compared side by
 * side), the measurement behind docs/BENCHMARKS.md's streaming figure. After `npm run build`:
 *
 *   node dist/bench/jsonl-memory.js HOURS [stream|bytes]
 *
 * writes a generated Palu trace of HOURS hours (default faults) as JSON Lines to a temporary file, then in a
 * fresh child process replays it — `stream`: replayJsonLines over fs.createReadStream (64 KiB chunks);
 * `bytes`: the whole file read, then parseEventLines + encodeEventBatches + ingest (the path `parkir replay`
 * takes today) — and prints the file's size and the child's peak RSS (sampled every 5 ms).
 */
import { execFileSync } from "node:child_process";
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
  peak = Math.max(peak, process.memoryUsage().rss);
  process.stdout.write(`${JSON.stringify({ mode, windows, peakRssBytes: peak })}\n`);
}

function main(argv: readonly string[]): void {
  const hours = Number(argv[0] ?? "24");
  const mode = argv[1] ?? "stream";
  if (!(hours > 0) || (mode !== "stream" && mode !== "bytes")) {
    process.stderr.write("usage: node dist/bench/jsonl-memory.js HOURS [stream|bytes]\n");
    process.exitCode = 2;
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "parkir-jsonl-memory-"));
  try {
    const path = join(dir, "trace.jsonl");
    const city = loadCity(paluCatalog());
    const events = generateTrace(city, { seed: BENCH_SEED, startMs: PALU_DAY_MS, hours, warmupHours: 12 });
    writeFileSync(path, toJsonLines(events));
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--child", path, mode], {
      encoding: "utf8",
    });
    const r = JSON.parse(out) as { mode: string; windows: number; peakRssBytes: number };
    process.stdout.write(
      `${JSON.stringify({ hours, events: events.length, fileBytes: statSync(path).size, ...r })}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") await child(process.argv[3]!, process.argv[4]!);
else main(process.argv.slice(2));

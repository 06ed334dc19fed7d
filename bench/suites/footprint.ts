/**
 * The `footprint` suite: memory per 100,000 bays and cold start, each measured in a fresh child
 * process so nothing else in the harness's heap distorts it.
 *
 * Cases `city` (baseline) and `plain-map` build a bay model for the same scaled catalogue; their
 * hz is builds per second and `memory` holds what stays retained after GC. `cold-start` is the time
 * from process start to the first verified batch of the catalogue; its hz is starts per second.
 * `import` is what `import("parkir")` costs a process: rounds of `node -e ''`, `node -e 'import("parkir")'`
 * (the bundle the package exports) and the same library imported from the unbundled compiled sources, back to
 * back in a rotating order; its figure is the median of the differences to bare Node within a round. `palu-hour` is a gateway-sized process: parkir imported, the Palu catalogue loaded and one hour
 * of its trace streamed through an occupancy engine; its figure is the process's peak RSS.
 * The cases measure different things, so the suite has no result equality check.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { paluCatalogJson } from "../../src/generate/index.js";
import { DEFAULT_OPTIONS } from "../../src/occupancy/index.js";
import { packageRoot, seedPath } from "../../src/paths.js";
import { type CdsEvent, toJsonLines } from "../../src/wire/index.js";
import type { ColdStartReport } from "../child/coldstart.js";
import type { FootprintReport } from "../child/footprint.js";
import type { PaluHourReport } from "../child/paluhour.js";
import { childScript, runChild } from "../child/protocol.js";
import { BENCH_SEED, paluWorkload } from "../fixtures/workload.js";
import type { CaseSpec, Measurement, Profile, SuiteDefinition } from "../harness.js";
import { median, summarizeTimings } from "../stats.js";

/** Bays per footprint model, per profile (quick runs measure 25,000: bytesPerBay is what to compare). */
export const FOOTPRINT_BAYS: Readonly<Record<Profile, number>> = {
  full: 100_000,
  quick: 25_000,
  tiny: 2_000,
};
/** Child processes per case, per profile. */
const RUNS: Readonly<Record<Profile, number>> = { full: 5, quick: 1, tiny: 1 };
/** Cold-start child processes per profile. */
const COLD_RUNS: Readonly<Record<Profile, number>> = { full: 10, quick: 1, tiny: 1 };
/** Rounds of bare / import("parkir") / unbundled-sources processes per profile. */
const IMPORT_PAIRS: Readonly<Record<Profile, number>> = { full: 21, quick: 9, tiny: 3 };
/** Palu-hour child processes per profile. */
const HOUR_RUNS: Readonly<Record<Profile, number>> = { full: 3, quick: 1, tiny: 1 };
/**
 * What `node -e` evaluates in the import case: bare Node, the package's entry (the bundle in dist/lib), and the
 * same library from the compiled sources one module per file (dist/src), which shows what the bundle saves.
 */
export const IMPORT_PROGRAMS = {
  bare: "",
  parkir: 'import("parkir")',
  sources: 'import("./dist/src/index.js")',
} as const;
type ImportSide = keyof typeof IMPORT_PROGRAMS;

/** Wall time of `node -e program` run in parkir's package root (where `parkir` resolves to itself), ms. */
function nodeEvalMs(program: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    execFile(
      process.execPath,
      ["-e", program],
      { cwd: packageRoot(), timeout: 60_000 },
      (error, _out, stderr) => {
        if (error !== null) reject(new Error(`node -e '${program}' failed: ${error.message}\n${stderr}`));
        else resolve(performance.now() - start);
      },
    );
  });
}

/**
 * Median extra wall time of `import("parkir")` (and of the unbundled sources) over bare Node, from `rounds`
 * rounds of one process per side, run back to back in a rotating order so drift of the machine's load favours
 * no side.
 */
async function importCost(rounds: number): Promise<Measurement> {
  const sides = Object.keys(IMPORT_PROGRAMS) as ImportSide[];
  const ms: Record<ImportSide, number[]> = { bare: [], parkir: [], sources: [] };
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < sides.length; j++) {
      const side = sides[(i + j) % sides.length]!;
      ms[side].push(await nodeEvalMs(IMPORT_PROGRAMS[side]));
    }
  }
  const extra = (side: ImportSide) => median(ms[side].map((t, i) => t - ms.bare[i]!));
  const cost = extra("parkir");
  const sourcesCost = extra("sources");
  const t = summarizeTimings(ms.parkir);
  return {
    hz: t.hz,
    rme: t.rme,
    samples: t.samples,
    extra: {
      importCostMs: cost,
      importSourcesCostMs: sourcesCost,
      bareNodeMs: median(ms.bare),
      importParkirMs: median(ms.parkir),
      rounds,
      note:
        `import("parkir") costs ${cost.toFixed(1)} ms more than bare Node (median of ${rounds} rounds; ` +
        `bare ${median(ms.bare).toFixed(1)} ms, with parkir ${median(ms.parkir).toFixed(1)} ms); the compiled ` +
        `sources unbundled (dist/src) cost ${sourcesCost.toFixed(1)} ms; hz: parkir processes per second`,
    },
  };
}

/** Peak RSS of a process that loads the Palu catalogue and streams one hour of its trace. */
async function paluHour(runs: number): Promise<Measurement> {
  const script = childScript("paluhour");
  const reports: PaluHourReport[] = [];
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    reports.push(
      await runChild<PaluHourReport>(script, [
        seedPath("palu", "city.json"),
        seedPath("palu", "sample-1h.jsonl"),
      ]),
    );
    times.push(performance.now() - start);
  }
  const t = summarizeTimings(times);
  const peak = median(reports.map((r) => r.peakRssBytes));
  return {
    hz: t.hz,
    rme: t.rme,
    samples: t.samples,
    extra: {
      peakRssBytes: peak,
      peakRssMiB: peak / 2 ** 20,
      accepted: reports[0]!.accepted,
      windows: reports[0]!.windows,
      note:
        `peak RSS ${(peak / 2 ** 20).toFixed(1)} MiB (median of ${runs}; getrusage) of a process that imports parkir, ` +
        `loads seeds/palu/city.json and streams seeds/palu/sample-1h.jsonl (${reports[0]!.accepted} events accepted) ` +
        "through replayJsonLines with default engine options",
    },
  };
}

/** Event time after which the engine (default 5-min windows, 2-min lateness) has closed its first window. */
function firstWindowCloseMs(events: readonly CdsEvent[]): number {
  let first = Number.POSITIVE_INFINITY;
  for (const e of events) first = Math.min(first, Number(e.event_time));
  const windowMs = DEFAULT_OPTIONS.windowMs;
  return (Math.floor(first / windowMs) + 1) * windowMs + DEFAULT_OPTIONS.allowedLatenessMs + 60_000;
}

async function footprint(model: string, bays: number, runs: number): Promise<Measurement> {
  const script = childScript("footprint");
  const reports: FootprintReport[] = [];
  for (let i = 0; i < runs; i++) {
    reports.push(
      await runChild<FootprintReport>(script, [model, String(bays), String(BENCH_SEED)], ["--expose-gc"]),
    );
  }
  const t = summarizeTimings(reports.map((r) => r.buildMs));
  const heap = median(reports.map((r) => r.heapUsedBytes));
  const external = median(reports.map((r) => r.externalBytes));
  const rss = median(reports.map((r) => r.rssBytes));
  const states = reports.flatMap((r) => (r.stateBytes === undefined ? [] : [r.stateBytes]));
  const statesRss = reports.flatMap((r) => (r.stateRssBytes === undefined ? [] : [r.stateRssBytes]));
  return {
    hz: t.hz,
    rme: t.rme,
    samples: t.samples,
    extra: {
      memory: {
        heapUsedBytes: heap,
        externalBytes: external,
        rssBytes: rss,
        bytesPerBay: (heap + external) / bays,
      },
      // The engine alone (measured after the city in the same child), as issue 3 counts it.
      ...(states.length > 0
        ? { stateBytesPerBay: median(states) / bays, stateRssBytesPerBay: median(statesRss) / bays }
        : {}),
    },
  };
}

/** The `footprint` suite. */
export const footprintSuite: SuiteDefinition = {
  name: "footprint",
  summary: "heap and RSS per 100,000 bays (fresh child processes); cold start to the first window",
  build({ profile }) {
    const bays = FOOTPRINT_BAYS[profile];
    const runs = RUNS[profile];
    // Resolve child scripts now so a missing build fails before anything runs.
    childScript("footprint");
    childScript("paluhour");
    const coldScript = childScript("coldstart");
    // The first minutes of the Palu morning trace: enough event time for the watermark to close a window.
    const palu = paluWorkload("quick");
    const closeMs = firstWindowCloseMs(palu.events);
    const firstBatch = palu.events.filter((e) => Number(e.event_time) < closeMs);
    const engineFootprint = (model: string) => footprint(model, bays, runs);
    const cases: CaseSpec[] = [
      {
        name: "city",
        eventsPerOp: bays,
        extra: { note: "loadCity: validated document + typed-array indices; units are bays" },
        measure: () => footprint("city", bays, runs),
      },
      {
        name: "engine",
        eventsPerOp: bays,
        extra: {
          kernel: "js",
          note: 'the city plus a new OccupancyEngine, kernel: "js" (bay state, window rows), before any event; state = what the engine adds to the city (same process)',
        },
        measure: () => engineFootprint("engine"),
      },
      {
        name: "engine-wasm",
        eventsPerOp: bays,
        extra: {
          kernel: "wasm",
          note: 'the same with kernel: "wasm" (state created in the kernel\'s shared WebAssembly.Memory, 4 MiB at least); state = what the engine allocates: JS heap growth plus the bytes it takes in that memory (same process)',
        },
        measure: () => engineFootprint("engine-wasm"),
      },
      {
        name: "import",
        eventsPerOp: 1,
        extra: {
          note: `importCostMs: median over rounds of node -e '${IMPORT_PROGRAMS.parkir}' minus node -e '' run back to back (rotating order); importSourcesCostMs: the same for the unbundled dist/src; hz: parkir processes per second`,
        },
        measure: () => importCost(IMPORT_PAIRS[profile]),
      },
      {
        name: "palu-hour",
        eventsPerOp: 1,
        extra: {
          note: "peak RSS (getrusage) of a process that imports parkir, loads seeds/palu/city.json and streams seeds/palu/sample-1h.jsonl through replayJsonLines (default engine options)",
        },
        measure: () => paluHour(HOUR_RUNS[profile]),
      },
      {
        name: "plain-map",
        eventsPerOp: bays,
        extra: { note: "Map<bayId, object> + Map<sensorId, bayId>, no validation" },
        measure: () => footprint("plain-map", bays, runs),
      },
      {
        name: "cold-start",
        eventsPerOp: firstBatch.length,
        extra: {
          note: "process start → Palu catalogue loaded → first JSONL batch encoded and verified → first window emitted; engine with default options (wasm kernel where it can run)",
        },
        measure: async (): Promise<Measurement> => {
          const dir = mkdtempSync(join(tmpdir(), "parkir-bench-"));
          try {
            const catalogPath = join(dir, "city.json");
            const batchPath = join(dir, "batch.jsonl");
            writeFileSync(catalogPath, paluCatalogJson());
            writeFileSync(batchPath, toJsonLines(firstBatch));
            const reports: ColdStartReport[] = [];
            for (let i = 0; i < COLD_RUNS[profile]; i++) {
              reports.push(await runChild<ColdStartReport>(coldScript, [catalogPath, batchPath]));
            }
            const t = summarizeTimings(reports.map((r) => r.firstWindowMs));
            const phase = (f: (r: ColdStartReport) => number) => median(reports.map(f));
            return {
              hz: t.hz,
              rme: t.rme,
              samples: t.samples,
              extra: {
                phasesMs: {
                  boot: phase((r) => r.bootMs),
                  imports: phase((r) => r.importedMs - r.bootMs),
                  catalog: phase((r) => r.catalogMs - r.importedMs),
                  firstBatch: phase((r) => r.firstBatchMs - r.catalogMs),
                  firstWindow: phase((r) => r.firstWindowMs - r.firstBatchMs),
                  total: phase((r) => r.firstWindowMs),
                },
              },
            };
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      },
    ];
    return {
      name: "footprint",
      workload: {
        description:
          "Synthetic 100 × 20 catalogue scaled with scaleCity for memory; Palu catalogue and the first minutes of its morning trace for cold start",
        seed: BENCH_SEED,
        sizes: {
          bays,
          firstBatchEvents: firstBatch.length,
          runs,
          coldStartRuns: COLD_RUNS[profile],
          importPairs: IMPORT_PAIRS[profile],
          paluHourRuns: HOUR_RUNS[profile],
        },
      },
      baseline: "city",
      cases,
      independent: true,
      // Bytes, not rates: nothing drifts between cases, and the cold-start case takes seconds per round.
      rounds: 1,
    };
  },
};

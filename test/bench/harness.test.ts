import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { parseBenchArgs } from "../../bench/cli.js";
import { scaleCity, syntheticCityDoc } from "../../bench/fixtures/city.js";
import { synthEvents } from "../../bench/fixtures/events.js";
import { eventWorkload } from "../../bench/fixtures/workload.js";
import {
  BenchMismatchError,
  type BenchResults,
  runBenchmarks,
  type SuiteDefinition,
  TIMING,
  type TimingOptions,
} from "../../bench/harness.js";
import { feedSync, singleEngine, timeKernel } from "../../bench/replay.js";
import { renderMarkdown, resultsFileName } from "../../bench/report.js";
import { measureRuns } from "../../bench/runs.js";
import { percentile, summarizeTimings } from "../../bench/stats.js";
import { closePools } from "../../bench/suites/engine.js";
import { SUITES } from "../../bench/suites/index.js";
import { MOSQUITTO } from "../../bench/suites/mosquitto.js";
import { readJsonLines, readView, toJsonLines } from "../../bench/suites/wire.js";
import { comparisons, pairedRatio, summaryMarkdown } from "../../bench/summary.js";
import { loadCity } from "../../src/catalog/index.js";
import { encodeEvents, eventIssues, parseEventTime } from "../../src/wire/index.js";

const quiet = () => {};

afterAll(closePools);

describe("runBenchmarks on tiny sizes", () => {
  let results: BenchResults;

  it("runs every in-process suite and returns the documented JSON shape", async () => {
    // footprint spawns compiled child scripts (dist/), so it only runs under `npm run bench` (CI's `bench --quick`
    // smoke run included); gateway starts Debian's mosquitto (installed by .ci/run), skipped where it is missing.
    const suites = SUITES.filter(
      (s) => s.name !== "footprint" && (s.name !== "gateway" || MOSQUITTO !== undefined),
    );
    results = await runBenchmarks({
      suites,
      profile: "tiny",
      log: quiet,
    });
    expect(Object.keys(results.meta).sort()).toEqual([
      "commit",
      "cores",
      "cpu",
      "date",
      "dirty",
      "node",
      "quick",
    ]);
    expect(results.meta.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(typeof results.meta.dirty).toBe("boolean");
    expect(results.meta.quick).toBe(true);
    expect(results.meta.node).toBe(process.version);
    expect(results.meta.cores).toBeGreaterThan(0);
    expect(results.suites.map((s) => s.name)).toEqual(suites.map((s) => s.name));
    expect(results.suites.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        "limit",
        "wasm-memread",
        "wasm-billing",
        "wire",
        "wire-encode",
        "occupancy",
        "wasm-occupancy",
        "window-close",
        "engine",
        "e2e",
        "wasm-workers",
        "pricing",
        "pricing-controller",
      ]),
    );
    for (const s of results.suites) {
      // `ratios` only where the suite names some (e2e).
      expect(
        Object.keys(s)
          .filter((k) => k !== "ratios")
          .sort(),
      ).toEqual(["baseline", "cases", "name", "workload"]);
      expect(s.workload.description.length).toBeGreaterThan(0);
      expect(Object.keys(s.workload.sizes).length).toBeGreaterThan(0);
      for (const c of s.cases) {
        for (const k of ["name", "hz", "rme", "samples", "eventsPerOp", "eventsPerSec", "ratioToBaseline"]) {
          expect(c).toHaveProperty(k);
        }
        expect(c.hz).toBeGreaterThan(0);
        expect(c.samples).toBeGreaterThan(0);
      }
    }
    if (MOSQUITTO !== undefined) {
      // The gateway suite drained its backlog in every case and measured the event loop and memory doing it.
      const gateway = results.suites.find((s) => s.name === "gateway")!;
      expect(gateway.baseline).toBe("plain-mqtt");
      expect(gateway.cases.map((c) => c.name)).toEqual(["plain-mqtt", "parkir-fsync", "parkir-write"]);
      for (const c of gateway.cases) {
        const x = c as unknown as {
          uplinksPerSec: number;
          eventLoopDelayMs: { p99: number };
          rssBytes: number;
        };
        expect(x.uplinksPerSec).toBeGreaterThan(0);
        // A tiny backlog can drain within one turn of the event loop, which the histogram never samples.
        expect(x.eventLoopDelayMs.p99).toBeGreaterThanOrEqual(0);
        expect(Number.isFinite(x.eventLoopDelayMs.p99)).toBe(true);
        expect(x.rssBytes).toBeGreaterThan(0);
      }
    }
    // The result must survive a JSON round trip unchanged (no NaN, no functions).
    expect(JSON.parse(JSON.stringify(results))).toEqual(results);
  }, 90_000); // a smoke run of eight suites: slow when the CI machine is busy

  it("names the cases other tools rely on", () => {
    const wire = results.suites.find((s) => s.name === "wire")!;
    expect(wire.baseline).toBe("json");
    expect(wire.cases.map((c) => c.name)).toEqual(
      expect.arrayContaining(["flatbuffers-view", "json", "msgpackr", "protobufjs"]),
    );
    const encode = results.suites.find((s) => s.name === "wire-encode")!;
    expect(encode.cases.map((c) => c.name)).toEqual(
      expect.arrayContaining(["flatbuffers", "json", "msgpackr", "protobufjs"]),
    );
    for (const c of wire.cases) expect(c.bytesPerEvent).toBeGreaterThan(0);
    const occupancy = results.suites.find((s) => s.name === "occupancy")!;
    expect(occupancy.baseline).toBe("js");
    expect(occupancy.cases.map((c) => c.name)).toEqual(
      expect.arrayContaining(["js", "wasm", "rxjs-scan", "rxjs-groupby", "memory-read"]),
    );
    expect(occupancy.cases.find((c) => c.name === "js")!.kernel).toBe("js");
    expect(occupancy.cases.find((c) => c.name === "wasm")!.kernel).toBe("wasm");
    // The random-update floor runs beside the engine and kernel cases, and the results give both as a fraction of it.
    expect(occupancy.cases.map((c) => c.name)).toEqual(
      expect.arrayContaining(["kernel-js", "kernel-wasm", "floor"]),
    );
    for (const ratio of ["js/floor", "wasm/floor", "kernel-js/floor", "kernel-wasm/floor"])
      expect(occupancy.ratios?.[ratio]?.median).toBeGreaterThan(0);
    const runtime = results.suites.find((s) => s.name === "wasm-occupancy")!;
    expect(runtime.baseline).toBe("js");
    expect(runtime.cases.map((c) => c.name)).toEqual([
      "js",
      "wasm",
      "js-shuffled",
      "wasm-shuffled",
      "wasm-inplace",
      "kernel-js",
      "kernel-wasm",
      "kernel-js-shuffled",
      "kernel-wasm-shuffled",
      "memory-read",
    ]);
    const engine = results.suites.find((s) => s.name === "engine")!;
    expect(engine.baseline).toBe("single-thread");
    expect(engine.cases.map((c) => c.name)).toEqual(
      expect.arrayContaining(["single-thread", "single-thread-js", "piscina-1", "piscina-2"]),
    );
    for (const size of ["1k", "64k"]) {
      for (const prefix of ["single-thread", "piscina-1", "piscina-2"])
        expect(engine.cases.map((c) => c.name)).toContain(`${prefix}-${size}`);
    }
    expect(engine.cases.find((c) => c.name === "piscina-2")!.workers).toBe(2);
    for (const c of engine.cases) {
      const latency = c.latencyMs as { p50: number; p99: number; windows: number };
      expect(latency.windows).toBeGreaterThan(0);
      expect(latency.p99).toBeGreaterThanOrEqual(latency.p50);
      expect(c.setupMs).toBeGreaterThanOrEqual(0);
    }
    const e2e = results.suites.find((s) => s.name === "e2e")!;
    expect(e2e.baseline).toBe("map-jsonl");
    expect(e2e.cases.map((c) => c.name)).toEqual([
      "map-jsonl",
      "parkir-jsonl",
      "parkir-jsonl-file",
      "jsonl-reader",
      "parkir-jsonl-js",
      "jsonl-reader-js",
      "parkir-jsonl-parse",
      "duckdb-jsonl",
      "parkir-objects",
      "map-objects",
    ]);
    expect(Object.keys(e2e.ratios!).sort()).toEqual([
      "jsonl file parkir / DuckDB (both read the file)",
      "jsonl parkir / DuckDB",
      "jsonl parkir / JSON.parse+Map",
      "jsonl parkir / parkir JS reader",
      "jsonl parkir / parkir JSON.parse path",
      "jsonl parkir JS reader / DuckDB",
      "jsonl parkir JS reader / JSON.parse+Map",
      "jsonl reader (probe) / JS reader (probe)",
      "jsonl reader alone (probe) / JSON.parse+Map",
      "objects parkir / Map",
    ]);
    for (const r of Object.values(e2e.ratios!)) expect(r.median).toBeGreaterThan(0);
    const workers = results.suites.find((s) => s.name === "wasm-workers")!;
    expect(workers.baseline).toBe("piscina-1");
    expect(workers.cases.map((c) => c.name)).toEqual([
      "single-thread",
      "piscina-1",
      "piscina-2",
      "piscina-2-every",
      "piscina-2-parse",
      "single-thread-jsonl",
      "piscina-1-jsonl",
      "piscina-2-jsonl",
      "piscina-2-every-jsonl",
      "piscina-2-parse-jsonl",
    ]);
    // The main thread's share and each shard's time, next to wall time, in every case.
    for (const c of workers.cases) {
      const shards = c.workers as number;
      expect(c.mainElu).toBeGreaterThanOrEqual(0);
      expect(c.mainElu).toBeLessThanOrEqual(1);
      expect(c.loopDelayP99Ms).toBeGreaterThanOrEqual(0);
      expect(c.wallMs).toBeGreaterThan(0);
      expect(Object.keys(c.shardBusyMs as object)).toHaveLength(shards);
      expect(Object.keys(c.shardCpuMs as object)).toHaveLength(shards);
      // CPU figures (null only where the platform does not tell): the critical path never exceeds the total.
      if (c.cpuMs !== null) {
        expect(c.mainCpuMs as number).toBeGreaterThanOrEqual(0);
        expect(c.cpuCriticalMs as number).toBeLessThanOrEqual((c.cpuMs as number) + 1e-9);
      }
    }
    // Ratio entries against the cases measured before, same input, same run.
    for (const name of [
      "piscina-2",
      "piscina-2-jsonl",
      "piscina-2-every",
      "piscina-2-every-jsonl",
      "piscina-2-parse",
      "piscina-2-parse-jsonl",
    ]) {
      const c = workers.cases.find((x) => x.name === name)!;
      const vs = c.vsWorkers1 as Record<string, number | null>;
      const one = workers.cases.find((x) => x.name === name.replace(/-2(-parse|-every)?/, "-1"))!;
      expect(vs.wallMs).toBeCloseTo((c.wallMs as number) / (one.wallMs as number), 9);
      expect(c.vsSingleThread).toBeDefined();
    }
    expect(workers.cases.find((x) => x.name === "piscina-1")!.vsWorkers1).toBeUndefined();
  });

  it("computes ratios, event rates and fractions of the memory limit from the same run", () => {
    for (const s of results.suites) {
      const base = s.cases.find((c) => c.name === s.baseline)!;
      expect(base.ratioToBaseline).toBe(1);
      for (const c of s.cases) {
        expect(c.ratioToBaseline).toBeCloseTo(c.eventsPerSec / base.eventsPerSec, 9);
        if (c.eventsPerOp === base.eventsPerOp) expect(c.ratioToBaseline).toBeCloseTo(c.hz / base.hz, 9);
        expect(c.eventsPerSec).toBeCloseTo(c.hz * c.eventsPerOp, 3);
      }
    }
    const limit = results.suites.find((s) => s.name === "limit")!;
    const limitBytesPerSec = limit.cases.find((c) => c.name === limit.baseline)!.bytesPerSec as number;
    const view = results.suites
      .find((s) => s.name === "wire")!
      .cases.find((c) => c.name === "flatbuffers-view")!;
    expect(view.fractionOfLimit).toBeCloseTo((view.bytesPerSec as number) / limitBytesPerSec, 9);
    // Kernels against the plain read of the same bytes, measured in the same suite.
    for (const name of ["occupancy", "wasm-occupancy"]) {
      const s = results.suites.find((x) => x.name === name)!;
      const read = s.cases.find((c) => c.name === "memory-read")!;
      expect(read.fractionOfMemoryRead).toBe(1);
      for (const c of s.cases)
        expect(c.fractionOfMemoryRead).toBeCloseTo(c.eventsPerSec / read.eventsPerSec, 9);
    }
  });

  it("checks every timed run of every suite that computes comparable results", () => {
    for (const s of results.suites) {
      for (const c of s.cases) {
        expect(["reference", "consistent", "none"]).toContain(c.runCheck);
        if (c.runCheck !== "none") expect(c.checkedRuns as number).toBeGreaterThanOrEqual(c.samples);
      }
    }
    // The suites this harness's owner maintains check every run against the reference itself.
    for (const name of ["limit", "wire", "window-close", "pricing", "pricing-controller"]) {
      for (const c of results.suites.find((s) => s.name === name)!.cases)
        expect(c.runCheck).toBe("reference");
    }
  });

  it("summarises parkir against its peers, same input, with the command to reproduce", () => {
    const rows = comparisons(results);
    const e2e = results.suites.find((s) => s.name === "e2e")!;
    const jsonl = rows.find((r) => r.what.startsWith("JSON Lines") && r.peer.includes("Map"))!;
    const a = e2e.cases.find((c) => c.name === "parkir-jsonl")!;
    const b = e2e.cases.find((c) => c.name === "map-jsonl")!;
    expect(jsonl.ratio).toBeCloseTo(a.eventsPerSec / b.eventsPerSec, 9);
    expect(jsonl.command).toBe("npm run bench -- --suite e2e");
    const md = summaryMarkdown(results, "bench/results/x.json");
    for (const r of rows) expect(md).toContain(`| ${r.what} | ${r.parkir} | ${r.peer} |`);
    expect(md).toContain(results.meta.commit!.slice(0, 12));
    expect(md).toContain("a latency, not a bandwidth");
    expect(md).not.toMatch(/target/i);
  });

  it("renders a Markdown table with one row per case", () => {
    const md = renderMarkdown(results, "npm run bench -- --quick");
    expect(md).toContain("| case | ops/s |");
    expect(md).toContain("`npm run bench -- --quick`");
    for (const s of results.suites) for (const c of s.cases) expect(md).toContain(`| ${c.name} |`);
  });
});

describe("result agreement before timing", () => {
  it("fails loudly when a case computes something else, and times nothing", async () => {
    const { city, events } = eventWorkload("tiny");
    const json = toJsonLines(events);
    // A subtly wrong case: the batch lost its first event.
    const wrong = encodeEvents(events.slice(1), city);
    let timed = 0;
    const counted =
      <T>(f: () => T) =>
      () => {
        timed++;
        return f();
      };
    const suite: SuiteDefinition = {
      name: "broken",
      summary: "a suite with a wrong case",
      build: () => ({
        name: "broken",
        workload: { description: "test", seed: 1, sizes: { events: events.length } },
        baseline: "json",
        cases: [
          { name: "json", eventsPerOp: events.length, fn: counted(() => readJsonLines(json)) },
          {
            name: "flatbuffers-view",
            eventsPerOp: events.length,
            fn: counted(() => readView(wrong, city)),
          },
        ],
      }),
    };
    const run = runBenchmarks({ suites: [suite], profile: "tiny", log: quiet });
    await expect(run).rejects.toBeInstanceOf(BenchMismatchError);
    await expect(run).rejects.toThrow(/case flatbuffers-view computes a different result from json/);
    expect(timed).toBe(2); // one agreement call each, no timing loop
  });

  it("with keepGoing, runs the other suites and lists the failed one", async () => {
    const ok: SuiteDefinition = {
      name: "ok",
      summary: "",
      build: () => ({
        name: "ok",
        workload: { description: "d", seed: null, sizes: { n: 1 } },
        baseline: "a",
        cases: [{ name: "a", eventsPerOp: 1, fn: () => 1 }],
      }),
    };
    const bad: SuiteDefinition = {
      name: "bad",
      summary: "",
      build: () => {
        throw new Error("cannot prepare");
      },
    };
    const r = await runBenchmarks({ suites: [bad, ok], profile: "tiny", log: quiet, keepGoing: true });
    expect(r.suites.map((s) => s.name)).toEqual(["ok"]);
    expect(r.failures).toEqual([{ suite: "bad", error: "cannot prepare" }]);
    await expect(runBenchmarks({ suites: [bad, ok], profile: "tiny", log: quiet })).rejects.toThrow(
      /cannot prepare/,
    );
  });

  it("disposes what a suite's build started, once, after the suite ran and after it failed", async () => {
    const disposed: string[] = [];
    const suite = (name: string, result: () => number): SuiteDefinition => ({
      name,
      summary: "",
      build: () => ({
        name,
        workload: { description: "d", seed: null, sizes: { n: 1 } },
        baseline: "a",
        cases: [
          { name: "a", eventsPerOp: 1, fn: () => 1 },
          { name: "b", eventsPerOp: 1, fn: result },
        ],
        dispose: () => {
          disposed.push(name);
        },
      }),
    });
    const r = await runBenchmarks({
      suites: [suite("agrees", () => 1), suite("differs", () => 2)],
      profile: "tiny",
      log: quiet,
      keepGoing: true,
    });
    expect(r.suites.map((s) => s.name)).toEqual(["agrees"]);
    expect(r.failures?.map((f) => f.suite)).toEqual(["differs"]);
    expect(disposed).toEqual(["agrees", "differs"]);
  });

  it("writes a suite's named ratios (same-round rates) and refuses one naming a missing case", async () => {
    const make = (ratios: Record<string, readonly [string, string]>): SuiteDefinition => ({
      name: "r",
      summary: "",
      build: () => ({
        name: "r",
        workload: { description: "d", seed: null, sizes: { n: 1 } },
        baseline: "a",
        ratios,
        cases: [
          { name: "a", eventsPerOp: 1, result: () => 1, fn: () => 1 },
          { name: "b", eventsPerOp: 2, result: () => 1, fn: () => 1 },
        ],
      }),
    });
    const r = await runBenchmarks({ suites: [make({ "b/a": ["b", "a"] })], profile: "tiny", log: quiet });
    const ratio = r.suites[0]!.ratios!["b/a"]!;
    const [a, b] = r.suites[0]!.cases;
    expect(ratio.median).toBeCloseTo(b!.eventsPerSec / a!.eventsPerSec, 6); // one round: the plain ratio
    await expect(
      runBenchmarks({ suites: [make({ x: ["a", "c"] })], profile: "tiny", log: quiet }),
    ).rejects.toThrow(/ratio x names a missing case/);
  });

  it("e2e checks every timed run against the reference windows", async () => {
    const { checkedRun, e2eSuite } = await import("../../bench/suites/e2e.js");
    const spec = await e2eSuite.build({ profile: "tiny", log: quiet });
    const sums = new Set<unknown>();
    for (const c of spec.cases) if ("fn" in c && c.group === undefined) sums.add(c.fn());
    expect(sums.size).toBe(1); // every timed case returns the reference checksum (or it would have thrown)
    // The reader-only probe (its own group) reads every line by the fast path into batches of every event.
    const probe = spec.cases.find((c) => c.name === "jsonl-reader")!;
    expect(probe.group).toBe("reader");
    const figures = (probe as { fn: () => { lines: number; events: number; batches: number } }).fn();
    expect(figures.events).toBe(spec.workload.sizes.events);
    expect(figures.batches).toBeGreaterThan(0);
    expect(probe.result!()).toEqual(figures);
    // The same probe with the JavaScript path only: the same figures.
    const jsProbe = spec.cases.find((c) => c.name === "jsonl-reader-js")!;
    expect(jsProbe.group).toBe("reader");
    expect((jsProbe as { fn: () => unknown }).fn()).toEqual(figures);
    expect(() => checkedRun("x", { windows: 3, checksum: 10 }, { windows: 3, checksum: 11 })).toThrow(
      /e2e\/x: 3 windows, checksum 11; expected 3, 10/,
    );
    expect(() => checkedRun("x", { windows: 3, checksum: 10 }, { windows: 2, checksum: 10 })).toThrow();
    expect(checkedRun("x", { windows: 3, checksum: 10 }, { windows: 3, checksum: 10 })).toBe(10);
  });

  it("rejects a missing baseline and duplicate case names", async () => {
    const make = (baseline: string, names: string[]): SuiteDefinition => ({
      name: "s",
      summary: "",
      build: () => ({
        name: "s",
        workload: { description: "d", seed: null, sizes: { n: 1 } },
        baseline,
        cases: names.map((name) => ({ name, eventsPerOp: 1, fn: () => 1 })),
      }),
    });
    await expect(runBenchmarks({ suites: [make("x", ["a"])], profile: "tiny", log: quiet })).rejects.toThrow(
      /baseline case x is missing/,
    );
    await expect(
      runBenchmarks({ suites: [make("a", ["a", "a"])], profile: "tiny", log: quiet }),
    ).rejects.toThrow(/duplicate case a/);
  });

  it("propagates an error thrown inside a timed case", async () => {
    let calls = 0;
    const suite: SuiteDefinition = {
      name: "throws",
      summary: "",
      build: () => ({
        name: "throws",
        workload: { description: "d", seed: null, sizes: { n: 1 } },
        baseline: "a",
        cases: [
          {
            name: "a",
            eventsPerOp: 1,
            result: () => 1,
            fn: () => {
              calls++;
              throw new Error("boom in case");
            },
          },
        ],
      }),
    };
    await expect(runBenchmarks({ suites: [suite], profile: "tiny", log: quiet })).rejects.toThrow(
      /boom in case/,
    );
    expect(calls).toBeGreaterThan(0);
  });

  it("keeps closure scope: benchmark.js calls the closure, it does not recompile it", async () => {
    const captured = { calls: 0 };
    const suite: SuiteDefinition = {
      name: "closure",
      summary: "",
      build: () => ({
        name: "closure",
        workload: { description: "d", seed: null, sizes: { n: 1 } },
        baseline: "a",
        cases: [
          {
            name: "a",
            eventsPerOp: 1,
            fn: () => {
              captured.calls++;
              return 1;
            },
          },
        ],
      }),
    };
    const r = await runBenchmarks({ suites: [suite], profile: "tiny", timing: TIMING.tiny, log: quiet });
    expect(captured.calls).toBeGreaterThan(1);
    expect(r.suites[0]!.cases[0]!.hz).toBeGreaterThan(0);
  });
});

describe("rounds", () => {
  it("times every case once per round, in turn, and takes ratios within rounds", async () => {
    // The machine slows down 10× in round 2: rates move, ratios within a round do not.
    const speed = [1, 0.1, 0.5];
    const order: string[] = [];
    const rounds: Record<string, number> = { base: 0, twice: 0 };
    const measured = (name: string, factor: number) => ({
      name,
      eventsPerOp: 10,
      result: () => 1,
      measure: (timing: TimingOptions) => {
        expect(timing.rounds).toBe(3);
        expect(timing.minSamples).toBe(2); // 6 samples in all, shared by 3 rounds
        order.push(name);
        const hz = 100 * factor * speed[rounds[name]!++]!;
        return { hz, rme: 1, samples: 2, timesMs: [1000 / hz, 1000 / hz] };
      },
    });
    const suite: SuiteDefinition = {
      name: "rounds",
      summary: "",
      build: () => ({
        name: "rounds",
        workload: { description: "d", seed: null, sizes: { n: 1 } },
        baseline: "base",
        memoryRead: "base",
        cases: [measured("base", 1), measured("twice", 2)],
      }),
    };
    const timing = { ...TIMING.tiny, minSamples: 6, rounds: 3 };
    const r = await runBenchmarks({ suites: [suite], profile: "tiny", timing, log: quiet });
    expect(order).toEqual(["base", "twice", "base", "twice", "base", "twice"]);
    const [base, twice] = r.suites[0]!.cases;
    expect(twice!.ratioToBaseline).toBeCloseTo(2, 12);
    expect(twice!.ratioRange).toEqual({
      min: twice!.ratioToBaseline,
      max: twice!.ratioToBaseline,
      rounds: 3,
    });
    expect(twice!.fractionOfMemoryRead).toBeCloseTo(2, 12);
    // Any two cases, round by round (the headline table's ratios), though their pooled rates differ.
    expect(twice!.roundRates).toEqual([2000, 200, 1000]);
    expect(pairedRatio(twice!, base!)).toBeCloseTo(2, 12);
    expect(renderMarkdown(r)).toContain("| 2.00 |");
    // Pooled samples: 2 each at 10, 100 and 20 ms → mean 43.3 ms per op.
    expect(base!.samples).toBe(6);
    expect(1000 / base!.hz).toBeCloseTo((10 + 100 + 20) / 3, 9);
  });
});

describe("command line", () => {
  it("accepts --quick, repeated and comma-separated --suite, --out and --no-write", () => {
    const args = parseBenchArgs(
      ["--quick", "--suite", "wire,limit", "--suite", "footprint", "--out", "x.json", "--no-write"],
      SUITES,
    )!;
    expect(args.quick).toBe(true);
    expect(args.suites.map((s) => s.name)).toEqual(["limit", "wire", "footprint"]);
    expect(args.out).toBe("x.json");
    expect(args.write).toBe(false);
    expect(parseBenchArgs([], SUITES)!.suites).toHaveLength(SUITES.length);
  });

  it("rejects unknown flags, unknown suites and missing values with a clear message", () => {
    expect(() => parseBenchArgs(["--fast"], SUITES)).toThrow(/unknown option '--fast'/);
    expect(() => parseBenchArgs(["--suite", "nope"], SUITES)).toThrow(
      /unknown suite "nope"; known suites: limit/,
    );
    expect(() => parseBenchArgs(["--out"], SUITES)).toThrow(/argument missing/);
    expect(() => parseBenchArgs(["extra"], SUITES)).toThrow(/too many arguments|excess/);
  });

  it("prints help listing every suite and returns null", () => {
    let out = "";
    expect(parseBenchArgs(["--help"], SUITES, (t) => (out += t))).toBeNull();
    for (const s of SUITES) expect(out).toContain(s.name);
    expect(out).toContain("--quick");
  });

  it("names result files by date and host, quick runs apart", () => {
    const d = new Date("2026-11-30T12:00:00Z");
    expect(resultsFileName(d, "gw-1", false)).toBe("2026-11-30-gw-1.json");
    expect(resultsFileName(d, "gw 1/x", true)).toBe("2026-11-30-gw_1_x-quick.json");
  });
});

describe("fixtures", () => {
  it("scaleCity yields exactly the requested number of bays, all ids unique", () => {
    const doc = syntheticCityDoc({ zones: 3, baysPerZone: 4, seed: 5 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), (bays) => {
        const city = loadCity(scaleCity(doc, bays)); // loadCity rejects duplicate ids
        expect(city.bayCount).toBe(bays);
        expect(city.deviceCount).toBe(bays);
      }),
      { numRuns: 60 },
    );
    expect(() => scaleCity(doc, 0)).toThrow(RangeError);
  });

  it("synthEvents is deterministic, valid and ordered by event time", () => {
    const city = loadCity(syntheticCityDoc({ zones: 5, baysPerZone: 6, seed: 2 }));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 300 }), (seed, count) => {
        const a = synthEvents(city, { count, seed });
        expect(synthEvents(city, { count, seed })).toEqual(a);
        expect(a).toHaveLength(count);
        let last = -1;
        for (const e of a) {
          expect(eventIssues(e)).toEqual([]);
          const t = parseEventTime(e.event_time);
          expect(t).toBeGreaterThan(last);
          last = t;
        }
      }),
      { numRuns: 30 },
    );
  });
});

describe("self-timed runs", () => {
  it("sets up and tears down every run outside the timing, and times what timedMs says", async () => {
    let setups = 0;
    let runs = 0;
    let teardowns = 0;
    const m = await measureRuns({
      timing: TIMING.tiny,
      setup: () => ({ id: ++setups }),
      run: () => {
        runs++;
      },
      teardown: () => {
        teardowns++;
      },
      timedMs: () => 4,
      minSamples: 5,
    });
    expect(m.hz).toBe(250);
    expect(m.rme).toBe(0);
    expect(m.samples).toBeGreaterThanOrEqual(5);
    expect(setups).toBe(runs);
    expect(teardowns).toBe(runs);
    expect(runs).toBeGreaterThan(m.samples); // at least one untimed warm-up run
    expect(m.extra?.setupMs).toBeGreaterThanOrEqual(0);
  });

  it("timing the kernel changes no window and counts kernel time", () => {
    const city = loadCity(syntheticCityDoc({ zones: 4, baysPerZone: 5, seed: 3, attendants: false }));
    const events = synthEvents(city, { count: 3000, seed: 9, sensorsOnly: true, meanGapMs: 500 });
    const batches = [encodeEvents(events.slice(0, 1500), city), encodeEvents(events.slice(1500), city)];
    for (const kernel of ["js", "wasm"] as const) {
      const plain = singleEngine(city, kernel, {}, { keep: true });
      feedSync(plain, batches);
      const timed = singleEngine(city, kernel, {}, { keep: true });
      const end = timeKernel(timed);
      expect(end).not.toBeNull();
      feedSync(timed, batches);
      end?.();
      expect(plain.kept.length).toBeGreaterThan(0);
      expect(JSON.stringify(timed.kept)).toBe(JSON.stringify(plain.kept));
      expect(timed.checksum).toBe(plain.checksum);
      expect(timed.kernelMs).toBeGreaterThan(0);
    }
  });
});

describe("stats", () => {
  it("percentile returns an element of the input, monotone in p", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 50 }),
        (xs) => {
          const p50 = percentile(xs, 50);
          const p99 = percentile(xs, 99);
          expect(xs).toContain(p50);
          expect(p99).toBeGreaterThanOrEqual(p50);
          expect(percentile(xs, 100)).toBe(Math.max(...xs));
        },
      ),
    );
  });

  it("summarizeTimings gives hz from the mean and zero error for identical samples", () => {
    const s = summarizeTimings([4, 4, 4, 4]);
    expect(s.hz).toBe(250);
    expect(s.rme).toBe(0);
    expect(summarizeTimings([1, 3]).rme).toBeGreaterThan(0);
  });
});

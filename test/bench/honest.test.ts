/**
 * What keeps the benchmark honest: every timed run is checked, peers compute what parkir computes, window-close
 * closes windows of a live city, the wire cases read every engine field, yardsticks say what they are, results
 * say which source they measured, and README's table is what the summary prints for the file it names.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { syntheticCityDoc } from "../../bench/fixtures/city.js";
import { paluWorkload } from "../../bench/fixtures/workload.js";
import {
  type BenchResults,
  BenchRunMismatchError,
  gitState,
  runBenchmarks,
  type SuiteDefinition,
} from "../../bench/harness.js";
import {
  bayMap,
  foldWindow,
  mapWindows,
  type PeerWindows,
  sortRows,
} from "../../bench/peers/map-occupancy.js";
import { createProtoCodec } from "../../bench/peers/protobuf.js";
import { rxjsGroupByOccupancy, rxjsScanOccupancy } from "../../bench/peers/rxjs-occupancy.js";
import { renderMarkdown } from "../../bench/report.js";
import { measureRuns } from "../../bench/runs.js";
import { limitSuite, yardsticks } from "../../bench/suites/limit.js";
import { LiveCity, WINDOW_MS, windowCloseSuite } from "../../bench/suites/window.js";
import {
  readJsonLinesFields,
  readProtoFields,
  readViewFields,
  readWordsFields,
  toJsonLines,
  wireSuite,
} from "../../bench/suites/wire.js";
import { readmeBlock, summaryMarkdown, withSummary } from "../../bench/summary.js";
import { loadCity, vehicleName } from "../../src/catalog/index.js";
import { OccupancyEngine, type WindowBatch } from "../../src/occupancy/index.js";
import {
  type CdsEvent,
  EV_DEVICE,
  EV_KIND,
  EV_SEQ,
  EV_TARGET,
  EV_TIME_MS,
  EV_VALUE,
  EV_VEHICLE,
  EventBatchView,
  encodeEvents,
} from "../../src/wire/index.js";

const quiet = () => {};
const workload = { description: "test", seed: null, sizes: { n: 1 } };

describe("every timed run is checked", () => {
  it("a timed call that returns a wrong value fails the suite, after agreement passed", async () => {
    let calls = 0;
    // Right on its first calls (agreement, warm-up), wrong on the fifth.
    const flaky = () => (++calls === 5 ? { windows: 3, checksum: 11 } : { windows: 3, checksum: 10 });
    const suite: SuiteDefinition = {
      name: "flaky",
      summary: "",
      build: () => ({
        name: "flaky",
        workload,
        baseline: "good",
        cases: [
          { name: "good", eventsPerOp: 1, fn: () => ({ windows: 3, checksum: 10 }) },
          { name: "flaky", eventsPerOp: 1, fn: flaky },
        ],
      }),
    };
    const run = runBenchmarks({ suites: [suite], profile: "tiny", log: quiet });
    await expect(run).rejects.toBeInstanceOf(BenchRunMismatchError);
    await expect(run).rejects.toThrow(/run \d+ of case flaky returned \{"windows":3,"checksum":11\}/);
  });

  it("with a digest, every run is compared with the reference's result, not with its own first run", async () => {
    const suite = (value: number): SuiteDefinition => ({
      name: "digest",
      summary: "",
      build: () => ({
        name: "digest",
        workload,
        baseline: "a",
        digest: (rows) => ({ sum: (rows as number[]).reduce((x, y) => x + y, 0) }),
        cases: [
          { name: "a", eventsPerOp: 1, result: () => [1, 2, 3], fn: () => ({ sum: 6 }) },
          // Agrees before timing, but what it times computes something else, every time alike.
          { name: "b", eventsPerOp: 1, result: () => [1, 2, 3], fn: () => ({ sum: value }) },
        ],
      }),
    });
    const ok = await runBenchmarks({ suites: [suite(6)], profile: "tiny", log: quiet });
    for (const c of ok.suites[0]!.cases) {
      expect(c.runCheck).toBe("reference");
      expect(c.checkedRuns as number).toBeGreaterThanOrEqual(c.samples);
    }
    await expect(runBenchmarks({ suites: [suite(7)], profile: "tiny", log: quiet })).rejects.toThrow(
      /case b returned \{"sum":7\}, expected \{"sum":6\}/,
    );
  });

  it("self-timed runs pass their value (or a replay's windows and checksum) to the round's check", async () => {
    let n = 0;
    const suite: SuiteDefinition = {
      name: "measured",
      summary: "",
      build: () => ({
        name: "measured",
        workload,
        baseline: "m",
        digest: () => ({ windows: 2, checksum: 5 }),
        cases: [
          {
            name: "m",
            eventsPerOp: 1,
            result: () => "rows",
            measure: (timing) =>
              measureRuns({
                timing,
                setup: () => ({ windows: 2, checksum: ++n === 4 ? 6 : 5 }),
                run: () => undefined,
              }),
          },
        ],
      }),
    };
    await expect(runBenchmarks({ suites: [suite], profile: "tiny", log: quiet })).rejects.toThrow(
      /run 4 of case m returned \{"windows":2,"checksum":6\}/,
    );
  });

  it("a measured case that reports no value is marked unchecked, not passed off as checked", async () => {
    const r = await runBenchmarks({
      suites: [
        {
          name: "blind",
          summary: "",
          build: () => ({
            name: "blind",
            workload,
            baseline: "m",
            cases: [
              {
                name: "m",
                eventsPerOp: 1,
                result: () => 1,
                measure: (timing) => measureRuns({ timing, setup: () => 0, run: () => undefined }),
              },
            ],
          }),
        },
      ],
      profile: "tiny",
      log: quiet,
    });
    expect(r.suites[0]!.cases[0]!.runCheck).toBe("none");
    expect(renderMarkdown(r)).toContain("timed runs not checked");
  });
});

/**
 * A random bay-sensor feed in strict event-time order over a small city: the feed the peers are written for
 * (events of one bay at the same millisecond are ordered by the engine's own rule, which the peers leave out).
 */
const feeds = fc
  .record({
    zones: fc.integer({ min: 1, max: 4 }),
    baysPerZone: fc.integer({ min: 1, max: 5 }),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    steps: fc.array(
      fc.record({
        gapMs: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 400_000 })),
        bay: fc.nat(),
        kind: fc.constantFrom("park_start", "park_end", "scheduled_report", "scheduled_report_free"),
      }),
      { minLength: 1, maxLength: 80 },
    ),
  })
  .map(({ zones, baysPerZone, seed, steps }) => {
    const city = loadCity(syntheticCityDoc({ zones, baysPerZone, seed, attendants: false }));
    let t = Date.UTC(2026, 10, 30, 0, 0, 0);
    const events: CdsEvent[] = steps.map((s, i) => {
      t += s.gapMs;
      const b = s.bay % city.bayCount;
      const base = {
        event_id: `e${i}`,
        event_time: t,
        curb_space_id: city.bayId(b),
        data_source_device_id: city.deviceId(b),
        sequence_number: i + 1,
        vehicle_type: vehicleName(city.bayVehicle[b]!),
      };
      if (s.kind === "scheduled_report" || s.kind === "scheduled_report_free")
        return { ...base, event_type: "scheduled_report", occupied: s.kind === "scheduled_report" };
      return { ...base, event_type: s.kind as "park_start" | "park_end" };
    });
    return { city, events };
  });

/** The engine's windows over a feed (closed as a close would). */
function engineWindows(city: ReturnType<typeof loadCity>, events: CdsEvent[]): WindowBatch[] {
  const engine = new OccupancyEngine(city, {
    windowMs: 300_000,
    minCoverage: 0.5,
    kernel: "js",
    clock: () => 0,
  });
  const out: WindowBatch[] = [];
  engine.windows$.subscribe((w) => out.push(w));
  engine.ingest(encodeEvents(events, city));
  engine.close();
  return out;
}

const plain = (ws: readonly { windowStart: number; windowEnd: number; records: unknown }[]) =>
  JSON.parse(JSON.stringify(ws.map((w) => ({ s: w.windowStart, e: w.windowEnd, r: w.records }))));

describe("peers compute what parkir computes", () => {
  it("RxJS with one scan over a Map equals the groupBy pipeline and the engine, window by window", () => {
    fc.assert(
      fc.property(feeds, ({ city, events }) => {
        const options = { windowMs: 300_000, minCoverage: 0.5 };
        const scan = plain(rxjsScanOccupancy(events, city, options));
        expect(scan).toEqual(plain(rxjsGroupByOccupancy(events, city, options)));
        expect(scan).toEqual(plain(engineWindows(city, events)));
      }),
      { numRuns: 150 },
    );
  });

  it("the plain Map loop's arrivals and departures equal the engine's", () => {
    fc.assert(
      fc.property(feeds, ({ city, events }) => {
        const mine = mapWindows(events, bayMap(city), 300_000, true);
        const theirs: PeerWindows = { windows: 0, checksum: 0, rows: [] };
        for (const w of engineWindows(city, events)) foldWindow(theirs, w, 300_000);
        expect(mine).toEqual(sortRows(theirs));
      }),
      { numRuns: 150 },
    );
  });
});

describe("window-close runs on a live city", () => {
  it("each window brings events that change occupancy, and the city stays known", () => {
    const city = loadCity(syntheticCityDoc({ zones: 30, baysPerZone: 6, seed: 7, attendants: true }));
    const live = new LiveCity(city, 40, 11);
    const engine = new OccupancyEngine(city, { windowMs: WINDOW_MS, kernel: "js", clock: () => 0 });
    const windows: WindowBatch[] = [];
    engine.windows$.subscribe((w) => windows.push(w));
    for (let k = 0; k < 8; k++) {
      const batch = live.nextBatch();
      expect(batch.events).toBeGreaterThan(40);
      engine.ingest(batch.bytes);
      engine.advanceTo(batch.endMs);
    }
    expect(windows.length).toBe(8);
    for (const [i, w] of windows.entries()) {
      const c = w.columns!;
      let moves = 0;
      let known = 0;
      for (let r = 0; r < c.length; r++) {
        moves += c.arrivals[r]! + c.departures[r]!;
        if (c.coverage[r]! > 0) known++;
      }
      expect(moves).toBeGreaterThan(0);
      expect(known).toBeGreaterThan(c.length / 2);
      if (i > 0) expect(Array.from(c.occupancy)).not.toEqual(Array.from(windows[i - 1]!.columns!.occupancy));
    }
    // Attendant counts reach the engine too (every third zone counts motorcycles).
    const events = new LiveCity(city, 40, 11).nextEvents();
    expect(events.some((e) => e.event_type === "manual_count")).toBe(true);
  });

  it("times closes checked against a reference engine", async () => {
    const r = await runBenchmarks({ suites: [windowCloseSuite], profile: "tiny", log: quiet });
    for (const c of r.suites[0]!.cases) {
      expect(c.runCheck).toBe("reference");
      expect(c.checkedRuns as number).toBeGreaterThanOrEqual(c.samples);
      expect(c.setupMs).toBeGreaterThan(0);
    }
  });
});

describe("wire reads every engine field in every format", () => {
  const { city, events } = paluWorkload("tiny");
  const fb = encodeEvents(events, city);
  const json = toJsonLines(events);
  const proto = createProtoCodec();
  const pb = proto.encode(events);

  it("every format gives the same checksum of every field", () => {
    const want = readJsonLinesFields(json, city);
    expect(want.events).toBe(events.length);
    expect(readViewFields(fb, city)).toEqual(want);
    expect(readWordsFields(fb, city)).toEqual(want);
    expect(readProtoFields(proto.decode(pb), city)).toEqual(want);
  });

  it("changing any one field of one event changes the struct readers' checksum", () => {
    const v = EventBatchView.from(fb, { city });
    const at = v.eventsByteOffset - fb.byteOffset + 3 * v.stride;
    for (const field of [EV_TIME_MS, EV_TARGET, EV_SEQ, EV_VALUE, EV_KIND, EV_VEHICLE, EV_DEVICE]) {
      const copy = fb.slice();
      // A change that keeps the batch valid: the lowest bit of a u32 field; kind and vehicle swapped for others.
      if (field === EV_KIND) copy[at + field] = copy[at + field] === 1 ? 0 : 1;
      else if (field === EV_VEHICLE) copy[at + field] = copy[at + field] === 1 ? 2 : 1;
      else if (field === EV_TARGET) copy[at + field] = copy[at + field] === 0 ? 1 : 0;
      else copy[at + field] ^= 1;
      const views = [readViewFields, readWordsFields];
      for (const read of views) {
        let changed: boolean;
        try {
          changed = read(copy, city).checksum !== read(fb, city).checksum;
        } catch {
          changed = true; // the verifier refused the change: the field is read too
        }
        expect(changed, `field at ${field} read by ${read.name}`).toBe(true);
      }
    }
  });

  it("the suite runs the all-fields cases in one agreement group", async () => {
    const spec = await wireSuite.build({ profile: "tiny", log: quiet });
    const names = spec.cases.filter((c) => c.group === "all-fields").map((c) => c.name);
    expect(names).toEqual([
      "json-all-fields",
      "flatbuffers-view-all-fields",
      "flatbuffers-words-all-fields",
      "msgpackr-all-fields",
      "protobufjs-all-fields",
    ]);
  });
});

describe("yardsticks say what they are", () => {
  it("reads report bytes/s, add chains adds/s and no bandwidth, the random-update floor events/s", async () => {
    const r = await runBenchmarks({ suites: [limitSuite], profile: "tiny", log: quiet });
    const cases = r.suites[0]!.cases;
    const chain = cases.find((c) => c.name === "u32-add-chain")!;
    expect(chain.yardstick).toBe("dependent-add-chain");
    expect(chain.bytesPerSec).toBeUndefined();
    expect(chain.fractionOfLimit).toBeUndefined();
    expect(String(chain.note)).toMatch(/not a bandwidth/);
    const reads = cases.filter((c) => c.yardstick === "sequential-read");
    expect(reads.map((c) => c.name)).toEqual(expect.arrayContaining(["f64-sum-x4", "native-memchr"]));
    const y = yardsticks(cases);
    expect(y.readBytesPerSec).toBe(Math.max(...reads.map((c) => c.bytesPerSec as number)));
    expect(y.u32AddsPerSec).toBe(chain.eventsPerSec);
    const floor = cases.find((c) => c.yardstick === "random-update-floor")!;
    expect(floor.name).toBe("random-update-floor");
    expect(floor.bytesPerSec).toBeUndefined();
    expect(y.floorEventsPerSec).toBe(floor.eventsPerSec);
    const md = summaryMarkdown(r, "x.json");
    expect(md).toMatch(/random-update floor \d/);
    // Without the floor the summary says it was not measured.
    const noFloor = { ...r, suites: [{ ...r.suites[0]!, cases: cases.filter((c) => c !== floor) }] };
    expect(summaryMarkdown(noFloor, "x.json")).toContain("random-update floor not measured in this run");
    expect(md).toMatch(/sequential read \d+\.\d GB\/s/);
  });
});

describe("the random-update floor, once wired", () => {
  it("is reported with the kernel's and the whole engine's share of it", () => {
    const c = (name: string, eventsPerSec: number, extra: Record<string, unknown> = {}) => ({
      name,
      hz: 1,
      rme: 0,
      samples: 2,
      eventsPerOp: eventsPerSec,
      eventsPerSec,
      ratioToBaseline: 1,
      ...extra,
    });
    const results: BenchResults = {
      meta: {
        node: "v",
        cpu: "c",
        cores: 2,
        date: "2026-12-07T00:00:00Z",
        quick: false,
        commit: null,
        dirty: null,
      },
      suites: [
        {
          name: "limit",
          workload,
          baseline: "f64-sum-x4",
          cases: [
            c("f64-sum-x4", 1e9, { yardstick: "sequential-read", bytesPerSec: 24e9 }),
            c("random-update-floor", 200e6, { yardstick: "random-update-floor" }),
          ],
        },
        {
          name: "occupancy",
          workload,
          baseline: "js",
          cases: [c("floor", 100e6), c("kernel-wasm", 40e6), c("wasm", 15e6)],
        },
      ],
    };
    const md = summaryMarkdown(results, "x.json");
    expect(md).toContain("random-update floor 200 M events/s");
    expect(md).toContain("the wasm kernel alone runs at 40.0 % of it, the whole engine at 15.0 %");
    expect(md).toContain("commit not recorded");
  });
});

describe("results say what they measured", () => {
  it("gitState reads the commit and whether tracked files changed; nulls outside a checkout", () => {
    const dir = mkdtempSync(join(tmpdir(), "parkir-git-"));
    expect(gitState(dir)).toEqual({ commit: null, dirty: null });
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], {
        cwd: dir,
        encoding: "utf8",
      });
    git("init", "-q");
    writeFileSync(join(dir, "a.txt"), "1");
    git("add", "a.txt");
    git("commit", "-qm", "one");
    const head = git("rev-parse", "HEAD").trim();
    expect(gitState(dir)).toEqual({ commit: head, dirty: false });
    writeFileSync(join(dir, "a.txt"), "2");
    expect(gitState(dir)).toEqual({ commit: head, dirty: true });
  });

  it("`--no-write` still prints the commit, tree state, node, CPU and cores", () => {
    const out = spawnSync(
      process.execPath,
      ["dist/bench/main.js", "--quick", "--no-write", "--suite", "pricing-controller"],
      { encoding: "utf8", timeout: 120_000 },
    );
    expect(out.status).toBe(0);
    const { commit, dirty } = gitState();
    expect(out.stdout).toContain(`commit ${commit!.slice(0, 12)}${dirty ? " with uncommitted changes" : ""}`);
    expect(out.stdout).toContain(`Node ${process.version}`);
    expect(out.stdout).toMatch(/ · \d+ cores · /);
  }, 150_000);
});

describe("README's benchmark table", () => {
  it("--readme rewrites only the block, naming the new file", () => {
    const results: BenchResults = {
      meta: {
        node: "v20",
        cpu: "cpu",
        cores: 2,
        date: "2026-12-07T00:00:00Z",
        quick: false,
        commit: "a".repeat(40),
        dirty: false,
      },
      suites: [
        {
          name: "pricing-controller",
          workload,
          baseline: "js",
          cases: [
            { name: "js", hz: 2, rme: 0, samples: 2, eventsPerOp: 10, eventsPerSec: 20, ratioToBaseline: 1 },
            {
              name: "plain-objects",
              hz: 1,
              rme: 0,
              samples: 2,
              eventsPerOp: 10,
              eventsPerSec: 10,
              ratioToBaseline: 0.5,
            },
          ],
        },
      ],
    };
    const before =
      "# x\n\n<!-- bench-summary: bench/results/old.json -->\nold table\n<!-- /bench-summary -->\n\nafter\n";
    const after = withSummary(before, results, "bench/results/new.json");
    expect(after.startsWith("# x\n\n<!-- bench-summary: bench/results/new.json -->\n")).toBe(true);
    expect(after.endsWith("<!-- /bench-summary -->\n\nafter\n")).toBe(true);
    expect(after).toContain("| 20.0 slots/s | 10.0 slots/s | **2.00×** (faster) |");
    expect(after).toContain("commit aaaaaaaaaaaa.");
    expect(readmeBlock(after)!.markdown).toBe(summaryMarkdown(results, "bench/results/new.json"));
    expect(() => withSummary("# no block\n", results, "x.json")).toThrow(/no <!-- bench-summary/);
  });

  it("is what the summary prints for the results file it names", () => {
    const readme = readFileSync("README.md", "utf8");
    const block = readmeBlock(readme);
    expect(block, "README has a <!-- bench-summary: FILE --> block").not.toBeNull();
    expect(block!.file).toMatch(/^bench\/results\/.+\.json$/);
    const results = JSON.parse(readFileSync(block!.file, "utf8")) as BenchResults;
    expect(block!.markdown).toBe(summaryMarkdown(results, block!.file));
    expect(withSummary(readme, results, block!.file)).toBe(readme);
  });
});

/**
 * The benchmark harness: runs suites of cases side by side with benchmark.js, checks that every case
 * of a suite computes the same result before anything is timed and that every timed run computes it
 * again, and collects results in the JSON shape other tools read
 * (`{meta, suites: [{name, workload, baseline, cases: [...]}]}`).
 *
 * Every timed call's return value is compared with what the case must compute (its `check`: see
 * SuiteSpec.digest); the comparison is inside the timing, so cases return a small summary (a checksum
 * and a count), never the whole output.
 *
 * benchmark.js 2.1.4 recompiles a test function from its source when setup/teardown are given
 * (closures are then lost). We never pass setup or teardown to it: every case is a plain closure,
 * prepared beforehand by its suite, and benchmark.js only ever calls it.
 */
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import Benchmark from "benchmark";
import { median, summarizeTimings } from "./stats.js";

/** How long and how large: `full` for published figures, `quick` for CI smoke runs, `tiny` for tests. */
export type Profile = "tiny" | "quick" | "full";

/** What a suite measures on, so a reader can reproduce it. */
export interface Workload {
  /** One sentence: what data, from where. */
  readonly description: string;
  /** PRNG seed of generated data (null when nothing is random). */
  readonly seed: number | null;
  /** Sizes (events, bays, zones, bytes...). */
  readonly sizes: Readonly<Record<string, number | string>>;
}

/** Extra per-case figures written next to the standard fields (e.g. bytesPerEvent, latency). */
export type CaseExtra = Readonly<
  Record<string, number | string | boolean | null | Readonly<Record<string, number | null>>>
>;

/** Fields shared by every kind of case. */
interface CaseBase {
  /** Case name other tools rely on (e.g. `json`, `flatbuffers-view`). */
  readonly name: string;
  /** Events (or the suite's unit: bays, quotes) processed by one operation. */
  readonly eventsPerOp: number;
  /** Bytes of input one operation reads; gives bytesPerSec and fractionOfLimit. */
  readonly bytesPerOp?: number;
  /**
   * The value compared across cases before timing; defaults to one call of `fn`. Must be equal
   * (node:util isDeepStrictEqual, or the suite's `equal`) to the baseline's.
   */
  readonly result?: () => unknown;
  /** Figures copied into the case's JSON. */
  readonly extra?: CaseExtra;
  /**
   * Agreement group: results are compared within a group only (default: one group for the suite).
   * For suites whose cases compute different things, e.g. one group per tariff, or a memory-read
   * yardstick that computes no windows.
   */
  readonly group?: string;
}

/** A case timed by benchmark.js: `fn` is called in a loop, nothing else. */
export interface TimedCase extends CaseBase {
  /** One operation. Its return value is kept alive so the work cannot be optimised away. */
  readonly fn: () => unknown;
  /**
   * Overrides of the run's timing for this case, e.g. fewer samples for an operation that takes seconds.
   * Applied only where they shorten the run (never more samples or time than the profile's).
   */
  readonly timing?: Partial<TimingOptions>;
}

/** A case that measures itself (child processes, latency runs) and reports the figures. */
export interface MeasuredCase extends CaseBase {
  /**
   * Runs the measurement, within the timing of the round in progress (see TimingOptions.rounds). Each run's
   * value goes to `timing.verify` (bench/runs.ts measureRuns does it), which throws when it is wrong.
   */
  readonly measure: (timing: RoundTiming) => Measurement | Promise<Measurement>;
}

/** What a measured case gets for one round: the timing, and the check every one of its runs must pass. */
export interface RoundTiming extends TimingOptions {
  /**
   * Checks one run's value against what the case must compute (throws BenchRunMismatchError). Absent in
   * suites whose cases are `independent`.
   */
  readonly verify?: (value: unknown) => void;
}

/** What a self-measured case reports. */
export interface Measurement {
  /** Operations per second. */
  readonly hz: number;
  /** Relative margin of error at 95 %, percent. */
  readonly rme: number;
  /** Number of timed samples. */
  readonly samples: number;
  /** The samples, ms per operation, when known: rounds pool them (else their rates' median is taken). */
  readonly timesMs?: readonly number[];
  /** Figures copied into the case's JSON. */
  readonly extra?: CaseExtra;
}

/** One case of a suite. */
export type CaseSpec = TimedCase | MeasuredCase;

/** A suite ready to run: its data is prepared and its cases are closures over it. */
export interface SuiteSpec {
  /** Suite name other tools rely on (e.g. `wire`). */
  readonly name: string;
  /** What the suite runs on. */
  readonly workload: Workload;
  /** Name of the case ratios are computed against. */
  readonly baseline: string;
  /** The cases, baseline included. */
  readonly cases: readonly CaseSpec[];
  /** Result equality; default node:util isDeepStrictEqual. */
  readonly equal?: (a: unknown, b: unknown) => boolean;
  /**
   * What every timed run must return, from the reference's result (e.g. `{ windows, checksum }` of the
   * reference's rows): each timed call of every case is then checked against the reference itself. Without
   * it, a case without `result()` is checked against the value its own agreement call returned (compared with
   * the reference's), and a case with `result()` against its own first run (`runCheck: "consistent"` in the
   * results).
   */
  readonly digest?: (result: unknown) => unknown;
  /** Skip the equality check (suites whose cases measure different things, e.g. footprint). */
  readonly independent?: boolean;
  /** Rounds for this suite instead of the profile's (e.g. 1 for memory footprints, which do not drift). */
  readonly rounds?: number;
  /**
   * Name of the case that reads the suite's input bytes without computing anything (a plain typed-array
   * sum): every case then gets `fractionOfMemoryRead`, its events/s divided by that case's, both measured
   * in this run.
   */
  readonly memoryRead?: string;
  /**
   * Named ratios of two cases' events/s (median over rounds of the same round's rates), written to the suite's
   * `ratios` in the results, e.g. `{ "parkir-jsonl/map-jsonl": ["parkir-jsonl", "map-jsonl"] }`.
   */
  readonly ratios?: Readonly<Record<string, readonly [string, string]>>;
  /** Releases what the build started (a broker, a server): called once the suite has run or failed. */
  readonly dispose?: () => void | Promise<void>;
}

/** A named suite whose data is built only when it is selected. */
export interface SuiteDefinition {
  /** Suite name. */
  readonly name: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** Prepares data and cases for a profile. */
  build(context: BuildContext): SuiteSpec | Promise<SuiteSpec>;
}

/** What a suite's build step gets. */
export interface BuildContext {
  /** Size profile. */
  readonly profile: Profile;
  /** Progress line to stderr (or the test's sink). */
  readonly log: (message: string) => void;
}

/** One case in the results JSON. */
export interface CaseResult {
  readonly name: string;
  readonly hz: number;
  readonly rme: number;
  readonly samples: number;
  readonly eventsPerOp: number;
  readonly eventsPerSec: number;
  readonly ratioToBaseline: number;
  readonly [extra: string]: unknown;
}

/** One suite in the results JSON. */
export interface SuiteResult {
  readonly name: string;
  readonly workload: Workload;
  readonly baseline: string;
  readonly cases: CaseResult[];
  /** The suite's named ratios (SuiteSpec.ratios): median, and the range over rounds. */
  readonly ratios?: Readonly<Record<string, { median: number; min: number; max: number }>>;
}

/** The results JSON. */
export interface BenchResults {
  readonly meta: {
    readonly node: string;
    readonly cpu: string;
    readonly cores: number;
    readonly date: string;
    readonly quick: boolean;
    /** `git rev-parse HEAD` of the measured code (null outside a git checkout). */
    readonly commit: string | null;
    /** Whether tracked files differed from that commit (results files aside); null when unknown. */
    readonly dirty: boolean | null;
  };
  readonly suites: SuiteResult[];
  /** Suites that failed when the run kept going past failures (absent when every suite ran). */
  readonly failures?: { readonly suite: string; readonly error: string }[];
}

/** benchmark.js timing options per profile (seconds). */
export interface TimingOptions {
  /** Stop sampling after this many seconds (once minSamples are taken). */
  readonly maxTime: number;
  /** Take at least this many samples. */
  readonly minSamples: number;
  /** Each sample runs at least this long (seconds); benchmark.js picks the loop count. */
  readonly minTime: number;
  /** Untimed calls before sampling, for at least this long (seconds; at least one call), so the JIT has settled. */
  readonly warmupTime: number;
  /**
   * Rounds: every case of a suite is timed once per round, in turn, sharing maxTime and minSamples, so cases
   * compared with each other are measured minutes apart at most by a few seconds. Ratios are the median of
   * the rounds' ratios: a machine whose speed drifts (a shared VM) moves both sides of a round alike.
   * Warm-up runs in the first round only. The timing a case gets for one round (`measure(timing)`) has
   * maxTime and minSamples already divided, and keeps `rounds`, so a case can divide its own minimums alike.
   */
  readonly rounds: number;
}

/** Default timing per profile: full ≈ 3.5 s per case in 3 rounds, quick ≈ 0.2 s, tiny as short as possible. */
export const TIMING: Readonly<Record<Profile, TimingOptions>> = {
  full: { maxTime: 3, minSamples: 12, minTime: 0.1, warmupTime: 0.5, rounds: 3 },
  quick: { maxTime: 0.15, minSamples: 3, minTime: 0.02, warmupTime: 0.02, rounds: 1 },
  tiny: { maxTime: 0.002, minSamples: 2, minTime: 0.0005, warmupTime: 0, rounds: 1 },
};

/** Cases of a suite compute different results: the comparison would be meaningless, so nothing is timed. */
export class BenchMismatchError extends Error {
  override readonly name = "BenchMismatchError";
  /** Suite name. */
  readonly suite: string;
  /** Case whose result differs from the baseline's. */
  readonly caseName: string;
  constructor(suite: string, caseName: string, reference: string, expected: unknown, actual: unknown) {
    super(
      `suite ${suite}: case ${caseName} computes a different result from ${reference}: ` +
        `expected ${preview(expected)}, got ${preview(actual)}`,
    );
    this.suite = suite;
    this.caseName = caseName;
  }
}

/**
 * A timed run returned something other than what its case must compute: the figure would time a wrong
 * result, so the suite fails.
 */
export class BenchRunMismatchError extends Error {
  override readonly name = "BenchRunMismatchError";
  /** Suite name. */
  readonly suite: string;
  /** Case whose run went wrong. */
  readonly caseName: string;
  constructor(suite: string, caseName: string, run: number, expected: unknown, actual: unknown) {
    super(
      `suite ${suite}: run ${run} of case ${caseName} returned ${preview(actual)}, expected ${preview(expected)}`,
    );
    this.suite = suite;
    this.caseName = caseName;
  }
}

/** The source a run measured: commit and whether the working tree differed from it. */
export interface SourceState {
  readonly commit: string | null;
  readonly dirty: boolean | null;
}

/** The repository this file belongs to (bench/ or dist/bench/ inside it). */
const HERE = fileURLToPath(new URL(".", import.meta.url));

/**
 * The git commit of the checkout at `cwd` and whether its tracked files (or untracked ones outside
 * bench/results/) differ from it. Nulls when git or the checkout is missing.
 */
export function gitState(cwd: string = HERE): SourceState {
  const git = (...args: string[]): string | null => {
    try {
      return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    } catch {
      return null;
    }
  };
  const head = git("rev-parse", "HEAD");
  if (head === null) return { commit: null, dirty: null };
  const status = git("status", "--porcelain", "--", ":/", ":(exclude,top)bench/results");
  return { commit: head.trim(), dirty: status === null ? null : status.trim() !== "" };
}

/** Options of runBenchmarks. */
export interface RunOptions {
  /** Suites to run, in order. */
  readonly suites: readonly SuiteDefinition[];
  /** Size profile. Default "full". */
  readonly profile?: Profile;
  /** Overrides the profile's timing. */
  readonly timing?: TimingOptions;
  /** Progress sink; default writes lines to stderr. */
  readonly log?: (message: string) => void;
  /** Date for meta.date; default now. */
  readonly now?: Date;
  /**
   * Run the remaining suites when one fails (the failure is logged and listed in `failures`) instead of
   * rejecting at once. Default false. `npm run bench` keeps going so one broken suite does not void minutes
   * of measurements; it still exits with 1.
   */
  readonly keepGoing?: boolean;
  /** Called with the results so far after each suite (e.g. to save them while a long run goes on). */
  readonly onSuite?: (partial: BenchResults) => void;
  /** The measured source for meta; default gitState() of this checkout. */
  readonly source?: SourceState;
}

/** Results of timed functions are stored here so V8 cannot drop the work as dead code. */
export const blackhole: { value: unknown } = { value: undefined };

/**
 * Runs suites and returns the results object. Throws BenchMismatchError when a suite's cases
 * disagree, and rethrows any error a case raises.
 *
 * @example
 * const results = await runBenchmarks({ suites: [wireSuite], profile: "quick" });
 */
export async function runBenchmarks(options: RunOptions): Promise<BenchResults> {
  const profile = options.profile ?? "full";
  const timing = options.timing ?? TIMING[profile];
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const suites: SuiteResult[] = [];
  const failures: { suite: string; error: string }[] = [];
  const cpuList = cpus();
  const source = options.source ?? gitState();
  const snapshot = (): BenchResults => {
    addFractionOfLimit(suites);
    return {
      meta: {
        node: process.version,
        cpu: cpuList[0]?.model.trim() ?? "unknown",
        cores: cpuList.length,
        date: (options.now ?? new Date()).toISOString(),
        quick: profile !== "full",
        commit: source.commit,
        dirty: source.dirty,
      },
      suites: [...suites],
      ...(failures.length > 0 ? { failures: [...failures] } : {}),
    };
  };
  for (const def of options.suites) {
    const started = performance.now();
    log(`[${def.name}] preparing (${profile})`);
    try {
      const spec = await def.build({ profile, log: (m) => log(`[${def.name}] ${m}`) });
      try {
        if (spec.name !== def.name) throw new Error(`suite ${def.name} built a spec named ${spec.name}`);
        suites.push(await runSuite(spec, timing, log));
      } finally {
        await spec.dispose?.();
      }
    } catch (e) {
      if (options.keepGoing !== true) throw e;
      const error = e instanceof Error ? e.message : String(e);
      failures.push({ suite: def.name, error });
      log(`[${def.name}] FAILED: ${error}`);
      continue;
    }
    log(`[${def.name}] done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    options.onSuite?.(snapshot());
  }
  return snapshot();
}

/**
 * Checks a suite's results agree, then times every case and computes ratios to the baseline.
 *
 * @throws BenchMismatchError when a case's result differs from the baseline's.
 */
export async function runSuite(
  spec: SuiteSpec,
  timing: TimingOptions,
  log: (m: string) => void,
): Promise<SuiteResult> {
  const names = new Set<string>();
  for (const c of spec.cases) {
    if (names.has(c.name)) throw new Error(`suite ${spec.name}: duplicate case ${c.name}`);
    names.add(c.name);
  }
  const baseline = spec.cases.find((c) => c.name === spec.baseline);
  if (baseline === undefined)
    throw new Error(`suite ${spec.name}: baseline case ${spec.baseline} is missing`);
  // Independent suites' cases compute different things: each case's runs must at least agree with each other.
  const expectations = spec.independent
    ? new Map(
        spec.cases.map((c): [CaseSpec, RunExpectation] => [
          c,
          { kind: "consistent", known: false, value: undefined, runs: 0 },
        ]),
      )
    : checkAgreement(spec, baseline);
  const verifiers = spec.cases.map((c) => runVerifier(spec, c, expectations.get(c)!));

  const rounds = Math.max(1, Math.floor(spec.rounds ?? timing.rounds));
  // Every round times every case in turn; later rounds skip the warm-up (the JIT has settled).
  const roundTiming = (r: number): TimingOptions =>
    rounds === 1
      ? timing
      : {
          ...timing,
          maxTime: timing.maxTime / rounds,
          minSamples: Math.max(2, Math.ceil(timing.minSamples / rounds)),
          warmupTime: r === 0 ? timing.warmupTime : 0,
        };
  const runs: Measurement[][] = spec.cases.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const t = roundTiming(r);
    const tag = rounds > 1 ? ` (round ${r + 1}/${rounds})` : "";
    for (const [i, c] of spec.cases.entries()) {
      log(`[${spec.name}] ${c.name}${tag} ...`);
      const verify = verifiers[i]!;
      const m =
        "fn" in c
          ? timeCase(`${spec.name}/${c.name}`, c.fn, shorter(t, c.timing), verify)
          : await c.measure({ ...t, verify });
      runs[i]!.push(m);
      log(`[${spec.name}] ${c.name}: ${formatRate(m.hz)} ops/s ±${m.rme.toFixed(1)}% (${m.samples} samples)`);
      (globalThis as { gc?: () => void }).gc?.();
    }
  }
  const indexOf = (name: string): number => spec.cases.findIndex((c) => c.name === name);
  const rateOf = (i: number, r: number): number => runs[i]![r]!.hz * spec.cases[i]!.eventsPerOp;
  const base = indexOf(spec.baseline);
  let read = -1;
  if (spec.memoryRead !== undefined) {
    read = indexOf(spec.memoryRead);
    if (read < 0) throw new Error(`suite ${spec.name}: memory-read case ${spec.memoryRead} is missing`);
  }
  /** Median over rounds of case i's rate divided by case j's rate in the same round. */
  const pairedRatio = (i: number, j: number): { median: number; min: number; max: number } => {
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const d = rateOf(j, r);
      ratios.push(d > 0 ? rateOf(i, r) / d : 0);
    }
    return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
  };
  const cases = spec.cases.map((c, i): CaseResult => {
    const m = pooled(runs[i]!);
    const ratio = pairedRatio(i, base);
    const out: Record<string, unknown> = {
      name: c.name,
      hz: m.hz,
      rme: m.rme,
      samples: m.samples,
      eventsPerOp: c.eventsPerOp,
      eventsPerSec: m.hz * c.eventsPerOp,
      // Events/s ratio: equals the hz ratio when both cases do the same events per operation.
      ratioToBaseline: ratio.median,
    };
    if (rounds > 1) {
      out.ratioRange = { min: ratio.min, max: ratio.max, rounds };
      // Events/s of each round, so any two cases can be compared round by round (bench/summary.ts does).
      out.roundRates = runs[i]!.map((_, r) => rateOf(i, r));
    }
    if (c.bytesPerOp !== undefined) out.bytesPerSec = m.hz * c.bytesPerOp;
    // How every timed run was checked (a measured case that reports no run values was not).
    const e = expectations.get(c)!;
    out.runCheck = e.runs === 0 ? ("none" satisfies RunCheck) : (e.kind satisfies RunCheck);
    out.checkedRuns = e.runs;
    if (read >= 0) out.fractionOfMemoryRead = pairedRatio(i, read).median;
    Object.assign(out, c.extra, m.extra);
    return out as CaseResult;
  });
  const result: SuiteResult = { name: spec.name, workload: spec.workload, baseline: spec.baseline, cases };
  if (spec.ratios === undefined) return result;
  const ratios: Record<string, { median: number; min: number; max: number }> = {};
  for (const [name, [a, b]] of Object.entries(spec.ratios)) {
    const i = indexOf(a);
    const j = indexOf(b);
    if (i < 0 || j < 0) throw new Error(`suite ${spec.name}: ratio ${name} names a missing case`);
    ratios[name] = pairedRatio(i, j);
  }
  return { ...result, ratios };
}

/**
 * One measurement from a case's rounds: samples pooled when every round gave them (benchmark.js statistics
 * over all of them), else the median round's rate. Extra figures come from the last round.
 */
function pooled(ms: readonly Measurement[]): Measurement {
  if (ms.length === 1) return ms[0]!;
  const extra = ms.at(-1)!.extra;
  if (ms.every((m) => m.timesMs !== undefined && m.timesMs.length > 0)) {
    const t = summarizeTimings(ms.flatMap((m) => m.timesMs!));
    return { hz: t.hz, rme: t.rme, samples: t.samples, ...(extra === undefined ? {} : { extra }) };
  }
  const hz = median(ms.map((m) => m.hz));
  return {
    hz,
    rme: Math.max(...ms.map((m) => m.rme)),
    samples: ms.reduce((n, m) => n + m.samples, 0),
    ...(extra === undefined ? {} : { extra }),
  };
}

/** The run's timing with a case's overrides, each kept only where it is smaller. */
function shorter(timing: TimingOptions, own: Partial<TimingOptions> | undefined): TimingOptions {
  if (own === undefined) return timing;
  const pick = (k: keyof TimingOptions) => Math.min(timing[k], own[k] ?? timing[k]);
  return {
    maxTime: pick("maxTime"),
    minSamples: pick("minSamples"),
    minTime: pick("minTime"),
    warmupTime: pick("warmupTime"),
    rounds: timing.rounds,
  };
}

/** How a case's timed runs were checked, written to its results as `runCheck`. */
export type RunCheck = "reference" | "consistent" | "none";

/** What one case's runs are compared with, and how many were. */
interface RunExpectation {
  kind: "reference" | "consistent";
  /** Set once known: from the agreement check, or the first run for "consistent". */
  known: boolean;
  value: unknown;
  runs: number;
}

/**
 * Compares every case with its group's reference (the baseline, or a group's first case) and returns what
 * each case's timed runs must then return.
 */
function checkAgreement(spec: SuiteSpec, baseline: CaseSpec): Map<CaseSpec, RunExpectation> {
  const equal = spec.equal ?? isDeepStrictEqual;
  const expectations = new Map<CaseSpec, RunExpectation>();
  const resultOf = (c: CaseSpec): unknown => {
    if (c.result !== undefined) return c.result();
    if ("fn" in c) return c.fn();
    throw new Error(`suite ${spec.name}: measured case ${c.name} needs a result() to be compared`);
  };
  const expect = (c: CaseSpec, checked: unknown): RunExpectation => {
    if (spec.digest !== undefined)
      return { kind: "reference", known: true, value: spec.digest(checked), runs: 0 };
    // A case's own value is what its run returns when it has no separate result().
    if (c.result === undefined) return { kind: "reference", known: true, value: checked, runs: 0 };
    return { kind: "consistent", known: false, value: undefined, runs: 0 };
  };
  const groups = new Map<string, CaseSpec[]>();
  for (const c of spec.cases) {
    const key = c.group ?? "";
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  for (const members of groups.values()) {
    // The baseline is the reference of its group; other groups use their first case.
    const reference = members.includes(baseline) ? baseline : members[0]!;
    const expected = resultOf(reference);
    expectations.set(reference, expect(reference, expected));
    for (const c of members) {
      if (c === reference) continue;
      const actual = resultOf(c);
      if (!equal(expected, actual))
        throw new BenchMismatchError(spec.name, c.name, reference.name, expected, actual);
      // The digest is taken from the reference's result: every run is checked against the reference.
      expectations.set(c, spec.digest !== undefined ? expect(c, expected) : expect(c, actual));
    }
  }
  return expectations;
}

/**
 * Run values compared cheaply (the comparison runs inside the timing): identical values, or plain objects
 * and arrays of primitives element by element; anything else by `equal`.
 */
export function sameRunValue(a: unknown, b: unknown, equal: (a: unknown, b: unknown) => boolean): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const flat = (o: object) =>
    (Array.isArray(o) || Object.getPrototypeOf(o) === Object.prototype) &&
    Object.values(o).every((v) => v === null || typeof v !== "object");
  if (!flat(a) || !flat(b)) return equal(a, b);
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (
      !Object.hasOwn(b, k) ||
      !Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
    )
      return false;
  }
  return true;
}

/** The check one case's runs go through (counts them; throws BenchRunMismatchError on a wrong value). */
function runVerifier(spec: SuiteSpec, c: CaseSpec, e: RunExpectation): (value: unknown) => void {
  const equal = spec.digest !== undefined ? isDeepStrictEqual : (spec.equal ?? isDeepStrictEqual);
  return (value) => {
    e.runs++;
    if (!e.known) {
      e.known = true;
      e.value = value;
      return;
    }
    if (!sameRunValue(e.value, value, equal))
      throw new BenchRunMismatchError(spec.name, c.name, e.runs, e.value, value);
  };
}

function timeCase(
  name: string,
  fn: () => unknown,
  timing: TimingOptions,
  verify: (value: unknown) => void,
): Measurement {
  const warmupEnd = performance.now() + timing.warmupTime * 1000;
  do {
    const value = fn();
    verify(value);
    blackhole.value = value;
  } while (performance.now() < warmupEnd);
  // Only `fn` is given (no setup/teardown), so benchmark.js calls the closure instead of recompiling it.
  const bench = new Benchmark(
    name,
    () => {
      const value = fn();
      verify(value);
      blackhole.value = value;
    },
    // benchmark.js reports no sample statistics with fewer than 2 samples.
    {
      maxTime: timing.maxTime,
      minSamples: Math.max(2, timing.minSamples),
      minTime: timing.minTime,
      initCount: 1,
    },
  );
  let result: Measurement | undefined;
  let failure: unknown;
  bench.on("cycle", (event: Benchmark.Event) => {
    const b = event.target as unknown as Benchmark & { error?: unknown };
    if (b.error !== undefined) failure = b.error;
    else
      result = {
        hz: b.hz ?? 0,
        rme: b.stats?.rme ?? 0,
        samples: b.stats?.sample.length ?? 0,
        timesMs: (b.stats?.sample ?? []).map((seconds) => seconds * 1000),
      };
  });
  bench.on("error", (event: Benchmark.Event) => {
    failure = (event.target as { error?: unknown }).error ?? new Error(`${name} failed`);
  });
  bench.run({ async: false });
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error(String(failure));
  if (result === undefined || !(result.hz > 0) || result.samples === 0) {
    throw new Error(`${name}: benchmark.js reported no usable cycle`);
  }
  return result;
}

/** Name of the suite whose baseline is the memory-read limit every kernel is compared with. */
export const LIMIT_SUITE = "limit";

/** Adds `fractionOfLimit` (bytesPerSec / the limit suite's baseline bytesPerSec) to cases that read bytes. */
function addFractionOfLimit(suites: SuiteResult[]): void {
  const limit = suites.find((s) => s.name === LIMIT_SUITE);
  const base = limit?.cases.find((c) => c.name === limit.baseline);
  const limitBytesPerSec = base?.bytesPerSec;
  if (typeof limitBytesPerSec !== "number" || !(limitBytesPerSec > 0)) return;
  for (const s of suites) {
    for (const c of s.cases) {
      if (typeof c.bytesPerSec === "number")
        (c as Record<string, unknown>).fractionOfLimit = c.bytesPerSec / limitBytesPerSec;
    }
  }
}

/** Formats a rate with thousands separators and 3 significant digits for small values. */
export function formatRate(hz: number): string {
  if (!Number.isFinite(hz)) return String(hz);
  if (hz >= 100) return Math.round(hz).toLocaleString("en-US");
  return hz.toPrecision(3);
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

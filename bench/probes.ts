/**
 * Probes behind figures quoted in docs/RUNTIME.md: not suites (nothing is compared side by side), just the
 * measurements that explain where the engine's time goes. After `npm run build`:
 *
 *   node dist/bench/probes.js kernels [js|wasm] [bays] [in-order|shuffled]
 *     The occupancy kernels alone: one engine state is fed all 1 M events of wasm-occupancy's feed
 *     (admitEvents per 64k batch, one sort, then applyEvents window by window, each window closed into one
 *     reused column set as the engine does); best of 10, ns per event, and ms per window closed.
 *   node dist/bench/probes.js page-faults
 *     Copying a 1.5 MB batch into fresh shared memory vs into memory already touched.
 *   node dist/bench/probes.js engine [js|wasm] [bays] [in-order|shuffled] [fresh|reuse] [no-ids|ids]
 *     The whole engine on the same feed, ms per 1 M events split into its kernel calls and the host's share (of
 *     which noting touched rows and closing windows, kernel calls included), and ms per window closed; median of
 *     10 fresh engines. `reuse` sets reuseWindowBuffers (default: fresh column buffers per window); `ids` keeps
 *     the events' event_id strings in the batches (default: left out), so that their keys are resolved too.
 *   node dist/bench/probes.js engine-ab <package root> [js|wasm] [bays] [in-order|shuffled] [fresh|reuse] [rounds] [no-ids|ids]
 *     This build against another one (a directory holding its package.json, build/ and dist/, e.g. a copy of
 *     main's): the engine probe's timing of `rounds` (12) engines per build in one process, alternating, on the
 *     same batches; min, first quartile and median of each phase, and a check that both closed the same windows.
 *     On a machine shared with other work, the only way to see a few percent.
 *   node dist/bench/probes.js floor [bays]
 *     The random-update yardstick: the de-duplication, bay-record and window-row updates of the same feed alone
 *     (wasm/memread.ts randomUpdates), ns per event, next to a plain JS read of the same bytes.
 *   node dist/bench/probes.js palu [js|wasm] [batch]
 *     A day of the Palu trace (mostly payments) through one engine in batches of `batch` events (16384), engine
 *     built untimed; median of 10 replays, ms.
 *   node dist/bench/probes.js sharded [workers]
 *     ShardedOccupancyEngine with 1 and `workers` (2) workers on warm pools, alternating, each fed all 1 M
 *     in-order events in 64k batches and moved past the last one; 5 runs of each: wall ms, and the main
 *     thread's share spent merging the shards' outputs (windows, health, late reports).
 *   node dist/bench/probes.js shards-at-once
 *     The two shards of a 2-worker engine, each in its own thread and started together, against the one shard
 *     of a 1-worker engine alone: the same engines the workers host, with no main thread, messages or merging
 *     involved (the ceiling of today's split on this machine); 5 runs after a warm-up, ms per 1 M events.
 *   node dist/bench/probes.js threads
 *     How this machine runs two threads at once: an arithmetic loop, and random reads and writes over 4, 16
 *     and 64 MB of memory, each alone and in two threads at once; ms, and the work rate of two threads over one.
 *   node dist/bench/probes.js verify
 *     Verifying the 16 batches of the 1 M-event feed (EventBatchView.from), best and median of 10, ms.
 *   node dist/bench/probes.js checkpoint [bays]
 *     What a sharded engine's recovery costs a shard: the first shard of 1 and of 2, as a worker hosts it,
 *     ingests the first 512k events of the feed in 16k-event batches (the 32 calls of one default
 *     checkpointEvery period of the wasm-workers suite), then writes its recovery snapshot (its own bays and
 *     rows) and its checkpoint; median of 10 each, ms, and their bytes.
 *   node dist/bench/probes.js objects
 *     Where the plain-objects path's time goes on the e2e suite's feed (33,612 bay-sensor events, 72 h): the
 *     plain Map loop, a loop that reads four fields of each object, `readEvent` alone (the validation every
 *     object gets), the catalogue's bay lookup alone (`city.bayIndex` of each event's bay), the two together
 *     (the floor of the path: what every object costs before anything is written), `encodeEvents` alone
 *     (validation, ids, batch; event ids left out, then kept), the engine alone over the encoded batches
 *     (windows folded as the e2e cases fold them), `encodeEvents` + engine, and replayEventsSync (the e2e
 *     case: batches written into the engine's batch memory and ingested unverified, the engine's kernel memory
 *     recycled from the run before); median and best of 21, ns per event. Every encodeEvents call takes its 4096 events as a range (`start`/`end`) of the one array.
 *   node dist/bench/probes.js shard [shards] [all|split|own]
 *     The work of the first of `shards` worker shards, in this thread: an engine with that shard's filter
 *     fed all 1 M events (in order) and closed; median of 10, ms. Compare shards 1 and 2. `all`: it admits
 *     every event (the shards' mode before their first window opens, or after a batch that cannot be split);
 *     `split`: it admits its own zones' events only (own admission, src/occupancy/sharded/own.ts, as the
 *     engine runs it once the first window is open: the splittability scan, then the others' events only
 *     moving the watermark); `own`: it is fed only its own zones' events (a bound: smaller batches to verify,
 *     and the watermark then follows the shard's events only, which is not the engine's semantics).
 */
import { resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { type City, loadCity } from "../src/catalog/index.js";
import { paluCatalog } from "../src/generate/index.js";
import { allocColumns } from "../src/occupancy/columns.js";
import { OccupancyEngine, replayEventsSync, resolveOptions } from "../src/occupancy/index.js";
import { R_ACCEPTED, R_H_COUNT, R_HEAD, R_LATE_COUNT, R_TAIL, R_WIN_END } from "../src/occupancy/kernel.js";
import { ShardedOccupancyEngine } from "../src/occupancy/sharded/engine.js";
import { splittable } from "../src/occupancy/sharded/own.js";
import { planShards, recordOwners, type ShardPlan } from "../src/occupancy/sharded/shards.js";
import { snapshotParts, writeSnapshot } from "../src/occupancy/sharded/snapshot.js";
import { EngineState } from "../src/occupancy/state.js";
import { JS_OCCUPANCY_KERNEL, WasmOccupancyKernel, withShard } from "../src/occupancy/wasm-kernel.js";
import { openWindow } from "../src/occupancy/window-open.js";
import { closeWindow } from "../src/occupancy/windows.js";
import { sumU32Js } from "../src/runtime/memread.js";
import { createPool } from "../src/runtime/pool.js";
import { EventFields, readEvent } from "../src/wire/events.js";
import {
  BATCH_EVENTS_DEFAULT,
  type CdsEvent,
  decodeEvents,
  EventBatchView,
  encodeEvents,
} from "../src/wire/index.js";
import { FLAG_TARGET_ZONE } from "../src/wire/layout.js";
import { scaleCity } from "./fixtures/city.js";
import { synthEvents } from "./fixtures/events.js";
import { randomUpdateFloor } from "./fixtures/floor.js";
import { createRng } from "./fixtures/prng.js";
import { BENCH_SEED, paluWorkload } from "./fixtures/workload.js";
import { admitted } from "./ingest.js";
import { noKeys } from "./kernels.js";
import { bayMap, foldWindow, mapWindows, type PeerWindows } from "./peers/map-occupancy.js";
import { feedSync, singleEngine, timeMethods } from "./replay.js";
import { E2E_WINDOW_MS, sensorFeed } from "./suites/e2e.js";

const EVENTS = 1 << 20;
const BATCH = 65_536;

/**
 * The wasm-occupancy feed: the Palu catalogue scaled to `bays` and 1 M bay-sensor events in 64k batches, without
 * their event_id strings unless `ids` is "ids" (as encodeEvents keeps them by default, and the occupancy suite's
 * batches carry them).
 */
function feed(bays: number, traffic: string, ids = "no-ids") {
  if (ids !== "ids" && ids !== "no-ids") throw new Error(`event ids must be ids or no-ids, got ${ids}`);
  const city = loadCity(scaleCity(paluCatalog(), bays));
  let events: CdsEvent[] = synthEvents(city, {
    count: EVENTS,
    seed: BENCH_SEED,
    sensorsOnly: true,
    meanGapMs: 5,
  });
  if (traffic === "shuffled") {
    const rng = createRng(BENCH_SEED + 1);
    const keyed = events.map((e, i) => ({ e, i, k: Number(e.event_time) + Math.floor(rng.next() * 60_000) }));
    keyed.sort((a, b) => a.k - b.k || a.i - b.i);
    events = keyed.map((x) => x.e);
  } else if (traffic !== "in-order") throw new Error(`traffic must be in-order or shuffled, got ${traffic}`);
  const batches: Uint8Array[] = [];
  for (let i = 0; i < events.length; i += BATCH)
    batches.push(encodeEvents(events.slice(i, i + BATCH), city, undefined, { keepEventIds: ids === "ids" }));
  return { city, batches };
}

function kernels(kind: string, bays: number, traffic: string): void {
  if (kind !== "js" && kind !== "wasm") throw new Error(`kernels: kind must be js or wasm, got ${kind}`);
  const { city, batches } = feed(bays, traffic);
  const views = batches.map((b) => EventBatchView.from(b, { city }));
  let admit = Number.POSITIVE_INFINITY;
  let sort = Number.POSITIVE_INFINITY;
  let apply = Number.POSITIVE_INFINITY;
  let close = Number.POSITIVE_INFINITY;
  let rows = 0;
  for (let rep = 0; rep < 10; rep++) {
    const wasm = kind === "wasm" ? new WasmOccupancyKernel() : null;
    const s = new EngineState(city, resolveOptions({ pendingMax: 1 << 22 }), wasm?.memory);
    const k = (wasm ?? JS_OCCUPANCY_KERNEL).attach(s);
    noKeys(s);
    // Room for every event, touched first so that page faults are not timed.
    s.ensurePending(2 * EVENTS);
    s.ensureLate(BATCH);
    s.pTime.fill(1);
    s.pWords.fill(1);
    let ta = 0;
    for (const v of views) {
      const words = k.stage(v.words());
      s.reg[R_LATE_COUNT] = 0;
      const t0 = performance.now();
      k.admitEvents(s, words, 0, v.length, v.baseTimeMs);
      ta += performance.now() - t0;
    }
    let t0 = performance.now();
    k.sortPending(s);
    const ts = performance.now() - t0;
    const w = s.windowMs;
    openWindow(s, Math.floor(s.pTime[0]! / w) * w);
    let tp = 0;
    // Closing each window as the engine does, into one reused column set (touched first).
    const columns = allocColumns(s.rowCount);
    closeWindow(s, 0.5, 3_600_000, columns);
    let tc = 0;
    let windows = 0;
    for (;;) {
      const end = s.reg[R_WIN_END]!;
      t0 = performance.now();
      const status = k.applyEvents(s, end);
      tp += performance.now() - t0;
      if (s.reg[R_HEAD]! >= s.reg[R_TAIL]!) break;
      s.reg[R_H_COUNT] = 0;
      if (status === 0) {
        t0 = performance.now();
        closeWindow(s, 0.5, 3_600_000, columns);
        tc += performance.now() - t0;
        windows++;
        openWindow(s, end);
      }
    }
    const n = s.reg[R_ACCEPTED]!;
    if (n !== EVENTS) throw new Error(`kernels: ${n} of ${EVENTS} events accepted`);
    admit = Math.min(admit, (ta * 1e6) / n);
    sort = Math.min(sort, (ts * 1e6) / n);
    apply = Math.min(apply, (tp * 1e6) / n);
    close = Math.min(close, tc / windows);
    rows = s.rowCount;
  }
  const f = (x: number) => x.toFixed(1);
  console.log(
    `${kind}, ${bays} bays, ${traffic}: admit ${f(admit)} ns/event, sort ${f(sort)}, apply ${f(apply)}; ` +
      `closing a window of ${rows} rows ${close.toFixed(3)} ms`,
  );
}

function pageFaults(): void {
  const n = 1_572_864;
  const src = new Uint8Array(n).map((_, i) => i);
  const region = 2 << 20;
  const mem = new WebAssembly.Memory({ initial: 64, maximum: 4096, shared: true });
  let top = 64 * 65_536;
  let t = performance.now();
  for (let i = 0; i < 16; i++) {
    const need = top + region - mem.buffer.byteLength;
    if (need > 0) mem.grow(Math.ceil(need / 65_536));
    new Uint8Array(mem.buffer, top, n).set(src);
    top += region;
  }
  const fresh = (performance.now() - t) / 16;
  t = performance.now();
  for (let i = 0; i < 16; i++) new Uint8Array(mem.buffer, 64 * 65_536 + (i % 4) * region, n).set(src);
  const touched = (performance.now() - t) / 16;
  console.log(
    `1.5 MB copy: into fresh memory ${fresh.toFixed(3)} ms, into touched memory ${touched.toFixed(3)} ms`,
  );
}

function shard(shards: number, events: string): void {
  if (events !== "all" && events !== "own" && events !== "split")
    throw new Error(`shard: events must be all, split or own, got ${events}`);
  const { city, batches: all } = feed(100_000, "in-order");
  const plans = planShards(city, shards);
  const plan = plans[0]!;
  const batches = events === "own" ? all.map((b) => ownEvents(b, city, plan)) : all;
  const times: number[] = [];
  const owners = recordOwners(city, plans);
  for (let rep = 0; rep < 10; rep++) {
    // As a worker runs it (src/occupancy/sharded/worker.ts): wasm kernel, shard filter, reused window buffers.
    const engine = withShard(
      plan,
      () => new OccupancyEngine(city, { kernel: "wasm", reuseWindowBuffers: true }),
    );
    const o = {
      owners,
      deviceCount: city.deviceCount,
      pendingTotal: 0,
      pendingMax: engine.options.pendingMax,
    };
    const t0 = performance.now();
    for (const b of batches) {
      if (events !== "split") admitted(engine.ingest(b));
      else {
        o.pendingTotal = engine.counters.pending * shards;
        const r = engine.ingestOwn(b, (view, words) => splittable(view, words, o));
        if (r === null) throw new Error("shard: a batch of the feed cannot be split");
      }
    }
    engine.close();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const n = batches.reduce((sum, b) => sum + EventBatchView.from(b, { city }).length, 0);
  console.log(
    `first of ${shards} shard(s), 100000 bays, in order, ${events === "all" ? "admitting every event" : events === "split" ? "admitting its own zones' events" : "fed its own zones' events"}: median ${times[5]!.toFixed(1)} ms for ${n} events`,
  );
}

function checkpointCost(bays: number): void {
  const city = loadCity(scaleCity(paluCatalog(), bays));
  const events = synthEvents(city, { count: 1 << 19, seed: BENCH_SEED, sensorsOnly: true, meanGapMs: 5 });
  const batches: Uint8Array[] = [];
  for (let i = 0; i < events.length; i += 16_384)
    batches.push(encodeEvents(events.slice(i, i + 16_384), city, undefined, { keepEventIds: false }));
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[5]!.toFixed(1);
  for (const shards of [1, 2]) {
    const plan = planShards(city, shards)[0]!;
    const ingest: number[] = [];
    const write: number[] = [];
    const snap: number[] = [];
    let bytes = 0;
    let snapBytes = 0;
    const into = new Uint8Array(new SharedArrayBuffer(32 << 20));
    for (let rep = 0; rep < 10; rep++) {
      // As a worker hosts it (src/occupancy/sharded/worker.ts): wasm kernel, shard filter, reused window buffers.
      const e = withShard(
        plan,
        () => new OccupancyEngine(city, { kernel: "wasm", reuseWindowBuffers: true }),
      );
      let t0 = performance.now();
      for (const b of batches) admitted(e.ingest(b));
      ingest.push(performance.now() - t0);
      t0 = performance.now();
      // The recovery snapshot the worker writes (sharded/snapshot.ts): the shard's own part, into mapped memory.
      snapBytes = writeSnapshot(snapshotParts(e.checkpointParts(plan), e.lastWindowColumns(), plan), into);
      snap.push(performance.now() - t0);
      t0 = performance.now();
      bytes = e.checkpoint().byteLength;
      write.push(performance.now() - t0);
    }
    console.log(
      `shard 1 of ${shards}, ${bays} bays (admitting every event): 32 batches of 16k events ingested in ${median(ingest)} ms; its recovery snapshot (${snapBytes} bytes) written in ${median(snap)} ms; its checkpoint (${bytes} bytes) in ${median(write)} ms (medians of 10)`,
    );
  }
}

/** The events of `batch` whose bay or zone lies in `plan`, as a batch (struct words copied as they are). */
function ownEvents(batch: Uint8Array, city: City, plan: ShardPlan): Uint8Array {
  const view = EventBatchView.from(batch, { city });
  const keep: number[] = [];
  for (let i = 0; i < view.length; i++) {
    const zoneTarget = (view.flags(i) & FLAG_TARGET_ZONE) !== 0;
    const zone = zoneTarget ? view.target(i) : city.bayZone[view.target(i)]!;
    if (zone >= plan.zoneLo && zone < plan.zoneHi) keep.push(i);
  }
  const events = decodeEvents(view, city);
  return encodeEvents(
    keep.map((i) => events[i]!),
    city,
    undefined,
    { keepEventIds: false },
  );
}

/** The kernel methods the engine probe times: staging, verification scans, key resolution, admission, application. */
const ENGINE_PHASES = [
  "stageBatch",
  "stage",
  "events",
  "strings",
  "resolveSeqs",
  "resolveIds",
  "resolveIdHashes",
  "rebuildSeqs",
  "rebuildIds",
  "admitEvents",
  "sortPending",
  "applyEvents",
] as const;

/** The host's window work the engine probe times: noting touched rows (noteApplied), closing windows (close). */
const WINDOW_PHASES = ["noteApplied", "close"] as const;

/**
 * The whole engine on the feed, split by where its time goes: each call into its kernel (staging, the
 * verification scans `events` and `strings`, key resolution and table rebuilds, admission, sorting, application)
 * is timed in place; the host is the rest (verification's JavaScript, skew screening, window closing and
 * emission, buffer upkeep). Median of 10 fresh engines, ms per 1 M events.
 */
function engine(kind: string, bays: number, traffic: string, buffers: string, ids: string): void {
  if (kind !== "js" && kind !== "wasm") throw new Error(`engine: kind must be js or wasm, got ${kind}`);
  if (buffers !== "fresh" && buffers !== "reuse")
    throw new Error(`engine: window buffers must be fresh or reuse, got ${buffers}`);
  const { city, batches } = feed(bays, traffic, ids);
  const runs: {
    total: number;
    phases: Record<string, number>;
    host: Record<string, number>;
    windows: number;
  }[] = [];
  for (let rep = 0; rep < 10; rep++) {
    const r = singleEngine(city, kind, { reuseWindowBuffers: buffers === "reuse" });
    const phases: Record<string, number> = {};
    const host: Record<string, number> = {};
    const inner = r.engine as unknown as { k: { scanner?: object }; windowRows: object };
    const k = inner.k;
    const untime = timeMethods(k, ENGINE_PHASES, phases);
    const untimeScanner = k.scanner === undefined ? null : timeMethods(k.scanner, ENGINE_PHASES, phases);
    // The host's window work: noting the rows each application touched, closing windows (kernel calls included).
    const untimeRows = timeMethods(inner.windowRows, WINDOW_PHASES, host);
    const t0 = performance.now();
    feedSync(r, batches);
    runs.push({ total: performance.now() - t0, phases, host, windows: r.engine.counters.windowsClosed });
    untime();
    untimeScanner?.();
    untimeRows();
  }
  runs.sort((a, b) => a.total - b.total);
  const m = runs[5]!;
  const rows = new EngineState(city, resolveOptions({ kernel: "js" })).rowCount;
  const f = (x: number) => x.toFixed(1);
  const kernel = Object.values(m.phases).reduce((a, b) => a + b, 0);
  const list = (o: Record<string, number>) =>
    Object.entries(o)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${f(v)}`)
      .join(", ");
  console.log(
    `${kind} engine, ${bays} bays, ${traffic}, ${buffers} window buffers, ${ids}: total ${f(m.total)} ms (${f((EVENTS / m.total) * 1e-3)} M events/s); ` +
      `kernel calls ${f(kernel)} ms (${list(m.phases)}); host ${f(m.total - kernel)} ms (of which ${list(m.host)}); ` +
      `${m.windows} windows of ${rows} rows closed, ${((m.host.close ?? 0) / m.windows).toFixed(3)} ms each`,
  );
}

/** One build's modules the engine-ab probe drives: this one's, or another package root's (same API). */
interface Build {
  readonly name: string;
  readonly city: City;
  readonly singleEngine: typeof singleEngine;
  readonly feedSync: typeof feedSync;
  readonly timeMethods: typeof timeMethods;
  readonly runs: Record<string, number>[];
}

/** This build, or the one under package root `root` (its dist/ built from a tree with the same API). */
async function loadBuild(name: string, root: string | null, bays: number): Promise<Build> {
  if (root === null) {
    const city = loadCity(scaleCity(paluCatalog(), bays));
    return { name, city, singleEngine, feedSync, timeMethods, runs: [] };
  }
  const at = (path: string) => pathToFileURL(resolvePath(root, "dist", path)).href;
  const catalog = (await import(at("src/catalog/index.js"))) as typeof import("../src/catalog/index.js");
  const generate = (await import(at("src/generate/index.js"))) as typeof import("../src/generate/index.js");
  const fixtures = (await import(at("bench/fixtures/city.js"))) as typeof import("./fixtures/city.js");
  const replay = (await import(at("bench/replay.js"))) as typeof import("./replay.js");
  const city = catalog.loadCity(fixtures.scaleCity(generate.paluCatalog(), bays));
  return { name, city, ...replay, runs: [] };
}

/**
 * This build against the one under another package root (e.g. a copy of main's package.json, build/ and dist/),
 * in one process on the same batches: `rounds` engines each, alternating ABBA so both meet the same load on a
 * shared machine, each timed as the engine probe times it (kernel calls in place, the host's window work); min,
 * first quartile and median per phase, ms per 1 M events, and the windows' checksums (which must agree).
 */
async function engineAb(
  root: string,
  kind: string,
  bays: number,
  traffic: string,
  buffers: string,
  rounds: number,
  ids: string,
): Promise<void> {
  if (kind !== "js" && kind !== "wasm") throw new Error(`engine-ab: kind must be js or wasm, got ${kind}`);
  if (buffers !== "fresh" && buffers !== "reuse")
    throw new Error(`engine-ab: window buffers must be fresh or reuse, got ${buffers}`);
  if (!(Number.isInteger(rounds) && rounds > 0))
    throw new Error(`engine-ab: rounds must be a positive integer, got ${rounds}`);
  const { batches } = feed(bays, traffic, ids);
  const builds = [await loadBuild("this", null, bays), await loadBuild("other", root, bays)];
  const sums = new Set<number>();
  for (let r = 0; r < rounds; r++) {
    for (const b of r % 2 === 0 ? builds : [...builds].reverse()) {
      const rep = b.singleEngine(b.city, kind, { reuseWindowBuffers: buffers === "reuse" });
      const phases: Record<string, number> = {};
      const inner = rep.engine as unknown as { k: { scanner?: object }; windowRows: object };
      const untime = [
        b.timeMethods(inner.k, ENGINE_PHASES, phases),
        inner.k.scanner === undefined
          ? () => undefined
          : b.timeMethods(inner.k.scanner, ENGINE_PHASES, phases),
        b.timeMethods(inner.windowRows, WINDOW_PHASES, phases),
      ];
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      b.feedSync(rep, batches);
      phases.total = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      phases.cpu = (cpu.user + cpu.system) / 1000;
      for (const u of untime) u();
      sums.add(rep.checksum);
      b.runs.push(phases);
    }
  }
  if (sums.size !== 1)
    throw new Error(`engine-ab: the builds' windows differ (checksums ${[...sums].join(", ")})`);
  console.log(
    `${kind} engine, ${bays} bays, ${traffic}, ${buffers} window buffers, ${ids}, ${rounds} engines per build: min / q1 / median ms`,
  );
  const names = ["total", "cpu", ...ENGINE_PHASES, ...WINDOW_PHASES];
  for (const name of names) {
    const cells = builds.map((b) => {
      const xs = b.runs.map((x) => x[name] ?? 0).sort((x, y) => x - y);
      return `${b.name} ${[xs[0]!, xs[xs.length >> 2]!, xs[xs.length >> 1]!].map((x) => x.toFixed(1)).join(" / ")}`;
    });
    if (builds.some((b) => b.runs.some((x) => (x[name] ?? 0) > 0)))
      console.log(`  ${name}: ${cells.join(" | ")}`);
  }
}

/**
 * The random-update floor (bench/fixtures/floor.ts) over the kernels probe's feed: per event, the scattered
 * de-duplication, bay-record and window-row updates alone, on state shaped like the engine's (each bay's record
 * carries its real window row); best of 10, ns per event, next to the plain JS read of the bytes. The occupancy
 * suite measures the same floor as its `floor` case.
 */
function floor(bays: number): void {
  const { city, batches } = feed(bays, "in-order");
  const f = randomUpdateFloor(city, batches);
  const words = batches.map((b) => EventBatchView.from(b, { city }).words());
  let best = Number.POSITIVE_INFINITY;
  let read = Number.POSITIVE_INFINITY;
  let sink = 0;
  for (let rep = 0; rep < 10; rep++) {
    let t0 = performance.now();
    sink = (sink + f.run()) | 0;
    best = Math.min(best, performance.now() - t0);
    t0 = performance.now();
    for (const w of words) sink = (sink + sumU32Js(w)) | 0;
    read = Math.min(read, performance.now() - t0);
  }
  const n = f.events;
  console.log(
    `${bays} bays: random updates ${((best * 1e6) / n).toFixed(1)} ns/event; ` +
      `plain JS read of the same bytes ${((read * 1e6) / n).toFixed(1)} ns/event (sink ${sink & 1})`,
  );
}

/**
 * A day of the Palu trace (the `engine` suite's feed: two events in three are payments) replayed through one
 * engine in batches of `batch` events, engine built untimed; median of 10 replays after 3 untimed, ms.
 */
function palu(kind: string, batch: number): void {
  if (kind !== "js" && kind !== "wasm") throw new Error(`palu: kind must be js or wasm, got ${kind}`);
  if (!(Number.isInteger(batch) && batch > 0))
    throw new Error(`palu: batch must be a positive integer, got ${batch}`);
  const { city, events } = paluWorkload("full");
  const batches: Uint8Array[] = [];
  for (let i = 0; i < events.length; i += batch) batches.push(encodeEvents(events.slice(i, i + batch), city));
  const times: number[] = [];
  for (let rep = 0; rep < 13; rep++) {
    const engine = new OccupancyEngine(city, { kernel: kind });
    engine.windows$.subscribe(() => undefined);
    const t0 = performance.now();
    for (const b of batches) admitted(engine.ingest(b));
    engine.close();
    if (rep >= 3) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const ms = times[5]!;
  console.log(
    `${kind} engine, Palu trace (${events.length} events, batches of ${batch}): ${ms.toFixed(1)} ms (${(events.length / ms / 1e3).toFixed(2)} M events/s)`,
  );
}

/**
 * The sharded engine on 1 and `workers` workers, alternating runs on warm pools: wall time, and the time its
 * main thread spends merging shard outputs (timed by wrapping the engine's private emitMerged).
 */
async function sharded(workers: number): Promise<void> {
  if (!(Number.isInteger(workers) && workers >= 2 && workers <= 8))
    throw new Error(`sharded: workers must be an integer in 2..8, got ${workers}`);
  const { city, batches } = feed(100_000, "in-order");
  let lastMs = Number.NEGATIVE_INFINITY;
  for (const b of batches) lastMs = Math.max(lastMs, EventBatchView.from(b, { city }).timeRange().maxMs);
  const proto = ShardedOccupancyEngine.prototype as unknown as { emitMerged(r: unknown): void };
  const emitMerged = proto.emitMerged;
  let mergeMs = 0;
  proto.emitMerged = function (this: unknown, r: unknown) {
    const t = performance.now();
    emitMerged.call(this, r);
    mergeMs += performance.now() - t;
  };
  const pools = Array.from({ length: workers }, () => createPool({ threads: 1 }));
  const runs = new Map<number, { wall: number[]; merge: number[] }>();
  try {
    for (let rep = 0; rep < 6; rep++) {
      for (const w of [1, workers]) {
        const e = await ShardedOccupancyEngine.create(city, {
          workers: w,
          pools: pools.slice(0, w),
          reserveBatchBytes: 2 * batches.length * Math.max(...batches.map((b) => b.byteLength)),
        });
        e.windows$.subscribe(() => undefined);
        mergeMs = 0;
        const t0 = performance.now();
        for (const b of batches) admitted(await e.ingest(b));
        await e.advanceTo(lastMs + 1);
        const wall = performance.now() - t0;
        await e.close();
        if (rep === 0) continue; // warm-up
        const r = runs.get(w) ?? { wall: [], merge: [] };
        r.wall.push(wall);
        r.merge.push(mergeMs);
        runs.set(w, r);
      }
    }
  } finally {
    proto.emitMerged = emitMerged;
    await Promise.all(pools.map((p) => p.destroy()));
  }
  const list = (xs: number[], digits: number) => xs.map((x) => x.toFixed(digits)).join(" ");
  for (const [w, r] of runs) {
    console.log(
      `sharded engine, ${w} worker${w > 1 ? "s" : ""}, 100000 bays, 1 M in-order events: wall ${list(r.wall, 0)} ms; main-thread merge ${list(r.merge, 1)} ms`,
    );
  }
}

/** Work a probe runs inside a worker thread (threads, shards-at-once). */
type ThreadJob =
  | { readonly kind: "compute" }
  | { readonly kind: "memory"; readonly megabytes: number }
  | { readonly kind: "shard"; readonly shards: number; readonly index: number; readonly reps: number };

interface ThreadTask {
  readonly job: ThreadJob;
  /** Int32 words: [arrived, threads, released round]; every thread starts each timed run together. */
  readonly barrier: SharedArrayBuffer;
}

/** Waits until every thread of the task reached round `round` (1-based). */
function barrierWait(barrier: SharedArrayBuffer, round: number): void {
  const w = new Int32Array(barrier);
  if (Atomics.add(w, 0, 1) + 1 === Atomics.load(w, 1) * round) {
    Atomics.store(w, 2, round);
    Atomics.notify(w, 2);
  }
  while (Atomics.load(w, 2) < round) Atomics.wait(w, 2, round - 1, 100);
}

/** Runs one ThreadJob in this (worker) thread; returns the timed runs, ms. */
function threadJob(task: ThreadTask): number[] {
  const job = task.job;
  if (job.kind === "compute" || job.kind === "memory") {
    barrierWait(task.barrier, 1);
    const t0 = performance.now();
    let x = 1;
    if (job.kind === "compute") {
      for (let i = 0; i < 400_000_000; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
    } else {
      const words = job.megabytes << 18;
      const a = new Int32Array(words);
      let sum = 0;
      for (let i = 0; i < 20_000_000; i++) {
        x = (Math.imul(x, 1103515245) + 12345) | 0;
        const j = (x >>> 8) % words;
        sum = (sum + a[j]!) | 0;
        a[j] = sum;
      }
      x ^= sum;
    }
    const ms = performance.now() - t0;
    return x === 0.5 ? [] : [ms]; // x is used, so the loop is not dropped
  }
  const { city, batches } = feed(100_000, "in-order");
  const plan = planShards(city, job.shards)[job.index]!;
  const times: number[] = [];
  for (let rep = 0; rep <= job.reps; rep++) {
    // As a worker hosts it (src/occupancy/sharded/worker.ts): wasm kernel, shard filter, reused window buffers.
    const engine = withShard(
      plan,
      () => new OccupancyEngine(city, { kernel: "wasm", reuseWindowBuffers: true }),
    );
    barrierWait(task.barrier, rep + 1);
    const t0 = performance.now();
    for (const b of batches) admitted(engine.ingest(b));
    engine.close();
    if (rep > 0) times.push(performance.now() - t0); // rep 0 warms up
  }
  return times;
}

/** Runs `jobs` in as many worker threads at once; resolves to each one's timed runs. */
function inThreads(jobs: readonly ThreadJob[]): Promise<number[][]> {
  const barrier = new SharedArrayBuffer(12);
  new Int32Array(barrier)[1] = jobs.length;
  return Promise.all(
    jobs.map(
      (job) =>
        new Promise<number[]>((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url), {
            workerData: { job, barrier } satisfies ThreadTask,
          });
          w.once("message", resolve);
          w.once("error", reject);
        }),
    ),
  );
}

const fmtMs = (xs: readonly number[]) => xs.map((x) => x.toFixed(0)).join(" ");

async function threads(): Promise<void> {
  const jobs: ThreadJob[] = [
    { kind: "compute" },
    { kind: "memory", megabytes: 4 },
    { kind: "memory", megabytes: 16 },
    { kind: "memory", megabytes: 64 },
  ];
  for (const job of jobs) {
    const name =
      job.kind === "memory" ? `random reads and writes over ${job.megabytes} MB` : "arithmetic loop";
    for (let rep = 0; rep < 3; rep++) {
      const [one] = await inThreads([job]);
      const two = await inThreads([job, job]);
      const alone = one![0]!;
      const both = two.map((t) => t[0]!);
      console.log(
        `${name}: alone ${alone.toFixed(0)} ms; two threads at once ${fmtMs(both)} ms; work rate ${((2 * alone) / Math.max(...both)).toFixed(2)}× one thread`,
      );
    }
  }
}

async function shardsAtOnce(): Promise<void> {
  const reps = 5;
  for (let round = 0; round < 2; round++) {
    const [whole] = await inThreads([{ kind: "shard", shards: 1, index: 0, reps }]);
    const halves = await inThreads([
      { kind: "shard", shards: 2, index: 0, reps },
      { kind: "shard", shards: 2, index: 1, reps },
    ]);
    const wall = halves[0]!.map((t, i) => Math.max(t, halves[1]![i]!));
    console.log(`one shard of 1, alone: ${fmtMs(whole!)} ms`);
    console.log(
      `shards 1 and 2 of 2 at once: ${fmtMs(halves[0]!)} | ${fmtMs(halves[1]!)} ms (the later of the two: ${fmtMs(wall)})`,
    );
  }
}

function verify(): void {
  const { city, batches } = feed(100_000, "in-order");
  const times: number[] = [];
  for (let rep = 0; rep < 13; rep++) {
    const t0 = performance.now();
    for (const b of batches) EventBatchView.from(b, { city });
    if (rep >= 3) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(
    `verifying ${batches.length} batches of the 1 M-event feed: best ${times[0]!.toFixed(2)} ms, median ${times[5]!.toFixed(2)} ms`,
  );
}

/** The `objects` probe: the plain-objects path split into its parts, next to the Map loop. */
function objects(): void {
  const city = loadCity(paluCatalog());
  const events = sensorFeed(city, "full");
  const n = events.length;
  const w = E2E_WINDOW_MS;
  const bays = bayMap(city);
  const f = new EventFields();
  const range = (i: number) => ({ start: i, end: Math.min(n, i + BATCH_EVENTS_DEFAULT) });
  // Batches written into one reused memory, as into an engine's batch memory.
  let memory = new Uint8Array(1 << 20);
  const into = (size: number): Uint8Array => {
    if (size > memory.length) memory = new Uint8Array(size);
    return memory.subarray(0, size);
  };
  const pre: Uint8Array[] = [];
  for (let i = 0; i < n; i += BATCH_EVENTS_DEFAULT)
    pre.push(encodeEvents(events, city, undefined, { keepEventIds: false, ...range(i) }));
  const engineOver = (feedBatches: (e: OccupancyEngine) => void): number => {
    const out: PeerWindows = { windows: 0, checksum: 0 };
    const e = new OccupancyEngine(city, { windowMs: w, reuseWindowBuffers: true, clock: () => 0 });
    e.windows$.subscribe((b) => foldWindow(out, b, w));
    feedBatches(e);
    e.close();
    return out.checksum;
  };
  const parts: [string, () => number][] = [
    ["plain Map loop", () => mapWindows(events, bays, w).checksum],
    [
      "four fields read",
      () => {
        let sum = 0;
        for (const e of events)
          sum +=
            e.event_id.length + e.event_type.length + (e.curb_space_id?.length ?? 0) + Number(e.event_time);
        return sum;
      },
    ],
    [
      "readEvent (validation)",
      () => {
        let sum = 0;
        for (const e of events) sum += readEvent(e, f);
        return sum;
      },
    ],
    [
      "bay lookup (city.bayIndex)",
      () => {
        let sum = 0;
        for (const e of events) sum += city.bayIndex(e.curb_space_id!);
        return sum;
      },
    ],
    [
      "readEvent + bay lookup (the floor)",
      () => {
        let sum = 0;
        for (const e of events) sum += readEvent(e, f) + city.bayIndex(f.space!);
        return sum;
      },
    ],
    [
      "encodeEvents",
      () => {
        let bytes = 0;
        for (let i = 0; i < n; i += BATCH_EVENTS_DEFAULT)
          bytes += encodeEvents(events, city, undefined, { keepEventIds: false, into, ...range(i) }).length;
        return bytes;
      },
    ],
    [
      "encodeEvents, event ids kept",
      () => {
        let bytes = 0;
        for (let i = 0; i < n; i += BATCH_EVENTS_DEFAULT)
          bytes += encodeEvents(events, city, undefined, { into, ...range(i) }).length;
        return bytes;
      },
    ],
    [
      "engine over the batches",
      () =>
        engineOver((e) => {
          for (const b of pre) e.ingest(b);
        }),
    ],
    [
      "encodeEvents + engine",
      () =>
        engineOver((e) => {
          const into = (size: number) => e.batchBuffer(size);
          for (let i = 0; i < n; i += BATCH_EVENTS_DEFAULT)
            e.ingest(encodeEvents(events, city, undefined, { keepEventIds: false, into, ...range(i) }));
        }),
    ],
    [
      "replayEventsSync (the e2e case)",
      () => {
        const out: PeerWindows = { windows: 0, checksum: 0 };
        replayEventsSync(events, city, {
          engine: { windowMs: w },
          keepEventIds: false,
          onWindows: (b) => foldWindow(out, b, w),
        });
        return out.checksum;
      },
    ],
  ];
  console.log(
    `${n} bay-sensor events of the e2e feed; ns per event, median and best of 21 (after 5 warm-up runs)`,
  );
  for (const [name, fn] of parts) {
    const times: number[] = [];
    for (let rep = 0; rep < 26; rep++) {
      const t0 = performance.now();
      fn();
      if (rep >= 5) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const ns = (ms: number) => ((ms * 1e6) / n).toFixed(0);
    console.log(`${name}: median ${ns(times[10]!)}, best ${ns(times[0]!)}`);
  }
}

const [probe, ...args] = isMainThread ? process.argv.slice(2) : ["(worker)"];

/** Runs the probe named on the command line; a wrong argument is one line on stderr and exit code 2. */
async function main(): Promise<void> {
  if (probe === "objects") objects();
  else if (probe === "kernels") kernels(args[0] ?? "wasm", Number(args[1] ?? 100_000), args[2] ?? "in-order");
  else if (probe === "page-faults") pageFaults();
  else if (probe === "checkpoint") checkpointCost(Number(args[0] ?? 100_000));
  else if (probe === "shard") shard(Number(args[0] ?? 2), args[1] ?? "all");
  else if (probe === "sharded") await sharded(Number(args[0] ?? 2));
  else if (probe === "shards-at-once") await shardsAtOnce();
  else if (probe === "threads") await threads();
  else if (probe === "verify") verify();
  else if (probe === "floor") floor(Number(args[0] ?? 100_000));
  else if (probe === "palu") palu(args[0] ?? "wasm", Number(args[1] ?? 16_384));
  else if (probe === "engine")
    engine(
      args[0] ?? "wasm",
      Number(args[1] ?? 100_000),
      args[2] ?? "in-order",
      args[3] ?? "fresh",
      args[4] ?? "no-ids",
    );
  else if (probe === "engine-ab" && args[0] !== undefined)
    await engineAb(
      args[0],
      args[1] ?? "wasm",
      Number(args[2] ?? 100_000),
      args[3] ?? "in-order",
      args[4] ?? "reuse",
      Number(args[5] ?? 12),
      args[6] ?? "no-ids",
    );
  else {
    console.error(
      "usage: node dist/bench/probes.js objects | kernels [js|wasm] [bays] [in-order|shuffled] | engine [js|wasm] [bays] [in-order|shuffled] [fresh|reuse] [no-ids|ids] | engine-ab <package root> [js|wasm] [bays] [in-order|shuffled] [fresh|reuse] [rounds] [no-ids|ids] | floor [bays] | palu [js|wasm] [batch] | page-faults | checkpoint [bays] | shard [shards] [all|split|own] | sharded [workers] | shards-at-once | threads | verify",
    );
    process.exitCode = 2;
  }
}

if (!isMainThread) parentPort!.postMessage(threadJob(workerData as ThreadTask));
else
  await main().catch((e: unknown) => {
    console.error(`probes: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 2;
  });

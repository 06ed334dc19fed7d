/**
 * Runtime suites (wasm kernels, src/runtime): not registered by this file; add them to SUITES in
 * bench/suites/index.ts after `limit` so fractionOfLimit is filled in.
 *
 * - `wasm-memread`: the memory-read yardstick in wasm (scalar and SIMD) next to the plain JS typed-array
 *   sum, over the same bytes of the shared memory. Baseline `js-u32-sum`.
 * - `wasm-billing`: batch billing of the same sessions by the JS reference (`billBatch`) and the wasm
 *   kernel, under Palu's flat visit tariff and its dynamic hourly tariff. Baseline `js-*`.
 * - `wasm-occupancy`: the whole engine, FlatBuffers bytes to closed windows, JS vs wasm kernel, on the Palu
 *   catalogue scaled to 100,000 bays, in-order and shuffled-within-lateness traffic, next to a plain read
 *   of the same bytes. Baseline `js-inorder`.
 * - `wasm-workers`: the sharded engine (ShardedOccupancyEngine) with 1 and 2 workers on 64k-event batches
 *   of the same feed. Baseline `workers-1`.
 */
import { readFileSync } from "node:fs";
import { type City, loadCity } from "../../src/catalog/index.js";
import { paluCatalog } from "../../src/generate/index.js";
import { OccupancyEngine } from "../../src/occupancy/index.js";
import { seedPath } from "../../src/paths.js";
import { billBatch, compileTariffs, loadPolicy } from "../../src/pricing/index.js";
import { WasmBilling } from "../../src/runtime/billing.js";
import { MemRead, ShardedOccupancyEngine, SharedArena, sumU32Js } from "../../src/runtime/index.js";
import { type CdsEvent, EventBatchView, encodeEvents } from "../../src/wire/index.js";
import { scaleCity } from "../fixtures/city.js";
import { synthEvents } from "../fixtures/events.js";
import { createRng } from "../fixtures/prng.js";
import { BENCH_SEED } from "../fixtures/workload.js";
import type { CaseSpec, Measurement, Profile, SuiteDefinition } from "../harness.js";

/** Bytes summed per profile (larger than the caches except in `tiny`). */
const MEMREAD_BYTES: Readonly<Record<Profile, number>> = { full: 64 << 20, quick: 64 << 20, tiny: 256 << 10 };

/** `wasm-memread`: u32 sums over one region of the shared memory, JS and wasm. */
export const wasmMemreadSuite: SuiteDefinition = {
  name: "wasm-memread",
  summary:
    "memory-read yardstick: u32 sum in JS, wasm scalar and wasm SIMD over the same shared memory (bytes/s)",
  build({ profile }) {
    const size = MEMREAD_BYTES[profile];
    const arena = new SharedArena({ initialBytes: size + (4 << 20), maximumBytes: size + (64 << 20) });
    const at = arena.alloc(size, 64);
    const words = arena.u32().subarray(at >> 2, (at + size) >> 2);
    const rng = createRng(BENCH_SEED);
    for (let i = 0; i < words.length; i++) words[i] = (rng.next() * 0x1_0000_0000) >>> 0;
    const scalar = new MemRead(arena, { simd: false });
    const simd = new MemRead(arena);
    const n = words.length;
    const eventsPerOp = Math.floor(size / 24);
    const cases: CaseSpec[] = [
      { name: "js-u32-sum", eventsPerOp, bytesPerOp: size, fn: () => sumU32Js(words) },
      { name: "wasm-u32-sum", eventsPerOp, bytesPerOp: size, fn: () => scalar.sum(at, n) },
      {
        name: "wasm-u32-sum-simd",
        eventsPerOp,
        bytesPerOp: size,
        extra: { variant: simd.variant },
        fn: () => simd.sum(at, n),
      },
    ];
    return {
      name: "wasm-memread",
      workload: {
        description: "Seeded random u32 words in one region of a shared WebAssembly.Memory",
        seed: BENCH_SEED,
        sizes: { bytes: size },
      },
      baseline: "js-u32-sum",
      cases,
    };
  },
};

/** Sessions billed per operation. */
const SESSIONS: Readonly<Record<Profile, number>> = { full: 1 << 20, quick: 1 << 18, tiny: 1 << 10 };

/** `wasm-billing`: the same random Palu sessions billed by JS and wasm, flat and dynamic tariffs. */
export const wasmBillingSuite: SuiteDefinition = {
  name: "wasm-billing",
  summary: "batch billing (nightly reconciliation): JS billBatch vs the wasm kernel, sessions/s",
  build({ profile }) {
    const city = loadCity(JSON.parse(readFileSync(seedPath("palu", "city.json"), "utf8")));
    const doc = JSON.parse(readFileSync(seedPath("palu", "policy.json"), "utf8"));
    const n = SESSIONS[profile];
    const arena = new SharedArena({ initialBytes: 64 << 20 });
    const rng = createRng(BENCH_SEED);
    const t0 = Date.parse("2026-11-30T00:00:00+08:00");
    const cases: CaseSpec[] = [];
    for (const variant of ["flat", "dynamic"] as const) {
      const table = compileTariffs(city, loadPolicy(doc, variant === "dynamic" ? { variant } : {}));
      const wasm = new WasmBilling(arena, table);
      // Rows live in the shared memory: the JS reference reads the same typed arrays.
      const rows = wasm.rows(n);
      for (let i = 0; i < n; i++) {
        rows.startsMs[i] = t0 + Math.floor(rng.next() * 86_400_000);
        rows.endsMs[i] = rows.startsMs[i]! + Math.floor(rng.next() * 4 * 3_600_000);
        rows.zones[i] = Math.floor(rng.next() * city.zoneCount);
        rows.vehicles[i] = rng.next() < 0.7 ? 1 : 3;
      }
      const out = new Float64Array(n);
      cases.push(
        {
          name: `js-${variant}`,
          eventsPerOp: n,
          fn: () => billBatch(table, rows.startsMs, rows.endsMs, rows.zones, rows.vehicles, out).totalMinor,
        },
        {
          name: `wasm-${variant}`,
          eventsPerOp: n,
          fn: () =>
            wasm.billBatch(rows.startsMs, rows.endsMs, rows.zones, rows.vehicles, rows.out).totalMinor,
        },
      );
    }
    return {
      name: "wasm-billing",
      workload: {
        description:
          "Palu catalogue and seed policy (flat visit fees; `dynamic` variant: hourly units in 3 bands, grace, daily cap); stays start uniformly over one day and last 0–4 h; 70 % motorcycles, 30 % cars",
        seed: BENCH_SEED,
        sizes: { sessions: n },
      },
      baseline: "js-flat",
      // Flat and dynamic totals differ; equality is checked pairwise below instead.
      independent: true,
      cases: checkPairs(cases),
    };
  },
};

/** Verifies each wasm case returns its JS twin's total before anything is timed. */
function checkPairs(cases: CaseSpec[]): CaseSpec[] {
  for (const c of cases) {
    if (!c.name.startsWith("wasm-") || !("fn" in c)) continue;
    const twin = cases.find((x) => x.name === `js-${c.name.slice(5)}`);
    if (twin === undefined || !("fn" in twin)) continue;
    const a = twin.fn();
    const b = c.fn();
    if (a !== b) throw new Error(`wasm-billing: ${c.name} totals ${String(b)}, ${twin.name} ${String(a)}`);
  }
  return cases;
}

/** Events and bays per profile for the occupancy suites. */
const OCC: Readonly<Record<Profile, { readonly events: number; readonly bays: number }>> = {
  full: { events: 1 << 20, bays: 100_000 },
  quick: { events: 1 << 18, bays: 100_000 },
  tiny: { events: 4096, bays: 2000 },
};
const BATCH = 65_536;

/** The Palu catalogue scaled to `bays`, a seeded bay-sensor feed in order, and the same feed shuffled. */
function occupancyFeed(profile: Profile): { city: City; inorder: Uint8Array[]; shuffled: Uint8Array[] } {
  const { events: n, bays } = OCC[profile];
  const city = loadCity(scaleCity(paluCatalog(), bays));
  const events = synthEvents(city, { count: n, seed: BENCH_SEED, sensorsOnly: true, meanGapMs: 5 });
  // Shuffled within the lateness: each event delayed by up to 60 s of event time (lateness is 2 min).
  const rng = createRng(BENCH_SEED + 1);
  const keyed = events.map((e, i) => ({ e, i, k: Number(e.event_time) + Math.floor(rng.next() * 60_000) }));
  keyed.sort((a, b) => a.k - b.k || a.i - b.i);
  const batches = (list: readonly CdsEvent[]) => {
    const out: Uint8Array[] = [];
    for (let i = 0; i < list.length; i += BATCH)
      out.push(encodeEvents(list.slice(i, i + BATCH), city, undefined, { keepEventIds: false }));
    return out;
  };
  return { city, inorder: batches(events), shuffled: batches(keyed.map((x) => x.e)) };
}

function runEngine(city: City, batches: readonly Uint8Array[], kernel: "js" | "wasm"): number {
  const engine = new OccupancyEngine(city, { kernel });
  let checksum = 0;
  engine.windows$.subscribe((w) => {
    const c = w.columns!;
    for (let r = 0; r < c.length; r++) checksum += c.arrivals[r]! + c.peakOccupied[r]!;
  });
  for (const b of batches) engine.ingest(b);
  engine.close();
  return checksum;
}

/** `wasm-occupancy`: whole engine, JS vs wasm kernel, in order and shuffled. */
export const wasmOccupancySuite: SuiteDefinition = {
  name: "wasm-occupancy",
  summary:
    "engine from FlatBuffers bytes to closed windows: JS vs wasm kernel, in-order and shuffled (events/s)",
  build({ profile }) {
    const { city, inorder, shuffled } = occupancyFeed(profile);
    const n = OCC[profile].events;
    const words = inorder.map((b) => EventBatchView.from(b, { city }).words());
    const eventBytes = n * 24;
    const cases: CaseSpec[] = [];
    for (const [traffic, batches] of [
      ["inorder", inorder],
      ["shuffled", shuffled],
    ] as const) {
      // Both kernels must compute the same windows before anything is timed.
      const js = runEngine(city, batches, "js");
      const wasm = runEngine(city, batches, "wasm");
      if (js !== wasm) throw new Error(`wasm-occupancy/${traffic}: wasm checksum ${wasm}, js ${js}`);
      for (const kernel of ["js", "wasm"] as const) {
        cases.push({
          name: `${kernel}-${traffic}`,
          eventsPerOp: n,
          bytesPerOp: eventBytes,
          extra: {
            note: `new engine (kernel ${kernel}), ingest every 64k-event batch (verify included), close`,
          },
          fn: () => runEngine(city, batches, kernel),
        });
      }
    }
    cases.push({
      name: "memory-read",
      eventsPerOp: n,
      bytesPerOp: eventBytes,
      extra: { note: "plain JS u32 sum of the same event bytes" },
      fn: () => {
        let acc = 0;
        for (const w of words) acc = (acc + sumU32Js(w)) >>> 0;
        return acc;
      },
    });
    return {
      name: "wasm-occupancy",
      workload: {
        description:
          "Palu catalogue scaled to 100,000 bays (tiny: 2,000); seeded bay-sensor feed, 64k-event batches without event ids; shuffled = each event delayed by up to 60 s (lateness 2 min)",
        seed: BENCH_SEED,
        sizes: { events: n, bays: OCC[profile].bays, batchEvents: BATCH },
      },
      baseline: "js-inorder",
      independent: true,
      cases,
    };
  },
};

/** `wasm-workers`: sharded engine with 1 and 2 workers on the in-order feed. */
export const wasmWorkersSuite: SuiteDefinition = {
  name: "wasm-workers",
  summary: "sharded engine over piscina workers: 1 vs 2 workers on 64k-event batches (events/s)",
  build({ profile }) {
    const { city, inorder } = occupancyFeed(profile);
    const n = OCC[profile].events;
    const measure = (workers: number) => async (): Promise<Measurement> => {
      const rates: number[] = [];
      for (let rep = 0; rep < (profile === "full" ? 5 : 2); rep++) {
        const engine = await ShardedOccupancyEngine.create(city, { workers, checkpointEvery: 1 << 20 });
        await engine.ingest(inorder[0]!);
        const t = performance.now();
        for (const b of inorder.slice(1)) await engine.ingest(b);
        const ms = performance.now() - t;
        await engine.close();
        rates.push(((inorder.length - 1) * BATCH) / ms / 1000);
      }
      const best = Math.max(...rates);
      return {
        hz: (best * 1e6) / n,
        rme: 0,
        samples: rates.length,
        extra: { bestEventsPerSec: best * 1e6 },
      };
    };
    return {
      name: "wasm-workers",
      workload: {
        description:
          "Same feed as wasm-occupancy (in order); each op = the whole feed after one warm-up batch",
        seed: BENCH_SEED,
        sizes: { events: n, batchEvents: BATCH },
      },
      baseline: "workers-1",
      independent: true,
      cases: [
        { name: "workers-0", eventsPerOp: n, measure: measure(0) },
        { name: "workers-1", eventsPerOp: n, measure: measure(1) },
        { name: "workers-2", eventsPerOp: n, measure: measure(2) },
      ],
    };
  },
};

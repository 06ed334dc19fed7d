/**
 * Runtime suites (wasm kernels, src/runtime): not registered by this file; add them to SUITES in
 * bench/suites/index.ts after `limit` so fractionOfLimit is filled in.
 *
 * - `wasm-memread`: the memory-read yardstick in wasm (scalar and SIMD) next to the plain JS typed-array
 *   sum, over the same bytes of the shared memory. Baseline `js-u32-sum`.
 * - `wasm-billing`: batch billing of the same sessions by the JS reference (`billBatch`) and the wasm
 *   kernel, under Palu's flat visit tariff and its dynamic hourly tariff. Baseline `js-*`.
 */
import { readFileSync } from "node:fs";
import { loadCity } from "../../src/catalog/index.js";
import { seedPath } from "../../src/cli/paths.js";
import { billBatch, compileTariffs, loadPolicy } from "../../src/pricing/index.js";
import { WasmBilling } from "../../src/runtime/billing.js";
import { MemRead, SharedArena, sumU32Js } from "../../src/runtime/index.js";
import { createRng } from "../fixtures/prng.js";
import { BENCH_SEED } from "../fixtures/workload.js";
import type { CaseSpec, Profile, SuiteDefinition } from "../harness.js";

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

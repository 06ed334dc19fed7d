/**
 * Sorting the pending buffer, on buffers large enough to leave the insertion sort: the JS reference (merge
 * sort) and the wasm kernel (radix sort on time, then the rest of the key) must both leave exactly the bytes
 * of a plain sort by the total order, ties and identical events included.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveOptions } from "../../src/occupancy/index.js";
import { PENDING_STRIDE, R_HEAD, R_TAIL, R_UNSORTED, R_WIN_END } from "../../src/occupancy/kernel.js";
import { comparePending, sortPending } from "../../src/occupancy/pending.js";
import { EngineState } from "../../src/occupancy/state.js";
import {
  JS_OCCUPANCY_KERNEL,
  type OccupancyKernel,
  WasmOccupancyKernel,
} from "../../src/occupancy/wasm-kernel.js";
import { openWindow } from "../../src/occupancy/window-open.js";
import { kernelBuilt, wasmSupported } from "../../src/runtime/index.js";
import { EventBatchView, encodeEvents } from "../../src/wire/index.js";
import { sensorCity } from "../occupancy/fixtures.js";

const city = sensorCity(4, 8);
const T0 = Date.parse("2026-11-30T08:00:00+08:00");

/** A state whose pending buffer holds `n` seeded events: a sorted prefix, then a run shuffled within `spreadMs`. */
function filled(
  memory: EngineState["memory"] | undefined,
  seed: number,
  n: number,
  spreadMs: number,
  prefix: number,
) {
  const s = new EngineState(city, resolveOptions({}), memory);
  s.ensurePending(n);
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < n; i++) {
    // Few distinct values per field, so equal times, equal keys and identical events all occur.
    s.pTime[i] = T0 + Math.floor(i / 3) + Math.floor(next() * spreadMs);
    const p = i * PENDING_STRIDE;
    s.pWords[p] = Math.floor(next() * 4);
    s.pWords[p + 1] = Math.floor(next() * 3);
    s.pWords[p + 2] = Math.floor(next() * 2);
    s.pWords[p + 3] = Math.floor(next() * 3);
    s.pWords[p + 4] = Math.floor(next() * 2);
  }
  // The prefix [0, prefix) must already be in the total order (sortPending's precondition).
  const order = Array.from({ length: prefix }, (_, i) => i).sort((a, b) =>
    comparePending(s.pTime, s.pWords, a, b),
  );
  const t = order.map((i) => s.pTime[i]!);
  const w = order.map((i) => Array.from(s.pWords.subarray(i * PENDING_STRIDE, (i + 1) * PENDING_STRIDE)));
  for (let i = 0; i < prefix; i++) {
    s.pTime[i] = t[i]!;
    s.pWords.set(w[i]!, i * PENDING_STRIDE);
  }
  s.reg[R_HEAD] = 0;
  s.reg[R_TAIL] = n;
  s.reg[R_UNSORTED] = Math.max(1, prefix);
  return s;
}

/** The pending events as byte strings, in buffer order. */
function events(s: EngineState, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const w = Array.from(s.pWords.subarray(i * PENDING_STRIDE, (i + 1) * PENDING_STRIDE));
    out.push(`${s.pTime[i]}:${w.join(",")}`);
  }
  return out;
}

function reference(seed: number, n: number, spreadMs: number, prefix: number): string[] {
  const s = filled(undefined, seed, n, spreadMs, prefix);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
    comparePending(s.pTime, s.pWords, a, b),
  );
  const all = events(s, n);
  return order.map((i) => all[i]!);
}

const hasWasm = wasmSupported() && kernelBuilt("occupancy");

describe("pending buffer sort (past the insertion sort's budget)", () => {
  const arb = fc.record({
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    n: fc.integer({ min: 2, max: 40_000 }),
    spreadMs: fc.constantFrom(0, 5, 1000, 60_000, 7 * 86_400_000),
    prefixShare: fc.double({ min: 0, max: 0.9, noNaN: true }),
  });

  it("the JS merge sort and the wasm radix sort both give a plain sort's bytes", () => {
    fc.assert(
      fc.property(arb, ({ seed, n, spreadMs, prefixShare }) => {
        const prefix = Math.floor(n * prefixShare);
        const want = reference(seed, n, spreadMs, prefix);
        const js = filled(undefined, seed, n, spreadMs, prefix);
        sortPending(js);
        expect(events(js, n)).toEqual(want);
        if (!hasWasm) return;
        const k = new WasmOccupancyKernel();
        const w = filled(k.memory, seed, n, spreadMs, prefix);
        k.attach(w).sortPending(w);
        expect(events(w, n)).toEqual(want);
        expect(w.reg[R_UNSORTED]).toBe(-1);
      }),
      // Buffers of up to 40,000 events: report a failure as found rather than spend minutes shrinking it.
      { numRuns: 25, endOnFailure: true },
    );
  }, 120_000);
});

describe("wasm kernel on a state made in plain memory", () => {
  it.skipIf(!hasWasm)(
    "moves it into its memory, derives the bay rows it needs, and matches the JS kernel",
    () => {
      const batch = encodeEvents(
        Array.from({ length: 40 }, (_, i) => ({
          event_id: `e${i}`,
          event_type: i % 3 === 0 ? ("park_end" as const) : ("park_start" as const),
          event_time: T0 + i * 1000,
          curb_space_id: `Z${i % 4}-B${(i * 7) % 8}`,
        })),
        city,
      );
      const view = EventBatchView.from(batch, { city });
      const run = (kernel: OccupancyKernel) => {
        const s = new EngineState(city, resolveOptions({}));
        const k = kernel.attach(s);
        s.ensurePending(view.length);
        s.ensureLate(view.length);
        k.admitEvents(s, k.stage(view.words()), 0, view.length, view.baseTimeMs);
        k.sortPending(s);
        openWindow(s, Math.floor(s.pTime[0]! / s.windowMs) * s.windowMs);
        k.applyEvents(s, s.reg[R_WIN_END]!);
        return [Array.from(s.reg), Array.from(s.bays), Array.from(s.accU32)];
      };
      expect(run(new WasmOccupancyKernel())).toEqual(run(JS_OCCUPANCY_KERNEL));
    },
  );
});

describe("the pending buffer's room (EngineState.ensurePending)", () => {
  const step = fc.record({
    // Mostly one chunk size (as the engine asks), so that compaction, not growth, makes the room.
    extra: fc.oneof({ weight: 3, arbitrary: fc.constant(700) }, fc.integer({ min: 1, max: 3000 })),
    /** Of the `extra` slots made room for, the percentage filled. */
    fill: fc.integer({ min: 0, max: 100 }),
    /** Percentage of the live events applied (taken from the head) after the fill. */
    apply: fc.integer({ min: 0, max: 100 }),
    unsorted: fc.boolean(),
  });

  it("keeps every live event, in order, with its unsorted mark, across compactions and growth", () => {
    const memories: [string, () => EngineState["memory"] | undefined][] = [["plain", () => undefined]];
    if (wasmSupported() && kernelBuilt("occupancy"))
      memories.push(["kernel", () => new WasmOccupancyKernel().memory]);
    let compacted = 0;
    let grown = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), (steps) => {
        for (const [name, memory] of memories) {
          const s = new EngineState(city, resolveOptions({}), memory());
          const r = s.reg;
          // The model: the live events' times (their words are derived from the time) and the unsorted mark as an
          // offset from the head.
          const live: number[] = [];
          let mark = -1;
          let next = 0;
          for (const { extra, fill, apply, unsorted } of steps) {
            const before = r[R_HEAD]!;
            const cap = s.pTime.length;
            s.ensurePending(extra);
            if (s.pTime.length !== cap) grown++;
            else if (r[R_HEAD] === 0 && before > 0) compacted++;
            expect(r[R_TAIL]! + extra, name).toBeLessThanOrEqual(s.pTime.length);
            expect(r[R_TAIL]! - r[R_HEAD]!, name).toBe(live.length);
            if (mark >= 0) expect(r[R_UNSORTED]! - r[R_HEAD]!, name).toBe(mark);
            let wrong = -1;
            for (let i = 0; i < live.length && wrong < 0; i++) {
              const at = r[R_HEAD]! + i;
              const w = s.pWords.subarray(at * PENDING_STRIDE, (at + 1) * PENDING_STRIDE);
              if (s.pTime[at] !== live[i] || w.some((x) => x !== live[i]! % 1000)) wrong = i;
            }
            expect(wrong, `${name}: first live event moved wrongly`).toBe(-1);
            const n = Math.floor((fill * extra) / 100);
            for (let k = 0; k < n; k++) {
              const at = r[R_TAIL]!;
              s.pTime[at] = next;
              s.pWords.fill(next % 1000, at * PENDING_STRIDE, (at + 1) * PENDING_STRIDE);
              r[R_TAIL] = at + 1;
              live.push(next++);
            }
            if (unsorted && mark < 0 && live.length > 0) {
              mark = live.length - 1;
              r[R_UNSORTED] = r[R_HEAD]! + mark;
            }
            const applied = Math.floor((apply * live.length) / 100);
            r[R_HEAD] = r[R_HEAD]! + applied;
            live.splice(0, applied);
            if (mark >= 0) {
              mark -= applied;
              if (mark < 0) r[R_UNSORTED] = -1;
            }
            if (mark < 0) mark = -1;
          }
          // Capacity stays within a small multiple of what was asked for at once.
          const most = Math.max(...steps.map((x) => x.extra));
          expect(s.pTime.length, name).toBeLessThanOrEqual(Math.max(1024, 4 * (next + most)));
        }
      }),
      { numRuns: 100 },
    );
    // The generator reaches both ways of making room.
    expect(compacted).toBeGreaterThan(0);
    expect(grown).toBeGreaterThan(0);
  }, 60_000);
});

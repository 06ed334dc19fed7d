/**
 * The occupancy kernels alone, as the engine drives them on a bay-sensor feed but without its host side
 * (verification, de-duplication keys, late and health reports, window objects and emission): per batch (its words
 * placed where the kernel reads them before the run, see KernelRun.words), admit it in chunks of 8192 events
 * (admitEvents, every de-duplication reference the sentinel), sort the pending events and apply them up to the
 * watermark, noting the rows they touch, and close each window passed as an engine that reuses its window buffers
 * does (WindowRows: the rows touched in it or the window before computed into one column set, in the wasm kernel
 * for the wasm kernel); at the end, apply and close up to the newest event. Every closed window's columns are read
 * (checksum of arrivals and peaks over every row). Used by the occupancy suite's `kernel-*` cases; the `kernels`
 * probe uses noKeys.
 */
import type { City } from "../src/catalog/index.js";
import { type OccupancyOptions, resolveOptions } from "../src/occupancy/index.js";
import {
  APPLY_COLD,
  APPLY_DONE,
  R_ACCEPTED,
  R_H_COUNT,
  R_HEAD,
  R_LATE_COUNT,
  R_MAX_SEEN,
  R_TAIL,
  R_TO_CURSOR,
  R_WATERMARK,
  R_WIN_END,
  R_WIN_START,
} from "../src/occupancy/kernel.js";
import { EngineState } from "../src/occupancy/state.js";
import {
  JS_OCCUPANCY_KERNEL,
  type OccupancyKernel,
  WasmOccupancyKernel,
} from "../src/occupancy/wasm-kernel.js";
import { openWindow } from "../src/occupancy/window-open.js";
import { WindowRows } from "../src/occupancy/windows.js";
import type { KernelKind } from "../src/runtime/index.js";
import type { EventBatchView } from "../src/wire/index.js";

/** Events admitted per kernel call (the engine's chunk). */
const CHUNK = 8192;

/** One kernel-only run's state, built untimed. */
export interface KernelRun {
  readonly s: EngineState;
  readonly k: OccupancyKernel;
  /**
   * How windows close, as in an engine that reuses its window buffers: the rows touched are noted while applying
   * and each close computes those rows into one column set (in the wasm kernel's memory, by the wasm kernel, for
   * the wasm kernel; in the JavaScript heap for the JavaScript kernel).
   */
  readonly rows: WindowRows;
  /**
   * Each batch's words where the kernel reads them: for the wasm kernel a copy in its memory made untimed (as the
   * floor's events are, and as a batch read or decoded into the kernel's batchBuffer lies there), so stage() has
   * nothing to copy; for the JavaScript kernel the views' own words.
   */
  readonly words: readonly Uint32Array[];
  /** Windows closed so far. */
  windows: number;
  /** Sum of arrivals and peaks over every closed window's rows. */
  checksum: number;
}

/**
 * A fresh engine state and kernel for `city` to run `views` through, with its window rows and the batches' words
 * in place (see KernelRun). With the wasm kernel, `prefaultBytes` of its shared memory past those are touched too
 * (untimed), so the memory a run allocates there (the pending buffer and its growth) costs no page faults: a
 * running engine has it mapped.
 */
export function kernelRun(
  city: City,
  kind: KernelKind,
  views: readonly EventBatchView[],
  options: OccupancyOptions = {},
  prefaultBytes = 0,
): KernelRun {
  const wasm = kind === "wasm" ? new WasmOccupancyKernel() : null;
  const s = new EngineState(city, resolveOptions({ ...options, kernel: kind }), wasm?.memory);
  const k = (wasm ?? JS_OCCUPANCY_KERNEL).attach(s);
  noKeys(s);
  const rows = new WindowRows(s, wasm?.rows, wasm !== null);
  const words = views.map((v) => {
    const w = v.words();
    if (wasm === null) return w;
    const at = wasm.arena.alloc(w.byteLength, 64); // may grow the memory: its buffer is read after
    const placed = new Uint32Array(wasm.arena.u8().buffer, at, w.length);
    placed.set(w);
    return placed;
  });
  wasm?.arena.prefault(prefaultBytes);
  return { s, k, rows, words, windows: 0, checksum: 0 };
}

/**
 * Makes every event's de-duplication references (all 0: the sentinel entries) find no remembered key: the
 * sentinels' times are NaN, as the engine's DedupMemory keeps them (a state fresh from EngineState holds 0 there,
 * which is at or above a watermark of −∞, so every event would be a duplicate).
 */
export function noKeys(s: EngineState): void {
  s.dedupSeqTime[0] = Number.NaN;
  s.dedupTime[0] = Number.NaN;
  s.dedupRef.fill(0);
}

/**
 * Feeds every batch through the kernels and closes the windows up to the newest event.
 *
 * @throws Error when the kernels did not accept every event (the feed has no duplicates or late events: a run that
 *   drops any measured something else)
 */
export function runKernels(r: KernelRun, views: readonly EventBatchView[]): void {
  const { s, k } = r;
  const reg = s.reg;
  const before = reg[R_ACCEPTED]!;
  let events = 0;
  for (let i = 0; i < views.length; i++) {
    const v = views[i]!;
    events += v.length;
    const words = k.stage(r.words[i]!);
    for (let from = 0; from < v.length; from += CHUNK) {
      const end = Math.min(v.length, from + CHUNK);
      s.ensurePending(end - from);
      s.ensureLate(end - from);
      reg[R_LATE_COUNT] = 0;
      k.admitEvents(s, words, from, end, v.baseTimeMs);
      advance(r, reg[R_WATERMARK]!);
    }
  }
  advance(r, reg[R_MAX_SEEN]! + 1);
  if (reg[R_ACCEPTED]! - before !== events)
    throw new Error(`kernel run accepted ${reg[R_ACCEPTED]! - before} of ${events} events`);
}

/** Applies pending events below `limitMs`, closing every window that ends at or before it. */
function advance(r: KernelRun, limitMs: number): void {
  const { s, k } = r;
  const reg = s.reg;
  const w = s.windowMs;
  k.sortPending(s);
  for (;;) {
    let ws = reg[R_WIN_START]!;
    if (ws < 0) {
      const head = reg[R_HEAD]!;
      if (head >= reg[R_TAIL]! || s.pTime[head]! >= limitMs) return;
      ws = Math.floor(s.pTime[head]! / w) * w;
      openWindow(s, ws);
    }
    const we = reg[R_WIN_END]!;
    const limit = Math.min(we, limitMs);
    for (;;) {
      const head = reg[R_HEAD]!;
      const cursor = reg[R_TO_CURSOR]!;
      const status = k.applyEvents(s, limit);
      r.rows.noteApplied(head, cursor);
      reg[R_H_COUNT] = 0; // health reports are the host's
      if (status === APPLY_DONE) break;
      if (status === APPLY_COLD)
        throw new Error("kernel-only runs take bay-sensor feeds (a zone event came)");
    }
    if (we > limitMs) return;
    const slot = r.rows.inPlaceSlot();
    r.rows.close(0.5, 3_600_000, slot);
    const c = slot.columns;
    let sum = 0;
    for (let i = 0; i < c.length; i++) sum += c.arrivals[i]! + c.peakOccupied[i]!;
    r.checksum += sum;
    r.windows++;
    openWindow(s, we);
  }
}

/**
 * The occupancy kernels alone, as the engine drives them on a bay-sensor feed but without its host side
 * (verification, de-duplication keys, late and health reports, window objects and emission): per batch,
 * stage it, admit it (admitEvents, every de-duplication reference the sentinel), sort the pending events and
 * apply them up to the watermark, closing each window passed into one reused column set; at the end, apply
 * and close up to the newest event. Used by the occupancy suite's `kernel-*` cases and the `kernels` probe.
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
  R_WATERMARK,
  R_WIN_END,
  R_WIN_START,
} from "../src/occupancy/kernel.js";
import { EngineState } from "../src/occupancy/state.js";
import type { WindowColumns } from "../src/occupancy/types.js";
import {
  JS_OCCUPANCY_KERNEL,
  type OccupancyKernel,
  WasmOccupancyKernel,
} from "../src/occupancy/wasm-kernel.js";
import { allocColumns, closeWindow, openWindow } from "../src/occupancy/windows.js";
import type { KernelKind } from "../src/runtime/index.js";
import type { EventBatchView } from "../src/wire/index.js";

/** Events admitted per kernel call (the engine's chunk). */
const CHUNK = 8192;

/** One kernel-only run's state, built untimed. */
export interface KernelRun {
  readonly s: EngineState;
  readonly k: OccupancyKernel;
  readonly columns: WindowColumns;
  /** Windows closed so far. */
  windows: number;
  /** Sum of arrivals and peaks over every closed window's rows. */
  checksum: number;
}

/**
 * A fresh engine state and kernel for `city`, with its column set allocated and touched. With the wasm kernel,
 * `prefaultBytes` of its shared memory past the state are touched too (untimed), so the memory a run
 * allocates there (pending buffer, staged batches) costs no page faults: a running engine has it mapped.
 */
export function kernelRun(
  city: City,
  kind: KernelKind,
  options: OccupancyOptions = {},
  prefaultBytes = 0,
): KernelRun {
  const wasm = kind === "wasm" ? new WasmOccupancyKernel() : null;
  const s = new EngineState(city, resolveOptions({ ...options, kernel: kind }), wasm?.memory);
  wasm?.arena.prefault(prefaultBytes);
  const k = (wasm ?? JS_OCCUPANCY_KERNEL).attach(s);
  noKeys(s);
  const columns = allocColumns(s.rowCount);
  columns.arrivals.fill(0);
  return { s, k, columns, windows: 0, checksum: 0 };
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
  for (const v of views) {
    events += v.length;
    const words = k.stage(v.words());
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
      const status = k.applyEvents(s, limit);
      reg[R_H_COUNT] = 0; // health reports are the host's
      if (status === APPLY_DONE) break;
      if (status === APPLY_COLD)
        throw new Error("kernel-only runs take bay-sensor feeds (a zone event came)");
    }
    if (we > limitMs) return;
    closeWindow(s, 0.5, 3_600_000, r.columns);
    const c = r.columns;
    let sum = 0;
    for (let i = 0; i < c.length; i++) sum += c.arrivals[i]! + c.peakOccupied[i]!;
    r.checksum += sum;
    r.windows++;
    openWindow(s, we);
  }
}

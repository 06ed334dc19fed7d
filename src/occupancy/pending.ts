/**
 * Keeps the pending buffer in the engine's total order of events:
 * (time, target, kind|vehicle<<8|flags<<16, seq, value, device), all compared as unsigned numbers.
 * Identical events compare equal and end up next to each other, where the bay rules make the second one a
 * no-op, so the order is total in effect.
 *
 * Real feeds are nearly in order, so sorting starts with an insertion sort from the first event out of
 * order (O(n + displacement)); when that does too much work it falls back to a bottom-up merge sort of the
 * remaining run over an index array, merged with the sorted prefix. No per-event objects either way.
 */
import { PENDING_STRIDE, R_HEAD, R_TAIL, R_UNSORTED } from "./kernel.js";
import type { EngineState } from "./state.js";

/** Negative when pending event a sorts before b, 0 when equal, positive after. */
export function comparePending(pTime: Float64Array, pWords: Uint32Array, a: number, b: number): number {
  const ta = pTime[a]!;
  const tb = pTime[b]!;
  if (ta !== tb) return ta < tb ? -1 : 1;
  const pa = a * PENDING_STRIDE;
  const pb = b * PENDING_STRIDE;
  let x = pWords[pa]!;
  let y = pWords[pb]!;
  if (x !== y) return x < y ? -1 : 1;
  x = pWords[pa + 3]!;
  y = pWords[pb + 3]!;
  if (x !== y) return x < y ? -1 : 1;
  x = pWords[pa + 1]!;
  y = pWords[pb + 1]!;
  if (x !== y) return x < y ? -1 : 1;
  x = pWords[pa + 2]!;
  y = pWords[pb + 2]!;
  if (x !== y) return x < y ? -1 : 1;
  x = pWords[pa + 4]!;
  y = pWords[pb + 4]!;
  return x === y ? 0 : x < y ? -1 : 1;
}

/** Sorts the pending buffer if admission marked it out of order. */
export function sortPending(s: EngineState): void {
  const reg = s.reg;
  const from = reg[R_UNSORTED]!;
  if (from < 0) return;
  const head = reg[R_HEAD]!;
  const tail = reg[R_TAIL]!;
  reg[R_UNSORTED] = -1;
  const stop = insertionSort(s, head, Math.max(from, head + 1), tail);
  if (stop < tail) mergeRun(s, head, stop, tail);
}

/**
 * Moves insertionSort may make, beyond INSERTION_MOVES_PER_EVENT per event inserted so far, before it hands
 * the rest to the merge sort. Why a budget that grows with progress (it used to be fixed up front at 8 moves
 * per event of the whole run): on traffic shuffled within the lateness each event moves thousands of places,
 * and the up-front budget let the insertion sort burn about a third of the sorting time before giving up;
 * this one gives up after a few events, yet still absorbs a few far-displaced events in in-order traffic.
 * The result is the same sorted buffer whichever path sorts which part.
 */
const INSERTION_MOVES_SLACK = 8192;
/** See INSERTION_MOVES_SLACK. */
const INSERTION_MOVES_PER_EVENT = 8;

/**
 * Inserts events [from, tail) one by one into the sorted prefix [head, i). Stops when more than
 * INSERTION_MOVES_PER_EVENT × (i − from) + INSERTION_MOVES_SLACK events were moved.
 *
 * @returns the first event not yet inserted (tail when done).
 */
function insertionSort(s: EngineState, head: number, from: number, tail: number): number {
  const pTime = s.pTime;
  const pWords = s.pWords;
  let moved = 0;
  for (let i = from; i < tail; i++) {
    if (comparePending(pTime, pWords, i - 1, i) <= 0) continue;
    if (moved > INSERTION_MOVES_PER_EVENT * (i - from) + INSERTION_MOVES_SLACK) return i;
    const t = pTime[i]!;
    const q = i * PENDING_STRIDE;
    const w0 = pWords[q]!;
    const w1 = pWords[q + 1]!;
    const w2 = pWords[q + 2]!;
    const w3 = pWords[q + 3]!;
    const w4 = pWords[q + 4]!;
    let j = i;
    while (j > head && keyBefore(pTime, pWords, j - 1, t, w0, w3, w1, w2, w4)) {
      pTime[j] = pTime[j - 1]!;
      const to = j * PENDING_STRIDE;
      for (let w = 0; w < PENDING_STRIDE; w++) pWords[to + w] = pWords[to - PENDING_STRIDE + w]!;
      j--;
      moved++;
    }
    pTime[j] = t;
    const r = j * PENDING_STRIDE;
    pWords[r] = w0;
    pWords[r + 1] = w1;
    pWords[r + 2] = w2;
    pWords[r + 3] = w3;
    pWords[r + 4] = w4;
  }
  return tail;
}

/** Whether the key (t, target, kvf, seq, value, device) sorts before pending event a (strictly). */
export function keyBefore(
  pTime: Float64Array,
  pWords: Uint32Array,
  a: number,
  t: number,
  target: number,
  kvf: number,
  seq: number,
  value: number,
  device: number,
): boolean {
  const ta = pTime[a]!;
  if (t !== ta) return t < ta;
  const p = a * PENDING_STRIDE;
  if (target !== pWords[p]!) return target < pWords[p]!;
  if (kvf !== pWords[p + 3]!) return kvf < pWords[p + 3]!;
  if (seq !== pWords[p + 1]!) return seq < pWords[p + 1]!;
  if (value !== pWords[p + 2]!) return value < pWords[p + 2]!;
  return device < pWords[p + 4]!;
}

/** Sorts [mid, tail) and merges it with the sorted prefix [head, mid). */
function mergeRun(s: EngineState, head: number, mid: number, tail: number): void {
  s.ensureScratch(tail - head);
  const pTime = s.pTime;
  const pWords = s.pWords;
  const n = tail - mid;
  let a = s.sIdx;
  let b = s.sIdx2;
  for (let k = 0; k < n; k++) a[k] = mid + k;
  // Bottom-up merge sort of the run's indices (stable).
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const m = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = m;
      let k = lo;
      while (i < m && j < hi) b[k++] = comparePending(pTime, pWords, a[j]!, a[i]!) < 0 ? a[j++]! : a[i++]!;
      while (i < m) b[k++] = a[i++]!;
      while (j < hi) b[k++] = a[j++]!;
    }
    const x = a;
    a = b;
    b = x;
  }
  // Only prefix events after the run's first one take part in the merge.
  let lo = head;
  let hi = mid;
  const first = a[0]!;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (comparePending(pTime, pWords, m, first) <= 0) lo = m + 1;
    else hi = m;
  }
  const start = lo;
  const total = tail - start;
  // Merge prefix [start, mid) with the sorted run a[0..n) into the scratch columns.
  const sTime = s.sTime;
  const sWords = s.sWords;
  let i = start;
  let j = 0;
  for (let k = 0; k < total; k++) {
    let src: number;
    if (j >= n || (i < mid && comparePending(pTime, pWords, i, a[j]!) <= 0)) src = i++;
    else src = a[j++]!;
    sTime[k] = pTime[src]!;
    const from = src * PENDING_STRIDE;
    const to = k * PENDING_STRIDE;
    for (let w = 0; w < PENDING_STRIDE; w++) sWords[to + w] = pWords[from + w]!;
  }
  pTime.set(sTime.subarray(0, total), start);
  pWords.set(sWords.subarray(0, total * PENDING_STRIDE), start * PENDING_STRIDE);
}

import {
  B_LAST,
  B_SINCE,
  B_WORD,
  BAY_WORDS,
  BF_HAS_MSG,
  BF_OFFLINE,
  BF_START_KNOWN,
  BS_FLAGS,
  BS_LOW,
  R_DEADLINE_LB,
  R_TIME_BASE,
  R_TO_COUNT,
  R_TO_CURSOR,
  R_WIN_END,
  R_WIN_START,
  TIME_MIN,
  TIME_SPAN_MS,
} from "./kernel.js";
import type { EngineState } from "./state.js";

/** Opens the window starting at `startMs` (O(1) but for the timeout list, which is built when needed, and a
 * rebase of bay times every 12 days). */
export function openWindow(s: EngineState, startMs: number): void {
  const endMs = startMs + s.windowMs;
  s.reg[R_WIN_START] = startMs;
  s.reg[R_WIN_END] = endMs;
  // Rows are already reset: zero before the first window, then by closeRows when the previous one closed.
  rebaseTimes(s, startMs, endMs);
  buildTimeouts(s, startMs, endMs);
}

/** Rebuilds the open window's timeout list from bay state (after a restore: the list is derived state). */
export function rebuildTimeouts(s: EngineState): void {
  s.reg[R_DEADLINE_LB] = Number.NEGATIVE_INFINITY;
  buildTimeouts(s, s.reg[R_WIN_START]!, s.reg[R_WIN_END]!);
}

/**
 * Lists the bays whose deadline (last message + sensorTimeoutMs) falls before the window's end, sorted by
 * (deadline, bay). Skipped when a lower bound of all deadlines shows none can: events inside a window move
 * deadlines to at least its start + timeout ≥ its end, so the bound stays valid without a scan.
 */
function buildTimeouts(s: EngineState, startMs: number, endMs: number): void {
  const reg = s.reg;
  reg[R_TO_COUNT] = 0;
  reg[R_TO_CURSOR] = 0;
  const own = startMs + s.timeoutMs;
  if (reg[R_DEADLINE_LB]! >= endMs) {
    if (own < reg[R_DEADLINE_LB]!) reg[R_DEADLINE_LB] = own;
    return;
  }
  let n = scanDeadlines(s, endMs);
  if (n > s.toBay.length) {
    s.ensureTimeouts(n);
    n = scanDeadlines(s, endMs);
  }
  if (n > 1) {
    const order = Array.from({ length: n }, (_, i) => i);
    const bays = s.toBay.slice(0, n);
    const times = s.toTime.slice(0, n);
    order.sort((a, b) => times[a]! - times[b]! || bays[a]! - bays[b]!);
    for (let i = 0; i < n; i++) {
      s.toBay[i] = bays[order[i]!]!;
      s.toTime[i] = times[order[i]!]!;
    }
  }
  reg[R_TO_COUNT] = n;
  reg[R_DEADLINE_LB] = Math.min(reg[R_DEADLINE_LB]!, own);
}

/**
 * Finds the bays whose deadline (last message + sensorTimeoutMs) is before `endMs`, in bay order, writing up
 * to the timeout list's capacity; also the lowest deadline at or after `endMs` (into reg[R_DEADLINE_LB]).
 *
 * @returns how many bays were found (more than the capacity means: grow the list and scan again).
 */
export function scanDeadlines(s: EngineState, endMs: number): number {
  const bays = s.bays;
  const base = s.reg[R_TIME_BASE]!;
  const toBay = s.toBay;
  const toTime = s.toTime;
  const cap = toBay.length;
  const timeout = s.timeoutMs;
  const bayCount = s.bayCount;
  let n = 0;
  let lowest = Number.POSITIVE_INFINITY;
  for (let b = 0; b < bayCount; b++) {
    const fl = (bays[b * BAY_WORDS + B_WORD]! & BS_LOW) >>> BS_FLAGS;
    if ((fl & BF_HAS_MSG) === 0 || (fl & BF_OFFLINE) !== 0) continue;
    const deadline = base + bays[b * BAY_WORDS + B_LAST]! + timeout;
    if (deadline < endMs) {
      if (n < cap) {
        toBay[n] = b;
        toTime[n] = deadline;
      }
      n++;
    } else if (deadline < lowest) lowest = deadline;
  }
  s.reg[R_DEADLINE_LB] = lowest;
  return n;
}

/**
 * Keeps bay times within 32 bits: called when a window [startMs, endMs) opens, it moves the time base to
 * startMs once endMs is more than TIME_SPAN_MS past it (and on the first window), shifting every bay's times.
 *
 * Why this is exact: every time written in a window is below its end, so below base + TIME_SPAN_MS. Every
 * online sensor's last message is at least sensorTimeoutMs (≤ 7 days) before the open window (else its
 * timeout would have fired), so it stays far above TIME_MIN. Only two kinds of time can fall below TIME_MIN
 * and are clamped there: the last message of an offline sensor (never read until a new message replaces it)
 * and the start of a stay that began over 24 days before: such a stay loses its known start, so its dwell is
 * left out of meanDwellMs like that of any stay whose start is unknown. O(bays), once every 12 days at most.
 */
export function rebaseTimes(s: EngineState, startMs: number, endMs: number): void {
  const reg = s.reg;
  const base = reg[R_TIME_BASE]!;
  if (base >= 0 && endMs - base <= TIME_SPAN_MS) return;
  reg[R_TIME_BASE] = startMs;
  if (base < 0) return; // no bay time was written before the first window
  const shift = startMs - base;
  const bays = s.bays;
  for (let b = 0; b < s.bayCount; b++) {
    const r = b * BAY_WORDS;
    const since = bays[r + B_SINCE]! - shift;
    const last = bays[r + B_LAST]! - shift;
    if (since < TIME_MIN) {
      bays[r + B_SINCE] = TIME_MIN;
      bays[r + B_WORD] = bays[r + B_WORD]! & ~(BF_START_KNOWN << BS_FLAGS);
    } else bays[r + B_SINCE] = since;
    bays[r + B_LAST] = Math.max(last, TIME_MIN);
  }
}

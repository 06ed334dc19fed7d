/**
 * The invariants of engine state, checked on every restored checkpoint. The checksum only proves a file was
 * not damaged by accident; a checkpoint written (or forged) with absurd values and a valid checksum must be
 * refused too, before it can emit windows without end or occupancy outside [0, 1]. Each rule here holds for
 * every state the engine itself can reach, at every emission.
 */
import { DETECTION } from "../catalog/city.js";
import { ParkirWireError } from "../errors/index.js";
import {
  AF_KNOWN_MS,
  AF_OCC_MS,
  AU_KNOWN,
  AU_OCC,
  AU_PEAK,
  B_LAST,
  B_SINCE,
  B_WORD,
  BAY_WORDS,
  BF_HAS_MSG,
  BS_FLAGS,
  BS_ROW,
  BS_STATE,
  OCCUPIED,
  R_ACCEPTED,
  R_APPLIED,
  R_DECOMMISSIONED,
  R_DUPLICATE,
  R_EPOCH,
  R_FORCED,
  R_HEAD,
  R_HEALTH_DROPPED,
  R_LATE,
  R_LOST,
  R_MAX_SEEN,
  R_RECOVERED,
  R_SESSIONS_EXPIRED,
  R_SILENT,
  R_TAIL,
  R_TIME_BASE,
  R_UNKNOWN,
  R_WATERMARK,
  R_WIN_START,
  R_WINDOWS,
  TIME_SPAN_MS,
  UNKNOWN,
} from "./kernel.js";
import type { EngineState } from "./state.js";

/** Latest time any register may hold: the end of the ECMAScript Date range. */
const TIME_MS_MAX = 8.64e15;
/** Counters are exact integers. */
const COUNT_MAX = Number.MAX_SAFE_INTEGER;

const COUNTERS: readonly (readonly [number, string])[] = [
  [R_ACCEPTED, "accepted"],
  [R_DUPLICATE, "duplicate"],
  [R_LATE, "late"],
  [R_UNKNOWN, "unknown"],
  [R_APPLIED, "applied"],
  [R_FORCED, "forced watermark"],
  [R_WINDOWS, "windows closed"],
  [R_SILENT, "silent"],
  [R_LOST, "lost"],
  [R_DECOMMISSIONED, "decommissioned"],
  [R_RECOVERED, "recovered"],
  [R_SESSIONS_EXPIRED, "sessions expired"],
  [R_HEALTH_DROPPED, "health dropped"],
  [R_EPOCH, "window number"],
];

/**
 * Checks restored state against the engine's invariants: registers in range and consistent with each other,
 * row accumulators within their capacity and window, sensed rows agreeing with their bays (but in a shard,
 * which keeps only its own bays), pending events no newer than the newest event.
 *
 * @throws ParkirWireError("bad-field") naming the first broken rule.
 */
export function checkRestoredState(
  s: EngineState,
  limits: { readonly latenessMs: number; readonly maxTimeJumpMs: number },
  shard: boolean,
): void {
  const { latenessMs, maxTimeJumpMs } = limits;
  const bad = (what: string): never => {
    throw new ParkirWireError("bad-field", 0, `checkpoint: ${what}`);
  };
  const reg = s.reg;
  const w = s.windowMs;
  const isTime = (t: number) => Number.isInteger(t) && t >= -latenessMs && t <= TIME_MS_MAX;
  for (const [r, name] of COUNTERS) {
    const v = reg[r]!;
    if (!(Number.isInteger(v) && v >= 0 && v <= COUNT_MAX)) bad(`counter ${name} is ${v}`);
  }
  const maxSeen = reg[R_MAX_SEEN]!;
  const wm = reg[R_WATERMARK]!;
  if (maxSeen !== Number.NEGATIVE_INFINITY && !(isTime(maxSeen) && maxSeen >= 0))
    bad(`newest event time ${maxSeen} is not a time`);
  if (wm !== Number.NEGATIVE_INFINITY && !isTime(wm)) bad(`watermark ${wm} is not a time`);
  if (Number.isFinite(maxSeen) && !(wm >= maxSeen - latenessMs))
    bad(`watermark ${wm} trails the newest event ${maxSeen} by more than the allowed lateness`);
  const pending = reg[R_TAIL]! - reg[R_HEAD]!;
  // A shard that admits its own zones' events counts only those, but keeps every payment pending.
  if (!shard && reg[R_APPLIED]! + pending > reg[R_ACCEPTED]!)
    bad("more events applied or pending than accepted");
  const ws = reg[R_WIN_START]!;
  const base = reg[R_TIME_BASE]!;
  if (ws >= 0) {
    if (!(ws <= Math.max(wm, maxSeen))) bad(`open window ${ws} lies after the watermark and every event`);
    if (!(Number.isInteger(base) && base >= 0 && base <= ws && ws + w - base <= TIME_SPAN_MS))
      bad(`time base ${base} does not cover the open window`);
  } else if (base !== -1) bad(`time base ${base} without an open window`);
  if (ws >= 0 && Math.max(wm, maxSeen) - ws > maxTimeJumpMs + latenessMs + 2 * w) {
    // The engine closes windows as the watermark passes them; only a checkpoint taken inside an emission of
    // a far jump could lag this much, and a forged one would make the next call close windows without end.
    bad(`open window ${ws} lags the watermark ${wm} by more than maxTimeJumpMs`);
  }
  // Pending events wait for the watermark: none lies before the open window (or, before the first window,
  // the watermark), and none after the newest event.
  const lowest = ws >= 0 ? ws : wm;
  for (let i = reg[R_HEAD]!; i < reg[R_TAIL]!; i++) {
    const t = s.pTime[i]!;
    if (!(t <= maxSeen && t >= lowest))
      bad(`pending event ${i - reg[R_HEAD]!} at ${t} lies outside [${lowest}, ${maxSeen}]`);
  }
  // Row accumulators: present ≤ known ≤ capacity, and their integrals within the window.
  const occ = new Uint32Array(s.rowCount);
  const known = new Uint32Array(s.rowCount);
  for (let b = 0; b < s.bayCount; b++) {
    const word = s.bays[b * BAY_WORDS + B_WORD]!;
    // Bay times are ms since the time base: no message comes after the newest event, and no state begins
    // after the watermark or the newest event (a sensor time-out starts the unknown state after the last
    // message, once the watermark has passed it).
    const since = s.bays[b * BAY_WORDS + B_SINCE]!;
    const last = s.bays[b * BAY_WORDS + B_LAST]!;
    if (
      ((word >>> BS_FLAGS) & BF_HAS_MSG) !== 0 &&
      base >= 0 &&
      !(last + base <= maxSeen && since + base <= Math.max(wm, maxSeen))
    )
      bad(`bay ${b}: its state begins at ${since}, its last message at ${last} (base ${base})`);
    const state = word & BS_STATE;
    if (state === UNKNOWN) continue;
    const row = word >>> BS_ROW;
    known[row] = known[row]! + 1;
    if (state === OCCUPIED) occ[row] = occ[row]! + 1;
  }
  for (let r = 0; r < s.rowCount; r++) {
    const cap = s.rowCapacity[r]!;
    const o = s.accU32[r * 16 + AU_OCC]!;
    const k = s.accU32[r * 16 + AU_KNOWN]!;
    const peak = s.accU32[r * 16 + AU_PEAK]!;
    const occMs = s.accF64[r * 8 + AF_OCC_MS]!;
    const knownMs = s.accF64[r * 8 + AF_KNOWN_MS]!;
    if (!(o <= k && k <= cap && peak <= cap))
      bad(`row ${r}: ${o} present, ${k} known, peak ${peak} of ${cap}`);
    if (
      !(
        Number.isInteger(occMs) &&
        Number.isInteger(knownMs) &&
        occMs >= 0 &&
        occMs <= knownMs &&
        knownMs <= cap * w
      )
    )
      bad(`row ${r}: occupied ${occMs} and known ${knownMs} bay-ms do not fit the window`);
    // A shard's rows of other shards' bays are not its own to apply (see occupancy/sharded/engine.ts).
    if (!shard && s.rowDetection[r] === DETECTION.singleSpaceDetection && (o !== occ[r] || k !== known[r]))
      bad(`row ${r}: ${o} present and ${k} known, its bays say ${occ[r]} and ${known[r]}`);
  }
  const cold = s.cold;
  if (cold !== null) {
    for (let r = 0; r < s.rowCount; r++) {
      const cap = s.rowCapacity[r]!;
      if (!(cold.qOcc[r]! <= cold.qKnown[r]! && cold.qKnown[r]! <= cap))
        bad(`row ${r}: paid sessions exceed the capacity`);
      const qo = cold.qOccMs[r]!;
      const qk = cold.qKnownMs[r]!;
      if (!(qo >= 0 && qo <= qk && qk <= cap * w)) bad(`row ${r}: paid bay-ms do not fit the window`);
      for (const v of [
        cold.balance[r]!,
        cold.driftSinceReset[r]!,
        cold.driftWindow[r]!,
        cold.countTime[r]!,
      ]) {
        if (!Number.isFinite(v)) bad(`row ${r}: a count is not finite`);
      }
    }
  }
}

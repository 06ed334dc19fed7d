/**
 * The hot loops of the occupancy engine: plain functions over the typed arrays of EngineState, with no
 * closures, no allocation, no strings and no floating-point sums that depend on order (times are integer
 * ms held in float64; every sum of integers below 2^53 is exact). They are written to be ported line by
 * line to AssemblyScript and must give bit-identical results there.
 *
 * - `admitEvents`: de-duplication (keys resolved by the host, dedup.ts), lateness and the watermark, in
 *   delivery order; appends accepted events to the pending buffer. Stops at payment events (host-side).
 * - `applyEvents`: applies pending events whose time is below a limit, in the total order, to bay state and
 *   the open window's accumulators, firing sensor timeouts in between. Stops at zone events (gates,
 *   attendant counts, payments: host-side, see zone-events.ts) and when the health log is full.
 *
 * Turning accumulators into window rows is rows.ts; the sensor deadlines and bay-time origin of an opening
 * window are windows.ts.
 *
 * This file is the kernel's ABI: the register file, the per-bay and per-device columns and the 64-byte row
 * record are defined here as module-local constants (V8 folds those; imported bindings cost a load per use).
 *
 * Per-bay and per-device state is split by the phase that touches it, so each phase loads as few cache lines
 * of scattered state as it can: admission reads and writes only the de-duplication time column (one f64 per
 * remembered key, see dedup.ts), application only the bay records (12 bytes per bay: two 32-bit times and a word with
 * the state, flags and the bay's window row, so one scattered load finds all of it) and the row accumulators.
 * Bay times are ms relative to reg[R_TIME_BASE] (see rebaseTimes) so they fit 32 bits.
 *
 * Window accumulators use the "remaining time" form: at window open occMs = occupied × windowMs, and a
 * change of the occupied count by ±1 at time t adds ±(windowEnd − t). This equals the piecewise integral
 * Σ count × dt exactly, costs O(1) per event and needs no per-bay work at window close.
 */

import type { EngineState } from "./state.js";

// Register file indices (Float64Array `reg`). Counters live here too so a checkpoint is one copy.
/** Highest accepted event time, −Infinity before the first. */
export const R_MAX_SEEN = 0;
/** Watermark: events with time < watermark are late. −Infinity before the first event. */
export const R_WATERMARK = 1;
/** Start of the open window, −1 before the first applied event. */
export const R_WIN_START = 2;
/** End of the open window (start + windowMs). */
export const R_WIN_END = 3;
/** First pending event (index into the pending columns). */
export const R_HEAD = 4;
/** One past the last pending event. */
export const R_TAIL = 5;
/** Index of the first pending event that is out of order with its predecessor, or −1. */
export const R_UNSORTED = 6;
/** Entries in the open window's timeout list. */
export const R_TO_COUNT = 7;
/** Next timeout list entry to fire. */
export const R_TO_CURSOR = 8;
/** Entries in the health log (drained by the engine after each kernel call). */
export const R_H_COUNT = 9;
/** Entries in the late log (drained per chunk). */
export const R_LATE_COUNT = 10;
/** Counter: events accepted. */
export const R_ACCEPTED = 11;
/** Counter: duplicates dropped. */
export const R_DUPLICATE = 12;
/** Counter: late events dropped. */
export const R_LATE = 13;
/** Counter: events for a place the catalogue has no capacity for. */
export const R_UNKNOWN = 14;
/** Counter: events applied to state. */
export const R_APPLIED = 15;
/** Lower bound of every sensor deadline (last message + timeout) not yet in a timeout list. */
export const R_DEADLINE_LB = 16;
/** Counter: times the pending buffer overflowed and the watermark was forced forward. */
export const R_FORCED = 17;
/** Origin of bay times (bay records hold ms since it), −1 before the first window; see rebaseTimes. */
export const R_TIME_BASE = 18;
/** Counter: windows closed. */
export const R_WINDOWS = 19;
/** Counter: sensors that went silent (timeout). */
export const R_SILENT = 20;
/** Counter: comms_lost applied to an online sensor. */
export const R_LOST = 21;
/** Counter: sensors decommissioned. */
export const R_DECOMMISSIONED = 22;
/** Counter: sensors that came back. */
export const R_RECOVERED = 23;
/** Counter: paid sessions closed because they were open too long or too many were open. */
export const R_SESSIONS_EXPIRED = 24;
/** Counter: health changes not described on health$ (beyond healthDetailsMax). */
export const R_HEALTH_DROPPED = 25;
/** Windows closed so far, the number of the open window (0 for the first). Every row's sums belong to it
 * (closing resets rows for the next window); zone-event rows whose epoch differs hold an older window's sums. */
export const R_EPOCH = 26;
/** Number of registers. */
export const REG_COUNT = 32;

/** Bay states. */
export const UNKNOWN = 0;
export const VACANT = 1;
export const OCCUPIED = 2;

/** Bay flag bits. */
export const BF_HAS_MSG = 1;
export const BF_START_KNOWN = 2;
export const BF_OFFLINE = 4;
export const BF_DECOMMISSIONED = 8;
/** Every defined flag bit. */
export const BF_ALL = 15;

/** Health log codes. */
export const H_SILENT = 0;
export const H_LOST = 1;
export const H_DECOMMISSIONED = 2;
export const H_RECOVERED = 3;

// Bay records (`bays`, BAY_WORDS i32 per bay): B_SINCE and B_LAST, ms since reg[R_TIME_BASE] (the time the
// current state began, the stay start when occupied; the time of the last message, whose sensor deadline is
// last + sensorTimeoutMs), and B_WORD = state | flags << BS_FLAGS | window row << BS_ROW.
/** i32 words per bay record. */
export const BAY_WORDS = 3;
/** Word of `since` in a bay record (bay b: 3 b + B_SINCE). */
export const B_SINCE = 0;
/** Word of `last`. */
export const B_LAST = 1;
/** Word of state, flags and row. */
export const B_WORD = 2;
/** Bits of a state word that hold the state. */
export const BS_STATE = 3;
/** Shift of the flags in a state word. */
export const BS_FLAGS = 2;
/** Bits of a state word that hold state and flags (what checkpoints save per bay). */
export const BS_LOW = 0xff;
/** Shift of the window row in a state word (rows < 2^23: catalogues have at most 1,000,000 zones). */
export const BS_ROW = 8;
/** Span of event time after which bay times are rebased (2^30 ms, 12.4 days; see rebaseTimes). */
export const TIME_SPAN_MS = 2 ** 30;
/** Lowest bay time (relative to the base) a column can hold. */
export const TIME_MIN = -(2 ** 31);

/** Events per admission chunk: the de-duplication refs column holds two entry numbers per event of a chunk,
 * at 2 (i mod DEDUP_CHUNK) (sequence key) and 2 (i mod DEDUP_CHUNK) + 1 (id key); chunks start at multiples. */
export const DEDUP_CHUNK = 8192;

// Row accumulator layout (64 bytes): f64 indices (row r: 8 r + i) and u32 indices (row r: 16 r + i).
/** Bytes per row accumulator record. */
export const ACC_BYTES = 64;
/** f64: occupied-bay-ms of the open window ("remaining time" form, see kernel.ts). */
export const AF_OCC_MS = 0;
/** f64: known-bay-ms of the open window. */
export const AF_KNOWN_MS = 1;
/** f64: sum of dwell of stays that ended in the window with a known start. */
export const AF_DWELL_SUM = 2;
/** u32: vehicles present now. */
export const AU_OCC = 6;
/** u32: bays (or capacity, for counted rows) known now. */
export const AU_KNOWN = 7;
/** u32: most present at once in the window. */
export const AU_PEAK = 8;
/** u32: arrivals in the window. */
export const AU_ARRIVALS = 9;
/** u32: departures in the window. */
export const AU_DEPARTURES = 10;
/** u32: stays counted in AF_DWELL_SUM. */
export const AU_DWELL_COUNT = 11;
/** u32: window number (R_EPOCH) the row's window fields were last reset for; in a checkpoint always the open
 * window's (WindowRows.stampEpochs: rows untouched since are already in the open window's form). */
export const AU_EPOCH = 12;
/** u32: ms from the window start to the last instant the occupied count changed (peakOccupied, see notePeak). */
export const AU_LAST = 13;

/** Words per pending event: target, seq, value, kind|vehicle<<8|flags<<16, device. */
export const PENDING_STRIDE = 5;
/** Entries of the health log between drains. */
export const HEALTH_LOG_SIZE = 4096;

// Wire layout (src/wire/layout.ts) as literals, so V8 folds them; a test checks they match.
/** u32 words per event in the batch's struct vector. */
export const WORDS_PER_EVENT = 6;
/** Word index of the time offset (EV_TIME_MS / 4). */
export const W_TIME = 0;
/** Word index of the target (EV_TARGET / 4). */
export const W_TARGET = 1;
/** Word index of seq (EV_SEQ / 4). */
export const W_SEQ = 2;
/** Word index of value (EV_VALUE / 4). */
export const W_VALUE = 3;
/** Word index of kind | vehicle << 8 | flags << 16 (EV_KIND / 4). */
export const W_KVF = 4;
/** Word index of the device (EV_DEVICE / 4). */
export const W_DEVICE = 5;
/** FLAG_SEQ_IS_ID_HASH. */
export const FLAG_ID_HASH = 1;
/** FLAG_TARGET_ZONE. */
export const FLAG_ZONE = 2;
/** NO_DEVICE. */
export const NO_DEV = 0xffffffff;
/** VEHICLE_CODES. */
export const CLASSES = 5;

// Kind codes (kinds.ts KIND).
const K_PARK_START = 0;
const K_PARK_END = 1;
const K_REPORT = 2;
const K_COMMS_LOST = 3;
const K_DECOMMISSIONED = 5;
const K_ENTER = 6;
const K_PAYMENT_START = 9;

// The transition table of the fast path: what an online sensor's park_start, park_end or scheduled_report does
// to its bay, by fast-path code (0 park_start, 1 park_end, 2 report of a vacant bay, 3 report of an occupied one),
// bay state and stay-start-known flag. Entry bits (TR_*):
/** Entry bits 0–1: the next state. */
export const TR_NEXT = 0;
/** Entry bit 2: the stay-start-known flag after the event. */
export const TR_START_KNOWN = 2;
/** Entry bit 3: the state changed (the bay's since becomes the event time). */
export const TR_CHANGED = 3;
/** Entry bit 4: an arrival. */
export const TR_ARRIVAL = 4;
/** Entry bit 5: a departure. */
export const TR_DEPARTURE = 5;
/** Entry bit 6: a stay with a known start ended (its dwell is counted). */
export const TR_DWELL = 6;
/** Entry bit 7: the bay became known. */
export const TR_KNOWN = 7;
/** Entry bits 8–9: the change of the row's occupied count, plus 1. */
export const TR_OCC = 8;

/**
 * The rules of applyEvents for an online sensor's event (fast-path `code`) on a bay in `state` with the
 * stay-start-known flag `startKnown` (0 or 1), as a transition table entry (TR_* bits). applyEvents states the
 * same rules twice: with branches in its general path and with 0/1 masks in its fast path (in V8 the masks cost
 * less than a load from this table); TRANSITIONS tabulates this function for the wasm kernel's fast run, which
 * holds it as the five words of transitionWords. The tests check all three against each other.
 */
export function sensorTransition(code: number, state: number, startKnown: number): number {
  let next = state;
  let known = startKnown;
  let arrival = 0;
  let departure = 0;
  let dwell = 0;
  if (code === 0) {
    if (state !== OCCUPIED) {
      next = OCCUPIED;
      known = 1;
      arrival = 1;
    }
  } else if (code === 1) {
    if (state !== VACANT) {
      next = VACANT;
      departure = 1;
      dwell = state === OCCUPIED && startKnown === 1 ? 1 : 0;
    }
  } else {
    const v = code === 3 ? OCCUPIED : VACANT;
    if (state !== v) {
      next = v;
      known = 0;
    }
  }
  const changed = next !== state ? 1 : 0;
  const dOcc = (next === OCCUPIED ? 1 : 0) - (state === OCCUPIED ? 1 : 0);
  const becameKnown = changed === 1 && state === UNKNOWN ? 1 : 0;
  return (
    (next << TR_NEXT) |
    (known << TR_START_KNOWN) |
    (changed << TR_CHANGED) |
    (arrival << TR_ARRIVAL) |
    (departure << TR_DEPARTURE) |
    (dwell << TR_DWELL) |
    (becameKnown << TR_KNOWN) |
    ((dOcc + 1) << TR_OCC)
  );
}

/** Index of a transition table entry: fast-path code | state << 2 | stay-start-known << 4 (32 entries; state 3,
 * which no bay holds, maps like UNKNOWN). */
export function transitionIndex(code: number, state: number, startKnown: number): number {
  return code | (state << 2) | (startKnown << 4);
}

/** The transition table (sensorTransition of every index). */
export const TRANSITIONS: Uint16Array = Uint16Array.from({ length: 32 }, (_, i) =>
  sensorTransition(i & 3, ((i >>> 2) & 3) === 3 ? UNKNOWN : (i >>> 2) & 3, i >>> 4),
);

/**
 * The transition table as the wasm kernel holds it (TR_* constants of wasm/occupancy.ts): five 64-bit words, the
 * k-th holding entry bits 2k and 2k + 1 of entry i at bits 2i and 2i + 1.
 */
export function transitionWords(table: Uint16Array = TRANSITIONS): bigint[] {
  const words: bigint[] = [];
  for (let k = 0; k < 5; k++) {
    let w = 0n;
    for (let i = 0; i < 32; i++) w |= BigInt((table[i]! >>> (2 * k)) & 3) << BigInt(2 * i);
    words.push(w);
  }
  return words;
}

/** State after an online sensor's event, by fast-path code (2 bits each): park_start → occupied, park_end →
 * vacant, report → vacant or occupied as reported. */
const NEXT_STATE = (OCCUPIED << 0) | (VACANT << 2) | (VACANT << 4) | (OCCUPIED << 6);

/** 1 when the int32 `x` is not 0, else 0, without a branch. */
function nonZero(x: number): number {
  return (x | -x) >>> 31;
}

/** applyEvents: every pending event below the limit and every timeout below it was applied. */
export const APPLY_DONE = 0;
/** applyEvents: stopped at a zone event at the head of the pending buffer (the host applies it). */
export const APPLY_COLD = 1;
/** applyEvents: the health log is full; drain it and call again. */
export const APPLY_HEALTH_FULL = 2;

/**
 * Admits events [from, end) of a batch (u32 words, 6 per event) in delivery order: drops events for places
 * without capacity, drops duplicates (checked before lateness: a copy of a remembered event is a duplicate even when late),
 * logs late events (time < watermark at that moment), raises the watermark and appends the rest to the
 * pending buffer, noting the first event that breaks the total order. The caller has ensured room for
 * end − from pending events and late log entries.
 *
 * De-duplication: s.dedupRef holds the entries of the event's sequence key (in s.dedupSeqTime) and id key (in
 * s.dedupTime; dedup.ts resolved both); the event is a duplicate when either entry's time is at or above the watermark (the entry is held by
 * an accepted event within the lateness); on acceptance both entries take the event's time.
 *
 * @returns the index of the first event not admitted: a payment event (host-side de-duplication) or `end`.
 */
export function admitEvents(
  s: EngineState,
  words: Uint32Array,
  from: number,
  end: number,
  baseTimeMs: number,
): number {
  for (let i = from; i < end; i += RUN_EVENTS) {
    const stop = Math.min(i + RUN_EVENTS, end);
    const next = admitRun(s, words, i, stop, baseTimeMs);
    if (next < stop) return next;
  }
  return end;
}

/**
 * Events per call of the loops behind admitEvents and applyEvents. Short runs let V8 see every way out of a
 * loop in its first, interpreted runs: a loop compiled on the fly (OSR) before its exit had run has no type
 * feedback for that exit and deoptimises there (seen with `node --trace-deopt dist/bench/probes.js kernels js`:
 * up to 80 deoptimisations of applyEvents in one run, and runs where V8 stopped optimising it after three).
 * Leaving and re-entering a loop every 1024 events costs nothing measurable.
 */
const RUN_EVENTS = 1024;

/** admitEvents over at most RUN_EVENTS events. */
function admitRun(s: EngineState, words: Uint32Array, from: number, end: number, baseTimeMs: number): number {
  const reg = s.reg;
  const pTime = s.pTime;
  const pWords = s.pWords;
  const dSeq = s.dedupSeqTime;
  const dTime = s.dedupTime;
  const dRef = s.dedupRef;
  const bayZone = s.bayZone;
  const bayVehicle = s.bayVehicle;
  const zcRow = s.zcRow;
  const zoneDefaultClass = s.zoneDefaultClass;
  const lateIdx = s.lateIdx;
  const lateWm = s.lateWm;
  const latenessMs = s.latenessMs;
  // Registers hold float64; indices are taken as int32 (all < 2^31) so V8 keeps them in integer registers.
  const head = reg[R_HEAD]! | 0;
  let tail = reg[R_TAIL]! | 0;
  let unsorted = reg[R_UNSORTED]! | 0;
  let maxSeen = reg[R_MAX_SEEN]!;
  let wm = reg[R_WATERMARK]!;
  let lateN = reg[R_LATE_COUNT]! | 0;
  let accepted = 0;
  let duplicate = 0;
  let late = 0;
  let unknown = 0;
  let i = from;
  for (; i < end; i++) {
    const o = i * WORDS_PER_EVENT;
    const kvf = words[o + W_KVF]!;
    const kind = kvf & 0xff;
    if (kind >= K_PAYMENT_START) break;
    const flags = (kvf >>> 16) & 0xff;
    const target = words[o + W_TARGET]!;
    const zoneTarget = (flags & FLAG_ZONE) !== 0;
    if (zoneTarget || kind >= K_ENTER) {
      const zone = zoneTarget ? target : bayZone[target]!;
      let cls = (kvf >>> 8) & 0xff;
      if (cls === 0) cls = zoneTarget ? zoneDefaultClass[zone]! : bayVehicle[target]!;
      if (zcRow[zone * CLASSES + cls]! < 0) {
        unknown++;
        continue;
      }
    }
    // De-duplication: the host resolved the event's sequence and id keys to entries (dedup.ts); a key is
    // remembered while the accepted event holding it is at or above the watermark (NaN never is).
    const q = (i & (DEDUP_CHUNK - 1)) << 1;
    const ra = dRef[q]!;
    const rb = dRef[q + 1]!;
    if (dSeq[ra]! >= wm || dTime[rb]! >= wm) {
      duplicate++;
      continue;
    }
    const seq = words[o + W_SEQ]!;
    const device = words[o + W_DEVICE]!;
    const t = baseTimeMs + words[o + W_TIME]!;
    if (t < wm) {
      lateIdx[lateN] = i;
      lateWm[lateN] = wm;
      lateN++;
      late++;
      continue;
    }
    // Without a branch (shuffled feeds would mispredict it); wm ≥ maxSeen − latenessMs holds throughout.
    maxSeen = Math.max(maxSeen, t);
    wm = Math.max(wm, maxSeen - latenessMs);
    const value = words[o + W_VALUE]!;
    // Keep the pending buffer's total order (time, target, kvf, seq, value, device) when possible.
    if (unsorted < 0 && tail > head) {
      const q = tail - 1;
      const pt = pTime[q]!;
      if (t < pt) unsorted = tail;
      else if (t === pt) {
        const p = q * PENDING_STRIDE;
        const a = pWords[p]!;
        if (target !== a) {
          if (target < a) unsorted = tail;
        } else if (kvf !== pWords[p + 3]!) {
          if (kvf < pWords[p + 3]!) unsorted = tail;
        } else if (seq !== pWords[p + 1]!) {
          if (seq < pWords[p + 1]!) unsorted = tail;
        } else if (value !== pWords[p + 2]!) {
          if (value < pWords[p + 2]!) unsorted = tail;
        } else if (device < pWords[p + 4]!) unsorted = tail;
      }
    }
    dSeq[ra] = t;
    dTime[rb] = t;
    dSeq[0] = Number.NaN; // the sentinel entries of events without that key
    dTime[0] = Number.NaN;
    pTime[tail] = t;
    const w = tail * PENDING_STRIDE;
    pWords[w] = target;
    pWords[w + 1] = seq;
    pWords[w + 2] = value;
    pWords[w + 3] = kvf;
    pWords[w + 4] = device;
    tail++;
    accepted++;
  }
  reg[R_TAIL] = tail;
  reg[R_UNSORTED] = unsorted;
  reg[R_MAX_SEEN] = maxSeen;
  reg[R_WATERMARK] = wm;
  reg[R_LATE_COUNT] = lateN;
  reg[R_ACCEPTED] = reg[R_ACCEPTED]! + accepted;
  reg[R_DUPLICATE] = reg[R_DUPLICATE]! + duplicate;
  reg[R_LATE] = reg[R_LATE]! + late;
  reg[R_UNKNOWN] = reg[R_UNKNOWN]! + unknown;
  return i;
}

/**
 * Applies pending events with time < `limit` (which must not exceed the open window's end) in the pending
 * buffer's order, and fires the open window's sensor timeouts below `limit` in between (a timeout at T
 * fires after the events at T, so a message exactly at the deadline keeps the sensor alive).
 *
 * Bay rules (t = event time):
 * - park_start: unless occupied, an arrival; the bay becomes occupied with a known stay start t.
 * - park_end: unless vacant, a departure (and a dwell of t − start when the start is known); vacant.
 * - scheduled_report (value 1 occupied, 0 vacant): the state becomes the reported one without counting an
 *   arrival or departure; a stay found this way has no known start.
 * - comms_lost / decommissioned: unknown (and offline); comms_restored: back online, state stays unknown.
 * - no message for sensorTimeoutMs: unknown (and offline, "silent") at last message + timeout.
 * Any message but comms_lost / decommissioned from an offline sensor is reported as a recovery.
 *
 * @returns APPLY_DONE, APPLY_COLD (a zone event is at the head) or APPLY_HEALTH_FULL.
 */
export function applyEvents(s: EngineState, limit: number): number {
  for (;;) {
    const status = applyRun(s, limit, (s.reg[R_HEAD]! | 0) + RUN_EVENTS);
    if (status !== APPLY_MORE) return status;
  }
}

/**
 * Whether admitEvents would stop at batch event `i` at once: a payment event, which the host admits (so a run
 * of them needs no kernel call each).
 */
export function isPaymentEvent(words: Uint32Array, i: number): boolean {
  return (words[i * WORDS_PER_EVENT + W_KVF]! & 0xff) >= K_PAYMENT_START;
}

/**
 * Whether applyEvents(s, limit) would return APPLY_COLD at once, having done nothing: the pending event at the
 * head is a zone event below `limit` and no sensor timeout of the open window falls before it. (A kernel with
 * a shard filter may skip zone events of other shards instead; the engine asks only unsharded kernels.)
 */
export function coldEventNext(s: EngineState, limit: number): boolean {
  const reg = s.reg;
  const head = reg[R_HEAD]! | 0;
  if (head >= (reg[R_TAIL]! | 0) || reg[R_H_COUNT]! >= HEALTH_LOG_SIZE) return false;
  const t = s.pTime[head]!;
  if (t >= limit) return false;
  const toCur = reg[R_TO_CURSOR]! | 0;
  if (toCur < (reg[R_TO_COUNT]! | 0) && s.toTime[toCur]! < t) return false;
  const kvf = s.pWords[head * PENDING_STRIDE + 3]!;
  return (kvf & (FLAG_ZONE << 16)) !== 0 || (kvf & 0xff) >= K_ENTER;
}

/** applyRun: stopped after RUN_EVENTS pending events; call again. */
const APPLY_MORE = -1;

/** applyEvents up to pending event `stop` (exclusive): returns APPLY_MORE when it stopped there. */
function applyRun(s: EngineState, limit: number, stop: number): number {
  const reg = s.reg;
  const pTime = s.pTime;
  const pWords = s.pWords;
  const bays = s.bays;
  const accF64 = s.accF64;
  const accU32 = s.accU32;
  const toBay = s.toBay;
  const toTime = s.toTime;
  const hBay = s.hBay;
  const hCode = s.hCode;
  const hTime = s.hTime;
  const timeoutMs = s.timeoutMs;
  // Touched rows noted as they are applied (WindowRows), when asked for.
  const notes = s.rowNotes;
  const marks = notes === null ? null : notes.marks;
  const noted = notes === null ? null : notes.list;
  const rows = s.rowCount;
  let nNoted = notes === null ? 0 : notes.n;
  const we = reg[R_WIN_END]!;
  const ws = reg[R_WIN_START]!;
  const base = reg[R_TIME_BASE]!;
  // Registers hold float64; indices are taken as int32 (all < 2^31) so V8 keeps them in integer registers.
  const tail = reg[R_TAIL]! | 0;
  const toN = reg[R_TO_COUNT]! | 0;
  let head = reg[R_HEAD]! | 0;
  let toCur = reg[R_TO_CURSOR]! | 0;
  let hN = reg[R_H_COUNT]! | 0;
  let applied = 0;
  let recovered = 0;
  let lost = 0;
  let decommissioned = 0;
  let silent = 0;
  let status = APPLY_DONE;
  for (;;) {
    // Next: the event at head if it is below the limit; first the timeouts before it (or before the limit).
    const t = head < tail ? pTime[head]! : limit;
    const bound = Math.min(t, limit);
    while (toCur < toN && toTime[toCur]! < bound) {
      if (hN >= HEALTH_LOG_SIZE) {
        status = APPLY_HEALTH_FULL;
        break;
      }
      const T = toTime[toCur]!;
      const b = toBay[toCur]! | 0;
      toCur++;
      const r = b * BAY_WORDS;
      const word = bays[r + B_WORD]!;
      if (marks !== null) nNoted = noteRow(marks, noted!, nNoted, word >>> BS_ROW, rows);
      const fl = (word & BS_LOW) >>> BS_FLAGS;
      if ((fl & BF_HAS_MSG) === 0 || (fl & BF_OFFLINE) !== 0 || base + bays[r + B_LAST]! + timeoutMs !== T)
        continue;
      const st = word & BS_STATE;
      const row = word >>> BS_ROW;
      const d = we - T;
      if (st === OCCUPIED) {
        notePeak(accU32, row * 16, T - ws);
        accU32[row * 16 + AU_OCC] = accU32[row * 16 + AU_OCC]! - 1;
        accF64[row * 8 + AF_OCC_MS] = accF64[row * 8 + AF_OCC_MS]! - d;
      }
      if (st !== UNKNOWN) {
        accU32[row * 16 + AU_KNOWN] = accU32[row * 16 + AU_KNOWN]! - 1;
        accF64[row * 8 + AF_KNOWN_MS] = accF64[row * 8 + AF_KNOWN_MS]! - d;
      }
      bays[r + B_WORD] = (row << BS_ROW) | UNKNOWN | (((fl | BF_OFFLINE) & ~BF_START_KNOWN) << BS_FLAGS);
      bays[r + B_SINCE] = T - base;
      hBay[hN] = b;
      hCode[hN] = H_SILENT;
      hTime[hN] = T;
      hN++;
      silent++;
    }
    if (status !== APPLY_DONE) break;
    if (t >= limit) break;
    if (head >= stop) {
      status = APPLY_MORE;
      break;
    }
    if (hN >= HEALTH_LOG_SIZE) {
      status = APPLY_HEALTH_FULL;
      break;
    }
    const p = head * PENDING_STRIDE;
    const kvf = pWords[p + 3]!;
    const kind = kvf & 0xff;
    if ((kvf & (FLAG_ZONE << 16)) !== 0 || kind >= K_ENTER) {
      status = APPLY_COLD;
      break;
    }
    head++;
    applied++;
    const b = pWords[p]! | 0;
    const r = b * BAY_WORDS;
    const word = bays[r + B_WORD]!;
    const row = word >>> BS_ROW;
    if (marks !== null) nNoted = noteRow(marks, noted!, nNoted, row, rows);
    const st = word & BS_STATE;
    let fl = (word & BS_LOW) >>> BS_FLAGS;
    if (kind <= K_REPORT && (fl & BF_OFFLINE) === 0) {
      // Fast path, nearly every event: park_start, park_end or scheduled_report from an online sensor. The
      // same rules as the general path below, computed without a branch on the data (real feeds mix kinds
      // and states at random, so branches on them are mispredicted and stall the scattered loads around
      // them). Integer 0/1 masks select the effects; a row always gets its deltas, which are 0 (or +0.0,
      // which leaves any sum unchanged) when nothing happened.
      // code: 0 park_start, 1 park_end, 2 report of a vacant bay, 3 report of an occupied one.
      const code = kind + ((kind >>> 1) & nonZero(pWords[p + 2]! | 0));
      const next = (NEXT_STATE >>> (code << 1)) & 3;
      const changed = nonZero(next ^ st);
      const arrival = changed & (nonZero(code) ^ 1);
      const departure = changed & (nonZero(code ^ 1) ^ 1);
      const wasOcc = st >>> 1;
      const dOcc = (next >>> 1) - wasOcc;
      const dKnown = changed & (nonZero(st) ^ 1);
      const since = bays[r + B_SINCE]!;
      const dwellOk = departure & wasOcc & (fl >>> 1);
      const dwell = t - (base + since);
      const rel = (t - base) | 0;
      bays[r + B_SINCE] = since ^ ((since ^ rel) & -changed);
      bays[r + B_LAST] = rel;
      // Flags: has-message; stay start known when a park_start changed the state, unknown when a report did.
      fl = (fl | BF_HAS_MSG | (arrival << 1)) & ~((changed & (code >>> 1)) << 1);
      bays[r + B_WORD] = (row << BS_ROW) | next | (fl << BS_FLAGS);
      const a32 = row * 16;
      const a64 = row * 8;
      const d = we - t;
      // Peak over instants: the count before this event is final for the last instant when t is a later one.
      const inst = (t - ws) | 0;
      const occ0 = accU32[a32 + AU_OCC]!;
      accU32[a32 + AU_PEAK] = Math.max(
        accU32[a32 + AU_PEAK]!,
        occ0 * ((accU32[a32 + AU_LAST]! - inst) >>> 31),
      );
      accU32[a32 + AU_LAST] = inst;
      const occ = occ0 + dOcc;
      accU32[a32 + AU_OCC] = occ;
      accF64[a64 + AF_OCC_MS] = accF64[a64 + AF_OCC_MS]! + dOcc * d;
      accU32[a32 + AU_KNOWN] = accU32[a32 + AU_KNOWN]! + dKnown;
      accF64[a64 + AF_KNOWN_MS] = accF64[a64 + AF_KNOWN_MS]! + dKnown * d;
      accU32[a32 + AU_ARRIVALS] = accU32[a32 + AU_ARRIVALS]! + arrival;
      accU32[a32 + AU_DEPARTURES] = accU32[a32 + AU_DEPARTURES]! + departure;
      accU32[a32 + AU_DWELL_COUNT] = accU32[a32 + AU_DWELL_COUNT]! + dwellOk;
      accF64[a64 + AF_DWELL_SUM] = accF64[a64 + AF_DWELL_SUM]! + dwellOk * dwell;
      continue;
    }
    if ((fl & BF_OFFLINE) !== 0 && kind !== K_COMMS_LOST && kind !== K_DECOMMISSIONED) {
      fl &= ~(BF_OFFLINE | BF_DECOMMISSIONED);
      hBay[hN] = b;
      hCode[hN] = H_RECOVERED;
      hTime[hN] = t;
      hN++;
      recovered++;
    }
    fl |= BF_HAS_MSG;
    bays[r + B_LAST] = t - base;
    let next = st;
    let arrival = 0;
    let departure = 0;
    let dwell = -1;
    if (kind === K_PARK_START) {
      if (st !== OCCUPIED) {
        next = OCCUPIED;
        fl |= BF_START_KNOWN;
        arrival = 1;
      }
    } else if (kind === K_PARK_END) {
      if (st !== VACANT) {
        next = VACANT;
        departure = 1;
        if (st === OCCUPIED && (fl & BF_START_KNOWN) !== 0) dwell = t - (base + bays[r + B_SINCE]!);
      }
    } else if (kind === K_REPORT) {
      const v = pWords[p + 2]! !== 0 ? OCCUPIED : VACANT;
      if (st !== v) {
        next = v;
        fl &= ~BF_START_KNOWN;
      }
    } else if (kind === K_COMMS_LOST) {
      next = UNKNOWN;
      fl &= ~BF_START_KNOWN;
      if ((fl & BF_OFFLINE) === 0) {
        hBay[hN] = b;
        hCode[hN] = H_LOST;
        hTime[hN] = t;
        hN++;
        lost++;
      }
      fl |= BF_OFFLINE;
    } else if (kind === K_DECOMMISSIONED) {
      next = UNKNOWN;
      fl &= ~BF_START_KNOWN;
      if ((fl & BF_DECOMMISSIONED) === 0) {
        hBay[hN] = b;
        hCode[hN] = H_DECOMMISSIONED;
        hTime[hN] = t;
        hN++;
        decommissioned++;
      }
      fl |= BF_OFFLINE | BF_DECOMMISSIONED;
    }
    // comms_restored: back online (handled above); the state stays as it is until the sensor reports one.
    if (next !== st || departure !== 0 || arrival !== 0) {
      const a32 = row * 16;
      const a64 = row * 8;
      accU32[a32 + AU_ARRIVALS] = accU32[a32 + AU_ARRIVALS]! + arrival;
      accU32[a32 + AU_DEPARTURES] = accU32[a32 + AU_DEPARTURES]! + departure;
      if (dwell >= 0) {
        accF64[a64 + AF_DWELL_SUM] = accF64[a64 + AF_DWELL_SUM]! + dwell;
        accU32[a32 + AU_DWELL_COUNT] = accU32[a32 + AU_DWELL_COUNT]! + 1;
      }
      if (next !== st) {
        const d = we - t;
        if (st === OCCUPIED) {
          notePeak(accU32, a32, t - ws);
          accU32[a32 + AU_OCC] = accU32[a32 + AU_OCC]! - 1;
          accF64[a64 + AF_OCC_MS] = accF64[a64 + AF_OCC_MS]! - d;
        } else if (next === OCCUPIED) {
          notePeak(accU32, a32, t - ws);
          accU32[a32 + AU_OCC] = accU32[a32 + AU_OCC]! + 1;
          accF64[a64 + AF_OCC_MS] = accF64[a64 + AF_OCC_MS]! + d;
        }
        if (st === UNKNOWN) {
          accU32[a32 + AU_KNOWN] = accU32[a32 + AU_KNOWN]! + 1;
          accF64[a64 + AF_KNOWN_MS] = accF64[a64 + AF_KNOWN_MS]! + d;
        } else if (next === UNKNOWN) {
          accU32[a32 + AU_KNOWN] = accU32[a32 + AU_KNOWN]! - 1;
          accF64[a64 + AF_KNOWN_MS] = accF64[a64 + AF_KNOWN_MS]! - d;
        }
        bays[r + B_SINCE] = t - base;
      }
    }
    bays[r + B_WORD] = (row << BS_ROW) | next | (fl << BS_FLAGS);
  }
  if (notes !== null) notes.n = nNoted;
  reg[R_HEAD] = head;
  reg[R_TO_CURSOR] = toCur;
  reg[R_H_COUNT] = hN;
  reg[R_APPLIED] = reg[R_APPLIED]! + applied;
  reg[R_RECOVERED] = reg[R_RECOVERED]! + recovered;
  reg[R_LOST] = reg[R_LOST]! + lost;
  reg[R_DECOMMISSIONED] = reg[R_DECOMMISSIONED]! + decommissioned;
  reg[R_SILENT] = reg[R_SILENT]! + silent;
  return status;
}

/**
 * Notes window row `row` as touched: marks it in `marks` and appends it to `list` (which holds `n` rows) when it was
 * not marked yet; returns the new length. Without a branch on the mark (a row's first event in a window comes at
 * random): the row is always written at `list[n]`, so the list has room for one more than the rows. Rows ≥ `rows`
 * (bays without one) are skipped.
 */
function noteRow(marks: Uint8Array, list: Uint32Array, n: number, row: number, rows: number): number {
  if (row >= rows) return n;
  const fresh = marks[row]! ^ 1;
  marks[row] = 1;
  list[n] = row;
  return n + fresh;
}

/**
 * Before a row's occupied count changes at `inst` ms after the window start: when that is a later instant
 * than the row's last change, the count now is the count after every event of that last instant (or the
 * count carried into the window), so it competes for the peak. peakOccupied is thus the maximum over the
 * window's instants of the count after all events of that instant, whatever the order within an instant;
 * closeRows adds the count that holds at the window's end.
 */
export function notePeak(accU32: Uint32Array, a32: number, inst: number): void {
  if (inst > accU32[a32 + AU_LAST]!) {
    accU32[a32 + AU_PEAK] = Math.max(accU32[a32 + AU_PEAK]!, accU32[a32 + AU_OCC]!);
    accU32[a32 + AU_LAST] = inst;
  }
}

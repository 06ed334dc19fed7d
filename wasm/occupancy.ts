// Occupancy kernels: a line-by-line port of src/occupancy/kernel.ts (admitEvents, applyEvents)
// and src/occupancy/pending.ts (sortPending) to AssemblyScript, except that a run too far out of order for
// the insertion sort is radix-sorted here (see radixRun) where the JS code merge-sorts it, and that the fast
// path of applyEvents is a loop of its own here (applySensorRun). Same results, bit for bit: the JS code is the
// reference and the differential tests in test/occupancy compare both.
//
// The engine state lives in the shared memory as the same typed arrays the JS engine uses (moved into the
// arena by src/occupancy/wasm-kernel.ts). The caller describes it in a table: u32 byte offsets of every array at
// `tbl + 4 * T_*`, and f64 parameters at `tbl + TABLE_F64 + 8 * F_*`, written before each call. Nothing is
// allocated; every index is trusted (the batch was verified against the catalogue).

// ---- state table (keep in step with src/occupancy/wasm-kernel.ts; a test compares them) ----
const T_REG = 0;
const T_P_TIME = 1;
const T_P_WORDS = 2;
const T_DEDUP_TIME = 3;
const T_ACC = 4;
const T_BAY_ZONE = 5;
const T_BAY_VEHICLE = 6;
const T_ZC_ROW = 7;
const T_ZONE_DEFAULT_CLASS = 8;
const T_LATE_IDX = 9;
const T_LATE_WM = 10;
const T_TO_BAY = 11;
const T_TO_TIME = 12;
const T_H_BAY = 13;
const T_H_CODE = 14;
const T_H_TIME = 15;
const T_S_TIME = 16;
const T_S_WORDS = 17;
const T_S_IDX = 18;
const T_S_IDX2 = 19;
const T_DEDUP_SEQ_TIME = 20;
// Shard filter (src/occupancy/sharded/engine.ts): 0 = not sharded; else events outside the shard's bays and zones are
// skipped by applyEvents, payments go to the host in every shard (only shard index 0 counts them as applied).
const T_SHARDED = 21;
const T_SHARD_INDEX = 22;
const T_SHARD_BAY_LO = 23;
const T_SHARD_BAY_HI = 24;
const T_SHARD_ZONE_LO = 25;
const T_SHARD_ZONE_HI = 26;
const T_DEDUP_REF = 27;
const T_BAYS = 28;
// Written by applyEvents: the sum touchRecords read (nothing reads it back).
const T_SINK = 29;
// The id-key table of de-duplication (src/occupancy/dedup.ts), written by the host before each resolveIds:
// the open-addressing table (entry, hash pairs of i32), its mask, the entry columns, the id byte arena, and
// the entry count and arena bytes in use (read back after the call).
const T_ID_TABLE = 30;
const T_ID_MASK = 31;
const T_ID_TYPE = 32;
// Slots 33 and 34: the device fields of the entries (kA, kB: u32), which only rebuildIds reads and writes (it
// moves every entry's).
const T_ID_A = 33;
const T_ID_B = 34;
// Own admission (a worker shard fed a batch whose keys all belong to the zones of their events, see
// src/occupancy/sharded/own.ts): 1 = admitEvents admits only the shard's own bay and zone events and lets the others
// only move the watermark, and resolveSeqs resolves only the own events' keys; 0 = every event.
const T_OWN_ADMIT = 35;
const T_ID_HASH = 36;
const T_ID_OFF = 37;
const T_ID_LEN = 38;
const T_ID_ARENA = 39;
const T_ID_COUNT = 40;
const T_ID_USED = 41;
// The per-device sequence keys (src/occupancy/device-keys.ts), written by the host before each resolveSeqs:
// the slot words (f64 pairs: highest key time, newest entry), the entry columns, and the entry count (read back).
const T_SK_WORDS = 42;
const T_SK_SLOT = 43;
const T_SK_SEQ = 44;
const T_SK_T = 45;
const T_SK_NEXT = 46;
const T_SK_COUNT = 47;
const T_SK_DEVICES = 48;
// Touched-row noting (WindowRows of src/occupancy/windows.ts), written by the host when its lists change: the u8
// mark per row (0: noting off), the u32 list, its length (read back after applyEvents) and the row count.
const T_NOTE_MARKS = 49;
const T_NOTE_LIST = 50;
const T_NOTE_COUNT = 51;
const T_NOTE_ROWS = 52;
// Own admission: DEDUP_CHUNK u32 of scratch for resolveSeqs' list of the own events of a range.
const T_OWN_LIST = 53;
/** Byte offset of the f64 parameters in the table. */
const TABLE_F64: usize = 256;
const F_LATENESS_MS = 0;
const F_TIMEOUT_MS = 1;

// ---- registers (src/occupancy/kernel.ts R_*) ----
const R_MAX_SEEN = 0;
const R_WATERMARK = 1;
const R_WIN_END = 3;
const R_WIN_START = 2;
const R_HEAD = 4;
const R_TAIL = 5;
const R_UNSORTED = 6;
const R_TO_COUNT = 7;
const R_TO_CURSOR = 8;
const R_H_COUNT = 9;
const R_LATE_COUNT = 10;
const R_ACCEPTED = 11;
const R_DUPLICATE = 12;
const R_LATE = 13;
const R_UNKNOWN = 14;
const R_APPLIED = 15;
const R_SILENT = 20;
const R_LOST = 21;
const R_DECOMMISSIONED = 22;
const R_RECOVERED = 23;
const R_TIME_BASE = 18;

// ---- constants (src/occupancy/kernel.ts) ----
const UNKNOWN: u8 = 0;
const VACANT: u8 = 1;
const OCCUPIED: u8 = 2;
const BF_HAS_MSG: u8 = 1;
const BF_START_KNOWN: u8 = 2;
const BF_OFFLINE: u8 = 4;
const BF_DECOMMISSIONED: u8 = 8;
const H_SILENT: u8 = 0;
const H_LOST: u8 = 1;
const H_DECOMMISSIONED: u8 = 2;
const H_RECOVERED: u8 = 3;
// Bay records, 12 bytes: since and last (i32, relative to R_TIME_BASE), then state | flags << BS_FLAGS | row << 8.
const BAY_BYTES: usize = 12;
const B_SINCE = 0; // byte offsets in a record
const B_LAST = 4;
const B_WORD = 8;
const BS_STATE: u8 = 3;
const BS_FLAGS: u8 = 2;
const BS_ROW: u32 = 8;
// De-duplication (src/occupancy/dedup.ts): dedupSeqTime and dedupTime f64 per remembered sequence and id key; dedupRef 2 × u32 per event of
// the chunk, at 2 (i mod DEDUP_CHUNK).
const DEDUP_CHUNK = 8192;
// Row accumulator record: 64 bytes.
const ACC_BYTES: usize = 64;
const AB_OCC_MS = 0; // f64
const AB_KNOWN_MS = 8; // f64
const AB_DWELL_SUM = 16; // f64
const AB_OCC = 24; // u32 (AU_OCC 6)
const AB_KNOWN = 28; // u32 (AU_KNOWN 7)
const AB_PEAK = 32; // u32 (AU_PEAK 8)
const AB_ARRIVALS = 36; // u32 (AU_ARRIVALS 9)
const AB_DEPARTURES = 40; // u32 (AU_DEPARTURES 10)
const AB_DWELL_COUNT = 44; // u32 (AU_DWELL_COUNT 11)
// AB_EPOCH = 48: u32 (AU_EPOCH 12), kept by closeRows on the host; nothing here reads it.
const AB_LAST = 52; // u32 (AU_LAST 13)
const PENDING_STRIDE = 5;
const HEALTH_LOG_SIZE = 4096;
const FLAG_ZONE: u32 = 2;
const W_TIME = 0;
const W_TARGET = 1;
const W_SEQ = 2;
const W_VALUE = 3;
const W_KVF = 4;
const W_DEVICE = 5;
const WORDS_PER_EVENT = 6;
const CLASSES: u32 = 5;
const K_PARK_START: u32 = 0;
const K_PARK_END: u32 = 1;
const K_REPORT: u32 = 2;
const K_COMMS_LOST: u32 = 3;
const K_DECOMMISSIONED: u32 = 5;
const K_ENTER: u32 = 6;
const K_PAYMENT_START: u32 = 9;

const APPLY_DONE = 0;
const APPLY_COLD = 1;
const APPLY_HEALTH_FULL = 2;

// ---- memory helpers (binaryen inlines them) ----
function ptr(tbl: usize, slot: i32): usize {
  return usize(load<u32>(tbl + (usize(slot) << 2)));
}
function param(tbl: usize, slot: i32): f64 {
  return load<f64>(tbl + TABLE_F64 + (usize(slot) << 3));
}
function getF(base: usize, i: i32): f64 {
  return load<f64>(base + (usize(i) << 3));
}
function setF(base: usize, i: i32, v: f64): void {
  store<f64>(base + (usize(i) << 3), v);
}
function getU(base: usize, i: u32): u32 {
  return load<u32>(base + (usize(i) << 2));
}
function setU(base: usize, i: u32, v: u32): void {
  store<u32>(base + (usize(i) << 2), v);
}
function getB(base: usize, i: u32): u8 {
  return load<u8>(base + usize(i));
}
function setB(base: usize, i: u32, v: u8): void {
  store<u8>(base + usize(i), v);
}
function reg(r: usize, i: i32): f64 {
  return load<f64>(r + (usize(i) << 3));
}
function setReg(r: usize, i: i32, v: f64): void {
  store<f64>(r + (usize(i) << 3), v);
}

/**
 * admitEvents of src/occupancy/kernel.ts: admits events [from, end) of the batch whose u32 words start
 * at byte `words`. Returns the index of the first event not admitted (a payment event) or `end`.
 */
export function admitEvents(tbl: usize, words: usize, from: i32, end: i32, baseTimeMs: f64): i32 {
  const rg = ptr(tbl, T_REG);
  const pTime = ptr(tbl, T_P_TIME);
  const pWords = ptr(tbl, T_P_WORDS);
  const dSeq = ptr(tbl, T_DEDUP_SEQ_TIME);
  const dTime = ptr(tbl, T_DEDUP_TIME);
  const dRef = ptr(tbl, T_DEDUP_REF);
  const bayZone = ptr(tbl, T_BAY_ZONE);
  const bayVehicle = ptr(tbl, T_BAY_VEHICLE);
  const zcRow = ptr(tbl, T_ZC_ROW);
  const zoneDefaultClass = ptr(tbl, T_ZONE_DEFAULT_CLASS);
  const lateIdx = ptr(tbl, T_LATE_IDX);
  const lateWm = ptr(tbl, T_LATE_WM);
  const latenessMs = param(tbl, F_LATENESS_MS);
  const head = i32(reg(rg, R_HEAD));
  let tail = i32(reg(rg, R_TAIL));
  let unsorted = i32(reg(rg, R_UNSORTED));
  let maxSeen = reg(rg, R_MAX_SEEN);
  let wm = reg(rg, R_WATERMARK);
  let lateN = i32(reg(rg, R_LATE_COUNT));
  let accepted = 0;
  let duplicate = 0;
  let late = 0;
  let unknown = 0;
  // Own admission: the shard's bays and zones. An event of another shard is not de-duplicated here (its key
  // lives in that shard: its refs are the sentinels, never live) and is not kept or counted; it only moves the
  // watermark, as it does there unless it is late or unknown. Predicated rather than branched on (own and other
  // events interleave at random).
  const own = load<u32>(tbl + (usize(T_OWN_ADMIT) << 2)) !== 0;
  const bayLo = own ? load<u32>(tbl + (usize(T_SHARD_BAY_LO) << 2)) : 0;
  const bayHi = own ? load<u32>(tbl + (usize(T_SHARD_BAY_HI) << 2)) : 0xffffffff;
  const zoneLo = own ? load<u32>(tbl + (usize(T_SHARD_ZONE_LO) << 2)) : 0;
  const zoneHi = own ? load<u32>(tbl + (usize(T_SHARD_ZONE_HI) << 2)) : 0xffffffff;
  let i = from;
  for (; i < end; i++) {
    const o = words + usize(i) * (WORDS_PER_EVENT << 2);
    const kvf = load<u32>(o, W_KVF << 2);
    const kind = kvf & 0xff;
    if (kind >= K_PAYMENT_START) break;
    const flags = (kvf >>> 16) & 0xff;
    const target = load<u32>(o, W_TARGET << 2);
    const zoneTarget = (flags & FLAG_ZONE) !== 0;
    const lo = zoneTarget ? zoneLo : bayLo;
    const hi = zoneTarget ? zoneHi : bayHi;
    const mine = i32(target >= lo) & i32(target < hi);
    if (zoneTarget || kind >= K_ENTER) {
      const zone = zoneTarget ? target : getU(bayZone, target);
      let cls = (kvf >>> 8) & 0xff;
      if (cls === 0) cls = zoneTarget ? u32(getB(zoneDefaultClass, zone)) : u32(getB(bayVehicle, target));
      if (load<i32>(zcRow + (usize(zone * CLASSES + cls) << 2)) < 0) {
        unknown += mine;
        continue;
      }
    }
    const q = dRef + (usize(i & (DEDUP_CHUNK - 1)) << 3);
    const ra = load<u32>(q);
    const rb = load<u32>(q, 4);
    if (getF(dSeq, i32(ra)) >= wm || getF(dTime, i32(rb)) >= wm) {
      duplicate++;
      continue;
    }
    const seq = load<u32>(o, W_SEQ << 2);
    const device = load<u32>(o, W_DEVICE << 2);
    const t = baseTimeMs + f64(load<u32>(o, W_TIME << 2));
    if (t < wm) {
      setU(lateIdx, u32(lateN), u32(i));
      setF(lateWm, lateN, wm);
      lateN += mine;
      late += mine;
      continue;
    }
    maxSeen = max<f64>(maxSeen, t);
    wm = max<f64>(wm, maxSeen - latenessMs);
    const value = load<u32>(o, W_VALUE << 2);
    // Keep the pending buffer's total order (time, target, kvf, seq, value, device) when possible.
    if (unsorted < 0 && tail > head) {
      const q = tail - 1;
      const pt = getF(pTime, q);
      let before = false;
      if (t < pt) before = true;
      else if (t === pt) {
        const p = pWords + usize(q) * (PENDING_STRIDE << 2);
        const a = load<u32>(p);
        if (target !== a) before = target < a;
        else if (kvf !== load<u32>(p, 12)) before = kvf < load<u32>(p, 12);
        else if (seq !== load<u32>(p, 4)) before = seq < load<u32>(p, 4);
        else if (value !== load<u32>(p, 8)) before = value < load<u32>(p, 8);
        else before = device < load<u32>(p, 16);
      }
      unsorted = select<i32>(tail, unsorted, before && mine !== 0);
    }
    setF(dSeq, i32(ra), t);
    setF(dTime, i32(rb), t);
    setF(dSeq, 0, NaN);
    setF(dTime, 0, NaN);
    // Written for every event, kept (the tail moved past it) for the own ones.
    setF(pTime, tail, t);
    const w = pWords + usize(tail) * (PENDING_STRIDE << 2);
    store<u32>(w, target);
    store<u32>(w, seq, 4);
    store<u32>(w, value, 8);
    store<u32>(w, kvf, 12);
    store<u32>(w, device, 16);
    tail += mine;
    accepted += mine;
  }
  setReg(rg, R_TAIL, f64(tail));
  setReg(rg, R_UNSORTED, f64(unsorted));
  setReg(rg, R_MAX_SEEN, maxSeen);
  setReg(rg, R_WATERMARK, wm);
  setReg(rg, R_LATE_COUNT, f64(lateN));
  setReg(rg, R_ACCEPTED, reg(rg, R_ACCEPTED) + f64(accepted));
  setReg(rg, R_DUPLICATE, reg(rg, R_DUPLICATE) + f64(duplicate));
  setReg(rg, R_LATE, reg(rg, R_LATE) + f64(late));
  setReg(rg, R_UNKNOWN, reg(rg, R_UNKNOWN) + f64(unknown));
  return i;
}

/** notePeak of src/occupancy/kernel.ts, for the row record at `a`; `inst` is ms after the window start. */
function notePeak(a: usize, inst: f64): void {
  const n = u32(i32(inst));
  if (n > load<u32>(a, AB_LAST)) {
    const occ = load<u32>(a, AB_OCC);
    if (occ > load<u32>(a, AB_PEAK)) store<u32>(a, occ, AB_PEAK);
    store<u32>(a, n, AB_LAST);
  }
}

/** A bay's window row, from its state word (which keeps zcRow[bayZone × CLASSES + bayVehicle]). */
function rowOf(word: u32): usize {
  return usize(word >>> BS_ROW);
}

// The fast path's transition table (TRANSITIONS of src/occupancy/kernel.ts, built there from the rules by
// sensorTransition; transitionWords gives these words and a test compares them): entry i = code | state << 2 |
// stay-start-known << 4 (code: 0 park_start, 1 park_end, 2 report of a vacant bay, 3 of an occupied one) keeps
// two of its bits in each word, at bits 2i and 2i + 1: TR_NEXT the next state; TR_SK_CHANGED the stay-start-known
// flag after the event and whether the state changed; TR_ARR_DEP an arrival and a departure; TR_DWELL_KNOWN a
// dwell to count and the bay becoming known; TR_OCC the change of the occupied count plus 1. Five shifts of
// constants: no table in memory (the module has no data segment) and no load.
const TR_NEXT: u64 = (u64(0x96969696) << 32) | u64(0x96969696);
const TR_SK_CHANGED: u64 = (u64(0xaf6d97af) << 32) | u64(0xab2883ab);
const TR_ARR_DEP: u64 = (u64(0x09080109) << 32) | u64(0x09080109);
const TR_DWELL_KNOWN: u64 = (u64(0xaa0400aa) << 32) | u64(0xaa0000aa);
const TR_OCC: u64 = (u64(0x96419696) << 32) | u64(0x96419696);

/** 1 when `x` is not 0, else 0, without a branch (nonZero of src/occupancy/kernel.ts). */
function nonZero(x: u32): u32 {
  return (x | (0 - x)) >>> 31;
}

/**
 * Notes window row `row` as touched (noteRows, done while applying): marks it at `marks` and appends it to the list
 * at `list` of `n` rows when it was not marked yet. Returns the new length. Without a branch on the mark (a row's
 * first event in a window comes at random): the row is always written at `list` + 4n, which needs room for one
 * entry past the rows. Rows ≥ `rows` (bays without one) are skipped.
 */
function noteRow(marks: usize, list: usize, n: u32, row: u32, rows: u32): u32 {
  if (row >= rows) return n;
  const m = marks + usize(row);
  const fresh = u32(load<u8>(m)) ^ 1;
  store<u8>(m, 1);
  store<u32>(list + (usize(n) << 2), row);
  return n + fresh;
}

/** Pending events whose records touchRecords loads ahead of applying them. */
const TOUCH_AHEAD = 32;

/**
 * Loads the bay record and window row of pending events [from, to) and returns a sum of what it read (kept
 * by the caller so the loads are not optimised away). Nothing is written: these loads only bring the cache
 * lines in. A short loop of independent loads keeps many cache misses in flight at once, where the apply
 * loop, with its longer body, would wait for each event's bay record and then its row in turn.
 */
function touchRecords(pWords: usize, bays: usize, acc: usize, from: i32, to: i32): u32 {
  let sink: u32 = 0;
  for (let j = from; j < to; j++) {
    const q = pWords + usize(j) * (PENDING_STRIDE << 2);
    // Zone-targeted events name a zone, not a bay (and a catalogue may have no bays at all): skip them.
    if ((load<u32>(q, 12) & (FLAG_ZONE << 16)) !== 0) continue;
    const word = load<u32>(bays + usize(load<u32>(q)) * BAY_BYTES, B_WORD);
    sink += word + load<u32>(acc + rowOf(word) * ACC_BYTES, AB_OCC);
  }
  return sink;
}

/**
 * The fast run of applyEvents: applies the pending events from `head` on that are park_start, park_end or
 * scheduled_report of online sensors (nearly every event) by the transition table (TR_*), without a branch on the
 * data, up to the first other event, the first event at or past `limit` or after `nextTimeout` (an event at a
 * timeout's time comes before it), or the end; returns the head where it stopped. Notes touched rows as
 * applyEvents does (the count at T_NOTE_COUNT); adds what touchRecords read to T_SINK. Its own function, so that
 * the loop keeps its few values in registers.
 */
export function applySensorRun(tbl: usize, head: i32, limit: f64, nextTimeout: f64): i32 {
  const rg = ptr(tbl, T_REG);
  const pTime = ptr(tbl, T_P_TIME);
  const pWords = ptr(tbl, T_P_WORDS);
  const bays = ptr(tbl, T_BAYS);
  const acc = ptr(tbl, T_ACC);
  const marks = ptr(tbl, T_NOTE_MARKS);
  const noted = ptr(tbl, T_NOTE_LIST);
  const rows = load<u32>(tbl + (usize(T_NOTE_ROWS) << 2));
  let nNoted = load<u32>(tbl + (usize(T_NOTE_COUNT) << 2));
  const we = reg(rg, R_WIN_END);
  const ws = reg(rg, R_WIN_START);
  const base = reg(rg, R_TIME_BASE);
  const tail = i32(reg(rg, R_TAIL));
  // Bays the fast run applies events of: every bay, or a worker shard's own (the others go to the general path,
  // which skips them). As an unsigned range test: b − runLo < runSpan.
  const sharded = load<u32>(tbl + (usize(T_SHARDED) << 2)) !== 0;
  const runLo = sharded ? load<u32>(tbl + (usize(T_SHARD_BAY_LO) << 2)) : 0;
  const runSpan = sharded ? load<u32>(tbl + (usize(T_SHARD_BAY_HI) << 2)) - runLo : u32.MAX_VALUE;
  // Window times relative to the bay-time origin (integers: base ≤ ws < we ≤ base + TIME_SPAN_MS).
  const wsRel = i32(ws - base);
  let touched = head;
  let sink: u32 = 0;
  while (head < tail) {
    if (head >= touched) {
      touched = min(head + TOUCH_AHEAD, tail);
      sink += touchRecords(pWords, bays, acc, head, touched);
    }
    const t = getF(pTime, head);
    if (t >= limit || t > nextTimeout) break;
    const p = pWords + usize(head) * (PENDING_STRIDE << 2);
    const kvf = load<u32>(p, 12);
    // A bay event (no zone flag) of kind ≤ K_REPORT.
    if ((kvf & ((FLAG_ZONE << 16) | 0xff)) > K_REPORT) break;
    const b = load<u32>(p);
    if (b - runLo >= runSpan) break;
    const bt = bays + usize(b) * BAY_BYTES;
    const word = load<u32>(bt, B_WORD);
    if ((word & (u32(BF_OFFLINE) << BS_FLAGS)) !== 0) break;
    head++;
    const row = word >>> BS_ROW;
    if (marks !== 0) nNoted = noteRow(marks, noted, nNoted, row, rows);
    const kind = kvf & 0xff;
    const code = kind + ((kind >>> 1) & nonZero(load<u32>(p, 8)));
    const ix = u64(code | ((word & 3) << 2) | ((word & (u32(BF_START_KNOWN) << BS_FLAGS)) << 1)) << 1;
    const nextSk = u32(TR_SK_CHANGED >> ix);
    const arrDep = u32(TR_ARR_DEP >> ix);
    const dwellKnown = u32(TR_DWELL_KNOWN >> ix);
    const dOcc = i32(u32(TR_OCC >> ix) & 3) - 1;
    const since = load<i32>(bt, B_SINCE);
    const rel = i32(t - base);
    store<i32>(bt, select<i32>(rel, since, (nextSk & 2) !== 0), B_SINCE);
    store<i32>(bt, rel, B_LAST);
    // State, has-message and stay-start-known from the table; offline 0 (an online sensor), the rest kept.
    store<u32>(
      bt,
      (word & ~0x0f) | (u32(TR_NEXT >> ix) & 3) | (u32(BF_HAS_MSG) << BS_FLAGS) | ((nextSk & 1) << 3),
      B_WORD,
    );
    const a = acc + usize(row) * ACC_BYTES;
    const d = we - t;
    // Peak over instants: the count before this event is final for the last instant when t is a later one.
    const inst = u32(rel - wsRel);
    const occ0 = load<u32>(a, AB_OCC);
    const cand = occ0 * ((load<u32>(a, AB_LAST) - inst) >>> 31);
    const peak = load<u32>(a, AB_PEAK);
    store<u32>(a, select<u32>(cand, peak, cand > peak), AB_PEAK);
    store<u32>(a, inst, AB_LAST);
    store<u32>(a, occ0 + u32(dOcc), AB_OCC);
    store<f64>(a, load<f64>(a, AB_OCC_MS) + f64(dOcc) * d, AB_OCC_MS);
    const dKnown = (dwellKnown >>> 1) & 1;
    store<u32>(a, load<u32>(a, AB_KNOWN) + dKnown, AB_KNOWN);
    store<f64>(a, load<f64>(a, AB_KNOWN_MS) + f64(dKnown) * d, AB_KNOWN_MS);
    store<u32>(a, load<u32>(a, AB_ARRIVALS) + (arrDep & 1), AB_ARRIVALS);
    store<u32>(a, load<u32>(a, AB_DEPARTURES) + ((arrDep >>> 1) & 1), AB_DEPARTURES);
    const dwellOk = dwellKnown & 1;
    store<u32>(a, load<u32>(a, AB_DWELL_COUNT) + dwellOk, AB_DWELL_COUNT);
    store<f64>(a, load<f64>(a, AB_DWELL_SUM) + f64(dwellOk) * (f64(rel) - f64(since)), AB_DWELL_SUM);
  }
  store<u32>(tbl + (usize(T_NOTE_COUNT) << 2), nNoted);
  store<u32>(tbl + (usize(T_SINK) << 2), load<u32>(tbl + (usize(T_SINK) << 2)) + sink);
  return head;
}

/**
 * applyEvents of src/occupancy/kernel.ts: applies pending events with time < `limit` and the open
 * window's timeouts below it. Returns APPLY_DONE, APPLY_COLD or APPLY_HEALTH_FULL. When the table names a
 * touched-row list (T_NOTE_MARKS ≠ 0), it notes there the window row of every bay event it applies and of every
 * timeout entry it goes past (noteRow), which is what noteRows would note for the same call. Nearly every event
 * is applied by the fast run (applySensorRun); this loop takes timeouts, zone events (handed back), other shards'
 * events, offline sensors and the other kinds, with the rules as branches, and hands the fast run's events back to
 * it (where the JS kernel applies the same events in one loop with the same table: same results, bit for bit).
 */
export function applyEvents(tbl: usize, limit: f64): i32 {
  const rg = ptr(tbl, T_REG);
  const pTime = ptr(tbl, T_P_TIME);
  const pWords = ptr(tbl, T_P_WORDS);
  const bays = ptr(tbl, T_BAYS);
  const acc = ptr(tbl, T_ACC);
  const toBay = ptr(tbl, T_TO_BAY);
  const toTime = ptr(tbl, T_TO_TIME);
  const hBay = ptr(tbl, T_H_BAY);
  const hCode = ptr(tbl, T_H_CODE);
  const hTime = ptr(tbl, T_H_TIME);
  const timeoutMs = param(tbl, F_TIMEOUT_MS);
  const sharded = load<u32>(tbl + (usize(T_SHARDED) << 2)) !== 0;
  const shardIndex = load<u32>(tbl + (usize(T_SHARD_INDEX) << 2));
  const bayLo = load<u32>(tbl + (usize(T_SHARD_BAY_LO) << 2));
  const bayHi = load<u32>(tbl + (usize(T_SHARD_BAY_HI) << 2));
  const zoneLo = load<u32>(tbl + (usize(T_SHARD_ZONE_LO) << 2));
  const zoneHi = load<u32>(tbl + (usize(T_SHARD_ZONE_HI) << 2));
  const bayZone = ptr(tbl, T_BAY_ZONE);
  const marks = ptr(tbl, T_NOTE_MARKS);
  const noted = ptr(tbl, T_NOTE_LIST);
  const rows = load<u32>(tbl + (usize(T_NOTE_ROWS) << 2));
  let nNoted = load<u32>(tbl + (usize(T_NOTE_COUNT) << 2));
  const we = reg(rg, R_WIN_END);
  const ws = reg(rg, R_WIN_START);
  const base = reg(rg, R_TIME_BASE);
  const tail = i32(reg(rg, R_TAIL));
  const toN = i32(reg(rg, R_TO_COUNT));
  let head = i32(reg(rg, R_HEAD));
  let toCur = i32(reg(rg, R_TO_CURSOR));
  let hN = i32(reg(rg, R_H_COUNT));
  let applied = 0;
  let recovered = 0;
  let lost = 0;
  let decommissioned = 0;
  let silent = 0;
  let status = APPLY_DONE;
  let touched = head;
  let sink: u32 = 0;
  for (;;) {
    // The fast run: park_start, park_end and scheduled_report of online sensors (nearly every event), applied
    // by the transition table without a branch on the data, up to the first other event, the next sensor
    // timeout (an event at the timeout's time comes first) or the limit. Everything else, and timeouts, take
    // the general path below, which applies the same rules with branches.
    if (hN < HEALTH_LOG_SIZE) {
      store<u32>(tbl + (usize(T_NOTE_COUNT) << 2), nNoted);
      const head0 = head;
      head = applySensorRun(tbl, head, limit, toCur < toN ? getF(toTime, toCur) : Infinity);
      nNoted = load<u32>(tbl + (usize(T_NOTE_COUNT) << 2));
      applied += head - head0;
    }
    if (head >= touched) {
      touched = min(head + TOUCH_AHEAD, tail);
      sink += touchRecords(pWords, bays, acc, head, touched);
    }
    // Next: the event at head if it is below the limit; first the timeouts before it (or before the limit).
    const t = head < tail ? getF(pTime, head) : limit;
    const bound = Math.min(t, limit);
    while (toCur < toN && getF(toTime, toCur) < bound) {
      if (hN >= HEALTH_LOG_SIZE) {
        status = APPLY_HEALTH_FULL;
        break;
      }
      const T = getF(toTime, toCur);
      const b = getU(toBay, u32(toCur));
      toCur++;
      const bt = bays + usize(b) * BAY_BYTES;
      const word = load<u32>(bt, B_WORD);
      if (marks !== 0) nNoted = noteRow(marks, noted, nNoted, word >>> BS_ROW, rows);
      const bs = u8(word);
      const fl = bs >> BS_FLAGS;
      if (
        (fl & BF_HAS_MSG) === 0 ||
        (fl & BF_OFFLINE) !== 0 ||
        base + f64(load<i32>(bt, B_LAST)) + timeoutMs !== T
      )
        continue;
      const st = bs & BS_STATE;
      const a = acc + rowOf(word) * ACC_BYTES;
      const d = we - T;
      if (st === OCCUPIED) {
        notePeak(a, T - ws);
        store<u32>(a, load<u32>(a, AB_OCC) - 1, AB_OCC);
        store<f64>(a, load<f64>(a, AB_OCC_MS) - d, AB_OCC_MS);
      }
      if (st !== UNKNOWN) {
        store<u32>(a, load<u32>(a, AB_KNOWN) - 1, AB_KNOWN);
        store<f64>(a, load<f64>(a, AB_KNOWN_MS) - d, AB_KNOWN_MS);
      }
      store<u32>(
        bt,
        (word & ~0xff) | u32(UNKNOWN | (((fl | BF_OFFLINE) & ~BF_START_KNOWN) << BS_FLAGS)),
        B_WORD,
      );
      store<i32>(bt, i32(T - base), B_SINCE);
      setU(hBay, u32(hN), b);
      setB(hCode, u32(hN), H_SILENT);
      setF(hTime, hN, T);
      hN++;
      silent++;
    }
    if (status !== APPLY_DONE) break;
    if (t >= limit) break;
    if (hN >= HEALTH_LOG_SIZE) {
      status = APPLY_HEALTH_FULL;
      break;
    }
    const p = pWords + usize(head) * (PENDING_STRIDE << 2);
    const kvf = load<u32>(p, 12);
    const kind = kvf & 0xff;
    if ((kvf & (FLAG_ZONE << 16)) !== 0 || kind >= K_ENTER) {
      if (sharded) {
        if (kind < K_PAYMENT_START) {
          const target = load<u32>(p);
          const zone = (kvf & (FLAG_ZONE << 16)) !== 0 ? target : getU(bayZone, target);
          if (zone < zoneLo || zone >= zoneHi) {
            head++;
            continue;
          }
        } else if (shardIndex !== 0) applied--; // the host counts it; only shard 0 keeps the count
      }
      status = APPLY_COLD;
      break;
    }
    if (sharded) {
      const target = load<u32>(p);
      if (target < bayLo || target >= bayHi) {
        head++;
        continue;
      }
    }
    const b = load<u32>(p);
    const bt = bays + usize(b) * BAY_BYTES;
    const word = load<u32>(bt, B_WORD);
    // An online sensor's park_start, park_end or scheduled_report is the fast run's, which stopped before it only
    // for the timeouts fired above: back to it (the rules below would give the same bay and window figures, but
    // the row's peak bookkeeping, which checkpoints keep, only at changes of the count).
    if (kind <= K_REPORT && (word & (u32(BF_OFFLINE) << BS_FLAGS)) === 0) continue;
    head++;
    applied++;
    if (marks !== 0) nNoted = noteRow(marks, noted, nNoted, word >>> BS_ROW, rows);
    const bs = u8(word);
    const st = bs & BS_STATE;
    let fl = bs >> BS_FLAGS;
    if ((fl & BF_OFFLINE) !== 0 && kind !== K_COMMS_LOST && kind !== K_DECOMMISSIONED) {
      fl &= ~(BF_OFFLINE | BF_DECOMMISSIONED);
      setU(hBay, u32(hN), b);
      setB(hCode, u32(hN), H_RECOVERED);
      setF(hTime, hN, t);
      hN++;
      recovered++;
    }
    fl |= BF_HAS_MSG;
    store<i32>(bt, i32(t - base), B_LAST);
    let next = st;
    let arrival: u32 = 0;
    let departure: u32 = 0;
    let dwell: f64 = -1;
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
        if (st === OCCUPIED && (fl & BF_START_KNOWN) !== 0) dwell = t - (base + f64(load<i32>(bt, B_SINCE)));
      }
    } else if (kind === K_REPORT) {
      const v = load<u32>(p, 8) !== 0 ? OCCUPIED : VACANT;
      if (st !== v) {
        next = v;
        fl &= ~BF_START_KNOWN;
      }
    } else if (kind === K_COMMS_LOST) {
      next = UNKNOWN;
      fl &= ~BF_START_KNOWN;
      if ((fl & BF_OFFLINE) === 0) {
        setU(hBay, u32(hN), b);
        setB(hCode, u32(hN), H_LOST);
        setF(hTime, hN, t);
        hN++;
        lost++;
      }
      fl |= BF_OFFLINE;
    } else if (kind === K_DECOMMISSIONED) {
      next = UNKNOWN;
      fl &= ~BF_START_KNOWN;
      if ((fl & BF_DECOMMISSIONED) === 0) {
        setU(hBay, u32(hN), b);
        setB(hCode, u32(hN), H_DECOMMISSIONED);
        setF(hTime, hN, t);
        hN++;
        decommissioned++;
      }
      fl |= BF_OFFLINE | BF_DECOMMISSIONED;
    }
    // comms_restored: back online (handled above); the state stays as it is until the sensor reports one.
    if (next !== st || departure !== 0 || arrival !== 0) {
      const a = acc + rowOf(word) * ACC_BYTES;
      store<u32>(a, load<u32>(a, AB_ARRIVALS) + arrival, AB_ARRIVALS);
      store<u32>(a, load<u32>(a, AB_DEPARTURES) + departure, AB_DEPARTURES);
      if (dwell >= 0) {
        store<f64>(a, load<f64>(a, AB_DWELL_SUM) + dwell, AB_DWELL_SUM);
        store<u32>(a, load<u32>(a, AB_DWELL_COUNT) + 1, AB_DWELL_COUNT);
      }
      if (next !== st) {
        const d = we - t;
        if (st === OCCUPIED) {
          notePeak(a, t - ws);
          store<u32>(a, load<u32>(a, AB_OCC) - 1, AB_OCC);
          store<f64>(a, load<f64>(a, AB_OCC_MS) - d, AB_OCC_MS);
        } else if (next === OCCUPIED) {
          notePeak(a, t - ws);
          store<u32>(a, load<u32>(a, AB_OCC) + 1, AB_OCC);
          store<f64>(a, load<f64>(a, AB_OCC_MS) + d, AB_OCC_MS);
        }
        if (st === UNKNOWN) {
          store<u32>(a, load<u32>(a, AB_KNOWN) + 1, AB_KNOWN);
          store<f64>(a, load<f64>(a, AB_KNOWN_MS) + d, AB_KNOWN_MS);
        } else if (next === UNKNOWN) {
          store<u32>(a, load<u32>(a, AB_KNOWN) - 1, AB_KNOWN);
          store<f64>(a, load<f64>(a, AB_KNOWN_MS) - d, AB_KNOWN_MS);
        }
        store<i32>(bt, i32(t - base), B_SINCE);
      }
    }
    store<u32>(bt, (word & ~0xff) | u32(next | (fl << BS_FLAGS)), B_WORD);
  }
  store<u32>(tbl + (usize(T_SINK) << 2), sink);
  store<u32>(tbl + (usize(T_NOTE_COUNT) << 2), nNoted);
  setReg(rg, R_HEAD, f64(head));
  setReg(rg, R_TO_CURSOR, f64(toCur));
  setReg(rg, R_H_COUNT, f64(hN));
  setReg(rg, R_APPLIED, reg(rg, R_APPLIED) + f64(applied));
  setReg(rg, R_RECOVERED, reg(rg, R_RECOVERED) + f64(recovered));
  setReg(rg, R_LOST, reg(rg, R_LOST) + f64(lost));
  setReg(rg, R_DECOMMISSIONED, reg(rg, R_DECOMMISSIONED) + f64(decommissioned));
  setReg(rg, R_SILENT, reg(rg, R_SILENT) + f64(silent));
  return status;
}

// ---- sortPending (src/occupancy/pending.ts) ----

/** comparePending: negative when pending event a sorts before b, 0 when equal, positive after. */
function comparePending(pTime: usize, pWords: usize, a: i32, b: i32): i32 {
  const ta = getF(pTime, a);
  const tb = getF(pTime, b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  const pa = pWords + usize(a) * (PENDING_STRIDE << 2);
  const pb = pWords + usize(b) * (PENDING_STRIDE << 2);
  let x = load<u32>(pa);
  let y = load<u32>(pb);
  if (x !== y) return x < y ? -1 : 1;
  x = load<u32>(pa, 12);
  y = load<u32>(pb, 12);
  if (x !== y) return x < y ? -1 : 1;
  x = load<u32>(pa, 4);
  y = load<u32>(pb, 4);
  if (x !== y) return x < y ? -1 : 1;
  x = load<u32>(pa, 8);
  y = load<u32>(pb, 8);
  if (x !== y) return x < y ? -1 : 1;
  x = load<u32>(pa, 16);
  y = load<u32>(pb, 16);
  return x === y ? 0 : x < y ? -1 : 1;
}

/** keyBefore: whether the key sorts strictly before pending event a. */
function keyBefore(
  pTime: usize,
  pWords: usize,
  a: i32,
  t: f64,
  target: u32,
  kvf: u32,
  seq: u32,
  value: u32,
  device: u32,
): bool {
  const ta = getF(pTime, a);
  if (t !== ta) return t < ta;
  const p = pWords + usize(a) * (PENDING_STRIDE << 2);
  if (target !== load<u32>(p)) return target < load<u32>(p);
  if (kvf !== load<u32>(p, 12)) return kvf < load<u32>(p, 12);
  if (seq !== load<u32>(p, 4)) return seq < load<u32>(p, 4);
  if (value !== load<u32>(p, 8)) return value < load<u32>(p, 8);
  return device < load<u32>(p, 16);
}

/**
 * sortPending of src/occupancy/pending.ts. The caller must have made the scratch arrays (T_S_*) hold
 * at least tail − head events whenever the pending buffer is marked unsorted.
 */
export function sortPending(tbl: usize): void {
  const rg = ptr(tbl, T_REG);
  const from = reg(rg, R_UNSORTED);
  if (from < 0) return;
  const head = i32(reg(rg, R_HEAD));
  const tail = i32(reg(rg, R_TAIL));
  setReg(rg, R_UNSORTED, -1);
  const f = i32(from);
  const start = max<i32>(f, head + 1);
  const stop = insertionSort(tbl, head, start, tail);
  if (stop < tail) mergeRun(tbl, head, stop, tail);
}

// INSERTION_MOVES_SLACK and INSERTION_MOVES_PER_EVENT of src/occupancy/pending.ts (why: see there).
const INSERTION_MOVES_SLACK: f64 = 8192;
const INSERTION_MOVES_PER_EVENT: f64 = 8;

/**
 * insertionSort of src/occupancy/pending.ts, with the same budget but spent differently: each event's place is
 * found by a binary search in the sorted prefix, and the events after it move up in one copy. An event whose
 * moves would exceed the budget is left, and the run from it goes to the merge sort, before anything is moved
 * (the JS version moves events one by one and finds out while it moves them). The result is the same sorted
 * buffer whichever path sorts which part.
 */
function insertionSort(tbl: usize, head: i32, from: i32, tail: i32): i32 {
  const pTime = ptr(tbl, T_P_TIME);
  const pWords = ptr(tbl, T_P_WORDS);
  let moved: f64 = 0;
  for (let i = from; i < tail; i++) {
    if (comparePending(pTime, pWords, i - 1, i) <= 0) continue;
    const t = getF(pTime, i);
    const q = pWords + usize(i) * (PENDING_STRIDE << 2);
    const w0 = load<u32>(q);
    const w1 = load<u32>(q, 4);
    const w2 = load<u32>(q, 8);
    const w3 = load<u32>(q, 12);
    const w4 = load<u32>(q, 16);
    // The first event of [head, i − 1) the key sorts strictly before (event i − 1 is one: checked above).
    let lo = head;
    let hi = i - 1;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (keyBefore(pTime, pWords, m, t, w0, w3, w1, w2, w4)) hi = m;
      else lo = m + 1;
    }
    const moves = f64(i - lo);
    if (moved + moves > INSERTION_MOVES_PER_EVENT * f64(i - from) + INSERTION_MOVES_SLACK) return i;
    moved += moves;
    memory.copy(pTime + (usize(lo + 1) << 3), pTime + (usize(lo) << 3), usize(i - lo) << 3);
    const at = pWords + usize(lo) * (PENDING_STRIDE << 2);
    memory.copy(at + (PENDING_STRIDE << 2), at, usize(i - lo) * (PENDING_STRIDE << 2));
    setF(pTime, lo, t);
    store<u32>(at, w0);
    store<u32>(at, w1, 4);
    store<u32>(at, w2, 8);
    store<u32>(at, w3, 12);
    store<u32>(at, w4, 16);
  }
  return tail;
}

// ---- radix sort of a run (wasm only) ----
// The JS reference sorts a run with a merge sort over indices; here a stable LSD radix sort on the event
// time (3 passes of 11 bits over time − the run's earliest, which spans at most the allowed lateness), then
// an insertion sort by the rest of the total order inside each group of equal times. The order is total (equal
// keys are identical events), so any correct sort leaves the same bytes: the differential tests compare them.
const RADIX_BITS: u32 = 11;
const RADIX_SIZE: u32 = 1 << RADIX_BITS;

/**
 * Sorts the indices of run [mid, mid + n) by the total order into `a` or `b` (both n u32); the sort scratch
 * columns (sTime, sWords) serve as key and count space. Returns the buffer holding the result, or 0 when the
 * run's times span 2^32 ms or more (the caller then merge-sorts).
 */
function radixRun(tbl: usize, a: usize, b: usize, mid: i32, n: i32): usize {
  const pTime = ptr(tbl, T_P_TIME);
  const pWords = ptr(tbl, T_P_WORDS);
  let tmin = getF(pTime, mid);
  let tmax = tmin;
  for (let k = 1; k < n; k++) {
    const t = getF(pTime, mid + k);
    if (t < tmin) tmin = t;
    if (t > tmax) tmax = t;
  }
  if (tmax - tmin >= 4294967296.0) return 0;
  // Keys ping-pong in sWords (5 u32 per scratch event, so 2 n fit); counts in sTime (at least 1024 f64).
  let ka = ptr(tbl, T_S_WORDS);
  let kb = ka + (usize(n) << 2);
  const counts = ptr(tbl, T_S_TIME);
  for (let k = 0; k < n; k++) {
    setU(a, u32(k), u32(mid + k));
    setU(ka, u32(k), u32(getF(pTime, mid + k) - tmin));
  }
  for (let shift: u32 = 0; shift < 32; shift += RADIX_BITS) {
    memory.fill(counts, 0, usize(RADIX_SIZE) << 2);
    for (let k = 0; k < n; k++) {
      const d = (getU(ka, u32(k)) >>> shift) & (RADIX_SIZE - 1);
      setU(counts, d, getU(counts, d) + 1);
    }
    // One digit for every key: this pass would move nothing.
    if (getU(counts, (getU(ka, 0) >>> shift) & (RADIX_SIZE - 1)) === u32(n)) continue;
    let sum: u32 = 0;
    for (let d: u32 = 0; d < RADIX_SIZE; d++) {
      const c = getU(counts, d);
      setU(counts, d, sum);
      sum += c;
    }
    for (let k = 0; k < n; k++) {
      const key = getU(ka, u32(k));
      const d = (key >>> shift) & (RADIX_SIZE - 1);
      const at = getU(counts, d);
      setU(counts, d, at + 1);
      setU(kb, at, key);
      setU(b, at, getU(a, u32(k)));
    }
    const x = a;
    a = b;
    b = x;
    const y = ka;
    ka = kb;
    kb = y;
  }
  // Equal times: insertion sort by the whole key (groups are small; identical events may stay in any order).
  for (let k = 1; k < n; k++) {
    const key = getU(ka, u32(k));
    if (key !== getU(ka, u32(k - 1))) continue;
    const v = getU(a, u32(k));
    let j = k;
    while (
      j > 0 &&
      getU(ka, u32(j - 1)) === key &&
      comparePending(pTime, pWords, i32(v), i32(getU(a, u32(j - 1)))) < 0
    ) {
      setU(a, u32(j), getU(a, u32(j - 1)));
      j--;
    }
    setU(a, u32(j), v);
  }
  return a;
}

function mergeRun(tbl: usize, head: i32, mid: i32, tail: i32): void {
  const pTime = ptr(tbl, T_P_TIME);
  const pWords = ptr(tbl, T_P_WORDS);
  const n = tail - mid;
  let a = ptr(tbl, T_S_IDX);
  let b = ptr(tbl, T_S_IDX2);
  const radix = radixRun(tbl, a, b, mid, n);
  if (radix !== 0) a = radix;
  else for (let k = 0; k < n; k++) setU(a, u32(k), u32(mid + k));
  for (let width = radix !== 0 ? n : 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const m = min<i32>(lo + width, n);
      const hi = min<i32>(lo + 2 * width, n);
      let i = lo;
      let j = m;
      let k = lo;
      while (i < m && j < hi) {
        const aj = getU(a, u32(j));
        const ai = getU(a, u32(i));
        if (comparePending(pTime, pWords, i32(aj), i32(ai)) < 0) {
          setU(b, u32(k++), aj);
          j++;
        } else {
          setU(b, u32(k++), ai);
          i++;
        }
      }
      while (i < m) setU(b, u32(k++), getU(a, u32(i++)));
      while (j < hi) setU(b, u32(k++), getU(a, u32(j++)));
    }
    const x = a;
    a = b;
    b = x;
  }
  let lo = head;
  let hi = mid;
  const first = i32(getU(a, 0));
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (comparePending(pTime, pWords, m, first) <= 0) lo = m + 1;
    else hi = m;
  }
  const start = lo;
  // The run, in order, into the scratch columns; then a merge from the back: each slot from the tail down takes
  // the later of the prefix's last unmerged event and the run's, so the prefix's events move once, in place (a
  // slot is written only after the prefix event it held was moved: it lies at least as far on as the events
  // of the run still to place), and the prefix before `start` stays where it is.
  const sTime = ptr(tbl, T_S_TIME);
  const sWords = ptr(tbl, T_S_WORDS);
  for (let k = 0; k < n; k++) {
    const src = i32(getU(a, u32(k)));
    setF(sTime, k, getF(pTime, src));
    memory.copy(
      sWords + usize(k) * (PENDING_STRIDE << 2),
      pWords + usize(src) * (PENDING_STRIDE << 2),
      PENDING_STRIDE << 2,
    );
  }
  let i = mid - 1;
  let j = n - 1;
  let k = tail - 1;
  while (j >= 0) {
    const to = pWords + usize(k) * (PENDING_STRIDE << 2);
    if (i >= start && runBefore(sTime, sWords, j, pTime, pWords, i)) {
      setF(pTime, k, getF(pTime, i));
      memory.copy(to, pWords + usize(i) * (PENDING_STRIDE << 2), PENDING_STRIDE << 2);
      i--;
    } else {
      setF(pTime, k, getF(sTime, j));
      memory.copy(to, sWords + usize(j) * (PENDING_STRIDE << 2), PENDING_STRIDE << 2);
      j--;
    }
    k--;
  }
}

/** Whether scratch event j (in sTime, sWords) sorts strictly before pending event i (the total order). */
function runBefore(sTime: usize, sWords: usize, j: i32, pTime: usize, pWords: usize, i: i32): bool {
  const q = sWords + usize(j) * (PENDING_STRIDE << 2);
  return keyBefore(
    pTime,
    pWords,
    i,
    getF(sTime, j),
    load<u32>(q),
    load<u32>(q, 12),
    load<u32>(q, 4),
    load<u32>(q, 8),
    load<u32>(q, 16),
  );
}

// ---- de-duplication keys (src/occupancy/dedup.ts, device-keys.ts) ----

const K_ID: u8 = 2;
const K_HASH: u8 = 3;
const FLAG_ID_HASH: u32 = 1;
const FLAG_SESSION_HASH: u32 = 4;
const NO_DEVICE: u32 = 0xffffffff;

function slotU(tbl: usize, slot: i32): u32 {
  return load<u32>(tbl + (usize(slot) << 2));
}
function setSlotU(tbl: usize, slot: i32, v: u32): void {
  store<u32>(tbl + (usize(slot) << 2), v);
}

/** mix32 of src/occupancy/dedup.ts: Murmur3's 32-bit finaliser. */
function mix32(x: u32): u32 {
  let h = x ^ (x >>> 16);
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  return h ^ (h >>> 16);
}

/**
 * DeviceKeys.resolveRange of src/occupancy/device-keys.ts: resolves the sequence keys of events [from, end) of
 * the batch whose u32 words start at byte `words` into dedupRef at 2 (i mod DEDUP_CHUNK), adding new entries
 * (time NaN), and sets every id ref (at 2 (i mod DEDUP_CHUNK) + 1) to 0, the sentinel. The host reserved room
 * for end − from entries; the new entry count is written back to T_SK_COUNT. Returns the number of events whose
 * sequence word holds an event-id hash (their id keys are the host's to resolve; none: nothing left to do).
 */
export function resolveSeqs(tbl: usize, words: usize, from: i32, end: i32, baseTimeMs: f64): i32 {
  const ref = ptr(tbl, T_DEDUP_REF);
  const time = ptr(tbl, T_DEDUP_SEQ_TIME);
  const sw = ptr(tbl, T_SK_WORDS);
  const kSlot = ptr(tbl, T_SK_SLOT);
  const kSeq = ptr(tbl, T_SK_SEQ);
  const kT = ptr(tbl, T_SK_T);
  const kNext = ptr(tbl, T_SK_NEXT);
  const deviceCount = slotU(tbl, T_SK_DEVICES);
  let count = slotU(tbl, T_SK_COUNT);
  let hashed = 0;
  // Own admission (see admitEvents): other shards' events keep the sentinels (admitEvents does not look them
  // up). Their refs are cleared, then the own events are listed (without a branch: own and other events
  // interleave at random) and only those resolved.
  const own = slotU(tbl, T_OWN_ADMIT) !== 0;
  let list: usize = 0;
  let listed = 0;
  if (own) {
    const bayLo = slotU(tbl, T_SHARD_BAY_LO);
    const bayHi = slotU(tbl, T_SHARD_BAY_HI);
    const zoneLo = slotU(tbl, T_SHARD_ZONE_LO);
    const zoneHi = slotU(tbl, T_SHARD_ZONE_HI);
    list = usize(slotU(tbl, T_OWN_LIST));
    memory.fill(ref + (usize(from & (DEDUP_CHUNK - 1)) << 3), 0, usize(end - from) << 3);
    for (let i = from; i < end; i++) {
      const o = words + usize(i) * (WORDS_PER_EVENT << 2);
      const zoneTarget = ((load<u32>(o, W_KVF << 2) >>> 16) & FLAG_ZONE) !== 0;
      const target = load<u32>(o, W_TARGET << 2);
      const lo = zoneTarget ? zoneLo : bayLo;
      const hi = zoneTarget ? zoneHi : bayHi;
      store<u32>(list + (usize(listed) << 2), u32(i));
      listed += i32(target >= lo) & i32(target < hi);
    }
  }
  const n = own ? listed : end - from;
  for (let k = 0; k < n; k++) {
    const i = own ? i32(load<u32>(list + (usize(k) << 2))) : from + k;
    const o = words + usize(i) * (WORDS_PER_EVENT << 2);
    const flags = (load<u32>(o, W_KVF << 2) >>> 16) & 0xff;
    const q = ref + (usize(i & (DEDUP_CHUNK - 1)) << 3);
    if ((flags & (FLAG_ID_HASH | FLAG_SESSION_HASH)) !== 0) {
      store<u64>(q, 0);
      hashed += i32((flags & FLAG_ID_HASH) !== 0);
      continue;
    }
    const target = load<u32>(o, W_TARGET << 2);
    const device = load<u32>(o, W_DEVICE << 2);
    const slot = device !== NO_DEVICE ? device : (flags & FLAG_ZONE) !== 0 ? deviceCount + target : target;
    const seq = load<u32>(o, W_SEQ << 2);
    const t = baseTimeMs + f64(load<u32>(o, W_TIME << 2));
    const at = sw + (usize(slot) << 4);
    const head = u32(load<f64>(at, 8));
    let e: u32 = 0;
    // An event later than every key on its slot (most are) is new: no search.
    if (i32(head !== 0) & i32(t <= load<f64>(at))) {
      for (e = head; e !== 0; e = load<u32>(kNext + (usize(e) << 2))) {
        if (load<f64>(kT + (usize(e) << 3)) === t && load<u32>(kSeq + (usize(e) << 2)) === seq) break;
      }
    } else store<f64>(at, t);
    if (e === 0) {
      e = count++;
      store<u32>(kSlot + (usize(e) << 2), slot);
      store<u32>(kSeq + (usize(e) << 2), seq);
      store<f64>(kT + (usize(e) << 3), t);
      store<u32>(kNext + (usize(e) << 2), head);
      store<f64>(at, f64(e), 8);
      store<f64>(time + (usize(e) << 3), NaN);
    }
    store<u64>(q, u64(e));
  }
  setSlotU(tbl, T_SK_COUNT, count);
  return hashed;
}

/** How many events ahead resolveIds loads the first table slot of an event's probe. */
const ID_PROBE_AHEAD = 16;

/**
 * DedupMemory.resolveIds of src/occupancy/dedup.ts: resolves the id keys of events [from, end) of a batch in this
 * memory, whose event_id vector's first element offset is at byte `ids`, into dedupRef at 2 (i mod DEDUP_CHUNK)
 * + 1: the same Murmur3 hash (four bytes at a time, the last 0–3, the finaliser) and linear probe; a new key is
 * added (time NaN) with its bytes copied into the id arena. The host reserved room for end − from entries and
 * their bytes; the entry count and arena bytes in use are written back.
 */
export function resolveIds(tbl: usize, ids: usize, from: i32, end: i32): void {
  const ref = ptr(tbl, T_DEDUP_REF);
  const time = ptr(tbl, T_DEDUP_TIME);
  const table = ptr(tbl, T_ID_TABLE);
  const mask = slotU(tbl, T_ID_MASK);
  const kType = ptr(tbl, T_ID_TYPE);
  const kHash = ptr(tbl, T_ID_HASH);
  const idOff = ptr(tbl, T_ID_OFF);
  const idLen = ptr(tbl, T_ID_LEN);
  const arena = ptr(tbl, T_ID_ARENA);
  let count = slotU(tbl, T_ID_COUNT);
  let used = slotU(tbl, T_ID_USED);
  let sink: u32 = 0;
  // Two passes: every hash first (into the id-ref slots, which the second pass overwrites with the entry), then
  // the probes. A probe is a cache miss in a table larger than the cache; with the hashing out of the loop, an
  // iteration is short enough that the processor runs the next events' probes while one waits for memory.
  for (let i = from; i < end; i++) {
    const pos = ids + (usize(i) << 2);
    const p = pos + usize(load<u32>(pos));
    store<u32>(ref + (usize(i & (DEDUP_CHUNK - 1)) << 3), idHash(p + 4, load<u32>(p)), 4);
  }
  for (let i = from; i < end; i++) {
    const pos = ids + (usize(i) << 2);
    const p = pos + usize(load<u32>(pos));
    const len = load<u32>(p);
    const at = p + 4;
    const q = ref + (usize(i & (DEDUP_CHUNK - 1)) << 3);
    const h = load<u32>(q, 4);
    // Loads the first table slot of the event ID_PROBE_AHEAD ahead (its hash is in its ref already), so that its
    // probe finds the slot in the cache: the entries and id bytes this loop appends evict the table.
    if (i + ID_PROBE_AHEAD < end) {
      const ahead = load<u32>(ref + (usize((i + ID_PROBE_AHEAD) & (DEDUP_CHUNK - 1)) << 3), 4);
      sink += load<u32>(table + (usize(ahead & mask) << 3));
    }
    let slot = h & mask;
    let e = load<u32>(table + (usize(slot) << 3));
    while (e !== 0) {
      if (
        load<u32>(table + (usize(slot) << 3), 4) === h &&
        load<u8>(kType + usize(e)) === K_ID &&
        load<u32>(idLen + (usize(e) << 2)) === len &&
        sameBytes(arena + usize(load<u32>(idOff + (usize(e) << 2))), at, len)
      )
        break;
      slot = (slot + 1) & mask;
      e = load<u32>(table + (usize(slot) << 3));
    }
    if (e === 0) {
      e = count++;
      addIdKey(kType, kHash, idOff, idLen, time, table, e, K_ID, h, used, len, slot);
      copyBytes(arena + usize(used), at, len);
      used += len;
    }
    store<u32>(q, e, 4);
  }
  setSlotU(tbl, T_ID_COUNT, count);
  setSlotU(tbl, T_ID_USED, used);
  store<u32>(tbl + (usize(T_SINK) << 2), sink);
}

/**
 * DedupMemory.resolveIdHashes of src/occupancy/dedup.ts: the id keys of events [from, end) of a batch without
 * event ids, whose u32 words start at byte `words`: an event flagged with an id hash gets the key (its
 * de-duplication slot, the hash in its sequence word), resolved into dedupRef at 2 (i mod DEDUP_CHUNK) + 1 by the
 * same hash and probe, a new key added (time NaN, no id bytes). Other events' id refs are left as resolveSeqs set
 * them (0). The host reserved room for end − from entries; the entry count is written back.
 */
export function resolveIdHashes(tbl: usize, words: usize, from: i32, end: i32, deviceCount: u32): void {
  const ref = ptr(tbl, T_DEDUP_REF);
  const time = ptr(tbl, T_DEDUP_TIME);
  const table = ptr(tbl, T_ID_TABLE);
  const mask = slotU(tbl, T_ID_MASK);
  const kType = ptr(tbl, T_ID_TYPE);
  const kA = ptr(tbl, T_ID_A);
  const kB = ptr(tbl, T_ID_B);
  const kHash = ptr(tbl, T_ID_HASH);
  const idOff = ptr(tbl, T_ID_OFF);
  const idLen = ptr(tbl, T_ID_LEN);
  const used = slotU(tbl, T_ID_USED);
  let count = slotU(tbl, T_ID_COUNT);
  for (let i = from; i < end; i++) {
    const o = words + usize(i) * (WORDS_PER_EVENT << 2);
    const flags = (load<u32>(o, W_KVF << 2) >>> 16) & 0xff;
    if ((flags & FLAG_ID_HASH) === 0) continue;
    const device = load<u32>(o, W_DEVICE << 2);
    const target = load<u32>(o, W_TARGET << 2);
    const a = device !== NO_DEVICE ? device : (flags & FLAG_ZONE) !== 0 ? deviceCount + target : target;
    const b = load<u32>(o, W_SEQ << 2);
    const h = mix32((((a ^ 0x9e3779b9) * 0x85ebca6b) ^ b) * 0xc2b2ae35);
    let slot = h & mask;
    let e = load<u32>(table + (usize(slot) << 3));
    while (e !== 0) {
      if (
        load<u32>(table + (usize(slot) << 3), 4) === h &&
        load<u8>(kType + usize(e)) === K_HASH &&
        load<u32>(kA + (usize(e) << 2)) === a &&
        load<u32>(kB + (usize(e) << 2)) === b
      )
        break;
      slot = (slot + 1) & mask;
      e = load<u32>(table + (usize(slot) << 3));
    }
    if (e === 0) {
      e = count++;
      addIdKey(kType, kHash, idOff, idLen, time, table, e, K_HASH, h, used, 0, slot);
      store<u32>(kA + (usize(e) << 2), a);
      store<u32>(kB + (usize(e) << 2), b);
    }
    store<u32>(ref + (usize(i & (DEDUP_CHUNK - 1)) << 3), e, 4);
  }
  setSlotU(tbl, T_ID_COUNT, count);
}

/**
 * DedupMemory.add of src/occupancy/dedup.ts without the id bytes: writes entry `e` of the id-key columns (type,
 * hash, id bytes at `off`, `len` of them, time NaN) and puts it with its hash into the free table slot `slot`.
 */
function addIdKey(
  kType: usize,
  kHash: usize,
  idOff: usize,
  idLen: usize,
  time: usize,
  table: usize,
  e: u32,
  type: u8,
  h: u32,
  off: u32,
  len: u32,
  slot: u32,
): void {
  store<u8>(kType + usize(e), type);
  store<u32>(kHash + (usize(e) << 2), h);
  store<u32>(idOff + (usize(e) << 2), off);
  store<u32>(idLen + (usize(e) << 2), len);
  store<f64>(time + (usize(e) << 3), NaN);
  store<u32>(table + (usize(slot) << 3), e);
  store<u32>(table + (usize(slot) << 3), h, 4);
}

/**
 * The id hash of DedupMemory.resolveIds (src/occupancy/dedup.ts) over `len` bytes at `at`: Murmur3, four bytes at
 * a time as little-endian words, then the last 0–3, then the finaliser over h ^ len.
 */
function idHash(at: usize, len: u32): u32 {
  let h: u32 = 0x9747b28c;
  const stop = at + usize(len & ~3);
  let k = at;
  for (; k < stop; k += 4) {
    let w = load<u32>(k);
    w *= 0xcc9e2d51;
    w = rotl<u32>(w, 15) * 0x1b873593;
    h ^= w;
    h = rotl<u32>(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  const rest = len & 3;
  if (rest !== 0) {
    let w: u32 = 0;
    for (let j = rest; j > 0; j--) w = (w << 8) | u32(load<u8>(k + usize(j) - 1));
    w *= 0xcc9e2d51;
    h ^= rotl<u32>(w, 15) * 0x1b873593;
  }
  return mix32(h ^ len);
}

/** Copies `len` bytes from `y` to `x` (ids are short: a loop, where memory.copy of a shared memory calls out). */
function copyBytes(x: usize, y: usize, len: u32): void {
  let k: usize = 0;
  const n = usize(len);
  for (; k + 4 <= n; k += 4) store<u32>(x + k, load<u32>(y + k));
  for (; k < n; k++) store<u8>(x + k, load<u8>(y + k));
}

function sameBytes(x: usize, y: usize, len: u32): bool {
  let k: usize = 0;
  const n = usize(len);
  for (; k + 4 <= n; k += 4) if (load<u32>(x + k) !== load<u32>(y + k)) return false;
  for (; k < n; k++) if (load<u8>(x + k) !== load<u8>(y + k)) return false;
  return true;
}

// ---- verification scans (the word scans of src/wire/verify.ts, over a batch lying in this memory) ----

/**
 * firstSuspectEvent of src/wire/verify.ts over the `count` structs at byte `events`: the index of the first event
 * whose kind is ≥ kindCount, vehicle class ≥ vehicleCodes, flags outside `flagsAll`, reserved byte not 0, target
 * not below zoneCount (zone events) or bayCount, or device neither NO_DEVICE nor below deviceCount; `count` when
 * none is. When none is, the lowest and highest time offsets are written at `out` and `out + 4`. The limits are
 * f64 so that 2^32 (no catalogue) is a limit no u32 reaches.
 */
export function scanEvents(
  events: usize,
  count: u32,
  kindCount: u32,
  vehicleCodes: u32,
  flagsAll: u32,
  bayCount: f64,
  zoneCount: f64,
  deviceCount: f64,
  out: usize,
): u32 {
  const badFlags: u32 = (~flagsAll & 0xff) << 16;
  const zoneFlag: u32 = FLAG_ZONE << 16;
  let lo: u32 = 0xffffffff;
  let hi: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const o = events + usize(i) * (WORDS_PER_EVENT << 2);
    const t = load<u32>(o, W_TIME << 2);
    lo = min(lo, t);
    hi = max(hi, t);
    const kvf = load<u32>(o, W_KVF << 2);
    if (
      (kvf & 0xff) >= kindCount ||
      ((kvf >>> 8) & 0xff) >= vehicleCodes ||
      (kvf & badFlags) !== 0 ||
      kvf >>> 24 !== 0
    )
      return i;
    if (f64(load<u32>(o, W_TARGET << 2)) >= ((kvf & zoneFlag) !== 0 ? zoneCount : bayCount)) return i;
    const device = load<u32>(o, W_DEVICE << 2);
    if (device !== NO_DEVICE && f64(device) >= deviceCount) return i;
  }
  store<u32>(out, lo);
  store<u32>(out, hi, 4);
  return count;
}

/**
 * firstSuspectString of src/wire/verify.ts over the buffer of `len` bytes at byte `base`: strings [0, n) of the
 * vector whose element offsets start at offset `at` must each lead to a 4-aligned length inside the buffer, with
 * the string and its zero terminator inside it. Returns the first string that fails, n when none does; writes
 * the total and longest length of the strings before it at `out` and `out + 4`. Offsets are summed in 64 bits,
 * as the JavaScript scan does in doubles.
 */
export function scanStrings(base: usize, len: u32, at: u32, n: u32, out: usize): u32 {
  const size = u64(len);
  let total: u32 = 0;
  let longest: u32 = 0;
  let i: u32 = 0;
  for (let pos = u64(at); i < n; i++, pos += 4) {
    const s = pos + u64(load<u32>(base + usize(pos)));
    if ((s & 3) !== 0 || s + 4 > size) break;
    const m = u64(load<u32>(base + usize(s)));
    if (s + 5 + m > size || load<u8>(base + usize(s + 4 + m)) !== 0) break;
    total += u32(m);
    longest = max(longest, u32(m));
  }
  store<u32>(out, total);
  store<u32>(out, longest, 4);
  return i;
}

/**
 * WindowRows.noteApplied of src/occupancy/windows.ts: adds to the touched-row list the window row of the bay of
 * every pending event [head0, head) that is a bay event, and of every timeout list entry [cursor0, cursor): a row
 * not yet marked in `inTouched` (a u8 per row) is marked and appended to `touched` (u32) at `n`. Rows ≥ `rows`
 * (bays without one) are skipped. Returns the new length of the list.
 */
export function noteRows(
  tbl: usize,
  head0: u32,
  head: u32,
  cursor0: u32,
  cursor: u32,
  rows: u32,
  inTouched: usize,
  touched: usize,
  n: u32,
): u32 {
  const pWords = ptr(tbl, T_P_WORDS);
  const bays = ptr(tbl, T_BAYS);
  const toBay = ptr(tbl, T_TO_BAY);
  for (let h = head0; h < head; h++) {
    const p = pWords + usize(h) * (PENDING_STRIDE << 2);
    const kvf = load<u32>(p, 12);
    if ((kvf & (FLAG_ZONE << 16)) !== 0 || (kvf & 0xff) >= K_ENTER) continue;
    const row = load<u32>(bays + usize(load<u32>(p)) * BAY_BYTES + B_WORD) >>> BS_ROW;
    if (row < rows && load<u8>(inTouched + usize(row)) === 0) {
      store<u8>(inTouched + usize(row), 1);
      store<u32>(touched + (usize(n++) << 2), row);
    }
  }
  for (let k = cursor0; k < cursor; k++) {
    const b = load<u32>(toBay + (usize(k) << 2));
    const row = load<u32>(bays + usize(b) * BAY_BYTES + B_WORD) >>> BS_ROW;
    if (row < rows && load<u8>(inTouched + usize(row)) === 0) {
      store<u8>(inTouched + usize(row), 1);
      store<u32>(touched + (usize(n++) << 2), row);
    }
  }
  return n;
}

// ---- closing window rows (closeRows of src/occupancy/rows.ts, for engines without zone-event state) ----

// Column table of closeRows: u32 byte offsets of a column set's columns and of the rows' capacity and method.
const C_OCCUPANCY = 0; // f64
const C_COVERAGE = 1; // f64
const C_MEAN_DWELL = 2; // f64
const C_CONFIDENCE = 3; // f64
const C_OCC_MS = 4; // f64
const C_KNOWN_MS = 5; // f64
const C_DRIFT = 6; // f64
const C_ARRIVALS = 7; // u32
const C_DEPARTURES = 8; // u32
const C_PEAK = 9; // u32
const C_DETECTION = 10; // u8
const C_CAPACITY = 11; // u32 per row (EngineState.rowCapacity)
const C_METHOD = 12; // u8 per row (EngineState.rowDetection)
const D_SENSORS: u8 = 0;
const D_BALANCING: u8 = 1;
const D_MANUAL: u8 = 2;
const D_MODEL: u8 = 3;
const AB_EPOCH = 48;

/** The first byte of column `c` of the column set described at `cols`. */
function colBase(cols: usize, c: i32): usize {
  return usize(load<u32>(cols + (usize(c) << 2)));
}

/**
 * closeRows of src/occupancy/rows.ts for an engine that never saw a zone event (EngineState.cold is null, so every
 * zone-event figure is at its default): writes the open window's rows into the column set described at `cols` and
 * resets each row for window `epoch` + 1 (resetRow). Rows: [lo, hi), or with `list` ≠ 0, the `count` u32 rows at
 * `list` that lie in [lo, hi). The same float64 operations in the same order as the JavaScript, so the same bits.
 * With `marks` ≠ 0 it notes, as rows.ts's RowChanges, each row whose figures differ from those the columns held or
 * that counted arrivals or departures: bit r of the u32 bitmap at `marks` set, the u32 at `at` + 4r set to `now`.
 */
export function closeRows(
  tbl: usize,
  cols: usize,
  lo: u32,
  hi: u32,
  list: usize,
  count: u32,
  windowMs: f64,
  epoch: u32,
  minCoverage: f64,
  marks: usize,
  at: usize,
  now: u32,
): void {
  closeSelected(tbl, cols, lo, hi, list, count, 0, windowMs, epoch, minCoverage, marks, at, now);
}

/**
 * closeRows, with a third way to name the rows: with `sel` ≠ 0 (and `list` 0), the rows r of [lo, lo + count) whose
 * u8 at `sel` + r is not 0, in ascending order (each row's columns and accumulator are then read and written in
 * memory order, where a list in the order rows were first touched goes all over them).
 */
function closeSelected(
  tbl: usize,
  cols: usize,
  lo: u32,
  hi: u32,
  list: usize,
  count: u32,
  sel: usize,
  windowMs: f64,
  epoch: u32,
  minCoverage: f64,
  marks: usize,
  at: usize,
  now: u32,
): void {
  const acc = ptr(tbl, T_ACC);
  // The columns' first bytes, read once (the loop's stores could alias the table for all the compiler knows).
  const cOcc = colBase(cols, C_OCCUPANCY);
  const cCov = colBase(cols, C_COVERAGE);
  const cDwell = colBase(cols, C_MEAN_DWELL);
  const cConf = colBase(cols, C_CONFIDENCE);
  const cOccMs = colBase(cols, C_OCC_MS);
  const cKnownMs = colBase(cols, C_KNOWN_MS);
  const cDrift = colBase(cols, C_DRIFT);
  const cArr = colBase(cols, C_ARRIVALS);
  const cDep = colBase(cols, C_DEPARTURES);
  const cPeak = colBase(cols, C_PEAK);
  const cDet = colBase(cols, C_DETECTION);
  const cCap = colBase(cols, C_CAPACITY);
  const cMethod = colBase(cols, C_METHOD);
  for (let i: u32 = 0; i < count; i++) {
    const r = list === 0 ? lo + i : load<u32>(list + (usize(i) << 2));
    if (r < lo || r >= hi) continue;
    if (sel !== 0 && load<u8>(sel + usize(r)) === 0) continue;
    const cap = load<u32>(cCap + (usize(r) << 2));
    const method = load<u8>(cMethod + usize(r));
    const a = acc + usize(r) * ACC_BYTES;
    let occMs = load<f64>(a, AB_OCC_MS);
    let knownMs = load<f64>(a, AB_KNOWN_MS);
    let dwellSum = load<f64>(a, AB_DWELL_SUM);
    let dwellCount = load<u32>(a, AB_DWELL_COUNT);
    let arrived = load<u32>(a, AB_ARRIVALS);
    let departed = load<u32>(a, AB_DEPARTURES);
    const occ = load<u32>(a, AB_OCC);
    let peak = max(load<u32>(a, AB_PEAK), occ);
    // resetRow: the row starts the next window.
    store<f64>(a, f64(occ) * windowMs, AB_OCC_MS);
    store<f64>(a, f64(load<u32>(a, AB_KNOWN)) * windowMs, AB_KNOWN_MS);
    store<f64>(a, 0, AB_DWELL_SUM);
    store<u32>(a, 0, AB_PEAK);
    store<u32>(a, 0, AB_LAST);
    store<u32>(a, 0, AB_ARRIVALS);
    store<u32>(a, 0, AB_DEPARTURES);
    store<u32>(a, 0, AB_DWELL_COUNT);
    store<u32>(a, epoch + 1, AB_EPOCH);
    if (method === D_MODEL) {
      // Payments are the figure of modelBased rows; without zone-event state they knew nothing.
      peak = 0;
      occMs = 0;
      knownMs = 0;
      dwellSum = 0;
      dwellCount = 0;
      arrived = 0;
      departed = 0;
    }
    const cov = knownMs / (f64(cap) * windowMs);
    const occupancy = knownMs > 0 && cov >= minCoverage ? occMs / knownMs : NaN;
    const dwell = dwellCount > 0 ? roundHalfUp(dwellSum / f64(dwellCount)) : NaN;
    let conf: f64 = 0;
    if (knownMs > 0) {
      if (method === D_SENSORS) conf = 1;
      else if (method === D_BALANCING) conf = f64(cap) / (f64(cap) + 0);
      else if (method === D_MANUAL) conf = 0;
      else conf = 0.5;
    }
    // As rows.ts: coverage and occupancy follow from the two sums; of the others only the mean dwell can be NaN.
    if (
      marks !== 0 &&
      ((arrived | departed) !== 0 ||
        arrived !== load<u32>(cArr + (usize(r) << 2)) ||
        departed !== load<u32>(cDep + (usize(r) << 2)) ||
        peak !== load<u32>(cPeak + (usize(r) << 2)) ||
        method !== load<u8>(cDet + usize(r)) ||
        occMs !== load<f64>(cOccMs + (usize(r) << 3)) ||
        knownMs !== load<f64>(cKnownMs + (usize(r) << 3)) ||
        conf !== load<f64>(cConf + (usize(r) << 3)) ||
        0 !== load<f64>(cDrift + (usize(r) << 3)) ||
        !same(dwell, load<f64>(cDwell + (usize(r) << 3))))
    ) {
      const w = marks + (usize(r >>> 5) << 2);
      store<u32>(w, load<u32>(w) | (u32(1) << (r & 31)));
      store<u32>(at + (usize(r) << 2), now);
    }
    store<u32>(cArr + (usize(r) << 2), arrived);
    store<u32>(cDep + (usize(r) << 2), departed);
    store<u32>(cPeak + (usize(r) << 2), peak);
    store<f64>(cOccMs + (usize(r) << 3), occMs);
    store<f64>(cKnownMs + (usize(r) << 3), knownMs);
    store<f64>(cCov + (usize(r) << 3), cov);
    store<f64>(cOcc + (usize(r) << 3), occupancy);
    store<f64>(cDwell + (usize(r) << 3), dwell);
    store<u8>(cDet + usize(r), method);
    store<f64>(cConf + (usize(r) << 3), conf);
    store<f64>(cDrift + (usize(r) << 3), 0);
  }
}

/** Equal figures: the same number, or both NaN. */
function same(a: f64, b: f64): bool {
  // biome-ignore lint/suspicious/noGlobalIsNan: AssemblyScript's builtin isNaN<f64>, no coercion
  return a === b || (isNaN(a) && isNaN(b));
}

/**
 * Copies the `n` rows (u32) at `list` of the 11 columns of the column set described at `cols` (the column table)
 * to the set `delta` bytes on.
 */
function copyRows(cols: usize, list: usize, n: u32, delta: usize): void {
  for (let c = C_OCCUPANCY; c <= C_DRIFT; c++) {
    const base = colBase(cols, c);
    for (let i: u32 = 0; i < n; i++) {
      const p = base + (usize(load<u32>(list + (usize(i) << 2))) << 3);
      store<f64>(p + delta, load<f64>(p));
    }
  }
  for (let c = C_ARRIVALS; c <= C_PEAK; c++) {
    const base = colBase(cols, c);
    for (let i: u32 = 0; i < n; i++) {
      const p = base + (usize(load<u32>(list + (usize(i) << 2))) << 2);
      store<u32>(p + delta, load<u32>(p));
    }
  }
  const base = colBase(cols, C_DETECTION);
  for (let i: u32 = 0; i < n; i++) {
    const p = base + usize(load<u32>(list + (usize(i) << 2)));
    store<u8>(p + delta, load<u8>(p));
  }
}

/**
 * listMarked and bringUpToDate of src/occupancy/windows.ts: writes the rows of [lo, hi) that closeRows marked in
 * the bitmap at `marks` as u32 at `out`, in ascending order, clears their marks and, after the first close (`now`
 * > 1), adds them to the active rows (u32 count at `active`, the rows after it; u8 flags at `isActive`). Returns
 * how many. With `span` > 0 it also brings the column set `delta` bytes after the one at `cols` (the same layout)
 * up to close `now`: when it holds close `held` = now − 1, the listed rows are copied; when an older one (`held`
 * > 0), the active rows whose `at` (u32 per row: the last close that listed it) is after `held` (listed first at
 * `scratch`, room for every row); when none (`held` = 0), or when those are more than a quarter of the rows, all
 * `span` bytes from the first column.
 */
export function listChanges(
  cols: usize,
  lo: u32,
  hi: u32,
  marks: usize,
  at: usize,
  now: u32,
  active: usize,
  isActive: usize,
  scratch: usize,
  held: u32,
  out: usize,
  delta: usize,
  span: usize,
): u32 {
  let n: u32 = 0;
  const listed = span > 0 && held + 1 === now;
  const track = now > 1;
  let count = load<u32>(active);
  if (hi > lo) {
    const last = (hi - 1) >>> 5;
    for (let w = lo >>> 5; w <= last; w++) {
      const p = marks + (usize(w) << 2);
      let bits = load<u32>(p);
      if (bits === 0) continue;
      store<u32>(p, 0);
      while (bits !== 0) {
        const r = (w << 5) + ctz(bits);
        bits &= bits - 1;
        store<u32>(out + (usize(n++) << 2), r);
        if (track && load<u8>(isActive + usize(r)) === 0) {
          store<u8>(isActive + usize(r), 1);
          store<u32>(active + (usize(++count) << 2), r);
        }
      }
    }
  }
  store<u32>(active, count);
  if (span === 0) return n;
  // Rows to copy: the listed ones, or the active ones listed since `held`; more than a quarter of the rows are
  // copied faster as the whole region.
  let list = out;
  let m = n;
  if (!listed && held > 0) {
    list = scratch;
    m = 0;
    for (let i: u32 = 1; i <= count; i++) {
      const r = load<u32>(active + (usize(i) << 2));
      if (load<u32>(at + (usize(r) << 2)) > held) store<u32>(scratch + (usize(m++) << 2), r);
    }
  }
  if (held > 0 && m <= (hi - lo) >>> 2) copyRows(cols, list, m, delta);
  else {
    const from = colBase(cols, C_OCCUPANCY);
    memory.copy(from + delta, from, span);
  }
  return n;
}

// Parameters of closeWindowRows (src/occupancy/windows.ts CP_*): f64 at `p` + 8 i, u32 at `p` + 4 i.
const CP_WINDOW_MS = 0; // f64
const CP_MIN_COVERAGE = 1; // f64
const CP_COLS = 4;
const CP_LO = 5;
const CP_HI = 6;
const CP_TOUCHED = 7;
const CP_N_TOUCHED = 8;
const CP_BEFORE = 9;
const CP_N_BEFORE = 10;
const CP_IN_TOUCHED = 11;
const CP_EPOCH = 12;
const CP_MARKS = 13;
const CP_AT = 14;
const CP_NOW = 15;
const CP_ACTIVE = 16;
const CP_IS_ACTIVE = 17;
const CP_HELD = 18;
const CP_OUT = 19;
const CP_DELTA = 20;
const CP_SPAN = 21;
const CP_SCRATCH = 22;
// Above this many touched rows (this window's and the one before's), the rows are closed in a sweep in row order:
// a list in the order rows were first touched reads and writes each row's accumulator and a dozen columns at
// scattered places, a sweep goes through them in memory order.
const CP_SWEEP = 23;

function cp(p: usize, i: i32): u32 {
  return load<u32>(p + (usize(i) << 2));
}

/**
 * WindowRows.close of src/occupancy/windows.ts for an engine without zone-event state, in one call, its parameters
 * at `p` (CP_*): closeRows of the `nTouched` rows at `touched`, then of the `nBefore` rows at `before` that
 * `inTouched` does not mark (the rows touched only in the window before), noting changes (`marks`, `at`, `now`);
 * when the two lists hold more than CP_SWEEP rows, the same rows in one sweep in row order instead; clears the marks
 * of `touched`; then, unless `out` is 0 (the marks are then left for the caller), listChanges (into `out`, bringing
 * the set `delta` bytes on up to date). Returns the number of rows listed. `before` is left in any order.
 */
export function closeWindowRows(tbl: usize, p: usize): u32 {
  const cols = usize(cp(p, CP_COLS));
  const lo = cp(p, CP_LO);
  const hi = cp(p, CP_HI);
  const touched = usize(cp(p, CP_TOUCHED));
  const nTouched = cp(p, CP_N_TOUCHED);
  const before = usize(cp(p, CP_BEFORE));
  const nBefore = cp(p, CP_N_BEFORE);
  const inTouched = usize(cp(p, CP_IN_TOUCHED));
  const windowMs = load<f64>(p + (usize(CP_WINDOW_MS) << 3));
  const minCoverage = load<f64>(p + (usize(CP_MIN_COVERAGE) << 3));
  const epoch = cp(p, CP_EPOCH);
  const marks = usize(cp(p, CP_MARKS));
  const at = usize(cp(p, CP_AT));
  const now = cp(p, CP_NOW);
  if (hi > lo && nTouched + nBefore > cp(p, CP_SWEEP)) {
    // Many rows: mark the rows touched only in the window before (2; touched ones hold 1) and close every marked
    // row of [lo, hi) in row order, clearing its mark.
    for (let i: u32 = 0; i < nBefore; i++) {
      const r = load<u32>(before + (usize(i) << 2));
      if (r >= lo && r < hi && load<u8>(inTouched + usize(r)) === 0) store<u8>(inTouched + usize(r), 2);
    }
    closeSelected(tbl, cols, lo, hi, 0, hi - lo, inTouched, windowMs, epoch, minCoverage, marks, at, now);
    memory.fill(inTouched + usize(lo), 0, usize(hi - lo));
  } else {
    closeRows(tbl, cols, lo, hi, touched, nTouched, windowMs, epoch, minCoverage, marks, at, now);
    let n: u32 = 0;
    for (let i: u32 = 0; i < nBefore; i++) {
      const r = load<u32>(before + (usize(i) << 2));
      if (load<u8>(inTouched + usize(r)) === 0) store<u32>(before + (usize(n++) << 2), r);
    }
    closeRows(tbl, cols, lo, hi, before, n, windowMs, epoch, minCoverage, marks, at, now);
  }
  // Touched rows outside [lo, hi) (another shard's) were marked too.
  for (let i: u32 = 0; i < nTouched; i++)
    store<u8>(inTouched + usize(load<u32>(touched + (usize(i) << 2))), 0);
  const out = usize(cp(p, CP_OUT));
  if (out === 0) return 0;
  const active = usize(cp(p, CP_ACTIVE));
  const isActive = usize(cp(p, CP_IS_ACTIVE));
  return listChanges(
    cols,
    lo,
    hi,
    marks,
    at,
    now,
    active,
    isActive,
    usize(cp(p, CP_SCRATCH)),
    cp(p, CP_HELD),
    out,
    cp(p, CP_DELTA),
    cp(p, CP_SPAN),
  );
}

/** Zeroes the `n` bytes at `at` (kernel memory handed out again to a new engine: see recycleKernelMemory). */
export function zeroBytes(at: usize, n: usize): void {
  memory.fill(at, 0, n);
}

/** JavaScript's Math.round: the nearest integer, halves toward +∞ (also right for 0.49999999999999994). */
function roundHalfUp(x: f64): f64 {
  const up = ceil(x);
  return up - 0.5 > x ? up - 1 : up;
}

/**
 * DedupMemory.rebuild of src/occupancy/dedup.ts, in place (same capacity and arena): keeps the entries whose time
 * is ≥ `wm` (with `all`, every entry whose time is not NaN), in their order, moving their columns and id bytes
 * down, and re-inserts them into the cleared table. Writes the entry count and arena bytes back.
 */
export function rebuildIds(tbl: usize, wm: f64, all: i32): void {
  const time = ptr(tbl, T_DEDUP_TIME);
  const table = ptr(tbl, T_ID_TABLE);
  const mask = slotU(tbl, T_ID_MASK);
  const kType = ptr(tbl, T_ID_TYPE);
  const kA = ptr(tbl, T_ID_A);
  const kB = ptr(tbl, T_ID_B);
  const kHash = ptr(tbl, T_ID_HASH);
  const idOff = ptr(tbl, T_ID_OFF);
  const idLen = ptr(tbl, T_ID_LEN);
  const arena = ptr(tbl, T_ID_ARENA);
  const count = slotU(tbl, T_ID_COUNT);
  memory.fill(table, 0, (usize(mask) + 1) << 3);
  let n: u32 = 1;
  let used: u32 = 0;
  for (let e: u32 = 1; e < count; e++) {
    const t = load<f64>(time + (usize(e) << 3));
    // biome-ignore lint/suspicious/noGlobalIsNan: AssemblyScript's builtin isNaN<f64>, no coercion
    if (all !== 0 ? isNaN(t) : !(t >= wm)) continue;
    const len = load<u32>(idLen + (usize(e) << 2));
    const h = load<u32>(kHash + (usize(e) << 2));
    const from = load<u32>(idOff + (usize(e) << 2));
    store<u8>(kType + usize(n), load<u8>(kType + usize(e)));
    store<u32>(kA + (usize(n) << 2), load<u32>(kA + (usize(e) << 2)));
    store<u32>(kB + (usize(n) << 2), load<u32>(kB + (usize(e) << 2)));
    store<u32>(kHash + (usize(n) << 2), h);
    store<u32>(idOff + (usize(n) << 2), used);
    store<u32>(idLen + (usize(n) << 2), len);
    // Bytes only move down (used ≤ from): a forward copy reads each word before anything overwrites it.
    if (used !== from) copyBytes(arena + usize(used), arena + usize(from), len);
    used += len;
    store<f64>(time + (usize(n) << 3), t);
    let i = h & mask;
    while (load<u32>(table + (usize(i) << 3)) !== 0) i = (i + 1) & mask;
    store<u32>(table + (usize(i) << 3), n);
    store<u32>(table + (usize(i) << 3), h, 4);
    n++;
  }
  store<f64>(time, NaN);
  setSlotU(tbl, T_ID_COUNT, n);
  setSlotU(tbl, T_ID_USED, used);
}

/**
 * DeviceKeys.rebuild of src/occupancy/device-keys.ts, in place (same capacity): empties the chains of every slot
 * with an entry (or of all `slots` slots, when that is cheaper), then keeps the entries whose time is ≥ `wm` (with `all`, every entry whose time is not NaN), in
 * their order, re-chaining each on its slot. Writes the entry count back.
 */
export function rebuildSeqs(tbl: usize, wm: f64, all: i32, slots: u32): void {
  const time = ptr(tbl, T_DEDUP_SEQ_TIME);
  const sw = ptr(tbl, T_SK_WORDS);
  const kSlot = ptr(tbl, T_SK_SLOT);
  const kSeq = ptr(tbl, T_SK_SEQ);
  const kT = ptr(tbl, T_SK_T);
  const kNext = ptr(tbl, T_SK_NEXT);
  const count = slotU(tbl, T_SK_COUNT);
  // Zeroing all slot words (16 bytes each, in order) costs less than a scattered store per entry once the
  // entries outnumber the slots by half (an empty chain's time word is never read, so both words may go).
  if (usize(count) * 2 >= usize(slots) * 3) memory.fill(sw, 0, usize(slots) << 4);
  else
    for (let e: u32 = 1; e < count; e++)
      store<f64>(sw + (usize(load<u32>(kSlot + (usize(e) << 2))) << 4), 0, 8);
  let n: u32 = 1;
  for (let e: u32 = 1; e < count; e++) {
    const at = load<f64>(time + (usize(e) << 3));
    // biome-ignore lint/suspicious/noGlobalIsNan: AssemblyScript's builtin isNaN<f64>, no coercion
    if (all !== 0 ? isNaN(at) : !(at >= wm)) continue;
    const slot = load<u32>(kSlot + (usize(e) << 2));
    const t = load<f64>(kT + (usize(e) << 3));
    store<u32>(kSlot + (usize(n) << 2), slot);
    store<u32>(kSeq + (usize(n) << 2), load<u32>(kSeq + (usize(e) << 2)));
    store<f64>(kT + (usize(n) << 3), t);
    store<f64>(time + (usize(n) << 3), at);
    const w = sw + (usize(slot) << 4);
    const head = u32(load<f64>(w, 8));
    store<u32>(kNext + (usize(n) << 2), head);
    store<f64>(w, f64(n), 8);
    if (head === 0 || t > load<f64>(w)) store<f64>(w, t);
    n++;
  }
  store<f64>(time, NaN);
  setSlotU(tbl, T_SK_COUNT, n);
}

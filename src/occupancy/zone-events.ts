/**
 * Zone events: gate counters, attendant counts and payment sessions. The kernel hands them to these host
 * functions (payment memory lives in payments.ts), keeping the same event-time order and the same "remaining
 * time" accumulators as the kernel; nothing is allocated per event.
 *
 * Which events count depends on the zone and class's detection method (city.detection):
 * - balancing (gate counters): enter_area / exit_area (value vehicles) and zone-level park_start / park_end
 *   (one vehicle) move the balance, clamped to [0, capacity]; what clamping removes is drift. An attendant
 *   count resets the balance and the drift. Known from the first gate event or count.
 * - manual (attendant counts): a manual_count holds until the next one; zone-level arrivals and departures
 *   are counted but do not move the count.
 * - singleSpaceDetection: zone events are accepted and ignored (the sensors decide).
 * - payments feed every zone and class: each open paid session counts as one vehicle present (clamped to
 *   capacity), from the first payment event on. They are the figure of modelBased zones and the fallback
 *   of any zone whose own method saw nothing in a window.
 */
import { DETECTION } from "../catalog/city.js";
import { VEHICLE_CODES } from "../catalog/vehicles.js";
import { KIND } from "../wire/kinds.js";
import { EV_KIND, EV_SEQ, EV_TARGET, EV_TIME_MS, EV_VALUE, FLAG_TARGET_ZONE } from "../wire/layout.js";
import type { EventBatchView } from "../wire/view.js";
import {
  AF_KNOWN_MS,
  AF_OCC_MS,
  AU_ARRIVALS,
  AU_DEPARTURES,
  AU_KNOWN,
  AU_OCC,
  DEDUP_CHUNK,
  notePeak,
  PENDING_STRIDE,
  R_ACCEPTED,
  R_APPLIED,
  R_DUPLICATE,
  R_HEAD,
  R_LATE,
  R_LATE_COUNT,
  R_MAX_SEEN,
  R_SESSIONS_EXPIRED,
  R_TAIL,
  R_UNKNOWN,
  R_UNSORTED,
  R_WATERMARK,
  R_WIN_END,
  R_WIN_START,
} from "./kernel.js";
import { OpenSessions, PaymentKeys, SessionKeys, TAG_END, TAG_START } from "./payments.js";
import { keyBefore } from "./pending.js";
import { currentRow } from "./rows.js";
import type { EngineState } from "./state.js";

/** Payment memory: recently seen (session, kind) keys and the open sessions in start order. */
export class PaymentBook {
  /** Exact numbers of the (zone, event_session_id) pairs in use. */
  readonly ids = new SessionKeys();
  /** Seen payment keys (session key, kind), oldest forgotten first. */
  readonly keys: PaymentKeys;
  /** Open sessions by session key, in the order they started. */
  readonly sessions: OpenSessions;
  constructor(
    sessionsMax: number,
    keysMax: number,
    readonly sessionTimeoutMs: number,
  ) {
    this.keys = new PaymentKeys(keysMax);
    this.sessions = new OpenSessions(sessionsMax);
  }
}

/** Sections of the payment memory in a checkpoint (all but pay.ids.bytes are u32 or f64 columns). */
export const PAYMENT_SECTIONS = [
  "pay.ids.zone",
  "pay.ids.len",
  "pay.ids.bytes",
  "pay.sessions.key",
  "pay.sessions.row",
  "pay.sessions.start",
  "pay.keys.key",
  "pay.keys.tag",
] as const;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

/**
 * The payment memory as checkpoint sections, session keys renumbered canonically (their index in SessionKeys'
 * canonical order), and the same renumbering applied to the payment events of `pendingWords` (a copy of the
 * pending buffer's words), so equal states give equal bytes whatever numbers they used in memory.
 */
export function paymentSections(
  book: PaymentBook,
  pendingWords: Uint32Array,
): [string, Uint8Array | Uint32Array | Float64Array][] {
  const { keys, index } = book.ids.canonical();
  const zone = new Uint32Array(keys.length);
  const len = new Uint32Array(keys.length);
  const names = keys.map((k) => utf8.encode(book.ids.session(k)));
  const bytes = new Uint8Array(names.reduce((n, b) => n + b.length, 0));
  let at = 0;
  keys.forEach((k, i) => {
    zone[i] = book.ids.zone(k);
    len[i] = names[i]!.length;
    bytes.set(names[i]!, at);
    at += names[i]!.length;
  });
  for (let p = 0; p < pendingWords.length; p += PENDING_STRIDE) {
    if ((pendingWords[p + 3]! & 0xff) >= KIND.payment_start)
      pendingWords[p + 4] = index.get(pendingWords[p + 4]!)!;
  }
  const sessions = book.sessions.entries();
  const paid = book.keys.entries();
  return [
    ["pay.ids.zone", zone],
    ["pay.ids.len", len],
    ["pay.ids.bytes", bytes],
    ["pay.sessions.key", sessions.seq.map((k) => index.get(k)!)],
    ["pay.sessions.row", sessions.row],
    ["pay.sessions.start", sessions.start],
    ["pay.keys.key", paid.seq.map((k) => index.get(k)!)],
    ["pay.keys.tag", paid.tag],
  ];
}

/** Checkpoint sections of the payment memory, as typed arrays (see paymentSections). */
export interface PaymentParts {
  readonly zone: Uint32Array;
  readonly len: Uint32Array;
  readonly bytes: Uint8Array;
  readonly sessionKey: Uint32Array;
  readonly sessionRow: Uint32Array;
  readonly sessionStart: Float64Array;
  readonly keyKey: Uint32Array;
  readonly keyTag: Uint8Array;
}

/**
 * Loads checkpoint payment sections into the fresh `book` (and takes the references of the payment events in
 * `pendingWords`), after checking them against the engine's limits.
 *
 * @returns a description of the first problem (nothing is loaded then), or null.
 */
export function loadPayments(
  s: EngineState,
  book: PaymentBook,
  p: PaymentParts,
  pendingWords: Uint32Array,
): string | null {
  const n = p.zone.length;
  if (p.len.length !== n) return "payment session ids are invalid";
  const names: string[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const len = p.len[i]!;
    if (p.zone[i]! >= s.zoneCount || at + len > p.bytes.length) return `payment session id ${i} is invalid`;
    try {
      names.push(utf8Strict.decode(p.bytes.subarray(at, at + len)));
    } catch {
      return `payment session id ${i} is not UTF-8`;
    }
    at += len;
  }
  if (at !== p.bytes.length) return "payment session ids do not add up";
  const m = p.sessionKey.length;
  if (m > book.sessions.max || p.sessionRow.length !== m || p.sessionStart.length !== m)
    return "open sessions are invalid";
  const open = new Set<number>();
  for (let i = 0; i < m; i++) {
    const k = p.sessionKey[i]!;
    if (k >= n || open.has(k) || p.sessionRow[i]! >= s.rowCount || !Number.isInteger(p.sessionStart[i]!))
      return `payment session ${i} is invalid`;
    if (i > 0 && p.sessionStart[i]! < p.sessionStart[i - 1]!) return "open sessions are not in start order";
    open.add(k);
  }
  const kn = p.keyKey.length;
  if (kn > book.keys.max || p.keyTag.length !== kn) return "payment keys are invalid";
  const seen = new Set<number>();
  for (let i = 0; i < kn; i++) {
    const tag = p.keyTag[i]!;
    const k = p.keyKey[i]!;
    if ((tag !== TAG_START && tag !== TAG_END) || k >= n || seen.has(k * 4 + tag))
      return `payment key ${i} is invalid`;
    seen.add(k * 4 + tag);
  }
  for (let q = 0; q < pendingWords.length; q += PENDING_STRIDE) {
    if ((pendingWords[q + 3]! & 0xff) >= KIND.payment_start && pendingWords[q + 4]! >= n)
      return "a pending payment names no session";
  }
  for (let i = 0; i < n; i++)
    if (book.ids.key(p.zone[i]!, names[i]!) !== i) return "payment session ids repeat";
  for (let i = 0; i < m; i++) {
    book.sessions.open(p.sessionKey[i]!, p.sessionRow[i]!, p.sessionStart[i]!);
    book.ids.retain(p.sessionKey[i]!);
  }
  for (let i = 0; i < kn; i++) {
    book.keys.add(p.keyKey[i]!, p.keyTag[i]!);
    book.ids.retain(p.keyKey[i]!);
  }
  for (let q = 0; q < pendingWords.length; q += PENDING_STRIDE)
    if ((pendingWords[q + 3]! & 0xff) >= KIND.payment_start) book.ids.retain(pendingWords[q + 4]!);
  for (let i = 0; i < n; i++) book.ids.dropIfUnused(i);
  return null;
}

/** Window row of a zone event (its class, or the zone's default class when unspecified), or −1. */
export function zoneRowOf(s: EngineState, target: number, kvf: number): number {
  const zoneTarget = ((kvf >>> 16) & FLAG_TARGET_ZONE) !== 0;
  const zone = zoneTarget ? target : s.bayZone[target]!;
  let cls = (kvf >>> 8) & 0xff;
  if (cls === 0) cls = zoneTarget ? s.zoneDefaultClass[zone]! : s.bayVehicle[target]!;
  return s.zcRow[zone * VEHICLE_CODES + cls]!;
}

/** Start of the annotation the encoder writes for a payment event (event_session_id comes first), as bytes. */
const SESSION_NOTE = new TextEncoder().encode('{"event_session_id":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The session key (SessionKeys) of payment event i in `zone`: its event_session_id read from the batch's
 * annotation — as bytes, in place, when the annotation starts as the encoder writes it and the id has no escape;
 * else through JSON.parse —, or `#` and the 32-bit session hash (the event's seq) for a batch that carries none
 * (then payments are told apart by that hash only).
 */
export function sessionKeyOf(ids: SessionKeys, view: EventBatchView, i: number, zone: number): number {
  const at = view.annotationOffset(i);
  if (at >= 0) {
    const b = view.bytes;
    const n = b[at - 4]! | (b[at - 3]! << 8) | (b[at - 2]! << 16) | (b[at - 1]! << 24);
    const end = at + n;
    const m = SESSION_NOTE.length;
    let p = at;
    if (n > m) {
      while (p - at < m && b[p] === SESSION_NOTE[p - at]) p++;
    }
    if (p - at === m) {
      let q = p;
      while (q < end && b[q] !== QUOTE && b[q] !== BACKSLASH) q++;
      if (q < end && b[q] === QUOTE) return ids.keyOf(zone, b, p, q);
    }
    if (n > 0) {
      try {
        const id = (JSON.parse(view.annotation(i)) as { event_session_id?: unknown }).event_session_id;
        if (typeof id === "string") return ids.key(zone, id);
      } catch {
        // Not JSON: fall through to the hash.
      }
    }
  }
  return ids.key(zone, `#${view.seq(i)}`);
}

/**
 * Admits one payment event (index i of the batch's u32 words, `view` its batch): de-duplicates by
 * event id (dedup.ts) and by (kind, zone, session), then applies the same lateness rule as admitEvents and
 * appends it to the pending buffer, its device word holding the session key.
 */
export function admitPayment(
  s: EngineState,
  book: PaymentBook,
  words: Uint32Array,
  i: number,
  baseTimeMs: number,
  view: EventBatchView,
): void {
  const reg = s.reg;
  const o = i * 6;
  const kvf = words[o + (EV_KIND >> 2)]!;
  const target = words[o + (EV_TARGET >> 2)]!;
  if (zoneRowOf(s, target, kvf) < 0) {
    reg[R_UNKNOWN] = reg[R_UNKNOWN]! + 1;
    return;
  }
  const seq = words[o + (EV_SEQ >> 2)]!;
  const tag = (kvf & 0xff) === KIND.payment_end ? TAG_END : TAG_START;
  const wm = reg[R_WATERMARK]!;
  // The event_id key (dedup.ts), as in admitEvents; then the payment key.
  const idRef = s.dedupRef[((i & (DEDUP_CHUNK - 1)) << 1) + 1]!;
  const zone = ((kvf >>> 16) & FLAG_TARGET_ZONE) !== 0 ? target : s.bayZone[target]!;
  const key = sessionKeyOf(book.ids, view, i, zone);
  if (s.dedupTime[idRef]! >= wm || book.keys.has(key, tag)) {
    reg[R_DUPLICATE] = reg[R_DUPLICATE]! + 1;
    book.ids.dropIfUnused(key);
    return;
  }
  const evicted = book.keys.add(key, tag);
  book.ids.retain(key);
  if (evicted >= 0) book.ids.release(evicted);
  const t = baseTimeMs + words[o + (EV_TIME_MS >> 2)]!;
  if (t < wm) {
    const n = reg[R_LATE_COUNT]!;
    s.lateIdx[n] = i;
    s.lateWm[n] = wm;
    reg[R_LATE_COUNT] = n + 1;
    reg[R_LATE] = reg[R_LATE]! + 1;
    return;
  }
  if (idRef !== 0) s.dedupTime[idRef] = t;
  book.ids.retain(key);
  appendPending(s, t, target, seq, words[o + (EV_VALUE >> 2)]!, kvf, key);
}

/** Appends one accepted event to the pending buffer, raising the watermark (room was ensured). */
function appendPending(
  s: EngineState,
  t: number,
  target: number,
  seq: number,
  value: number,
  kvf: number,
  device: number,
): void {
  const reg = s.reg;
  if (t > reg[R_MAX_SEEN]!) {
    reg[R_MAX_SEEN] = t;
    if (t - s.latenessMs > reg[R_WATERMARK]!) reg[R_WATERMARK] = t - s.latenessMs;
  }
  const tail = reg[R_TAIL]!;
  if (
    reg[R_UNSORTED]! < 0 &&
    tail > reg[R_HEAD]! &&
    keyBefore(s.pTime, s.pWords, tail - 1, t, target, kvf, seq, value, device)
  ) {
    reg[R_UNSORTED] = tail;
  }
  s.pTime[tail] = t;
  const w = tail * PENDING_STRIDE;
  s.pWords[w] = target;
  s.pWords[w + 1] = seq;
  s.pWords[w + 2] = value;
  s.pWords[w + 3] = kvf;
  s.pWords[w + 4] = device;
  reg[R_TAIL] = tail + 1;
  reg[R_ACCEPTED] = reg[R_ACCEPTED]! + 1;
}

/** Applies the zone event at the head of the pending buffer (inside the open window) and advances head. */
export function applyZoneEvent(s: EngineState, book: PaymentBook): void {
  const reg = s.reg;
  const head = reg[R_HEAD]!;
  const t = s.pTime[head]!;
  const p = head * PENDING_STRIDE;
  const target = s.pWords[p]!;
  const value = s.pWords[p + 2]! | 0;
  const kvf = s.pWords[p + 3]!;
  const kind = kvf & 0xff;
  reg[R_HEAD] = head + 1;
  reg[R_APPLIED] = reg[R_APPLIED]! + 1;
  expireSessions(s, book, t);
  const row = zoneRowOf(s, target, kvf);
  const c = s.coldRows();
  currentRow(s, row);
  if (kind === KIND.payment_start) {
    // The device word of a pending payment holds its session key (admitPayment); this event's reference to it
    // passes to the session it opens, or ends here.
    const key = s.pWords[p + 4]!;
    if (book.sessions.find(key) >= 0) {
      book.ids.release(key);
      return;
    }
    if (book.sessions.size >= book.sessions.max) closeOldestSession(s, book, t);
    book.sessions.open(key, row, t);
    c.qArrivals[row] = c.qArrivals[row]! + 1;
    setPayments(s, row, c.qOpen[row]! + 1, t);
    return;
  }
  if (kind === KIND.payment_end) {
    const key = s.pWords[p + 4]!;
    c.qDepartures[row] = c.qDepartures[row]! + 1;
    const at = book.sessions.find(key);
    if (at < 0) {
      book.ids.release(key);
      setPayments(s, row, c.qOpen[row]!, t);
      return;
    }
    const openRow = book.sessions.row(at);
    const startMs = book.sessions.start(at);
    book.sessions.close(at);
    book.ids.release(key);
    book.ids.release(key);
    currentRow(s, openRow);
    c.qDwellSum[openRow] = c.qDwellSum[openRow]! + (t - startMs);
    c.qDwellCount[openRow] = c.qDwellCount[openRow]! + 1;
    setPayments(s, openRow, c.qOpen[openRow]! - 1, t);
    return;
  }
  const method = s.rowDetection[row]!;
  const cap = s.rowCapacity[row]!;
  if (kind === KIND.manual_count) {
    const count = Math.min(Math.max(value, 0), cap);
    if (method === DETECTION.manual) {
      c.countTime[row] = t;
      setPrimary(s, row, count, t);
    } else if (method === DETECTION.balancing) {
      c.countTime[row] = t;
      c.balance[row] = count;
      c.driftSinceReset[row] = 0;
      setPrimary(s, row, count, t);
    }
    return;
  }
  let change = 0;
  if (kind === KIND.enter_area) change = Math.max(value, 0);
  else if (kind === KIND.exit_area) change = -Math.max(value, 0);
  else if (kind === KIND.park_start) change = 1;
  else if (kind === KIND.park_end) change = -1;
  else return; // zone-level heartbeats and comms events carry nothing to count
  if (method !== DETECTION.balancing && method !== DETECTION.manual) return;
  if (change > 0) s.accU32[row * 16 + AU_ARRIVALS] = s.accU32[row * 16 + AU_ARRIVALS]! + change;
  else s.accU32[row * 16 + AU_DEPARTURES] = s.accU32[row * 16 + AU_DEPARTURES]! - change;
  if (method === DETECTION.balancing) {
    const raw = c.balance[row]! + change;
    const clamped = Math.min(Math.max(raw, 0), cap);
    const drift = Math.abs(raw - clamped);
    c.balance[row] = clamped;
    c.driftSinceReset[row] = c.driftSinceReset[row]! + drift;
    c.driftWindow[row] = c.driftWindow[row]! + drift;
    setPrimary(s, row, clamped, t);
  }
}

/** Closes sessions open for sessionTimeoutMs whose deadline is before `limit` (no departure counted). */
export function expireSessions(s: EngineState, book: PaymentBook, limit: number): void {
  for (;;) {
    const at = book.sessions.oldest();
    if (at < 0) return;
    const deadline = book.sessions.start(at) + book.sessionTimeoutMs;
    if (deadline >= limit) return;
    const row = book.sessions.row(at);
    book.ids.release(book.sessions.key(at));
    book.sessions.close(at);
    s.reg[R_SESSIONS_EXPIRED] = s.reg[R_SESSIONS_EXPIRED]! + 1;
    setPayments(s, row, s.coldRows().qOpen[row]! - 1, deadline);
  }
}

function closeOldestSession(s: EngineState, book: PaymentBook, t: number): void {
  const at = book.sessions.oldest();
  if (at < 0) return;
  const row = book.sessions.row(at);
  book.ids.release(book.sessions.key(at));
  book.sessions.close(at);
  s.reg[R_SESSIONS_EXPIRED] = s.reg[R_SESSIONS_EXPIRED]! + 1;
  setPayments(s, row, s.coldRows().qOpen[row]! - 1, t);
}

/** Sets the primary method's occupied count of a row at time t; the row becomes known. */
function setPrimary(s: EngineState, row: number, count: number, t: number): void {
  currentRow(s, row);
  const d = s.reg[R_WIN_END]! - t;
  const cap = s.rowCapacity[row]!;
  const a32 = row * 16;
  const a64 = row * 8;
  const old = s.accU32[a32 + AU_OCC]!;
  if (count !== old) {
    notePeak(s.accU32, a32, t - s.reg[R_WIN_START]!);
    s.accF64[a64 + AF_OCC_MS] = s.accF64[a64 + AF_OCC_MS]! + (count - old) * d;
    s.accU32[a32 + AU_OCC] = count;
  }
  const known = s.accU32[a32 + AU_KNOWN]!;
  if (known !== cap) {
    s.accF64[a64 + AF_KNOWN_MS] = s.accF64[a64 + AF_KNOWN_MS]! + (cap - known) * d;
    s.accU32[a32 + AU_KNOWN] = cap;
  }
}

/** Sets the number of open paid sessions of a row at time t; occupied is that number clamped to capacity. */
function setPayments(s: EngineState, row: number, open: number, t: number): void {
  const c = s.coldRows();
  currentRow(s, row);
  const d = s.reg[R_WIN_END]! - t;
  const cap = s.rowCapacity[row]!;
  c.qOpen[row] = open;
  const count = Math.min(open, cap);
  const old = c.qOcc[row]!;
  if (count !== old) {
    // As notePeak (kernel.ts): the count before a change at a later instant is that instant's final count.
    const inst = t - s.reg[R_WIN_START]!;
    if (inst > c.qLast[row]!) {
      if (old > c.qPeak[row]!) c.qPeak[row] = old;
      c.qLast[row] = inst;
    }
    c.qOccMs[row] = c.qOccMs[row]! + (count - old) * d;
    c.qOcc[row] = count;
  }
  if (c.qKnown[row]! !== cap) {
    c.qKnownMs[row] = c.qKnownMs[row]! + (cap - c.qKnown[row]!) * d;
    c.qKnown[row] = cap;
  }
}

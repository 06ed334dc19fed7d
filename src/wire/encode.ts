/**
 * Plain CDS events -> one FlatBuffers EventBatch. Ids are resolved against the catalogue to dense
 * indices here, once, so the hot path never sees a string. Events whose bay, zone or device the
 * catalogue does not know are counted in the report and left out, never thrown.
 */
import type { City } from "../catalog/city.js";
import { fnv1a, NONE } from "../catalog/city.js";
import { ParkirEventError, ParkirWireError } from "../errors/index.js";
import { wholeNumberOption } from "../errors/options.js";
import { type BatchStrings, BatchWriter } from "./batch-writer.js";
import {
  type CdsEvent,
  EventFields,
  eventFields,
  eventIssuesByRule,
  parseEventTime,
  readEvent,
} from "./events.js";
import { isBayKind, isPaymentKind, KIND } from "./kinds.js";
import {
  BATCH_SPAN_MS_MAX,
  FLAG_SEQ_IS_ID_HASH,
  FLAG_SEQ_IS_SESSION_HASH,
  FLAG_TARGET_ZONE,
  NO_DEVICE,
} from "./layout.js";

/** Most unknown ids an EncodeReport remembers (the counts are exact; the list is a sample). */
export const UNKNOWN_IDS_MAX = 100;
/** Most errors of refused events an EncodeReport keeps (`invalid` counts them all). */
export const ENCODE_ERRORS_MAX = 100;

/** What encodeEvents did with its input: filled in place so the common call stays `encodeEvents(events, city)`. */
export class EncodeReport {
  /** Events written to the batch. */
  encoded = 0;
  /** Bay events whose bay (or device) the catalogue does not know. */
  unknownBay = 0;
  /** Zone events whose zone (or gate device) the catalogue does not know. */
  unknownZone = 0;
  /**
   * The first UNKNOWN_IDS_MAX distinct unknown places as `field=value`, naming the event field the catalogue
   * did not know (e.g. `curb_space_id=PLU-001-B99`), or the one that was missing (`curb_zone_id=` for a
   * zone event naming no zone), for the operator to fix the catalogue or the feed.
   */
  readonly unknownIds: string[] = [];
  /** Events refused as invalid (with EncodeOptions `invalid: "skip"`; otherwise the first one is thrown). */
  invalid = 0;
  /** The first ENCODE_ERRORS_MAX refused events' errors, each naming the event (`index`) and its fields. */
  readonly errors: ParkirEventError[] = [];

  /** Counts one refused event and keeps its error while fewer than ENCODE_ERRORS_MAX are kept. */
  refuse(error: ParkirEventError): void {
    this.invalid++;
    if (this.errors.length < ENCODE_ERRORS_MAX) this.errors.push(error);
  }

  /** Counts one event whose place is unknown: `field` is the event field that named it (or should have). */
  noteUnknown(kind: "bay" | "zone", field: PlaceField, id: string | undefined): void {
    if (kind === "bay") this.unknownBay++;
    else this.unknownZone++;
    const entry = `${field}=${id ?? ""}`;
    if (this.unknownIds.length < UNKNOWN_IDS_MAX && !this.unknownIds.includes(entry))
      this.unknownIds.push(entry);
  }
}

/** An event field that names a place. */
export type PlaceField = "curb_space_id" | "curb_zone_id" | "data_source_device_id";

/** Options of encodeEvents. */
export interface EncodeOptions {
  /** Keep the original event_id strings (cold vector) so decodeEvents can restore them. Default true; costs ~20-40 bytes/event. */
  readonly keepEventIds?: boolean;
  /**
   * Where the batch goes: called once with its size in bytes, returns at least that many bytes of memory
   * starting at a multiple of 8, and the batch is written there (the result is that memory's prefix). Give
   * an engine's batch memory, and `ingest` reads the batch where it was built, copying nothing. Default: a
   * new buffer. encodeEventBatches calls it once per batch, so each call must hand out memory the earlier
   * batches no longer need.
   *
   * @example
   * engine.ingest(encodeEvents(events, city, undefined, { into: (n) => engine.batchBuffer(n) }));
   */
  readonly into?: (bytes: number) => Uint8Array;
  /** Index of the first event encoded: `events[start, end)` is encoded, as `events.slice(start, end)` would be, without the copy. Default 0. */
  readonly start?: number;
  /** Index after the last event encoded. Default `events.length`. */
  readonly end?: number;
  /**
   * What an invalid event does: `"throw"` (default) refuses the call with its ParkirEventError; `"skip"` leaves
   * it out, counted in the report's `invalid` and its error kept in `errors`, and encodes the others.
   */
  readonly invalid?: "throw" | "skip";
}

/**
 * Resolved fields of the events being encoded, one column each (row k = the k-th event kept): no object per
 * event, so a large batch leaves the garbage collector nothing to copy but the columns. Strings may be given
 * as their UTF-8 bytes (the JSON Lines reader hands over slices of its input). @internal
 */
export class Rows {
  length = 0;
  readonly timeMs: Float64Array;
  readonly target: Uint32Array;
  readonly seq: Uint32Array;
  readonly value: Uint32Array;
  readonly device: Uint32Array;
  readonly kind: Uint8Array;
  readonly vehicle: Uint8Array;
  readonly flags: Uint8Array;
  readonly id: (string | Uint8Array)[] = [];
  /** JSON of the fields the struct cannot hold, or "" (one entry per row). */
  readonly note: (string | Uint8Array)[] = [];
  /** Whether any row has a note. */
  notes = false;
  /** Whether `resolve` keeps each row's event id in `id` (buildBatch reads them only when it writes them). */
  keepIds = true;

  /** Empties the rows for the next batch (the columns are kept). */
  clear(): void {
    this.length = 0;
    this.id.length = 0;
    this.note.length = 0;
    this.notes = false;
  }

  /** Bytes the columns of `capacity` rows take in one buffer (see the constructor's `memory`). */
  static bytes(capacity: number): number {
    return ((capacity * 27 + 7) & ~7) + 8;
  }

  /**
   * @param memory Where the columns live (e.g. a wasm kernel's memory): Rows.bytes(capacity) bytes of `buffer`
   *   from `at` (a multiple of 8); default: new arrays.
   */
  constructor(capacity: number, memory?: { readonly buffer: ArrayBufferLike; readonly at: number }) {
    if (memory === undefined) {
      this.timeMs = new Float64Array(capacity);
      this.target = new Uint32Array(capacity);
      this.seq = new Uint32Array(capacity);
      this.value = new Uint32Array(capacity);
      this.device = new Uint32Array(capacity);
      this.kind = new Uint8Array(capacity);
      this.vehicle = new Uint8Array(capacity);
      this.flags = new Uint8Array(capacity);
      return;
    }
    const { buffer } = memory;
    let at = memory.at;
    this.timeMs = new Float64Array(buffer, at, capacity);
    at += capacity * 8;
    this.target = new Uint32Array(buffer, at, capacity);
    this.seq = new Uint32Array(buffer, (at += capacity * 4), capacity);
    this.value = new Uint32Array(buffer, (at += capacity * 4), capacity);
    this.device = new Uint32Array(buffer, (at += capacity * 4), capacity);
    this.kind = new Uint8Array(buffer, (at += capacity * 4), capacity);
    this.vehicle = new Uint8Array(buffer, (at += capacity), capacity);
    this.flags = new Uint8Array(buffer, at + capacity, capacity);
  }
}

/**
 * Encodes plain CDS events as one EventBatch for `city`. Event order is kept.
 *
 * @throws ParkirEventError for the first event that is not a valid CdsEvent, naming it (`index`) and its fields
 *   (nothing is encoded), unless `options.invalid` is "skip"; ParkirConfigError for a bad `start`/`end`;
 *   ParkirWireError("time-range") when the events span more than ~49.7 days; ParkirError when `options.into`
 *   hands out too little or misaligned memory.
 * @example
 * const bytes = encodeEvents([{ event_id: "e1", event_type: "park_start", event_time: 1796000400000,
 *   curb_space_id: "PLU-001-B01" }], city);
 */
export function encodeEvents(
  events: readonly CdsEvent[],
  city: City,
  report = new EncodeReport(),
  options: EncodeOptions = {},
): Uint8Array {
  const keepIds = options.keepEventIds ?? true;
  const start = options.start ?? 0;
  const end = options.end ?? events.length;
  checkRange("encodeEvents", start, end, events.length);
  const count = end - start;
  const skipInvalid = options.invalid === "skip";
  // The columns and scratch of the last call are reused (a call made while another runs, from `into`, gets its own).
  let rows = idleRows;
  if (rows === null || rows.timeMs.length < count) rows = new Rows(count);
  idleRows = null;
  const scratch = takeScratch(city);
  try {
    rows.clear();
    rows.keepIds = keepIds;
    scratch.reset(count);
    const f = encodeFields;
    const places = scratch.places;
    for (let from = start; from < end; from += TOUCH_EVENTS) {
      const to = Math.min(end, from + TOUCH_EVENTS);
      touchEvents(events, from, to);
      for (let i = from; i < to; i++) {
        const e = events[i];
        if (readEvent(e, f) < 0) {
          // The rules name the problems (or find none, for a shape the fast check leaves alone).
          const issues = eventIssuesByRule(e);
          if (issues.length > 0) {
            const error = new ParkirEventError(issues, 0, i);
            if (!skipInvalid) throw error;
            report.refuse(error);
            continue;
          }
          eventFields(e as CdsEvent, f);
        }
        const note = resolveFields(f, city, report, rows, places);
        if (note === null) continue;
        // The row's strings go straight to the arena: no array of them per batch.
        const k = rows.length - 1;
        if (keepIds) scratch.text(f.id, k, scratch.idAt, scratch.idLength);
        if (note === "") scratch.noteLength[k] = 0;
        else {
          scratch.text(note, k, scratch.noteAt, scratch.noteLength);
          rows.notes = true;
        }
      }
    }
    return writeBatch(rows, scratch, report, keepIds, options.into);
  } finally {
    // Kept for the next call only when small: a call of a million events leaves no arena of its size behind.
    if (count <= ROWS_KEPT_MAX) idleScratch = scratch;
    if (rows.timeMs.length <= ROWS_KEPT_MAX) {
      rows.clear();
      idleRows = rows;
    }
  }
}

/** @throws ParkirConfigError unless `[start, end)` is a range of indices of `length` events. */
function checkRange(fn: string, start: number, end: number, length: number): void {
  wholeNumberOption(`${fn} options`, "end", end, 0, length);
  wholeNumberOption(`${fn} options`, "start", start, 0, end);
}

/** Events touched ahead at a time (see touchEvents): their objects and ids stay in the cache until read. */
const TOUCH_EVENTS = 256;
/** What touchEvents read, kept so that its loads are not optimised away. */
// biome-ignore lint/correctness/noUnusedVariables: written only, so that touchEvents' loads are not dead code
let touched = 0;

/**
 * Reads each event's event_id length in a loop that does nothing else: a feed's objects and id strings are
 * usually far from the cache, and this loop's loads miss together (the CPU runs many such independent loads at
 * once), where the validation's loads, one event's worth of work apart, would miss one after another.
 */
function touchEvents(events: readonly unknown[], from: number, end: number): void {
  let sum = 0;
  for (let i = from; i < end; i++) {
    const e = events[i] as { event_id?: unknown; event_time?: unknown } | null | undefined;
    if (typeof e === "object" && e !== null) {
      const id = e.event_id;
      const t = e.event_time;
      if (typeof id === "string") sum += id.length;
      if (typeof t === "number") sum += t;
    }
  }
  touched += sum;
}

/** The fields of the event being encoded (encodeEvents and resolve read one event at a time, never reentrantly). */
const encodeFields = new EventFields();

/**
 * Most events whose columns and string scratch encodeEvents keeps for the next call (27 bytes of columns each, two
 * default batches; the scratch holds the batch written and its strings).
 */
const ROWS_KEPT_MAX = 8192;
/** The columns free for the next encodeEvents (null while one runs). */
let idleRows: Rows | null = null;

/**
 * The EventBatch of resolved rows whose strings are in `rows.id` and `rows.note` (as `resolve` leaves them): their
 * base time, structs and (with `keepIds`) event ids. @internal
 *
 * @throws ParkirWireError("time-range") when the rows span more than ~49.7 days; ParkirError when `into`
 *   hands out too little or misaligned memory.
 */
export function buildBatch(
  rows: Rows,
  city: City,
  report: EncodeReport,
  keepIds: boolean,
  into: ((bytes: number) => Uint8Array) | undefined,
): Uint8Array {
  const scratch = takeScratch(city);
  try {
    scratch.copyTexts(rows, keepIds);
    return writeBatch(rows, scratch, report, keepIds, into);
  } finally {
    idleScratch = scratch;
  }
}

/** The EventBatch of the rows and their strings in `scratch`: the time-range check, then BatchWriter. */
function writeBatch(
  rows: Rows,
  scratch: BatchScratch,
  report: EncodeReport,
  keepIds: boolean,
  into: ((bytes: number) => Uint8Array) | undefined,
): Uint8Array {
  const n = rows.length;
  let minMs = Number.POSITIVE_INFINITY;
  let maxMs = Number.NEGATIVE_INFINITY;
  const timeMs = rows.timeMs;
  for (let k = 0; k < n; k++) {
    const t = timeMs[k]!;
    if (t < minMs) minMs = t;
    if (t > maxMs) maxMs = t;
  }
  const base = n === 0 ? 0 : minMs;
  if (n > 0 && maxMs - minMs > BATCH_SPAN_MS_MAX) {
    throw new ParkirWireError(
      "time-range",
      0,
      `events span ${maxMs - minMs} ms; a batch holds at most ${BATCH_SPAN_MS_MAX} ms`,
    );
  }
  report.encoded += n;
  return scratch.writer.write(rows, scratch, base, keepIds, into);
}

/** The scratch free for the next batch of `city` (a new one while another batch is being built, from `into`). */
function takeScratch(city: City): BatchScratch {
  let scratch = idleScratch;
  idleScratch = null;
  if (scratch === null || scratch.city !== city) scratch = new BatchScratch(city);
  return scratch;
}

/**
 * What a batch is written with, kept for the next one: a BatchWriter for one city, the rows' strings as ranges of
 * one UTF-8 arena (the BatchStrings it writes from), and the last ids looked up.
 */
class BatchScratch implements BatchStrings {
  readonly writer: BatchWriter;
  readonly places = new Places();
  arena = new Uint8Array(4096);
  idAt = new Int32Array(0);
  idLength = new Int32Array(0);
  noteAt = new Int32Array(0);
  noteLength = new Int32Array(0);
  private at = 0;

  constructor(readonly city: City) {
    this.writer = new BatchWriter(city);
  }

  /** Empties the arena for a batch of at most `n` rows. */
  reset(n: number): void {
    if (this.idAt.length < n) {
      const cap = Math.max(n, this.idAt.length * 2);
      this.idAt = new Int32Array(cap);
      this.idLength = new Int32Array(cap);
      this.noteAt = new Int32Array(cap);
      this.noteLength = new Int32Array(cap);
    }
    this.at = 0;
  }

  /** The strings of rows filled by `resolve` (in `rows.id` and `rows.note`), copied into the arena. */
  copyTexts(rows: Rows, keepIds: boolean): void {
    const n = rows.length;
    this.reset(n);
    for (let k = 0; k < n; k++) {
      if (keepIds) this.text(rows.id[k]!, k, this.idAt, this.idLength);
      if (rows.notes) this.text(rows.note[k]!, k, this.noteAt, this.noteLength);
    }
  }

  /** Appends `t` as UTF-8 to the arena as row k's string in the columns `at` and `length`. */
  text(t: string | Uint8Array, k: number, at: Int32Array, length: Int32Array): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const most = typeof t === "string" ? t.length * 3 : t.length;
    let arena = this.arena;
    const from = this.at;
    if (arena.length < from + most) {
      arena = new Uint8Array(Math.max(arena.length * 2, from + most));
      arena.set(this.arena.subarray(0, from));
      this.arena = arena;
    }
    let written: number;
    if (typeof t !== "string") {
      arena.set(t, from);
      written = t.length;
    } else {
      // ASCII (every catalogue id, most event ids) byte by byte; anything else through the TextEncoder.
      const n = t.length;
      let i = 0;
      for (; i < n; i++) {
        const c = t.charCodeAt(i);
        if (c >= 0x80) break;
        arena[from + i] = c;
      }
      written = i === n ? n : i + utf8.encodeInto(t.slice(i), arena.subarray(from + i)).written;
    }
    at[k] = from;
    length[k] = written;
    this.at = from + written;
  }
}

/** The scratch free for the next batch (null while one is being built). */
let idleScratch: BatchScratch | null = null;
const utf8 = new TextEncoder();

/**
 * The last zone and device id looked up and what each resolved to (NONE when unknown): a feed
 * often names the same zone or device in consecutive events, and a hit costs one string comparison instead of a
 * hash lookup. Kept for one city.
 */
class Places {
  zoneId = "";
  zone = NONE;
  deviceId = "";
  device = NONE;

  zoneIndex(city: City, id: string): number {
    if (id === this.zoneId) return this.zone;
    this.zoneId = id;
    return (this.zone = city.zoneIndex(id));
  }

  deviceIndex(city: City, id: string): number {
    if (id === this.deviceId) return this.device;
    this.deviceId = id;
    return (this.device = city.deviceIndex(id));
  }
}

/**
 * Resolves one valid event's ids and fields into the next row of `rows`, its event id and annotation into
 * `rows.id` and `rows.note`; an event with an unknown place adds none. @internal
 */
export function resolve(e: CdsEvent, city: City, report: EncodeReport, rows: Rows): void {
  eventFields(e, resolveFieldsScratch);
  if (resolvePlaces.city !== city) resolvePlaces = { city, places: new Places() };
  const note = resolveFields(resolveFieldsScratch, city, report, rows, resolvePlaces.places);
  if (note === null) return;
  if (rows.keepIds) rows.id.push(resolveFieldsScratch.id);
  rows.note.push(note);
  if (note !== "") rows.notes = true;
}

/** The fields resolve reads an event into. */
const resolveFieldsScratch = new EventFields();
/** The ids resolve looked up last, for one city. */
let resolvePlaces: { readonly city: City | null; readonly places: Places } = {
  city: null,
  places: new Places(),
};

/**
 * resolve, for an event's fields already read: the row's columns, and its annotation ("" for none) returned for
 * the caller to keep beside the row's event id; null when the event adds no row.
 */
function resolveFields(
  f: EventFields,
  city: City,
  report: EncodeReport,
  rows: Rows,
  places: Places,
): string | null {
  const kind = f.kind;
  let vehicle = f.vehicle;
  let flags = 0;
  let device = NO_DEVICE;
  let target: number;
  const spaceId = f.space;
  const deviceId = f.device;
  const zoneId = f.zone;
  // Bays are looked up every time: a sensor feed rarely names one bay twice in a row.
  const named = spaceId === undefined ? NONE : city.bayIndex(spaceId);
  if (deviceId !== undefined) {
    // One lookup for the usual bay event, which names its bay and the bay's own sensor (device i is bay i's).
    const d =
      named !== NONE && city.deviceId(named) === deviceId ? named : places.deviceIndex(city, deviceId);
    if (d !== NONE) device = d;
  }
  // A bay kind is a bay event when it names a bay, or a device that is a bay's sensor; without either (a zone id,
  // a gate or attendant device) it is a zone-level arrival or departure (docs/OCCUPANCY.md, zone events).
  const bayDevice = device !== NO_DEVICE && city.deviceBay[device] !== NONE;
  const unknownDevice = device === NO_DEVICE && deviceId !== undefined;
  if (isBayKind(kind) && (spaceId !== undefined || bayDevice || (unknownDevice && zoneId === undefined))) {
    let bay = named;
    if (spaceId === undefined && device !== NO_DEVICE) bay = city.deviceBay[device]!;
    if (bay === NONE) {
      if (spaceId !== undefined) report.noteUnknown("bay", "curb_space_id", spaceId);
      else report.noteUnknown("bay", "data_source_device_id", deviceId);
      return null;
    }
    target = bay;
    if (device === NO_DEVICE) device = bay; // device i is bay i's sensor
    if (vehicle === 0) vehicle = city.bayVehicle[bay]!;
  } else {
    let zone = NONE;
    if (zoneId !== undefined) zone = places.zoneIndex(city, zoneId);
    else if (spaceId !== undefined) {
      if (named !== NONE) zone = city.bayZone[named]!;
    } else if (deviceId !== undefined) {
      if (device !== NO_DEVICE) zone = city.deviceZone[device]!;
    }
    if (zone === NONE) {
      if (zoneId !== undefined || (spaceId === undefined && deviceId === undefined))
        report.noteUnknown("zone", "curb_zone_id", zoneId);
      else if (spaceId !== undefined) report.noteUnknown("zone", "curb_space_id", spaceId);
      else report.noteUnknown("zone", "data_source_device_id", deviceId);
      return null;
    }
    target = zone;
    flags |= FLAG_TARGET_ZONE;
  }
  let seq: number;
  if (isPaymentKind(kind)) {
    seq = fnv1a(f.session ?? "");
    flags |= FLAG_SEQ_IS_SESSION_HASH;
  } else if (f.seq >= 0) {
    seq = f.seq;
  } else {
    seq = fnv1a(f.id);
    flags |= FLAG_SEQ_IS_ID_HASH;
  }
  // Fields the struct cannot hold, as a JSON object in this key order (decodeEvents restores them).
  let note = "";
  if (f.session !== undefined) note = noteField(note, "event_session_id", f.session);
  if (deviceId !== undefined && device === NO_DEVICE)
    note = noteField(note, "data_source_device_id", deviceId);
  if (spaceId !== undefined && (flags & FLAG_TARGET_ZONE) !== 0)
    note = noteField(note, "curb_space_id", spaceId);
  if (note !== "") note += "}";
  let value = 0;
  if (kind === KIND.scheduled_report) value = f.occupied ? 1 : 0;
  else if (kind === KIND.manual_count) value = Math.max(0, f.count);
  else if (kind === KIND.enter_area || kind === KIND.exit_area) value = f.count < 0 ? 1 : f.count;
  else if (kind === KIND.payment_end) value = Math.max(0, f.cost);
  const k = rows.length++;
  rows.timeMs[k] = f.timeMs;
  rows.target[k] = target;
  rows.seq[k] = seq;
  rows.value[k] = value;
  rows.device[k] = device;
  rows.kind[k] = kind;
  rows.vehicle[k] = vehicle;
  rows.flags[k] = flags;
  return note;
}

/** Appends `"key":value` to an annotation being built (`""` starts the object). */
function noteField(note: string, key: string, value: string): string {
  return `${note === "" ? "{" : `${note},`}"${key}":${JSON.stringify(value)}`;
}

/** Default events per batch for encodeEventBatches (about 100 KiB of structs). */
export const BATCH_EVENTS_DEFAULT = 4096;

/**
 * Encodes events in delivery order as consecutive batches of at most `batchSize` events, starting a
 * new batch early when the next event would stretch a batch's time span past BATCH_SPAN_MS_MAX.
 *
 * @example writeFrames(encodeEventBatches(events, city)) // the bytes of a .fb file
 */
export function encodeEventBatches(
  events: readonly CdsEvent[],
  city: City,
  batchSize = BATCH_EVENTS_DEFAULT,
  report = new EncodeReport(),
  options: EncodeOptions = {},
): Uint8Array[] {
  wholeNumberOption("encodeEventBatches arguments", "batchSize", batchSize);
  const out: Uint8Array[] = [];
  const last = options.end ?? events.length;
  let start = options.start ?? 0;
  checkRange("encodeEventBatches", start, last, events.length);
  while (start < last) {
    let end = start;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    while (end < last && end - start < batchSize) {
      const t = parseEventTime(events[end]?.event_time);
      if (!Number.isNaN(t) && Math.max(hi, t) - Math.min(lo, t) > BATCH_SPAN_MS_MAX) break;
      if (!Number.isNaN(t)) {
        lo = Math.min(lo, t);
        hi = Math.max(hi, t);
      }
      end++;
    }
    out.push(encodeEvents(events, city, report, { ...options, start, end }));
    start = end;
  }
  return out;
}

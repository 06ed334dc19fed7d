/**
 * The JSON Lines reader's wasm path (wasm/jsonl.ts) from the reader's side: one memory per reader holding the
 * token tables (keys, event types, vehicle names, annotation keys), the city's id tables and the columns that
 * resolve them (laid out once here), the open batch's rows and string arena, and a window of input. `read` copies
 * input into the window once and the kernel reads its complete lines straight into the rows; it hands back only
 * at a full batch, at the window's end, or at a line the reader reads itself (jsonl-parse.ts, the reference).
 */
import type { City } from "../catalog/city.js";
import { compileKernelSync, instantiateKernel, kernelBuilt, simdSupported } from "../runtime/wasm.js";
import { deliver, writtenBatchLayout } from "./batch-writer.js";
import { Rows } from "./encode.js";
import { cityIds } from "./id-table.js";
import { EVENT_KEYS } from "./jsonl.js";
import { EVENT_TYPES } from "./kinds.js";

/** State block, in i32 slots (the same numbers as wasm/jsonl.ts ST_*). */
const ST_KEYS = 0;
const ST_TYPES = 1;
const ST_VEHICLES = 2;
const ST_FOLLOW = 3;
const ST_VEHICLE_CODES = 4;
const ST_NOTE_KEYS = 5;
const ST_ZONES = 6;
const ST_BAYS = 7;
const ST_DEVICES = 8;
const ST_DEVICE_BAY = 9;
const ST_DEVICE_ZONE = 10;
const ST_BAY_ZONE = 11;
const ST_BAY_VEHICLE = 12;
const ST_COL_TIME = 13;
const ST_COL_TARGET = 14;
const ST_COL_SEQ = 15;
const ST_COL_VALUE = 16;
const ST_COL_DEVICE = 17;
const ST_COL_KIND = 18;
const ST_COL_VEHICLE = 19;
const ST_COL_FLAGS = 20;
const ST_COL_ID_AT = 21;
const ST_COL_ID_LENGTH = 22;
const ST_COL_NOTE_AT = 23;
const ST_COL_NOTE_LENGTH = 24;
const ST_ARENA = 25;
const ST_ARENA_CAP = 26;
const ST_BATCH_EVENTS = 27;
const ST_MAX_LINE = 28;
const ST_KEEP_IDS = 29;
const ST_RECORD = 30;
const ST_ROWS = 31;
const ST_COUNT = 32;
const ST_ARENA_POS = 33;
const ST_NOTES = 34;
const ST_LINES = 35;
const ST_BLANK = 36;
const ST_STOP = 37;
const ST_LINE_NL = 38;
/** f64 slots (i32 slots 40 and 42). */
const ST_LO_F64 = 20;
const ST_HI_F64 = 21;
const ST_CITY = 44;
const ST_CITY_LENGTH = 45;
const ST_CATALOG_HASH = 46;
const ST_OFFSETS = 47;
const ST_OUT_END = 48;
const ST_JOINTS = 49;
const ST_DIRECT = 50;
/** Out of writeBatch: where the batch's parts are, its event ids' bytes, its lowest and highest time (f64 slots 31, 32). */
const ST_OUT_EVENTS = 56;
const ST_OUT_IDS = 57;
const ST_OUT_NOTES = 58;
const ST_OUT_ID_BYTES = 59;
const ST_OUT_ID_MAX = 60;
const ST_OUT_BASE_F64 = 31;
const ST_OUT_TOP_F64 = 32;
const STATE_BYTES = 320;
const RECORD_BYTES = 128;

/** `read`'s results: the window's complete lines are read; the batch is full; a line is the reader's to read. */
export const READ_DONE = 0;
export const READ_FULL = 1;
export const READ_HAND_OVER = 2;

/** Bytes of input the kernel reads per window (a longer line is read by the reader itself). */
export const WINDOW_BYTES = 1 << 20;
/** Bytes after the window the kernel may read ahead (16-byte loads near its end). */
const WINDOW_SLACK = 64;
/** Arena bytes per event of a batch (event ids and annotations); a batch that needs more moves to the JS heap. */
const ARENA_BYTES_PER_EVENT = 256;
/** Most arena bytes, whatever the batch size. */
const ARENA_BYTES_MAX = 16 << 20;
const TABLES_BYTES = 4096;

/** Bytes of a direct id table's slot (wasm/jsonl.ts `index`). */
const DIRECT_SLOT_BYTES = 32;
/** Bytes of a key's joint pattern (wasm/jsonl.ts `Inlined.joint`). */
const JOINT_BYTES = 32;
/** Keys whose value is a string: their joint holds the value's opening quote (wasm/jsonl.ts QUOTED_KEYS). */
const QUOTED_KEYS: ReadonlySet<string> = new Set([
  "event_id",
  "event_type",
  "curb_zone_id",
  "curb_space_id",
  "data_source_device_id",
  "vehicle_type",
  "event_session_id",
]);

/** Annotation keys, in the order encodeEvents writes them (wasm/jsonl.ts `note`). */
const NOTE_KEYS = ['"event_session_id":"', '"data_source_device_id":"', '"curb_space_id":"'];

interface Exports {
  index(table: number, direct: number, mask: number): void;
  readLines(input: number, length: number, state: number): number;
  writeBatch(state: number): number;
}

let available: boolean | undefined;

/** Whether the wasm path can run here (wasm with 128-bit SIMD, and build/jsonl.wasm present; asked once). */
export function wasmReaderAvailable(): boolean {
  available ??= simdSupported() && kernelBuilt("jsonl");
  return available;
}

const align8 = (n: number): number => (n + 7) & ~7;

/** Idle wasm readers kept per city for its next readers (each holds its memory; see WasmLineReader). */
export const WASM_READERS_IDLE_MAX = 1;
const idle = new WeakMap<City, WasmLineReader[]>();

/**
 * A wasm reader for `city` and these options: an idle one laid out for the same batch size when there is one
 * (its memory already mapped and its guesses warm), else a new one. Give it back with releaseWasmReader.
 */
export function takeWasmReader(
  city: City,
  vehicleNames: readonly string[],
  vehicleCodes: readonly number[],
  batchEvents: number,
  maxLineBytes: number,
  keepIds: boolean,
): WasmLineReader {
  const list = idle.get(city);
  const k = list?.findIndex((r) => r.batchEvents === batchEvents) ?? -1;
  if (list !== undefined && k >= 0) {
    const r = list.splice(k, 1)[0]!;
    r.reset(maxLineBytes, keepIds);
    return r;
  }
  return new WasmLineReader(city, vehicleNames, vehicleCodes, batchEvents, maxLineBytes, keepIds);
}

/** Gives a reader back (its user must not touch it again); kept while fewer than WASM_READERS_IDLE_MAX idle. */
export function releaseWasmReader(reader: WasmLineReader): void {
  let list = idle.get(reader.city);
  if (list === undefined) idle.set(reader.city, (list = []));
  if (list.length < WASM_READERS_IDLE_MAX && !list.includes(reader)) list.push(reader);
}

/**
 * One reader's wasm path: its memory (tables, city, batch columns and arena, input window; sized from the city
 * and the batch size once, never grown) and kernel instance. The reader owns the open batch's running values
 * and passes them in and out of each `read`.
 */
export class WasmLineReader {
  /** The open batch's columns, in the kernel's memory. */
  readonly rows: Rows;
  /** The string arena (event ids, annotations), in the kernel's memory. */
  readonly arena: Uint8Array;
  readonly idAt: Int32Array;
  readonly idLength: Int32Array;
  readonly noteAt: Int32Array;
  readonly noteLength: Int32Array;
  /** Bytes of the kernel's memory. */
  readonly memoryBytes: number;
  /** After `read`: lines read (blank ones included), blank lines, where reading stopped, a handed-over line's newline (absolute, in the buffer read). */
  lines = 0;
  blank = 0;
  stop = 0;
  lineEnd = 0;
  private readonly bytes: Uint8Array;
  private readonly state: Int32Array;
  private readonly state64: Float64Array;
  private readonly kernel: Exports;
  private readonly windowAt: number;
  private readonly stateAt: number;
  /** The input window: which buffer, from where, how many bytes, at which memory offset (null: none). */
  private windowBuf: Uint8Array | null = null;
  private windowStart = 0;
  private windowLength = 0;
  private windowMem = 0;

  /**
   * @param vehicleNames Vehicle names the kernel knows, and `vehicleCodes` their codes.
   */
  /** The city and batch size the memory is laid out for (a pooled reader is reused for the same). */
  readonly city: City;
  readonly batchEvents: number;

  constructor(
    city: City,
    vehicleNames: readonly string[],
    vehicleCodes: readonly number[],
    batchEvents: number,
    maxLineBytes: number,
    keepIds: boolean,
  ) {
    this.city = city;
    this.batchEvents = batchEvents;
    const ids = cityIds(city);
    const arenaBytes = Math.min(ARENA_BYTES_MAX, Math.max(65_536, batchEvents * ARENA_BYTES_PER_EVENT));
    const d = city.deviceCount;
    const b = city.bayCount;
    const n = batchEvents;
    // Layout: tables, state, record, id tables, city columns, rows, string columns, arena, window.
    let at = TABLES_BYTES;
    const stateAt = at;
    at += STATE_BYTES;
    const recordAt = at;
    at += RECORD_BYTES;
    const zonesAt = at;
    at += ids.zones.laidOutBytes;
    const baysAt = at;
    at += ids.bays.laidOutBytes;
    const devicesAt = at;
    at += ids.devices.laidOutBytes;
    // Direct id tables (wasm/jsonl.ts `index`): 32 bytes a slot, at least twice as many slots as ids, filled by
    // the kernel once it runs.
    const directSlots = [city.zoneCount, b, d].map((count) => {
      let slots = 16;
      while (slots < count * 2) slots *= 2;
      return slots;
    });
    const directAt = directSlots.map((slots) => {
      const start = at;
      at += slots * DIRECT_SLOT_BYTES;
      return start;
    });
    const deviceBayAt = at;
    at += align8(d * 4);
    const deviceZoneAt = at;
    at += align8(d * 4);
    const bayZoneAt = at;
    at += align8(b * 4);
    const bayVehicleAt = at;
    at += align8(b);
    const rowsAt = at;
    at += Rows.bytes(n);
    const stringsAt = at;
    at += align8(n * 4) * 4;
    const arenaAt = at;
    at += arenaBytes;
    // The batch as written: the Builder's bound (each string its bytes + 16, each event 24 + 16 + 16) and the
    // offsets of one string vector.
    const cityId = new TextEncoder().encode(city.id);
    const cityAt = at;
    at += align8(cityId.length);
    const offsetsAt = at;
    at += align8(n * 4);
    at += align8(256 + cityId.length + n * 56 + arenaBytes + 64);
    const outEnd = at;
    this.windowAt = at;
    at += WINDOW_BYTES + 8 + WINDOW_SLACK;
    const pages = Math.ceil(at / 65_536);
    this.memoryBytes = pages * 65_536;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const buffer = memory.buffer;
    this.kernel = instantiateKernel<Exports>(compileKernelSync("jsonl"), memory);
    const bytes = new Uint8Array(buffer);
    this.bytes = bytes;
    const state = new Int32Array(buffer, stateAt, STATE_BYTES / 4);
    this.state = state;
    this.stateAt = stateAt;
    this.state64 = new Float64Array(buffer, stateAt, STATE_BYTES / 8);

    // Token tables: [count][(offset, length) × count], then their bytes.
    let t = 0;
    const table = (names: readonly string[], matched = true): number => {
      // Tokens the kernel matches in place (tokenAt) are 2 to 24 bytes.
      if (matched && names.some((name) => name.length < 2 || name.length > 24))
        throw new RangeError("jsonl wasm reader: a token is not 2 to 24 bytes");
      const head = t;
      const dv = new DataView(buffer);
      dv.setInt32(head, names.length, true);
      t = head + 4 + names.length * 8;
      names.forEach((name, k) => {
        dv.setInt32(head + 4 + k * 8, t, true);
        dv.setInt32(head + 8 + k * 8, name.length, true);
        for (let i = 0; i < name.length; i++) bytes[t++] = name.charCodeAt(i);
      });
      t = align8(t);
      return head;
    };
    // Each token with what must follow it: a key's closing quote and colon, a value's closing quote.
    state[ST_KEYS] = table(EVENT_KEYS.map((key) => `${key}":`));
    state[ST_TYPES] = table(EVENT_TYPES.map((type) => `${type}"`));
    state[ST_VEHICLES] = table(vehicleNames.map((name) => `${name}"`));
    state[ST_NOTE_KEYS] = table(NOTE_KEYS, false);
    // Guesses: each key's successor on the line before (EVENT_KEYS order to start), the first key, the last event
    // type and vehicle name.
    state[ST_FOLLOW] = t;
    for (let k = 0; k < EVENT_KEYS.length; k++) bytes[t + k] = (k + 1) % EVENT_KEYS.length;
    bytes.fill(0, t + EVENT_KEYS.length, t + EVENT_KEYS.length + 3);
    t = align8(t + EVENT_KEYS.length + 3);
    state[ST_VEHICLE_CODES] = t;
    bytes.set(vehicleCodes, t);
    t += vehicleCodes.length;
    // Joints: each key as it follows a value (`,"key":`, and the opening quote of a string value), 32 bytes a
    // key, zero padded, then their lengths; the kernel compares the usual next key with them in one go.
    t = align8(t);
    state[ST_JOINTS] = t;
    EVENT_KEYS.forEach((key, k) => {
      const joint = `,"${key}":${QUOTED_KEYS.has(key) ? '"' : ""}`;
      if (joint.length > JOINT_BYTES)
        throw new RangeError("jsonl wasm reader: a key's joint is over 32 bytes");
      for (let i = 0; i < joint.length; i++) bytes[t + k * JOINT_BYTES + i] = joint.charCodeAt(i);
      bytes[t + EVENT_KEYS.length * JOINT_BYTES + k] = joint.length;
    });
    t += EVENT_KEYS.length * (JOINT_BYTES + 1);
    if (t > TABLES_BYTES) throw new RangeError("jsonl wasm reader: token tables too large");

    ids.zones.layOut(bytes, zonesAt);
    ids.bays.layOut(bytes, baysAt);
    ids.devices.layOut(bytes, devicesAt);
    state[ST_ZONES] = zonesAt;
    state[ST_BAYS] = baysAt;
    state[ST_DEVICES] = devicesAt;
    [zonesAt, baysAt, devicesAt].forEach((tableAt, k) => {
      state[ST_DIRECT + 2 * k] = directAt[k]!;
      state[ST_DIRECT + 2 * k + 1] = directSlots[k]! - 1;
      this.kernel.index(tableAt, directAt[k]!, directSlots[k]! - 1);
    });
    new Int32Array(buffer, deviceBayAt, d).set(city.deviceBay);
    new Uint32Array(buffer, deviceZoneAt, d).set(city.deviceZone);
    new Uint32Array(buffer, bayZoneAt, b).set(city.bayZone);
    bytes.set(city.bayVehicle, bayVehicleAt);
    state[ST_DEVICE_BAY] = deviceBayAt;
    state[ST_DEVICE_ZONE] = deviceZoneAt;
    state[ST_BAY_ZONE] = bayZoneAt;
    state[ST_BAY_VEHICLE] = bayVehicleAt;

    this.rows = new Rows(n, { buffer, at: rowsAt });
    const rows = this.rows;
    state[ST_COL_TIME] = rows.timeMs.byteOffset;
    state[ST_COL_TARGET] = rows.target.byteOffset;
    state[ST_COL_SEQ] = rows.seq.byteOffset;
    state[ST_COL_VALUE] = rows.value.byteOffset;
    state[ST_COL_DEVICE] = rows.device.byteOffset;
    state[ST_COL_KIND] = rows.kind.byteOffset;
    state[ST_COL_VEHICLE] = rows.vehicle.byteOffset;
    state[ST_COL_FLAGS] = rows.flags.byteOffset;
    const column = (k: number): Int32Array => new Int32Array(buffer, stringsAt + k * align8(n * 4), n);
    this.idAt = column(0);
    this.idLength = column(1);
    this.noteAt = column(2);
    this.noteLength = column(3);
    state[ST_COL_ID_AT] = this.idAt.byteOffset;
    state[ST_COL_ID_LENGTH] = this.idLength.byteOffset;
    state[ST_COL_NOTE_AT] = this.noteAt.byteOffset;
    state[ST_COL_NOTE_LENGTH] = this.noteLength.byteOffset;
    this.arena = new Uint8Array(buffer, arenaAt, arenaBytes);
    state[ST_ARENA] = arenaAt;
    state[ST_ARENA_CAP] = arenaBytes;
    state[ST_BATCH_EVENTS] = batchEvents;
    state[ST_RECORD] = recordAt;
    bytes.set(cityId, cityAt);
    state[ST_CITY] = cityAt;
    state[ST_CITY_LENGTH] = cityId.length;
    state[ST_CATALOG_HASH] = city.catalogHash | 0;
    state[ST_OFFSETS] = offsetsAt;
    state[ST_OUT_END] = outEnd;
    this.reset(maxLineBytes, keepIds);
  }

  /** Empties the batch and forgets the input window, for a reader with these options. */
  reset(maxLineBytes: number, keepIds: boolean): void {
    this.state[ST_MAX_LINE] = Math.min(maxLineBytes, 0x7fffffff);
    this.state[ST_KEEP_IDS] = keepIds ? 1 : 0;
    this.rows.clear();
    this.windowBuf = null;
  }

  /**
   * The input window as memory to read input into (WINDOW_BYTES): input given to `read` as a prefix of it is read
   * in place, not copied.
   */
  get input(): Uint8Array {
    return this.bytes.subarray(this.windowAt, this.windowAt + WINDOW_BYTES);
  }

  /** Forgets the input window (its buffer may be reused with other bytes). */
  forget(): void {
    this.windowBuf = null;
  }

  /**
   * Reads the complete lines of `buf` from `start` into the open batch, whose running values go in (`count`
   * valid events, `lo`/`hi` times, `arenaPos`; the rows' length and notes flag from `rows`) and come out through
   * `count`/`lo`/`hi`/`arenaPos` and the rows. Returns READ_DONE (the window's complete lines are read; `stop` is
   * where the next window starts), READ_FULL (`stop`: after the line that filled the batch) or READ_HAND_OVER
   * (`stop`: the start of the line the caller reads itself, `lineEnd` its newline).
   */
  read(buf: Uint8Array, start: number, count: number, lo: number, hi: number, arenaPos: number): number {
    if (buf.buffer === this.bytes.buffer && buf.byteOffset === this.windowAt) {
      // Input read into the window itself (`input`): read where it lies.
      this.windowMem = this.windowAt;
      this.windowBuf = buf;
      this.windowStart = 0;
      this.windowLength = buf.length;
    } else if (
      this.windowBuf !== buf ||
      start < this.windowStart ||
      start >= this.windowStart + this.windowLength
    ) {
      const n = Math.min(buf.length - start, WINDOW_BYTES);
      // Source and copy share their alignment mod 8 (the kernel's 8-byte loads then fall as in the source).
      this.windowMem = this.windowAt + ((buf.byteOffset + start) & 7);
      this.bytes.set(buf.subarray(start, start + n), this.windowMem);
      this.windowBuf = buf;
      this.windowStart = start;
      this.windowLength = n;
    }
    const state = this.state;
    const rows = this.rows;
    state[ST_ROWS] = rows.length;
    state[ST_COUNT] = count;
    state[ST_ARENA_POS] = arenaPos;
    state[ST_NOTES] = rows.notes ? 1 : 0;
    this.state64[ST_LO_F64] = lo;
    this.state64[ST_HI_F64] = hi;
    const from = start - this.windowStart;
    const result = this.kernel.readLines(this.windowMem + from, this.windowLength - from, this.stateAt);
    rows.length = state[ST_ROWS]!;
    rows.notes = state[ST_NOTES] !== 0;
    this.lines = state[ST_LINES]!;
    this.blank = state[ST_BLANK]!;
    this.stop = start + state[ST_STOP]!;
    this.lineEnd = start + state[ST_LINE_NL]!;
    // Every complete line of the window is read: the next read copies from where it stopped.
    if (result === READ_DONE) this.windowBuf = null;
    return result;
  }

  /**
   * The EventBatch of the open batch (its rows, and their strings in `arena`), as BatchWriter writes it: into
   * `into`'s memory when given, else a new buffer.
   *
   * @throws ParkirError when `into` hands out too little or misaligned memory.
   */
  write(into: ((bytes: number) => Uint8Array) | undefined): Uint8Array {
    const state = this.state;
    state[ST_ROWS] = this.rows.length;
    state[ST_NOTES] = this.rows.notes ? 1 : 0;
    const total = this.kernel.writeBatch(this.stateAt);
    const end = state[ST_OUT_END]!;
    const layout = writtenBatchLayout(
      this.city,
      total,
      this.rows.length,
      state[ST_OUT_EVENTS]!,
      state[ST_OUT_IDS]!,
      state[ST_OUT_NOTES]!,
      state[ST_OUT_ID_BYTES]!,
      state[ST_OUT_ID_MAX]!,
      this.state64[ST_OUT_BASE_F64]!,
      this.state64[ST_OUT_TOP_F64]!,
    );
    return deliver(this.bytes.subarray(end - total, end), into, layout);
  }

  /** The open batch's running values after `read`. */
  get count(): number {
    return this.state[ST_COUNT]!;
  }
  get arenaPos(): number {
    return this.state[ST_ARENA_POS]!;
  }
  get lo(): number {
    return this.state64[ST_LO_F64]!;
  }
  get hi(): number {
    return this.state64[ST_HI_F64]!;
  }
}

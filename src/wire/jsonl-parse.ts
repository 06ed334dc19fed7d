/**
 * CDS JSON Lines bytes -> FlatBuffers EventBatches, scanned straight from the bytes into the encoder's columns:
 * no string per line, no object per event, no string per field. Keys, `event_type` and `vehicle_type` are
 * matched as 8-byte words, strings checked four bytes at a time, ids resolved through the city's byte-keyed id
 * tables (id-table.ts), ISO-8601 times and integers parsed from the bytes; BatchWriter writes each batch.
 *
 * The fast path reads only lines it fully understands: one JSON object of known CDS keys, each at most once,
 * printable ASCII strings without escapes, integers without sign, fraction or exponent, `true`/`false`, spaces
 * or tabs between tokens (not between a key and its colon), and a valid event. Every other line (escapes,
 * unicode, unknown keys, duplicate keys, other numbers or whitespace, any invalid event) goes to the fallback,
 * which is exactly the reference path — UTF-8 decode, trim, `JSON.parse`, `eventIssues`, `resolve` — so the fast
 * path never guesses: batches and errors (line and field) are the bytes and errors `parseEventLines` +
 * `encodeEventBatches` give for the same input, except that a line longer than `maxLineBytes` is refused alone
 * (ParkirEventError on its line) without being read. A line holding a NUL byte stops reading, as it stops
 * parseEventLines.
 *
 * Where wasm runs (the default; `wasm: false` turns it off), the wasm path (jsonl-wasm.ts, wasm/jsonl.ts) reads
 * each window of complete lines in one pass under the same token rules — scan, the event's rules, ids resolved
 * through the city's id tables held in wasm memory, the row and its strings written into the open batch's columns
 * and arena, which live in the kernel's memory — and hands a line to the JavaScript path above only when it does
 * not read it the same way or the line needs what only JavaScript does (an unknown id's report, a new batch for
 * the time span, a larger string arena, an over-long line). JavaScript then writes each batch from those columns.
 */
import type { City } from "../catalog/city.js";
import { NONE } from "../catalog/city.js";
import { ParkirEventError } from "../errors/index.js";
import { wholeNumberOption } from "../errors/options.js";
import { BatchWriter } from "./batch-writer.js";
import { BATCH_EVENTS_DEFAULT, EncodeReport, Rows, resolve } from "./encode.js";
import {
  type CdsEvent,
  EVENT_LINE_BYTES_MAX,
  EVENT_TIME_MS_MAX,
  eventIssues,
  lineTooLong,
  parseEventTime,
} from "./events.js";
import { type CityIds, cityIds, fnvFinish, idHash } from "./id-table.js";
import {
  CLOSE,
  COMMA,
  CR,
  D0,
  fnv,
  isoTime,
  NL,
  OPEN,
  plain,
  QUOTE,
  SPACE,
  skipWs,
  TAB,
  text,
  WORD_FALS,
  WORD_TRUE,
} from "./json-bytes.js";
import {
  F_COST,
  F_COUNT,
  F_DEVICE,
  F_ID,
  F_OCCUPIED,
  F_SEQ,
  F_SESSION,
  F_SPACE,
  F_TIME,
  F_TYPE,
  F_VEHICLE,
  F_ZONE,
  KEY_COUNT,
  KEY_FIELDS,
  KEYS,
  NEXT_KEYS,
  NOTE_DEVICE,
  NOTE_SESSION,
  NOTE_SPACE,
  TYPES,
  VEHICLE_CODES_OF,
  VEHICLE_NAMES,
  VEHICLES,
} from "./jsonl-tokens.js";
import {
  READ_FULL,
  READ_HAND_OVER,
  releaseWasmReader,
  takeWasmReader,
  type WasmLineReader,
  WINDOW_BYTES,
  wasmReaderAvailable,
} from "./jsonl-wasm.js";
import { isBayKind, isPaymentKind, KIND } from "./kinds.js";
import {
  BATCH_SPAN_MS_MAX,
  FLAG_SEQ_IS_ID_HASH,
  FLAG_SEQ_IS_SESSION_HASH,
  FLAG_TARGET_ZONE,
  NO_DEVICE,
} from "./layout.js";

/** Whether JsonLinesReader uses the wasm path when `options.wasm` is not given. */
export const JSONL_WASM_DEFAULT = true;

/** Bytes `JsonLinesReader.fill` reads at a time (the wasm path's input window). */
export const JSONL_INPUT_BYTES = WINDOW_BYTES;

/**
 * A source read into the caller's memory: writes up to `into.length` bytes at the start of `into` and returns
 * how many, 0 at the end of the input (e.g. `(into) => readSync(fd, into)`).
 */
export type ReadInto = (into: Uint8Array) => number;

/** Errors held before the reader hands them over without a batch (bounds memory on a file of bad lines). */
export const JSONL_ERRORS_MAX = 1024;

/** Options of the JSON Lines reader. */
export interface JsonLinesOptions {
  /** Longest line read, bytes without the newline; a longer line is one ParkirEventError. Default EVENT_LINE_BYTES_MAX. */
  readonly maxLineBytes?: number;
  /** Valid events per batch (a batch closes early when its time span would pass ~49.7 days). Default 4096. */
  readonly batchEvents?: number;
  /** Keep event_id strings in the batches (see EncodeOptions.keepEventIds). Default true. */
  readonly keepEventIds?: boolean;
  /**
   * Where each batch is written (see EncodeOptions.into): called once per batch, and the reader builds the next
   * batch only after the caller has asked for it, so an engine's batchBuffer can be handed out every time.
   */
  readonly into?: (bytes: number) => Uint8Array;
  /** Counts unknown ids (see EncodeReport). Default: a new report, on the reader's `report`. */
  readonly report?: EncodeReport;
  /**
   * Read lines with the wasm path (wasm/jsonl.ts) where it runs (`wasmReaderAvailable()`; elsewhere the JavaScript
   * path reads them): same batches, errors, report and counters either way (but `counters.wasm`). Default true;
   * false reads with JavaScript only. The wasm path holds one memory per reader: a 1 MiB input window, the city's
   * id tables and columns, and about 615 bytes per event of `batchEvents` (rows, string ranges, a string arena of
   * at most 16 MiB, the batch as written); 3.6 MiB for Palu and the default batch size. A finished reader's memory
   * serves the city's next reader (one is kept idle).
   */
  readonly wasm?: boolean;
}

/** What the reader hands over: a batch (when one is complete) and the bad lines found since the last hand-over. */
export interface JsonLinesChunk {
  /** An EventBatch, or undefined when only errors are handed over. */
  readonly batch: Uint8Array | undefined;
  /** One ParkirEventError per refused line, in line order (at most JSONL_ERRORS_MAX). */
  readonly errors: readonly ParkirEventError[];
}

/** How the reader's lines went (for benchmarks and diagnostics). */
export interface JsonLinesCounters {
  /** Lines read so far (the last, unterminated one included once the input ended). */
  lines: number;
  /** Lines read by the fast path. */
  fast: number;
  /** Of those, lines the wasm path read (options.wasm). */
  wasm: number;
  /** Lines that went through JSON.parse (valid or not). */
  fallback: number;
  /** Lines refused (each has its error). */
  rejected: number;
  /** Valid events (encoded, or counted as unknown in the report). */
  events: number;
}

/**
 * Reads CDS JSON Lines bytes, chunk by chunk, into EventBatches: `push` a chunk, then call `next` until it
 * returns null; after the last chunk call `end` and drain `next` again. Memory stays bounded whatever the
 * input's size: one batch of rows, one line carried across chunks (at most maxLineBytes), JSONL_ERRORS_MAX
 * errors.
 *
 * @example
 * const reader = new JsonLinesReader(city);
 * reader.push(bytes);
 * reader.end();
 * for (let c = reader.next(); c !== null; c = reader.next()) if (c.batch) engine.ingest(c.batch);
 */
export class JsonLinesReader {
  /** Unknown ids (events with a place the catalogue does not know are counted here and left out). */
  readonly report: EncodeReport;
  /** How lines went. */
  readonly counters: JsonLinesCounters = { lines: 0, fast: 0, wasm: 0, fallback: 0, rejected: 0, events: 0 };
  /**
   * Set when reading stopped before the end: a line held a NUL byte, so the input is binary, not JSON Lines (the
   * error is also handed over with the others); later input is not read.
   */
  get stopped(): ParkirEventError | undefined {
    return this.binary;
  }
  private binary: ParkirEventError | undefined;
  private readonly city: City;
  private readonly ids: CityIds;
  private readonly maxLineBytes: number;
  private readonly batchEvents: number;
  private readonly keepIds: boolean;
  private readonly into: ((bytes: number) => Uint8Array) | undefined;
  private readonly rows: Rows;
  private readonly decoder = new TextDecoder();
  /** Valid events in the open batch (unknown places included, as encodeEventBatches counts them). */
  private count = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;
  private errors: ParkirEventError[] = [];
  /** A finished batch not yet handed over. */
  private ready: Uint8Array | undefined;
  private input: Uint8Array = new Uint8Array(0);
  /** The input memory `fill` reads into on the JavaScript path (made on its first call). */
  private own: Uint8Array | undefined;
  private pos = 0;
  private ended = false;
  /** Bytes of a line begun in an earlier chunk. */
  private carry: Uint8Array;
  private carryLength = 0;
  /** The line being carried is longer than maxLineBytes: skip to its end. */
  private overlong = false;
  /** UTF-8 bytes of the open batch's event ids and annotations (rows hold their ranges: idAt, noteAt...). */
  private arena: Uint8Array;
  private arenaDv: DataView;
  private arenaPos = 0;
  private readonly idAt: Int32Array;
  private readonly idLength: Int32Array;
  private readonly noteAt: Int32Array;
  private readonly noteLength: Int32Array;
  private readonly writer: BatchWriter;
  private readonly utf8 = new TextEncoder();

  // Fields of the line being read by the fast path (byte ranges in the line's buffer, running hashes).
  private idS = 0;
  private idE = 0;
  private kind = 0;
  private timeMs = 0;
  private zoneS = 0;
  private zoneE = 0;
  private spaceS = 0;
  private spaceE = 0;
  private devS = 0;
  private devE = 0;
  private sessS = 0;
  private sessE = 0;
  private vehicle = 0;
  private seq = 0;
  private occupied = 0;
  private vehicleCount = 0;
  private cost = 0;
  /** The vehicle name last read (VEHICLES' index: the hint for the next). */
  private vehicleName = 0;
  /** For each key, the key that followed it on the last line read (KEY_COUNT: the first key). */
  private readonly follow = Int8Array.from({ length: KEY_COUNT + 1 }, (_, k) =>
    k < KEY_COUNT - 1 ? k + 1 : 0,
  );
  private num = 0;
  /** The wasm path (options.wasm): the open batch's rows, ids and arena live in its memory. */
  private wasm: WasmLineReader | undefined;
  /** Whether the wasm path reads lines (options.wasm, where it runs). */
  readonly wasmPath: boolean;
  /** The last line the fast path read was blank. */
  private blank = false;
  /** A DataView over the buffer the fast path reads (4-byte key compares). */
  private dv: DataView = new DataView(new ArrayBuffer(0));
  private dvBuf: Uint8Array | null = null;

  /** @throws ParkirConfigError when maxLineBytes or batchEvents is not a positive whole number. */
  constructor(city: City, options: JsonLinesOptions = {}) {
    const maxLineBytes = wholeNumberOption(
      "JSON Lines reader options",
      "maxLineBytes",
      options.maxLineBytes ?? EVENT_LINE_BYTES_MAX,
    );
    const batchEvents = wholeNumberOption(
      "JSON Lines reader options",
      "batchEvents",
      options.batchEvents ?? BATCH_EVENTS_DEFAULT,
    );
    this.city = city;
    this.ids = cityIds(city);
    this.maxLineBytes = maxLineBytes;
    this.batchEvents = batchEvents;
    this.keepIds = options.keepEventIds ?? true;
    this.into = options.into;
    this.report = options.report ?? new EncodeReport();
    const wasm =
      (options.wasm ?? JSONL_WASM_DEFAULT) && wasmReaderAvailable()
        ? takeWasmReader(city, VEHICLE_NAMES, VEHICLE_CODES_OF, batchEvents, maxLineBytes, this.keepIds)
        : undefined;
    this.wasm = wasm;
    this.wasmPath = wasm !== undefined;
    this.rows = wasm?.rows ?? new Rows(batchEvents);
    this.idAt = wasm?.idAt ?? new Int32Array(batchEvents);
    this.idLength = wasm?.idLength ?? new Int32Array(batchEvents);
    this.noteAt = wasm?.noteAt ?? new Int32Array(batchEvents);
    this.noteLength = wasm?.noteLength ?? new Int32Array(batchEvents);
    this.arena = wasm?.arena ?? new Uint8Array(65_536);
    this.arenaDv = new DataView(this.arena.buffer, this.arena.byteOffset, this.arena.byteLength);
    this.writer = new BatchWriter(city);
    this.carry = new Uint8Array(Math.min(maxLineBytes, 4096));
  }

  private useArena(arena: Uint8Array): void {
    this.arena = arena;
    this.arenaDv = new DataView(arena.buffer, arena.byteOffset, arena.byteLength);
  }

  /** Hands the reader its next chunk of input (call `next` until it returns null first). */
  push(chunk: Uint8Array): void {
    if (this.ended) throw new RangeError("JsonLinesReader: push after end");
    if (this.pos < this.input.length)
      throw new RangeError("JsonLinesReader: push before the last chunk was read");
    this.input = chunk;
    this.pos = 0;
    this.wasm?.forget();
  }

  /**
   * Reads the next piece of input straight into the reader's own input memory — with the wasm path, the window
   * its kernel reads, so the bytes are not copied again — and hands it to the reader as `push` would: `read`
   * writes up to `into.length` bytes (JSONL_INPUT_BYTES) at the start of `into` and returns how many. Then call
   * `next` until it returns null. Returns false, reading nothing, when `read` returned 0 (the input ended: call
   * `end`). The memory is the reader's: it holds one piece at a time, whatever the input's size.
   *
   * @example
   * const fd = openSync("day.jsonl", "r");
   * while (reader.fill((into) => readSync(fd, into))) for (let c = reader.next(); c; c = reader.next()) use(c);
   * reader.end();
   * @throws RangeError as push does, or when `read` returns anything but an integer in [0, into.length].
   */
  fill(read: ReadInto): boolean {
    if (this.ended) throw new RangeError("JsonLinesReader: fill after end");
    if (this.pos < this.input.length)
      throw new RangeError("JsonLinesReader: fill before the last chunk was read");
    const into = this.inputMemory();
    const n = read(into);
    if (!Number.isInteger(n) || n < 0 || n > into.length)
      throw new RangeError(`JsonLinesReader: read returned ${n}, not a byte count in [0, ${into.length}]`);
    if (n === 0) return false;
    this.push(into.subarray(0, n));
    return true;
  }

  /** The memory `fill` reads into: the wasm path's input window, else a buffer of the reader's own. */
  private inputMemory(): Uint8Array {
    if (this.wasm !== undefined) return this.wasm.input;
    this.own ??= new Uint8Array(JSONL_INPUT_BYTES);
    return this.own;
  }

  /** Marks the end of the input: the last line (without a newline) and the last batch follow from `next`. */
  end(): void {
    this.ended = true;
  }

  /**
   * Reads on until a batch is complete or JSONL_ERRORS_MAX errors are held, and hands them over; null when the
   * input pushed so far is used up (after `end`: when everything was handed over).
   */
  next(): JsonLinesChunk | null {
    while (this.ready === undefined && this.errors.length < JSONL_ERRORS_MAX) {
      if (!this.step()) break;
    }
    if (this.ready === undefined && this.ended && this.pos >= this.input.length) {
      if (this.carryLength > 0 || this.overlong) this.lastLine();
      if (this.ready === undefined && this.count > 0) this.finish();
    }
    if (this.ready === undefined && this.errors.length === 0) {
      // Everything is handed over: the wasm path's memory goes back to the pool for the city's next reader.
      if (this.ended && this.wasm !== undefined) {
        releaseWasmReader(this.wasm);
        this.wasm = undefined;
      }
      return null;
    }
    const out: JsonLinesChunk = { batch: this.ready, errors: this.errors };
    this.ready = undefined;
    this.errors = [];
    return out;
  }

  /** Reads one line of the current chunk; false when the chunk is used up. */
  private step(): boolean {
    const buf = this.input;
    const start = this.pos;
    if (start >= buf.length) return false;
    if (this.binary !== undefined) {
      // Binary input: the rest is not read.
      this.pos = buf.length;
      this.carryLength = 0;
      this.overlong = false;
      return false;
    }
    const wasm = this.wasm;
    if (wasm !== undefined && this.carryLength === 0 && !this.overlong && this.arena === wasm.arena) {
      // The wasm path reads the chunk's complete lines into the open batch until it is full or a line is ours.
      const r = wasm.read(buf, start, this.count, this.lo, this.hi, this.arenaPos);
      const read = wasm.lines;
      const events = read - wasm.blank;
      const c = this.counters;
      c.lines += read;
      c.fast += events;
      c.wasm += events;
      c.events += events;
      this.count = wasm.count;
      this.lo = wasm.lo;
      this.hi = wasm.hi;
      this.arenaPos = wasm.arenaPos;
      this.pos = wasm.stop;
      if (r === READ_FULL) {
        this.finish();
        return true;
      }
      if (r === READ_HAND_OVER) {
        this.pos = wasm.lineEnd + 1;
        this.line(buf, wasm.stop, wasm.lineEnd);
        return true;
      }
      // The window's lines are read; without any (a line longer than the window, or the chunk's unfinished
      // last line) the JavaScript path below reads on.
      if (read > 0) return true;
    }
    if (this.carryLength === 0 && !this.overlong) {
      // The fast path finds the line's end itself: no separate pass for the newline.
      const e = this.fast(buf, start, buf.length, true);
      if (e >= 0) {
        this.counters.lines++;
        if (!this.blank) this.counters.fast++;
        this.pos = e + 1;
        return true;
      }
    }
    const nl = buf.indexOf(NL, start);
    if (nl < 0) {
      this.keep(buf, start, buf.length);
      this.pos = buf.length;
      return false;
    }
    this.pos = nl + 1;
    if (this.carryLength > 0 || this.overlong) {
      this.keep(buf, start, nl);
      this.lastLine();
      return true;
    }
    this.line(buf, start, nl);
    return true;
  }

  /** Adds bytes of an unfinished line to the carry (up to maxLineBytes + 1, enough to know it is too long). */
  private keep(buf: Uint8Array, start: number, end: number): void {
    if (this.overlong) {
      this.carryLength += end - start;
      return;
    }
    const total = this.carryLength + end - start;
    if (total > this.maxLineBytes) {
      this.overlong = true;
      this.carryLength = total;
      return;
    }
    if (total > this.carry.length) {
      const grown = new Uint8Array(Math.min(this.maxLineBytes, Math.max(total, this.carry.length * 2)));
      grown.set(this.carry.subarray(0, this.carryLength));
      this.carry = grown;
    }
    this.carry.set(buf.subarray(start, end), this.carryLength);
    this.carryLength = total;
  }

  /** Reads the carried line and empties the carry. */
  private lastLine(): void {
    if (this.overlong) {
      this.counters.lines++;
      this.tooLong(this.carryLength);
    } else this.line(this.carry, 0, this.carryLength);
    this.carryLength = 0;
    this.overlong = false;
  }

  private tooLong(bytes: number): void {
    this.reject([lineTooLong(bytes, this.maxLineBytes)]);
  }

  private reject(issues: { path: string; message: string }[]): void {
    this.counters.rejected++;
    this.errors.push(new ParkirEventError(issues, this.counters.lines));
  }

  /** One complete line `buf[start, end)` (no newline). */
  private line(buf: Uint8Array, start: number, end: number): void {
    this.counters.lines++;
    if (end - start > this.maxLineBytes) {
      this.tooLong(end - start);
      return;
    }
    if (this.fast(buf, start, end, false) >= 0) {
      if (!this.blank) this.counters.fast++;
      return;
    }
    this.counters.fallback++;
    const raw = this.decoder.decode(buf.subarray(start, end)).trim();
    if (raw === "") return;
    if (raw.includes("\u0000")) {
      // As parseEventLines: binary data is not JSON Lines, and nothing after it is read.
      this.reject([
        { path: "", message: "binary data (a NUL byte): this is not JSON Lines; stopped reading here" },
      ]);
      this.binary = this.errors[this.errors.length - 1];
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      this.reject([{ path: "", message: `not JSON: ${(err as Error).message}` }]);
      return;
    }
    const issues = eventIssues(value);
    if (issues.length > 0) {
      this.reject(issues);
      return;
    }
    const e = value as CdsEvent;
    this.admit(parseEventTime(e.event_time));
    const rows = this.rows;
    const k = rows.length;
    resolve(e, this.city, this.report, rows);
    if (rows.length > k) {
      // resolve keeps the row's strings beside it: they go to the arena like the fast path's.
      const note = rows.note.pop()!;
      const id = rows.id.pop()!;
      this.idLength[k] = this.keepIds ? this.encodeString(id as string, k, this.idAt) : 0;
      this.noteLength[k] = this.encodeString(note as string, k, this.noteAt);
    }
    this.counted();
  }

  /** Starts a new batch first when an event at `t` would stretch the open one's time span too far. */
  private admit(t: number): void {
    if (this.count > 0 && Math.max(this.hi, t) - Math.min(this.lo, t) > BATCH_SPAN_MS_MAX) this.finish();
    if (t < this.lo) this.lo = t;
    if (t > this.hi) this.hi = t;
  }

  /** Counts a valid event into the open batch and closes the batch when it is full. */
  private counted(): void {
    this.counters.events++;
    if (++this.count === this.batchEvents) this.finish();
  }

  /** Builds the open batch (it becomes `ready`) and opens the next. */
  private finish(): void {
    const rows = this.rows;
    const n = rows.length;
    this.report.encoded += n;
    const wasm = this.wasm;
    if (wasm !== undefined && this.arena === wasm.arena) {
      // The batch's rows and strings are in the kernel's memory: it writes the batch there, copied out once.
      this.ready = wasm.write(this.into);
    } else {
      let base = n === 0 ? 0 : Number.POSITIVE_INFINITY;
      for (let k = 0; k < n; k++) if (rows.timeMs[k]! < base) base = rows.timeMs[k]!;
      const strings = {
        arena: this.arena,
        idAt: this.idAt,
        idLength: this.idLength,
        noteAt: this.noteAt,
        noteLength: this.noteLength,
      };
      this.ready = this.writer.write(rows, strings, base, this.keepIds, this.into);
    }
    rows.clear();
    this.count = 0;
    this.lo = Number.POSITIVE_INFINITY;
    this.hi = Number.NEGATIVE_INFINITY;
    this.arenaPos = 0;
    // A batch whose strings outgrew the wasm arena moved them to the heap; the next starts in the arena again.
    if (this.wasm !== undefined && this.arena !== this.wasm.arena) this.useArena(this.wasm.arena);
  }

  /**
   * The fast path: reads the line at `buf[start]` into the next row when it is a line it fully understands and a
   * valid event, and returns the index of its end (its newline, or `lim`); -1 for anything else (nothing is
   * written then, and the caller reads the line the slow way). `inPlace`: the line ends at the first newline
   * before `lim`, and one without a newline there is not handled (it may go on in the next chunk); else the line
   * is exactly `buf[start, lim)`. A line of spaces, tabs and \r only sets `blank`.
   */
  private fast(buf: Uint8Array, start: number, lim: number, inPlace: boolean): number {
    const end = lim;
    this.blank = false;
    let i = start;
    // Leading and trailing spaces, tabs and \r are trimmed, as String.prototype.trim would.
    while (i < end && (buf[i] === SPACE || buf[i] === TAB || buf[i] === CR)) i++;
    if (inPlace ? i < end && buf[i] === NL : i === end) {
      // A blank line longer than maxLineBytes is refused as any other (by the caller).
      if (i - start > this.maxLineBytes) return -1;
      this.blank = true;
      return i;
    }
    if (i >= end || buf[i] !== OPEN) return -1;
    if (buf !== this.dvBuf) {
      this.dvBuf = buf;
      this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    const dv = this.dv;
    const follow = this.follow;
    i = i + 1;
    if (buf[i] === SPACE || buf[i] === TAB) i = skipWs(buf, i, end);
    let seen = 0;
    // Keys usually come in the order of the line before: `follow` predicts each from the one before
    // (KEY_COUNT: the first). A key's token holds its colon: a space before the colon sends the line to the fallback.
    if (i >= end || buf[i] !== QUOTE) return -1;
    let k = KEYS.find(dv, buf, i + 1, end, follow[KEY_COUNT]!);
    if (k < 0) return -1;
    follow[KEY_COUNT] = k;
    i = i + 1 + KEYS.length[k]!;
    for (;;) {
      const f = KEY_FIELDS[k]!;
      if ((seen & f) !== 0) return -1;
      seen |= f;
      if (buf[i] === SPACE || buf[i] === TAB) i = skipWs(buf, i, end);
      if (i >= end) return -1;
      // Where a string value's content starts.
      const s = i + 1;
      switch (f) {
        case F_ID:
        case F_ZONE:
        case F_SPACE:
        case F_DEVICE:
        case F_SESSION:
          i = plain(buf, dv, i, end);
          if (i < 0) return -1;
          if (f === F_ID) {
            this.idS = s;
            this.idE = i - 1;
          } else if (f === F_SPACE) {
            this.spaceS = s;
            this.spaceE = i - 1;
          } else if (f === F_DEVICE) {
            this.devS = s;
            this.devE = i - 1;
          } else if (f === F_ZONE) {
            this.zoneS = s;
            this.zoneE = i - 1;
          } else {
            this.sessS = s;
            this.sessE = i - 1;
          }
          break;
        case F_TYPE: {
          if (buf[i] !== QUOTE) return -1;
          const t = TYPES.find(dv, buf, i + 1, end, this.kind);
          if (t < 0) return -1;
          this.kind = t;
          i = i + 1 + TYPES.length[t]!;
          break;
        }
        case F_VEHICLE: {
          if (buf[i] !== QUOTE) return -1;
          const t = VEHICLES.find(dv, buf, i + 1, end, this.vehicleName);
          if (t < 0) return -1;
          this.vehicleName = t;
          this.vehicle = VEHICLE_CODES_OF[t]!;
          i = i + 1 + VEHICLES.length[t]!;
          break;
        }
        case F_TIME:
        case F_SEQ:
        case F_COUNT:
        case F_COST: {
          if (buf[i] === QUOTE) {
            // Only a time may be a string (ISO-8601).
            if (f !== F_TIME) return -1;
            i = plain(buf, dv, i, end);
            if (i < 0) return -1;
            const t = isoTime(buf, s, i - 1);
            if (!(t >= 0)) return -1;
            this.timeMs = t;
            break;
          }
          // One call site for every integer field.
          i = this.int(buf, i, end, f === F_TIME ? 16 : 10);
          if (i < 0) return -1;
          const v = this.num;
          if (f === F_TIME) {
            if (v > EVENT_TIME_MS_MAX) return -1;
            this.timeMs = v;
          } else if (f === F_SEQ) {
            if (v > 0xffffffff) return -1;
            this.seq = v;
          } else {
            if (v > 0x7fffffff) return -1;
            if (f === F_COUNT) this.vehicleCount = v;
            else this.cost = v;
          }
          break;
        }
        default:
          // F_OCCUPIED: true or false, as one word (and an "e").
          if (i + 4 <= end && dv.getInt32(i, true) === WORD_TRUE) {
            this.occupied = 1;
            i += 4;
          } else if (i + 5 <= end && dv.getInt32(i, true) === WORD_FALS && buf[i + 4] === 0x65) {
            this.occupied = 0;
            i += 5;
          } else return -1;
      }
      if (i >= end) return -1;
      let c = buf[i];
      if (c === SPACE || c === TAB) {
        i = skipWs(buf, i, end);
        if (i >= end) return -1;
        c = buf[i];
      }
      if (c === COMMA) {
        // The predicted key right after the comma, as one token; else any key after spaces.
        const next = follow[k]!;
        if (NEXT_KEYS.at(dv, buf, i, end, next)) {
          k = next;
          i += NEXT_KEYS.length[next]!;
          continue;
        }
        i = i + 1;
        if (buf[i] === SPACE || buf[i] === TAB) i = skipWs(buf, i, end);
        if (i >= end || buf[i] !== QUOTE) return -1;
        const found = KEYS.find(dv, buf, i + 1, end, next);
        if (found < 0) return -1;
        follow[k] = found;
        k = found;
        i = i + 1 + KEYS.length[found]!;
        continue;
      }
      if (c !== CLOSE) return -1;
      i++;
      while (i < end && (buf[i] === SPACE || buf[i] === TAB || buf[i] === CR)) i++;
      if (inPlace ? i >= end || buf[i] !== NL : i !== end) return -1;
      break;
    }
    if (i - start > this.maxLineBytes) return -1;
    return this.accept(buf, seen) ? i : -1;
  }

  /**
   * The event's own rules (eventIssues) over the fields just read: when they hold, the event goes into the open
   * batch; false when a field is missing (nothing written: the fallback names it).
   */
  private accept(buf: Uint8Array, seen: number): boolean {
    if ((seen & (F_ID | F_TYPE | F_TIME)) !== (F_ID | F_TYPE | F_TIME)) return false;
    const kind = this.kind;
    if (kind === KIND.scheduled_report && (seen & F_OCCUPIED) === 0) return false;
    if (kind === KIND.manual_count && (seen & (F_COUNT | F_ZONE)) !== (F_COUNT | F_ZONE)) return false;
    if (isPaymentKind(kind) && ((seen & F_SESSION) === 0 || (seen & F_SEQ) !== 0)) return false;
    if (kind === KIND.payment_end && (seen & F_COST) === 0) return false;
    this.admit(this.timeMs);
    this.resolveFast(buf, seen);
    this.counted();
    return true;
  }

  /** Reads an integer token of at most `digits` digits, no sign, fraction or exponent, into num; or -1. */
  private int(buf: Uint8Array, i: number, end: number, digits: number): number {
    let j = i;
    let v = 0;
    while (j < end) {
      const d = buf[j]! - D0;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
      j++;
    }
    const n = j - i;
    if (n === 0 || n > digits || (n > 1 && buf[i] === D0)) return -1;
    if (j < end) {
      const c = buf[j];
      if (c !== COMMA && c !== CLOSE && c !== SPACE && c !== TAB) return -1;
    }
    this.num = v;
    return j;
  }

  /** encodeEvents' resolve for the line just read, with ids looked up by their bytes. */
  private resolveFast(buf: Uint8Array, seen: number): void {
    const city = this.city;
    const ids = this.ids;
    const kind = this.kind;
    const hasSpace = (seen & F_SPACE) !== 0;
    const hasDevice = (seen & F_DEVICE) !== 0;
    let vehicle = (seen & F_VEHICLE) !== 0 ? this.vehicle : 0;
    let flags = 0;
    let device = NO_DEVICE;
    let target: number;
    if (hasDevice) {
      const d = this.lookup(ids.devices, buf, this.devS, this.devE, city.deviceIndex);
      if (d !== NONE) device = d;
    }
    // The encoder's rule (encode.ts): a bay kind is a bay event when it names a bay, or a device that is a bay's
    // sensor, or an unknown device without a zone; otherwise it is a zone-level arrival or departure.
    const hasZone = (seen & F_ZONE) !== 0;
    const bayDevice = device !== NO_DEVICE && city.deviceBay[device] !== NONE;
    if (isBayKind(kind) && (hasSpace || bayDevice || (device === NO_DEVICE && hasDevice && !hasZone))) {
      let bay = NONE;
      if (hasSpace) {
        // A bay sensor's event usually names the sensor's own bay: one comparison then, no hash.
        const own = device !== NO_DEVICE ? city.deviceBay[device]! : NONE;
        bay =
          own !== NONE && ids.bays.is(buf, this.dv, this.spaceS, this.spaceE, own)
            ? own
            : this.lookup(ids.bays, buf, this.spaceS, this.spaceE, city.bayIndex);
      } else if (device !== NO_DEVICE) bay = city.deviceBay[device]!;
      if (bay === NONE) {
        if (hasSpace) this.report.noteUnknown("bay", "curb_space_id", text(buf, this.spaceS, this.spaceE));
        else this.report.noteUnknown("bay", "data_source_device_id", text(buf, this.devS, this.devE));
        return;
      }
      target = bay;
      if (device === NO_DEVICE) device = bay;
      if (vehicle === 0) vehicle = city.bayVehicle[bay]!;
    } else {
      let zone = NONE;
      if (hasZone) zone = this.lookup(ids.zones, buf, this.zoneS, this.zoneE, city.zoneIndex);
      else if (hasSpace) {
        const bay = this.lookup(ids.bays, buf, this.spaceS, this.spaceE, city.bayIndex);
        if (bay !== NONE) zone = city.bayZone[bay]!;
      } else if (device !== NO_DEVICE) zone = city.deviceZone[device]!;
      if (zone === NONE) {
        if (hasZone) this.report.noteUnknown("zone", "curb_zone_id", text(buf, this.zoneS, this.zoneE));
        else if (hasSpace)
          this.report.noteUnknown("zone", "curb_space_id", text(buf, this.spaceS, this.spaceE));
        else if (hasDevice)
          this.report.noteUnknown("zone", "data_source_device_id", text(buf, this.devS, this.devE));
        else this.report.noteUnknown("zone", "curb_zone_id", undefined);
        return;
      }
      target = zone;
      flags |= FLAG_TARGET_ZONE;
    }
    let seq: number;
    if (isPaymentKind(kind)) {
      seq = fnvFinish(fnv(buf, this.sessS, this.sessE));
      flags |= FLAG_SEQ_IS_SESSION_HASH;
    } else if ((seen & F_SEQ) !== 0) {
      seq = this.seq;
    } else {
      seq = fnvFinish(fnv(buf, this.idS, this.idE));
      flags |= FLAG_SEQ_IS_ID_HASH;
    }
    let value = 0;
    if (kind === KIND.scheduled_report) value = this.occupied;
    else if (kind === KIND.manual_count) value = this.vehicleCount;
    else if (kind === KIND.enter_area || kind === KIND.exit_area)
      value = (seen & F_COUNT) !== 0 ? this.vehicleCount : 1;
    else if (kind === KIND.payment_end) value = this.cost;
    const rows = this.rows;
    const k = rows.length++;
    rows.timeMs[k] = this.timeMs;
    rows.target[k] = target;
    rows.seq[k] = seq;
    rows.value[k] = value;
    rows.device[k] = device;
    rows.kind[k] = kind;
    rows.vehicle[k] = vehicle;
    rows.flags[k] = flags;
    if (this.keepIds) {
      this.room(this.idE - this.idS);
      this.idAt[k] = this.arenaPos;
      this.idLength[k] = this.idE - this.idS;
      this.copy(buf, this.idS, this.idE, null);
    }
    // Fields the struct cannot hold, as encodeEvents writes them: {"event_session_id":…,"data_source_device_id":…,"curb_space_id":…}
    const noteSession = (seen & F_SESSION) !== 0;
    const noteDevice = hasDevice && device === NO_DEVICE;
    const noteSpace = hasSpace && (flags & FLAG_TARGET_ZONE) !== 0;
    if (!noteSession && !noteDevice && !noteSpace) {
      this.noteLength[k] = 0;
      return;
    }
    this.room(
      2 +
        (noteSession ? NOTE_SESSION.length + 2 + this.sessE - this.sessS : 0) +
        (noteDevice ? NOTE_DEVICE.length + 2 + this.devE - this.devS : 0) +
        (noteSpace ? NOTE_SPACE.length + 2 + this.spaceE - this.spaceS : 0),
    );
    const at = this.arenaPos;
    this.arena[this.arenaPos++] = OPEN;
    if (noteSession) this.copy(buf, this.sessS, this.sessE, NOTE_SESSION);
    if (noteDevice) this.copy(buf, this.devS, this.devE, NOTE_DEVICE);
    if (noteSpace) this.copy(buf, this.spaceS, this.spaceE, NOTE_SPACE);
    this.arena[this.arenaPos++] = CLOSE;
    this.noteAt[k] = at;
    this.noteLength[k] = this.arenaPos - at;
    rows.notes = true;
  }

  /** An id's index: the byte table, and on a miss the catalogue's own lookup (the final word on unknown ids). */
  private lookup(
    table: CityIds["zones"],
    buf: Uint8Array,
    s: number,
    e: number,
    byName: (id: string) => number,
  ): number {
    const v = table.find(buf, this.dv, s, e, idHash(buf, this.dv, s, e));
    return v !== NONE ? v : byName(text(buf, s, e));
  }

  /**
   * Appends `buf[s, e)` to the arena (room made beforehand) — as `,"key":"…"` when `key` is given, without the
   * comma right after the annotation's `{`.
   */
  private copy(buf: Uint8Array, s: number, e: number, key: Uint8Array | null): void {
    const a = this.arena;
    let p = this.arenaPos;
    if (key !== null) {
      if (a[p - 1] !== OPEN) a[p++] = COMMA;
      for (let i = 0; i < key.length; i++) a[p++] = key[i]!;
    }
    const n = e - s;
    if (n >= 4) {
      // 32-bit words, the last one overlapping the one before.
      const from = this.dv;
      const to = this.arenaDv;
      for (let o = 0; o < n - 4; o += 4) to.setInt32(p + o, from.getInt32(s + o, true), true);
      to.setInt32(p + n - 4, from.getInt32(e - 4, true), true);
      p += n;
    } else for (let i = s; i < e; i++) a[p++] = buf[i]!;
    if (key !== null) a[p++] = QUOTE;
    this.arenaPos = p;
  }

  /** Writes `text` to the arena as UTF-8, its start at `at[k]`: its length in bytes. */
  private encodeString(text: string, k: number, at: Int32Array): number {
    this.room(text.length * 3);
    at[k] = this.arenaPos;
    const { written } = this.utf8.encodeInto(text, this.arena.subarray(this.arenaPos));
    this.arenaPos += written;
    return written;
  }

  /** Makes room for `n` more arena bytes (a full arena grows, keeping the open batch's strings). */
  private room(n: number): void {
    if (this.arenaPos + n <= this.arena.length) return;
    const grown = new Uint8Array(Math.max(this.arena.length * 2, this.arenaPos + n));
    grown.set(this.arena.subarray(0, this.arenaPos));
    this.useArena(grown);
  }
}

/**
 * CDS JSON Lines (or FlatBuffers batches) -> occupancy engine -> closed windows, as a library function: the
 * `parkir replay` path. The input is streamed (bounded memory whatever its size): the JSON Lines reader scans each
 * chunk straight into the engine's batch memory (`batchBuffer`), the engine ingests each batch in place, and
 * closed windows are handed to `onWindows` as they are emitted. The engine measures the feed against the median
 * time of its first REPLAY_REFERENCE_EVENTS events (its `referenceTimeMs`), so the batches holding them wait
 * until they are read: a single event at time 0 at the start cannot become the feed's reference.
 */
import type { City } from "../catalog/city.js";
import { ParkirError, type ParkirEventError, ParkirWireError } from "../errors/index.js";
import { wholeNumberOption } from "../errors/options.js";
import { writtenLayout } from "../wire/batch-writer.js";
import { BATCH_EVENTS_DEFAULT, EncodeReport, encodeEvents, UNKNOWN_IDS_MAX } from "../wire/encode.js";
import type { CdsEvent } from "../wire/events.js";
import {
  type JsonLinesChunk,
  type JsonLinesOptions,
  JsonLinesReader,
  type ReadInto,
} from "../wire/jsonl-parse.js";
import { type ByteSource, readJsonLinesBatches } from "../wire/jsonl-stream.js";
import type { BatchLayout } from "../wire/verify.js";
import { EventBatchView } from "../wire/view.js";
import { INGEST_WRITTEN, OccupancyEngine } from "./engine.js";
import { type OccupancyOptions, resolveOptions } from "./options.js";
import type { IngestResult } from "./reports.js";
import type { WindowBatch } from "./types.js";

/** Most events at the start of a feed whose median time becomes the engine's referenceTimeMs. */
export const REPLAY_REFERENCE_EVENTS = 4096;

/** Options of replayJsonLines. */
export interface ReplayJsonLinesOptions {
  /**
   * Engine options. Defaults here: `reuseWindowBuffers: true` (a window's columns are valid during its
   * `onWindows` call only) and `clock: () => 0` (output depends on the input alone).
   */
  readonly engine?: OccupancyOptions;
  /**
   * Measure the feed against the median time of its first REPLAY_REFERENCE_EVENTS events (the engine's
   * `referenceTimeMs`; the batches holding them are ingested once they are read). Default true; ignored when
   * `engine.referenceTimeMs` is given.
   */
  readonly feedReference?: boolean;
  /**
   * Reader options (batchEvents, maxLineBytes, keepEventIds). keepEventIds defaults to true: de-duplication
   * compares event ids exactly, and without them only a 32-bit hash of each id per device.
   */
  readonly reader?: Omit<JsonLinesOptions, "into" | "report">;
  /** Each closed window, in order, as the engine emits it. An error it throws stops the replay (rethrown). */
  readonly onWindows?: (batch: WindowBatch) => void;
  /** Each refused line (ParkirEventError with its line number), in line order. */
  readonly onError?: (error: ParkirEventError) => void;
  /** Each batch the engine refused (e.g. clock-skew: a jump of event time past maxTimeJumpMs). */
  readonly onRefusedBatch?: (error: ParkirWireError) => void;
  /** Called with the engine before the first batch (to watch late$ / health$). */
  readonly onEngine?: (engine: OccupancyEngine) => void;
  /** What the engine made of each batch (1-based batch number), e.g. to describe clock skew. */
  readonly onIngest?: (result: IngestResult, batch: number) => void;
}

/** What a JSON Lines replay did (the same counts as `parkir replay`'s summary line, and more). */
export interface ReplayJsonLinesSummary {
  /** Events accepted by the engine. */
  readonly accepted: number;
  /** Duplicates dropped. */
  readonly duplicate: number;
  /** Late events dropped. */
  readonly late: number;
  /** Events naming a bay, zone or device the catalogue does not know (or a class without capacity). */
  readonly unknownBay: number;
  /** Lines refused (not JSON, not a valid event, too long). */
  readonly rejected: number;
  /** Events refused alone because their time lay too far from the rest of the data (or the clock). */
  readonly clockSkew: number;
  /** Batches the engine refused. */
  readonly refusedBatches: number;
  /** Windows emitted. */
  readonly windows: number;
  /** Lines read (events, for replayEventsSync; 0 for batches). */
  readonly lines: number;
  /** Some of the unknown ids, as `kind field=value` (see EncodeReport.unknownIds). */
  readonly unknownIds: readonly string[];
}

/** Rounds of quickselect lowerMedian runs before it sorts instead (a bound on its time whatever the input). */
const SELECT_ROUNDS_MAX = 48;

/**
 * The lower median of `a[0, n)` (n ≥ 1): the value `a.subarray(0, n).sort()[(n - 1) >>> 1]` holds, found by
 * quickselect (median-of-three pivots) in O(n) — reordering `a` — or by a sort after SELECT_ROUNDS_MAX rounds.
 * Values must not be NaN. @internal
 */
export function lowerMedian(a: Float64Array, n: number): number {
  const k = (n - 1) >>> 1;
  let lo = 0;
  let hi = n - 1;
  for (let round = 0; lo < hi; round++) {
    if (round === SELECT_ROUNDS_MAX) return a.subarray(lo, hi + 1).sort()[k - lo]!;
    const x = a[lo]!;
    const y = a[(lo + hi) >>> 1]!;
    const z = a[hi]!;
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** Buffers for batches held before a replay's engine exists, kept for the next replays (at most HELD_FREE_MAX). */
const heldFree: Uint8Array[] = [];
const HELD_FREE_MAX = 4;
/** The buffers heldMemory made (a batch in any other memory, e.g. replayBatchesSync's input, is never reused). */
const heldOwn = new WeakSet<ArrayBufferLike>();

/** `n` bytes for a held batch: a free buffer's prefix when one is large enough, else a new buffer. */
function heldMemory(n: number): Uint8Array {
  const k = heldFree.findIndex((b) => b.length >= n);
  if (k >= 0) return heldFree.splice(k, 1)[0]!.subarray(0, n);
  const b = new Uint8Array(n);
  heldOwn.add(b.buffer);
  return b;
}

/** Gives a held batch's memory back once the engine has ingested it, when heldMemory made it. */
function freeHeldMemory(batch: Uint8Array): void {
  if (
    heldFree.length < HELD_FREE_MAX &&
    heldOwn.has(batch.buffer) &&
    !heldFree.some((b) => b.buffer === batch.buffer)
  )
    heldFree.push(new Uint8Array(batch.buffer));
}

/** An engine fed batches (from a reader, or frames): the part every entry point shares. */
class Replay {
  private engine: OccupancyEngine | undefined;
  private windows = 0;
  private refused = 0;
  private batches = 0;
  /** Batches read before the engine exists (until the feed's reference time is known), and their times. */
  private held: Uint8Array[] = [];
  /** The layout each held batch was written with (undefined: it is verified). */
  private heldLayouts: (BatchLayout | undefined)[] = [];
  private readonly times = new Float64Array(REPLAY_REFERENCE_EVENTS);
  private timeCount = 0;
  /** The first error onWindows threw (rethrown once the engine call returns). */
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly city: City,
    private readonly options: ReplayJsonLinesOptions,
  ) {
    resolveOptions(options.engine ?? {});
    if (!(options.feedReference ?? true) || options.engine?.referenceTimeMs !== undefined)
      this.start(undefined);
  }

  /** Creates the engine, measured against `referenceTimeMs` when given. */
  private start(referenceTimeMs: number | undefined): OccupancyEngine {
    const engine = new OccupancyEngine(this.city, {
      reuseWindowBuffers: true,
      clock: () => 0,
      ...this.options.engine,
      ...(referenceTimeMs === undefined ? {} : { referenceTimeMs }),
    });
    this.engine = engine;
    const onWindows = this.options.onWindows;
    engine.windows$.subscribe((w) => {
      this.windows++;
      // RxJS would report a subscriber's error asynchronously and go on; the replay stops on it instead.
      if (onWindows === undefined || this.failure !== undefined) return;
      try {
        onWindows(w);
      } catch (e) {
        this.failure = { error: e };
      }
    });
    this.options.onEngine?.(engine);
    return engine;
  }

  readerOptions(): JsonLinesOptions {
    return {
      ...this.options.reader,
      // Memory of the replay's own while batches are held; the engine's batch memory once they are ingested one by one.
      into: (n) => (this.engine === undefined ? heldMemory(n) : this.engine.batchBuffer(n)),
    };
  }

  /**
   * A reader's (or encoder's) hand-over: its errors, then its batch. A batch parkir's writer has just written is
   * ingested over the layout it was written with (not verified again) when no other code can have written into
   * it since: it lies in memory only this replay holds (batches held before the engine exists), or no other code
   * ran between its writing and its ingestion — no onError call (a callback may hold a view of the engine's
   * memory: onEngine's engine, onWindows' columns), and no await (`sync` false: replayJsonLines).
   */
  take(c: JsonLinesChunk, sync = true): void {
    // Asked before any callback runs: whether the batch is the array parkir's writer just delivered.
    let written = c.batch === undefined ? undefined : writtenLayout(c.batch);
    if (!sync && this.engine !== undefined) written = undefined;
    const onError = this.options.onError;
    if (onError !== undefined && c.errors.length > 0) {
      for (const e of c.errors) onError(e);
      if (this.engine !== undefined) written = undefined;
    }
    if (c.batch !== undefined) this.batch(c.batch, written);
  }

  /**
   * One batch: ingested, or held (with its times) until the reference time is known. `written`: its layout as
   * parkir's writer wrote it, for a batch no other code can have written into since (see `take`); else it is
   * verified.
   */
  batch(bytes: Uint8Array, written?: BatchLayout): void {
    if (this.engine !== undefined) {
      this.ingest(this.engine, bytes, written);
      return;
    }
    this.held.push(bytes);
    this.heldLayouts.push(written);
    try {
      const view =
        written === undefined
          ? EventBatchView.from(bytes, { city: this.city })
          : EventBatchView.written(bytes, written);
      const times = this.times;
      let k = this.timeCount;
      for (let i = 0; i < view.length && k < REPLAY_REFERENCE_EVENTS; i++) times[k++] = view.timeMs(i);
      this.timeCount = k;
    } catch {
      // A batch that fails verification holds no times; the engine refuses it in its turn.
    }
    if (this.timeCount >= REPLAY_REFERENCE_EVENTS) this.release();
  }

  /** Starts the engine at the median of the held times and ingests the held batches. */
  private release(): OccupancyEngine {
    const n = this.timeCount;
    const engine = this.start(n === 0 ? undefined : lowerMedian(this.times, n));
    const held = this.held;
    const layouts = this.heldLayouts;
    this.held = [];
    this.heldLayouts = [];
    this.timeCount = 0;
    for (let k = 0; k < held.length; k++) {
      this.ingest(engine, held[k]!, layouts[k]);
      // The engine keeps nothing of a batch it ingested (as of its batchBuffer): the memory serves the next replay.
      freeHeldMemory(held[k]!);
    }
    return engine;
  }

  private ingest(engine: OccupancyEngine, bytes: Uint8Array, written: BatchLayout | undefined): void {
    const r = written === undefined ? engine.ingest(bytes) : engine[INGEST_WRITTEN](bytes, written);
    this.rethrow();
    this.batches++;
    if (r.error !== undefined) {
      this.refused++;
      this.options.onRefusedBatch?.(r.error);
    }
    this.options.onIngest?.(r, this.batches);
  }

  /** Throws what onWindows threw, if it did. */
  private rethrow(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }

  finish(lines: number, rejected: number, report: EncodeReport): ReplayJsonLinesSummary {
    const engine = this.engine ?? this.release();
    engine.close();
    this.rethrow();
    const c = engine.counters;
    // An engine nobody else saw is done: its kernel memory goes to the next replay's engine.
    if (this.options.onEngine === undefined) engine.recycle();
    return {
      accepted: c.accepted,
      duplicate: c.duplicate,
      late: c.late,
      unknownBay: c.unknownBay + report.unknownBay + report.unknownZone,
      rejected,
      clockSkew: c.clockSkew,
      refusedBatches: this.refused,
      windows: this.windows,
      lines,
      unknownIds: report.unknownIds,
    };
  }

  finishReader(reader: JsonLinesReader): ReplayJsonLinesSummary {
    return this.finish(reader.counters.lines, reader.counters.rejected, reader.report);
  }
}

/**
 * Replays CDS JSON Lines from a stream through a new occupancy engine in delivery order, calling `onWindows` with
 * every closed window; at the end of the input the engine is closed (every window ending at or before the last
 * event time is emitted). Bad lines are refused one by one and never stop the replay. Deterministic.
 *
 * @example
 * const summary = await replayJsonLines(createReadStream("day.jsonl"), city, {
 *   onWindows: (w) => console.log(w.windowStart, w.records.length),
 * });
 * @throws ParkirConfigError for invalid engine or reader options; whatever reading
 *   `source` throws.
 */
export async function replayJsonLines(
  source: ByteSource,
  city: City,
  options: ReplayJsonLinesOptions = {},
): Promise<ReplayJsonLinesSummary> {
  const replay = new Replay(city, options);
  const chunks = readJsonLinesBatches(source, city, replay.readerOptions());
  try {
    for (;;) {
      const r = await chunks.next();
      if (r.done === true) return replay.finishReader(r.value);
      // Other code may have run while this call awaited the chunk: a batch in the engine's memory is verified.
      replay.take(r.value, false);
    }
  } finally {
    // On an error (a throwing callback, a failing source) the source is released: a Node stream is destroyed.
    await chunks.return(undefined as never);
  }
}

/**
 * replayJsonLines without a promise, over bytes already in memory (one buffer, or chunks), or over a source read
 * straight into the reader's input memory (`read`, e.g. a file descriptor's `readSync`: with the wasm path the
 * bytes land where its kernel reads them, copied nowhere else; JSONL_INPUT_BYTES at a time, memory bounded
 * whatever the input's size).
 *
 * @example replayJsonLinesSync(readFileSync("day.jsonl"), city, { onWindows: (w) => out.push(w.records) });
 * @example replayJsonLinesSync((into) => readSync(fd, into), city, { onWindows: (w) => out.push(w.records) });
 */
export function replayJsonLinesSync(
  input: Uint8Array | Iterable<Uint8Array> | ReadInto,
  city: City,
  options: ReplayJsonLinesOptions = {},
): ReplayJsonLinesSummary {
  const replay = new Replay(city, options);
  const reader = new JsonLinesReader(city, replay.readerOptions());
  if (typeof input === "function") {
    while (reader.fill(input)) for (let c = reader.next(); c !== null; c = reader.next()) replay.take(c);
  } else {
    for (const chunk of input instanceof Uint8Array ? [input] : input) {
      reader.push(chunk);
      for (let c = reader.next(); c !== null; c = reader.next()) replay.take(c);
    }
  }
  reader.end();
  for (let c = reader.next(); c !== null; c = reader.next()) replay.take(c);
  return replay.finishReader(reader);
}

/** Options of replayEventsSync. */
export interface ReplayEventsOptions extends Omit<ReplayJsonLinesOptions, "reader"> {
  /** Events per batch (fewer when a batch would span more than ~49.7 days). Default BATCH_EVENTS_DEFAULT (4096). */
  readonly batchEvents?: number;
  /** Keep event_id strings in the batches (see EncodeOptions.keepEventIds). Default true. */
  readonly keepEventIds?: boolean;
}

/**
 * The same replay over plain CDS event objects (the library's object API: e.g. a day read from a database), in
 * array order: each range of `batchEvents` events is encoded (encodeEvents, invalid events skipped) straight into
 * the engine's batch memory and ingested. An invalid event is refused alone: its ParkirEventError (naming its
 * index and fields) goes to `onError` and it counts in `rejected`; the others are replayed.
 *
 * @example
 * const summary = replayEventsSync(events, city, { onWindows: (w) => out.push(...w.records) });
 * @throws ParkirError when `events` is not an array; ParkirConfigError for invalid engine options or a bad
 *   batchEvents.
 */
export function replayEventsSync(
  events: readonly CdsEvent[],
  city: City,
  options: ReplayEventsOptions = {},
): ReplayJsonLinesSummary {
  if (!Array.isArray(events))
    throw new ParkirError(`replayEventsSync needs an array of events, got ${typeof events}`);
  const batchEvents = wholeNumberOption(
    "replayEventsSync options",
    "batchEvents",
    options.batchEvents ?? BATCH_EVENTS_DEFAULT,
  );
  const replay = new Replay(city, options);
  const into = replay.readerOptions().into;
  const keepEventIds = options.keepEventIds ?? true;
  const report = new EncodeReport();
  let invalid = 0;
  /** Encodes events [start, end) as one batch, or as two halves when they span too long a time. */
  const encode = (start: number, end: number): void => {
    // A report per batch: its errors are this batch's (at most ENCODE_ERRORS_MAX are kept; `invalid` counts all).
    const part = new EncodeReport();
    let batch: Uint8Array;
    try {
      batch = encodeEvents(events, city, part, { keepEventIds, into, start, end, invalid: "skip" });
    } catch (e) {
      if (!(e instanceof ParkirWireError && e.reason === "time-range") || end - start < 2) throw e;
      const mid = start + ((end - start) >>> 1);
      encode(start, mid);
      encode(mid, end);
      return;
    }
    invalid += part.invalid;
    report.encoded += part.encoded;
    report.unknownBay += part.unknownBay;
    report.unknownZone += part.unknownZone;
    for (const id of part.unknownIds)
      if (report.unknownIds.length < UNKNOWN_IDS_MAX && !report.unknownIds.includes(id))
        report.unknownIds.push(id);
    replay.take({ batch: part.encoded > 0 ? batch : undefined, errors: part.errors });
  };
  for (let i = 0; i < events.length; i += batchEvents) encode(i, Math.min(events.length, i + batchEvents));
  return replay.finish(events.length, invalid, report);
}

/**
 * The same replay over FlatBuffers EventBatches (e.g. the frames of a `.fb` file, read one by one): each batch
 * is verified and ingested by the engine (a batch it refuses is counted in `refusedBatches`).
 *
 * @example replayBatchesSync(readFrames(readFileSync("day.fb")), city, { onWindows: (w) => out.push(w.records) });
 */
export function replayBatchesSync(
  batches: Iterable<Uint8Array>,
  city: City,
  options: Omit<ReplayJsonLinesOptions, "reader" | "onError"> = {},
): ReplayJsonLinesSummary {
  const replay = new Replay(city, options);
  for (const b of batches) replay.batch(b);
  return replay.finish(0, 0, new EncodeReport());
}

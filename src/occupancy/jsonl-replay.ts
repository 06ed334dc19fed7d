/**
 * CDS JSON Lines -> occupancy engine -> closed windows, as a library function: the `parkir replay` path for
 * JSON Lines. The input is streamed (bounded memory whatever its size): the JSON Lines reader scans each chunk
 * straight into the engine's batch memory (`batchBuffer`), the engine ingests each batch in place, and closed
 * windows are handed to `onWindows` as they are emitted.
 */
import type { City } from "../catalog/city.js";
import type { ParkirEventError, ParkirWireError } from "../errors/index.js";
import {
  type ByteSource,
  type JsonLinesChunk,
  type JsonLinesOptions,
  JsonLinesReader,
  readJsonLinesBatches,
} from "../wire/jsonl-parse.js";
import { OccupancyEngine } from "./engine.js";
import type { OccupancyOptions } from "./options.js";
import type { WindowBatch } from "./types.js";

/** Options of replayJsonLines. */
export interface ReplayJsonLinesOptions {
  /**
   * Engine options. Defaults here: `reuseWindowBuffers: true` (a window's columns are valid during its
   * `onWindows` call only) and `clock: () => 0` (output depends on the input alone).
   */
  readonly engine?: OccupancyOptions;
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
  /** Lines read. */
  readonly lines: number;
}

/** An engine fed by a reader: the part both entry points share. */
class Replay {
  readonly engine: OccupancyEngine;
  private windows = 0;
  private refused = 0;
  /** The first error onWindows threw (rethrown once the engine call returns). */
  private failure: { error: unknown } | undefined;

  constructor(
    city: City,
    private readonly options: ReplayJsonLinesOptions,
  ) {
    this.engine = new OccupancyEngine(city, { reuseWindowBuffers: true, clock: () => 0, ...options.engine });
    const onWindows = options.onWindows;
    this.engine.windows$.subscribe((w) => {
      this.windows++;
      // RxJS would report a subscriber's error asynchronously and go on; the replay stops on it instead.
      if (onWindows === undefined || this.failure !== undefined) return;
      try {
        onWindows(w);
      } catch (e) {
        this.failure = { error: e };
      }
    });
    options.onEngine?.(this.engine);
  }

  readerOptions(): JsonLinesOptions {
    return {
      ...this.options.reader,
      into: (n) => this.engine.batchBuffer(n),
    };
  }

  take(c: JsonLinesChunk): void {
    if (this.options.onError !== undefined) for (const e of c.errors) this.options.onError(e);
    if (c.batch === undefined) return;
    const r = this.engine.ingest(c.batch);
    this.rethrow();
    if (r.error !== undefined) {
      this.refused++;
      this.options.onRefusedBatch?.(r.error);
    }
  }

  /** Throws what onWindows threw, if it did. */
  private rethrow(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }

  finish(reader: JsonLinesReader): ReplayJsonLinesSummary {
    this.engine.close();
    this.rethrow();
    const c = this.engine.counters;
    return {
      accepted: c.accepted,
      duplicate: c.duplicate,
      late: c.late,
      unknownBay: c.unknownBay + reader.report.unknownBay + reader.report.unknownZone,
      rejected: reader.counters.rejected,
      clockSkew: c.clockSkew,
      refusedBatches: this.refused,
      windows: this.windows,
      lines: reader.counters.lines,
    };
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
 * @throws ParkirConfigError for invalid engine options; RangeError for invalid reader options; whatever reading
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
      if (r.done === true) return replay.finish(r.value);
      replay.take(r.value);
    }
  } finally {
    // On an error (a throwing callback, a failing source) the source is released: a Node stream is destroyed.
    await chunks.return(undefined as never);
  }
}

/**
 * replayJsonLines over bytes already in memory (one buffer, or chunks), without a promise.
 *
 * @example replayJsonLinesSync(readFileSync("day.jsonl"), city, { onWindows: (w) => out.push(w.records) });
 */
export function replayJsonLinesSync(
  input: Uint8Array | Iterable<Uint8Array>,
  city: City,
  options: ReplayJsonLinesOptions = {},
): ReplayJsonLinesSummary {
  const replay = new Replay(city, options);
  const reader = new JsonLinesReader(city, replay.readerOptions());
  const chunks = input instanceof Uint8Array ? [input] : input;
  for (const chunk of chunks) {
    reader.push(chunk);
    for (let c = reader.next(); c !== null; c = reader.next()) replay.take(c);
  }
  reader.end();
  for (let c = reader.next(); c !== null; c = reader.next()) replay.take(c);
  return replay.finish(reader);
}

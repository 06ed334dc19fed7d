/**
 * The JSON Lines reader over whole inputs: a stream of chunks (readJsonLinesBatches) or one buffer
 * (encodeJsonLines).
 */
import type { City } from "../catalog/city.js";
import type { ParkirEventError } from "../errors/index.js";
import type { EncodeReport } from "./encode.js";
import {
  type JsonLinesChunk,
  type JsonLinesCounters,
  type JsonLinesOptions,
  JsonLinesReader,
} from "./jsonl-parse.js";

/** Input the streaming reader takes: Node streams and async iterables of bytes, or a web ReadableStream. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStream<Uint8Array>;

/** Chunks of a ByteSource, whichever kind it is. */
async function* chunksOf(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (
    !(Symbol.asyncIterator in source) &&
    typeof (source as { getReader?: unknown }).getReader === "function"
  ) {
    const reader = (source as unknown as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  yield* source as AsyncIterable<Uint8Array>;
}

/**
 * Streams CDS JSON Lines into EventBatches: reads `source` chunk by chunk and yields each batch as soon as it
 * is complete, with the bad lines found since the one before (ParkirEventError with its line). Memory stays
 * bounded whatever the input's size (see JsonLinesReader). With `options.into`, take each batch (ingest it)
 * before asking for the next: the next is written into the memory `into` hands out.
 *
 * @example
 * for await (const { batch, errors } of readJsonLinesBatches(createReadStream("day.jsonl"), city)) {
 *   if (batch !== undefined) engine.ingest(batch);
 *   for (const e of errors) console.warn(e.message);
 * }
 * @throws ParkirConfigError for invalid options; whatever reading `source` throws.
 */
export async function* readJsonLinesBatches(
  source: ByteSource,
  city: City,
  options: JsonLinesOptions = {},
): AsyncGenerator<JsonLinesChunk, JsonLinesReader> {
  const reader = new JsonLinesReader(city, options);
  for await (const chunk of chunksOf(source)) {
    if (!(chunk instanceof Uint8Array))
      throw new TypeError("readJsonLinesBatches: chunks must be Uint8Array");
    reader.push(chunk);
    for (let c = reader.next(); c !== null; c = reader.next()) yield c;
  }
  reader.end();
  for (let c = reader.next(); c !== null; c = reader.next()) yield c;
  return reader;
}

/** What encodeJsonLines read. */
export interface EncodedLines {
  /** The batches, in input order. */
  readonly batches: Uint8Array[];
  /** One error per refused line, in line order. */
  readonly errors: ParkirEventError[];
  /** Unknown ids. */
  readonly report: EncodeReport;
  /** How the lines went. */
  readonly counters: JsonLinesCounters;
}

/**
 * All of a JSON Lines buffer as batches: the same batches and errors as `parseEventLines` followed by
 * `encodeEventBatches`, read straight from the bytes. Holds every batch: stream large inputs with
 * readJsonLinesBatches.
 *
 * @example const { batches, errors } = encodeJsonLines(readFileSync("day.jsonl"), city);
 * @throws ParkirConfigError for invalid options.
 */
export function encodeJsonLines(
  bytes: Uint8Array,
  city: City,
  options: Omit<JsonLinesOptions, "into"> = {},
): EncodedLines {
  const reader = new JsonLinesReader(city, options);
  const batches: Uint8Array[] = [];
  const errors: ParkirEventError[] = [];
  reader.push(bytes);
  reader.end();
  for (let c = reader.next(); c !== null; c = reader.next()) {
    if (c.batch !== undefined) batches.push(c.batch);
    for (const e of c.errors) errors.push(e);
  }
  return { batches, errors, report: reader.report, counters: reader.counters };
}

/** Wire format: FlatBuffers event batches, their verifier, zero-copy view, encoder and decoder. */
export { decodeEvents } from "./decode.js";
export {
  BATCH_EVENTS_DEFAULT,
  ENCODE_ERRORS_MAX,
  type EncodeOptions,
  EncodeReport,
  encodeEventBatches,
  encodeEvents,
  type PlaceField,
  UNKNOWN_IDS_MAX,
} from "./encode.js";
export {
  assertEvent,
  type CdsEvent,
  EVENT_LINE_BYTES_MAX,
  EVENT_LINE_ERRORS_MAX,
  EVENT_TIME_MS_MAX,
  eventIssues,
  eventTimeProblem,
  lineTooLong,
  type ParsedLines,
  type ParseLinesOptions,
  parseEventLines,
  parseEventTime,
} from "./events.js";
export { looksFramed, readFrames, type ScannedFrames, scanFrames, writeFrames } from "./frames.js";
export { EVENT_KEYS, jsonLine, toJsonLines } from "./jsonl.js";
export {
  JSONL_ERRORS_MAX,
  JSONL_INPUT_BYTES,
  type JsonLinesChunk,
  type JsonLinesCounters,
  type JsonLinesOptions,
  JsonLinesReader,
  type ReadInto,
} from "./jsonl-parse.js";
export { type ByteSource, type EncodedLines, encodeJsonLines, readJsonLinesBatches } from "./jsonl-stream.js";
export { EVENT_TYPES, type EventType, isBayKind, isPaymentKind, KIND, KIND_COUNT } from "./kinds.js";
export * from "./layout.js";
export { type BatchLayout, type VerifyOptions, verifyBatch } from "./verify.js";
export { EventBatchView, viewBatch } from "./view.js";

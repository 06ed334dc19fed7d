/** Occupancy: event time, per-bay state, windows, watermarks, sensor health, checkpoints and RxJS outputs. */
export { CHECKPOINT_IDENTIFIER, CHECKPOINT_VERSION } from "./checkpoint.js";
export { ClosedWindow, windowRecordLine } from "./closed-window.js";
export { type AdvanceOptions, createOccupancyEngine, OccupancyEngine, WINDOWS_PER_EMIT } from "./engine.js";
export {
  REPLAY_REFERENCE_EVENTS,
  type ReplayEventsOptions,
  type ReplayJsonLinesOptions,
  type ReplayJsonLinesSummary,
  replayBatchesSync,
  replayEventsSync,
  replayJsonLines,
  replayJsonLinesSync,
} from "./jsonl-replay.js";
export { APPLY_COLD, APPLY_DONE, APPLY_HEALTH_FULL, admitEvents, applyEvents } from "./kernel.js";
export { type OccupancyOperatorOptions, occupancy } from "./operator.js";
export { DEFAULT_OPTIONS, type OccupancyOptions, type ResolvedOptions, resolveOptions } from "./options.js";
export type {
  ClockSkewReport,
  EngineCounters,
  HealthEvent,
  HealthReport,
  HealthStatus,
  IngestResult,
  LateEvent,
  LateReport,
  OccupancySnapshot,
} from "./reports.js";
export {
  JSON_LINES_CHUNK_MAX,
  type JsonLinesIngestOptions,
  type JsonLinesIngestResult,
  ShardedOccupancyEngine,
  type ShardedOccupancyOptions,
} from "./sharded/engine.js";
export { planShards, type ShardPlan } from "./sharded/shards.js";
export { describeSkew } from "./skew.js";
export { EngineState, type WindowConstants } from "./state.js";
export type { WindowBatch, WindowColumns, WindowRecord } from "./types.js";
export {
  JS_OCCUPANCY_KERNEL,
  type OccupancyKernel,
  occupancyKernel,
  type ShardFilter,
  WasmOccupancyKernel,
  type WasmOccupancyOptions,
} from "./wasm-kernel.js";

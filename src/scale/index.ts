/** Scale-out on NATS JetStream: partitions by zone, checkpoints and leases in KV, outputs with message ids. */
export { ParkirScaleError } from "./errors.js";
export { fairShare, probeOrder } from "./leases.js";
export { type LocalRun, runPartitionsLocally } from "./local.js";
export { type ScaleNames, scaleNames } from "./names.js";
export { checkPartitions, PARTITIONS_MAX, partitionOf, zonePartitions } from "./partition.js";
export {
  outputMsgId,
  PartitionEngine,
  type PartitionEngineOptions,
  type PartitionOutput,
} from "./partition-engine.js";
export {
  eventZone,
  type PartitionBatch,
  PartitionReport,
  PUBLISH_BATCH_EVENTS,
  PUBLISH_BATCH_EVENTS_MAX,
  type PublishOptions,
  type PublishReport,
  partitionBatches,
  publishBatches,
} from "./producer.js";
export {
  type CheckpointHeader,
  type CheckpointRecord,
  decodeCheckpointRecord,
  encodeCheckpointRecord,
} from "./record.js";
export {
  DUPLICATE_WINDOW_MS,
  ensureScale,
  LEASE_TTL_MS,
  type ScaleHandles,
  type SetupOptions,
} from "./setup.js";
export { ScaleWorker, type WorkerEvent, type WorkerOptions, type WorkerStats } from "./worker.js";

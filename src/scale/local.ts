/**
 * The same partitioned computation in one process without NATS: every partition's batches through its own
 * PartitionEngine, in stream order. What a JetStream run must publish, exactly.
 */
import type { City } from "../catalog/city.js";
import { PartitionEngine, type PartitionEngineOptions, type PartitionOutput } from "./partition-engine.js";
import type { PartitionBatch } from "./producer.js";

/** Outputs of a local run, by message id, and the events ingested. */
export interface LocalRun {
  /** Every output, keyed by its message id (each id once). */
  readonly outputs: Map<string, PartitionOutput>;
  /** Events ingested over all partitions. */
  readonly events: number;
}

/** Runs `batches` (in publish order) through one PartitionEngine per partition. */
export function runPartitionsLocally(
  city: City,
  batches: readonly PartitionBatch[],
  partitions: number,
  options: PartitionEngineOptions = {},
): LocalRun {
  const engines = Array.from({ length: partitions }, (_, p) =>
    PartitionEngine.create(city, p, partitions, options),
  );
  const outputs = new Map<string, PartitionOutput>();
  for (const b of batches)
    for (const o of engines[b.partition]!.ingest(b.bytes).outputs) outputs.set(o.msgId, o);
  let events = 0;
  for (const e of engines) events += e.events;
  return { outputs, events };
}

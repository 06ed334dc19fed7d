/**
 * One partition's processing without any I/O: the occupancy engine (and optionally the pricing engine) fed
 * with the partition's event batches, its closed windows cut down to the partition's zones, and the output
 * messages with the ids JetStream de-duplicates on. The NATS worker and the in-process reference both run
 * this class, so a run through JetStream can be compared with one without it, byte for byte.
 */
import type { City } from "../catalog/city.js";
import { windowRecordLine } from "../occupancy/closed-window.js";
import { OccupancyEngine } from "../occupancy/engine.js";
import type { OccupancyOptions } from "../occupancy/options.js";
import type { IngestResult } from "../occupancy/reports.js";
import type { WindowBatch, WindowRecord } from "../occupancy/types.js";
import { decisionLine } from "../pricing/decision.js";
import { PricingEngine } from "../pricing/engine.js";
import type { Policy } from "../pricing/policy.js";
import { ParkirScaleError } from "./errors.js";
import { zonePartitions } from "./partition.js";
import { type CheckpointHeader, type CheckpointRecord, encodeCheckpointRecord } from "./record.js";

/** An output message of a partition. */
export interface PartitionOutput {
  /** "window": the partition's rows of one closed window; "tariff": the decisions that window made. */
  readonly kind: "window" | "tariff";
  /** Start of the window, ms since the epoch. */
  readonly windowStart: number;
  /** Message id (Nats-Msg-Id): `<city>.<w|t>.<partition>.<windowStart>`, the same in every run. */
  readonly msgId: string;
  /** JSON Lines (each line ends in a newline): window records, or tariff decisions. */
  readonly payload: string;
}

/** Options of a PartitionEngine. */
export interface PartitionEngineOptions {
  /** Occupancy engine options (the clock is fixed to 0: partitions follow event time only). */
  readonly occupancy?: OccupancyOptions;
  /** Tariff policy; with it, each window also feeds a pricing engine and its decisions are published. */
  readonly policy?: Policy;
}

/** The message id of a partition output. */
export function outputMsgId(
  city: string,
  kind: "window" | "tariff",
  partition: number,
  windowStart: number,
): string {
  return `${city}.${kind === "window" ? "w" : "t"}.${partition}.${windowStart}`;
}

/**
 * Processes one partition. Feed it the partition's batches in stream order; each call returns the output
 * messages it produced, tariffs of a window before the window itself.
 */
export class PartitionEngine {
  /** Partition number. */
  readonly partition: number;
  /** Partition count. */
  readonly partitions: number;
  /** The occupancy engine (read its counters; do not ingest into it directly). */
  readonly occupancy: OccupancyEngine;
  private readonly city: City;
  private readonly mine: Uint8Array;
  private readonly pricing: PricingEngine | null;
  private pending: PartitionOutput[] = [];
  private lastWindow: number | null;
  private eventCount: number;

  private constructor(
    city: City,
    partition: number,
    partitions: number,
    options: PartitionEngineOptions,
    restored: CheckpointRecord | null,
  ) {
    const zp = zonePartitions(city, partitions);
    if (!Number.isInteger(partition) || partition < 0 || partition >= partitions)
      throw new ParkirScaleError(`partition must be an integer in [0, ${partitions}), got ${partition}`);
    this.city = city;
    this.partition = partition;
    this.partitions = partitions;
    this.mine = new Uint8Array(city.zoneCount);
    for (let z = 0; z < city.zoneCount; z++) this.mine[z] = zp[z] === partition ? 1 : 0;
    // Windows are read during their emission, so the engine may reuse their column buffers.
    const occ: OccupancyOptions = {
      ...options.occupancy,
      clock: () => 0,
      idleAdvanceMs: 0,
      reuseWindowBuffers: true,
    };
    this.occupancy =
      restored === null
        ? new OccupancyEngine(city, occ)
        : OccupancyEngine.restore(city, restored.engine, occ);
    this.pricing = options.policy === undefined ? null : new PricingEngine(city, options.policy);
    this.lastWindow = restored?.header.lastWindowStart ?? null;
    this.eventCount = restored?.header.events ?? 0;
    this.occupancy.windows$.subscribe((batch) => this.onWindow(batch));
  }

  /** A fresh partition. @throws ParkirScaleError / ParkirConfigError on bad arguments or options. */
  static create(
    city: City,
    partition: number,
    partitions: number,
    options: PartitionEngineOptions = {},
  ): PartitionEngine {
    return new PartitionEngine(city, partition, partitions, options, null);
  }

  /**
   * A partition continued from a checkpoint record. Pricing state is not in the record: replay the
   * partition's published windows up to `header.lastWindowStart` into `replayWindow` before ingesting.
   *
   * @throws ParkirScaleError when the record is for another city, catalogue, partition or partition count;
   *   ParkirWireError when its engine bytes are not a valid checkpoint.
   */
  static restore(
    city: City,
    record: CheckpointRecord,
    partition: number,
    partitions: number,
    options: PartitionEngineOptions = {},
  ): PartitionEngine {
    const h = record.header;
    if (
      h.city !== city.id ||
      h.catalogHash !== city.catalogHash ||
      h.partition !== partition ||
      h.partitions !== partitions
    ) {
      throw new ParkirScaleError(
        `checkpoint record is for ${h.city}#${h.catalogHash} partition ${h.partition}/${h.partitions}, not ${city.id}#${city.catalogHash} partition ${partition}/${partitions}`,
      );
    }
    return new PartitionEngine(city, partition, partitions, options, record);
  }

  /** Start of the last window closed so far (null: none). */
  get lastWindowStart(): number | null {
    return this.lastWindow;
  }

  /** Events ingested so far (what the batches held, counted by the engine's result). */
  get events(): number {
    return this.eventCount;
  }

  /** Ingests one batch of the partition (FlatBuffers bytes); returns the engine's result and the outputs it closed. */
  ingest(batch: Uint8Array): { readonly result: IngestResult; readonly outputs: PartitionOutput[] } {
    const result = this.occupancy.ingest(batch);
    this.eventCount += result.accepted + result.duplicate + result.late + result.unknownBay;
    const outputs = this.pending;
    this.pending = [];
    return { result, outputs };
  }

  /**
   * Feeds a window published earlier (its JSON Lines payload) to the pricing engine only: rebuilds pricing
   * state after a restore. Does nothing without a policy.
   */
  replayWindow(payload: string): void {
    if (this.pricing === null) return;
    const records = parseRecords(payload);
    const first = records[0];
    if (first === undefined) return;
    this.pricing.onWindows({ windowStart: first.windowStart, windowEnd: first.windowEnd, records });
  }

  /** Whether this partition has a pricing engine (a policy was given). */
  get prices(): boolean {
    return this.pricing !== null;
  }

  /** Checkpoint record of the current state, covering the events stream up to `seq`. */
  checkpoint(seq: number): Uint8Array {
    const header: CheckpointHeader = {
      city: this.city.id,
      catalogHash: this.city.catalogHash,
      partition: this.partition,
      partitions: this.partitions,
      seq,
      lastWindowStart: this.lastWindow,
      events: this.eventCount,
    };
    return encodeCheckpointRecord(header, this.occupancy.checkpoint());
  }

  private onWindow(batch: WindowBatch): void {
    const cols = batch.columns;
    let payload = "";
    if (cols !== undefined) {
      const records = batch.records;
      for (let row = 0; row < cols.length; row++)
        if (this.mine[cols.zone[row]!] === 1) payload += `${windowRecordLine(records[row]!)}\n`;
    } else {
      for (const r of batch.records)
        if (this.mine[this.city.zoneIndex(r.zone)] === 1) payload += `${windowRecordLine(r)}\n`;
    }
    this.lastWindow = batch.windowStart;
    if (payload === "") return; // a partition without zones publishes nothing
    if (this.pricing !== null) {
      // The pricing engine reads the same parsed rows a rebuild after a takeover reads from the stream.
      const decisions = this.pricing.onWindows({
        windowStart: batch.windowStart,
        windowEnd: batch.windowEnd,
        records: parseRecords(payload),
      });
      let lines = "";
      for (const d of decisions) if (this.mine[this.city.zoneIndex(d.zone)] === 1) lines += decisionLine(d);
      if (lines !== "") this.push("tariff", batch.windowStart, lines);
    }
    this.push("window", batch.windowStart, payload);
  }

  private push(kind: "window" | "tariff", windowStart: number, payload: string): void {
    this.pending.push({
      kind,
      windowStart,
      msgId: outputMsgId(this.city.id, kind, this.partition, windowStart),
      payload,
    });
  }
}

function parseRecords(payload: string): WindowRecord[] {
  const out: WindowRecord[] = [];
  for (const line of payload.split("\n")) if (line !== "") out.push(JSON.parse(line) as WindowRecord);
  return out;
}

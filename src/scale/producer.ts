/**
 * Producer side: events cut into per-partition FlatBuffers batches (the partition of an event is the
 * partition of its zone), each published to its partition's subject with a message id derived from its
 * bytes, so a retried publish is dropped by JetStream's de-duplication instead of being stored twice.
 */
import { createHash } from "node:crypto";
import type { JetStreamClient } from "@nats-io/jetstream";
import { type City, NONE } from "../catalog/city.js";
import { EncodeReport, encodeEvents } from "../wire/encode.js";
import { type CdsEvent, eventIssues, parseEventTime } from "../wire/events.js";
import { BATCH_SPAN_MS_MAX } from "../wire/layout.js";
import { ParkirScaleError } from "./errors.js";
import type { ScaleNames } from "./names.js";
import { zonePartitions } from "./partition.js";

/** Default events per published batch (about 24 KiB of structs plus ids: well under NATS's 1 MiB payload). */
export const PUBLISH_BATCH_EVENTS = 1024;
/** Most events per published batch (keeps a message under NATS's default 1 MiB max_payload). */
export const PUBLISH_BATCH_EVENTS_MAX = 16_384;

/** What partitionBatches left out: invalid events (`invalid`, counted here) and the unknown ids EncodeReport counts. */
export class PartitionReport extends EncodeReport {}

/** One batch of one partition, ready to publish. */
export interface PartitionBatch {
  /** Partition number. */
  readonly partition: number;
  /** EventBatch bytes (event ids kept, so the engine de-duplicates by them after a redelivery). */
  readonly bytes: Uint8Array;
  /** Message id: `<city>.e.<partition>.<sha-256 of the bytes, 32 hex digits>`. */
  readonly msgId: string;
  /** Events in the batch. */
  readonly events: number;
}

/** The zone index of an event (named directly, through its bay, or through its device), or NONE. */
export function eventZone(e: CdsEvent, city: City): number {
  if (e.curb_zone_id !== undefined) return city.zoneIndex(e.curb_zone_id);
  if (e.curb_space_id !== undefined) {
    const bay = city.bayIndex(e.curb_space_id);
    return bay === NONE ? NONE : city.bayZone[bay]!;
  }
  if (e.data_source_device_id !== undefined) {
    const d = city.deviceIndex(e.data_source_device_id);
    return d === NONE ? NONE : city.deviceZone[d]!;
  }
  return NONE;
}

/**
 * Cuts `events` (valid CDS events, in delivery order) into per-partition batches of at most `batchEvents`,
 * in the order they fill up (then the remainders, by partition): each partition's events keep their order.
 * Invalid events and events whose zone the catalogue does not know are left out and counted in `report`:
 * each costs only itself.
 *
 * @throws ParkirScaleError when `batchEvents` is not an integer in [1, PUBLISH_BATCH_EVENTS_MAX].
 */
export function partitionBatches(
  city: City,
  events: readonly CdsEvent[],
  partitions: number,
  batchEvents = PUBLISH_BATCH_EVENTS,
  report = new PartitionReport(),
): PartitionBatch[] {
  if (!Number.isInteger(batchEvents) || batchEvents < 1 || batchEvents > PUBLISH_BATCH_EVENTS_MAX)
    throw new ParkirScaleError(
      `batch size must be an integer in [1, ${PUBLISH_BATCH_EVENTS_MAX}], got ${batchEvents}`,
    );
  const zp = zonePartitions(city, partitions);
  const buf: CdsEvent[][] = Array.from({ length: partitions }, () => []);
  const lo = new Float64Array(partitions).fill(Number.POSITIVE_INFINITY);
  const hi = new Float64Array(partitions).fill(Number.NEGATIVE_INFINITY);
  const out: PartitionBatch[] = [];
  const flush = (p: number) => {
    const list = buf[p]!;
    if (list.length === 0) return;
    const bytes = encodeEvents(list, city, report);
    const digest = createHash("sha256").update(bytes).digest("hex").slice(0, 32);
    out.push({ partition: p, bytes, msgId: `${city.id}.e.${p}.${digest}`, events: list.length });
    buf[p] = [];
    lo[p] = Number.POSITIVE_INFINITY;
    hi[p] = Number.NEGATIVE_INFINITY;
  };
  for (const e of events) {
    if (eventIssues(e).length > 0) {
      report.invalid++;
      continue;
    }
    const z = eventZone(e, city);
    if (z === NONE) {
      const field =
        e.curb_zone_id !== undefined
          ? "curb_zone_id"
          : e.curb_space_id !== undefined
            ? "curb_space_id"
            : e.data_source_device_id !== undefined
              ? "data_source_device_id"
              : "curb_zone_id";
      report.noteUnknown(e.curb_space_id !== undefined ? "bay" : "zone", field, e[field]);
      continue;
    }
    const p = zp[z]!;
    const t = parseEventTime(e.event_time);
    if (Math.max(hi[p]!, t) - Math.min(lo[p]!, t) > BATCH_SPAN_MS_MAX) flush(p);
    buf[p]!.push(e);
    if (t < lo[p]!) lo[p] = t;
    if (t > hi[p]!) hi[p] = t;
    if (buf[p]!.length >= batchEvents) flush(p);
  }
  for (let p = 0; p < partitions; p++) flush(p);
  return out;
}

/** Options of publishBatches. */
export interface PublishOptions {
  /** Attempts per batch before giving up (a retry re-sends the same message id). Default 5. */
  readonly attempts?: number;
  /** Batches awaiting their acknowledgement at once, over all partitions. Default 64. */
  readonly inFlightMax?: number;
  /** Milliseconds to wait for one acknowledgement. Default 5000. */
  readonly timeoutMs?: number;
}

/** What a publish did. */
export interface PublishReport {
  /** Batches stored. */
  batches: number;
  /** Events in the batches stored. */
  events: number;
  /** Batches the server already had (same message id within its duplicate window): dropped, not stored twice. */
  duplicates: number;
  /** Publishes retried after an error or timeout. */
  retries: number;
}

/**
 * Publishes batches in order per partition (a partition's next batch waits for its previous one's
 * acknowledgement, so a retry never reorders a partition), partitions in parallel.
 *
 * @throws the last publish error of a batch that failed every attempt (what was acknowledged before stays).
 */
export async function publishBatches(
  js: JetStreamClient,
  names: ScaleNames,
  batches: readonly PartitionBatch[],
  options: PublishOptions = {},
): Promise<PublishReport> {
  const attempts = options.attempts ?? 5;
  const inFlightMax = options.inFlightMax ?? 64;
  const timeout = options.timeoutMs ?? 5000;
  const report: PublishReport = { batches: 0, events: 0, duplicates: 0, retries: 0 };
  const tails = new Map<number, Promise<void>>();
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  const send = async (b: PartitionBatch) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const ack = await js.publish(names.eventSubject(b.partition), b.bytes, { msgID: b.msgId, timeout });
        if (ack.duplicate) report.duplicates++;
        else {
          report.batches++;
          report.events += b.events;
        }
        return;
      } catch (e) {
        if (attempt >= attempts) throw e;
        report.retries++;
        await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
      }
    }
  };
  for (const b of batches) {
    if (failure !== null) break;
    while (inFlight.size >= inFlightMax) await Promise.race(inFlight);
    const prev = tails.get(b.partition) ?? Promise.resolve();
    const next = prev.then(() => (failure === null ? send(b) : undefined));
    const tracked = next.then(
      () => {
        inFlight.delete(tracked);
      },
      (e: unknown) => {
        failure ??= e;
        inFlight.delete(tracked);
      },
    );
    inFlight.add(tracked);
    tails.set(b.partition, tracked);
  }
  await Promise.all(inFlight);
  if (failure !== null) throw failure;
  return report;
}

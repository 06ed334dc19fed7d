/**
 * What the engine tells its caller besides windows: the result of one ingest call, late events, sensor
 * health changes, running counters and the live snapshot.
 */
import type { DetectionName } from "../catalog/city.js";
import type { ParkirWireError } from "../errors/index.js";
import type { EventType } from "../wire/kinds.js";

/** Counts of one `ingest` call. Every event of a verified batch is in exactly one of the first four. */
export interface IngestResult {
  /** Events accepted (they are applied once the watermark passes them). */
  readonly accepted: number;
  /** Duplicates dropped (same device and sequence number, or same event id, or same payment session and kind). */
  readonly duplicate: number;
  /** Events older than the watermark when they arrived: dropped and described on `late$`. */
  readonly late: number;
  /** Zone events for a zone and vehicle class without capacity in the catalogue: dropped. */
  readonly unknownBay: number;
  /**
   * Events refused for their time (the clock-skew guard, see maxTimeJumpMs and clockGuard): each costs only
   * itself, the rest of the batch is admitted, and the state is as if it never arrived. Described in `skew`.
   */
  readonly clockSkew: number;
  /** What the clock-skew guard refused in this call, when it refused any. */
  readonly skew?: ClockSkewReport;
  /** 1 when the batch failed verification and was refused whole (nothing changed), else 0. */
  readonly rejected: number;
  /** Why the batch was refused, when it was. */
  readonly error?: ParkirWireError;
  /** Windows closed by this call (emitted on `windows$` before `ingest` returned). */
  readonly windowsClosed: number;
  /** Watermark after the call, ms since the epoch (−Infinity before the first event). */
  readonly watermarkMs: number;
}

/** Events of one batch refused by the clock-skew guard, and what they were measured against. */
export interface ClockSkewReport {
  /** Events refused (exact). */
  readonly count: number;
  /** Of those, events too far after the reference. */
  readonly ahead: number;
  /** Of those, events too far before it (only a fresh engine refuses these: later, old events are late). */
  readonly behind: number;
  /**
   * What the times were measured against: "data", the newest event time or watermark so far; "clock", the
   * engine's clock (option clockGuard); "given", option referenceTimeMs of a fresh engine; "batch", the
   * median time of a fresh engine's first batch (events a gap of more than the limit separates from it).
   */
  readonly reference: "data" | "clock" | "given" | "batch";
  /** The reference time, ms since the epoch. */
  readonly referenceMs: number;
  /** The largest distance allowed (maxTimeJumpMs), ms. */
  readonly limitMs: number;
  /** Earliest refused event time, ms since the epoch. */
  readonly minMs: number;
  /** Latest refused event time. */
  readonly maxMs: number;
  /** Indices in the batch of the first refused events (at most 16). */
  readonly indices: readonly number[];
}

/** One late event. */
export interface LateEvent {
  /** Index of the event in its batch. */
  readonly index: number;
  /** CDS event_id when the batch carries ids, else "". */
  readonly eventId: string;
  /** Event type. */
  readonly eventType: EventType;
  /** Event time, ms since the epoch. */
  readonly timeMs: number;
  /** Watermark when it arrived (it was older). */
  readonly watermarkMs: number;
  /** Bay id for bay events, else "". */
  readonly bay: string;
  /** Zone id. */
  readonly zone: string;
}

/** Late events of one ingest call: one emission on `late$` per call that had any. */
export interface LateReport {
  /** Late events in the call (exact). */
  readonly count: number;
  /** The first `lateDetailsMax` of them. */
  readonly events: readonly LateEvent[];
  /** Watermark after the call. */
  readonly watermarkMs: number;
}

/** What happened to a sensor. */
export type HealthStatus = "silent" | "lost" | "decommissioned" | "recovered";

/** One sensor health change, in event time. */
export interface HealthEvent {
  /** silent: no message for sensorTimeoutMs; lost: comms_lost; decommissioned; recovered: a message after any of these. */
  readonly status: HealthStatus;
  /** Bay id. */
  readonly bay: string;
  /** Id of the bay's sensor. */
  readonly device: string;
  /** Zone id. */
  readonly zone: string;
  /** Event time of the change (for silent: last message + sensorTimeoutMs). */
  readonly atMs: number;
}

/** Health changes found during one call (ingest, advanceTo, tick or close): one emission per call with any. */
export interface HealthReport {
  /** The changes in event-time order (at most `healthDetailsMax`). */
  readonly events: readonly HealthEvent[];
  /** Changes left out of `events`. */
  readonly dropped: number;
  /** Processing time (the engine's clock) when they were found. */
  readonly detectedAtMs: number;
}

/** Running totals since the engine started (continued across checkpoint/restore). */
export interface EngineCounters {
  readonly accepted: number;
  readonly duplicate: number;
  readonly late: number;
  readonly unknownBay: number;
  /** Events refused by the clock-skew guard (not part of checkpoints: a refused event changes no state). */
  readonly clockSkew: number;
  /** Batches refused whole (not part of checkpoints: a refused batch changes no state). */
  readonly rejected: number;
  /** Events applied to state (accepted events the watermark has passed). */
  readonly applied: number;
  /** Accepted events still waiting for the watermark. */
  readonly pending: number;
  /** Windows closed. */
  readonly windowsClosed: number;
  /** Times the pending buffer overflowed `pendingMax` and the watermark was forced forward. */
  readonly forcedWatermark: number;
  readonly silent: number;
  readonly lost: number;
  readonly decommissioned: number;
  readonly recovered: number;
  /** Paid sessions closed without a payment_end (too old, or too many open). */
  readonly sessionsExpired: number;
}

/** Live occupancy as of the watermark (events before it are applied). Arrays are copies. */
export interface OccupancySnapshot {
  /** State includes every accepted event with time < atMs. */
  readonly atMs: number;
  /** Start of the open window, or −1. */
  readonly windowStartMs: number;
  /** Per zone × class (index zone × VEHICLE_CODES + class code): vehicles present now. */
  readonly occupied: Uint32Array;
  /** Per zone × class: bays (or capacity, for counted zones) whose state is known now. */
  readonly known: Uint32Array;
  /** Per zone × class: capacity. */
  readonly capacity: Uint32Array;
  /** Per zone × class: detection method code used for the figure. */
  readonly detection: Uint8Array;
  /** Per zone, summed over classes. */
  readonly zoneOccupied: Uint32Array;
  readonly zoneKnown: Uint32Array;
  readonly zoneCapacity: Uint32Array;
  /** Detection name of a zone × class. */
  detectionOf(zone: number, vehicleCode: number): DetectionName;
}

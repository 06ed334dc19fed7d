/**
 * Zero-copy reader over a verified EventBatch. Accessors read the struct vector in place through
 * one DataView; nothing is allocated per event. Kernels that prefer typed arrays use `words()`.
 */
import type { City } from "../catalog/city.js";
import {
  EV_DEVICE,
  EV_FLAGS,
  EV_KIND,
  EV_SEQ,
  EV_TARGET,
  EV_TIME_MS,
  EV_VALUE,
  EV_VEHICLE,
  EVENT_STRIDE,
} from "./layout.js";
import { type BatchLayout, type VerifyOptions, verifyBatch } from "./verify.js";

const decoder = new TextDecoder();

/**
 * A verified, read-only view of an EventBatch.
 *
 * @example
 * const view = EventBatchView.from(bytes, { city });
 * for (let i = 0; i < view.length; i++) if (view.kind(i) === KIND.park_start) n++;
 */
export class EventBatchView {
  /** The message bytes (8-byte aligned copy when the input was misaligned). */
  readonly bytes: Uint8Array;
  /** Number of events. */
  readonly length: number;
  /** Base time: event i happened at `baseTimeMs + timeOffsetMs(i)`. */
  readonly baseTimeMs: number;
  /** Catalogue id the batch was encoded for. */
  readonly cityId: string;
  /** Catalogue hash the batch was encoded for. */
  readonly catalogHash: number;
  /** Byte offset of the first event in `bytes.buffer` (absolute, so kernels can address shared memory). */
  readonly eventsByteOffset: number;
  /** Bytes per event. */
  readonly stride = EVENT_STRIDE;
  private readonly dv: DataView;
  private readonly base: number;
  /** Byte offset in `bytes` of the event_id strings vector, −1 when the batch has none. */
  readonly eventIdsOffset: number;
  /** Bytes of all event_id strings together (their UTF-8, no prefixes or terminators); 0 without ids. */
  readonly eventIdBytes: number;
  /** Bytes of the longest event_id; 0 without ids. */
  readonly eventIdMaxBytes: number;
  private readonly notesOffset: number;
  /** The time offsets' range from verification, −1 when it did not note them. */
  private readonly minTimeOffset: number;
  private readonly maxTimeOffset: number;

  private constructor(bytes: Uint8Array, layout: BatchLayout) {
    this.bytes = bytes;
    this.length = layout.count;
    this.baseTimeMs = layout.baseTimeMs;
    this.cityId = layout.cityId;
    this.catalogHash = layout.catalogHash;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.base = layout.eventsOffset;
    this.eventsByteOffset = bytes.byteOffset + layout.eventsOffset;
    this.eventIdsOffset = layout.eventIdsOffset;
    this.eventIdBytes = layout.eventIdBytes;
    this.eventIdMaxBytes = layout.eventIdMaxBytes;
    this.notesOffset = layout.annotationsOffset;
    this.minTimeOffset = layout.minTimeOffset;
    this.maxTimeOffset = layout.maxTimeOffset;
  }

  /**
   * Verifies `bytes` and wraps them. Input whose start is not 8-byte aligned is copied once so
   * typed-array views over the events are always possible.
   *
   * @throws ParkirWireError when the bytes are not a valid batch (for `options.city`, when given).
   */
  static from(bytes: Uint8Array, options: VerifyOptions = {}): EventBatchView {
    const aligned = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
    return new EventBatchView(aligned, verifyBatch(aligned, options));
  }

  /**
   * A view of a batch parkir's own writer just wrote, over the layout it wrote (writtenLayout in batch-writer.ts),
   * not verified again: only for bytes no other code can have written into since (OccupancyEngine's
   * INGEST_WRITTEN). @internal
   */
  static written(bytes: Uint8Array, layout: BatchLayout): EventBatchView {
    return new EventBatchView(bytes, layout);
  }

  /** Absolute event time of event i, ms since the epoch. */
  timeMs(i: number): number {
    return this.baseTimeMs + this.dv.getUint32(this.base + i * EVENT_STRIDE + EV_TIME_MS, true);
  }
  /** Event time of event i relative to `baseTimeMs`. */
  timeOffsetMs(i: number): number {
    return this.dv.getUint32(this.base + i * EVENT_STRIDE + EV_TIME_MS, true);
  }
  /** Dense bay index, or zone index when `flags(i) & FLAG_TARGET_ZONE`. */
  target(i: number): number {
    return this.dv.getUint32(this.base + i * EVENT_STRIDE + EV_TARGET, true);
  }
  /** Sequence number or hash (see flags). */
  seq(i: number): number {
    return this.dv.getUint32(this.base + i * EVENT_STRIDE + EV_SEQ, true);
  }
  /** Reported state, count or amount. */
  value(i: number): number {
    return this.dv.getInt32(this.base + i * EVENT_STRIDE + EV_VALUE, true);
  }
  /** EventKind code (see KIND). */
  kind(i: number): number {
    return this.dv.getUint8(this.base + i * EVENT_STRIDE + EV_KIND);
  }
  /** VehicleClass code. */
  vehicle(i: number): number {
    return this.dv.getUint8(this.base + i * EVENT_STRIDE + EV_VEHICLE);
  }
  /** Flag bits (see FLAG_* in layout). */
  flags(i: number): number {
    return this.dv.getUint8(this.base + i * EVENT_STRIDE + EV_FLAGS);
  }
  /** Dense device index, or NO_DEVICE. */
  device(i: number): number {
    return this.dv.getUint32(this.base + i * EVENT_STRIDE + EV_DEVICE, true);
  }
  /** Whether the batch carries the original event_id strings. */
  get hasEventIds(): boolean {
    return this.eventIdsOffset >= 0;
  }
  /** An upper bound of the event_id bytes of any `events` events of the batch (0 without ids). */
  eventIdBytesBound(events: number): number {
    return Math.min(this.eventIdBytes, events * this.eventIdMaxBytes);
  }
  /** Original CDS event_id of event i ("" when the batch has none). Allocates: cold path only. */
  eventId(i: number): string {
    return this.stringAt(this.eventIdsOffset, i);
  }
  /** JSON of the fields of event i the struct cannot hold, or "" (see parkir.fbs). Cold path only. */
  annotation(i: number): string {
    return this.stringAt(this.notesOffset, i);
  }
  /**
   * Byte offset in `bytes` of the UTF-8 bytes of event i's annotation (its length is the u32 just before them), or
   * −1 when the batch has none: for reading it in place, where `annotation` would make a string.
   */
  annotationOffset(i: number): number {
    if (this.notesOffset < 0) return -1;
    const pos = this.notesOffset + 4 * i;
    return pos + this.dv.getUint32(pos, true) + 4;
  }
  private stringAt(vector: number, i: number): string {
    if (vector < 0) return "";
    const pos = vector + 4 * i;
    const s = pos + this.dv.getUint32(pos, true);
    const n = this.dv.getUint32(s, true);
    return decoder.decode(this.bytes.subarray(s + 4, s + 4 + n));
  }
  /**
   * The events as u32 words (6 per event) over the same memory: zero-copy for typed-array kernels.
   * Word 4 packs kind | vehicle << 8 | flags << 16 (little-endian).
   */
  words(): Uint32Array {
    return new Uint32Array(this.bytes.buffer, this.eventsByteOffset, this.length * (EVENT_STRIDE / 4));
  }
  /**
   * Oldest and newest event time of the batch, ms since the epoch (both NaN when it has no events). One pass
   * over the time offsets.
   *
   * @example
   * const { minMs, maxMs } = view.timeRange(); // the batch spans maxMs − minMs
   */
  timeRange(): { readonly minMs: number; readonly maxMs: number } {
    if (this.length === 0) return { minMs: Number.NaN, maxMs: Number.NaN };
    if (this.minTimeOffset >= 0)
      return { minMs: this.baseTimeMs + this.minTimeOffset, maxMs: this.baseTimeMs + this.maxTimeOffset };
    const w = this.words();
    const step = EVENT_STRIDE / 4;
    let lo = 0xffffffff;
    let hi = 0;
    for (let i = (EV_TIME_MS / 4) | 0; i < w.length; i += step) {
      const t = w[i]!;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    return { minMs: this.baseTimeMs + lo, maxMs: this.baseTimeMs + hi };
  }
}

/** Verifies bytes and returns a view; shorthand for EventBatchView.from. */
export function viewBatch(bytes: Uint8Array, city?: City): EventBatchView {
  return EventBatchView.from(bytes, city === undefined ? {} : { city });
}

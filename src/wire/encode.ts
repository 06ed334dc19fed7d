/**
 * Plain CDS events -> one FlatBuffers EventBatch. Ids are resolved against the catalogue to dense
 * indices here, once, so the hot path never sees a string. Events whose bay, zone or device the
 * catalogue does not know are counted in the report and left out, never thrown.
 */
import { Builder } from "flatbuffers";
import type { City } from "../catalog/city.js";
import { fnv1a, NONE } from "../catalog/city.js";
import { vehicleCode } from "../catalog/vehicles.js";
import { ParkirWireError } from "../errors/index.js";
import { assertEvent, type CdsEvent, parseEventTime } from "./events.js";
import { Event } from "./generated/event.js";
import { EventBatch } from "./generated/event-batch.js";
import { isBayKind, isPaymentKind, KIND } from "./kinds.js";
import {
  BATCH_IDENTIFIER,
  BATCH_SPAN_MS_MAX,
  EVENT_STRIDE,
  FLAG_SEQ_IS_ID_HASH,
  FLAG_SEQ_IS_SESSION_HASH,
  FLAG_TARGET_ZONE,
  NO_DEVICE,
} from "./layout.js";

/** Most unknown ids an EncodeReport remembers (the counts are exact; the list is a sample). */
export const UNKNOWN_IDS_MAX = 100;

/** What encodeEvents did with its input: filled in place so the common call stays `encodeEvents(events, city)`. */
export class EncodeReport {
  /** Events written to the batch. */
  encoded = 0;
  /** Bay events whose bay (or device) the catalogue does not know. */
  unknownBay = 0;
  /** Zone events whose zone (or gate device) the catalogue does not know. */
  unknownZone = 0;
  /** The first UNKNOWN_IDS_MAX unknown ids, for the operator to fix the catalogue. */
  readonly unknownIds: string[] = [];

  /** Counts one unknown id. */
  noteUnknown(kind: "bay" | "zone", id: string): void {
    if (kind === "bay") this.unknownBay++;
    else this.unknownZone++;
    if (this.unknownIds.length < UNKNOWN_IDS_MAX && !this.unknownIds.includes(id)) this.unknownIds.push(id);
  }
}

/** Options of encodeEvents. */
export interface EncodeOptions {
  /** Keep the original event_id strings (cold vector) so decodeEvents can restore them. Default true; costs ~20-40 bytes/event. */
  readonly keepEventIds?: boolean;
}

/** Resolved hot fields of one event. */
interface Resolved {
  timeMs: number;
  target: number;
  seq: number;
  value: number;
  kind: number;
  vehicle: number;
  flags: number;
  device: number;
  id: string;
  /** JSON of the fields the struct cannot hold, or "". */
  note: string;
}

/**
 * Encodes plain CDS events as one EventBatch for `city`. Event order is kept.
 *
 * @throws ParkirEventError for an event that is not a valid CdsEvent (nothing is encoded);
 *   ParkirWireError("time-range") when the events span more than ~49.7 days.
 * @example
 * const bytes = encodeEvents([{ event_id: "e1", event_type: "park_start", event_time: 1796000400000,
 *   curb_space_id: "PLU-001-B01" }], city);
 */
export function encodeEvents(
  events: readonly CdsEvent[],
  city: City,
  report = new EncodeReport(),
  options: EncodeOptions = {},
): Uint8Array {
  const keepIds = options.keepEventIds ?? true;
  const rows: Resolved[] = [];
  let minMs = Number.POSITIVE_INFINITY;
  let maxMs = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    assertEvent(e);
    const r = resolve(e, city, report);
    if (r === null) continue;
    if (r.timeMs < minMs) minMs = r.timeMs;
    if (r.timeMs > maxMs) maxMs = r.timeMs;
    rows.push(r);
  }
  const base = rows.length === 0 ? 0 : minMs;
  if (rows.length > 0 && maxMs - minMs > BATCH_SPAN_MS_MAX) {
    throw new ParkirWireError(
      "time-range",
      0,
      `events span ${maxMs - minMs} ms; a batch holds at most ${BATCH_SPAN_MS_MAX} ms`,
    );
  }
  report.encoded += rows.length;

  const b = new Builder(1024 + rows.length * (EVENT_STRIDE + (keepIds ? 48 : 0)));
  const cityOff = b.createString(city.id);
  let idsOff = 0;
  let notesOff = 0;
  if (keepIds) {
    idsOff = EventBatch.createEventIdsVector(
      b,
      rows.map((r) => b.createString(r.id)),
    );
  }
  if (rows.some((r) => r.note !== "")) {
    const empty = b.createString("");
    notesOff = EventBatch.createAnnotationsVector(
      b,
      rows.map((r) => (r.note === "" ? empty : b.createString(r.note))),
    );
  }
  EventBatch.startEventsVector(b, rows.length);
  for (let i = rows.length - 1; i >= 0; i--) {
    const r = rows[i]!;
    Event.createEvent(b, r.timeMs - base, r.target, r.seq, r.value, r.kind, r.vehicle, r.flags, 0, r.device);
  }
  const eventsOff = b.endVector();
  EventBatch.startEventBatch(b);
  EventBatch.addBaseTimeMs(b, base);
  EventBatch.addCity(b, cityOff);
  EventBatch.addCatalogHash(b, city.catalogHash);
  EventBatch.addEvents(b, eventsOff);
  if (keepIds) EventBatch.addEventIds(b, idsOff);
  if (notesOff !== 0) EventBatch.addAnnotations(b, notesOff);
  const root = EventBatch.endEventBatch(b);
  b.finish(root, BATCH_IDENTIFIER);
  // The builder's array aliases its internal buffer: copy into a fresh, 8-byte aligned buffer.
  return b.asUint8Array().slice();
}

function resolve(e: CdsEvent, city: City, report: EncodeReport): Resolved | null {
  const kind = KIND[e.event_type];
  const timeMs = parseEventTime(e.event_time);
  let vehicle = e.vehicle_type === undefined ? 0 : vehicleCode(e.vehicle_type);
  let flags = 0;
  let device = NO_DEVICE;
  let target: number;
  if (e.data_source_device_id !== undefined) {
    const d = city.deviceIndex(e.data_source_device_id);
    if (d !== NONE) device = d;
  }
  if (
    isBayKind(kind) &&
    !(device !== NO_DEVICE && city.deviceBay[device] === NONE && e.curb_space_id === undefined)
  ) {
    let bay = NONE;
    if (e.curb_space_id !== undefined) bay = city.bayIndex(e.curb_space_id);
    else if (device !== NO_DEVICE) bay = city.deviceBay[device]!;
    if (bay === NONE) {
      report.noteUnknown("bay", e.curb_space_id ?? e.data_source_device_id ?? e.event_id);
      return null;
    }
    target = bay;
    if (device === NO_DEVICE) device = bay; // device i is bay i's sensor
    if (vehicle === 0) vehicle = city.bayVehicle[bay]!;
  } else {
    let zone = NONE;
    if (e.curb_zone_id !== undefined) zone = city.zoneIndex(e.curb_zone_id);
    else if (e.curb_space_id !== undefined) {
      const bay = city.bayIndex(e.curb_space_id);
      if (bay !== NONE) zone = city.bayZone[bay]!;
    } else if (device !== NO_DEVICE) zone = city.deviceZone[device]!;
    if (zone === NONE) {
      report.noteUnknown("zone", e.curb_zone_id ?? e.curb_space_id ?? e.data_source_device_id ?? e.event_id);
      return null;
    }
    target = zone;
    flags |= FLAG_TARGET_ZONE;
  }
  let seq: number;
  if (isPaymentKind(kind)) {
    seq = fnv1a(e.event_session_id ?? "");
    flags |= FLAG_SEQ_IS_SESSION_HASH;
  } else if (e.sequence_number !== undefined) {
    seq = e.sequence_number;
  } else {
    seq = fnv1a(e.event_id);
    flags |= FLAG_SEQ_IS_ID_HASH;
  }
  const leftovers: Record<string, string> = {};
  if (e.event_session_id !== undefined) leftovers.event_session_id = e.event_session_id;
  if (e.data_source_device_id !== undefined && device === NO_DEVICE)
    leftovers.data_source_device_id = e.data_source_device_id;
  if (e.curb_space_id !== undefined && (flags & FLAG_TARGET_ZONE) !== 0)
    leftovers.curb_space_id = e.curb_space_id;
  const note = Object.keys(leftovers).length === 0 ? "" : JSON.stringify(leftovers);
  let value = 0;
  if (kind === KIND.scheduled_report) value = e.occupied ? 1 : 0;
  else if (kind === KIND.manual_count) value = e.vehicle_count ?? 0;
  else if (kind === KIND.enter_area || kind === KIND.exit_area) value = e.vehicle_count ?? 1;
  else if (kind === KIND.payment_end) value = e.actual_cost ?? 0;
  return { timeMs, target, seq, value, kind, vehicle, flags, device, id: e.event_id, note };
}

/** Default events per batch for encodeEventBatches (about 100 KiB of structs). */
export const BATCH_EVENTS_DEFAULT = 4096;

/**
 * Encodes events in delivery order as consecutive batches of at most `batchSize` events, starting a
 * new batch early when the next event would stretch a batch's time span past BATCH_SPAN_MS_MAX.
 *
 * @example writeFrames(encodeEventBatches(events, city)) // the bytes of a .fb file
 */
export function encodeEventBatches(
  events: readonly CdsEvent[],
  city: City,
  batchSize = BATCH_EVENTS_DEFAULT,
  report = new EncodeReport(),
  options: EncodeOptions = {},
): Uint8Array[] {
  if (!Number.isSafeInteger(batchSize) || batchSize <= 0)
    throw new RangeError("batchSize must be a positive integer");
  const out: Uint8Array[] = [];
  let start = 0;
  while (start < events.length) {
    let end = start;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    while (end < events.length && end - start < batchSize) {
      const t = parseEventTime(events[end]?.event_time);
      if (!Number.isNaN(t) && Math.max(hi, t) - Math.min(lo, t) > BATCH_SPAN_MS_MAX) break;
      if (!Number.isNaN(t)) {
        lo = Math.min(lo, t);
        hi = Math.max(hi, t);
      }
      end++;
    }
    out.push(encodeEvents(events.slice(start, end), city, report, options));
    start = end;
  }
  return out;
}

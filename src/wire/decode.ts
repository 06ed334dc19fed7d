/**
 * EventBatch -> plain CDS events, for tests, tools and the `convert` CLI (cold path: it allocates).
 *
 * The round trip is lossless up to a canonical form: times become integer ms, vehicle aliases become
 * their class name, ids are completed from the catalogue (a bay event names its zone, bay and sensor),
 * counts that defaulted are written out. `canonicalEvent` gives that form for any valid input.
 */
import type { City } from "../catalog/city.js";
import { vehicleName } from "../catalog/vehicles.js";
import { ParkirWireError } from "../errors/index.js";
import type { CdsEvent } from "./events.js";
import { EVENT_TYPES, KIND } from "./kinds.js";
import { FLAG_SEQ_IS_ID_HASH, FLAG_SEQ_IS_SESSION_HASH, FLAG_TARGET_ZONE, NO_DEVICE } from "./layout.js";
import { EventBatchView } from "./view.js";

/**
 * Decodes a batch into CDS events in batch order.
 *
 * @throws ParkirWireError when the bytes are not a valid batch for `city`.
 */
export function decodeEvents(bytes: Uint8Array | EventBatchView, city: City): CdsEvent[] {
  const v = bytes instanceof EventBatchView ? bytes : EventBatchView.from(bytes, { city });
  const out: CdsEvent[] = [];
  for (let i = 0; i < v.length; i++) {
    const kind = v.kind(i);
    const flags = v.flags(i);
    const target = v.target(i);
    const device = v.device(i);
    const seq = v.seq(i);
    const note = v.annotation(i);
    const extra = note === "" ? {} : parseAnnotation(note, i);
    const e: CdsEvent = {
      event_id: v.hasEventIds ? v.eventId(i) : `${v.cityId}-${v.timeMs(i)}-${target}-${seq}`,
      event_type: EVENT_TYPES[kind]!,
      event_time: v.timeMs(i),
    };
    if ((flags & FLAG_TARGET_ZONE) !== 0) {
      e.curb_zone_id = city.zones[target]!.id;
      if (extra.curb_space_id !== undefined) e.curb_space_id = extra.curb_space_id;
    } else {
      e.curb_zone_id = city.zones[city.bayZone[target]!]!.id;
      e.curb_space_id = city.bayId(target);
    }
    if (device !== NO_DEVICE) e.data_source_device_id = city.deviceId(device);
    else if (extra.data_source_device_id !== undefined) e.data_source_device_id = extra.data_source_device_id;
    const vehicle = v.vehicle(i);
    if (vehicle !== 0) e.vehicle_type = vehicleName(vehicle);
    if ((flags & (FLAG_SEQ_IS_ID_HASH | FLAG_SEQ_IS_SESSION_HASH)) === 0) e.sequence_number = seq;
    if (kind === KIND.scheduled_report) e.occupied = v.value(i) !== 0;
    if (kind === KIND.manual_count || kind === KIND.enter_area || kind === KIND.exit_area)
      e.vehicle_count = v.value(i);
    if (extra.event_session_id !== undefined) e.event_session_id = extra.event_session_id;
    if (kind === KIND.payment_end) e.actual_cost = v.value(i);
    out.push(e);
  }
  return out;
}

/** Annotations are small JSON objects of strings; anything else is a corrupt batch. */
function parseAnnotation(note: string, index: number): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(note);
  } catch {
    value = undefined;
  }
  if (
    typeof value !== "object" ||
    value === null ||
    Array.isArray(value) ||
    !Object.values(value).every((v) => typeof v === "string")
  ) {
    throw new ParkirWireError("bad-string", 0, `event ${index}: annotation is not a JSON object of strings`);
  }
  return value as Record<string, string>;
}

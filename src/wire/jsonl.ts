/**
 * Events as JSON Lines with a stable key order, so text output is byte-identical across runs
 * whatever order an object's keys were created in.
 */
import type { CdsEvent } from "./events.js";

/** CDS field order of a JSON line (the order decodeEvents writes). */
export const EVENT_KEYS = [
  "event_id",
  "event_type",
  "event_time",
  "curb_zone_id",
  "curb_space_id",
  "data_source_device_id",
  "vehicle_type",
  "sequence_number",
  "occupied",
  "vehicle_count",
  "event_session_id",
  "actual_cost",
] as const satisfies readonly (keyof CdsEvent)[];

/**
 * One event as a JSON line (no newline), keys in EVENT_KEYS order whatever order the object has.
 *
 * @example jsonLine({ event_type: "park_end", event_id: "a", event_time: 5 }) // '{"event_id":"a","event_type":"park_end","event_time":5}'
 */
export function jsonLine(e: CdsEvent): string {
  const o: Record<string, unknown> = {};
  for (const k of EVENT_KEYS) if (e[k] !== undefined) o[k] = e[k];
  return JSON.stringify(o);
}

/** Events as JSON Lines text, one event per line, each line ending in "\n". */
export function toJsonLines(events: readonly CdsEvent[]): string {
  let out = "";
  for (const e of events) out += `${jsonLine(e)}\n`;
  return out;
}

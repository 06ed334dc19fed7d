/**
 * Plain-object events with CDS field names, as they arrive in JSON, and their validation.
 * This is the cold side of the wire: the hot side is the struct vector read by EventBatchView.
 */
import { vehicleCode } from "../catalog/vehicles.js";
import { type Issue, ParkirEventError } from "../errors/index.js";
import { EVENT_TYPES, type EventType } from "./kinds.js";

/**
 * One event with Curb Data Specification field names. Extensions beyond CDS are marked.
 *
 * @example
 * { event_id: "e-1", event_type: "park_start", event_time: "2026-11-30T09:00:00+08:00",
 *   data_source_device_id: "PLU-001-S01", vehicle_type: "car", sequence_number: 17 }
 */
export interface CdsEvent {
  /** Unique id of the event (CDS). */
  event_id: string;
  /** What happened (CDS event_type; manual_count and payment_* are parkir extensions). */
  event_type: EventType;
  /** When it happened: ms since the Unix epoch, or ISO-8601 with an offset (CDS). */
  event_time: number | string;
  /** Zone (parking point) id (CDS). Required for zone events unless the device names it. */
  curb_zone_id?: string;
  /** Bay id (CDS). A bay event names its bay or its device. */
  curb_space_id?: string;
  /** Sensor, gate counter or attendant device id (CDS). */
  data_source_device_id?: string;
  /** Vehicle class or a CDS vehicle type alias (motorcycle, car, three_wheeler, heavy, moped, van, truck, ...). */
  vehicle_type?: string;
  /** Extension: per-device frame counter (LoRaWAN f_cnt), used to drop retransmissions. */
  sequence_number?: number;
  /** Extension: state confirmed by a scheduled_report. */
  occupied?: boolean;
  /** Extension: vehicles counted (manual_count: present now; enter_area/exit_area: passed, default 1). */
  vehicle_count?: number;
  /** Payment session id (CDS event_session_id); required for payment events. */
  event_session_id?: string;
  /** Amount paid in integer minor units (CDS actual_cost); required for payment_end. */
  actual_cost?: number;
}

/** Largest absolute time accepted: the ECMAScript Date range. */
export const EVENT_TIME_MS_MAX = 8.64e15;
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const STRING_FIELDS = [
  "curb_zone_id",
  "curb_space_id",
  "data_source_device_id",
  "vehicle_type",
  "event_session_id",
] as const;
/** Every field a CdsEvent may have; any other own field is reported. */
const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  ...STRING_FIELDS,
  "event_id",
  "event_type",
  "event_time",
  "sequence_number",
  "occupied",
  "vehicle_count",
  "actual_cost",
]);
const U32_MAX = 0xffffffff;
const I32_MAX = 0x7fffffff;

/**
 * Event time in ms since the epoch, or NaN when the value is not a valid time.
 *
 * @example parseEventTime("2026-11-30T09:00:00+08:00") // 1796000400000
 */
export function parseEventTime(value: unknown): number {
  if (typeof value === "number") {
    return Number.isInteger(value) && value >= 0 && value <= EVENT_TIME_MS_MAX ? value : Number.NaN;
  }
  if (typeof value !== "string" || !ISO_WITH_OFFSET.test(value)) return Number.NaN;
  // Date.parse rolls an impossible day over (2026-02-30 -> March 2): refuse it instead.
  const month = Number(value.slice(5, 7));
  if (Number(value.slice(8, 10)) > daysInMonth(Number(value.slice(0, 4)), month)) return Number.NaN;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && ms >= 0 ? ms : Number.NaN;
}

/** Days in `month` (1-12) of the proleptic Gregorian `year`; 31 for a month out of range (Date.parse refuses it). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Problems with one event object; empty when it is valid. */
export function eventIssues(e: unknown): Issue[] {
  const issues: Issue[] = [];
  if (typeof e !== "object" || e === null || Array.isArray(e))
    return [{ path: "", message: "must be an object" }];
  const o = e as Record<string, unknown>;
  if (typeof o.event_id !== "string" || o.event_id.length === 0 || o.event_id.length > 256) {
    issues.push({ path: "event_id", message: "must be a non-empty string of at most 256 characters" });
  }
  if (typeof o.event_type !== "string" || !(EVENT_TYPES as readonly string[]).includes(o.event_type)) {
    issues.push({ path: "event_type", message: `must be one of ${EVENT_TYPES.join(", ")}` });
  }
  if (Number.isNaN(parseEventTime(o.event_time))) {
    issues.push({
      path: "event_time",
      message: "must be integer ms since the epoch or ISO-8601 with an offset",
    });
  }
  for (const f of STRING_FIELDS) {
    const v = o[f];
    if (v !== undefined && (typeof v !== "string" || v.length === 0 || v.length > 256)) {
      issues.push({ path: f, message: "must be a non-empty string of at most 256 characters" });
    }
  }
  if (typeof o.vehicle_type === "string" && vehicleCode(o.vehicle_type) < 0) {
    issues.push({ path: "vehicle_type", message: `unknown vehicle type ${JSON.stringify(o.vehicle_type)}` });
  }
  if (o.sequence_number !== undefined && !isInt(o.sequence_number, 0, U32_MAX)) {
    issues.push({ path: "sequence_number", message: "must be an integer in [0, 4294967295]" });
  }
  if (o.vehicle_count !== undefined && !isInt(o.vehicle_count, 0, I32_MAX)) {
    issues.push({ path: "vehicle_count", message: "must be a non-negative integer" });
  }
  if (o.actual_cost !== undefined && !isInt(o.actual_cost, 0, I32_MAX)) {
    issues.push({ path: "actual_cost", message: "must be a non-negative integer in minor units" });
  }
  if (o.occupied !== undefined && typeof o.occupied !== "boolean") {
    issues.push({ path: "occupied", message: "must be a boolean" });
  }
  const t = o.event_type;
  if (t === "scheduled_report" && typeof o.occupied !== "boolean") {
    issues.push({ path: "occupied", message: "scheduled_report needs occupied: true|false" });
  }
  if (t === "manual_count") {
    if (o.vehicle_count === undefined)
      issues.push({ path: "vehicle_count", message: "manual_count needs vehicle_count" });
    if (o.curb_zone_id === undefined)
      issues.push({ path: "curb_zone_id", message: "manual_count needs curb_zone_id" });
  }
  if ((t === "payment_start" || t === "payment_end") && o.event_session_id === undefined) {
    issues.push({ path: "event_session_id", message: `${t} needs event_session_id` });
  }
  if ((t === "payment_start" || t === "payment_end") && o.sequence_number !== undefined) {
    issues.push({
      path: "sequence_number",
      message: "payment events are identified by event_session_id, not sequence_number",
    });
  }
  if (t === "payment_end" && o.actual_cost === undefined) {
    issues.push({ path: "actual_cost", message: "payment_end needs actual_cost" });
  }
  for (const k of Object.keys(o))
    if (!KNOWN_FIELDS.has(k)) issues.push({ path: k, message: "unknown field" });
  return issues;
}

/**
 * Checks that a value is a valid CdsEvent and narrows its type.
 *
 * @throws ParkirEventError listing every problem.
 */
export function assertEvent(e: unknown, line = 0): asserts e is CdsEvent {
  const issues = eventIssues(e);
  if (issues.length > 0) throw new ParkirEventError(issues, line);
}

/** Result of parsing JSON Lines: the valid events and one typed error per bad line. */
export interface ParsedLines {
  readonly events: CdsEvent[];
  readonly errors: ParkirEventError[];
}

/**
 * Parses JSON Lines of CDS events. Blank lines are skipped; every bad line becomes an error with its
 * line number, and parsing goes on so nothing valid is lost.
 */
export function parseEventLines(text: string): ParsedLines {
  const events: CdsEvent[] = [];
  const errors: ParkirEventError[] = [];
  let line = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    line++;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      errors.push(new ParkirEventError([{ path: "", message: `not JSON: ${(err as Error).message}` }], line));
      continue;
    }
    const issues = eventIssues(value);
    if (issues.length > 0) errors.push(new ParkirEventError(issues, line));
    else events.push(value as CdsEvent);
  }
  return { events, errors };
}

function isInt(v: unknown, min: number, max: number): boolean {
  return typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
}

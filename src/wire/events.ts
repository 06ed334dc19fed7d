/**
 * Plain-object events with CDS field names, as they arrive in JSON, and their validation.
 * This is the cold side of the wire: the hot side is the struct vector read by EventBatchView.
 */
import { vehicleCode } from "../catalog/vehicles.js";
import { type Issue, ParkirEventError } from "../errors/index.js";
import { EVENT_TYPES, type EventType, KIND } from "./kinds.js";
import { BATCH_SPAN_MS_MAX } from "./layout.js";

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

/**
 * Latest event time accepted: the end of the ECMAScript Date range less the span of one batch, so that any
 * event time parsed here fits a batch the verifier accepts (a batch's base time plus its u32 offsets stays in
 * the Date range).
 */
export const EVENT_TIME_MS_MAX = 8.64e15 - BATCH_SPAN_MS_MAX;
const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/;
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
const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);
const U32_MAX = 0xffffffff;
const I32_MAX = 0x7fffffff;

/**
 * Event time in ms since the epoch, or NaN when the value is not a valid time.
 *
 * @example parseEventTime("2026-11-30T09:00:00+08:00") // 1796000400000
 */
export function parseEventTime(value: unknown): number {
  if (typeof value === "string") {
    const ms = isoTimeMs(value);
    if (!Number.isNaN(ms)) return ms;
  }
  return eventTimeProblem(value) === null ? timeOf(value as number | string) : Number.NaN;
}

/** Why a value is not a valid event time, or null when it is one. */
export function eventTimeProblem(value: unknown): string | null {
  if (typeof value === "number") {
    return Number.isInteger(value) && value >= 0 && value <= EVENT_TIME_MS_MAX
      ? null
      : `must be integer ms since the epoch in [0, ${EVENT_TIME_MS_MAX}] or ISO-8601 with an offset`;
  }
  if (typeof value === "string" && !Number.isNaN(isoTimeMs(value))) return null;
  return isoTimeProblem(value);
}

/**
 * eventTimeProblem of a value that is not a number, rule by rule (a regular expression, then Date.parse):
 * what names the problem, and the reference isoTimeMs is tested against. @internal
 */
export function isoTimeProblem(value: unknown): string | null {
  const m = typeof value === "string" ? ISO_WITH_OFFSET.exec(value) : null;
  if (m === null) return "must be integer ms since the epoch or ISO-8601 with an offset";
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month))
    return `${m[1]}-${m[2]}-${m[3]} is not a calendar date`;
  if (hour > 23 || minute > 59 || second > 59)
    return `${m[4]}:${m[5]}${m[6] === undefined ? "" : `:${m[6]}`} is not a time of day`;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59))
    return `offset ${m[8]} is not a UTC offset`;
  const ms = timeOf(value as string);
  return Number.isFinite(ms) && ms >= 0 && ms <= EVENT_TIME_MS_MAX
    ? null
    : `must lie between 1970 and ${new Date(EVENT_TIME_MS_MAX).toISOString()}`;
}

function timeOf(value: number | string): number {
  return typeof value === "number" ? value : Date.parse(value);
}

const C0 = 48; // "0"

/** The value of the `n` decimal digits of `s` at `at`, or −1 when one is not a digit. */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - C0;
    if (!(d >= 0 && d <= 9)) return -1; // NaN past the end too
    v = v * 10 + d;
  }
  return v;
}

/** Days from 1970-01-01 to the proleptic Gregorian date (month 1-12); Howard Hinnant's days_from_civil. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * A valid ISO-8601 event time read without a regular expression or Date.parse: exactly what
 * `eventTimeProblem` accepts and `Date.parse` returns (fractions of a millisecond are cut, as V8 does), or NaN
 * for anything else (an invalid date, another form, a time out of range), which the slow path then judges.
 */
export function isoTimeMs(s: string): number {
  const n = s.length;
  // YYYY-MM-DDTHH:MM, then :SS and .fraction, then Z or ±HH:MM.
  if (n < 17 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84)
    return Number.NaN;
  if (s.charCodeAt(13) !== 58) return Number.NaN;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  if ((year | month | day | hour | minute) < 0) return Number.NaN;
  let at = 16;
  let second = 0;
  let ms = 0;
  if (s.charCodeAt(at) === 58) {
    second = digits(s, at + 1, 2);
    if (second < 0) return Number.NaN;
    at += 3;
    if (s.charCodeAt(at) === 46) {
      at++;
      let k = 0;
      while (at + k < n && k < 10) {
        const d = s.charCodeAt(at + k) - C0;
        if (d < 0 || d > 9) break;
        if (k < 3) ms += d * (k === 0 ? 100 : k === 1 ? 10 : 1);
        k++;
      }
      if (k === 0 || k > 9) return Number.NaN;
      at += k;
    }
  }
  let offsetMin = 0;
  const z = s.charCodeAt(at);
  if (z === 90) {
    if (at + 1 !== n) return Number.NaN;
  } else if (z === 43 || z === 45) {
    if (at + 6 !== n || s.charCodeAt(at + 3) !== 58) return Number.NaN;
    const oh = digits(s, at + 1, 2);
    const om = digits(s, at + 4, 2);
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return Number.NaN;
    offsetMin = (z === 43 ? 1 : -1) * (oh * 60 + om);
  } else return Number.NaN;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN;
  if (hour > 23 || minute > 59 || second > 59) return Number.NaN;
  const t =
    ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute - offsetMin) * 60_000 + second * 1000 + ms;
  return t >= 0 && t <= EVENT_TIME_MS_MAX ? t : Number.NaN;
}

/** Days in `month` (1-12) of the proleptic Gregorian `year`; 31 for a month out of range (Date.parse refuses it). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Event kind codes by name (a Map: names such as "toString" are not kinds). */
const KIND_OF: ReadonlyMap<string, number> = new Map(Object.entries(KIND));

/** A string field's rule: a non-empty string of at most 256 characters. */
function isIdString(v: unknown): boolean {
  return typeof v === "string" && v.length > 0 && v.length <= 256;
}

/**
 * One event's fields as the encoder needs them, read once (readEvent, eventFields): a record reused from event to
 * event, so reading allocates nothing. Absent numbers are −1. @internal
 */
export class EventFields {
  /** Kind code. */
  kind = 0;
  /** event_time in ms since the epoch. */
  timeMs = 0;
  id = "";
  zone: string | undefined = undefined;
  space: string | undefined = undefined;
  device: string | undefined = undefined;
  session: string | undefined = undefined;
  /** Vehicle wire code, 0 when vehicle_type is absent. */
  vehicle = 0;
  seq = -1;
  count = -1;
  cost = -1;
  occupied = false;
}

/** The record validEventKind reads into. */
const scratchFields = new EventFields();

/**
 * The kind code of an event that is certainly valid, or −1 when it may not be (eventIssues then decides and
 * names the problems): the same rules as eventIssues, read field by field without allocating, and one walk of
 * the keys that accepts only the known fields. It never says valid where eventIssues would find a problem.
 */
export function validEventKind(e: unknown): number {
  return readEvent(e, scratchFields);
}

/**
 * The last event_type string readEvent looked up of each length (modulo 32), and its code: always a name and its
 * own code (park_start's in a slot not used yet), so a match is an answer.
 */
const kindNames: string[] = new Array<string>(32).fill(EVENT_TYPES[0]);
const kindNameCode = new Int32Array(32).fill(KIND[EVENT_TYPES[0]]);

/** The last vehicle_type string readEvent looked up, and its code (a feed repeats a few names). */
let lastVehicleName = "car";
let lastVehicleCode = vehicleCode("car");

/**
 * validEventKind that also reads the event's fields into `f` (each property read once; `f` is meaningful only
 * when the result is ≥ 0). @internal
 */
export function readEvent(e: unknown, f: EventFields): number {
  if (typeof e !== "object" || e === null || Array.isArray(e)) return -1;
  const o = e as Record<string, unknown>;
  const id = o.event_id;
  if (!isIdString(id)) return -1;
  const type = o.event_type;
  if (typeof type !== "string") return -1;
  // The last kind name of each length: a feed repeats a few names, and one comparison finds them.
  const slot = type.length & 31;
  let kind = kindNameCode[slot]!;
  if (type !== kindNames[slot]) {
    const code = KIND_OF.get(type);
    if (code === undefined) return -1;
    kind = code;
    kindNames[slot] = type;
    kindNameCode[slot] = code;
  }
  const time = o.event_time;
  let timeMs: number;
  if (typeof time === "number") {
    if (!(Number.isInteger(time) && time >= 0 && time <= EVENT_TIME_MS_MAX)) return -1;
    timeMs = time;
  } else if (typeof time !== "string" || Number.isNaN((timeMs = isoTimeMs(time)))) return -1;
  const zone = o.curb_zone_id;
  const space = o.curb_space_id;
  const device = o.data_source_device_id;
  const session = o.event_session_id;
  if (zone !== undefined && !isIdString(zone)) return -1;
  if (space !== undefined && !isIdString(space)) return -1;
  if (device !== undefined && !isIdString(device)) return -1;
  if (session !== undefined && !isIdString(session)) return -1;
  const vehicle = o.vehicle_type;
  let code = 0;
  if (vehicle !== undefined) {
    if (vehicle === lastVehicleName) code = lastVehicleCode;
    else {
      if (!isIdString(vehicle)) return -1;
      code = vehicleCode(vehicle as string);
      if (code < 0) return -1;
      lastVehicleName = vehicle as string;
      lastVehicleCode = code;
    }
  }
  const seq = o.sequence_number;
  if (seq !== undefined && !isInt(seq, 0, U32_MAX)) return -1;
  const count = o.vehicle_count;
  if (count !== undefined && !isInt(count, 0, I32_MAX)) return -1;
  const cost = o.actual_cost;
  if (cost !== undefined && !isInt(cost, 0, I32_MAX)) return -1;
  const occupied = o.occupied;
  if (occupied !== undefined && typeof occupied !== "boolean") return -1;
  if (kind === KIND.scheduled_report && occupied === undefined) return -1;
  if (kind === KIND.manual_count && (count === undefined || zone === undefined)) return -1;
  if (kind >= KIND.payment_start && (session === undefined || seq !== undefined)) return -1;
  if (kind === KIND.payment_end && cost === undefined) return -1;
  // Keys are interned strings, so each case is a pointer comparison; inherited keys send the event to
  // eventIssues too (which ignores inherited unknown keys).
  for (const k in o) {
    switch (k) {
      case "event_id":
      case "event_type":
      case "event_time":
      case "curb_zone_id":
      case "curb_space_id":
      case "data_source_device_id":
      case "vehicle_type":
      case "sequence_number":
      case "occupied":
      case "event_session_id":
      case "vehicle_count":
      case "actual_cost":
        break;
      default:
        return -1;
    }
  }
  f.kind = kind;
  f.timeMs = timeMs;
  f.id = id as string;
  f.zone = zone as string | undefined;
  f.space = space as string | undefined;
  f.device = device as string | undefined;
  f.session = session as string | undefined;
  f.vehicle = code;
  f.seq = seq === undefined ? -1 : (seq as number);
  f.count = count === undefined ? -1 : (count as number);
  f.cost = cost === undefined ? -1 : (cost as number);
  f.occupied = occupied === true;
  return kind;
}

/** Reads the fields of an event eventIssues accepts into `f` (the path for events readEvent leaves alone). @internal */
export function eventFields(e: CdsEvent, f: EventFields): void {
  f.kind = KIND[e.event_type];
  f.timeMs = parseEventTime(e.event_time);
  f.id = e.event_id;
  f.zone = e.curb_zone_id;
  f.space = e.curb_space_id;
  f.device = e.data_source_device_id;
  f.session = e.event_session_id;
  f.vehicle = e.vehicle_type === undefined ? 0 : vehicleCode(e.vehicle_type);
  f.seq = e.sequence_number ?? -1;
  f.count = e.vehicle_count ?? -1;
  f.cost = e.actual_cost ?? -1;
  f.occupied = e.occupied === true;
}

/** Problems with one event object; empty when it is valid. */
export function eventIssues(e: unknown): Issue[] {
  return validEventKind(e) >= 0 ? [] : eventIssuesByRule(e);
}

/**
 * eventIssues rule by rule, naming every problem: what eventIssues returns for an event validEventKind does
 * not vouch for, and the reference validEventKind is tested against. @internal
 */
export function eventIssuesByRule(e: unknown): Issue[] {
  const issues: Issue[] = [];
  if (typeof e !== "object" || e === null || Array.isArray(e))
    return [{ path: "", message: "must be an object" }];
  const o = e as Record<string, unknown>;
  if (typeof o.event_id !== "string" || o.event_id.length === 0 || o.event_id.length > 256) {
    issues.push({ path: "event_id", message: "must be a non-empty string of at most 256 characters" });
  }
  if (typeof o.event_type !== "string" || !EVENT_TYPE_SET.has(o.event_type)) {
    issues.push({ path: "event_type", message: `must be one of ${EVENT_TYPES.join(", ")}` });
  }
  const timeProblem = eventTimeProblem(o.event_time);
  if (timeProblem !== null) issues.push({ path: "event_time", message: timeProblem });
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
  // for-in walks the own keys in Object.keys order without building an array (inherited keys are skipped).
  for (const k in o)
    if (!KNOWN_FIELDS.has(k) && Object.hasOwn(o, k)) issues.push({ path: k, message: "unknown field" });
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

/** Result of parsing JSON Lines: the valid events and one typed error per bad line (the first `errorsMax`). */
export interface ParsedLines {
  readonly events: CdsEvent[];
  /** The first `errorsMax` bad lines, in line order. */
  readonly errors: ParkirEventError[];
  /** Bad lines in all (every line in `errors`, and those beyond errorsMax). */
  readonly invalid: number;
  /** Set when parsing stopped before the end: the input is binary, not JSON Lines (also the last of `errors`). */
  readonly stopped?: ParkirEventError;
}

/**
 * Longest JSON line read by default, in UTF-8 bytes without its newline (a CDS event is under 1 KiB): the one
 * line bound of parseEventLines, the JSON Lines reader (readJsonLinesBatches, replayJsonLines) and `parkir
 * replay`. A longer line is refused alone, unparsed.
 */
export const EVENT_LINE_BYTES_MAX = 65_536;

/** The issue of a line longer than the bound (the same words from every JSON Lines reader). */
export function lineTooLong(bytes: number, maxLineBytes: number): Issue {
  return { path: "", message: `line of ${bytes} bytes is longer than maxLineBytes (${maxLineBytes})` };
}
/** Bad lines parseEventLines describes one by one by default (all are counted). */
export const EVENT_LINE_ERRORS_MAX = 1000;

/** Bounds of parseEventLines. */
export interface ParseLinesOptions {
  /**
   * Longest line parsed, UTF-8 bytes without the newline: a longer one is an error without being parsed
   * (JSON.parse of a 50 MB line takes gigabytes). Default EVENT_LINE_BYTES_MAX (64 KiB).
   */
  readonly maxLineBytes?: number;
  /** Bad lines kept in `errors` (the rest are only counted in `invalid`). Default EVENT_LINE_ERRORS_MAX. */
  readonly errorsMax?: number;
}

/**
 * Parses JSON Lines of CDS events. Blank lines are skipped; every bad line becomes an error with its line
 * number, and parsing goes on so nothing valid is lost. Lines longer than `maxLineBytes` are refused unparsed.
 * A NUL character (never valid in JSON text) means the input is binary, not JSON Lines: parsing stops there
 * with one clear error instead of reporting every line of garbage.
 */
export function parseEventLines(text: string, options: ParseLinesOptions = {}): ParsedLines {
  const maxLineBytes = options.maxLineBytes ?? EVENT_LINE_BYTES_MAX;
  const errorsMax = options.errorsMax ?? EVENT_LINE_ERRORS_MAX;
  const events: CdsEvent[] = [];
  const errors: ParkirEventError[] = [];
  let invalid = 0;
  const bad = (line: number, message: string, issues?: Issue[]): ParkirEventError | undefined => {
    invalid++;
    if (errors.length >= errorsMax) return undefined;
    const e = new ParkirEventError(issues ?? [{ path: "", message }], line);
    errors.push(e);
    return e;
  };
  let line = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    line++;
    const from = start;
    start = end + 1;
    // A UTF-16 code unit is 1 to 3 UTF-8 bytes: only a line near the bound is measured in bytes.
    if (end - from > maxLineBytes / 3) {
      const bytes = utf8Length(text, from, end);
      if (bytes > maxLineBytes) {
        bad(line, "", [lineTooLong(bytes, maxLineBytes)]);
        continue;
      }
    }
    const raw = text.slice(from, end).trim();
    if (raw === "") continue;
    if (raw.includes("\u0000")) {
      const stopped = new ParkirEventError(
        [{ path: "", message: "binary data (a NUL byte): this is not JSON Lines; stopped reading here" }],
        line,
      );
      invalid++;
      errors.push(stopped);
      return { events, errors, invalid, stopped };
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      bad(line, `not JSON: ${(err as Error).message}`);
      continue;
    }
    const issues = eventIssues(value);
    if (issues.length > 0) bad(line, "", issues);
    else events.push(value as CdsEvent);
  }
  return { events, errors, invalid };
}

/** UTF-8 bytes of `text[from, end)` (a lone surrogate counts as U+FFFD, 3 bytes, as TextEncoder writes it). */
function utf8Length(text: string, from: number, end: number): number {
  let n = 0;
  for (let i = from; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

function isInt(v: unknown, min: number, max: number): boolean {
  return typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
}

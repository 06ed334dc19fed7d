/**
 * The city catalogue document: what a city publishes about its parking points, and its validation.
 * Every engine, shard worker and gateway loads a catalogue, so it is checked by a direct walk over the
 * document (no schema library: loading and running one cost a gateway-sized process about 20 MB of
 * resident memory) that reports every problem with its JSON path, in document order.
 */
import type { Issue } from "../errors/index.js";
import { CAPACITY_CLASSES, type CapacityClass } from "./vehicles.js";
import type { Z } from "./zod.js";

/** How a zone's occupancy is observed (FIWARE occupancyDetectionType in brackets). */
export const DETECTION_METHODS = ["baySensors", "gateCounters", "attendantCounts", "payments"] as const;
/** One of DETECTION_METHODS. */
export type DetectionMethod = (typeof DETECTION_METHODS)[number];

/** What an id in a catalogue or policy document must be: 1 to 128 printable ASCII characters without spaces. */
const ID = /^[\x21-\x7e]{1,128}$/;
// A LoRaWAN device EUI: 16 hex digits (case-insensitive; indexed upper-case).
const DEV_EUI = /^[0-9A-Fa-f]{16}$/;
// A sensor model name, as registered with the gateway's payload decoders (e.g. "nwave-nps405").
const MODEL = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The id rule of catalogue and policy documents as a zod schema (policy documents are validated with zod). */
export function idSchema(z: Z) {
  return z
    .string()
    .min(1, "must not be empty")
    .max(128, "must be at most 128 characters")
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");
}

/** One bay with a sensor. */
export interface BayDocument {
  /** Bay id, unique in the catalogue. */
  id: string;
  /** Vehicle class the bay is for. */
  vehicleType: CapacityClass;
  /** Id of the bay's sensor, unique among devices. */
  sensorId: string;
  /** LoRaWAN device EUI of the bay's sensor, when it reports through a LoRaWAN network server. */
  devEui?: string;
  /** Sensor model: names the payload decoder of its uplinks. */
  model?: string;
}

/** One gate counter (vehicles in and out of a zone). */
export interface GateDocument {
  /** Gate id. */
  id: string;
  /** Id of the counting device, unique among devices. */
  deviceId: string;
  /** LoRaWAN device EUI of the counter. */
  devEui?: string;
  /** Counter model: names the payload decoder of its uplinks. */
  model?: string;
}

/** One zone (parking point) of a city catalogue document. */
export interface ZoneDocument {
  /** Zone id, unique in the catalogue. */
  id: string;
  /** Human name. */
  name: string;
  /** Where the zone is (WGS 84 degrees). */
  location: { lat: number; lon: number };
  /** On-street or off-street. */
  street: "on" | "off";
  /** Tariff zone class (the policy's tariffs apply by class). */
  zoneClass: string;
  /** How occupancy is observed, at least one method. */
  detection: DetectionMethod[];
  /** Declared capacity per vehicle class (bays with sensors count when a class is not declared). */
  capacity: Partial<Record<CapacityClass, number>>;
  /** Bays with sensors (empty when none). */
  bays: BayDocument[];
  /** Gate counters (empty when none). */
  gates: GateDocument[];
}

/** A city catalogue document as written in JSON (after defaults). */
export interface CityDocument {
  /** Catalogue id (e.g. "palu"). */
  id: string;
  /** Human name. */
  name: string;
  /** IANA time zone such as Asia/Makassar. */
  timeZone: string;
  /** ISO 4217 currency code such as IDR. */
  currency: string;
  /** True when the catalogue is made up (default false). */
  synthetic: boolean;
  /** Free text. */
  note?: string;
  /** Zones, at least one. */
  zones: ZoneDocument[];
}

/** The outcome of validating a catalogue document: the document with defaults applied, or every problem. */
export type CityDocumentResult =
  | { readonly ok: true; readonly doc: CityDocument }
  | { readonly ok: false; readonly issues: Issue[] };

/**
 * Validates a city catalogue document: every field's type and range, no unknown fields; defaults applied
 * (`synthetic` false, `bays` and `gates` empty). The input is not changed. Semantic checks (unique ids,
 * capacities, detection against equipment) are loadCity's.
 *
 * @example
 * const r = validateCityDocument(JSON.parse(text));
 * if (!r.ok) for (const i of r.issues) console.error(`${i.path}: ${i.message}`);
 */
export function validateCityDocument(json: unknown): CityDocumentResult {
  const c = new Checker();
  const doc = c.city(json);
  return c.issues.length === 0 && doc !== undefined ? { ok: true, doc } : { ok: false, issues: c.issues };
}

const CITY_KEYS = ["id", "name", "timeZone", "currency", "synthetic", "note", "zones"] as const;
const ZONE_KEYS = [
  "id",
  "name",
  "location",
  "street",
  "zoneClass",
  "detection",
  "capacity",
  "bays",
  "gates",
] as const;
const BAY_KEYS = ["id", "vehicleType", "sensorId", "devEui", "model"] as const;
const GATE_KEYS = ["id", "deviceId", "devEui", "model"] as const;
const LOCATION_KEYS = ["lat", "lon"] as const;

/** Path of a field of the object at `path`. */
function field(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** Type of a JSON value as a message names it. */
function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : typeof v;
}

/** Walks a document, collecting issues; each method returns the checked value, or undefined after an issue. */
class Checker {
  readonly issues: Issue[] = [];

  private fail(path: string, message: string): undefined {
    this.issues.push({ path, message });
    return undefined;
  }

  /** A plain object with only `keys`; every unknown key is an issue at its own path. */
  private object(v: unknown, path: string, keys: readonly string[]): Record<string, unknown> | undefined {
    if (typeof v !== "object" || v === null || Array.isArray(v))
      return this.fail(path, `expected an object, got ${typeName(v)}`);
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!keys.includes(k)) this.fail(field(path, k), "unknown field");
    return o;
  }

  private array(
    v: unknown,
    path: string,
    min: number,
    max: number,
    minMessage: string,
  ): unknown[] | undefined {
    if (!Array.isArray(v)) return this.fail(path, `expected an array, got ${typeName(v)}`);
    if (v.length < min) return this.fail(path, minMessage);
    if (v.length > max) return this.fail(path, `must hold at most ${max} entries`);
    return v;
  }

  private string(v: unknown, path: string, min: number, max: number): string | undefined {
    if (typeof v !== "string") return this.fail(path, `expected a string, got ${typeName(v)}`);
    if (v.length < min) return this.fail(path, "must not be empty");
    if (v.length > max) return this.fail(path, `must be at most ${max} characters`);
    return v;
  }

  private match(v: unknown, path: string, re: RegExp, message: string): string | undefined {
    if (typeof v !== "string") return this.fail(path, `expected a string, got ${typeName(v)}`);
    return re.test(v) ? v : this.fail(path, message);
  }

  private id(v: unknown, path: string): string | undefined {
    const s = this.string(v, path, 1, 128);
    if (s === undefined) return undefined;
    return ID.test(s) ? s : this.fail(path, "must be printable ASCII without spaces");
  }

  private number(v: unknown, path: string, min: number, max: number, integer: boolean): number | undefined {
    if (typeof v !== "number" || !Number.isFinite(v))
      return this.fail(path, `expected a number, got ${typeName(v)}`);
    if (integer && !Number.isInteger(v)) return this.fail(path, "must be an integer");
    if (v < min || v > max) return this.fail(path, `must be between ${min} and ${max}`);
    return v;
  }

  private oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T | undefined {
    if (typeof v === "string" && (values as readonly string[]).includes(v)) return v as T;
    return this.fail(path, `must be one of ${values.map((x) => JSON.stringify(x)).join(", ")}`);
  }

  /** An optional string field: absent (or undefined) is fine. */
  private optional<T>(v: unknown, check: (v: unknown) => T | undefined): T | undefined {
    return v === undefined ? undefined : check(v);
  }

  city(v: unknown): CityDocument | undefined {
    const o = this.object(v, "", CITY_KEYS);
    if (o === undefined) return undefined;
    const id = this.id(o.id, "id");
    const name = this.string(o.name, "name", 1, 200);
    const timeZone = this.string(o.timeZone, "timeZone", 0, Number.POSITIVE_INFINITY);
    if (timeZone !== undefined && !isTimeZone(timeZone))
      this.fail("timeZone", "must be an IANA time zone such as Asia/Makassar");
    const currency = this.match(o.currency, "currency", /^[A-Z]{3}$/, "must be an ISO 4217 code such as IDR");
    const synthetic = o.synthetic === undefined ? false : o.synthetic;
    if (typeof synthetic !== "boolean")
      this.fail("synthetic", `expected a boolean, got ${typeName(synthetic)}`);
    const note = this.optional(o.note, (n) => this.string(n, "note", 0, Number.POSITIVE_INFINITY));
    const zoneValues = this.array(o.zones, "zones", 1, 1_000_000, "a city needs at least one zone");
    const zones =
      zoneValues === undefined ? undefined : this.each(zoneValues, "zones", (z, p) => this.zone(z, p));
    if (this.issues.length > 0) return undefined;
    const doc: CityDocument = {
      id: id!,
      name: name!,
      timeZone: timeZone!,
      currency: currency!,
      synthetic: synthetic as boolean,
      zones: zones!,
    };
    if (note !== undefined) doc.note = note;
    return doc;
  }

  private zone(v: unknown, path: string): ZoneDocument | undefined {
    const o = this.object(v, path, ZONE_KEYS);
    if (o === undefined) return undefined;
    const id = this.id(o.id, field(path, "id"));
    const name = this.string(o.name, field(path, "name"), 1, 200);
    const location = this.location(o.location, field(path, "location"));
    const street = this.oneOf(o.street, field(path, "street"), ["on", "off"] as const);
    const zoneClass = this.id(o.zoneClass, field(path, "zoneClass"));
    const detection = this.detection(o.detection, field(path, "detection"));
    const capacity = this.capacity(o.capacity, field(path, "capacity"));
    const bays = this.list(o.bays, field(path, "bays"), (b, p) => this.bay(b, p));
    const gates = this.list(o.gates, field(path, "gates"), (g, p) => this.gate(g, p));
    if (
      id === undefined ||
      name === undefined ||
      location === undefined ||
      street === undefined ||
      zoneClass === undefined ||
      detection === undefined ||
      capacity === undefined ||
      bays === undefined ||
      gates === undefined
    )
      return undefined;
    return { id, name, location, street, zoneClass, detection, capacity, bays, gates };
  }

  private location(v: unknown, path: string): ZoneDocument["location"] | undefined {
    const o = this.object(v, path, LOCATION_KEYS);
    if (o === undefined) return undefined;
    const lat = this.number(o.lat, field(path, "lat"), -90, 90, false);
    const lon = this.number(o.lon, field(path, "lon"), -180, 180, false);
    return lat === undefined || lon === undefined ? undefined : { lat, lon };
  }

  private detection(v: unknown, path: string): DetectionMethod[] | undefined {
    const values = this.array(
      v,
      path,
      1,
      Number.POSITIVE_INFINITY,
      "must name at least one detection method",
    );
    return values === undefined
      ? undefined
      : this.each(values, path, (m, p) => this.oneOf(m, p, DETECTION_METHODS));
  }

  private capacity(v: unknown, path: string): ZoneDocument["capacity"] | undefined {
    const o = this.object(v, path, CAPACITY_CLASSES);
    if (o === undefined) return undefined;
    const out: ZoneDocument["capacity"] = {};
    let ok = true;
    for (const c of CAPACITY_CLASSES) {
      if (o[c] === undefined) continue;
      const n = this.number(o[c], field(path, c), 0, 100_000, true);
      if (n === undefined) ok = false;
      else out[c] = n;
    }
    return ok ? out : undefined;
  }

  /** An array field that defaults to empty, each entry checked by `item`. */
  private list<T>(
    v: unknown,
    path: string,
    item: (v: unknown, path: string) => T | undefined,
  ): T[] | undefined {
    if (v === undefined) return [];
    const values = this.array(v, path, 0, Number.POSITIVE_INFINITY, "");
    return values === undefined ? undefined : this.each(values, path, item);
  }

  /** Every entry of an array checked by `item` (all of them, so every problem is reported). */
  private each<T>(
    values: unknown[],
    path: string,
    item: (v: unknown, path: string) => T | undefined,
  ): T[] | undefined {
    const out: T[] = [];
    let ok = true;
    for (let i = 0; i < values.length; i++) {
      const x = item(values[i], `${path}[${i}]`);
      if (x === undefined) ok = false;
      else out.push(x);
    }
    return ok ? out : undefined;
  }

  private device(o: Record<string, unknown>, path: string): { devEui?: string; model?: string } | undefined {
    const devEui = this.optional(o.devEui, (e) =>
      this.match(e, field(path, "devEui"), DEV_EUI, "must be a LoRaWAN device EUI: 16 hex digits"),
    );
    const model = this.optional(o.model, (m) =>
      this.match(m, field(path, "model"), MODEL, "must be a decoder name: lower-case letters, digits, . _ -"),
    );
    if ((o.devEui !== undefined && devEui === undefined) || (o.model !== undefined && model === undefined))
      return undefined;
    const out: { devEui?: string; model?: string } = {};
    if (devEui !== undefined) out.devEui = devEui;
    if (model !== undefined) out.model = model;
    return out;
  }

  private bay(v: unknown, path: string): BayDocument | undefined {
    const o = this.object(v, path, BAY_KEYS);
    if (o === undefined) return undefined;
    const id = this.id(o.id, field(path, "id"));
    const vehicleType = this.oneOf(o.vehicleType, field(path, "vehicleType"), CAPACITY_CLASSES);
    const sensorId = this.id(o.sensorId, field(path, "sensorId"));
    const device = this.device(o, path);
    if (id === undefined || vehicleType === undefined || sensorId === undefined || device === undefined)
      return undefined;
    return { id, vehicleType, sensorId, ...device };
  }

  private gate(v: unknown, path: string): GateDocument | undefined {
    const o = this.object(v, path, GATE_KEYS);
    if (o === undefined) return undefined;
    const id = this.id(o.id, field(path, "id"));
    const deviceId = this.id(o.deviceId, field(path, "deviceId"));
    const device = this.device(o, path);
    if (id === undefined || deviceId === undefined || device === undefined) return undefined;
    return { id, deviceId, ...device };
  }
}

let canonicalZones: ReadonlySet<string> | undefined;

/**
 * Whether `tz` is an IANA time zone this engine knows. Canonical names are looked up in
 * `Intl.supportedValuesOf` (cheap); others (UTC, aliases) by building a formatter, which loads ICU's date
 * formatting data (about 8 MB of resident memory) and is done only then.
 */
function isTimeZone(tz: string): boolean {
  canonicalZones ??= new Set(Intl.supportedValuesOf("timeZone"));
  if (canonicalZones.has(tz)) return true;
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * A validated city catalogue with dense numeric indices for the hot path. Zones and bays get
 * indices 0..n-1 in document order; per-bay and per-zone facts live in typed arrays so kernels
 * never touch an object or a string.
 */
import { readFileSync } from "node:fs";
import { type Issue, ParkirConfigError } from "../errors/index.js";
import { type CityDocument, validateCityDocument, type ZoneDocument } from "./schema.js";
import { CAPACITY_CLASSES, type CapacityClass, VEHICLE_CODES, vehicleCode } from "./vehicles.js";

/** Marks "no index" in Int32Array lookups. */
export const NONE = -1;

/** Detection method code per vehicle class of a zone (FIWARE occupancyDetectionType order). */
export const DETECTION = {
  singleSpaceDetection: 0,
  balancing: 1,
  manual: 2,
  modelBased: 3,
} as const;
/** FIWARE occupancyDetectionType names, indexed by detection code. */
export const DETECTION_NAMES = ["singleSpaceDetection", "balancing", "manual", "modelBased"] as const;
/** A FIWARE occupancyDetectionType name. */
export type DetectionName = (typeof DETECTION_NAMES)[number];

/** A loaded, validated city catalogue. Immutable; safe to share between engines. */
export interface City {
  /** Catalogue id (e.g. "palu"). */
  readonly id: string;
  /** Human name. */
  readonly name: string;
  /** IANA time zone for local-time rules (Palu: Asia/Makassar, UTC+8, no daylight saving). */
  readonly timeZone: string;
  /** ISO 4217 currency of the city's tariffs; money is integer minor units of it. */
  readonly currency: string;
  /** True when the catalogue is made up (seed data), so nobody mistakes it for a survey. */
  readonly synthetic: boolean;
  /** The validated document, zones in index order. */
  readonly zones: readonly ZoneDocument[];
  /** Number of zones. */
  readonly zoneCount: number;
  /** Number of bays with a sensor, over all zones. */
  readonly bayCount: number;
  /** Number of devices: bay sensors first (device i is bay i), then gate counters. */
  readonly deviceCount: number;
  /** Zone index of each bay. */
  readonly bayZone: Uint32Array;
  /** Vehicle class code of each bay. */
  readonly bayVehicle: Uint8Array;
  /** Bay index of each device, or NONE for gate counters. */
  readonly deviceBay: Int32Array;
  /** Zone index of each device. */
  readonly deviceZone: Uint32Array;
  /** Capacity per zone and vehicle code: `capacity[zone * VEHICLE_CODES + code]`. */
  readonly capacity: Uint32Array;
  /** Bays with a sensor per zone and vehicle code, same layout as `capacity`. */
  readonly sensedBays: Uint32Array;
  /** Detection method code per zone and vehicle code (see DETECTION), same layout as `capacity`. */
  readonly detection: Uint8Array;
  /**
   * FNV-1a hash of every id in index order and of the structure state depends on (each bay's zone and class,
   * each gate's zone, capacities and detection methods): batches and checkpoints carry it, so indices are
   * never misread and state is never restored against a catalogue that changed under it.
   */
  readonly catalogHash: number;
  /** Zone index of an id, or NONE. */
  zoneIndex(id: string): number;
  /** Bay index of an id, or NONE. */
  bayIndex(id: string): number;
  /** Device index of a device id (bay sensor or gate counter), or NONE. */
  deviceIndex(id: string): number;
  /** Bay id of a bay index. */
  bayId(index: number): string;
  /** Device id of a device index. */
  deviceId(index: number): string;
  /** Device index of a LoRaWAN device EUI (any case), or NONE. */
  deviceIndexByEui(devEui: string): number;
  /** Sensor model named for a device index in the catalogue, or undefined. */
  deviceModel(index: number): string | undefined;
}

/**
 * Validates a city catalogue document and builds its dense indices.
 *
 * @throws ParkirConfigError listing every problem with its JSON path.
 * @example
 * const city = loadCity(JSON.parse(readFileSync("seeds/palu/city.json", "utf8")));
 * city.zoneIndex("PLU-001"); // 0
 */
export function loadCity(json: unknown): City {
  const parsed = validateCityDocument(json);
  if (!parsed.ok) throw new ParkirConfigError("city catalogue", parsed.issues);
  return build(parsed.doc);
}

/** Reads and loads a city catalogue JSON file. */
export function loadCityFile(path: string): City {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ParkirConfigError("city catalogue", [
      { path: "", message: `cannot read ${path}: ${(e as Error).message}` },
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ParkirConfigError("city catalogue", [
      { path: "", message: `${path} is not JSON: ${(e as Error).message}` },
    ]);
  }
  return loadCity(json);
}

/** Formats a path of keys and indices (a zod issue's) as `zones[3].bays[0].id`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
  return out;
}

function build(doc: CityDocument): City {
  const issues: Issue[] = [];
  const zoneIds = new Map<string, number>();
  const bayIds = new Map<string, number>();
  const deviceIds = new Map<string, number>();
  const bayList: string[] = [];
  const deviceList: string[] = [];
  let bayCount = 0;
  let gateCount = 0;
  for (const z of doc.zones) {
    bayCount += z.bays.length;
    gateCount += z.gates.length;
  }
  const zoneCount = doc.zones.length;
  const bayZone = new Uint32Array(bayCount);
  const bayVehicle = new Uint8Array(bayCount);
  const deviceCount = bayCount + gateCount;
  const deviceBay = new Int32Array(deviceCount).fill(NONE);
  const deviceZone = new Uint32Array(deviceCount);
  const capacity = new Uint32Array(zoneCount * VEHICLE_CODES);
  const sensedBays = new Uint32Array(zoneCount * VEHICLE_CODES);
  const detection = new Uint8Array(zoneCount * VEHICLE_CODES);
  const gates: { zone: number; deviceId: string; path: string; devEui?: string; model?: string }[] = [];
  const euis = new Map<string, number>();
  const models = new Map<number, string>();
  const addEui = (devEui: string | undefined, model: string | undefined, index: number, path: string) => {
    if (model !== undefined) models.set(index, model);
    if (devEui === undefined) return;
    const key = devEui.toUpperCase();
    if (euis.has(key)) issues.push({ path: `${path}.devEui`, message: `duplicate device EUI ${key}` });
    else euis.set(key, index);
  };

  doc.zones.forEach((z, zi) => {
    if (zoneIds.has(z.id)) issues.push({ path: `zones[${zi}].id`, message: `duplicate zone id ${z.id}` });
    else zoneIds.set(z.id, zi);
    z.bays.forEach((b, bi) => {
      const index = bayList.length;
      const path = `zones[${zi}].bays[${bi}]`;
      if (bayIds.has(b.id)) issues.push({ path: `${path}.id`, message: `duplicate bay id ${b.id}` });
      else bayIds.set(b.id, index);
      if (deviceIds.has(b.sensorId))
        issues.push({ path: `${path}.sensorId`, message: `duplicate device id ${b.sensorId}` });
      else deviceIds.set(b.sensorId, index);
      bayList.push(b.id);
      deviceList.push(b.sensorId);
      bayZone[index] = zi;
      const code = vehicleCode(b.vehicleType);
      bayVehicle[index] = code;
      deviceBay[index] = index;
      deviceZone[index] = zi;
      sensedBays[zi * VEHICLE_CODES + code]! += 1;
      addEui(b.devEui, b.model, index, path);
    });
    z.gates.forEach((g, gi) => {
      gates.push({
        zone: zi,
        deviceId: g.deviceId,
        path: `zones[${zi}].gates[${gi}]`,
        devEui: g.devEui,
        model: g.model,
      });
    });
    if (z.bays.length > 0 && !z.detection.includes("baySensors")) {
      issues.push({ path: `zones[${zi}].detection`, message: "zone has bays but does not list baySensors" });
    }
    if (z.gates.length > 0 && !z.detection.includes("gateCounters")) {
      issues.push({
        path: `zones[${zi}].detection`,
        message: "zone has gates but does not list gateCounters",
      });
    }
    if (z.detection.includes("gateCounters") && z.gates.length === 0) {
      issues.push({ path: `zones[${zi}].gates`, message: "zone lists gateCounters but has no gates" });
    }
    for (const cls of CAPACITY_CLASSES) {
      const code = vehicleCode(cls);
      const sensed = sensedBays[zi * VEHICLE_CODES + code]!;
      const declared = (z.capacity as Partial<Record<CapacityClass, number>>)[cls];
      if (declared !== undefined && declared < sensed) {
        issues.push({
          path: `zones[${zi}].capacity.${cls}`,
          message: `capacity ${declared} is below the ${sensed} ${cls} bays with sensors`,
        });
      }
      capacity[zi * VEHICLE_CODES + code] = declared ?? sensed;
      detection[zi * VEHICLE_CODES + code] = detectionFor(z, sensed);
    }
  });
  for (const g of gates) {
    const index = deviceList.length;
    if (deviceIds.has(g.deviceId))
      issues.push({ path: `${g.path}.deviceId`, message: `duplicate device id ${g.deviceId}` });
    else deviceIds.set(g.deviceId, index);
    addEui(g.devEui, g.model, index, g.path);
    deviceList.push(g.deviceId);
    deviceZone[index] = g.zone;
  }
  if (issues.length > 0) throw new ParkirConfigError("city catalogue", issues);

  let hash = fnv1a(doc.id, 0x811c9dc5);
  for (const z of doc.zones) hash = fnv1a(z.id, hash);
  for (const b of bayList) hash = fnv1a(b, hash);
  for (const d of deviceList) hash = fnv1a(d, hash);
  // Everything engine state depends on besides ids: a checkpoint restored against a catalogue where a bay
  // moved to another zone, changed class, or a capacity or detection method changed would be wrong in both zones.
  for (const column of [bayZone, bayVehicle, deviceZone, capacity, detection])
    hash = fnv1aWords(column, hash);

  return Object.freeze({
    id: doc.id,
    name: doc.name,
    timeZone: doc.timeZone,
    currency: doc.currency,
    synthetic: doc.synthetic,
    zones: doc.zones,
    zoneCount,
    bayCount,
    deviceCount,
    bayZone,
    bayVehicle,
    deviceBay,
    deviceZone,
    capacity,
    sensedBays,
    detection,
    catalogHash: hash >>> 0,
    zoneIndex: (id: string) => zoneIds.get(id) ?? NONE,
    bayIndex: (id: string) => bayIds.get(id) ?? NONE,
    deviceIndex: (id: string) => deviceIds.get(id) ?? NONE,
    bayId: (index: number) => bayList[index] ?? "",
    deviceId: (index: number) => deviceList[index] ?? "",
    deviceIndexByEui: (devEui: string) => euis.get(devEui.toUpperCase()) ?? NONE,
    deviceModel: (index: number) => models.get(index),
  });
}

/** The method used for one vehicle class of a zone: sensors beat gates beat attendants beat payments. */
function detectionFor(z: ZoneDocument, sensedBays: number): number {
  if (sensedBays > 0) return DETECTION.singleSpaceDetection;
  if (z.detection.includes("gateCounters")) return DETECTION.balancing;
  if (z.detection.includes("attendantCounts")) return DETECTION.manual;
  return DETECTION.modelBased;
}

/** 32-bit FNV-1a over the values of an integer column (each as 4 little-endian bytes), then its length. */
function fnv1aWords(values: Uint32Array | Uint8Array, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    for (let k = 0; k < 32; k += 8) h = Math.imul(h ^ ((v >>> k) & 0xff), 0x01000193) >>> 0;
  }
  return fnv1a(String(values.length), h);
}

/** 32-bit FNV-1a over a string's UTF-16 code units, continuing from `seed`. Deterministic everywhere. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Separator so ("ab","c") and ("a","bc") differ.
  h ^= 0xff;
  return Math.imul(h, 0x01000193) >>> 0;
}

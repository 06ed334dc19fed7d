/**
 * The city catalogue document: what a city publishes about its parking points. Validated with zod
 * so every problem is reported with its JSON path.
 */
import type { z } from "zod";
import { CAPACITY_CLASSES } from "./vehicles.js";
import { lazySchema, type Z } from "./zod.js";

/** How a zone's occupancy is observed (FIWARE occupancyDetectionType in brackets). */
export const DETECTION_METHODS = ["baySensors", "gateCounters", "attendantCounts", "payments"] as const;

/** An id in a catalogue or policy document: 1 to 128 printable ASCII characters without spaces. */
export function idSchema(z: Z) {
  return z
    .string()
    .min(1, "must not be empty")
    .max(128, "must be at most 128 characters")
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");
}

function build(z: Z) {
  const id = idSchema(z);

  const capacity = z
    .object(
      Object.fromEntries(CAPACITY_CLASSES.map((c) => [c, z.number().int().min(0).max(100_000).optional()])),
    )
    .strict();

  // A LoRaWAN device EUI: 16 hex digits (case-insensitive; indexed upper-case).
  const devEui = z.string().regex(/^[0-9A-Fa-f]{16}$/, "must be a LoRaWAN device EUI: 16 hex digits");
  // A sensor model name, as registered with the gateway's payload decoders (e.g. "nwave-nps405").
  const model = z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "must be a decoder name: lower-case letters, digits, . _ -");

  const bay = z
    .object({
      id,
      vehicleType: z.enum(CAPACITY_CLASSES),
      sensorId: id,
      // LoRaWAN device EUI of the bay's sensor, when it reports through a LoRaWAN network server.
      devEui: devEui.optional(),
      // Sensor model: names the payload decoder of its uplinks.
      model: model.optional(),
    })
    .strict();

  const gate = z.object({ id, deviceId: id, devEui: devEui.optional(), model: model.optional() }).strict();

  const zone = z
    .object({
      id,
      name: z.string().min(1).max(200),
      location: z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).strict(),
      street: z.enum(["on", "off"]),
      zoneClass: id,
      detection: z.array(z.enum(DETECTION_METHODS)).min(1, "must name at least one detection method"),
      capacity,
      bays: z.array(bay).default([]),
      gates: z.array(gate).default([]),
    })
    .strict();

  return z
    .object({
      id,
      name: z.string().min(1).max(200),
      timeZone: z.string().refine(isTimeZone, "must be an IANA time zone such as Asia/Makassar"),
      currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as IDR"),
      synthetic: z.boolean().default(false),
      note: z.string().optional(),
      zones: z.array(zone).min(1, "a city needs at least one zone").max(1_000_000),
    })
    .strict();
}

/** Schema of a city catalogue document (zod, built at the first call). */
export const citySchema = lazySchema(build);

/** A city catalogue document as written in JSON (after defaults). */
export type CityDocument = z.output<ReturnType<typeof citySchema>>;
/** One zone (parking point) of a city catalogue document. */
export type ZoneDocument = CityDocument["zones"][number];

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

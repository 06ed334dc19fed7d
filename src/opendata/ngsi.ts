/**
 * FIWARE NGSI-LD entities of the Smart Data Models Parking subject: `ParkingSpot` per sensed bay and
 * `OnStreetParking` / `OffStreetParking` per point, in the normalized form with Property,
 * GeoProperty and Relationship members; `observedAt` and `observationDateTime` are event times.
 */
import { VEHICLE_CODES, vehicleName } from "../catalog/vehicles.js";
import type { FeedContext } from "./cds.js";
import { round6 } from "./cds.js";
import { zoneCapacity } from "./hub.js";
import { Params, ParkirParamError } from "./params.js";
import { datasetPublic, fieldPublic } from "./publication.js";

/** The `@context` of every entity: the Parking data model's context and the NGSI-LD core context. */
export const NGSI_CONTEXT = [
  "https://raw.githubusercontent.com/smart-data-models/dataModel.Parking/master/context.jsonld",
  "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld",
] as const;

/** NGSI-LD entity types served. */
export const NGSI_TYPES = ["OnStreetParking", "OffStreetParking", "ParkingSpot"] as const;

const FIWARE_VEHICLE: Readonly<Record<string, string>> = {
  motorcycle: "motorcycle",
  car: "car",
  three_wheeler: "tricycle",
  heavy: "lorry",
};

/** URN of a point's entity. */
export function siteUrn(cityId: string, zoneId: string, street: "on" | "off"): string {
  return `urn:ngsi-ld:${street === "on" ? "OnStreetParking" : "OffStreetParking"}:${cityId}:${zoneId}`;
}

/**
 * `GET /ngsi-ld/v1/entities?type=…`: entities of one or more types (comma-separated), optionally by
 * id (comma-separated URNs), paged with limit/offset.
 */
export function ngsiEntities(ctx: FeedContext, q: URLSearchParams): { body: unknown[]; total: number } {
  const p = new Params(q, ["type", "id", "limit", "offset"]);
  const typeParam = p.str("type", 200) ?? NGSI_TYPES.join(",");
  const types = typeParam.split(",");
  for (const t of types)
    if (!(NGSI_TYPES as readonly string[]).includes(t))
      throw new ParkirParamError("type", `must be among ${NGSI_TYPES.join(", ")}`);
  const ids = p.str("id", 20_000)?.split(",");
  const { limit, offset } = p.page(ctx.limits);
  const all: unknown[] = [];
  const want = (id: string) => ids === undefined || ids.includes(id);
  const { hub, publication: pub } = ctx;
  if (!datasetPublic(pub, "parking-points") || !fieldPublic(pub, "parking-points", "location"))
    return { body: [], total: 0 };
  const iso = (t: number) => new Date(t).toISOString();
  for (let z = 0; z < hub.city.zoneCount; z++) {
    const zone = hub.city.zones[z]!;
    const type = zone.street === "on" ? "OnStreetParking" : "OffStreetParking";
    const urn = siteUrn(hub.city.id, zone.id, zone.street);
    const location = {
      type: "GeoProperty",
      value: { type: "Point", coordinates: [round6(zone.location.lon), round6(zone.location.lat)] },
    };
    if (types.includes(type) && want(urn)) {
      const e: Record<string, unknown> = { id: urn, type, location };
      const now = hub.zoneNow(z);
      const cap = zoneCapacity(hub.city, z);
      const observedAt = Number.isFinite(hub.lastWindowEndMs) ? iso(hub.lastWindowEndMs) : undefined;
      if (fieldPublic(pub, "parking-points", "name")) e.name = { type: "Property", value: zone.name };
      if (fieldPublic(pub, "parking-points", "capacity"))
        e.totalSpotNumber = { type: "Property", value: cap };
      if (datasetPublic(pub, "occupancy") && observedAt !== undefined && !Number.isNaN(now.occupancy)) {
        const occupied = Math.round(now.occupancy * cap);
        if (fieldPublic(pub, "occupancy", "occupied"))
          e.occupiedSpotNumber = { type: "Property", value: occupied, observedAt };
        if (fieldPublic(pub, "occupancy", "available"))
          e.availableSpotNumber = { type: "Property", value: Math.max(0, cap - occupied), observedAt };
      }
      if (fieldPublic(pub, "parking-points", "detection"))
        e.occupancyDetectionType = { type: "Property", value: detections(hub, z) };
      if (fieldPublic(pub, "parking-points", "street")) {
        const cat = ["feeCharged", zone.street === "on" ? "onStreet" : "offStreet"];
        e.category = { type: "Property", value: cat };
      }
      const classes: string[] = [];
      for (let c = 0; c < VEHICLE_CODES; c++)
        if (hub.city.capacity[z * VEHICLE_CODES + c]! > 0)
          classes.push(FIWARE_VEHICLE[vehicleName(c)] ?? "anyVehicle");
      e.allowedVehicleType = { type: "Property", value: classes };
      if (observedAt !== undefined)
        e.observationDateTime = { type: "Property", value: { "@type": "DateTime", "@value": observedAt } };
      e["@context"] = NGSI_CONTEXT;
      all.push(e);
    }
    if (!types.includes("ParkingSpot") || !fieldPublic(pub, "occupancy", "occupied")) continue;
    for (const bay of zone.bays) {
      const urnSpot = `urn:ngsi-ld:ParkingSpot:${hub.city.id}:${bay.id}`;
      if (!want(urnSpot)) continue;
      const b = hub.bay(hub.city.bayIndex(bay.id));
      const status: Record<string, unknown> = { type: "Property", value: b.status };
      if (Number.isFinite(b.observedMs)) status.observedAt = iso(b.observedMs);
      const e: Record<string, unknown> = {
        id: urnSpot,
        type: "ParkingSpot",
        location,
        status,
        refParkingSite: { type: "Relationship", object: urn },
      };
      if (fieldPublic(pub, "parking-points", "street"))
        e.category = { type: "Property", value: [zone.street === "on" ? "onStreet" : "offStreet"] };
      if (fieldPublic(pub, "parking-points", "name")) e.name = { type: "Property", value: bay.id };
      e["@context"] = NGSI_CONTEXT;
      all.push(e);
    }
  }
  return { body: all.slice(offset, offset + limit), total: all.length };
}

function detections(hub: FeedContext["hub"], z: number): string[] {
  const out = new Set<string>();
  for (let c = 0; c < VEHICLE_CODES; c++)
    if (hub.city.capacity[z * VEHICLE_CODES + c]! > 0) out.add(hub.classNow(z, c).detection);
  return [...out];
}

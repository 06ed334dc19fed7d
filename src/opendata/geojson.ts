/**
 * GeoJSON (RFC 7946) FeatureCollection of every parking point with its live occupancy, prices,
 * detection method and coverage: what a map needs, and what the dashboard draws.
 */
import type { FeedContext } from "./cds.js";
import { round6 } from "./cds.js";
import { zoneCapacity } from "./hub.js";
import { Params } from "./params.js";
import { datasetPublic, fieldPublic } from "./publication.js";

/** Properties of one point feature (absent when excluded or unknown). */
export interface PointProperties {
  readonly id: string;
  readonly name?: string;
  readonly capacity?: number;
  readonly street?: "on" | "off";
  readonly zone_class?: string;
  readonly detection?: string;
  /** Mean occupancy of the latest window in [0, 1], or null when unknown. */
  readonly occupancy?: number | null;
  /** Share of capacity whose state was known in the latest window, [0, 1]. */
  readonly coverage?: number;
  /** Price in force for a car / motorcycle, minor units, and what it is per. */
  readonly price_car?: number | null;
  readonly price_motorcycle?: number | null;
  readonly price_per_car?: string | null;
  readonly price_per_motorcycle?: string | null;
  readonly price_dynamic?: boolean;
  /** Sensors of the point silent, lost or decommissioned now. */
  readonly sensors_unhealthy?: number;
  /** Data time of the figures, ISO-8601 UTC. */
  readonly observed?: string | null;
}

/** `GET /geojson/points`: the FeatureCollection. */
export function geojsonPoints(ctx: FeedContext, q: URLSearchParams): unknown {
  new Params(q, []);
  const { hub, publication: pub } = ctx;
  const features: unknown[] = [];
  const lonLat: number[][] = [];
  if (datasetPublic(pub, "parking-points") && fieldPublic(pub, "parking-points", "location")) {
    for (let z = 0; z < hub.city.zoneCount; z++) {
      const zone = hub.city.zones[z]!;
      const coords = [round6(zone.location.lon), round6(zone.location.lat)];
      lonLat.push(coords);
      features.push({
        type: "Feature",
        id: zone.id,
        geometry: { type: "Point", coordinates: coords },
        properties: pointProperties(ctx, z),
      });
    }
  }
  const fc: Record<string, unknown> = { type: "FeatureCollection" };
  if (lonLat.length > 0) {
    const lons = lonLat.map((c) => c[0]!);
    const lats = lonLat.map((c) => c[1]!);
    fc.bbox = [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
  }
  fc.features = features;
  return fc;
}

/** The properties of point z as the publication allows them. */
export function pointProperties(ctx: FeedContext, z: number): PointProperties {
  const { hub, publication: pub } = ctx;
  const zone = hub.city.zones[z]!;
  const p: Record<string, unknown> = { id: zone.id };
  if (fieldPublic(pub, "parking-points", "name")) p.name = zone.name;
  if (fieldPublic(pub, "parking-points", "capacity")) p.capacity = zoneCapacity(hub.city, z);
  if (fieldPublic(pub, "parking-points", "street")) p.street = zone.street;
  if (fieldPublic(pub, "parking-points", "zoneClass")) p.zone_class = zone.zoneClass;
  const now = hub.zoneNow(z);
  if (fieldPublic(pub, "parking-points", "detection")) p.detection = now.detection;
  if (fieldPublic(pub, "occupancy", "occupancy"))
    p.occupancy = Number.isNaN(now.occupancy) ? null : Math.round(now.occupancy * 1000) / 1000;
  if (fieldPublic(pub, "occupancy", "coverage")) p.coverage = Math.round(now.coverage * 1000) / 1000;
  if (fieldPublic(pub, "tariffs", "rate")) {
    const t = Number.isFinite(hub.updatedAtMs) ? hub.updatedAtMs : Number.NaN;
    const car = hub.priceAt(z, 3, t);
    const moto = hub.priceAt(z, 1, t);
    p.price_car = car?.amountMinor ?? null;
    p.price_per_car = car?.per ?? null;
    p.price_motorcycle = moto?.amountMinor ?? null;
    p.price_per_motorcycle = moto?.per ?? null;
    p.price_dynamic = (car?.dynamic ?? false) || (moto?.dynamic ?? false);
  }
  if (fieldPublic(pub, "sensor-health", "silent")) p.sensors_unhealthy = hub.unhealthyBays(z);
  p.observed = Number.isFinite(hub.lastWindowEndMs) ? new Date(hub.lastWindowEndMs).toISOString() : null;
  return p as unknown as PointProperties;
}

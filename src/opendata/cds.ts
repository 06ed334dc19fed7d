/**
 * CDS 1.0.1 feeds (Open Mobility Foundation Curb Data Specification): Curbs API zones and policies
 * with the rates in force, Events API `/events/events`, Metrics API `/metrics/aggregates` (CSV).
 * Times are integer ms since the epoch, money integer minor units, ids of zones and bays the
 * catalogue's (as `user_zone_id`) plus a name-based UUID (`curb_zone_id`), as CDS asks for UUIDs.
 */
import { VEHICLE_CODES } from "../catalog/vehicles.js";
import { toCds, uuidV5 } from "../pricing/cds.js";
import type { OpenDataHub, PublicEvent } from "./hub.js";
import { zoneCapacity } from "./hub.js";
import { type FeedLimits, Params, ParkirParamError } from "./params.js";
import { datasetPublic, fieldPublic, type Publication } from "./publication.js";

/** CDS JSON content type. */
export const CDS_JSON = "application/vnd.cds+json;version=1.0";
/** CDS CSV content type (Metrics API). */
export const CDS_CSV = "application/vnd.cds+csv;version=1.0";

/** The CDS release the feeds follow (envelope `version`). */
export const CDS_VERSION = "1.0.1";

/** CDS pagination links. */
export interface CdsLinks {
  readonly first: string;
  readonly prev?: string;
  readonly next: string | null;
  readonly last: string;
}

/** What every feed builder gets. */
export interface FeedContext {
  readonly hub: OpenDataHub;
  readonly publication: Publication;
  /** Absolute base URL of the handler, without a trailing slash (links). */
  readonly baseUrl: string;
  readonly limits: FeedLimits;
}

/** CDS response envelope. */
export function cdsEnvelope(ctx: FeedContext, data: unknown, links?: CdsLinks): unknown {
  const { hub } = ctx;
  return {
    version: CDS_VERSION,
    time_zone: hub.city.timeZone,
    last_updated: Number.isFinite(hub.updatedAtMs) ? hub.updatedAtMs : 0,
    currency: hub.city.currency,
    author: ctx.publication.publisher,
    license_url: ctx.publication.license,
    data,
    ...(links ? { links } : {}),
  };
}

/** The CDS UUID of a catalogue zone id. */
export function zoneUuid(cityId: string, zoneId: string): string {
  return uuidV5(`parkir:zone:${cityId}:${zoneId}`);
}

/** Half the side of the square drawn around a catalogue point as a CDS zone geometry (degrees ≈ 11 m). */
const HALF_SIDE_DEG = 0.0001;

/** `GET /curbs/zones`: every point as a Curb Zone with the ids of its current policies. */
export function curbZones(ctx: FeedContext, q: URLSearchParams): unknown {
  const p = new Params(q, ["min_lat", "min_lng", "max_lat", "max_lng"]);
  const box = p.bbox();
  const { hub, publication: pub } = ctx;
  if (!datasetPublic(pub, "parking-points")) return cdsEnvelope(ctx, { zones: [] });
  const cds = tariffsExport(ctx);
  const policyIds = new Map(cds?.zones.map((z) => [z.user_zone_id, z.curb_policy_ids]) ?? []);
  const zones: unknown[] = [];
  hub.city.zones.forEach((zone, z) => {
    const { lat, lon } = zone.location;
    if (box && (lat < box.minLat || lat > box.maxLat || lon < box.minLng || lon > box.maxLng)) return;
    const out: Record<string, unknown> = {
      curb_zone_id: zoneUuid(hub.city.id, zone.id),
      user_zone_id: zone.id,
      published_date: cdsPublishedMs(ctx),
      last_updated_date: cdsPublishedMs(ctx),
      start_date: 0,
    };
    if (cds) out.curb_policy_ids = policyIds.get(zone.id) ?? [];
    if (fieldPublic(pub, "parking-points", "location"))
      out.geometry = {
        type: "Polygon",
        coordinates: [
          [
            [round6(lon - HALF_SIDE_DEG), round6(lat - HALF_SIDE_DEG)],
            [round6(lon + HALF_SIDE_DEG), round6(lat - HALF_SIDE_DEG)],
            [round6(lon + HALF_SIDE_DEG), round6(lat + HALF_SIDE_DEG)],
            [round6(lon - HALF_SIDE_DEG), round6(lat + HALF_SIDE_DEG)],
            [round6(lon - HALF_SIDE_DEG), round6(lat - HALF_SIDE_DEG)],
          ],
        ],
      };
    if (fieldPublic(pub, "parking-points", "name")) {
      out.name = zone.name;
      const street = /Jl\.[^#]*/.exec(zone.name)?.[0]?.trim();
      if (street) out.street_name = street;
    }
    if (fieldPublic(pub, "parking-points", "capacity")) out.num_spaces = zoneCapacity(hub.city, z);
    if (fieldPublic(pub, "parking-points", "street"))
      out.parking_angle = zone.street === "on" ? "parallel" : "perpendicular";
    zones.push(out);
  });
  return cdsEnvelope(ctx, { zones });
}

/** `GET /curbs/policies`: the CDS Policies (Rules with Rates) in force now. */
export function curbPolicies(ctx: FeedContext, q: URLSearchParams): unknown {
  new Params(q, []);
  const cds = tariffsExport(ctx);
  return cdsEnvelope(ctx, { policies: cds?.policies ?? [], notes: cds?.notes ?? [] });
}

function tariffsExport(ctx: FeedContext): ReturnType<typeof toCds> | null {
  const { hub, publication: pub } = ctx;
  if (hub.table === null || !fieldPublic(pub, "tariffs", "rate")) return null;
  const at = Number.isFinite(hub.updatedAtMs) ? hub.updatedAtMs : 0;
  return toCds(hub.table, {
    publishedMs: cdsPublishedMs(ctx),
    prices: hub.pricing?.prices ?? null,
    atMs: at,
  });
}

function cdsPublishedMs(ctx: FeedContext): number {
  return Number.isFinite(ctx.hub.lastWindowEndMs) ? ctx.hub.lastWindowEndMs : 0;
}

/** CDS event types of sensor activity (dataset sensor-events); the others are device diagnostics. */
const ACTIVITY_TYPES = new Set(["park_start", "park_end", "enter_area", "exit_area"]);
const DIAGNOSTIC_TYPES = new Set(["comms_lost", "comms_restored", "decommissioned", "scheduled_report"]);
const CDS_VEHICLE: Readonly<Record<string, string>> = {
  motorcycle: "motorcycle",
  car: "car",
  heavy: "truck",
  three_wheeler: "other",
  unspecified: "unspecified",
};

/** `GET /events/events`: public sensor events in [start_time, end_time), event-time order, paged. */
export function cdsEvents(ctx: FeedContext, q: URLSearchParams): { body: unknown } {
  const p = new Params(q, [
    "start_time",
    "end_time",
    "curb_zone_id",
    "curb_space_id",
    "curb_area_id",
    "limit",
    "offset",
  ]);
  const { hub, publication: pub, limits } = ctx;
  const endDefault = Number.isFinite(hub.updatedAtMs) ? hub.updatedAtMs + 1 : 1;
  const { start, end } = p.span(endDefault, 3_600_000, limits.eventsSpanMaxMs);
  const zoneParam = p.str("curb_zone_id");
  const spaceParam = p.str("curb_space_id");
  const area = p.str("curb_area_id");
  const { limit, offset } = p.page(limits);
  let zoneId: string | undefined;
  if (zoneParam !== undefined) {
    zoneId = hub.city.zones.find((z) => z.id === zoneParam || zoneUuid(hub.city.id, z.id) === zoneParam)?.id;
    if (zoneId === undefined) throw new ParkirParamError("curb_zone_id", "no such zone");
  }
  if (spaceParam !== undefined && hub.city.bayIndex(spaceParam) < 0)
    throw new ParkirParamError("curb_space_id", "no such space");
  const activity = datasetPublic(pub, "sensor-events");
  const diagnostics = datasetPublic(pub, "device-diagnostics");
  const selected: PublicEvent[] = [];
  if (area === undefined && (activity || diagnostics)) {
    for (const e of hub.keptEvents()) {
      if (e.event_time < start || e.event_time >= end) continue;
      if (zoneId !== undefined && e.curb_zone_id !== zoneId) continue;
      if (spaceParam !== undefined && e.curb_space_id !== spaceParam) continue;
      if (ACTIVITY_TYPES.has(e.event_type) ? !activity : !(DIAGNOSTIC_TYPES.has(e.event_type) && diagnostics))
        continue;
      selected.push(e);
    }
  }
  // CDS "Event Times": most recent first (ties by id, so pages are stable).
  selected.sort(
    (a, b) => b.event_time - a.event_time || (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0),
  );
  const page = selected.slice(offset, offset + limit);
  const ds = ACTIVITY_TYPES;
  const location = fieldPublic(pub, "parking-points", "location");
  const events = page.map((e) => {
    const set = ds.has(e.event_type) ? "sensor-events" : "device-diagnostics";
    const z = hub.city.zoneIndex(e.curb_zone_id);
    const loc = hub.city.zones[z]!.location;
    const out: Record<string, unknown> = { event_id: e.event_id, event_type: e.event_type };
    if (location)
      out.event_location = {
        type: "Feature",
        properties: {},
        geometry: { type: "Point", coordinates: [round6(loc.lon), round6(loc.lat)] },
      };
    out.event_time = e.event_time;
    out.event_publication_time = e.event_publication_time;
    out.curb_zone_id = zoneUuid(hub.city.id, e.curb_zone_id);
    out.data_source_type = e.curb_space_id !== undefined ? "in_ground" : "other";
    if (e.curb_space_id !== undefined && fieldPublic(pub, set, "curb_space_id"))
      out.curb_space_id = e.curb_space_id;
    if (e.data_source_device_id !== undefined && fieldPublic(pub, set, "data_source_device_id"))
      out.data_source_device_id = e.data_source_device_id;
    if (e.vehicle_type !== undefined && fieldPublic(pub, set, "vehicle_type"))
      out.vehicle_type = CDS_VEHICLE[e.vehicle_type] ?? "other";
    return out;
  });
  // CDS pagination (JSON API keys): first, prev, next (null on the last page), last.
  const pageUrl = (o: number) => {
    const p2 = new URLSearchParams(q);
    p2.set("start_time", String(start));
    p2.set("end_time", String(end));
    p2.set("offset", String(o));
    p2.set("limit", String(limit));
    return `${ctx.baseUrl}/events/events?${p2}`;
  };
  const lastOffset = selected.length === 0 ? 0 : Math.floor((selected.length - 1) / limit) * limit;
  const links: CdsLinks = {
    first: pageUrl(0),
    ...(offset > 0 ? { prev: pageUrl(Math.max(0, offset - limit)) } : {}),
    next: offset + limit < selected.length ? pageUrl(offset + limit) : null,
    last: pageUrl(lastOffset),
  };
  return { body: cdsEnvelope(ctx, { events }, links) };
}

/** CDS Metrics types and the publication field each comes from. */
const METRICS = [
  ["total_sessions", "sessions"],
  ["turnover", "turnover"],
  ["average_dwell_time", "dwell"],
  ["occupancy_percent", "occupancy"],
] as const;

/**
 * `GET /metrics/aggregates`: CSV `curb_place_type,curb_place_id,metric_type,date,hour,value` per zone
 * and local hour; value −1 where the source was offline for most of the hour (coverage below 50 %).
 * occupancy_percent in percent (1 decimal), total_sessions a count, turnover sessions per space in
 * the hour, average_dwell_time in minutes (1 decimal; no row when no session ended).
 */
export function cdsAggregates(ctx: FeedContext, q: URLSearchParams): string {
  const p = new Params(q, [
    "curb_place_type",
    "curb_place_id",
    "metric_type",
    "start_time",
    "end_time",
    "min_lat",
    "min_lng",
    "max_lat",
    "max_lng",
  ]);
  const { hub, publication: pub, limits } = ctx;
  const placeType = p.oneOf("curb_place_type", ["zone", "area", "space"] as const);
  const placeId = p.str("curb_place_id");
  if ((placeType === undefined) !== (placeId === undefined))
    throw new ParkirParamError(
      placeType === undefined ? "curb_place_type" : "curb_place_id",
      "curb_place_type and curb_place_id go together",
    );
  const metric = p.oneOf(
    "metric_type",
    METRICS.map(([m]) => m),
  );
  const box = p.bbox();
  const endDefault = Number.isFinite(hub.updatedAtMs) ? hub.updatedAtMs + 1 : 1;
  const { start, end } = p.span(endDefault, limits.metricsSpanMaxMs, limits.metricsSpanMaxMs);
  let only = -1;
  if (placeId !== undefined) {
    if (placeType !== "zone") throw new ParkirParamError("curb_place_type", "only zone aggregates are kept");
    only = hub.city.zones.findIndex((z) => z.id === placeId || zoneUuid(hub.city.id, z.id) === placeId);
    if (only < 0) throw new ParkirParamError("curb_place_id", "no such zone");
  }
  const lines = ["curb_place_type,curb_place_id,metric_type,date,hour,value"];
  if (!datasetPublic(pub, "occupancy")) return `${lines.join("\n")}\n`;
  const metrics = METRICS.filter(
    ([m, f]) => (metric === undefined || metric === m) && fieldPublic(pub, "occupancy", f),
  );
  for (const h of hub.hourRows()) {
    if (h.startMs < start || h.startMs >= end) continue;
    for (let z = 0; z < hub.city.zoneCount; z++) {
      if (only >= 0 && z !== only) continue;
      const zone = hub.city.zones[z]!;
      if (
        box &&
        (zone.location.lat < box.minLat ||
          zone.location.lat > box.maxLat ||
          zone.location.lon < box.minLng ||
          zone.location.lon > box.maxLng)
      )
        continue;
      const f = hub.hourFigures(h.startMs, z);
      if (f === null || f.capacity === 0) continue;
      const offline = Number.isNaN(f.occupancy);
      for (const [m] of metrics) {
        let v: string;
        if (offline) v = "-1";
        else if (m === "occupancy_percent") v = fixed1(f.occupancy * 100);
        else if (m === "total_sessions") v = String(f.sessions);
        else if (m === "turnover") v = String(Math.round((f.sessions / f.capacity) * 1000) / 1000);
        else if (Number.isNaN(f.dwellMs)) continue;
        else v = fixed1(f.dwellMs / 60_000);
        lines.push(`zone,${zone.id},${m},${h.date},${String(h.hour).padStart(2, "0")},${v}`);
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Vehicle classes of a zone with capacity (for feeds that list them). */
export function classCodes(ctxHub: OpenDataHub, z: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < VEHICLE_CODES; c++) if (ctxHub.city.capacity[z * VEHICLE_CODES + c]! > 0) out.push(c);
  return out;
}

function fixed1(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}

/** Rounds a coordinate to 6 decimals (≈ 11 cm, RFC 7946's advice against false precision). */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

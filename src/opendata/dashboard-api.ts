/**
 * The JSON the dashboard reads: the same public figures as the feeds (built by the same functions, so
 * the publication decisions apply), in one document, plus one point's series for its chart.
 */
import { vehicleCode } from "../catalog/vehicles.js";
import { dayNumberOfDate } from "../pricing/localtime.js";
import type { FeedContext } from "./cds.js";
import { DATASET_TEXT } from "./dcat.js";
import { pointProperties } from "./geojson.js";
import { Params, ParkirParamError } from "./params.js";
import { DATASET_IDS, datasetPublic, fieldPublic } from "./publication.js";

/** `GET /api/state`: city, points with live figures, decisions, sensor health and what is published. */
export function dashboardState(ctx: FeedContext, q: URLSearchParams): unknown {
  const p = new Params(q, ["decisions"]);
  const decisionsMax = p.int("decisions", 0, 5000) ?? 500;
  const { hub, publication: pub } = ctx;
  const showPoints = datasetPublic(pub, "parking-points") && fieldPublic(pub, "parking-points", "location");
  const points = showPoints
    ? hub.city.zones.map((z, i) => ({ ...pointProperties(ctx, i), lat: z.location.lat, lon: z.location.lon }))
    : [];
  const reason = fieldPublic(pub, "tariffs", "reason");
  const decisions = fieldPublic(pub, "tariffs", "decisions")
    ? hub
        .decisions()
        .slice(-decisionsMax)
        .map((d) => ({
          effectiveMs: d.effectiveMs,
          zone: d.zone,
          vehicleType: d.vehicleType,
          band: d.band,
          oldPrice: d.oldPrice,
          newPrice: d.newPrice,
          occupancy: d.occupancy,
          coverage: d.coverage,
          bounded: d.bounded,
          frozen: d.frozen,
          controller: d.controller,
          per:
            hub.priceAt(hub.city.zoneIndex(d.zone), vehicleCode(d.vehicleType), d.effectiveMs)?.per ?? null,
          ...(reason ? { rule: d.rule } : {}),
        }))
    : null;
  return {
    city: {
      id: hub.city.id,
      name: hub.city.name,
      timeZone: hub.city.timeZone,
      currency: hub.city.currency,
      synthetic: hub.city.synthetic,
    },
    version: hub.version,
    updatedMs: Number.isFinite(hub.updatedAtMs) ? hub.updatedAtMs : null,
    windowEndMs: Number.isFinite(hub.lastWindowEndMs) ? hub.lastWindowEndMs : null,
    windowMs: hub.windowMs,
    points,
    decisions,
    decisionsTotal: decisions === null ? null : hub.decisions().length,
    publication: DATASET_IDS.map((id) => ({
      dataset: id,
      title: DATASET_TEXT[id].title,
      access: pub.datasets[id].access,
      reference: pub.datasets[id].reference,
      fields: Object.entries(pub.datasets[id].fields).map(([field, d]) => ({
        field,
        access: d.access,
        reference: d.reference,
      })),
    })),
    publisher: pub.publisher,
    license: pub.license,
  };
}

/** `GET /api/zones/{id}/series`: the point's occupancy and prices per window over the local day (`date`, default the latest). */
export function dashboardSeries(ctx: FeedContext, q: URLSearchParams, zoneId: string): unknown {
  const p = new Params(q, ["date"]);
  const { hub, publication: pub } = ctx;
  const z = hub.city.zoneIndex(zoneId);
  if (z < 0 || !datasetPublic(pub, "parking-points")) throw new ParkirParamError("zone", "no such zone");
  const latest = Number.isFinite(hub.lastWindowEndMs) ? hub.lastWindowEndMs - 1 : 0;
  const date = p.date("date") ?? hub.localHour(latest).date;
  const day = hub.clock.day(dayNumberOfDate(date));
  const s = hub.series(z, day.startMs);
  const keep = s.endMs.map((t) => t <= day.endMs);
  const pick = <T>(a: T[]) => a.filter((_, i) => keep[i]);
  const occ = fieldPublic(pub, "occupancy", "occupancy");
  const rate = fieldPublic(pub, "tariffs", "rate");
  const nan = (x: number) => (Number.isNaN(x) ? null : x);
  return {
    zone: zoneId,
    date,
    endMs: pick(s.endMs),
    occupancy: occ
      ? pick(s.occupancy).map((x) => (Number.isNaN(x) ? null : Math.round(x * 1000) / 1000))
      : null,
    priceCar: rate ? pick(s.car).map(nan) : null,
    priceMotorcycle: rate ? pick(s.motorcycle).map(nan) : null,
  };
}

/**
 * Daily CSV downloads (RFC 4180, UTF-8, local dates and hours): hourly occupancy per point, tariff
 * decisions with their reasons, and the list of points. What a portal harvests as distributions.
 */
import { VEHICLE_CODES, vehicleCode } from "../catalog/vehicles.js";
import type { FeedContext } from "./cds.js";
import { round6 } from "./cds.js";
import { zoneCapacity } from "./hub.js";
import { datasetPublic, fieldPublic } from "./publication.js";

/** Quotes a CSV cell when it needs it. */
export function csvCell(v: string | number | boolean | null): string {
  if (v === null) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function csv(rows: (string | number | boolean | null)[][]): string {
  return `${rows.map((r) => r.map(csvCell).join(",")).join("\r\n")}\r\n`;
}

/** Local dates (YYYY-MM-DD) with kept hourly aggregates, oldest first. */
export function occupancyDates(ctx: FeedContext): string[] {
  return [...new Set(ctx.hub.hourRows().map((h) => h.date))];
}

/** `GET /downloads/parking-points.csv`. */
export function pointsCsv(ctx: FeedContext): string {
  const { hub, publication: pub } = ctx;
  const cols: [string, (z: number) => string | number][] = [["zone_id", (z) => hub.city.zones[z]!.id]];
  const f = (field: string) => fieldPublic(pub, "parking-points", field);
  if (f("name")) cols.push(["name", (z) => hub.city.zones[z]!.name]);
  if (f("location")) {
    cols.push(["latitude", (z) => round6(hub.city.zones[z]!.location.lat)]);
    cols.push(["longitude", (z) => round6(hub.city.zones[z]!.location.lon)]);
  }
  if (f("street")) cols.push(["street", (z) => hub.city.zones[z]!.street]);
  if (f("zoneClass")) cols.push(["zone_class", (z) => hub.city.zones[z]!.zoneClass]);
  if (f("capacity")) {
    cols.push(["capacity", (z) => zoneCapacity(hub.city, z)]);
    cols.push(["capacity_car", (z) => hub.city.capacity[z * VEHICLE_CODES + vehicleCode("car")]!]);
    cols.push([
      "capacity_motorcycle",
      (z) => hub.city.capacity[z * VEHICLE_CODES + vehicleCode("motorcycle")]!,
    ]);
  }
  if (f("detection")) cols.push(["detection", (z) => hub.zoneNow(z).detection]);
  const rows: (string | number)[][] = [cols.map(([n]) => n)];
  if (datasetPublic(pub, "parking-points"))
    for (let z = 0; z < hub.city.zoneCount; z++) rows.push(cols.map(([, g]) => g(z)));
  return csv(rows);
}

/**
 * `GET /downloads/occupancy-hourly-<date>.csv`: per point and local hour of `date`. Empty occupancy
 * cells where the source was offline for most of the hour.
 */
export function occupancyCsv(ctx: FeedContext, date: string): string {
  const { hub, publication: pub } = ctx;
  const f = (field: string) => fieldPublic(pub, "occupancy", field);
  const header = ["date", "hour", "zone_id"];
  if (f("occupancy")) header.push("occupancy_percent");
  if (f("coverage")) header.push("coverage_percent");
  if (f("sessions")) header.push("sessions");
  if (f("turnover")) header.push("turnover");
  if (f("dwell")) header.push("average_dwell_minutes");
  const rows: (string | number | null)[][] = [header];
  if (datasetPublic(pub, "occupancy")) {
    for (const h of hub.hourRows()) {
      if (h.date !== date) continue;
      for (let z = 0; z < hub.city.zoneCount; z++) {
        const fig = hub.hourFigures(h.startMs, z);
        if (fig === null || fig.capacity === 0) continue;
        const row: (string | number | null)[] = [h.date, h.hour, hub.city.zones[z]!.id];
        if (f("occupancy"))
          row.push(Number.isNaN(fig.occupancy) ? null : Math.round(fig.occupancy * 1000) / 10);
        if (f("coverage")) row.push(Math.round(fig.coverage * 1000) / 10);
        if (f("sessions")) row.push(fig.sessions);
        if (f("turnover")) row.push(Math.round((fig.sessions / fig.capacity) * 1000) / 1000);
        if (f("dwell")) row.push(Number.isNaN(fig.dwellMs) ? null : Math.round(fig.dwellMs / 6000) / 10);
        rows.push(row);
      }
    }
  }
  return csv(rows);
}

/** `GET /downloads/tariff-decisions-<date>.csv`: decisions that took effect on the local `date`. */
export function decisionsCsv(ctx: FeedContext, date: string): string {
  const { hub, publication: pub } = ctx;
  const reason = fieldPublic(pub, "tariffs", "reason");
  const header = [
    "effective_time",
    "zone_id",
    "vehicle_type",
    "band",
    "old_price",
    "new_price",
    "currency",
    "occupancy",
    "coverage",
    "bounded",
    "frozen",
  ];
  if (reason) header.push("reason");
  const rows: (string | number | boolean | null)[][] = [header];
  if (fieldPublic(pub, "tariffs", "decisions"))
    for (const d of hub.decisions()) {
      if (hub.localHour(d.effectiveMs).date !== date) continue;
      const row: (string | number | boolean | null)[] = [
        hub.clock.iso(d.effectiveMs),
        d.zone,
        d.vehicleType,
        d.band,
        d.oldPrice,
        d.newPrice,
        d.currency,
        d.occupancy,
        d.coverage,
        d.bounded,
        d.frozen,
      ];
      if (reason) row.push(d.rule);
      rows.push(row);
    }
  return csv(rows);
}

/** Local dates with decisions. */
export function decisionDates(ctx: FeedContext): string[] {
  return [...new Set(ctx.hub.decisions().map((d) => ctx.hub.localHour(d.effectiveMs).date))];
}

/**
 * What kind of place a parking point serves (market, office, ...). The catalogue schema has no
 * field for it, so the kind is the first word of the zone name: "Market - Jl. Setia Budi #2".
 */
import type { ZoneDocument } from "../catalog/schema.js";

/** Kinds of place that drive a zone's daily demand curve. */
export const ZONE_KINDS = [
  "market",
  "shops",
  "office",
  "hospital",
  "school",
  "mosque",
  "church",
  "beach",
  "mall",
] as const;

/** A kind of place a parking point serves. */
export type ZoneKind = (typeof ZONE_KINDS)[number];

/** Name prefix written by the Palu catalogue for each kind (first word decides the kind). */
export const ZONE_KIND_LABELS: Readonly<Record<ZoneKind, string>> = {
  market: "Market",
  shops: "Shops",
  office: "Office",
  hospital: "Hospital",
  school: "School",
  mosque: "Mosque",
  church: "Church",
  beach: "Beach",
  mall: "Mall",
};

const BY_WORD: ReadonlyMap<string, ZoneKind> = new Map(ZONE_KINDS.map((k) => [k, k]));

/**
 * The kind of a zone from the first word of its name (case-insensitive). Zones of other cities whose
 * names say nothing known fall back to "mall" when off-street and "shops" otherwise.
 *
 * @example zoneKindOf({ name: "Mosque - Jl. Kartini #1", street: "on" }) // "mosque"
 */
export function zoneKindOf(zone: Pick<ZoneDocument, "name" | "street">): ZoneKind {
  const word = /^[A-Za-z]+/.exec(zone.name)?.[0]?.toLowerCase() ?? "";
  return BY_WORD.get(word) ?? (zone.street === "off" ? "mall" : "shops");
}

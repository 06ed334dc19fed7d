/**
 * Vehicle classes by wheels, as Indonesian regional tariffs distinguish them. The numeric codes are
 * the wire codes (`VehicleClass` in parkir.fbs); this file is the one place that names them.
 */

/** Canonical vehicle class names, in wire-code order (code 0 is "unspecified"). */
export const VEHICLE_TYPES = ["unspecified", "motorcycle", "three_wheeler", "car", "heavy"] as const;

/** A canonical vehicle class name. */
export type VehicleType = (typeof VEHICLE_TYPES)[number];

/** Classes a zone can have capacity for (every class but "unspecified"). */
export const CAPACITY_CLASSES = [
  "motorcycle",
  "three_wheeler",
  "car",
  "heavy",
] as const satisfies readonly VehicleType[];

/** A class a zone can have capacity for. */
export type CapacityClass = (typeof CAPACITY_CLASSES)[number];

/** Number of wire codes (array stride for per-class tables indexed by code). */
export const VEHICLE_CODES = VEHICLE_TYPES.length;

/**
 * Aliases accepted in JSON `vehicle_type`, mapped to the canonical class. CDS names (moped, scooter,
 * van, truck, bus, freight) and wheel counts both work.
 */
const ALIASES: Readonly<Record<string, VehicleType>> = {
  unspecified: "unspecified",
  other: "unspecified",
  motorcycle: "motorcycle",
  moped: "motorcycle",
  scooter: "motorcycle",
  scooter_seated: "motorcycle",
  "2": "motorcycle",
  three_wheeler: "three_wheeler",
  bajaj: "three_wheeler",
  bentor: "three_wheeler",
  "3": "three_wheeler",
  car: "car",
  van: "car",
  "4": "car",
  heavy: "heavy",
  truck: "heavy",
  bus: "heavy",
  freight: "heavy",
  "6": "heavy",
};

/** Wire codes of every name and alias (a Map: inherited names such as "toString" are not aliases). */
const CODES: ReadonlyMap<string, number> = new Map(
  Object.entries(ALIASES).map(([alias, canonical]) => [alias, VEHICLE_TYPES.indexOf(canonical)]),
);

/** Wire code of a vehicle type name or alias, or -1 when the name is unknown. */
export function vehicleCode(name: string): number {
  return CODES.get(name) ?? -1;
}

/** Canonical name of a wire code; "unspecified" for codes out of range. */
export function vehicleName(code: number): VehicleType {
  return VEHICLE_TYPES[code] ?? "unspecified";
}

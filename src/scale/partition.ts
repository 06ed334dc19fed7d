/**
 * The partition function shared by producers and consumers: a zone always maps to the same partition for
 * a given partition count, so zones never span partitions and each partition's windows are exact alone.
 */
import { type City, fnv1a } from "../catalog/city.js";
import { ParkirScaleError } from "./errors.js";

/** Most partitions a city may be split into (one KV key, one consumer and one engine each). */
export const PARTITIONS_MAX = 1024;

/** @throws ParkirScaleError when `partitions` is not an integer in [1, PARTITIONS_MAX]. */
export function checkPartitions(partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > PARTITIONS_MAX) {
    throw new ParkirScaleError(`partitions must be an integer in [1, ${PARTITIONS_MAX}], got ${partitions}`);
  }
}

/**
 * The partition of a zone: FNV-1a of its id modulo the partition count (the same hash the catalogue
 * uses; stable across processes, machines and versions).
 *
 * @example partitionOf("PLU-001", 6) // always the same number in [0, 6)
 * @throws ParkirScaleError when `partitions` is out of range.
 */
export function partitionOf(zoneId: string, partitions: number): number {
  checkPartitions(partitions);
  return fnv1a(zoneId) % partitions;
}

/** Partition of every zone of `city`, by dense zone index. @throws ParkirScaleError when `partitions` is out of range. */
export function zonePartitions(city: City, partitions: number): Uint16Array {
  checkPartitions(partitions);
  const out = new Uint16Array(city.zoneCount);
  for (let z = 0; z < city.zoneCount; z++) out[z] = fnv1a(city.zones[z]!.id) % partitions;
  return out;
}

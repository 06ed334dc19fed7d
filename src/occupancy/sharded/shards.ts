/**
 * How a catalogue is split across workers: contiguous zone ranges (zones are in index order, and a zone's
 * bays are contiguous bay indices, so a zone range is also a bay range and a window-row range), balanced by
 * the work they bring (bays, plus one per zone for its zone events).
 */
import type { City } from "../../catalog/city.js";
import { VEHICLE_CODES } from "../../catalog/vehicles.js";
import type { ShardFilter } from "../wasm-kernel.js";

/** One shard: its zones, bays, window rows (zone-classes with capacity) and device/zone records. */
export interface ShardPlan extends ShardFilter {
  /** Window rows [rowLo, rowHi) (rows are zone-classes with capacity > 0, zone then class order). */
  readonly rowLo: number;
  readonly rowHi: number;
  /** How many shards the catalogue is split into. */
  readonly shards: number;
}

/**
 * Whether shard `plan` hands window `windowStart` back in a column set of every row (its own filled in, the
 * others zero) rather than of its own rows only: one shard per window, in turn, so the main thread merges the
 * others' rows into memory a worker has already touched instead of into a fresh buffer (on the VM this was
 * measured on, first-touch page faults made a fresh 1.6 MB column set cost more than copying into it).
 */
export function carriesWindow(plan: ShardPlan, windowStart: number, windowMs: number): boolean {
  return Math.floor(windowStart / windowMs) % plan.shards === plan.index;
}

/** Window row count of each zone (zone-classes with capacity > 0), as the engine numbers rows. */
export function rowsPerZone(city: City): Uint32Array {
  const out = new Uint32Array(city.zoneCount);
  for (let z = 0; z < city.zoneCount; z++) {
    for (let c = 1; c < VEHICLE_CODES; c++)
      if (city.capacity[z * VEHICLE_CODES + c]! > 0) out[z] = out[z]! + 1;
  }
  return out;
}

/**
 * Splits `city` into `count` shards of contiguous zones with about equal work (bays + zones).
 *
 * @throws RangeError when count is not in 1..zoneCount, or the catalogue's bays are not grouped by zone.
 * @example
 * planShards(city, 2); // [{ index: 0, zoneLo: 0, zoneHi: 37, ... }, { index: 1, zoneLo: 37, ... }]
 */
export function planShards(city: City, count: number): ShardPlan[] {
  const zones = city.zoneCount;
  if (!(Number.isInteger(count) && count >= 1 && count <= Math.max(1, zones)))
    throw new RangeError(`cannot split ${zones} zones into ${count} shards`);
  const bayLo = new Uint32Array(zones + 1);
  for (let b = 0; b < city.bayCount; b++) {
    const z = city.bayZone[b]!;
    if (b > 0 && z < city.bayZone[b - 1]!) throw new RangeError("catalogue bays are not grouped by zone");
    bayLo[z + 1] = b + 1;
  }
  for (let z = 1; z <= zones; z++) if (bayLo[z]! < bayLo[z - 1]!) bayLo[z] = bayLo[z - 1]!;
  const rows = rowsPerZone(city);
  const total = city.bayCount + zones;
  const out: ShardPlan[] = [];
  // Work before zone z: its bays plus one per zone.
  const work = (zz: number) => bayLo[zz]! + zz;
  let z = 0;
  let row = 0;
  for (let k = 0; k < count; k++) {
    const zoneLo = z;
    const left = count - k - 1; // shards after this one, each needing a zone
    if (left === 0) z = zones;
    else {
      const target = (total * (k + 1)) / count;
      z++;
      while (z < zones - left && work(z + 1) <= target) z++;
    }
    let rowHi = row;
    for (let zz = zoneLo; zz < z; zz++) rowHi += rows[zz]!;
    out.push({
      index: k,
      zoneLo,
      zoneHi: z,
      bayLo: bayLo[zoneLo]!,
      bayHi: bayLo[z]!,
      rowLo: row,
      rowHi,
      shards: count,
    });
    row = rowHi;
  }
  return out;
}

/** Shard index owning each record of the engine state (devices, then one per zone). */
export function recordOwners(city: City, plans: readonly ShardPlan[]): Uint8Array {
  const zoneOwner = new Uint8Array(city.zoneCount);
  for (const p of plans) zoneOwner.fill(p.index, p.zoneLo, p.zoneHi);
  const out = new Uint8Array(city.deviceCount + city.zoneCount);
  for (let d = 0; d < city.deviceCount; d++) out[d] = zoneOwner[city.deviceZone[d]!]!;
  for (let zz = 0; zz < city.zoneCount; zz++) out[city.deviceCount + zz] = zoneOwner[zz]!;
  return out;
}

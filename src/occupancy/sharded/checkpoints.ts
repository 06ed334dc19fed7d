/**
 * Checkpoints of a sharded occupancy engine: merging the shards' checkpoints into the bytes a single engine
 * would write, and cutting a single engine's checkpoint into shard checkpoints.
 *
 * Every shard admits every event (so de-duplication memory, pending events, payments and registers other
 * than the per-shard counters are the same in all shards) and applies only its own bays and zones (so a
 * bay's columns and a window row are right in the shard that owns them). Merging therefore takes bay columns
 * and rows from their owners, sums the per-shard counters, and takes everything else from shard 0 after checking
 * that every shard agrees.
 */
import type { City } from "../../catalog/city.js";
import { ParkirError } from "../../errors/index.js";
import { type CheckpointParts, readCheckpoint, writeCheckpoint } from "../checkpoint.js";
import { R_APPLIED, R_DECOMMISSIONED, R_HEALTH_DROPPED, R_LOST, R_RECOVERED, R_SILENT } from "../kernel.js";
import { recordOwners, type ShardPlan } from "./shards.js";

/** Registers each shard counts for its own bays: summed when merging, zeroed in shards > 0 when splitting. */
export const SUMMED_REGISTERS = [
  R_APPLIED,
  R_SILENT,
  R_LOST,
  R_DECOMMISSIONED,
  R_RECOVERED,
  R_HEALTH_DROPPED,
];

function f64Of(bytes: Uint8Array): Float64Array {
  return new Float64Array(bytes.slice().buffer);
}

/** Bytes per bay of a per-bay section (bay b is device b, so recordOwners gives its owner). */
function bytesPerBay(city: City, name: string, bytes: Uint8Array): number {
  if (city.bayCount === 0) return 0;
  if (bytes.byteLength % city.bayCount !== 0)
    throw new ParkirError(`sharded checkpoint: section ${name} is not per bay`);
  return bytes.byteLength / city.bayCount;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

/**
 * Merges shard checkpoints (in shard order) into single-engine checkpoint bytes.
 *
 * @throws ParkirError when shards disagree on state they should share (a bug, never bad input).
 */
export function mergeCheckpoints(
  city: City,
  plans: readonly ShardPlan[],
  shards: readonly Uint8Array[],
): Uint8Array {
  const parts = shards.map((b) => readCheckpoint(b));
  const first = parts[0]!;
  for (const p of parts) {
    if (
      p.watermarkMs !== first.watermarkMs ||
      p.maxEventMs !== first.maxEventMs ||
      p.optionsJson !== first.optionsJson
    )
      throw new ParkirError("sharded checkpoint: shards disagree on the watermark or options");
  }
  const owners = recordOwners(city, plans);
  const rowCount = plans.at(-1)!.rowHi;
  const sections = new Map<string, Uint8Array>();
  for (const [name, bytes0] of first.sections) {
    if (name === "checksum") continue;
    const all = parts.map((p) => {
      const b = p.sections.get(name);
      if (b === undefined) throw new ParkirError(`sharded checkpoint: a shard lacks section ${name}`);
      return b;
    });
    if (name === "reg") {
      const reg = f64Of(bytes0);
      const regs = all.map(f64Of);
      for (const r of SUMMED_REGISTERS) reg[r] = regs.reduce((sum, x) => sum + x[r]!, 0);
      const check = reg.slice();
      for (const x of regs) {
        for (const r of SUMMED_REGISTERS) x[r] = check[r]!;
        if (!same(new Uint8Array(x.buffer), new Uint8Array(check.buffer)))
          throw new ParkirError("sharded checkpoint: shards disagree on registers");
      }
      sections.set(name, new Uint8Array(reg.buffer));
    } else if (name.startsWith("bays.")) {
      const size = bytesPerBay(city, name, bytes0);
      const out = bytes0.slice();
      for (let b = 0; b < city.bayCount; b++) {
        const o = owners[b]!;
        if (o !== 0) out.set(all[o]!.subarray(b * size, (b + 1) * size), b * size);
      }
      sections.set(name, out);
    } else if (name.startsWith("rows.") || name.startsWith("q.")) {
      if (rowCount === 0 || bytes0.byteLength % rowCount !== 0)
        throw new ParkirError(`sharded checkpoint: section ${name} is not per window row`);
      const size = bytes0.byteLength / rowCount;
      const out = bytes0.slice();
      for (const p of plans) out.set(all[p.index]!.subarray(p.rowLo * size, p.rowHi * size), p.rowLo * size);
      sections.set(name, out);
    } else {
      for (const b of all)
        if (!same(b, bytes0)) throw new ParkirError(`sharded checkpoint: shards disagree on section ${name}`);
      sections.set(name, bytes0.slice());
    }
  }
  return write(first, sections);
}

/**
 * Shard `plan`'s checkpoint from a single-engine checkpoint: shards > 0 start their summed counters at 0,
 * and every shard forgets the state of bays it does not own (their de-duplication memory is kept).
 *
 * @throws ParkirWireError when the bytes are not a checkpoint.
 */
export function splitCheckpoint(
  city: City,
  plans: readonly ShardPlan[],
  plan: ShardPlan,
  bytes: Uint8Array,
): Uint8Array {
  const parts = readCheckpoint(bytes);
  const owners = recordOwners(city, plans);
  const sections = new Map<string, Uint8Array>();
  for (const [name, b] of parts.sections) {
    if (name === "checksum") continue;
    if (name === "reg" && plan.index !== 0) {
      const reg = f64Of(b);
      for (const r of SUMMED_REGISTERS) reg[r] = 0;
      sections.set(name, new Uint8Array(reg.buffer));
    } else if (name.startsWith("bays.")) {
      const size = bytesPerBay(city, name, b);
      const out = b.slice();
      for (let bay = 0; bay < city.bayCount; bay++)
        if (owners[bay] !== plan.index) out.fill(0, bay * size, (bay + 1) * size);
      sections.set(name, out);
    } else sections.set(name, b.slice());
  }
  return write(parts, sections);
}

function write(header: CheckpointParts, sections: Map<string, Uint8Array>): Uint8Array {
  return writeCheckpoint({
    city: header.city,
    catalogHash: header.catalogHash,
    watermarkMs: header.watermarkMs,
    maxEventMs: header.maxEventMs,
    optionsJson: header.optionsJson,
    sections,
  });
}

/**
 * Recovery snapshots of a shard engine: the part of its checkpoint it owns (OccupancyEngine.checkpointParts with
 * the shard's StateSlice: header fields, registers, pending events, payments and de-duplication keys as
 * checkpoint() would write them, but only its own bays and window rows, and the keys unsorted), and its own rows
 * of the last window it closed, laid out raw in memory the main thread lends, so that the periodic shard
 * checkpoint the recovery log needs costs one copy of the shard's own state into memory that is already mapped:
 * no FlatBuffers builder, no checksum over every byte, no sorting, no fresh buffers (whose first-touch page
 * faults cost more than the copy on small VMs), nothing moved between threads, and no other shard's bays or rows.
 *
 * Every shard snapshots at the same call, so the shards' snapshots together hold the whole engine: a shard's
 * bays and rows are the concatenation of the shards' slices in shard order. Checkpoint bytes are written from
 * them only when a shard is rebuilt (`recoverShard`: its own snapshot, the other shards' rows, keys sorted);
 * merged, the rebuilt shards' checkpoints are the bytes the whole engine's checkpoint() would have written then
 * (`snapshotsCheckpoint`).
 *
 * Layout (little-endian, every part at a multiple of 8): u32 magic "PKS1", u32 header JSON length, f64
 * catalogHash, watermarkMs, maxEventMs, the header JSON (`{ city, optionsJson, sections: [[name, bytes], …] }`),
 * then each section's bytes in that order.
 */

import type { City } from "../../catalog/city.js";
import { ParkirError } from "../../errors/index.js";
import { type CheckpointParts, writeCheckpoint } from "../checkpoint.js";
import { allocColumns } from "../columns.js";
import { ColdRows } from "../state.js";
import type { WindowColumns } from "../types.js";
import { mergeCheckpoints, sortKeySections } from "./checkpoints.js";
import type { ShardPlan } from "./shards.js";

/** Checkpoint parts as a snapshot holds them (CheckpointParts without the format version). */
export type SnapshotParts = Omit<CheckpointParts, "formatVersion">;

const MAGIC = 0x32534b50; // "PKS2"
const FIXED = 32;

const pad8 = (n: number): number => (n + 7) & ~7;

interface Header {
  readonly city: string;
  readonly optionsJson: string;
  readonly sections: readonly (readonly [string, number])[];
}

function headerBytes(parts: SnapshotParts): Uint8Array {
  const sections: [string, number][] = [];
  for (const [name, bytes] of parts.sections)
    if (name !== "checksum") sections.push([name, bytes.byteLength]);
  const header: Header = { city: parts.city, optionsJson: parts.optionsJson, sections };
  return new TextEncoder().encode(JSON.stringify(header));
}

function sizeOf(header: Uint8Array, parts: SnapshotParts): number {
  let n = FIXED + pad8(header.byteLength);
  for (const [name, bytes] of parts.sections) if (name !== "checksum") n += pad8(bytes.byteLength);
  return n;
}

/** Bytes a snapshot of `parts` takes. */
export function snapshotBytes(parts: SnapshotParts): number {
  return sizeOf(headerBytes(parts), parts);
}

/**
 * Writes a snapshot of `parts` at the start of `into` when it fits; returns the bytes it takes either way (a
 * result above `into.byteLength` means nothing was written).
 */
export function writeSnapshot(parts: SnapshotParts, into: Uint8Array): number {
  const header = headerBytes(parts);
  const size = sizeOf(header, parts);
  if (size > into.byteLength) return size;
  const view = new DataView(into.buffer, into.byteOffset, into.byteLength);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, header.byteLength, true);
  view.setFloat64(8, parts.catalogHash, true);
  view.setFloat64(16, parts.watermarkMs, true);
  view.setFloat64(24, parts.maxEventMs, true);
  into.set(header, FIXED);
  let at = FIXED + pad8(header.byteLength);
  for (const [name, bytes] of parts.sections) {
    if (name === "checksum") continue;
    into.set(bytes, at);
    at += pad8(bytes.byteLength);
  }
  return size;
}

/**
 * The parts a snapshot holds, sections copied out of `bytes` (which may be reused afterwards).
 *
 * @throws ParkirError when `bytes` is not a whole snapshot (never user input: a bug).
 */
export function readSnapshot(bytes: Uint8Array): SnapshotParts {
  const bad = (why: string): never => {
    throw new ParkirError(`shard snapshot: ${why} (a bug)`);
  };
  if (bytes.byteLength < FIXED) bad("too short");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) bad("no snapshot magic");
  const headerLength = view.getUint32(4, true);
  if (FIXED + headerLength > bytes.byteLength) bad("header past the end");
  // A private copy: TextDecoder refuses views of shared memory.
  const header = JSON.parse(new TextDecoder().decode(bytes.slice(FIXED, FIXED + headerLength))) as Header;
  const sections = new Map<string, Uint8Array>();
  let at = FIXED + pad8(headerLength);
  for (const [name, length] of header.sections) {
    if (at + length > bytes.byteLength) bad(`section ${name} past the end`);
    sections.set(name, bytes.slice(at, at + length));
    at += pad8(length);
  }
  return {
    city: header.city,
    catalogHash: view.getFloat64(8, true),
    watermarkMs: view.getFloat64(16, true),
    maxEventMs: view.getFloat64(24, true),
    optionsJson: header.optionsJson,
    sections,
  };
}

/** Prefix of the snapshot sections that hold the last closed window's columns (not checkpoint sections). */
const WINDOW = "window.";

/**
 * Snapshot parts of shard `plan`'s engine: its own checkpoint parts (checkpointParts(plan)), and its own rows of
 * the last window it closed (`last`, when it closed one), so that a shard rebuilt from the snapshot lists the
 * rows its next window changes as the engine it replaces would have.
 */
export function snapshotParts(
  parts: SnapshotParts,
  last: WindowColumns | null,
  plan: ShardPlan,
): SnapshotParts {
  if (last === null) return parts;
  const sections = new Map(parts.sections);
  for (const [key, column] of Object.entries(last)) {
    if (key === "length") continue;
    const a = column as Uint8Array;
    const per = last.length === 0 ? 0 : a.byteLength / last.length;
    sections.set(
      WINDOW + key,
      new Uint8Array(a.buffer, a.byteOffset + plan.rowLo * per, (plan.rowHi - plan.rowLo) * per),
    );
  }
  return { ...parts, sections };
}

const isRowSection = (name: string): boolean => name.startsWith("rows.") || name.startsWith("q.");

/**
 * Shard k's checkpoint bytes and last closed window from the shards' snapshots taken at one call (one per shard,
 * in shard order): its own snapshot's registers, pending events, payments and keys (sorted), its own bays (the
 * others' zero, as splitCheckpoint leaves them), every shard's window rows from their owners, and its own rows
 * of the last closed window (null when it had closed none).
 *
 * @throws ParkirError when the snapshots do not fit together (a bug, never user input).
 */
export function recoverShard(
  plans: readonly ShardPlan[],
  k: number,
  snapshots: readonly Uint8Array[],
): { checkpoint: Uint8Array; last: WindowColumns | null } {
  if (snapshots.length !== plans.length)
    throw new ParkirError(`shard snapshot: ${snapshots.length} snapshots for ${plans.length} shards (a bug)`);
  const all = snapshots.map(readSnapshot);
  const mine = all[k]!;
  const rowCount = plans.at(-1)!.rowHi;
  // Shards before the first zone event hold no cold row sections: their rows are the defaults.
  const cold = new Map(new ColdRows(0).sections().map(([name]) => [name, true]));
  const hasCold = [...cold.keys()].every((name) => mine.sections.has(name));
  const defaults = (name: string, rows: number): Uint8Array => {
    const a = new ColdRows(rows).sections().find(([n]) => n === name)![1];
    return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  };
  // A whole-engine section: the shards' slices in shard order (`pick` gives shard j's).
  const concat = (name: string, pick: (j: number, slice: Uint8Array) => Uint8Array): Uint8Array => {
    const slices = all.map((p, j) => {
      const b =
        p.sections.get(name) ?? (cold.has(name) ? defaults(name, plans[j]!.rowHi - plans[j]!.rowLo) : null);
      if (b === null) throw new ParkirError(`shard snapshot: shard ${j} lacks section ${name} (a bug)`);
      return pick(j, b);
    });
    const out = new Uint8Array(slices.reduce((n, b) => n + b.byteLength, 0));
    let at = 0;
    for (const b of slices) {
      out.set(b, at);
      at += b.byteLength;
    }
    return out;
  };
  const sections = new Map<string, Uint8Array>();
  const window = new Map<string, Uint8Array>();
  for (const [name, b] of mine.sections) {
    if (name.startsWith(WINDOW)) window.set(name.slice(WINDOW.length), b);
    else if (name.startsWith("bays.")) {
      const bays = concat(name, (j, slice) => (j === k ? slice : new Uint8Array(slice.byteLength)));
      sections.set(name, bays);
    } else if (isRowSection(name)) {
      sections.set(
        name,
        concat(name, (_, slice) => slice),
      );
      if (name === "rows.acc" && !hasCold)
        for (const c of cold.keys()) sections.set(c, defaults(c, rowCount));
    } else sections.set(name, b);
  }
  sortKeySections(sections);
  const checkpoint = writeCheckpoint({ ...mine, sections });
  if (window.size === 0) return { checkpoint, last: null };
  const last = allocColumns(rowCount);
  const plan = plans[k]!;
  for (const [key, column] of Object.entries(last)) {
    if (key === "length") continue;
    const a = column as Uint8Array;
    const per = rowCount === 0 ? 0 : a.byteLength / rowCount;
    const b = window.get(key);
    if (b === undefined || b.byteLength !== (plan.rowHi - plan.rowLo) * per)
      throw new ParkirError(`shard snapshot: window column ${key} (a bug)`);
    new Uint8Array(a.buffer, a.byteOffset + plan.rowLo * per, b.byteLength).set(b);
  }
  return { checkpoint, last };
}

/**
 * The whole engine's checkpoint bytes from the shards' snapshots taken at one call: what its checkpoint() would
 * have written then (`own`: the shards admitted their own zones' events, see checkpoints.ts).
 */
export function snapshotsCheckpoint(
  city: City,
  plans: readonly ShardPlan[],
  snapshots: readonly Uint8Array[],
  own: boolean,
): Uint8Array {
  const shards = plans.map((_, k) => recoverShard(plans, k, snapshots).checkpoint);
  return mergeCheckpoints(city, plans, shards, own);
}

/**
 * Recovery snapshots of a shard engine: the parts of its checkpoint (header fields and sections, exactly what
 * OccupancyEngine.checkpoint() would write), and the columns of the last window it closed, laid out raw in memory the main thread lends, so that the periodic
 * shard checkpoint the recovery log needs costs one copy of the state into memory that is already mapped: no
 * FlatBuffers builder, no checksum over every byte, no fresh buffers (whose first-touch page faults cost more
 * than the copy on small VMs), nothing moved between threads. Checkpoint bytes are written from a snapshot only
 * when a shard is rebuilt (`snapshotCheckpoint`), and are then the bytes checkpoint() would have written.
 *
 * Layout (little-endian, every part at a multiple of 8): u32 magic "PKS1", u32 header JSON length, f64
 * catalogHash, watermarkMs, maxEventMs, the header JSON (`{ city, optionsJson, sections: [[name, bytes], …] }`),
 * then each section's bytes in that order.
 */
import { ParkirError } from "../../errors/index.js";
import { type CheckpointParts, writeCheckpoint } from "../checkpoint.js";
import { allocColumns } from "../columns.js";
import type { WindowColumns } from "../types.js";

/** Checkpoint parts as a snapshot holds them (CheckpointParts without the format version). */
export type SnapshotParts = Omit<CheckpointParts, "formatVersion">;

const MAGIC = 0x31534b50; // "PKS1"
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
 * Snapshot parts of an engine: its checkpoint parts, and the columns of the last window it closed (`last`, when
 * it closed one), so that a shard rebuilt from the snapshot lists the rows its next window changes as the
 * engine it replaces would have.
 */
export function snapshotParts(parts: SnapshotParts, last: WindowColumns | null): SnapshotParts {
  if (last === null) return parts;
  const sections = new Map(parts.sections);
  for (const [key, column] of Object.entries(last)) {
    if (key === "length") continue;
    const a = column as Uint8Array;
    sections.set(WINDOW + key, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return { ...parts, sections };
}

/**
 * What a snapshot holds: the checkpoint bytes it stands for (what checkpoint() would have written when it was
 * taken) and the last closed window's columns (null when the engine had closed none).
 */
export function snapshotContents(bytes: Uint8Array): { checkpoint: Uint8Array; last: WindowColumns | null } {
  const parts = readSnapshot(bytes);
  const sections = new Map<string, Uint8Array>();
  const window = new Map<string, Uint8Array>();
  for (const [name, b] of parts.sections) {
    if (name.startsWith(WINDOW)) window.set(name.slice(WINDOW.length), b);
    else sections.set(name, b);
  }
  const checkpoint = writeCheckpoint({ ...parts, sections });
  if (window.size === 0) return { checkpoint, last: null };
  const rows = (window.get("zone")?.byteLength ?? 0) / 4;
  const last = allocColumns(rows);
  for (const [key, column] of Object.entries(last)) {
    if (key === "length") continue;
    const a = column as Uint8Array;
    const b = window.get(key);
    if (b === undefined || b.byteLength !== a.byteLength)
      throw new ParkirError(`shard snapshot: window column ${key} (a bug)`);
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(b);
  }
  return { checkpoint, last };
}

/** The checkpoint bytes a snapshot stands for: what checkpoint() would have written when it was taken. */
export function snapshotCheckpoint(bytes: Uint8Array): Uint8Array {
  return snapshotContents(bytes).checkpoint;
}

/**
 * Checkpoint bytes: a FlatBuffers `Checkpoint` table (schema/parkir.fbs) with file identifier "PKC1" and
 * named sections of raw little-endian typed arrays, plus a "checksum" section (FNV-1a of the header fields
 * and every other section's name and bytes). Reading verifies every offset and length before following it, so garbage
 * ends in a ParkirWireError, never an exception of another kind or a partial restore.
 */
import { Builder } from "flatbuffers";
import { fnv1a } from "../catalog/city.js";
import { ParkirWireError, type WireErrorReason } from "../errors/index.js";
import { Checkpoint } from "../wire/generated/checkpoint.js";
import { Section } from "../wire/generated/section.js";

/** File identifier of checkpoint bytes (EventBatch uses PKR1). */
export const CHECKPOINT_IDENTIFIER = "PKC1";
/** Current checkpoint format version. */
export const CHECKPOINT_VERSION = 3;
/** Largest checkpoint accepted (1 GiB). */
export const CHECKPOINT_BYTES_MAX = 1 << 30;

/** The header fields and named sections of a checkpoint. */
export interface CheckpointParts {
  readonly formatVersion: number;
  readonly city: string;
  readonly catalogHash: number;
  readonly watermarkMs: number;
  readonly maxEventMs: number;
  readonly optionsJson: string;
  /** Section bytes by name (views into the input when reading). */
  readonly sections: ReadonlyMap<string, Uint8Array>;
}

/** A typed array as its bytes (no copy). */
export function bytesOf(a: Uint8Array | Int32Array | Uint32Array | Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Builds checkpoint bytes; adds the checksum section. */
export function writeCheckpoint(parts: Omit<CheckpointParts, "formatVersion">): Uint8Array {
  let size = 1024;
  for (const [name, bytes] of parts.sections) size += bytes.byteLength + name.length + 32;
  const b = new Builder(size);
  const offsets: number[] = [];
  for (const [name, bytes] of parts.sections) {
    const nameOff = b.createString(name);
    const bytesOff = b.createByteVector(bytes);
    offsets.push(Section.createSection(b, nameOff, bytesOff));
  }
  const sum = new Uint8Array(4);
  new DataView(sum.buffer).setUint32(0, checksum(parts), true);
  offsets.push(Section.createSection(b, b.createString("checksum"), b.createByteVector(sum)));
  const sectionsOff = Checkpoint.createSectionsVector(b, offsets);
  const cityOff = b.createString(parts.city);
  const optionsOff = b.createString(parts.optionsJson);
  const root = Checkpoint.createCheckpoint(
    b,
    CHECKPOINT_VERSION,
    cityOff,
    parts.catalogHash,
    parts.watermarkMs,
    parts.maxEventMs,
    optionsOff,
    sectionsOff,
  );
  b.finish(root, CHECKPOINT_IDENTIFIER);
  return b.asUint8Array().slice();
}

/** FNV-1a over the header fields and every section but the checksum itself. */
function checksum(parts: Omit<CheckpointParts, "formatVersion">): number {
  const header = new Float64Array([parts.catalogHash, parts.watermarkMs, parts.maxEventMs]);
  let h = fnv1a(parts.optionsJson, fnv1a(parts.city));
  for (const byte of new Uint8Array(header.buffer)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  for (const [name, bytes] of parts.sections) {
    if (name === "checksum") continue;
    h = fnv1a(name, h);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Verifies checkpoint bytes and returns their parts (sections are views into `bytes`).
 *
 * @throws ParkirWireError on anything malformed, including a checksum mismatch.
 */
export function readCheckpoint(bytes: Uint8Array): CheckpointParts {
  const len = bytes.byteLength;
  if (len > CHECKPOINT_BYTES_MAX) fail("too-large", 0, `${len} bytes exceeds ${CHECKPOINT_BYTES_MAX}`);
  if (len < 12) fail("too-small", 0, `${len} bytes cannot hold a checkpoint`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, len);
  for (let i = 0; i < 4; i++) {
    if (dv.getUint8(4 + i) !== CHECKPOINT_IDENTIFIER.charCodeAt(i)) {
      fail("bad-identifier", 4, `expected file identifier ${CHECKPOINT_IDENTIFIER}`);
    }
  }
  const root = table(dv, dv.getUint32(0, true), 0);
  if (root.fieldCount > 7) {
    for (let i = 7; i < root.fieldCount; i++)
      if (root.field(i) !== 0) fail("bad-vtable", root.pos, `unknown field ${i}`);
  }
  const formatVersion = root.u32(0);
  if (formatVersion !== CHECKPOINT_VERSION)
    fail(
      "bad-field",
      root.pos,
      `format version ${formatVersion}; this build reads version ${CHECKPOINT_VERSION} only (start a fresh engine and replay the events since that checkpoint)`,
    );
  const city = root.str(1, bytes);
  const catalogHash = root.u32(2);
  const watermarkMs = root.f64(3);
  const maxEventMs = root.f64(4);
  const optionsJson = root.str(5, bytes);
  const vec = root.offsetField(6);
  if (vec < 0) fail("bad-vector", root.pos, "checkpoint has no sections");
  const n = dv.getUint32(vec, true);
  if (n > Math.floor((len - vec - 4) / 4)) fail("bad-vector", vec, `sections vector of ${n} does not fit`);
  const sections = new Map<string, Uint8Array>();
  for (let i = 0; i < n; i++) {
    const at = vec + 4 + 4 * i;
    const sec = table(dv, at + dv.getUint32(at, true), at);
    const name = sec.str(0, bytes);
    if (sections.has(name)) fail("bad-field", sec.pos, `duplicate section ${name}`);
    const data = sec.offsetField(1);
    if (data < 0) fail("bad-vector", sec.pos, `section ${name} has no bytes`);
    const size = dv.getUint32(data, true);
    if (size > len - data - 4)
      fail("bad-vector", data, `section ${name} of ${size} bytes runs past the buffer`);
    sections.set(name, bytes.subarray(data + 4, data + 4 + size));
  }
  const sum = sections.get("checksum");
  if (sum === undefined || sum.byteLength !== 4) fail("bad-field", vec, "checksum section missing");
  const stored = new DataView(sum.buffer, sum.byteOffset, 4).getUint32(0, true);
  const parts = { city, catalogHash, watermarkMs, maxEventMs, optionsJson, sections };
  if (stored !== checksum(parts)) fail("bad-field", vec, "checksum mismatch: the checkpoint is corrupt");
  return { formatVersion, ...parts };
}

function fail(reason: WireErrorReason, offset: number, detail: string): never {
  throw new ParkirWireError(reason, offset, `checkpoint: ${detail}`);
}

interface TableReader {
  readonly pos: number;
  readonly fieldCount: number;
  field(i: number): number;
  u32(i: number): number;
  f64(i: number): number;
  str(i: number, bytes: Uint8Array): string;
  /** Position of the object a uoffset field points to (checked to hold at least 4 bytes), or −1. */
  offsetField(i: number): number;
}

/** A verified table at `pos` (found through an offset stored at `at`). */
function table(dv: DataView, pos: number, at: number): TableReader {
  const len = dv.byteLength;
  if (pos % 4 !== 0 || pos + 4 > len) fail("bad-offset", at, `table offset ${pos} is outside the buffer`);
  const vt = pos - dv.getInt32(pos, true);
  if (vt < 0 || vt % 2 !== 0 || vt + 4 > len)
    fail("bad-vtable", pos, `vtable at ${vt} is outside the buffer`);
  const vtSize = dv.getUint16(vt, true);
  const tSize = dv.getUint16(vt + 2, true);
  if (vtSize < 4 || vtSize % 2 !== 0 || vt + vtSize > len)
    fail("bad-vtable", vt, `vtable size ${vtSize} is invalid`);
  if (tSize < 4 || pos + tSize > len) fail("bad-vtable", vt + 2, `table size ${tSize} runs past the buffer`);
  const field = (i: number): number => (4 + 2 * i + 2 <= vtSize ? dv.getUint16(vt + 4 + 2 * i, true) : 0);
  const fieldPos = (i: number, width: number): number => {
    const off = field(i);
    if (off === 0) return -1;
    if (off < 4 || off + width > tSize)
      fail("bad-vtable", vt + 4 + 2 * i, `field ${i} lies outside its table`);
    return pos + off;
  };
  const offsetField = (i: number): number => {
    const p = fieldPos(i, 4);
    if (p < 0) return -1;
    const target = p + dv.getUint32(p, true);
    if (target % 4 !== 0 || target + 4 > len)
      fail("bad-offset", p, `offset to ${target} is outside the buffer`);
    return target;
  };
  return {
    pos,
    fieldCount: (vtSize - 4) / 2,
    field,
    u32: (i) => {
      const p = fieldPos(i, 4);
      return p < 0 ? 0 : dv.getUint32(p, true);
    },
    f64: (i) => {
      const p = fieldPos(i, 8);
      return p < 0 ? 0 : dv.getFloat64(p, true);
    },
    str: (i, bytes) => {
      const s = offsetField(i);
      if (s < 0) return "";
      const n = dv.getUint32(s, true);
      if (n > len - s - 5) fail("bad-string", s, `string of ${n} bytes runs past the buffer`);
      try {
        return decoder.decode(bytes.subarray(s + 4, s + 4 + n));
      } catch {
        return fail("bad-string", s + 4, "string is not valid UTF-8");
      }
    },
    offsetField,
  };
}

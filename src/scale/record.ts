/**
 * A partition's checkpoint record in JetStream KV: the engine checkpoint and the stream sequence it covers,
 * stored together in one value so they can never disagree.
 *
 * Layout: "PKP1", u32 little-endian header length, the header (UTF-8 JSON), zero padding to a multiple of 8,
 * the engine checkpoint bytes (OccupancyEngine.checkpoint()).
 */
import { ParkirScaleError } from "./errors.js";

/** What a checkpoint record says besides the engine state. */
export interface CheckpointHeader {
  /** City id. */
  readonly city: string;
  /** City catalogue hash (a record is never restored against another catalogue). */
  readonly catalogHash: number;
  /** Partition number. */
  readonly partition: number;
  /** Partition count the stream was set up with. */
  readonly partitions: number;
  /** Last events-stream sequence whose message is in the engine state (0: none). */
  readonly seq: number;
  /** Start of the last window the engine closed before this checkpoint (null: none yet). */
  readonly lastWindowStart: number | null;
  /** Events ingested by this partition up to `seq` (accepted, duplicate, late or unknown). */
  readonly events: number;
}

/** A decoded checkpoint record. */
export interface CheckpointRecord {
  /** What the record says besides the engine state. */
  readonly header: CheckpointHeader;
  /** Engine checkpoint bytes (a copy, 8-byte aligned). */
  readonly engine: Uint8Array;
}

const MAGIC = [0x50, 0x4b, 0x50, 0x31]; // "PKP1"
/** Longest header accepted (it is a few hundred bytes). */
const HEADER_BYTES_MAX = 4096;

/** Encodes a checkpoint record. */
export function encodeCheckpointRecord(header: CheckpointHeader, engine: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const at = align8(8 + json.length);
  const out = new Uint8Array(at + engine.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  out.set(engine, at);
  return out;
}

/** @throws ParkirScaleError when `bytes` is not a checkpoint record (the engine bytes are verified on restore). */
export function decodeCheckpointRecord(bytes: Uint8Array): CheckpointRecord {
  const bad = (why: string) => new ParkirScaleError(`not a parkir partition checkpoint: ${why}`);
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad("wrong identifier");
  const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (len > HEADER_BYTES_MAX || 8 + len > bytes.length) throw bad(`header length ${len}`);
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + len)));
  } catch {
    throw bad("header is not JSON");
  }
  if (typeof h !== "object" || h === null) throw bad("header is not an object");
  const uint = (k: string) => {
    const v = h[k];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw bad(`${k} is not an integer ≥ 0`);
    return v;
  };
  if (typeof h.city !== "string") throw bad("city is not a string");
  const lw = h.lastWindowStart;
  if (lw !== null && !(typeof lw === "number" && Number.isSafeInteger(lw))) throw bad("lastWindowStart");
  const header: CheckpointHeader = {
    city: h.city,
    catalogHash: uint("catalogHash"),
    partition: uint("partition"),
    partitions: uint("partitions"),
    seq: uint("seq"),
    lastWindowStart: lw,
    events: uint("events"),
  };
  // slice(): a fresh, aligned buffer (typed-array views of the checkpoint's sections need aligned offsets).
  return { header, engine: bytes.slice(align8(8 + len)) };
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

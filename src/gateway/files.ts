/**
 * Durable files: atomic replacement (temp file, fsync, rename, fsync of the directory), append-only outputs
 * cut back to a committed length on restart, and the gateway's state file (a small header, the occupancy
 * checkpoint and the pricing checkpoint). Every way a file can be unusable ends in one ParkirStateError saying what to do.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname } from "node:path";
import { ParkirStateError } from "./errors.js";

/** Writes `bytes` to `path` so a crash at any moment leaves the old file or the new one, never a mix. */
export function writeFileDurable(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    let off = 0;
    while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

/** Makes a rename or a new file in `dir` durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Removes a file if it exists. */
export function removeIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}

/**
 * An append-only output file whose committed length is recorded in the state file: opened at that length (bytes
 * past it, written after the last commit, are cut off and written again by the replay), refused when shorter.
 */
export class CommittedFile {
  readonly path: string;
  private fd: number;
  private bytes: number;

  /** @throws ParkirStateError when the file is shorter than `committedBytes` (it was cut or replaced). */
  constructor(path: string, committedBytes: number) {
    this.path = path;
    const exists = existsSync(path);
    if (!exists && committedBytes > 0) throw shorter(path, 0, committedBytes);
    this.fd = openSync(path, exists ? "r+" : "w");
    const size = fstatSync(this.fd).size;
    if (size < committedBytes) {
      closeSync(this.fd);
      throw shorter(path, size, committedBytes);
    }
    if (size > committedBytes) ftruncateSync(this.fd, committedBytes);
    this.bytes = committedBytes;
    if (!exists) fsyncDir(dirname(path));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.bytes;
  }

  /** Appends text. */
  append(text: string): void {
    const buf = Buffer.from(text, "utf8");
    let off = 0;
    while (off < buf.byteLength) off += writeSync(this.fd, buf, off, buf.byteLength - off, this.bytes + off);
    this.bytes += buf.byteLength;
  }

  /** Makes what was appended durable; returns the length to record as committed. */
  sync(): number {
    fsyncSync(this.fd);
    return this.bytes;
  }

  /** Closes the file (what was written stays; call sync() first to make it durable). */
  close(): void {
    closeSync(this.fd);
  }
}

function shorter(path: string, size: number, committed: number): ParkirStateError {
  return new ParkirStateError(
    path,
    `${path} has ${size} bytes but ${committed} were committed: it was cut short or replaced outside parkir. ` +
      `Restore the file from a backup, or move it and the state directory aside to start from empty.`,
  );
}

/** Magic of the gateway state file ("PKGW") and its version (1: no pricing section; still read). */
const STATE_MAGIC = 0x57474b50;
const STATE_VERSION = 2;
/**
 * magic u32, version u32, header JSON bytes u32, checkpoint bytes u32, FNV-1a of everything after u32; then the
 * header JSON, the occupancy checkpoint and (version 2, `header.pricingBytes` of them) the pricing checkpoint.
 */
const STATE_PREFIX = 20;

/** The gateway's committed position and output lengths. */
export interface StateHeader {
  /** Write-ahead log segment to replay from (segments below it are covered by the checkpoint). */
  readonly walSegment: number;
  /** Committed length of each output file, by path. */
  readonly outputs: Readonly<Record<string, number>>;
  /** Newest receive time of a The Things Stack uplink, ms (where a Storage Integration backfill starts). */
  readonly ttsLastMs: number;
  /** Recent event ids (the de-duplication pre-filter), oldest first. */
  readonly recentIds: readonly string[];
  /** Messages refused, per reason, since the state was created. */
  readonly rejected: Readonly<Record<string, number>>;
  /** Bytes of the pricing checkpoint after the occupancy checkpoint (0 or absent: none). */
  readonly pricingBytes?: number;
}

/** What the state file holds: one generation of the occupancy and pricing state, and the position they cover. */
export interface SavedState {
  readonly header: StateHeader;
  /** The occupancy engine's checkpoint. */
  readonly checkpoint: Uint8Array;
  /** The pricing engine's checkpoint, when a policy was in use. */
  readonly pricing?: Uint8Array;
}

/** Encodes the state file: occupancy and pricing checkpoints in one file, so one rename commits both. */
export function encodeState(header: StateHeader, checkpoint: Uint8Array, pricing?: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify({ ...header, pricingBytes: pricing?.byteLength ?? 0 }), "utf8");
  const tail = checkpoint.byteLength + (pricing?.byteLength ?? 0);
  const out = new Uint8Array(STATE_PREFIX + json.byteLength + tail);
  const v = new DataView(out.buffer);
  v.setUint32(0, STATE_MAGIC, true);
  v.setUint32(4, STATE_VERSION, true);
  v.setUint32(8, json.byteLength, true);
  v.setUint32(12, tail, true);
  out.set(json, STATE_PREFIX);
  out.set(checkpoint, STATE_PREFIX + json.byteLength);
  if (pricing !== undefined) out.set(pricing, STATE_PREFIX + json.byteLength + checkpoint.byteLength);
  v.setUint32(16, hashBytes(out, STATE_PREFIX), true);
  return out;
}

/**
 * Reads the state file, or undefined when there is none (a fresh start).
 *
 * @throws ParkirStateError when it exists but is empty, cut short or corrupt.
 */
export function readState(path: string): SavedState | undefined {
  if (!existsSync(path)) return undefined;
  const bytes = readFileSync(path);
  const bad = (what: string) =>
    new ParkirStateError(
      path,
      `${path} is not a usable parkir gateway state file (${what}). It was damaged outside parkir's atomic ` +
        `writes (disk fault, copied while written, edited). Restore the state directory from a backup, or move ` +
        `${basename(dirname(path))}/ aside to start from empty (outputs then start over).`,
    );
  if (bytes.byteLength < STATE_PREFIX) throw bad(bytes.byteLength === 0 ? "it is empty" : "it is cut short");
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== STATE_MAGIC) throw bad("wrong magic number");
  const version = v.getUint32(4, true);
  if (version !== 1 && version !== STATE_VERSION)
    throw bad(`version ${version} is not 1 or ${STATE_VERSION}`);
  const jsonBytes = v.getUint32(8, true);
  const cpBytes = v.getUint32(12, true);
  if (STATE_PREFIX + jsonBytes + cpBytes !== bytes.byteLength)
    throw bad("its length disagrees with its header");
  if (v.getUint32(16, true) !== hashBytes(bytes, STATE_PREFIX)) throw bad("checksum mismatch");
  let header: StateHeader;
  try {
    header = JSON.parse(
      bytes.subarray(STATE_PREFIX, STATE_PREFIX + jsonBytes).toString("utf8"),
    ) as StateHeader;
  } catch {
    throw bad("header is not JSON");
  }
  if (
    !Number.isInteger(header?.walSegment) ||
    typeof header.outputs !== "object" ||
    !Array.isArray(header.recentIds)
  )
    throw bad("header fields missing");
  const pricingBytes = version === 1 ? 0 : header.pricingBytes;
  if (!(Number.isInteger(pricingBytes) && pricingBytes! >= 0 && pricingBytes! <= cpBytes))
    throw bad("pricing section length missing or wrong");
  const cpEnd = bytes.byteLength - pricingBytes!;
  const checkpoint = new Uint8Array(bytes.subarray(STATE_PREFIX + jsonBytes, cpEnd));
  if (pricingBytes === 0) return { header, checkpoint };
  return { header, checkpoint, pricing: new Uint8Array(bytes.subarray(cpEnd)) };
}

/** FNV-1a over bytes from `from`. */
function hashBytes(bytes: Uint8Array, from: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < bytes.byteLength; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

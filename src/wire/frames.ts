/**
 * A file or stream of many batches: each frame is a u32 little-endian byte length, the batch, and
 * zero padding to the next multiple of 8, so every batch starts 8-byte aligned when the whole file
 * is read into one buffer. Files written by `parkir convert` and `parkir generate --format fb`.
 */
import { ParkirWireError, type WireErrorReason } from "../errors/index.js";
import { BATCH_BYTES_MAX, BATCH_IDENTIFIER } from "./layout.js";

const HEADER = 8; // u32 length + 4 bytes padding keep the batch 8-byte aligned

/** Concatenates batches into one framed buffer. */
export function writeFrames(batches: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const b of batches) total += HEADER + pad8(b.byteLength);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  let at = 0;
  for (const b of batches) {
    dv.setUint32(at, b.byteLength, true);
    out.set(b, at + HEADER);
    at += HEADER + pad8(b.byteLength);
  }
  return out;
}

/** Frames read from a framed buffer: every good frame before the first bad one, and why reading stopped. */
export interface ScannedFrames {
  /** The frames read (zero-copy subarrays; 8-byte aligned when the input was). */
  readonly frames: Uint8Array[];
  /** Why reading stopped before the end: a truncated header, a bad length or a frame that is no batch. */
  readonly error?: ParkirWireError;
}

/** Smallest frame that can hold an EventBatch: a root offset and the file identifier. */
const FRAME_BYTES_MIN = 8;

/**
 * Reads the frames of a framed buffer up to the first bad one and stops there with one clear error: a frame
 * whose length is below 8 bytes or above `maxFrameBytes`, runs past the end, or does not carry the batch file
 * identifier is where the file stops being frames (garbage, or another kind of file), so nothing after it is
 * read frame by frame. Frames are not verified beyond their identifier: pass each to verifyBatch /
 * EventBatchView.from.
 *
 * @param maxFrameBytes largest frame accepted. Default BATCH_BYTES_MAX (64 MiB).
 */
export function scanFrames(bytes: Uint8Array, maxFrameBytes = BATCH_BYTES_MAX): ScannedFrames {
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
  const dv = new DataView(aligned.buffer, aligned.byteOffset, aligned.byteLength);
  const frames: Uint8Array[] = [];
  const stop = (reason: WireErrorReason, at: number, detail: string): ScannedFrames => ({
    frames,
    error: new ParkirWireError(reason, at, `frame ${frames.length + 1}: ${detail}; stopped reading here`),
  });
  let at = 0;
  while (at < aligned.byteLength) {
    if (at + HEADER > aligned.byteLength) return stop("too-small", at, "truncated frame header");
    const n = dv.getUint32(at, true);
    if (n > maxFrameBytes) return stop("too-large", at, `frame of ${n} bytes exceeds ${maxFrameBytes}`);
    if (n < FRAME_BYTES_MIN) return stop("too-small", at, `frame of ${n} bytes cannot hold a batch`);
    if (at + HEADER + n > aligned.byteLength)
      return stop("too-small", at, `frame of ${n} bytes runs past the end`);
    for (let i = 0; i < 4; i++) {
      if (aligned[at + HEADER + 4 + i] !== BATCH_IDENTIFIER.charCodeAt(i))
        return stop("bad-identifier", at + HEADER + 4, `no ${BATCH_IDENTIFIER} batch here`);
    }
    frames.push(aligned.subarray(at + HEADER, at + HEADER + n));
    at += HEADER + pad8(n);
  }
  return { frames };
}

/**
 * Splits a framed buffer into its batches (zero-copy subarrays; 8-byte aligned when `bytes` is).
 * Frames are not verified here: pass each to verifyBatch / EventBatchView.from.
 *
 * @throws ParkirWireError when a frame header is truncated, a length is out of range or runs past the buffer,
 *   or a frame carries no batch (see scanFrames, which keeps the frames before the bad one).
 */
export function readFrames(bytes: Uint8Array, maxFrameBytes = BATCH_BYTES_MAX): Uint8Array[] {
  const scanned = scanFrames(bytes, maxFrameBytes);
  if (scanned.error !== undefined) throw scanned.error;
  return scanned.frames;
}

/** Whether bytes look like a frames file: the first batch's file identifier sits at bytes 12..15. */
export function looksFramed(bytes: Uint8Array): boolean {
  if (bytes.byteLength < HEADER + 8) return false;
  for (let i = 0; i < 4; i++) if (bytes[HEADER + 4 + i] !== BATCH_IDENTIFIER.charCodeAt(i)) return false;
  return true;
}

function pad8(n: number): number {
  return (n + 7) & ~7;
}

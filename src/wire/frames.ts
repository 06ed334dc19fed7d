/**
 * A file or stream of many batches: each frame is a u32 little-endian byte length, the batch, and
 * zero padding to the next multiple of 8, so every batch starts 8-byte aligned when the whole file
 * is read into one buffer. Files written by `parkir convert` and `parkir generate --format fb`.
 */
import { ParkirWireError } from "../errors/index.js";
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

/**
 * Splits a framed buffer into its batches (zero-copy subarrays; 8-byte aligned when `bytes` is).
 * Frames are not verified here: pass each to verifyBatch / EventBatchView.from.
 *
 * @throws ParkirWireError when a frame header is truncated or a length runs past the buffer.
 */
export function readFrames(bytes: Uint8Array, maxFrameBytes = BATCH_BYTES_MAX): Uint8Array[] {
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
  const dv = new DataView(aligned.buffer, aligned.byteOffset, aligned.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < aligned.byteLength) {
    if (at + HEADER > aligned.byteLength)
      throw new ParkirWireError("too-small", at, "truncated frame header");
    const n = dv.getUint32(at, true);
    if (n > maxFrameBytes)
      throw new ParkirWireError("too-large", at, `frame of ${n} bytes exceeds ${maxFrameBytes}`);
    if (at + HEADER + n > aligned.byteLength)
      throw new ParkirWireError("too-small", at, `frame of ${n} bytes runs past the end`);
    out.push(aligned.subarray(at + HEADER, at + HEADER + n));
    at += HEADER + pad8(n);
  }
  return out;
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

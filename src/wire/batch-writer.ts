/**
 * EventBatch bytes written by hand: byte for byte what the flatbuffers Builder writes for the calls
 * encode.ts used to make (the same back-to-front layout, alignment padding and vtable), with the struct vector
 * written as 32-bit words instead of nine Builder calls per event. A property test checks it against the
 * Builder on random batches (test/wire/batch-writer.test.ts).
 */
import { ParkirError } from "../errors/index.js";
import type { Rows } from "./encode.js";
import { BATCH_IDENTIFIER, EVENT_STRIDE } from "./layout.js";

/**
 * Writes one EventBatch back to front into a buffer it owns and reuses (grown by doubling, like the Builder's).
 * Offsets are counted from the end, as the Builder counts them. Use: reset, strings and vectors, `events`,
 * `table`, then `finish`, whose result is valid until the next reset.
 */
export class BatchWriter {
  private buf = new Uint8Array(0);
  private dv = new DataView(this.buf.buffer);
  private words = new Uint32Array(0);
  private space = 0;
  private minalign = 1;

  /** Starts a batch with room for about `bytes` (more is added as needed). */
  reset(bytes: number): void {
    if (this.buf.length < bytes) this.alloc(Math.ceil(bytes / 8) * 8);
    this.space = this.buf.length;
    this.minalign = 1;
  }

  /** Bytes written so far (the Builder's `offset()`). */
  private offset(): number {
    return this.buf.length - this.space;
  }

  private alloc(bytes: number): void {
    this.buf = new Uint8Array(bytes);
    this.dv = new DataView(this.buf.buffer);
    this.words = new Uint32Array(this.buf.buffer);
  }

  /** Room for `bytes` more in front of what is written (the Builder's growByteBuffer: double, keep the end). */
  private ensure(bytes: number): void {
    while (this.space < bytes) {
      const old = this.buf;
      const written = old.subarray(this.space);
      if (old.length >= 0x40000000) throw new ParkirError("encodeEvents: a batch cannot grow beyond 1 GiB");
      this.alloc(Math.max(8, old.length * 2));
      this.buf.set(written, this.buf.length - written.length);
      this.space = this.buf.length - written.length;
    }
  }

  /** The Builder's prep: zero padding so that `size` is aligned after `additional` more bytes. */
  private prep(size: number, additional: number): void {
    if (size > this.minalign) this.minalign = size;
    const pad = (~(this.offset() + additional) + 1) & (size - 1);
    this.ensure(pad + size + additional);
    this.buf.fill(0, this.space - pad, this.space);
    this.space -= pad;
  }

  private int32(v: number): void {
    this.space -= 4;
    this.dv.setInt32(this.space, v, true);
  }

  private int16(v: number): void {
    this.space -= 2;
    this.dv.setInt16(this.space, v, true);
  }

  /** The Builder's addOffset: a reference to what was written at `offset`. */
  private addOffset(offset: number): void {
    this.prep(4, 0);
    this.int32(this.offset() - offset + 4);
  }

  /** Writes a string (its UTF-8 bytes) and returns its offset (the Builder's createString). */
  string(utf8: Uint8Array): number {
    this.prep(1, 0);
    this.space -= 1;
    this.buf[this.space] = 0;
    this.prep(4, utf8.length);
    this.space -= utf8.length;
    this.buf.set(utf8, this.space);
    this.int32(utf8.length);
    return this.offset();
  }

  /** Writes a vector of references to `offsets[0, n)` and returns its offset. */
  offsetVector(offsets: ArrayLike<number>, n: number): number {
    this.prep(4, 4 * n);
    for (let i = n - 1; i >= 0; i--) this.addOffset(offsets[i]!);
    this.int32(n);
    return this.offset();
  }

  /** Writes the struct vector of rows [0, n), times relative to `base`, and returns its offset. */
  events(rows: Rows, n: number, base: number): number {
    const bytes = EVENT_STRIDE * n;
    this.prep(4, bytes);
    this.prep(8, bytes);
    this.space -= bytes;
    // The start is 8-aligned from the end, and the buffer's length is a multiple of 8: word-aligned here.
    const w = this.words;
    let o = this.space >>> 2;
    for (let k = 0; k < n; k++, o += 6) {
      w[o] = rows.timeMs[k]! - base;
      w[o + 1] = rows.target[k]!;
      w[o + 2] = rows.seq[k]!;
      w[o + 3] = rows.value[k]!;
      w[o + 4] = rows.kind[k]! | (rows.vehicle[k]! << 8) | (rows.flags[k]! << 16);
      w[o + 5] = rows.device[k]!;
    }
    this.int32(n);
    return this.offset();
  }

  /**
   * Writes the EventBatch table (fields at their default are left out, as the Builder does) and its vtable, and
   * returns the table's offset. `eventIds` and `annotations` are 0 when absent.
   */
  table(
    baseTimeMs: number,
    city: number,
    catalogHash: number,
    events: number,
    eventIds: number,
    annotations: number,
  ): number {
    // Where each field went, by field index (parkir.fbs: base_time_ms, city, catalog_hash, events, event_ids,
    // annotations), added in that order as EventBatch.add* do; 0 for a field left out.
    const at = [0, 0, 0, 0, 0, 0];
    const start = this.offset();
    if (baseTimeMs !== 0) {
      this.prep(8, 0);
      this.space -= 8;
      this.dv.setFloat64(this.space, baseTimeMs, true);
      at[0] = this.offset();
    }
    this.addOffset(city);
    at[1] = this.offset();
    if (catalogHash !== 0) {
      this.prep(4, 0);
      this.int32(catalogHash);
      at[2] = this.offset();
    }
    this.addOffset(events);
    at[3] = this.offset();
    if (eventIds !== 0) {
      this.addOffset(eventIds);
      at[4] = this.offset();
    }
    if (annotations !== 0) {
      this.addOffset(annotations);
      at[5] = this.offset();
    }
    // endObject: the soffset slot, then the vtable (trailing absent fields trimmed), pointed to from the table.
    this.prep(4, 0);
    this.int32(0);
    const table = this.offset();
    let last = at.length - 1;
    while (last >= 0 && at[last] === 0) last--;
    for (let i = last; i >= 0; i--) {
      this.prep(2, 0);
      this.int16(at[i] !== 0 ? table - at[i]! : 0);
    }
    this.prep(2, 0);
    this.int16(table - start);
    this.prep(2, 0);
    this.int16((last + 1 + 2) * 2);
    this.dv.setInt32(this.buf.length - table, this.offset() - table, true);
    return table;
  }

  /** Adds the file identifier and the root reference to `root`; the batch's bytes (valid until the next reset). */
  finish(root: number): Uint8Array {
    this.prep(this.minalign, 8);
    for (let i = BATCH_IDENTIFIER.length - 1; i >= 0; i--) {
      this.space -= 1;
      this.buf[this.space] = BATCH_IDENTIFIER.charCodeAt(i);
    }
    this.prep(this.minalign, 4);
    this.addOffset(root);
    return this.buf.subarray(this.space);
  }
}

/**
 * EventBatches written straight from columns: the bytes the FlatBuffers Builder writes for the same rows
 * (encode.ts buildBatch), laid out by the Builder's own rules — back to front, every alignment measured from the
 * end — but with the structs stored as 32-bit words and the strings copied from one byte arena, without a call
 * per field. The JSON Lines reader writes its batches with it; a test holds it to buildBatch byte for byte.
 */
import type { City } from "../catalog/city.js";
import { ParkirError } from "../errors/index.js";
import type { Rows } from "./encode.js";
import { BATCH_IDENTIFIER, EVENT_STRIDE } from "./layout.js";
import type { BatchLayout } from "./verify.js";

/** Fields of the EventBatch table, in schema order (its vtable slots). */
const FIELDS = 6;

/**
 * The strings of a batch being written: event ids and annotations as byte ranges of one arena (an annotation
 * of length 0 is ""). @internal
 */
export interface BatchStrings {
  readonly arena: Uint8Array;
  readonly idAt: Int32Array;
  readonly idLength: Int32Array;
  readonly noteAt: Int32Array;
  readonly noteLength: Int32Array;
}

/** The array a parkir writer delivered last, and where its parts are as written (see writtenLayout). */
let lastDelivered: Uint8Array | null = null;
let lastLayout: BatchLayout | null = null;

/**
 * A batch built in scratch memory, handed over: copied into `into`'s memory when given, else into a new buffer.
 * `layout`: where its parts are (offsets in `built`, which are offsets in the copy); the copy becomes the batch
 * writtenLayout knows.
 *
 * @throws ParkirError when `into` hands out too little or misaligned memory. @internal
 */
export function deliver(
  built: Uint8Array,
  into: ((bytes: number) => Uint8Array) | undefined,
  layout: BatchLayout,
): Uint8Array {
  const total = built.length;
  lastDelivered = null;
  let batch: Uint8Array;
  if (into === undefined) batch = built.slice();
  else {
    const out = into(total);
    if (!(out instanceof Uint8Array) || out.length < total || out.byteOffset % 8 !== 0) {
      throw new ParkirError(
        `encodeEvents: into(${total}) must return a Uint8Array of at least ${total} bytes at an offset that is a multiple of 8`,
      );
    }
    out.set(built);
    batch = out.subarray(0, total);
  }
  lastDelivered = batch;
  lastLayout = layout;
  return batch;
}

/**
 * Where the parts of `batch` are as its writer laid them out — what verifyBatch returns for those bytes — when
 * `batch` is the very array a parkir writer (BatchWriter, the JSON Lines reader's wasm path) delivered last;
 * else undefined. It says nothing about the bytes now: only a caller that knows no other code could have
 * written into them since (jsonl-replay.ts) may let the engine skip verifying them (INGEST_WRITTEN). @internal
 */
export function writtenLayout(batch: Uint8Array): BatchLayout | undefined {
  return batch === lastDelivered && lastLayout !== null ? lastLayout : undefined;
}

/**
 * The layout of a batch of `count` events written `total` bytes long, its parts given as the Builder's offsets
 * from the end (`idsOff`, `notesOff`: 0 when not written), its times from `baseMs` to `topMs`, its event ids
 * `idBytes` in all and `idMax` at most. @internal
 */
export function writtenBatchLayout(
  city: City,
  total: number,
  count: number,
  eventsOff: number,
  idsOff: number,
  notesOff: number,
  idBytes: number,
  idMax: number,
  baseMs: number,
  topMs: number,
): BatchLayout {
  return {
    baseTimeMs: baseMs,
    // An offset from the end points at a vector's length word; its first element follows it.
    eventsOffset: total - eventsOff + 4,
    count,
    cityId: city.id,
    catalogHash: city.catalogHash >>> 0,
    eventIdsOffset: idsOff === 0 ? -1 : total - idsOff + 4,
    eventIdBytes: idBytes,
    eventIdMaxBytes: idMax,
    annotationsOffset: notesOff === 0 ? -1 : total - notesOff + 4,
    minTimeOffset: count === 0 ? -1 : 0,
    maxTimeOffset: count === 0 ? -1 : topMs - baseMs,
  };
}

/** Writes EventBatches from Rows' columns and BatchStrings, reusing its memory from batch to batch. @internal */
export class BatchWriter {
  private readonly city: City;
  private readonly cityBytes: Uint8Array;
  private readonly cityView: DataView;
  private readonly catalogHash: number;
  private scratch = new Uint8Array(0);
  private words = new Uint32Array(0);
  private dv = new DataView(new ArrayBuffer(0));
  /** Where the batch is written: bytes before the end of `scratch`, as the Builder's offsets count them. */
  private off = 0;
  private cap = 0;
  private offsets = new Int32Array(0);
  private readonly vtable = new Int32Array(FIELDS);
  /** The latest event time of the batch `events` wrote last. */
  private topMs = 0;

  constructor(city: City) {
    this.city = city;
    this.cityBytes = new TextEncoder().encode(city.id);
    this.cityView = new DataView(this.cityBytes.buffer, this.cityBytes.byteOffset, this.cityBytes.length);
    this.catalogHash = city.catalogHash >>> 0;
  }

  /**
   * The EventBatch of the first `rows.length` rows (event times relative to `baseMs`), as buildBatch writes it;
   * into `into`'s memory when given, else a new buffer.
   *
   * @throws ParkirError when `into` hands out too little or misaligned memory.
   */
  write(
    rows: Rows,
    strings: BatchStrings,
    baseMs: number,
    keepIds: boolean,
    into: ((bytes: number) => Uint8Array) | undefined,
  ): Uint8Array {
    const n = rows.length;
    const notes = rows.notes;
    // Room for everything: each string is at most its bytes + 11 (length, NUL, padding) + its 4-byte slot.
    let size = 256 + this.cityBytes.length + n * EVENT_STRIDE;
    let idBytes = 0;
    let idMax = 0;
    if (keepIds) {
      for (let k = 0; k < n; k++) {
        const len = strings.idLength[k]!;
        idBytes += len;
        if (len > idMax) idMax = len;
      }
      size += idBytes + 16 * n;
    }
    if (notes) for (let k = 0; k < n; k++) size += strings.noteLength[k]! + 16;
    this.reserve(size, n);
    this.off = 0;
    const cityOff = this.string(this.cityBytes, this.cityView, 0, this.cityBytes.length);
    let idsOff = 0;
    let notesOff = 0;
    const arena = strings.arena;
    const from = new DataView(arena.buffer, arena.byteOffset, arena.byteLength);
    if (keepIds) idsOff = this.strings(n, arena, from, strings.idAt, strings.idLength, -1);
    if (notes) {
      const empty = this.string(arena, from, 0, 0);
      notesOff = this.strings(n, arena, from, strings.noteAt, strings.noteLength, empty);
    }
    const eventsOff = this.events(rows, baseMs);
    const root = this.table(baseMs, cityOff, eventsOff, idsOff, notesOff);
    // finish(root, BATCH_IDENTIFIER): the identifier, then the root offset, aligned to the largest alignment (8).
    this.prep(8, 8);
    for (let i = BATCH_IDENTIFIER.length - 1; i >= 0; i--) this.byte(BATCH_IDENTIFIER.charCodeAt(i));
    this.prep(8, 4);
    this.offset(root);
    const layout = writtenBatchLayout(
      this.city,
      this.off,
      n,
      eventsOff,
      idsOff,
      notesOff,
      idBytes,
      idMax,
      baseMs,
      n === 0 ? baseMs : this.topMs,
    );
    return deliver(this.scratch.subarray(this.cap - this.off, this.cap), into, layout);
  }

  /** Makes `scratch` at least `size` bytes (a multiple of 8, so 8-aligned offsets from its end are aligned). */
  private reserve(size: number, n: number): void {
    if (this.scratch.length < size) {
      const cap = Math.max(size, this.scratch.length * 2) + 7;
      this.scratch = new Uint8Array(cap - (cap % 8));
      this.words = new Uint32Array(this.scratch.buffer);
      this.dv = new DataView(this.scratch.buffer);
    }
    this.cap = this.scratch.length;
    if (this.offsets.length < n) this.offsets = new Int32Array(Math.max(n, this.offsets.length * 2));
  }

  /** The Builder's prep: zero padding so that `size` bytes are aligned after `additional` more. */
  private prep(size: number, additional: number): void {
    let pad = -(this.off + additional) & (size - 1);
    while (pad-- > 0) this.byte(0);
  }

  private byte(b: number): void {
    this.scratch[this.cap - ++this.off] = b;
  }

  private u32(v: number): void {
    this.off += 4;
    this.dv.setUint32(this.cap - this.off, v, true);
  }

  private u16(v: number): void {
    this.prep(2, 0);
    this.off += 2;
    this.dv.setUint16(this.cap - this.off, v, true);
  }

  /** addOffset: a 32-bit offset to what was written at `target`. */
  private offset(target: number): void {
    this.prep(4, 0);
    this.u32(this.off - target + 4);
  }

  /** createString of `bytes[s, s + n)` (`from` views `bytes`): its offset. */
  private string(bytes: Uint8Array, from: DataView, s: number, n: number): number {
    this.byte(0);
    this.prep(4, n);
    this.off += n;
    const at = this.cap - this.off;
    if (n >= 4) {
      // 32-bit words, the last one overlapping the one before.
      const to = this.dv;
      for (let o = 0; o < n - 4; o += 4) to.setInt32(at + o, from.getInt32(s + o, true), true);
      to.setInt32(at + n - 4, from.getInt32(s + n - 4, true), true);
    } else {
      const out = this.scratch;
      for (let i = 0; i < n; i++) out[at + i] = bytes[s + i]!;
    }
    this.u32(n);
    return this.off;
  }

  /** createStrings + the vector of their offsets (rows with a 0-length string share `empty` when it is ≥ 0). */
  private strings(
    n: number,
    arena: Uint8Array,
    from: DataView,
    at: Int32Array,
    length: Int32Array,
    empty: number,
  ): number {
    const offsets = this.offsets;
    for (let k = 0; k < n; k++) {
      const len = length[k]!;
      offsets[k] = len === 0 && empty >= 0 ? empty : this.string(arena, from, at[k]!, len);
    }
    this.prep(4, 4 * n);
    for (let k = n - 1; k >= 0; k--) this.u32(this.off - offsets[k]! + 4);
    this.u32(n);
    return this.off;
  }

  /** The events vector (structs from the last row to the first, as the Builder writes them). */
  private events(rows: Rows, baseMs: number): number {
    const n = rows.length;
    this.prep(4, EVENT_STRIDE * n);
    this.prep(8, EVENT_STRIDE * n);
    const w = this.words;
    const { timeMs, target, seq, value, device, kind, vehicle, flags } = rows;
    let q = this.cap - this.off;
    let top = baseMs;
    for (let k = n - 1; k >= 0; k--) {
      q -= EVENT_STRIDE;
      const x = q >> 2;
      const t = timeMs[k]!;
      if (t > top) top = t;
      w[x] = t - baseMs;
      w[x + 1] = target[k]!;
      w[x + 2] = seq[k]!;
      w[x + 3] = value[k]!;
      // kind, vehicle, flags and the pad byte as one word (the words are little-endian, as the engine requires).
      w[x + 4] = kind[k]! | (vehicle[k]! << 8) | (flags[k]! << 16);
      w[x + 5] = device[k]!;
    }
    this.off = this.cap - q;
    this.topMs = top;
    this.u32(n);
    return this.off;
  }

  /** The EventBatch table and its vtable (startObject ... endObject): the table's offset. */
  private table(
    baseMs: number,
    cityOff: number,
    eventsOff: number,
    idsOff: number,
    notesOff: number,
  ): number {
    const vt = this.vtable;
    vt.fill(0);
    const start = this.off;
    if (baseMs !== 0) {
      this.prep(8, 0);
      this.off += 8;
      this.dv.setFloat64(this.cap - this.off, baseMs, true);
      vt[0] = this.off;
    }
    this.offset(cityOff);
    vt[1] = this.off;
    if (this.catalogHash !== 0) {
      this.prep(4, 0);
      this.u32(this.catalogHash);
      vt[2] = this.off;
    }
    this.offset(eventsOff);
    vt[3] = this.off;
    if (idsOff !== 0) {
      this.offset(idsOff);
      vt[4] = this.off;
    }
    if (notesOff !== 0) {
      this.offset(notesOff);
      vt[5] = this.off;
    }
    this.prep(4, 0);
    this.u32(0);
    const table = this.off;
    let used = FIELDS;
    while (used > 0 && vt[used - 1] === 0) used--;
    for (let i = used - 1; i >= 0; i--) this.u16(vt[i] !== 0 ? table - vt[i]! : 0);
    this.u16(table - start);
    this.u16((used + 2) * 2);
    // The table starts with the offset back to its vtable (written just before it, so at a lower address).
    this.dv.setInt32(this.cap - table, this.off - table, true);
    return table;
  }
}

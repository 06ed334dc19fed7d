/**
 * A FlatBuffers verifier for EventBatch, written for this one schema. Every offset and length is
 * checked against the buffer before it is followed, so garbage input ends in a ParkirWireError,
 * never an out-of-bounds read, a hang or a partial effect. The walk is O(fields + events) with no
 * recursion and no loop that is not bounded by the buffer length.
 */
import type { City } from "../catalog/city.js";
import { VEHICLE_CODES } from "../catalog/vehicles.js";
import { ParkirWireError, type WireErrorReason } from "../errors/index.js";
import { EVENT_TIME_MS_MAX } from "./events.js";
import { KIND_COUNT } from "./kinds.js";
import {
  BATCH_BYTES_MAX,
  BATCH_IDENTIFIER,
  EV_DEVICE,
  EV_FLAGS,
  EV_KIND,
  EV_RESERVED,
  EV_TARGET,
  EV_TIME_MS,
  EV_VEHICLE,
  EVENT_STRIDE,
  FLAG_TARGET_ZONE,
  FLAGS_ALL,
  NO_DEVICE,
} from "./layout.js";

/** Where the parts of a verified batch are, as byte offsets into the buffer. */
export interface BatchLayout {
  /** Base time of the batch, ms since the epoch. */
  readonly baseTimeMs: number;
  /** Offset of the first event struct (8-byte aligned within the buffer). */
  readonly eventsOffset: number;
  /** Number of events. */
  readonly count: number;
  /** City id the batch was encoded for ("" when absent). */
  readonly cityId: string;
  /** Catalogue hash the batch was encoded for (0 when absent). */
  readonly catalogHash: number;
  /** Offset of the event_ids vector's first element offset, or -1 when absent. */
  readonly eventIdsOffset: number;
  /** Bytes of all event_id strings together, and of the longest (0 when absent). */
  readonly eventIdBytes: number;
  readonly eventIdMaxBytes: number;
  /** Offset of the annotations vector's first element offset, or -1 when absent. */
  readonly annotationsOffset: number;
  /**
   * Lowest and highest time offset (ms after baseTimeMs) over the events, found by the verifying scan; −1 when
   * that scan did not see every event (no events, or the exact walk ran) and EventBatchView.timeRange reads them.
   */
  readonly minTimeOffset: number;
  readonly maxTimeOffset: number;
}

/** Options of verifyBatch. */
export interface VerifyOptions {
  /** Refuse buffers larger than this many bytes. Default BATCH_BYTES_MAX (64 MiB). */
  readonly maxBytes?: number;
  /** When given, the batch must have been encoded for this catalogue and every index must exist in it. */
  readonly city?: City;
  /**
   * Runs the word scans (events, strings) elsewhere when it can: the wasm occupancy kernel scans batches lying in
   * its memory. Same results; a scan it declines (−1) runs here. @internal
   */
  readonly scanner?: BatchScanner;
}

/**
 * The two word scans of verifyBatch, run by someone else (the wasm occupancy kernel, over bytes in its memory).
 * Each returns what the scan here would, or −1 when it cannot read `bytes` (then the scan here runs). @internal
 */
export interface BatchScanner {
  /**
   * The first event of `count` at `eventsOffset` that may be invalid (`count` when none; then `timeLo` and
   * `timeHi` hold the time offsets' range), or −1.
   */
  events(bytes: Uint8Array, eventsOffset: number, count: number, limits: EventLimits): number;
  /** The first of the `n` strings whose offsets start at `at` that may be invalid (`total`, `max`: of those before), or −1. */
  strings(bytes: Uint8Array, at: number, n: number): number;
  readonly timeLo: number;
  readonly timeHi: number;
  readonly total: number;
  readonly max: number;
}

/**
 * What the event scan checks against: the kinds, vehicle classes and flag bits the format knows, and the
 * catalogue's bays, zones and devices (2^32 each without a catalogue). @internal
 */
export interface EventLimits {
  readonly kindCount: number;
  readonly vehicleCodes: number;
  readonly flagsAll: number;
  readonly bayCount: number;
  readonly zoneCount: number;
  readonly deviceCount: number;
}

// EventBatch vtable slots (field index i lives at vtable offset 4 + 2 i).
const F_BASE_TIME = 0;
const F_CITY = 1;
const F_CATALOG_HASH = 2;
const F_EVENTS = 3;
const F_EVENT_IDS = 4;
const F_ANNOTATIONS = 5;
const FIELD_COUNT = 6;

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Verifies an EventBatch and returns where its parts are.
 *
 * @throws ParkirWireError with a reason and the byte offset of the first problem.
 * @example
 * const layout = verifyBatch(bytes, { city }); // throws on truncated or garbage bytes
 */
export function verifyBatch(bytes: Uint8Array, options: VerifyOptions = {}): BatchLayout {
  const maxBytes = options.maxBytes ?? BATCH_BYTES_MAX;
  const len = bytes.byteLength;
  if (len > maxBytes) fail("too-large", 0, `${len} bytes exceeds the limit of ${maxBytes}`);
  if (len < 12) fail("too-small", 0, `${len} bytes cannot hold a root offset, identifier and table`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, len);
  for (let i = 0; i < 4; i++) {
    if (dv.getUint8(4 + i) !== BATCH_IDENTIFIER.charCodeAt(i)) {
      fail("bad-identifier", 4, `expected file identifier ${BATCH_IDENTIFIER}`);
    }
  }
  const table = dv.getUint32(0, true);
  checkTable(dv, table, 0);
  const vtable = table - dv.getInt32(table, true);
  const vtableSize = dv.getUint16(vtable, true);
  const tableSize = dv.getUint16(vtable + 2, true);

  const field = (index: number): number => {
    const slot = 4 + 2 * index;
    if (slot + 2 > vtableSize) return 0;
    return dv.getUint16(vtable + slot, true);
  };
  const fieldPos = (index: number, width: number): number => {
    const off = field(index);
    if (off === 0) return -1;
    if (off < 4 || off + width > tableSize)
      fail("bad-vtable", vtable + 4 + 2 * index, `field ${index} lies outside its table`);
    const pos = table + off;
    if (pos % width !== 0) fail("misaligned", pos, `field ${index} is not ${width}-byte aligned`);
    return pos;
  };
  for (let i = FIELD_COUNT; 4 + 2 * i + 2 <= vtableSize; i++) {
    if (field(i) !== 0) fail("bad-vtable", vtable + 4 + 2 * i, `unknown field ${i} (newer schema?)`);
  }

  let baseTimeMs = 0;
  const basePos = fieldPos(F_BASE_TIME, 8);
  if (basePos >= 0) {
    baseTimeMs = dv.getFloat64(basePos, true);
    if (!Number.isInteger(baseTimeMs) || baseTimeMs < 0 || baseTimeMs > EVENT_TIME_MS_MAX) {
      fail("bad-field", basePos, `base_time_ms ${baseTimeMs} is not an integer time in range`);
    }
  }
  let cityId = "";
  const cityPos = fieldPos(F_CITY, 4);
  if (cityPos >= 0) cityId = readString(dv, bytes, cityPos);
  let catalogHash = 0;
  const hashPos = fieldPos(F_CATALOG_HASH, 4);
  if (hashPos >= 0) catalogHash = dv.getUint32(hashPos, true);

  let eventsOffset = 0;
  let count = 0;
  const eventsPos = fieldPos(F_EVENTS, 4);
  if (eventsPos >= 0) {
    const vec = followOffset(dv, eventsPos, "bad-vector");
    count = dv.getUint32(vec, true);
    eventsOffset = vec + 4;
    if (eventsOffset % 8 !== 0)
      fail("misaligned", eventsOffset, "events vector is not 8-byte aligned in the message");
    if (count > Math.floor((len - eventsOffset) / EVENT_STRIDE)) {
      fail("bad-vector", vec, `events vector of ${count} does not fit in the buffer`);
    }
  }
  const scanner = options.scanner;
  const eventIdsOffset = stringVector(dv, bytes, fieldPos(F_EVENT_IDS, 4), count, "event_ids", scanner);
  const eventIdBytes = stringTotal;
  const eventIdMaxBytes = stringMax;
  const annotationsOffset = stringVector(
    dv,
    bytes,
    fieldPos(F_ANNOTATIONS, 4),
    count,
    "annotations",
    scanner,
  );

  const city = options.city;
  if (city !== undefined) {
    if (cityId !== city.id || catalogHash !== city.catalogHash) {
      fail(
        "catalog-mismatch",
        Math.max(cityPos, 0),
        `batch is for catalogue ${cityId}#${catalogHash}, engine has ${city.id}#${city.catalogHash}`,
      );
    }
  }
  const bayCount = city?.bayCount ?? U32;
  const zoneCount = city?.zoneCount ?? U32;
  const deviceCount = city?.deviceCount ?? U32;
  let first = -1;
  if (scanner !== undefined && count > 0) {
    const limits = {
      kindCount: KIND_COUNT,
      vehicleCodes: VEHICLE_CODES,
      flagsAll: FLAGS_ALL,
      bayCount,
      zoneCount,
      deviceCount,
    };
    first = scanner.events(bytes, eventsOffset, count, limits);
    if (first === count) {
      scanTimeLo = scanner.timeLo;
      scanTimeHi = scanner.timeHi;
    }
  }
  if (first < 0) first = firstSuspectEvent(bytes, eventsOffset, count, bayCount, zoneCount, deviceCount);
  // Only when the word scan found a suspect event (or could not run), the exact DataView walk names the problem.
  if (first < count) checkEventsExactly(dv, eventsOffset, first, count, bayCount, zoneCount, deviceCount);
  const scanned = first === count && count > 0;
  return {
    baseTimeMs,
    eventsOffset,
    count,
    cityId,
    catalogHash,
    eventIdsOffset,
    eventIdBytes,
    eventIdMaxBytes,
    annotationsOffset,
    minTimeOffset: scanned ? scanTimeLo : -1,
    maxTimeOffset: scanned ? scanTimeHi : -1,
  };
}

const U32 = 0x1_0000_0000;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const W_TIME = EV_TIME_MS / 4;
const W_KIND = EV_KIND / 4; // word 4 packs kind | vehicle << 8 | flags << 16 | reserved << 24
const W_TARGET = EV_TARGET / 4;
const W_DEVICE = EV_DEVICE / 4;
const STRIDE_WORDS = EVENT_STRIDE / 4;

/** Time offsets' range seen by the last complete firstSuspectEvent scan (the engine's time screen reads it). */
let scanTimeLo = 0;
let scanTimeHi = 0;

/**
 * Fast scan of the struct vector as u32 words (one load checks kind, vehicle, flags and the reserved
 * byte): about 3 ns per event against ~10 for DataView reads. Returns the index of the first event that
 * may be invalid, `count` when all are valid, or 0 when a word view is not possible here (big-endian
 * host, or a buffer not 4-byte aligned), so the exact walk checks everything. In the same pass it notes the
 * range of the time offsets (scanTimeLo, scanTimeHi), so no second pass over the events is needed for it.
 */
function firstSuspectEvent(
  bytes: Uint8Array,
  eventsOffset: number,
  count: number,
  bayCount: number,
  zoneCount: number,
  deviceCount: number,
): number {
  if (!LITTLE_ENDIAN || (bytes.byteOffset + eventsOffset) % 4 !== 0 || count === 0) return 0;
  const w = new Uint32Array(bytes.buffer, bytes.byteOffset + eventsOffset, count * STRIDE_WORDS);
  const zoneFlag = FLAG_TARGET_ZONE << 16;
  const badFlags = (~FLAGS_ALL & 0xff) << 16;
  let lo = 0xffffffff;
  let hi = 0;
  for (let i = 0, q = 0; i < count; i++, q += STRIDE_WORDS) {
    const t = w[q + W_TIME]!;
    lo = Math.min(lo, t);
    hi = Math.max(hi, t);
    const kvf = w[q + W_KIND]!;
    if (
      (kvf & 0xff) >= KIND_COUNT ||
      ((kvf >>> 8) & 0xff) >= VEHICLE_CODES ||
      (kvf & badFlags) !== 0 ||
      kvf >>> 24 !== 0
    ) {
      return i;
    }
    if (w[q + W_TARGET]! >= ((kvf & zoneFlag) !== 0 ? zoneCount : bayCount)) return i;
    const device = w[q + W_DEVICE]!;
    if (device !== NO_DEVICE && device >= deviceCount) return i;
  }
  scanTimeLo = lo;
  scanTimeHi = hi;
  return count;
}

/** Checks events [from, count) field by field and throws a ParkirWireError naming the first bad field. */
function checkEventsExactly(
  dv: DataView,
  eventsOffset: number,
  from: number,
  count: number,
  bayCount: number,
  zoneCount: number,
  deviceCount: number,
): void {
  for (let i = from, p = eventsOffset + from * EVENT_STRIDE; i < count; i++, p += EVENT_STRIDE) {
    const kind = dv.getUint8(p + EV_KIND);
    const vehicle = dv.getUint8(p + EV_VEHICLE);
    const flags = dv.getUint8(p + EV_FLAGS);
    if (kind >= KIND_COUNT) fail("bad-field", p + EV_KIND, `event ${i}: unknown kind ${kind}`);
    if (vehicle >= VEHICLE_CODES)
      fail("bad-field", p + EV_VEHICLE, `event ${i}: unknown vehicle class ${vehicle}`);
    if ((flags & ~FLAGS_ALL) !== 0) fail("bad-field", p + EV_FLAGS, `event ${i}: unknown flag bits ${flags}`);
    if (dv.getUint8(p + EV_RESERVED) !== 0)
      fail("bad-field", p + EV_RESERVED, `event ${i}: reserved byte is not 0`);
    const target = dv.getUint32(p + EV_TARGET, true);
    const limit = (flags & FLAG_TARGET_ZONE) !== 0 ? zoneCount : bayCount;
    if (target >= limit)
      fail("bad-field", p + EV_TARGET, `event ${i}: target ${target} is not in the catalogue`);
    const device = dv.getUint32(p + EV_DEVICE, true);
    if (device !== NO_DEVICE && device >= deviceCount)
      fail("bad-field", p + EV_DEVICE, `event ${i}: device ${device} is not in the catalogue`);
  }
}

function fail(reason: WireErrorReason, offset: number, detail: string): never {
  throw new ParkirWireError(reason, offset, detail);
}

function checkTable(dv: DataView, table: number, at: number): void {
  const len = dv.byteLength;
  if (table % 4 !== 0 || table + 4 > len)
    fail("bad-offset", at, `table offset ${table} is outside the buffer`);
  const vtable = table - dv.getInt32(table, true);
  if (vtable < 0 || vtable % 2 !== 0 || vtable + 4 > len)
    fail("bad-vtable", table, `vtable at ${vtable} is outside the buffer`);
  const vtableSize = dv.getUint16(vtable, true);
  const tableSize = dv.getUint16(vtable + 2, true);
  if (vtableSize < 4 || vtableSize % 2 !== 0 || vtable + vtableSize > len) {
    fail("bad-vtable", vtable, `vtable size ${vtableSize} is invalid`);
  }
  if (tableSize < 4 || table + tableSize > len)
    fail("bad-vtable", vtable + 2, `table size ${tableSize} runs past the buffer`);
}

/** Follows a uoffset at `pos`; the target must hold at least a 4-byte length. */
function followOffset(dv: DataView, pos: number, reason: WireErrorReason): number {
  const target = pos + dv.getUint32(pos, true);
  if (target % 4 !== 0 || target + 4 > dv.byteLength)
    fail(reason, pos, `offset to ${target} is outside the buffer`);
  return target;
}

/** Total and longest string length of the last stringVector call (0 when it had no vector). */
let stringTotal = 0;
let stringMax = 0;

/**
 * Verifies an optional vector of `count` strings at field position `pos`; returns its first element's offset or
 * -1, and notes the strings' total and longest length (stringTotal, stringMax).
 */
function stringVector(
  dv: DataView,
  bytes: Uint8Array,
  pos: number,
  count: number,
  name: string,
  scanner: BatchScanner | undefined,
): number {
  stringTotal = 0;
  stringMax = 0;
  if (pos < 0) return -1;
  const vec = followOffset(dv, pos, "bad-vector");
  const n = dv.getUint32(vec, true);
  if (n !== count) fail("bad-vector", vec, `${name} has ${n} entries for ${count} events`);
  if (n > Math.floor((dv.byteLength - vec - 4) / 4))
    fail("bad-vector", vec, `${name} vector does not fit in the buffer`);
  // Structure only (offset, length, terminator): these cold strings are decoded, leniently, when read. The
  // word scan checks what checkString checks, as u32 loads; the first string it doubts, checkString names.
  let first = -1;
  if (n > 0 && scanner !== undefined) {
    first = scanner.strings(bytes, vec + 4, n);
    stringTotal = scanner.total;
    stringMax = scanner.max;
  }
  if (first < 0) first = firstSuspectString(bytes, vec + 4, n);
  for (let i = first; i < n; i++) {
    const s = checkString(dv, vec + 4 + 4 * i);
    const len = dv.getUint32(s, true);
    stringTotal += len;
    stringMax = Math.max(stringMax, len);
  }
  return vec + 4;
}

/**
 * Fast check of strings [0, n) of a vector whose element offsets start at byte `at` (4-aligned, as followOffset
 * checked): each offset leads to a 4-aligned length inside the buffer, and the string and its zero terminator
 * fit. Adds their lengths to stringTotal and stringMax. Returns the first string it doubts, n when none, or 0
 * when a word view is not possible here (checkString then checks them all).
 */
function firstSuspectString(bytes: Uint8Array, at: number, n: number): number {
  if (!LITTLE_ENDIAN || bytes.byteOffset % 4 !== 0 || n === 0) return 0;
  const len = bytes.byteLength;
  const w = new Uint32Array(bytes.buffer, bytes.byteOffset, len >>> 2);
  let total = 0;
  let max = 0;
  let i = 0;
  for (let pos = at; i < n; i++, pos += 4) {
    const s = pos + w[pos >>> 2]!;
    if ((s & 3) !== 0 || s + 4 > len) break;
    const m = w[s >>> 2]!;
    if (m > len - s - 5 || bytes[s + 4 + m] !== 0) break;
    total += m;
    max = Math.max(max, m);
  }
  stringTotal = total;
  stringMax = max;
  return i;
}

/** Checks a string's offset, length and zero terminator; returns the offset of its length prefix. */
function checkString(dv: DataView, pos: number): number {
  const s = followOffset(dv, pos, "bad-string");
  const n = dv.getUint32(s, true);
  if (n > dv.byteLength - s - 5) fail("bad-string", s, `string of ${n} bytes runs past the buffer`);
  if (dv.getUint8(s + 4 + n) !== 0) fail("bad-string", s + 4 + n, "string is not zero-terminated");
  return s;
}

function readString(dv: DataView, bytes: Uint8Array, pos: number): string {
  const s = checkString(dv, pos);
  const n = dv.getUint32(s, true);
  try {
    return decoder.decode(bytes.subarray(s + 4, s + 4 + n));
  } catch {
    return fail("bad-string", s + 4, "string is not valid UTF-8");
  }
}

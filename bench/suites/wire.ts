/**
 * Wire suites: reading (`wire`) and writing (`wire-encode`) the same events as a parkir FlatBuffers
 * batch, JSON Lines, MessagePack (msgpackr) and Protocol Buffers (protobufjs).
 *
 * The events are the Palu trace (seed catalogue, generated with the default faults): mostly payment
 * sessions and attendant counts, as on Palu's streets, plus bay sensors and gate counters.
 * Every read case starts from bytes in memory and folds each event's time and kind into a checksum,
 * the least a consumer of any format must do. The `*-all-fields` cases read every field the occupancy
 * engine uses (time, kind, bay or zone, sequence number or its hash, value, vehicle class, device) into the
 * numbers it works with: the struct formats hold them resolved already, the others resolve ids through the
 * catalogue's lookups as a user feeding an engine must. Every encode case starts from the same plain CDS
 * event objects; its output is decoded again (untimed) and must give the same checksum.
 */
import { Packr, pack, unpack } from "msgpackr";
import { type City, fnv1a, vehicleCode } from "../../src/catalog/index.js";
import {
  type CdsEvent,
  EV_DEVICE,
  EV_FLAGS,
  EV_KIND,
  EV_SEQ,
  EV_TARGET,
  EV_TIME_MS,
  EV_VALUE,
  EVENT_STRIDE,
  EventBatchView,
  encodeEvents,
  FLAG_TARGET_ZONE,
  isBayKind,
  KIND,
  NO_DEVICE,
  parseEventTime,
} from "../../src/wire/index.js";
import { paluWorkload } from "../fixtures/workload.js";
import type { CaseSpec, SuiteDefinition } from "../harness.js";
import { createProtoCodec, type ProtoEvent, type ProtoEventList } from "../peers/protobuf.js";

/** What every read case computes: the number of events and a checksum over (time, kind). */
export interface ReadResult {
  readonly events: number;
  readonly checksum: number;
}

const KIND_MIX = 0x9e3779b1;
const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** Adds one event to the checksum; `timeMs >>> 0` is the time modulo 2^32, exact for any integer ms. */
function fold(acc: number, timeMs: number, kind: number): number {
  return (acc + (timeMs >>> 0) + kind * KIND_MIX) >>> 0;
}

/** What every `*-all-fields` case computes: the number of events and a checksum over every engine field. */
export interface FieldsResult {
  readonly events: number;
  readonly checksum: number;
}

/** Adds one event's engine fields to the checksum (order-sensitive multiply-add, u32). */
function foldFields(
  acc: number,
  timeMs: number,
  kind: number,
  target: number,
  zoneTarget: boolean,
  seq: number,
  value: number,
  vehicle: number,
  device: number,
): number {
  let h = (Math.imul(acc, 31) + (timeMs >>> 0)) >>> 0;
  h = (Math.imul(h, 31) + kind + (zoneTarget ? 256 : 0) + (vehicle << 9)) >>> 0;
  h = (Math.imul(h, 31) + target) >>> 0;
  h = (Math.imul(h, 31) + seq) >>> 0;
  h = (Math.imul(h, 31) + (value | 0)) >>> 0;
  return (Math.imul(h, 31) + device) >>> 0;
}

/** Every engine field of a FlatBuffers batch through the view's accessors (verification included). */
export function readViewFields(bytes: Uint8Array, city: City): FieldsResult {
  const v = EventBatchView.from(bytes, { city });
  let acc = 0;
  for (let i = 0; i < v.length; i++) {
    acc = foldFields(
      acc,
      v.timeMs(i),
      v.kind(i),
      v.target(i),
      (v.flags(i) & FLAG_TARGET_ZONE) !== 0,
      v.seq(i),
      v.value(i),
      v.vehicle(i),
      v.device(i),
    );
  }
  return { events: v.length, checksum: acc };
}

/** Every engine field of a FlatBuffers batch's event structs, as u32 words (verification included). */
export function readWordsFields(bytes: Uint8Array, city: City): FieldsResult {
  const v = EventBatchView.from(bytes, { city });
  const w = v.words();
  const i32 = new Int32Array(w.buffer, w.byteOffset, w.length);
  const base = v.baseTimeMs;
  let acc = 0;
  for (let p = 0; p < w.length; p += EVENT_STRIDE / 4) {
    const packed = w[p + EV_KIND / 4]!; // kind | vehicle << 8 | flags << 16
    acc = foldFields(
      acc,
      base + w[p + EV_TIME_MS / 4]!,
      packed & 0xff,
      w[p + EV_TARGET / 4]!,
      ((packed >>> ((EV_FLAGS - EV_KIND) * 8)) & FLAG_TARGET_ZONE) !== 0,
      w[p + EV_SEQ / 4]!,
      i32[p + EV_VALUE / 4]!,
      (packed >>> 8) & 0xff,
      w[p + EV_DEVICE / 4]!,
    );
  }
  return { events: v.length, checksum: acc };
}

/** The fields one plain event gives the engine, resolved through the catalogue as the encoder does. */
function foldEvent(acc: number, e: CdsEvent, city: City, timeMs: number, kind: number): number {
  const deviceId = e.data_source_device_id;
  let device = deviceId === undefined ? NO_DEVICE : city.deviceIndex(deviceId);
  if (device < 0) device = NO_DEVICE;
  let vehicle = e.vehicle_type === undefined ? 0 : vehicleCode(e.vehicle_type);
  let target: number;
  let zoneTarget = false;
  if (isBayKind(kind) && e.curb_space_id !== undefined) {
    target = city.bayIndex(e.curb_space_id);
    if (device === NO_DEVICE) device = target;
    if (vehicle === 0) vehicle = city.bayVehicle[target]!;
  } else {
    target = city.zoneIndex(e.curb_zone_id!);
    zoneTarget = true;
  }
  let seq: number;
  if (kind === KIND.payment_start || kind === KIND.payment_end) seq = fnv1a(e.event_session_id ?? "");
  else seq = e.sequence_number ?? fnv1a(e.event_id);
  let value = 0;
  if (kind === KIND.scheduled_report) value = e.occupied ? 1 : 0;
  else if (kind === KIND.manual_count) value = e.vehicle_count ?? 0;
  else if (kind === KIND.enter_area || kind === KIND.exit_area) value = e.vehicle_count ?? 1;
  else if (kind === KIND.payment_end) value = e.actual_cost ?? 0;
  return foldFields(acc, timeMs, kind, target, zoneTarget, seq, value, vehicle, device);
}

/** Every engine field from JSON Lines: UTF-8 decode, one JSON.parse per line, ids resolved through the catalogue. */
export function readJsonLinesFields(bytes: Uint8Array, city: City): FieldsResult {
  const text = utf8.decode(bytes);
  let acc = 0;
  let n = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (end > start) {
      const e = JSON.parse(text.slice(start, end)) as CdsEvent;
      const t = typeof e.event_time === "number" ? e.event_time : parseEventTime(e.event_time);
      acc = foldEvent(acc, e, city, t, KIND[e.event_type]);
      n++;
    }
    start = end + 1;
  }
  return { events: n, checksum: acc };
}

/** Every engine field from a MessagePack array of event maps, ids resolved through the catalogue. */
export function readMsgpackFields(bytes: Uint8Array, city: City): FieldsResult {
  const events = unpack(bytes) as CdsEvent[];
  let acc = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const t = typeof e.event_time === "number" ? e.event_time : parseEventTime(e.event_time);
    acc = foldEvent(acc, e, city, t, KIND[e.event_type]);
  }
  return { events: events.length, checksum: acc };
}

/** Every engine field from a decoded protobufjs EventList (int64 fields as Long), ids resolved through the catalogue. */
export function readProtoFields(list: ProtoEventList, city: City): FieldsResult {
  const events = list.events;
  let acc = 0;
  for (let i = 0; i < events.length; i++) {
    const p = events[i]!;
    const t = typeof p.event_time === "number" ? p.event_time : p.event_time.toNumber();
    // Fields absent from the message are not own properties (protobufjs keeps defaults on the prototype).
    const has = (k: keyof ProtoEvent) => Object.hasOwn(p, k);
    const cost = p.actual_cost;
    const e = {
      event_id: p.event_id,
      event_session_id: has("event_session_id") ? p.event_session_id : undefined,
      curb_zone_id: has("curb_zone_id") ? p.curb_zone_id : undefined,
      curb_space_id: has("curb_space_id") ? p.curb_space_id : undefined,
      data_source_device_id: has("data_source_device_id") ? p.data_source_device_id : undefined,
      vehicle_type: has("vehicle_type") ? p.vehicle_type : undefined,
      sequence_number: has("sequence_number") ? p.sequence_number : undefined,
      occupied: p.occupied,
      vehicle_count: has("vehicle_count") ? p.vehicle_count : undefined,
      actual_cost: !has("actual_cost") ? undefined : typeof cost === "number" ? cost : cost.toNumber(),
    } as CdsEvent;
    acc = foldEvent(acc, e, city, t, p.event_type);
  }
  return { events: events.length, checksum: acc };
}

/** Reads a FlatBuffers batch through the view's accessors (verification included). */
export function readView(bytes: Uint8Array, city: City): ReadResult {
  const v = EventBatchView.from(bytes, { city });
  let acc = 0;
  for (let i = 0; i < v.length; i++) acc = fold(acc, v.timeMs(i), v.kind(i));
  return { events: v.length, checksum: acc };
}

/** Reads a FlatBuffers batch through `words()`, the typed-array path kernels use (verification included). */
export function readWords(bytes: Uint8Array, city: City): ReadResult {
  const v = EventBatchView.from(bytes, { city });
  const w = v.words();
  const base = v.baseTimeMs;
  const strideWords = EVENT_STRIDE / 4;
  const kindWord = EV_KIND / 4;
  const timeWord = EV_TIME_MS / 4;
  let acc = 0;
  for (let p = 0; p < w.length; p += strideWords)
    acc = fold(acc, base + w[p + timeWord]!, w[p + kindWord]! & 0xff);
  return { events: v.length, checksum: acc };
}

/** Reads JSON Lines: UTF-8 decode, one JSON.parse per line. */
export function readJsonLines(bytes: Uint8Array): ReadResult {
  const text = utf8.decode(bytes);
  let acc = 0;
  let n = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (end > start) {
      const e = JSON.parse(text.slice(start, end)) as CdsEvent;
      const t = typeof e.event_time === "number" ? e.event_time : parseEventTime(e.event_time);
      acc = fold(acc, t, KIND[e.event_type]);
      n++;
    }
    start = end + 1;
  }
  return { events: n, checksum: acc };
}

/** Reads a MessagePack array of event maps (or records). */
export function readMsgpack(bytes: Uint8Array, unpacker: (b: Uint8Array) => unknown = unpack): ReadResult {
  const events = unpacker(bytes) as CdsEvent[];
  let acc = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const t = typeof e.event_time === "number" ? e.event_time : parseEventTime(e.event_time);
    acc = fold(acc, t, KIND[e.event_type]);
  }
  return { events: events.length, checksum: acc };
}

/** Reads a decoded protobufjs EventList. */
export function readProto(list: ProtoEventList): ReadResult {
  const events = list.events;
  let acc = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const t = typeof e.event_time === "number" ? e.event_time : e.event_time.toNumber();
    acc = fold(acc, t, e.event_type);
  }
  return { events: events.length, checksum: acc };
}

/** JSON Lines bytes of events. */
export function toJsonLines(events: readonly CdsEvent[]): Uint8Array {
  let text = "";
  for (const e of events) text += `${JSON.stringify(e)}\n`;
  return utf8Encoder.encode(text);
}

/** The `wire` suite: read the same events from four formats. Baseline `json`. */
export const wireSuite: SuiteDefinition = {
  name: "wire",
  summary: "read/decode the same events: FlatBuffers view vs JSON Lines vs msgpackr vs protobufjs",
  build({ profile }) {
    const { city, events, workload } = paluWorkload(profile);
    const n = events.length;
    const fb = encodeEvents(events, city);
    const fbNoIds = encodeEvents(events, city, undefined, { keepEventIds: false });
    const json = toJsonLines(events);
    const mp = pack(events);
    const records = new Packr({ useRecords: true });
    const mpRecords = records.pack(events);
    const proto = createProtoCodec();
    const pb = proto.encode(events);
    const perEvent = (b: Uint8Array) => ({ bytesPerEvent: b.byteLength / n });
    const cases: CaseSpec[] = [
      {
        name: "json",
        eventsPerOp: n,
        bytesPerOp: json.byteLength,
        extra: perEvent(json),
        fn: () => readJsonLines(json),
      },
      {
        name: "flatbuffers-view",
        eventsPerOp: n,
        bytesPerOp: fb.byteLength,
        extra: { ...perEvent(fb), note: "verify + DataView accessors; batch keeps event_id strings" },
        fn: () => readView(fb, city),
      },
      {
        name: "flatbuffers-words",
        eventsPerOp: n,
        bytesPerOp: fb.byteLength,
        extra: { ...perEvent(fb), note: "verify + Uint32Array words(); same bytes" },
        fn: () => readWords(fb, city),
      },
      {
        name: "flatbuffers-view-noids",
        eventsPerOp: n,
        bytesPerOp: fbNoIds.byteLength,
        extra: { ...perEvent(fbNoIds), note: "verify + accessors; encoded with keepEventIds: false" },
        fn: () => readView(fbNoIds, city),
      },
      {
        name: "msgpackr",
        eventsPerOp: n,
        bytesPerOp: mp.byteLength,
        extra: perEvent(mp),
        fn: () => readMsgpack(mp),
      },
      {
        name: "msgpackr-records",
        eventsPerOp: n,
        bytesPerOp: mpRecords.byteLength,
        extra: { ...perEvent(mpRecords), note: "msgpackr record extension (useRecords: true)" },
        fn: () => readMsgpack(mpRecords, (b) => records.unpack(b)),
      },
      {
        name: "protobufjs",
        eventsPerOp: n,
        bytesPerOp: pb.byteLength,
        extra: { ...perEvent(pb), note: "reflection-defined schema; int64 times decode as Long" },
        fn: () => readProto(proto.decode(pb)),
      },
    ];
    // Every field the engine uses, from each format; compared with each other (json-all-fields is the reference).
    const allFields = (name: string, bytes: Uint8Array, note: string, fn: () => FieldsResult): CaseSpec => ({
      name,
      eventsPerOp: n,
      bytesPerOp: bytes.byteLength,
      group: "all-fields",
      extra: { ...perEvent(bytes), note },
      fn,
    });
    cases.push(
      allFields(
        "json-all-fields",
        json,
        "JSON.parse per line, every engine field; bay, zone, device and class ids resolved through the catalogue",
        () => readJsonLinesFields(json, city),
      ),
      allFields(
        "flatbuffers-view-all-fields",
        fb,
        "verify + DataView accessors for every struct field (ids already resolved at encode)",
        () => readViewFields(fb, city),
      ),
      allFields(
        "flatbuffers-words-all-fields",
        fb,
        "verify + every struct field from words() (the event structs kernels read)",
        () => readWordsFields(fb, city),
      ),
      allFields(
        "msgpackr-all-fields",
        mp,
        "unpack, every engine field; ids resolved through the catalogue",
        () => readMsgpackFields(mp, city),
      ),
      allFields(
        "protobufjs-all-fields",
        pb,
        "decode (int64 as Long), presence by hasOwn, every engine field; ids resolved through the catalogue",
        () => readProtoFields(proto.decode(pb), city),
      ),
    );
    return { name: "wire", workload, baseline: "json", cases };
  },
};

/** The `wire-encode` suite: write the same plain events in four formats. Baseline `json`. */
export const wireEncodeSuite: SuiteDefinition = {
  name: "wire-encode",
  summary: "encode the same plain CDS events: encodeEvents vs JSON.stringify lines vs msgpackr vs protobufjs",
  build({ profile }) {
    const { city, events, workload } = paluWorkload(profile);
    const n = events.length;
    const proto = createProtoCodec();
    const records = new Packr({ useRecords: true });
    const perEvent = (b: Uint8Array) => ({ bytesPerEvent: b.byteLength / n });
    const cases: CaseSpec[] = [
      {
        name: "json",
        eventsPerOp: n,
        extra: perEvent(toJsonLines(events)),
        fn: () => toJsonLines(events),
        result: () => readJsonLines(toJsonLines(events)),
      },
      {
        name: "flatbuffers",
        eventsPerOp: n,
        extra: {
          ...perEvent(encodeEvents(events, city)),
          note: "validates every event and resolves ids against the catalogue",
        },
        fn: () => encodeEvents(events, city),
        result: () => readView(encodeEvents(events, city), city),
      },
      {
        name: "msgpackr",
        eventsPerOp: n,
        extra: perEvent(pack(events)),
        fn: () => pack(events),
        result: () => readMsgpack(pack(events)),
      },
      {
        name: "msgpackr-records",
        eventsPerOp: n,
        extra: perEvent(records.pack(events)),
        fn: () => records.pack(events),
        result: () => readMsgpack(records.pack(events), (b) => records.unpack(b)),
      },
      {
        name: "protobufjs",
        eventsPerOp: n,
        extra: { ...perEvent(proto.encode(events)), note: "fromObject + encode" },
        fn: () => proto.encode(events),
        result: () => readProto(proto.decode(proto.encode(events))),
      },
    ];
    return { name: "wire-encode", workload, baseline: "json", cases };
  },
};

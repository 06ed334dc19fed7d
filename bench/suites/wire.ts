/**
 * Wire suites: reading (`wire`) and writing (`wire-encode`) the same events as a parkir FlatBuffers
 * batch, JSON Lines, MessagePack (msgpackr) and Protocol Buffers (protobufjs).
 *
 * The events are the Palu trace (seed catalogue, generated with the default faults): mostly payment
 * sessions and attendant counts, as on Palu's streets, plus bay sensors and gate counters.
 * Every read case starts from bytes in memory and folds each event's time and kind into a checksum,
 * the least a consumer of any format must do. Every encode case starts from the same plain CDS
 * event objects; its output is decoded again (untimed) and must give the same checksum.
 */
import { Packr, pack, unpack } from "msgpackr";
import type { City } from "../../src/catalog/index.js";
import {
  type CdsEvent,
  EV_KIND,
  EV_TIME_MS,
  EVENT_STRIDE,
  EventBatchView,
  encodeEvents,
  KIND,
  parseEventTime,
} from "../../src/wire/index.js";
import { paluWorkload } from "../fixtures/workload.js";
import type { CaseSpec, SuiteDefinition } from "../harness.js";
import { createProtoCodec, type ProtoEventList } from "../peers/protobuf.js";

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

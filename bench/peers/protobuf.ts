/**
 * The protobufjs peer: a CDS event message defined with protobufjs' reflection API (no .proto file),
 * as a user who picked Protocol Buffers would write it. event_time is int64 (the natural type for ms
 * since the epoch); protobufjs decodes it as a Long when long.js is installed, as it is here.
 */
import protobuf from "protobufjs";
import { EVENT_TYPES } from "../../src/wire/index.js";

/** An int64 as protobufjs decodes it: a Long when long.js is installed, else a number. */
export type ProtoInt64 = number | { toNumber(): number };

/**
 * A decoded protobufjs event. Fields absent from the message are not own properties: protobufjs keeps their
 * defaults ("" or 0) on the prototype, so `Object.hasOwn` tells presence.
 */
export interface ProtoEvent {
  readonly event_id: string;
  readonly event_type: number;
  readonly event_time: ProtoInt64;
  readonly curb_zone_id: string;
  readonly curb_space_id: string;
  readonly data_source_device_id: string;
  readonly vehicle_type: string;
  readonly sequence_number: number;
  readonly occupied: boolean;
  readonly vehicle_count: number;
  readonly event_session_id: string;
  readonly actual_cost: ProtoInt64;
}

/** A decoded list of events. */
export interface ProtoEventList {
  readonly events: readonly ProtoEvent[];
}

/** The reflected `parkir.bench.EventList` type (`repeated Event events = 1`). */
export interface ProtoCodec {
  /** Encodes plain CDS events (enum names are mapped by fromObject). */
  encode(events: readonly object[]): Uint8Array;
  /** Decodes an EventList. */
  decode(bytes: Uint8Array): ProtoEventList;
}

/**
 * Builds the reflected schema once. Enum values equal parkir's wire kind codes, so a decoded
 * event_type is directly comparable with EventBatchView.kind().
 */
export function createProtoCodec(): ProtoCodec {
  const { Enum, Field, Root, Type } = protobuf;
  const kinds = new Enum("EventType", Object.fromEntries(EVENT_TYPES.map((t, i) => [t, i])));
  const event = new Type("Event")
    .add(new Field("event_id", 1, "string"))
    .add(new Field("event_type", 2, "EventType"))
    .add(new Field("event_time", 3, "int64"))
    .add(new Field("curb_zone_id", 4, "string"))
    .add(new Field("curb_space_id", 5, "string"))
    .add(new Field("data_source_device_id", 6, "string"))
    .add(new Field("vehicle_type", 7, "string"))
    .add(new Field("sequence_number", 8, "uint32"))
    .add(new Field("occupied", 9, "bool"))
    .add(new Field("vehicle_count", 10, "uint32"))
    .add(new Field("event_session_id", 11, "string"))
    .add(new Field("actual_cost", 12, "int64"));
  const list = new Type("EventList").add(new Field("events", 1, "Event", "repeated"));
  const root = new Root();
  root.define("parkir.bench").add(kinds).add(event).add(list);
  root.resolveAll();
  const type = root.lookupType("parkir.bench.EventList");
  return {
    encode: (events) => type.encode(type.fromObject({ events })).finish(),
    decode: (bytes) => type.decode(bytes) as unknown as ProtoEventList,
  };
}

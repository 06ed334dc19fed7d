/**
 * Byte layout of the hot `Event` struct (see schema/parkir.fbs). This file is the one place that
 * knows field offsets; kernels in JS and AssemblyScript read events through these constants.
 * A test checks them against the flatc-generated accessors.
 */

/** Bytes per event in the struct vector. */
export const EVENT_STRIDE = 24;
/** u32: event time in ms after the batch's base time. */
export const EV_TIME_MS = 0;
/** u32: dense bay index, or dense zone index when FLAG_TARGET_ZONE is set. */
export const EV_TARGET = 4;
/** u32: per-device sequence number, or a hash (see flags). */
export const EV_SEQ = 8;
/** i32: reported state (scheduled_report), vehicle count or amount. */
export const EV_VALUE = 12;
/** u8: EventKind code. */
export const EV_KIND = 16;
/** u8: VehicleClass code. */
export const EV_VEHICLE = 17;
/** u8: flag bits. */
export const EV_FLAGS = 18;
/** u8: reserved, always 0. */
export const EV_RESERVED = 19;
/** u32: dense device index, or NO_DEVICE. */
export const EV_DEVICE = 20;

/** `seq` is a 32-bit hash of the event_id (the event had no sequence number). */
export const FLAG_SEQ_IS_ID_HASH = 1;
/** `target` is a zone index, not a bay index. */
export const FLAG_TARGET_ZONE = 2;
/** `seq` is a 32-bit hash of the payment session id (payment events). */
export const FLAG_SEQ_IS_SESSION_HASH = 4;
/** Every defined flag bit. */
export const FLAGS_ALL = FLAG_SEQ_IS_ID_HASH | FLAG_TARGET_ZONE | FLAG_SEQ_IS_SESSION_HASH;

/** `device` value for events without a catalogued device (e.g. an attendant's count). */
export const NO_DEVICE = 0xffffffff;
/** Largest span of event times in one batch: times are u32 ms offsets. */
export const BATCH_SPAN_MS_MAX = 0xffffffff;
/** Largest batch accepted by verifyBatch by default (64 MiB, about 2.7 M events). */
export const BATCH_BYTES_MAX = 64 * 1024 * 1024;
/** FlatBuffers file identifier of an EventBatch. */
export const BATCH_IDENTIFIER = "PKR1";

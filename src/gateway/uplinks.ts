/**
 * Messages off the broker → CDS events: The Things Stack v3 uplinks, ChirpStack v4 uplink events, and plain
 * CDS event JSON. Pure functions of (topic, bytes, catalogue, decoders, clock): the same message always gives
 * the same events, with an `event_id` that names the uplink (device EUI, frame counter, the network server's
 * receive time), so a re-delivered or back-filled copy is recognised as the same event.
 */
import { type City, NONE } from "../catalog/index.js";
import type { KernelKind } from "../runtime/kernel.js";
import { type CdsEvent, eventIssues, parseEventTime } from "../wire/index.js";
import {
  boschTps110,
  type DecodedPayload,
  type DecoderRegistry,
  decodeObject,
  nwaveNps405,
  type PayloadDecoder,
  type SensorHealth,
} from "./decoders.js";
import { ParkirMessageError } from "./errors.js";
import { euiIndex } from "./eui-index.js";
import {
  type ScannedUplink,
  scannedDecoded,
  scannedPayload,
  scanUplinkBytes,
  UPLINK_RADIO_GATEWAYS_MAX,
  type UplinkFields,
} from "./uplink-scan.js";
import { scanUplinkFast } from "./uplink-wasm.js";

/** Where a message came from. */
export type MessageSource = "tts" | "chirpstack" | "cds";

/** Health of one device, from its heartbeat or startup message and the radio metadata of its uplink. */
export interface DeviceHealth extends SensorHealth {
  /** Catalogue device id. */
  readonly device: string;
  /** LoRaWAN device EUI (upper-case hex). */
  readonly devEui: string;
  /** Network server's receive time, ms since the epoch. */
  readonly atMs: number;
  /** Best RSSI over the gateways that heard the uplink, dBm. */
  readonly rssi?: number;
  /** Best SNR over the gateways that heard the uplink, dB. */
  readonly snr?: number;
}

/** What one message holds. */
export interface ParsedMessage {
  readonly source: MessageSource;
  /** Valid events, in message order. */
  readonly events: CdsEvent[];
  /** Events of the message that were refused (CDS arrays keep their good events). */
  readonly refused: ParkirMessageError[];
  /** Device health carried by the message, if any. */
  readonly health?: DeviceHealth;
}

/** How messages are read. */
export interface ParseContext {
  readonly city: City;
  readonly decoders: DecoderRegistry;
  /** Processing time, ms. */
  readonly nowMs: number;
  /** An event later than now + this is refused ("clock-skew"). */
  readonly maxFutureMs: number;
  /** An event older than now − this is refused ("clock-skew"). */
  readonly maxAgeMs: number;
  /** Topic filter of plain CDS events (MQTT wildcards + and # allowed). */
  readonly cdsTopic: string;
  /**
   * Which uplink scanner reads uplink bytes: "wasm" (the default: the SIMD kernel where this engine runs it,
   * else the JavaScript scanner) or "js" (the JavaScript scanner). Both give the same events.
   */
  readonly kernel?: KernelKind;
}

/** Most events in one CDS message. */
export const CDS_EVENTS_PER_MESSAGE_MAX = 10_000;

const TTS_TOPIC = /^v3\/[^/]+\/devices\/[^/]+\/up$/;
const CHIRPSTACK_TOPIC = /^application\/[^/]+\/device\/[0-9a-fA-F]{16}\/event\/up$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const EUI = /^[0-9A-Fa-f]{16}$/;
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Whether an MQTT topic matches a filter with `+` and `#` wildcards. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** The source a topic belongs to, or undefined for a topic outside the patterns. */
export function topicSource(topic: string, cdsTopic: string): MessageSource | undefined {
  // The first byte rules out one uplink pattern before its regular expression runs.
  const c = topic.charCodeAt(0);
  if (c === 0x76 && TTS_TOPIC.test(topic)) return "tts";
  if (c === 0x61 && CHIRPSTACK_TOPIC.test(topic)) return "chirpstack";
  if (topicMatches(cdsTopic, topic)) return "cds";
  return undefined;
}

/**
 * Reads one message.
 *
 * @throws ParkirMessageError when the whole message is refused (its reason says why).
 */
export function parseMessage(topic: string, payload: Uint8Array, cx: ParseContext): ParsedMessage {
  const source = topicSource(topic, cx.cdsTopic);
  if (source === undefined)
    throw new ParkirMessageError("unknown-topic", `topic ${topic} matches no pattern`);
  if (source !== "cds") {
    // The scanner reads the usual uplink straight from its bytes; JSON.parse reads (and judges) the rest.
    const sc = cx.kernel === "js" ? scanUplinkBytes(source, payload) : scanUplinkFast(source, payload);
    if (sc !== undefined) {
      const out = scannedEvents(source, sc, cx);
      if (out !== undefined) return out;
    }
  }
  return parseJsonMessage(source, payload, cx);
}

/**
 * parseMessage without the uplink scanner: every message through `JSON.parse` (the scanner's fallback, and the
 * reference it is tested against).
 *
 * @throws ParkirMessageError when the whole message is refused (its reason says why).
 */
export function parseMessageJson(topic: string, payload: Uint8Array, cx: ParseContext): ParsedMessage {
  const source = topicSource(topic, cx.cdsTopic);
  if (source === undefined)
    throw new ParkirMessageError("unknown-topic", `topic ${topic} matches no pattern`);
  return parseJsonMessage(source, payload, cx);
}

function parseJsonMessage(source: MessageSource, payload: Uint8Array, cx: ParseContext): ParsedMessage {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(payload));
  } catch (e) {
    throw new ParkirMessageError("bad-json", (e as Error).message);
  }
  if (source === "cds") return parseCds(json, cx);
  return parseUplink(source, json, cx);
}

function record(o: unknown, what: string): Record<string, unknown> {
  if (typeof o !== "object" || o === null || Array.isArray(o))
    throw new ParkirMessageError("bad-uplink", `${what} must be an object`);
  return o as Record<string, unknown>;
}

/** A counter or port: absent means 0 (both network servers omit zero values). */
function uint(v: unknown, max: number, what: string): number {
  if (v === undefined) return 0;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max)
    throw new ParkirMessageError("bad-uplink", `${what} must be an integer in [0, ${max}]`);
  return v;
}

function checkTime(ms: number, cx: ParseContext, device: string): void {
  if (ms > cx.nowMs + cx.maxFutureMs || ms < cx.nowMs - cx.maxAgeMs) {
    throw new ParkirMessageError(
      "clock-skew",
      `event time ${new Date(ms).toISOString()} is too far from the clock ${new Date(cx.nowMs).toISOString()}`,
      device,
    );
  }
}

function parseUplink(source: "tts" | "chirpstack", json: unknown, cx: ParseContext): ParsedMessage {
  const o = record(json, "uplink");
  let f: UplinkFields;
  if (source === "tts") {
    const ids = record(o.end_device_ids, "end_device_ids");
    const up = record(o.uplink_message, "uplink_message");
    f = {
      devEui: ids.dev_eui,
      fCnt: uint(up.f_cnt, 0xffffffff, "uplink_message.f_cnt"),
      fPort: uint(up.f_port, 255, "uplink_message.f_port"),
      data: up.frm_payload ?? "",
      decoded: up.decoded_payload,
      timeMs: typeof o.received_at === "string" ? parseEventTime(o.received_at) : Number.NaN,
      radio: bestRadio(up.rx_metadata),
    };
  } else {
    const info = record(o.deviceInfo, "deviceInfo");
    f = {
      devEui: info.devEui,
      fCnt: uint(o.fCnt, 0xffffffff, "fCnt"),
      fPort: uint(o.fPort, 255, "fPort"),
      data: o.data ?? "",
      decoded: o.object,
      timeMs: typeof o.time === "string" ? parseEventTime(o.time) : Number.NaN,
      radio: bestRadio(o.rxInfo),
    };
  }
  return uplinkEvents(source, f, cx);
}

/**
 * The events of an uplink the scanner read, or undefined when its EUI, payload or device is not one the fast
 * path resolves (JSON.parse then reads the message and names the error).
 */
function scannedEvents(
  source: "tts" | "chirpstack",
  sc: ScannedUplink,
  cx: ParseContext,
): ParsedMessage | undefined {
  const euis = euiIndex(cx.city);
  const index = sc.deviceIndex(euis);
  if (index === NONE) return undefined;
  const dec = deviceDecoders(cx).of(index);
  // A built-in decoder keeps no reference to the bytes: they may go to a scratch array.
  const bytes = scannedPayload(sc, dec !== null && BUILT_IN_DECODERS.has(dec));
  if (bytes === undefined) return undefined;
  return deviceEvents(
    source,
    euis.idPrefix(index),
    euis.eui(index),
    index,
    dec,
    sc.fCnt,
    sc.fPort,
    bytes,
    undefined,
    sc,
    sc.timeMs,
    sc.rssi,
    sc.snr,
    cx,
  );
}

/** An uplink's events and health from the fields JSON.parse read: each checked in the order errors are named. */
function uplinkEvents(source: "tts" | "chirpstack", f: UplinkFields, cx: ParseContext): ParsedMessage {
  const { devEui, data, timeMs } = f;
  if (typeof devEui !== "string" || !EUI.test(devEui))
    throw new ParkirMessageError("bad-uplink", "device EUI must be 16 hex digits");
  const eui = devEui.toUpperCase();
  if (Number.isNaN(timeMs))
    throw new ParkirMessageError("bad-uplink", "receive time must be RFC 3339 with an offset", eui);
  if (typeof data !== "string")
    throw new ParkirMessageError("bad-uplink", "payload must be a base64 string", eui);
  if (!BASE64.test(data)) throw new ParkirMessageError("bad-base64", "payload is not valid base64", eui);
  const index = cx.city.deviceIndexByEui(eui);
  if (index === NONE)
    throw new ParkirMessageError("unknown-device", `no device with EUI ${eui} in the catalogue`, eui);
  const bytes = Buffer.from(data, "base64");
  const { rssi = Number.NEGATIVE_INFINITY, snr = Number.NEGATIVE_INFINITY } = f.radio;
  return deviceEvents(
    source,
    `lw:${eui}:`,
    eui,
    index,
    deviceDecoders(cx).of(index),
    f.fCnt,
    f.fPort,
    bytes,
    f.decoded,
    undefined,
    timeMs,
    rssi,
    snr,
    cx,
  );
}

/** The decoders that keep no reference to the bytes they are given (the built-in ones). */
const BUILT_IN_DECODERS: ReadonlySet<PayloadDecoder> = new Set([nwaveNps405, boschTps110]);

/** Each catalogue device's payload decoder, for one catalogue and decoder registry (both immutable). */
class DeviceDecoders {
  readonly city: City;
  readonly registry: DecoderRegistry;
  /** By device index: its model's decoder, null when there is none, undefined until first asked. */
  private readonly byDevice: (PayloadDecoder | null | undefined)[];

  constructor(city: City, registry: DecoderRegistry) {
    this.city = city;
    this.registry = registry;
    this.byDevice = new Array<PayloadDecoder | null | undefined>(city.deviceCount).fill(undefined);
  }

  /** The decoder of device `index`'s model, or null when it names no model or no decoder is registered for it. */
  of(index: number): PayloadDecoder | null {
    const d = this.byDevice[index];
    if (d !== undefined) return d;
    const model = this.city.deviceModel(index);
    const found = (model === undefined ? undefined : this.registry.get(model)) ?? null;
    if (index >= 0 && index < this.byDevice.length) this.byDevice[index] = found;
    return found;
  }
}

/** The device decoders asked for last (a gateway has one catalogue and one registry). */
let lastDecoders: DeviceDecoders | undefined;

function deviceDecoders(cx: ParseContext): DeviceDecoders {
  const d = lastDecoders;
  if (d !== undefined && d.city === cx.city && d.registry === cx.decoders) return d;
  return (lastDecoders = new DeviceDecoders(cx.city, cx.decoders));
}

/**
 * The events and health of an uplink of a known device, however it was read. `idPrefix` is `lw:{eui}:`; `dec`
 * is the device's decoder (null: none). The network server's decoded payload is `decoded`, or the one `scanned`
 * found (read only when no decoder takes the payload); `rssi` and `snr` are -Infinity when no gateway gave one.
 */
function deviceEvents(
  source: "tts" | "chirpstack",
  idPrefix: string,
  eui: string,
  index: number,
  dec: PayloadDecoder | null,
  fCnt: number,
  fPort: number,
  bytes: Uint8Array,
  decoded: unknown,
  scanned: ScannedUplink | undefined,
  timeMs: number,
  rssi: number,
  snr: number,
  cx: ParseContext,
): ParsedMessage {
  const device = cx.city.deviceId(index);
  checkTime(timeMs, cx, device);
  let p: DecodedPayload;
  const obj = dec !== null ? undefined : scanned !== undefined ? scannedDecoded(scanned) : decoded;
  if (obj !== undefined && obj !== null) p = decodeObject(obj);
  else if (dec !== null) {
    if (fPort === 0)
      throw new ParkirMessageError("unknown-port", "fPort 0 carries no application payload", device);
    try {
      p = dec.decode(bytes, fPort);
    } catch (e) {
      if (e instanceof ParkirMessageError) throw new ParkirMessageError(e.reason, e.message, device);
      const model = cx.city.deviceModel(index);
      throw new ParkirMessageError("bad-payload", `decoder ${model} failed: ${(e as Error).message}`, device);
    }
  } else {
    const model = cx.city.deviceModel(index);
    throw new ParkirMessageError(
      "unknown-model",
      model === undefined
        ? `device ${device} names no sensor model and the uplink carries no decoded payload`
        : `no decoder registered for model ${model}`,
      device,
    );
  }
  // One event at most: an array literal of it (no growing backing store).
  let events: CdsEvent[] = [];
  const type = p.eventType;
  if (type !== null) {
    const e: CdsEvent = {
      event_id: `${idPrefix}${counterString(fCnt)}:${integerString(timeMs)}`,
      event_type: type,
      event_time: timeMs,
      data_source_device_id: device,
      sequence_number: fCnt,
    };
    if (type === "scheduled_report") e.occupied = p.occupied === true;
    if ((type === "enter_area" || type === "exit_area") && p.vehicleCount !== undefined)
      e.vehicle_count = p.vehicleCount;
    events = [e];
  }
  if (p.health === undefined) return { source, events, refused: [] };
  const health: DeviceHealth = { device, devEui: eui, atMs: timeMs, ...p.health };
  if (rssi !== Number.NEGATIVE_INFINITY) (health as { rssi?: number }).rssi = rssi;
  if (snr !== Number.NEGATIVE_INFINITY) (health as { snr?: number }).snr = snr;
  return { source, events, refused: [], health };
}

/** "000" to "999". */
const DIGITS3: readonly string[] = Array.from({ length: 1000 }, (_, k) => String(k).padStart(3, "0"));
/** The millions of the last time integerString wrote, and their digits (they change every 17 minutes). */
let lastMillions = -1;
let lastMillionsText = "";

/**
 * `String(t)` of an integer, faster for the 13-digit times of today: a double converts slowly, so the millions
 * (kept from the last call) and two groups of three digits (from a table) are joined instead.
 */
export function integerString(t: number): string {
  if (!(t >= 1e9 && t < 1e15 && Number.isInteger(t))) return String(t);
  const hi = Math.floor(t / 1e6);
  const lo = t - hi * 1e6;
  const a = Math.floor(lo / 1000);
  if (hi !== lastMillions) {
    lastMillions = hi;
    lastMillionsText = String(hi);
  }
  return lastMillionsText + DIGITS3[a]! + DIGITS3[lo - a * 1000]!;
}

/** `String(v)` of a counter, through a small integer when it is one (a double read from memory converts slowly). */
function counterString(v: number): string {
  return v <= 0x3fffffff ? String(v | 0) : String(v);
}

function bestRadio(rx: unknown): { rssi?: number; snr?: number } {
  if (!Array.isArray(rx)) return {};
  let rssi = Number.NEGATIVE_INFINITY;
  let snr = Number.NEGATIVE_INFINITY;
  for (const g of rx.slice(0, UPLINK_RADIO_GATEWAYS_MAX)) {
    if (typeof g !== "object" || g === null) continue;
    const r = (g as Record<string, unknown>).rssi;
    const s = (g as Record<string, unknown>).snr;
    if (typeof r === "number" && r > rssi) rssi = r;
    if (typeof s === "number" && s > snr) snr = s;
  }
  return {
    ...(Number.isFinite(rssi) ? { rssi } : {}),
    ...(Number.isFinite(snr) ? { snr } : {}),
  };
}

function parseCds(json: unknown, cx: ParseContext): ParsedMessage {
  const list = Array.isArray(json) ? json : [json];
  if (list.length > CDS_EVENTS_PER_MESSAGE_MAX)
    throw new ParkirMessageError(
      "too-large",
      `${list.length} events in one message (at most ${CDS_EVENTS_PER_MESSAGE_MAX})`,
    );
  const events: CdsEvent[] = [];
  const refused: ParkirMessageError[] = [];
  for (let i = 0; i < list.length; i++) {
    const e = list[i] as CdsEvent;
    const issues = eventIssues(e);
    const where = list.length > 1 ? `event ${i}: ` : "";
    if (issues.length > 0) {
      const what = issues.map((x) => (x.path === "" ? x.message : `${x.path}: ${x.message}`)).join("; ");
      refused.push(new ParkirMessageError("bad-event", `${where}${what}`, e?.data_source_device_id));
      continue;
    }
    const unknown = unknownId(e, cx.city);
    if (unknown !== undefined) {
      refused.push(new ParkirMessageError("unknown-device", `${where}${unknown}`, e.data_source_device_id));
      continue;
    }
    try {
      checkTime(parseEventTime(e.event_time), cx, e.data_source_device_id ?? e.curb_zone_id ?? "");
    } catch (err) {
      refused.push(err as ParkirMessageError);
      continue;
    }
    events.push(e);
  }
  return { source: "cds", events, refused };
}

function unknownId(e: CdsEvent, city: City): string | undefined {
  if (e.curb_zone_id !== undefined && city.zoneIndex(e.curb_zone_id) === NONE)
    return `unknown zone ${e.curb_zone_id}`;
  if (e.curb_space_id !== undefined && city.bayIndex(e.curb_space_id) === NONE)
    return `unknown bay ${e.curb_space_id}`;
  if (e.data_source_device_id !== undefined && city.deviceIndex(e.data_source_device_id) === NONE) {
    // Attendant devices are not in the catalogue: a zone event may name any device as long as it names a zone.
    if (e.curb_zone_id === undefined) return `unknown device ${e.data_source_device_id}`;
  }
  return undefined;
}

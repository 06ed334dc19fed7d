/**
 * The `uplinks` suite: LoRaWAN uplink JSON -> CDS events, the first step of every gateway message. The messages
 * are the simulated fleet's bay-sensor uplinks for a generated Palu trace, half The Things Stack v3, half
 * ChirpStack v4, with the metadata those network servers add to a real uplink (correlation ids, data rate,
 * airtime, network ids, gateway location and context...). Cases:
 *
 * - `json-extract`: what a competent user writes — TextDecoder, JSON.parse, then the fields an event needs (device
 *   EUI, frame counter, port, payload, receive time, best RSSI) read off the object. No validation, no catalogue,
 *   no payload decoding: the comparison favours it.
 * - `parkir-scan`: parseMessage — the uplink scanner reads those fields straight from the bytes, then the
 *   catalogue lookup, the sensor model's payload decoder and the event.
 * - `parkir-json`: parseMessageJson — the same with JSON.parse instead of the scanner (its fallback).
 *
 * Every case yields each uplink's (frame counter, receive time), compared key by key with the peer's before timing
 * and in every timed run; the parkir cases also check every event's type, device and state against the JSON.parse
 * path's, in every run.
 */
import { type City, loadCity } from "../../src/catalog/index.js";
import {
  defaultDecoders,
  type FleetMessage,
  fleetMessages,
  type ParseContext,
  parseMessage,
  parseMessageJson,
} from "../../src/gateway/index.js";
import { generateTrace, paluCatalog } from "../../src/generate/index.js";
import { BENCH_SEED, PALU_DAY_MS } from "../fixtures/workload.js";
import type { Profile, SuiteDefinition } from "../harness.js";

/** Hours of trace per profile. */
const UPLINK_HOURS: Readonly<Record<Profile, number>> = { full: 12, quick: 2, tiny: 0.5 };

/** One uplink as the checks see it. */
type Key = readonly [fCnt: number, timeMs: number];

/** The fleet's uplinks (no plain CDS messages), both formats interleaved, with a real network server's metadata. */
export function uplinkMessages(city: City, profile: Profile): FleetMessage[] {
  const events = generateTrace(city, {
    seed: BENCH_SEED,
    startMs: PALU_DAY_MS + 12 * 3_600_000,
    hours: UPLINK_HOURS[profile],
    faults: false,
  });
  const out: FleetMessage[] = [];
  const tts = fleetMessages(city, events, { format: "tts" }).filter((m) => m.topic.startsWith("v3/"));
  const cs = fleetMessages(city, events, { format: "chirpstack" }).filter((m) =>
    m.topic.startsWith("application/"),
  );
  for (let i = 0; i < tts.length; i++) {
    const m = i % 2 === 0 ? tts[i]! : cs[i]!;
    const body = JSON.parse(m.payload.toString()) as Record<string, unknown>;
    out.push({
      ...m,
      payload: Buffer.from(JSON.stringify(i % 2 === 0 ? ttsFull(body, i) : chirpstackFull(body, i))),
    });
  }
  return out;
}

/** A The Things Stack v3 uplink with the fields its MQTT integration publishes besides the fleet's. */
function ttsFull(b: Record<string, unknown>, i: number): unknown {
  const ids = b.end_device_ids as Record<string, unknown>;
  const up = b.uplink_message as Record<string, unknown>;
  const rx = (up.rx_metadata as Record<string, unknown>[]).map((g) => ({
    ...g,
    timestamp: 2_000_000_000 + i,
    channel_rssi: g.rssi,
    location: { latitude: -0.8917, longitude: 119.8707, altitude: 12, source: "SOURCE_REGISTRY" },
    uplink_token: "ChIKEAoOcGFsdS1ndy0wMRABGhYKFAoSCAESDkI4MjdFQkZGRkUwMDAwMDE=",
    channel_index: 3,
    received_at: b.received_at,
  }));
  return {
    end_device_ids: { ...ids, join_eui: "70B3D57ED0000000" },
    correlation_ids: [
      `as:up:01HF${i.toString(36).toUpperCase().padStart(22, "0")}`,
      `rpc:/ttn.lorawan.v3.AppAs/SimulateUplink:${i}`,
    ],
    received_at: b.received_at,
    uplink_message: {
      session_key_id: "AYvC2v5dT8m2Z3lJ0xXc0g==",
      ...up,
      rx_metadata: rx,
      settings: {
        data_rate: { lora: { bandwidth: 125000, spreading_factor: 10, coding_rate: "4/5" } },
        frequency: "923200000",
        timestamp: 2_000_000_000 + i,
      },
      received_at: b.received_at,
      consumed_airtime: "0.370688s",
      network_ids: {
        net_id: "000013",
        ns_id: "EC656E0000000181",
        tenant_id: "ttn",
        cluster_id: "au1",
        cluster_address: "au1.cloud.thethings.network",
      },
    },
  };
}

/** A ChirpStack v4 uplink event with the fields its MQTT integration publishes besides the fleet's. */
function chirpstackFull(b: Record<string, unknown>, i: number): unknown {
  const rx = (b.rxInfo as Record<string, unknown>[]).map((g) => ({
    ...g,
    uplinkId: 40_000 + i,
    nsTime: b.time,
    timeSinceGpsEpoch: "1417000000.123s",
    channel: 3,
    location: { latitude: -0.8917, longitude: 119.8707, altitude: 12 },
    context: "EFwMtA==",
    metadata: { region_config_id: "as923", region_common_name: "AS923" },
    crcStatus: "CRC_OK",
  }));
  return {
    ...b,
    deviceInfo: {
      ...(b.deviceInfo as object),
      applicationName: "parkir-palu",
      deviceProfileId: "0b3f9c2e-5d1a-4c7e-8f6b-2a9d0e4c1b7a",
      deviceProfileName: "bay sensor",
      deviceClassEnabled: "CLASS_A",
      tags: {},
    },
    adr: true,
    dr: 2,
    confirmed: false,
    rxInfo: rx,
    txInfo: {
      frequency: 923200000,
      modulation: { lora: { bandwidth: 125000, spreadingFactor: 10, codeRate: "CR_4_5" } },
    },
  };
}

/** The peer: JSON.parse and the fields an event needs, off the object. */
function jsonExtract(messages: readonly FleetMessage[]): Key[] {
  const td = new TextDecoder();
  const out: Key[] = [];
  for (const m of messages) {
    const o = JSON.parse(td.decode(m.payload));
    let eui: string;
    let fCnt: number;
    let fPort: number;
    let data: string;
    let time: number;
    let rx: { rssi?: number }[];
    if (m.topic.startsWith("v3/")) {
      const up = o.uplink_message;
      eui = o.end_device_ids.dev_eui;
      fCnt = up.f_cnt ?? 0;
      fPort = up.f_port ?? 0;
      data = up.frm_payload ?? "";
      time = Date.parse(o.received_at);
      rx = up.rx_metadata ?? [];
    } else {
      eui = o.deviceInfo.devEui;
      fCnt = o.fCnt ?? 0;
      fPort = o.fPort ?? 0;
      data = o.data ?? "";
      time = Date.parse(o.time);
      rx = o.rxInfo ?? [];
    }
    let rssi = Number.NEGATIVE_INFINITY;
    for (const g of rx) if (typeof g.rssi === "number" && g.rssi > rssi) rssi = g.rssi;
    if (eui.length !== 16 || fPort > 255 || data.length > 255 || !(rssi < 0))
      throw new Error("uplinks: bad message");
    out.push([fCnt, time]);
  }
  return out;
}

/** What every parkir event must be, per event in order: its type, device and state (the JSON.parse path's). */
interface WantEvents {
  readonly types: string[];
  readonly devices: string[];
  readonly occupied: (boolean | undefined)[];
}

/** What parkir's runs give beyond the peer's keys: how many events differ from the JSON.parse path's. */
interface ParkirRun {
  readonly keys: Key[];
  readonly wrong: number;
}

/** The events of the JSON.parse path: the reference every parkir run is checked against. */
function wantEvents(messages: readonly FleetMessage[], cx: ParseContext): WantEvents {
  const want: WantEvents = { types: [], devices: [], occupied: [] };
  for (const m of messages) {
    for (const e of parseMessageJson(m.topic, m.payload, cx).events) {
      want.types.push(e.event_type);
      want.devices.push(e.data_source_device_id!);
      want.occupied.push(e.occupied);
    }
  }
  return want;
}

/** parkir: each message's events (one per uplink here), keyed the same way, each checked against `want`. */
function parkir(
  messages: readonly FleetMessage[],
  cx: ParseContext,
  scan: boolean,
  want: WantEvents,
): ParkirRun {
  const keys: Key[] = [];
  let wrong = 0;
  const parse = scan ? parseMessage : parseMessageJson;
  for (const m of messages) {
    for (const e of parse(m.topic, m.payload, cx).events) {
      const k = keys.length;
      keys.push([e.sequence_number!, e.event_time as number]);
      if (
        e.event_type !== want.types[k] ||
        e.data_source_device_id !== want.devices[k] ||
        e.occupied !== want.occupied[k]
      )
        wrong++;
    }
  }
  return { keys, wrong };
}

/** Checks a parkir run against the peer's keys and the JSON.parse path's events. */
function checkedParkir(name: string, want: readonly Key[], got: ParkirRun): number {
  if (got.wrong !== 0)
    throw new Error(
      `uplinks/${name}: ${got.wrong} events differ from the JSON.parse path's (type, device, state)`,
    );
  return checked(name, want, got.keys);
}

/** Checks a run against the reference, key by key (every uplink's frame counter and receive time); its count. */
function checked(name: string, want: readonly Key[], got: readonly Key[]): number {
  if (got.length !== want.length)
    throw new Error(`uplinks/${name}: ${got.length} uplinks; expected ${want.length}`);
  for (let k = 0; k < got.length; k++) {
    const g = got[k]!;
    const w = want[k]!;
    if (g[0] !== w[0] || g[1] !== w[1])
      throw new Error(`uplinks/${name}: uplink ${k} is (${g.join(", ")}); expected (${w.join(", ")})`);
  }
  return got.length;
}

/** The `uplinks` suite. Baseline `json-extract`. */
export const uplinksSuite: SuiteDefinition = {
  name: "uplinks",
  summary:
    "TTS v3 / ChirpStack v4 uplink JSON -> events: parkir's uplink scanner vs JSON.parse + field extraction",
  build({ profile, log }) {
    const city = loadCity(paluCatalog());
    const messages = uplinkMessages(city, profile);
    const n = messages.length;
    let bytes = 0;
    let last = 0;
    for (const m of messages) {
      bytes += m.payload.length;
      last = Math.max(last, m.timeMs);
    }
    const cx: ParseContext = {
      city,
      decoders: defaultDecoders(),
      nowMs: last,
      maxFutureMs: 600_000,
      maxAgeMs: 30 * 86_400_000,
      cdsTopic: "parkir/palu/in/events",
    };
    const want = jsonExtract(messages);
    // The event types, devices and states both parkir paths must give (the peer reads no payload).
    const events = wantEvents(messages, cx);
    log(`${n} uplinks, ${bytes} bytes (${Math.round(bytes / n)} B per message)`);
    return {
      name: "uplinks",
      workload: {
        description: `Bay-sensor uplinks of a fault-free generated Palu trace (${UPLINK_HOURS[profile]} h), alternately The Things Stack v3 and ChirpStack v4 JSON with a real network server's metadata`,
        seed: BENCH_SEED,
        sizes: { messages: n, bytes },
      },
      baseline: "json-extract",
      ratios: {
        "uplink parkir / JSON.parse+extraction": ["parkir-scan", "json-extract"],
        "uplink parkir / parkir JSON.parse path": ["parkir-scan", "parkir-json"],
      },
      cases: [
        {
          name: "json-extract",
          eventsPerOp: n,
          bytesPerOp: bytes,
          extra: {
            note: "TextDecoder, JSON.parse, fields off the object (no validation, catalogue or decoder)",
          },
          fn: () => checked("json-extract", want, jsonExtract(messages)),
          result: () => want,
        },
        {
          name: "parkir-scan",
          eventsPerOp: n,
          bytesPerOp: bytes,
          extra: { note: "parseMessage: uplink scanner, validation, catalogue, payload decoder, CDS event" },
          fn: () => checkedParkir("parkir-scan", want, parkir(messages, cx, true, events)),
          result: () => parkir(messages, cx, true, events).keys,
        },
        {
          name: "parkir-json",
          eventsPerOp: n,
          bytesPerOp: bytes,
          extra: { note: "parseMessageJson: JSON.parse, validation, catalogue, payload decoder, CDS event" },
          fn: () => checkedParkir("parkir-json", want, parkir(messages, cx, false, events)),
          result: () => parkir(messages, cx, false, events).keys,
        },
      ],
    };
  },
};

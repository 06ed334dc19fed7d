/**
 * A simulated sensor fleet: CDS events (e.g. a generated Palu trace) as the messages a LoRaWAN network server
 * and other sources would publish — bay sensor events as The Things Stack v3 or ChirpStack v4 uplinks with the
 * sensor model's payload bytes, every other event as plain CDS JSON — and a publisher that paces them on a clock.
 */
import type { MqttClient } from "mqtt";
import { type City, NONE } from "../catalog/index.js";
import { type CdsEvent, parseEventTime } from "../wire/index.js";

/** Uplink JSON format. */
export type UplinkFormat = "tts" | "chirpstack";

/** One message to publish. */
export interface FleetMessage {
  readonly topic: string;
  readonly payload: Buffer;
  /** Event time, ms (the publisher waits for the clock to reach it). */
  readonly timeMs: number;
}

/** Options of fleetMessages. */
export interface FleetOptions {
  readonly format: UplinkFormat;
  /** The Things Stack application id, or the ChirpStack application UUID. Default "parkir-palu" / a fixed UUID. */
  readonly application?: string;
  /** The Things Stack tenant (topic `v3/app@tenant/...`). Default none (open-source edition). */
  readonly tenant?: string;
  /** Topic of plain CDS events. Default "parkir/<city id>/in/events". */
  readonly cdsTopic?: string;
}

const CHIRPSTACK_APP = "5f8e2c1a-7b3d-4e6f-9a0b-1c2d3e4f5a6b";

/** Payload bytes and fPort a sensor model sends for an event, or undefined when the model sends no such uplink. */
export function encodeSensorPayload(
  model: string,
  e: CdsEvent,
): { fPort: number; bytes: Uint8Array } | undefined {
  const occ = e.event_type === "park_start" ? 1 : e.event_type === "park_end" ? 0 : e.occupied ? 1 : 0;
  const status = e.event_type === "park_start" || e.event_type === "park_end";
  if (!status && e.event_type !== "scheduled_report") return undefined;
  if (model === "nwave-nps405") {
    // Heartbeat: battery 3.5 V = (2500 + 4·250) mV, 30 °C = int8(40)/2 + 10, no hardware fault.
    return status
      ? { fPort: 1, bytes: Uint8Array.of(occ) }
      : { fPort: 2, bytes: Uint8Array.of(occ, 250, 40) };
  }
  if (model === "bosch-tps110")
    return status ? { fPort: 1, bytes: Uint8Array.of(occ) } : { fPort: 2, bytes: Uint8Array.of(occ, 29) };
  return undefined;
}

function hex(n: number, width: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(width, "0");
}

/**
 * The messages for `events`, in the same order. A bay event whose device has an EUI and a model with a known
 * payload becomes an uplink (its `sequence_number`, else a per-device counter, is the frame counter); every
 * other event goes to the CDS topic.
 */
export function fleetMessages(city: City, events: readonly CdsEvent[], o: FleetOptions): FleetMessage[] {
  const out: FleetMessage[] = [];
  const counters = new Map<number, number>();
  const cdsTopic = o.cdsTopic ?? `parkir/${city.id}/in/events`;
  for (const e of events) {
    const timeMs = parseEventTime(e.event_time);
    const device = e.data_source_device_id === undefined ? NONE : city.deviceIndex(e.data_source_device_id);
    const eui = device === NONE ? undefined : euiOf(city, device);
    const model = device === NONE ? undefined : city.deviceModel(device);
    const p = eui === undefined || model === undefined ? undefined : encodeSensorPayload(model, e);
    if (p === undefined || eui === undefined) {
      out.push({ topic: cdsTopic, payload: Buffer.from(JSON.stringify(e)), timeMs });
      continue;
    }
    const fCnt = e.sequence_number ?? (counters.get(device) ?? 0) + 1;
    counters.set(device, fCnt);
    const time = new Date(timeMs).toISOString();
    const data = Buffer.from(p.bytes).toString("base64");
    const devAddr = hex(0x26000000 + device, 8);
    const rssi = -70 - (device % 40);
    const snr = 9 - (device % 15);
    const id = city.deviceId(device).toLowerCase();
    if (o.format === "tts") {
      const app = o.application ?? "parkir-palu";
      const up: Record<string, unknown> = { f_port: p.fPort, frm_payload: data };
      if (fCnt !== 0) up.f_cnt = fCnt; // The Things Stack omits zero values
      up.rx_metadata = [
        { gateway_ids: { gateway_id: "palu-gw-01", eui: "B827EBFFFE000001" }, time, rssi, snr },
      ];
      up.settings = { frequency: "923200000" };
      const body = {
        end_device_ids: {
          device_id: id,
          application_ids: { application_id: app },
          dev_eui: eui,
          dev_addr: devAddr,
        },
        received_at: time,
        uplink_message: up,
      };
      const topic = `v3/${app}${o.tenant === undefined ? "" : `@${o.tenant}`}/devices/${id}/up`;
      out.push({ topic, payload: Buffer.from(JSON.stringify(body)), timeMs });
    } else {
      const app = o.application ?? CHIRPSTACK_APP;
      const body: Record<string, unknown> = {
        deduplicationId:
          `${hex(device, 8)}-${hex(fCnt >>> 16, 4)}-4${hex(fCnt & 0xfff, 3)}-8000-${hex(timeMs / 1000, 12)}`.toLowerCase(),
        time,
        deviceInfo: {
          tenantId: "52f14cd4-c6f1-4fbd-8f87-4025e1d49242",
          applicationId: app,
          deviceName: id,
          devEui: eui.toLowerCase(),
        },
        devAddr: devAddr.toLowerCase(),
      };
      if (fCnt !== 0) body.fCnt = fCnt;
      body.fPort = p.fPort;
      body.data = data;
      body.rxInfo = [{ gatewayId: "b827ebfffe000001", rssi, snr }];
      out.push({
        topic: `application/${app}/device/${eui.toLowerCase()}/event/up`,
        payload: Buffer.from(JSON.stringify(body)),
        timeMs,
      });
    }
  }
  return out;
}

function euiOf(city: City, device: number): string | undefined {
  const z = city.zones[city.deviceZone[device]!]!;
  const id = city.deviceId(device);
  for (const b of z.bays) if (b.sensorId === id) return b.devEui?.toUpperCase();
  for (const g of z.gates) if (g.deviceId === id) return g.devEui?.toUpperCase();
  return undefined;
}

/** Options of publishFleet. */
export interface PublishFleetOptions {
  /** Clock the messages are paced on (their timeMs); default Date.now. Omit `paced` to publish at once. */
  readonly clock?: () => number;
  /** Wait for the clock to reach each message's time. Default false (as fast as the broker takes them). */
  readonly paced?: boolean;
  /** MQTT QoS. Default 1. */
  readonly qos?: 0 | 1;
  /** Stops publishing when aborted. */
  readonly signal?: AbortSignal;
  /** Called after each message is handed to the client, with the count so far. */
  readonly onPublished?: (n: number) => void;
}

/** Publishes messages in order; resolves with the number published. At most 256 publishes are unacknowledged. */
export async function publishFleet(
  client: MqttClient,
  messages: readonly FleetMessage[],
  o: PublishFleetOptions = {},
): Promise<number> {
  const clock = o.clock ?? Date.now;
  const qos = o.qos ?? 1;
  // Aborting also ends the waits for acknowledgements (a broker that is closing never sends them).
  const aborted = new Promise<void>((r) => {
    if (o.signal?.aborted) r();
    o.signal?.addEventListener("abort", () => r(), { once: true });
  });
  const settle = (ps: Promise<unknown>[]) =>
    o.signal === undefined ? Promise.all(ps) : Promise.race([Promise.all(ps), aborted]);
  let inFlight: Promise<unknown>[] = [];
  let n = 0;
  for (const m of messages) {
    if (o.signal?.aborted) break;
    if (o.paced) {
      for (let wait = m.timeMs - clock(); wait > 0 && !o.signal?.aborted; wait = m.timeMs - clock())
        await new Promise((r) => setTimeout(r, Math.min(wait, 250)));
      if (o.signal?.aborted) break;
    }
    const p = client.publishAsync(m.topic, m.payload, { qos });
    p.catch(() => undefined); // a client ended on abort fails what it still holds: not this loop's error
    inFlight.push(p);
    if (inFlight.length >= 256) {
      await settle(inFlight);
      inFlight = [];
    }
    n++; // not inside the optional call below: without onPublished its argument is never evaluated
    o.onPublished?.(n);
  }
  await settle(inFlight);
  return n;
}

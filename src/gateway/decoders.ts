/**
 * Sensor payload decoders: bytes of a LoRaWAN uplink (with its fPort) → what the sensor reports. Built in:
 * Nwave NPS405 and Bosch TPS110 (status, heartbeat and startup ports); a registry takes decoders for other
 * models, and the object a network server already decoded (`decoded_payload`, `object`) is read by
 * `decodeObject`.
 */
import { ParkirMessageError } from "./errors.js";

/** Health a sensor reports in heartbeats and startup messages. Absent fields were not reported. */
export interface SensorHealth {
  /** Battery voltage, V. */
  readonly batteryV?: number;
  /** Temperature, °C. */
  readonly temperatureC?: number;
  /** False when the sensor reports a hardware fault. */
  readonly hardwareOk?: boolean;
  /** Firmware version, e.g. "1.4.2". */
  readonly firmware?: string;
  /** Vendor's reset-cause code (startup messages). */
  readonly resetCause?: number;
}

/** The CDS event types a decoder may report. */
export type DecodedEventType = "park_start" | "park_end" | "scheduled_report" | "enter_area" | "exit_area";

/** What one uplink says. */
export interface DecodedPayload {
  /** The event the uplink reports, or null for a message that carries only health. */
  readonly eventType: DecodedEventType | null;
  /** Bay state (scheduled_report: the state confirmed). */
  readonly occupied?: boolean;
  /** Vehicles counted (enter_area / exit_area). Default 1. */
  readonly vehicleCount?: number;
  /** Health fields, for `health$` and the device health topic. */
  readonly health?: SensorHealth;
}

/**
 * Decodes one sensor model's uplinks. Throw `ParkirMessageError` with reason "unknown-port", "short-payload" or
 * "bad-payload" for a payload it cannot read (the message is counted and dead-lettered; nothing else changes).
 *
 * @example
 * const myCounter: PayloadDecoder = {
 *   decode(bytes, fPort) {
 *     if (fPort !== 5) throw new ParkirMessageError("unknown-port", `fPort ${fPort}`);
 *     if (bytes.length < 1) throw new ParkirMessageError("short-payload", "1 byte needed");
 *     return { eventType: bytes[0]! & 1 ? "enter_area" : "exit_area", vehicleCount: bytes[0]! >> 1 || 1 };
 *   },
 * };
 * const decoders = defaultDecoders().with("my-counter", myCounter);
 */
export interface PayloadDecoder {
  /** Decodes `frm_payload` / `data` bytes sent on `fPort`. */
  decode(bytes: Uint8Array, fPort: number): DecodedPayload;
}

function need(bytes: Uint8Array, n: number, what: string): void {
  if (bytes.length < n)
    throw new ParkirMessageError("short-payload", `${what} needs ${n} bytes, got ${bytes.length}`);
}

function int8(b: number): number {
  return b > 127 ? b - 256 : b;
}

/**
 * Nwave NPS405: fPort 1 status (bit 0 of byte 0: occupied; bits 7..1: compressed previous-state duration),
 * fPort 2 heartbeat (byte 0 bit 0 occupied, bits 7..1 hardware fault flags; battery (2500 + 4·b1)/1000 V;
 * temperature int8(b2)/2 + 10 °C), fPort 3 startup (firmware b0.b1.b2, reset cause b3, occupied bit 0 of b4).
 */
export const nwaveNps405: PayloadDecoder = {
  decode(bytes, fPort) {
    switch (fPort) {
      case 1:
        need(bytes, 1, "NPS405 status");
        return { eventType: bytes[0]! & 1 ? "park_start" : "park_end", occupied: (bytes[0]! & 1) === 1 };
      case 2:
        need(bytes, 3, "NPS405 heartbeat");
        return {
          eventType: "scheduled_report",
          occupied: (bytes[0]! & 1) === 1,
          health: {
            hardwareOk: bytes[0]! >> 1 === 0,
            batteryV: (2500 + 4 * bytes[1]!) / 1000,
            temperatureC: int8(bytes[2]!) / 2 + 10,
          },
        };
      case 3:
        need(bytes, 5, "NPS405 startup");
        return {
          eventType: "scheduled_report",
          occupied: (bytes[4]! & 1) === 1,
          health: { firmware: `${bytes[0]}.${bytes[1]}.${bytes[2]}`, resetCause: bytes[3]! },
        };
      default:
        throw new ParkirMessageError("unknown-port", `NPS405 sends on fPort 1-3, not ${fPort}`);
    }
  },
};

/**
 * Bosch TPS110 (Parking Lot Sensor): fPort 1 status and fPort 2 heartbeat (bit 0 of byte 0: occupied; a
 * heartbeat's byte 1, when present, is the temperature as int8 °C), fPort 3 startup (bytes 0-11 debug, 12-14
 * firmware, 15 reset cause, bit 0 of 16 occupied).
 */
export const boschTps110: PayloadDecoder = {
  decode(bytes, fPort) {
    switch (fPort) {
      case 1:
        need(bytes, 1, "TPS110 status");
        return { eventType: bytes[0]! & 1 ? "park_start" : "park_end", occupied: (bytes[0]! & 1) === 1 };
      case 2:
        need(bytes, 1, "TPS110 heartbeat");
        return {
          eventType: "scheduled_report",
          occupied: (bytes[0]! & 1) === 1,
          ...(bytes.length >= 2 ? { health: { temperatureC: int8(bytes[1]!) } } : {}),
        };
      case 3:
        need(bytes, 17, "TPS110 startup");
        return {
          eventType: "scheduled_report",
          occupied: (bytes[16]! & 1) === 1,
          health: { firmware: `${bytes[12]}.${bytes[13]}.${bytes[14]}`, resetCause: bytes[15]! },
        };
      default:
        throw new ParkirMessageError("unknown-port", `TPS110 sends on fPort 1-3, not ${fPort}`);
    }
  },
};

/** Decoders by model name (the catalogue's `model`). Immutable: `with` returns a new registry. */
export class DecoderRegistry {
  private readonly byModel: ReadonlyMap<string, PayloadDecoder>;
  constructor(entries: Iterable<readonly [string, PayloadDecoder]> = []) {
    this.byModel = new Map(entries);
  }
  /** A registry with `model` decoded by `decoder` (replacing one of the same name). */
  with(model: string, decoder: PayloadDecoder): DecoderRegistry {
    if (typeof decoder?.decode !== "function")
      throw new TypeError(`decoder for ${model} needs a decode(bytes, fPort) function`);
    return new DecoderRegistry([...this.byModel, [model, decoder]]);
  }
  /** The decoder of a model, or undefined. */
  get(model: string): PayloadDecoder | undefined {
    return this.byModel.get(model);
  }
  /** Registered model names. */
  get models(): string[] {
    return [...this.byModel.keys()];
  }
}

/** The built-in decoders: "nwave-nps405" and "bosch-tps110". */
export function defaultDecoders(): DecoderRegistry {
  return new DecoderRegistry([
    ["nwave-nps405", nwaveNps405],
    ["bosch-tps110", boschTps110],
  ]);
}

const OBJECT_TYPES: Readonly<Record<string, DecodedEventType>> = {
  status: "park_start",
  heartbeat: "scheduled_report",
  startup: "scheduled_report",
};

/**
 * Reads a payload the network server already decoded (The Things Stack `decoded_payload`, ChirpStack
 * `object`). Understood fields: `occupied` (boolean, or 0/1; also `occupancy`, `parking_status` = "occupied" /
 * "free"), `type` or `packet_type` ("status", "heartbeat", "startup"; default "status"), `battery` or
 * `battery_voltage` (V), `temperature` (°C), `hardware_ok`, `firmware`.
 *
 * @throws ParkirMessageError "bad-payload" when no occupancy can be read.
 */
export function decodeObject(obj: unknown): DecodedPayload {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj))
    throw new ParkirMessageError("bad-payload", "decoded payload is not an object");
  const o = obj as Record<string, unknown>;
  const raw = o.occupied ?? o.occupancy ?? o.parking_status;
  let occupied: boolean;
  if (raw === true || raw === 1 || raw === "occupied") occupied = true;
  else if (raw === false || raw === 0 || raw === "free" || raw === "vacant") occupied = false;
  else throw new ParkirMessageError("bad-payload", "decoded payload has no occupied/occupancy field");
  const typeName = String(o.type ?? o.packet_type ?? "status").toLowerCase();
  const base = OBJECT_TYPES[typeName];
  if (base === undefined)
    throw new ParkirMessageError("bad-payload", `unknown decoded payload type ${typeName}`);
  const eventType = base === "park_start" ? (occupied ? "park_start" : "park_end") : base;
  const health: Record<string, unknown> = {};
  const battery = o.battery_voltage ?? o.battery;
  if (typeof battery === "number" && Number.isFinite(battery)) health.batteryV = battery;
  if (typeof o.temperature === "number" && Number.isFinite(o.temperature))
    health.temperatureC = o.temperature;
  if (typeof o.hardware_ok === "boolean") health.hardwareOk = o.hardware_ok;
  if (typeof o.firmware === "string") health.firmware = o.firmware.slice(0, 32);
  return {
    eventType,
    occupied,
    ...(Object.keys(health).length > 0 ? { health: health as SensorHealth } : {}),
  };
}

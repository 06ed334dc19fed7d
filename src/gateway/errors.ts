/** Errors of the live gateway: bad messages (counted per reason) and unusable state on disk. */
import { ParkirError } from "../errors/index.js";

/**
 * Why a message was refused. Each is counted in `GatewayCounters.rejected`, logged (rate-limited) and written
 * to the dead-letter file.
 */
export const REJECT_REASONS = [
  "too-large",
  "unknown-topic",
  "bad-json",
  "bad-uplink",
  "bad-base64",
  "unknown-device",
  "unknown-model",
  "unknown-port",
  "short-payload",
  "bad-payload",
  "bad-event",
  "clock-skew",
  "batch-refused",
] as const;
/** One reason a message was refused. */
export type RejectReason = (typeof REJECT_REASONS)[number];

/** A message the gateway refused, with the reason it is counted under. */
export class ParkirMessageError extends ParkirError {
  override readonly name = "ParkirMessageError";
  /** The counter it goes to. */
  readonly reason: RejectReason;
  /** Catalogue device id or LoRaWAN EUI, when known. */
  readonly device: string | undefined;
  constructor(reason: RejectReason, message: string, device?: string) {
    super(`${reason}: ${message}`);
    this.reason = reason;
    this.device = device;
  }
}

/**
 * State on disk the gateway cannot use (a checkpoint that is empty or corrupt, an output file shorter than its
 * committed length): the message says what happened and what to do. Thrown by `start()`, never mid-run.
 */
export class ParkirStateError extends ParkirError {
  override readonly name = "ParkirStateError";
  /** The file concerned. */
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}

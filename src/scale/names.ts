/** Names of the JetStream streams, subjects and KV buckets of one city (one events stream per city). */
import { ParkirScaleError } from "./errors.js";

/** Where one city's events, outputs, checkpoints and leases live on a NATS server. */
export interface ScaleNames {
  /** City id (a NATS subject token). */
  readonly city: string;
  /** Stream of the events: subjects `<prefix>.<city>.events.<partition>`. */
  readonly eventsStream: string;
  /** Stream of the outputs: `<prefix>.<city>.windows.<partition>` and `<prefix>.<city>.tariffs.<partition>`. */
  readonly outputsStream: string;
  /** KV bucket of the per-partition checkpoints (key `p.<partition>`) and the partition count (key `partitions`). */
  readonly checkpointBucket: string;
  /** KV bucket of the leases (key `p.<partition>`) and of the live workers (key `m.<worker id>`). */
  readonly leaseBucket: string;
  /** Subject of a partition's events. */
  eventSubject(partition: number): string;
  /** Subject of a partition's closed windows (one message per window). */
  windowSubject(partition: number): string;
  /** Subject of a partition's tariff decisions (one message per window that made any). */
  tariffSubject(partition: number): string;
  /** Every events subject of the city. */
  readonly eventsWildcard: string;
  /** Every windows subject of the city. */
  readonly windowsWildcard: string;
  /** Every tariffs subject of the city. */
  readonly tariffsWildcard: string;
}

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Names for `city` under `prefix` (default "parkir").
 *
 * @example scaleNames("palu").eventSubject(3) // "parkir.palu.events.3"
 * @throws ParkirScaleError when the city id or prefix is not 1–64 characters of [A-Za-z0-9_-].
 */
export function scaleNames(city: string, prefix = "parkir"): ScaleNames {
  for (const [what, v] of [
    ["city id", city],
    ["prefix", prefix],
  ] as const) {
    if (!TOKEN.test(v))
      throw new ParkirScaleError(
        `${what} ${JSON.stringify(v)} cannot name a NATS subject: use 1-64 of [A-Za-z0-9_-]`,
      );
  }
  const base = `${prefix}.${city}`;
  const upper = `${prefix}_${city}`.toUpperCase().replaceAll("-", "_");
  return {
    city,
    eventsStream: `${upper}_EVENTS`,
    outputsStream: `${upper}_OUT`,
    checkpointBucket: `${prefix}_${city}_checkpoints`,
    leaseBucket: `${prefix}_${city}_leases`,
    eventSubject: (p) => `${base}.events.${p}`,
    windowSubject: (p) => `${base}.windows.${p}`,
    tariffSubject: (p) => `${base}.tariffs.${p}`,
    eventsWildcard: `${base}.events.*`,
    windowsWildcard: `${base}.windows.*`,
    tariffsWildcard: `${base}.tariffs.*`,
  };
}

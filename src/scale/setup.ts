/**
 * Creates (or checks) what one city needs on a NATS server: the events and outputs streams, the
 * checkpoint and lease buckets, and the partition count every producer and worker must agree on.
 */
// The NATS client libraries are loaded on first use, so importing parkir without NATS costs nothing.
import type { JetStreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { ParkirScaleError } from "./errors.js";
import type { ScaleNames } from "./names.js";
import { checkPartitions } from "./partition.js";

/** Default duplicate window of both streams: a re-sent message id within it is dropped. */
export const DUPLICATE_WINDOW_MS = 15 * 60_000;
/** Default lease time to live: a lease not renewed for this long expires on the server. */
export const LEASE_TTL_MS = 10_000;

/** Options of ensureScale. */
export interface SetupOptions {
  /** Partition count (fixed once the city is set up on the server). */
  readonly partitions: number;
  /** Duplicate window of the events and outputs streams, ms. Default DUPLICATE_WINDOW_MS. */
  readonly duplicateWindowMs?: number;
  /**
   * Lease time to live, ms (the lease bucket's max age): checked against an existing bucket, LEASE_TTL_MS
   * when creating one. Leave it out (producers) to accept whatever the bucket has.
   */
  readonly leaseTtlMs?: number;
  /** Keep stream messages this long, ms (0: forever). Default 0. */
  readonly maxAgeMs?: number;
}

/** Handles on one city's streams and buckets. */
export interface ScaleHandles {
  /** JetStream management (stream info, messages). */
  readonly jsm: JetStreamManager;
  /** The checkpoint bucket. */
  readonly checkpoints: KV;
  /** The lease bucket. */
  readonly leases: KV;
}

const NS = 1_000_000;

/**
 * Creates the streams and buckets when missing and records the partition count; checks it when present.
 *
 * @throws ParkirScaleError when the server holds the city with another partition count or lease TTL.
 */
export async function ensureScale(
  nc: NatsConnection,
  names: ScaleNames,
  options: SetupOptions,
): Promise<ScaleHandles> {
  checkPartitions(options.partitions);
  const dup = (options.duplicateWindowMs ?? DUPLICATE_WINDOW_MS) * NS;
  const maxAge = (options.maxAgeMs ?? 0) * NS;
  const ttl = options.leaseTtlMs;
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const { Kvm } = await import("@nats-io/kv");
  const jsm = await jetstreamManager(nc);
  for (const [name, subjects] of [
    [names.eventsStream, [names.eventsWildcard]],
    [names.outputsStream, [names.windowsWildcard, names.tariffsWildcard]],
  ] as const) {
    const info = await jsm.streams.info(name).catch(() => null);
    if (info === null) {
      await jsm.streams
        .add({ name, subjects: [...subjects], duplicate_window: dup, max_age: maxAge })
        .catch(async (e: unknown) => {
          // Another process created it between the two calls.
          if ((await jsm.streams.info(name).catch(() => null)) === null) throw e;
        });
    }
  }
  const kvm = new Kvm(nc);
  const checkpoints = await kvm.create(names.checkpointBucket, { history: 1 });
  const leases = await kvm.create(names.leaseBucket, { history: 1, ttl: ttl ?? LEASE_TTL_MS });
  const status = await leases.status();
  if (ttl !== undefined && status.ttl !== ttl)
    throw new ParkirScaleError(
      `lease bucket ${names.leaseBucket} has a TTL of ${status.ttl} ms, this process asks for ${ttl} ms: use the same --lease-ttl everywhere`,
    );
  const text = String(options.partitions);
  let stored: string | null = null;
  try {
    await checkpoints.create("partitions", text);
    stored = text;
  } catch {
    stored = (await checkpoints.get("partitions"))?.string() ?? null;
  }
  if (stored !== text)
    throw new ParkirScaleError(
      `${names.city} is set up on this server with ${stored ?? "an unknown number of"} partitions, not ${text}: partitions cannot change once events are in the stream (use a new prefix)`,
    );
  return { jsm, checkpoints, leases };
}

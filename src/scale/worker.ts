/**
 * A scale-out worker: takes leases on a fair share of a city's partitions in a JetStream KV bucket, runs a
 * PartitionEngine for each from its checkpoint and stream sequence, publishes the outputs with message ids
 * derived from the window, and checkpoints (compare-and-set on the revision) as it goes. docs/SCALE-OUT.md
 * states the guarantees and their limits.
 */
import { hostname } from "node:os";
import type { Consumer, JetStreamClient } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { City } from "../catalog/city.js";
import { ParkirScaleError } from "./errors.js";
import { fairShare, probeOrder } from "./leases.js";
import { type ScaleNames, scaleNames } from "./names.js";
import { checkPartitions } from "./partition.js";
import { PartitionEngine, type PartitionEngineOptions, type PartitionOutput } from "./partition-engine.js";
import { decodeCheckpointRecord } from "./record.js";
import { ensureScale, LEASE_TTL_MS } from "./setup.js";

/** Options of a ScaleWorker. */
export interface WorkerOptions {
  /** Partition count (the same for every producer and worker of the city). */
  readonly partitions: number;
  /** Stream, subject and bucket names. Default scaleNames(city.id). */
  readonly names?: ScaleNames;
  /** Worker id (a KV key token: [A-Za-z0-9_-]). Default `<host>-<pid>-<random>`. */
  readonly id?: string;
  /**
   * Lease time to live, ms: a lease not renewed for this long expires on the server, and another worker
   * takes the partition over within leaseTtlMs + renewMs of the owner's last renewal. Default 10 000.
   */
  readonly leaseTtlMs?: number;
  /** Lease renewal (and rebalancing) period, ms. Default leaseTtlMs / 3. */
  readonly renewMs?: number;
  /** Checkpoint a partition at least this often while events arrive, ms. Default 5000. */
  readonly checkpointMs?: number;
  /** …and after at most this many events. Default 50 000. Cost: a takeover replays up to this many events. */
  readonly checkpointEvents?: number;
  /** Event messages buffered per partition ahead of processing (the consumer's max_messages). Default 64. */
  readonly fetchMax?: number;
  /** Duplicate window of the streams when this worker creates them, ms. Default 15 min. */
  readonly duplicateWindowMs?: number;
  /** Engine options (occupancy options, tariff policy). */
  readonly engine?: PartitionEngineOptions;
  /** Where the worker reports what it does (one call per event). Default: nothing. */
  readonly log?: (event: WorkerEvent) => void;
}

/** What a worker reports. Times are wall-clock ms since the epoch. */
export type WorkerEvent =
  | { readonly type: "started"; readonly worker: string; readonly atMs: number; readonly partitions: number }
  | {
      readonly type: "acquired";
      readonly worker: string;
      readonly partition: number;
      readonly atMs: number;
      /** Stream sequence the partition resumes after (0: from the start). */
      readonly fromSeq: number;
      /** Whether a checkpoint was restored. */
      readonly restored: boolean;
      /** Windows read back from the outputs stream to rebuild pricing state. */
      readonly replayedWindows: number;
    }
  | {
      readonly type: "released";
      readonly worker: string;
      readonly partition: number;
      readonly atMs: number;
      readonly seq: number;
    }
  | {
      readonly type: "lost";
      readonly worker: string;
      readonly partition: number;
      readonly atMs: number;
      readonly reason: string;
    }
  | {
      readonly type: "error";
      readonly worker: string;
      readonly partition?: number;
      readonly atMs: number;
      readonly message: string;
    }
  | { readonly type: "stopped"; readonly worker: string; readonly atMs: number; readonly stats: WorkerStats };

/** Running totals of a worker. */
export interface WorkerStats {
  /** Event messages processed. */
  messages: number;
  /** Events in them. */
  events: number;
  /** Output messages stored. */
  published: number;
  /** Output messages JetStream dropped as duplicates (re-published after a takeover, same message id). */
  duplicates: number;
  /** Outputs not re-published because the outputs stream already held their window. */
  skipped: number;
  /** Checkpoints written. */
  checkpoints: number;
  /** Event messages refused by the engine (not a valid batch for this city). */
  rejected: number;
}

const leaseKey = (p: number) => `p.${p}`;
const memberKey = (id: string) => `m.${id}`;
const WORKER_ID = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * Runs partitions of one city for as long as it holds their leases.
 *
 * @example
 * const worker = new ScaleWorker(nc, city, { partitions: 6 });
 * await worker.start();
 * process.on("SIGTERM", () => worker.stop()); // releases its partitions to the others
 */
export class ScaleWorker {
  /** Worker id. */
  readonly id: string;
  /** Totals. */
  readonly stats: WorkerStats = {
    messages: 0,
    events: 0,
    published: 0,
    duplicates: 0,
    skipped: 0,
    checkpoints: 0,
    rejected: 0,
  };
  /** @internal */ readonly city: City;
  /** @internal */ readonly names: ScaleNames;
  /** @internal */ readonly o: Required<Omit<WorkerOptions, "names" | "id" | "log" | "engine">> & {
    readonly engine: PartitionEngineOptions;
  };
  /** @internal */ js!: JetStreamClient;
  /** @internal */ checkpoints!: KV;
  /** @internal The server's largest message, bytes (0: unknown). */
  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 0;
  }
  private leases!: KV;
  private readonly nc: NatsConnection;
  private readonly owned = new Map<number, PartitionRunner>();
  private readonly logFn: (event: WorkerEvent) => void;
  private stopping = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  /** @throws ParkirScaleError when options are out of range. */
  constructor(nc: NatsConnection, city: City, options: WorkerOptions) {
    checkPartitions(options.partitions);
    this.nc = nc;
    this.city = city;
    this.names = options.names ?? scaleNames(city.id);
    const id =
      options.id ??
      `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`.replace(
        /[^A-Za-z0-9_-]/g,
        "_",
      );
    if (!WORKER_ID.test(id))
      throw new ParkirScaleError(`worker id must be 1-100 of [A-Za-z0-9_-], got ${JSON.stringify(id)}`);
    this.id = id;
    const ttl = options.leaseTtlMs ?? LEASE_TTL_MS;
    const renew = options.renewMs ?? Math.floor(ttl / 3);
    const positive = (name: string, v: number, min = 1) => {
      if (!Number.isInteger(v) || v < min)
        throw new ParkirScaleError(`${name} must be an integer ≥ ${min}, got ${v}`);
    };
    positive("leaseTtlMs", ttl, 1000);
    positive("renewMs", renew, 100);
    if (renew * 2 > ttl)
      throw new ParkirScaleError(`renewMs (${renew}) must be at most half of leaseTtlMs (${ttl})`);
    this.o = {
      partitions: options.partitions,
      leaseTtlMs: ttl,
      renewMs: renew,
      checkpointMs: options.checkpointMs ?? 5000,
      checkpointEvents: options.checkpointEvents ?? 50_000,
      fetchMax: options.fetchMax ?? 64,
      duplicateWindowMs: options.duplicateWindowMs ?? 15 * 60_000,
      engine: options.engine ?? {},
    };
    positive("checkpointMs", this.o.checkpointMs);
    positive("checkpointEvents", this.o.checkpointEvents);
    positive("fetchMax", this.o.fetchMax);
    this.logFn = options.log ?? (() => {});
  }

  /** Partitions this worker runs now. */
  get partitions(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  /** Sets up the streams and buckets if needed, registers the worker and starts the lease loop. */
  async start(): Promise<void> {
    const h = await ensureScale(this.nc, this.names, {
      partitions: this.o.partitions,
      leaseTtlMs: this.o.leaseTtlMs,
      duplicateWindowMs: this.o.duplicateWindowMs,
    });
    const { jetstream } = await import("@nats-io/jetstream");
    this.js = jetstream(this.nc);
    this.checkpoints = h.checkpoints;
    this.leases = h.leases;
    await this.leases.put(memberKey(this.id), JSON.stringify({ worker: this.id }));
    this.log({ type: "started", worker: this.id, atMs: Date.now(), partitions: this.o.partitions });
    this.loop = this.leaseLoop();
  }

  /** Stops: each partition is checkpointed and its lease released, so the others take it over at once. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await Promise.all([...this.owned.values()].map((r) => this.release(r)));
    await this.leases?.delete(memberKey(this.id)).catch(() => {});
    this.log({ type: "stopped", worker: this.id, atMs: Date.now(), stats: { ...this.stats } });
  }

  /** @internal */
  log(event: WorkerEvent): void {
    try {
      this.logFn(event);
    } catch {
      // A failing log sink must not stop the partitions.
    }
  }

  private async leaseLoop(): Promise<void> {
    while (!this.stopping) {
      const t0 = performance.now();
      try {
        await this.round();
      } catch (e) {
        this.log({
          type: "error",
          worker: this.id,
          atMs: Date.now(),
          message: `lease round: ${(e as Error).message}`,
        });
      }
      const wait = this.o.renewMs - (performance.now() - t0);
      if (wait > 0 && !this.stopping) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, wait);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }

  /** One lease round: renew membership and leases, then release or acquire towards the fair share. */
  private async round(): Promise<void> {
    const margin = Math.min(1000, this.o.leaseTtlMs / 5);
    // Membership first: a worker that dies between the two writes has its member key expire no later than
    // its leases plus one round, which is what bounds the takeover.
    await this.leases.put(memberKey(this.id), JSON.stringify({ worker: this.id })).catch((e: unknown) => {
      this.log({
        type: "error",
        worker: this.id,
        atMs: Date.now(),
        message: `membership: ${(e as Error).message}`,
      });
    });
    const value = JSON.stringify({ worker: this.id });
    for (const r of [...this.owned.values()]) {
      if (r.ended) {
        // The runner stopped by itself (its checkpoint was overwritten, its lease lapsed, or it failed).
        this.owned.delete(r.partition);
        await this.leases.delete(leaseKey(r.partition), { previousSeq: r.leaseRev }).catch(() => {});
        this.log({
          type: "lost",
          worker: this.id,
          partition: r.partition,
          atMs: Date.now(),
          reason: r.endReason,
        });
        continue;
      }
      const sent = performance.now();
      try {
        r.leaseRev = await this.leases.update(leaseKey(r.partition), value, r.leaseRev);
        r.validUntil = sent + this.o.leaseTtlMs - margin;
      } catch (e) {
        const conflict = /wrong last sequence/i.test((e as Error).message);
        if (conflict || performance.now() >= r.validUntil) {
          r.abandon();
          this.owned.delete(r.partition);
          this.log({
            type: "lost",
            worker: this.id,
            partition: r.partition,
            atMs: Date.now(),
            reason: conflict ? "lease taken by another worker" : `lease not renewed: ${(e as Error).message}`,
          });
        }
      }
    }
    if (this.stopping) return;
    const members: string[] = [];
    for await (const k of await this.leases.keys("m.*")) members.push(k.slice(2));
    const target = fairShare(members, this.id, this.o.partitions);
    if (this.owned.size > target) {
      // Give back the highest-numbered partitions, all at once (each stops within one fetch).
      const extra = [...this.owned.keys()].sort((a, b) => b - a).slice(0, this.owned.size - target);
      await Promise.all(extra.map((p) => this.release(this.owned.get(p)!)));
    }
    if (this.owned.size >= target) return;
    for (const p of probeOrder(this.id, this.o.partitions)) {
      if (this.owned.size >= target || this.stopping) break;
      if (this.owned.has(p)) continue;
      const e = await this.leases.get(leaseKey(p));
      if (e !== null && e.operation === "PUT") continue;
      let rev: number;
      const sent = performance.now();
      try {
        rev = await this.leases.create(leaseKey(p), value);
      } catch {
        continue; // another worker was faster
      }
      const r = new PartitionRunner(this, p, rev, sent + this.o.leaseTtlMs - margin);
      this.owned.set(p, r);
      r.start();
    }
  }

  private async release(r: PartitionRunner): Promise<void> {
    await r.stop();
    this.owned.delete(r.partition);
    if (r.valid()) {
      await this.leases.delete(leaseKey(r.partition), { previousSeq: r.leaseRev }).catch(() => {});
      this.log({ type: "released", worker: this.id, partition: r.partition, atMs: Date.now(), seq: r.seq });
    }
  }
}

/** Runs one partition while its lease is held. @internal */
class PartitionRunner {
  leaseRev: number;
  validUntil: number;
  seq = 0;
  ended = false;
  /** Why the runner ended by itself. */
  endReason = "lease validity lapsed";
  private mode: "run" | "release" | "abandon" = "run";
  private done: Promise<void> = Promise.resolve();
  private fetching: { stop(): void } | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly w: ScaleWorker,
    readonly partition: number,
    leaseRev: number,
    validUntil: number,
  ) {
    this.leaseRev = leaseRev;
    this.validUntil = validUntil;
  }

  /** Whether the lease is still ours as far as this process can tell. */
  valid(): boolean {
    return this.mode !== "abandon" && performance.now() < this.validUntil;
  }

  start(): void {
    this.done = this.run()
      .catch((e: unknown) => {
        this.endReason = `failed: ${(e as Error).message}`;
        this.w.log({
          type: "error",
          worker: this.w.id,
          partition: this.partition,
          atMs: Date.now(),
          message: (e as Error).message,
        });
      })
      .finally(() => {
        this.ended = true;
      });
  }

  /** Stops after the current fetch, with a last checkpoint. */
  async stop(): Promise<void> {
    if (this.mode === "run") this.mode = "release";
    this.fetching?.stop();
    await this.done;
  }

  private get abandoned(): boolean {
    return this.mode === "abandon";
  }

  /** Stops at once, writing nothing more (the lease is gone). */
  abandon(): void {
    this.mode = "abandon";
    this.fetching?.stop();
  }

  private async run(): Promise<void> {
    const w = this.w;
    const p = this.partition;
    const key = leaseKey(p);
    const names = w.names;
    const entry = await w.checkpoints.get(key);
    let engine: PartitionEngine;
    let ckptRev: number;
    let restored = false;
    let lastWindow: number | null = null;
    if (entry !== null && entry.operation === "PUT") {
      const record = decodeCheckpointRecord(entry.value);
      engine = PartitionEngine.restore(w.city, record, p, w.o.partitions, w.o.engine);
      this.seq = record.header.seq;
      lastWindow = record.header.lastWindowStart;
      // Fencing: bumping the revision makes a previous owner's next checkpoint fail.
      ckptRev = await w.checkpoints.update(key, entry.value, entry.revision);
      restored = true;
    } else {
      engine = PartitionEngine.create(w.city, p, w.o.partitions, w.o.engine);
      ckptRev = await w.checkpoints.create(key, engine.checkpoint(0));
    }
    const last = await w.js
      .jetstreamManager()
      .then((jsm) => jsm.streams.getMessage(names.outputsStream, { last_by_subj: names.windowSubject(p) }))
      .catch(() => null);
    const publishedThrough = last === null ? null : windowStartOf(last.header?.get("Nats-Msg-Id") ?? "");
    let replayed = 0;
    if (engine.prices && lastWindow !== null && publishedThrough !== null) {
      replayed = await this.replayPricing(engine, lastWindow, publishedThrough);
    }
    w.log({
      type: "acquired",
      worker: w.id,
      partition: p,
      atMs: Date.now(),
      fromSeq: this.seq,
      restored,
      replayedWindows: replayed,
    });
    const consumer: Consumer = await w.js.consumers.get(names.eventsStream, {
      filter_subjects: names.eventSubject(p),
      deliver_policy: "by_start_sequence" as never,
      opt_start_seq: this.seq + 1,
    });
    let sinceEvents = 0;
    // Ingest + publish of one message, and a checkpoint, never interleave: a checkpoint always covers
    // exactly the messages whose outputs are published.
    const checkpointNow = async () => {
      if (sinceEvents === 0 || this.abandoned) return;
      const rev = await this.checkpoint(engine, ckptRev);
      if (rev === null) return;
      ckptRev = rev;
      sinceEvents = 0;
    };
    const messages = await consumer.consume({ max_messages: w.o.fetchMax });
    this.fetching = messages;
    if (this.mode !== "run") messages.stop();
    const timer = setInterval(() => {
      this.locked(checkpointNow).catch(() => {});
    }, w.o.checkpointMs);
    try {
      for await (const m of messages) {
        if (this.mode !== "run") break;
        await this.locked(async () => {
          const before = engine.events;
          const { result, outputs } = engine.ingest(m.data);
          this.seq = m.seq;
          if (result.rejected > 0) {
            // Not a batch for this city (a foreign producer, a corrupt message): it costs only itself.
            w.stats.rejected++;
            w.log({
              type: "error",
              worker: w.id,
              partition: p,
              atMs: Date.now(),
              message: `message ${m.seq} refused: ${result.error?.message ?? "not an event batch"}`,
            });
          }
          w.stats.messages++;
          w.stats.events += engine.events - before;
          sinceEvents += engine.events - before + 1;
          if (!(await this.publish(outputs, publishedThrough))) return;
          if (sinceEvents >= w.o.checkpointEvents) await checkpointNow();
        });
        if (this.mode !== "run") break;
      }
    } finally {
      clearInterval(timer);
      messages.stop();
      this.fetching = null;
    }
    if (this.mode === "release") await this.locked(checkpointNow);
  }

  /** Runs `f` after everything queued before it (ingest and checkpoints take turns). */
  private locked(f: () => Promise<void>): Promise<void> {
    const run = this.queue.then(f);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Publishes outputs in order; false when the lease is gone (nothing more may be written). */
  private async publish(
    outputs: readonly PartitionOutput[],
    publishedThrough: number | null,
  ): Promise<boolean> {
    const w = this.w;
    for (const o of outputs) {
      if (publishedThrough !== null && o.windowStart <= publishedThrough) {
        w.stats.skipped++;
        continue;
      }
      if (!this.valid()) {
        this.abandon();
        return false;
      }
      const subject =
        o.kind === "window" ? w.names.windowSubject(this.partition) : w.names.tariffSubject(this.partition);
      const ack = await w.js.publish(subject, o.payload, { msgID: o.msgId });
      if (ack.duplicate) w.stats.duplicates++;
      else w.stats.published++;
    }
    return true;
  }

  /** Writes a checkpoint (compare-and-set); null when another owner wrote since (this runner then stops). */
  private async checkpoint(engine: PartitionEngine, rev: number): Promise<number | null> {
    const w = this.w;
    if (!this.valid()) {
      this.abandon();
      return null;
    }
    const record = engine.checkpoint(this.seq);
    const maxPayload = w.maxPayload;
    if (maxPayload > 0 && record.length > maxPayload) {
      this.abandon();
      this.endReason = `checkpoint of ${record.length} bytes exceeds the server's max_payload (${maxPayload}): raise max_payload in the nats-server configuration`;
      return null;
    }
    try {
      const next = await w.checkpoints.update(leaseKey(this.partition), record, rev);
      w.stats.checkpoints++;
      return next;
    } catch (e) {
      // Another owner wrote since (or the write failed): stop; the lease round reports it and gives the lease back.
      this.endReason = `checkpoint refused: ${(e as Error).message}`;
      this.abandon();
      return null;
    }
  }

  /** Feeds the partition's published windows up to the checkpoint's last window to the pricing engine. */
  private async replayPricing(
    engine: PartitionEngine,
    lastWindow: number,
    publishedThrough: number,
  ): Promise<number> {
    const w = this.w;
    const c = await w.js.consumers.get(w.names.outputsStream, {
      filter_subjects: w.names.windowSubject(this.partition),
    });
    let n = 0;
    for (;;) {
      const msgs = await c.fetch({ max_messages: 256, expires: 1000 });
      let got = 0;
      let end = false;
      for await (const m of msgs) {
        got++;
        const start = windowStartOf(m.headers?.get("Nats-Msg-Id") ?? "");
        if (start === null || start > lastWindow) {
          end = true;
          break;
        }
        engine.replayWindow(m.string());
        n++;
        if (start >= publishedThrough || m.info.pending === 0) {
          end = true;
          break;
        }
      }
      if (end || got === 0) return n;
    }
  }
}

/** The window start in an output message id (`<city>.<w|t>.<partition>.<windowStart>`), or null. */
function windowStartOf(msgId: string): number | null {
  const i = msgId.lastIndexOf(".");
  const v = Number(msgId.slice(i + 1));
  return i < 0 || !Number.isSafeInteger(v) ? null : v;
}

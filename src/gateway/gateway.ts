/**
 * The live gateway: MQTT uplinks in, closed windows, live snapshots, device health and tariff decisions out,
 * effectively once across crashes.
 *
 * Path of a message: size check → parse and decode (uplinks.ts) → refused parts counted, logged, dead-lettered
 * → events through a small pre-filter of recent event ids → written to the write-ahead log → queued for the
 * engine. The broker's acknowledgement (PUBACK) of a QoS 1 message is held until its log lines are written
 * (and fsynced), in groups; the engine drains the queue in bounded slices so the event loop keeps serving.
 * A checkpoint (engine state, output lengths, log position) is committed atomically every
 * `checkpointIntervalMs` and on `stop()`; `start()` restores it, cuts outputs back to their committed length and
 * replays the log after it, so the outputs equal those of a run that never stopped.
 *
 * Beside it: options.ts (what a host configures and reads), broker.ts (the MQTT session and held PUBACKs),
 * recent-ids.ts (the re-delivery pre-filter), log-limit.ts (rate-limited log lines), wal.ts and files.ts
 * (durability), uplinks.ts (parsing messages).
 */
import { mkdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import type { Observable } from "rxjs";
import { type City, VEHICLE_CODES, vehicleName } from "../catalog/index.js";
import { ParkirClockError, ParkirError, ParkirWireError } from "../errors/index.js";
import {
  type EngineCounters,
  OccupancyEngine,
  type OccupancyOptions,
  type WindowBatch,
  windowRecordLine,
} from "../occupancy/index.js";
import { decisionLine } from "../pricing/decision.js";
import { type Policy, PricingEngine, type TariffDecision } from "../pricing/index.js";
import { subject } from "../rx.js";
import { type CdsEvent, EncodeReport, encodeEventBatches, encodeEvents } from "../wire/index.js";
import { AckGate, connectBroker } from "./broker.js";
import { type DecoderRegistry, defaultDecoders } from "./decoders.js";
import { ParkirMessageError, ParkirStateError, REJECT_REASONS, type RejectReason } from "./errors.js";
import { CommittedFile, encodeState, readState, type SavedState, writeFileDurable } from "./files.js";
import { RateLimitedLog } from "./log-limit.js";
import type {
  BrokerOptions,
  GatewayCounters,
  GatewayOptions,
  GatewayStatus,
  HealthUpdate,
  Rejection,
} from "./options.js";
import { RecentIds } from "./recent-ids.js";
import { backfillStorage } from "./storage.js";
import { type DeviceHealth, type ParseContext, parseMessage } from "./uplinks.js";
import { listSegments, replaySegments, WriteAheadLog } from "./wal.js";

const DAY_MS = 86_400_000;

/** Creates a gateway; nothing happens until `start()`. @throws ParkirError on invalid options. */
export function createGateway(options: GatewayOptions): Gateway {
  return new Gateway(options);
}

/** How long stop() waits for the broker to acknowledge what is in flight before it cuts the connection. */
const STOP_GRACE_MS = 5_000;

/** A running gateway (see createGateway). */
export class Gateway {
  readonly city: City;
  /** One emission per closed window (after it is written to the windows file). */
  readonly windows$: Observable<WindowBatch>;
  /** Tariff decisions (with a policy). */
  readonly decisions$: Observable<TariffDecision[]>;
  /** Device heartbeats and the engine's sensor health changes. */
  readonly health$: Observable<HealthUpdate>;
  /** Refused messages, one emission each. */
  readonly rejections$: Observable<Rejection>;
  /** The decoded events of each slice, just before the engine ingests them (open data mirrors them). */
  readonly events$: Observable<readonly CdsEvent[]>;

  private readonly o: GatewayOptions;
  private readonly clock: () => number;
  private readonly log: (line: string) => void;
  private readonly decoders: DecoderRegistry;
  private readonly windowsOut = subject<WindowBatch>();
  private readonly eventsOut = subject<readonly CdsEvent[]>();
  private readonly decisionsOut = subject<TariffDecision[]>();
  private readonly healthOut = subject<HealthUpdate>();
  private readonly rejectionsOut = subject<Rejection>();
  private readonly statePath: string;
  private readonly walDir: string;
  private readonly prefix: string;
  private readonly cdsTopic: string;
  private engine_: OccupancyEngine | undefined;
  private pricing_: PricingEngine | undefined;
  private wal: WriteAheadLog | undefined;
  private windowsFile: CommittedFile | undefined;
  private decisionsFile: CommittedFile | undefined;
  private deadLetter: CommittedFile | undefined;
  private client: MqttClient | undefined;
  private readonly queue: CdsEvent[] = [];
  private queueHead = 0;
  /** QoS 1 PUBACKs held until their messages' log lines are durable. */
  private readonly acks = new AckGate();
  private syncing = false;
  private readonly recent: RecentIds;
  private ttsLastMs = 0;
  private commitScheduled = false;
  private drainScheduled = false;
  private timers: NodeJS.Timeout[] = [];
  private state: GatewayStatus["status"] = "starting";
  /** Set by stop(): messages still arriving are left unacknowledged (the broker keeps them). */
  private stopping = false;
  private startedMs = 0;
  private readonly lastPublished = new Map<string, string>();
  private readonly limited: RateLimitedLog;
  private c = {
    messages: 0,
    events: 0,
    redelivered: 0,
    replayed: 0,
    backfilled: 0,
    checkpoints: 0,
    decisions: 0,
  };
  private lastCheckpointAt: number | undefined;
  private readonly rejected: Record<RejectReason, number> = Object.fromEntries(
    REJECT_REASONS.map((r) => [r, 0]),
  ) as Record<RejectReason, number>;

  constructor(options: GatewayOptions) {
    this.o = options;
    this.city = options.city;
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.decoders = options.decoders ?? defaultDecoders();
    this.limited = new RateLimitedLog(this.log, this.clock, options.logPerMinute ?? 10);
    this.statePath = join(options.stateDir, "state.bin");
    this.walDir = join(options.stateDir, "wal");
    this.prefix =
      (options.publish === false ? undefined : options.publish?.prefix) ?? `parkir/${this.city.id}`;
    this.cdsTopic =
      options.subscribe?.cds === false
        ? "\u0000"
        : (options.subscribe?.cds ?? `parkir/${this.city.id}/in/events`);
    this.windows$ = this.windowsOut.asObservable();
    this.events$ = this.eventsOut.asObservable();
    this.decisions$ = this.decisionsOut.asObservable();
    this.health$ = this.healthOut.asObservable();
    this.rejections$ = this.rejectionsOut.asObservable();
    for (const [k, min] of [
      ["checkpointIntervalMs", 100],
      ["queueMax", 1024],
      ["sliceEvents", 1],
      ["messageBytesMax", 256],
      ["recentIdsMax", 64],
      ["tickMs", 10],
    ] as const) {
      const v = options[k];
      if (v !== undefined && !(Number.isInteger(v) && v >= min))
        throw new ParkirError(`gateway option ${k} must be an integer ≥ ${min}, got ${String(v)}`);
    }
    this.recent = new RecentIds(options.recentIdsMax ?? 16_384);
  }

  /** The occupancy engine (after `start()`): snapshot(), counters, and its own observables. */
  get engine(): OccupancyEngine {
    if (this.engine_ === undefined) throw new ParkirError("the gateway is not started");
    return this.engine_;
  }

  /** The pricing engine, with a policy (after `start()`). */
  get pricing(): PricingEngine | undefined {
    return this.pricing_;
  }

  /**
   * Restores the committed state, replays the write-ahead log, backfills from the Storage Integration, then
   * connects to the broker.
   *
   * @throws ParkirStateError when the state or an output file is unusable (the message says what to do);
   *   errors of the broker connection as mqtt.js raises them.
   */
  async start(): Promise<void> {
    const o = this.o;
    this.startedMs = performance.now();
    mkdirSync(this.walDir, { recursive: true });
    const saved = readState(this.statePath);
    const engineOptions: OccupancyOptions = { idleAdvanceMs: 60_000, ...o.engine, clock: this.clock };
    if (saved === undefined) this.engine_ = new OccupancyEngine(this.city, engineOptions);
    else {
      try {
        this.engine_ = OccupancyEngine.restore(this.city, saved.checkpoint, engineOptions);
      } catch (e) {
        if (!(e instanceof ParkirError)) throw e;
        throw new ParkirStateError(
          this.statePath,
          `the checkpoint in ${this.statePath} cannot be restored: ${e.message}. If the catalogue or the engine ` +
            `options changed, restore the ones it was written with; otherwise move ${o.stateDir} aside to start from empty.`,
        );
      }
      for (const id of saved.header.recentIds) this.recent.add(id);
      this.ttsLastMs = saved.header.ttsLastMs;
      for (const r of REJECT_REASONS) this.rejected[r] = saved.header.rejected[r] ?? 0;
    }
    const committed = saved?.header.outputs ?? {};
    const windowsPath = o.windowsFile === undefined ? join(o.stateDir, "windows.jsonl") : o.windowsFile;
    if (windowsPath !== false) this.windowsFile = new CommittedFile(windowsPath, committed[windowsPath] ?? 0);
    const decisionsPath =
      o.decisionsFile === undefined ? join(o.stateDir, "decisions.jsonl") : o.decisionsFile;
    if (o.policy !== undefined && decisionsPath !== false)
      this.decisionsFile = new CommittedFile(decisionsPath, committed[decisionsPath] ?? 0);
    const deadPath =
      o.deadLetterFile === undefined ? join(o.stateDir, "dead-letter.jsonl") : o.deadLetterFile;
    if (deadPath !== false) {
      // Not replayed: what is there stays (it is for inspection); new lines go after it.
      this.deadLetter = openAppend(deadPath);
    }
    if (o.policy !== undefined) this.pricing_ = this.restorePricing(o.policy, saved);
    else if (saved?.pricing !== undefined)
      this.log(
        "the state holds pricing state but no policy is given: tariffs are not computed (it is dropped at the next checkpoint)",
      );
    this.wire();

    // Replay what was logged after the checkpoint (outputs come out as they did before the crash).
    const from = saved?.header.walSegment ?? 0;
    const last = replaySegments(this.walDir, from, (line) => {
      let e: CdsEvent;
      try {
        e = JSON.parse(line) as CdsEvent;
      } catch {
        return; // cannot happen for lines this log wrote; a torn line is cut before replay
      }
      this.c.replayed++;
      this.enqueue(e, false);
    });
    this.drainAll();
    const segments = listSegments(this.walDir);
    this.wal = new WriteAheadLog(this.walDir, Math.max(from, last + 1, (segments.at(-1) ?? -1) + 1));
    if (this.c.replayed > 0) this.log(`replayed ${this.c.replayed} events from the write-ahead log`);

    if (o.storage !== undefined) await this.backfill();
    if (o.broker !== undefined) await this.connect(o.broker);
    if (o.storage !== undefined && o.broker !== undefined) await this.backfill(); // the gap while connecting
    this.timers.push(setInterval(() => this.onTick(), o.tickMs ?? 1000));
    this.timers.push(setInterval(() => this.checkpoint(), o.checkpointIntervalMs ?? 60_000));
    for (const t of this.timers) t.unref();
    this.state = "running";
  }

  /** The pricing engine, continued from the saved state when it has one (same generation as the occupancy). */
  private restorePricing(policy: Policy, saved: SavedState | undefined): PricingEngine {
    const pricing = new PricingEngine(this.city, policy);
    if (saved === undefined) return pricing;
    if (saved.pricing === undefined) {
      this.log("the state holds no pricing state: tariffs start from the policy's published prices");
      return pricing;
    }
    try {
      pricing.restore(saved.pricing);
    } catch (e) {
      if (!(e instanceof ParkirError)) throw e;
      throw new ParkirStateError(
        this.statePath,
        `the pricing state in ${this.statePath} cannot be restored: ${e.message}. If the policy or the catalogue ` +
          `changed, restore the ones it was written with; otherwise move ${this.o.stateDir} aside to start from empty.`,
      );
    }
    return pricing;
  }

  /** Commits a checkpoint, publishes "offline", disconnects. Idempotent. */
  async stop(): Promise<void> {
    if (this.state === "stopped") return;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.engine_ !== undefined && this.wal !== undefined) this.checkpoint();
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) {
      client.publish(`${this.prefix}/status`, JSON.stringify({ status: "offline" }), {
        qos: 1,
        retain: true,
      });
      // A clean end waits for the broker to acknowledge what is in flight; the checkpoint above is already
      // durable, so after STOP_GRACE_MS the connection is cut (the broker re-delivers what it did not see acked,
      // and de-duplication drops it on the next start).
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<"late">((r) => {
        timer = setTimeout(() => r("late"), STOP_GRACE_MS);
      });
      if ((await Promise.race([client.endAsync(), late])) === "late") {
        this.log(`broker did not acknowledge within ${STOP_GRACE_MS / 1000} s: connection cut`);
        await client.endAsync(true);
      }
      clearTimeout(timer);
    }
    this.wal?.close();
    this.windowsFile?.close();
    this.decisionsFile?.close();
    this.deadLetter?.close();
    this.state = "stopped";
    this.windowsOut.complete();
    this.decisionsOut.complete();
    this.healthOut.complete();
    this.rejectionsOut.complete();
    this.eventsOut.complete();
  }

  /** Running totals. */
  get counters(): GatewayCounters {
    return {
      ...this.c,
      rejected: { ...this.rejected },
      queued: this.queue.length - this.queueHead,
      acksHeld: this.acks.count,
      logsSuppressed: this.limited.suppressed,
      engine: this.engine_?.counters ?? ({} as EngineCounters),
    };
  }

  /** Status for health checks. */
  status(): GatewayStatus {
    const wm = this.engine_?.watermarkMs;
    return {
      status: this.state,
      city: this.city.id,
      connected: this.client?.connected ?? false,
      watermarkMs: wm !== undefined && Number.isFinite(wm) ? wm : null,
      uptimeS: Math.round((performance.now() - this.startedMs) / 1000),
      lastCheckpointAgeS:
        this.lastCheckpointAt === undefined
          ? null
          : Math.round((performance.now() - this.lastCheckpointAt) / 1000),
      rssBytes: process.memoryUsage.rss(),
      counters: this.counters,
    };
  }

  /**
   * Takes one message as if it came from the broker (for embedding without MQTT, and for tests). Its events
   * are in the write-ahead log when the next commit runs (at the latest on the next turn of the event loop).
   */
  ingestMessage(topic: string, payload: Uint8Array): void {
    if (this.wal === undefined) throw new ParkirError("the gateway is not started");
    this.c.messages++;
    const max = this.o.messageBytesMax ?? 65_536;
    if (payload.byteLength > max) {
      this.reject(
        new ParkirMessageError("too-large", `${payload.byteLength} bytes (at most ${max})`),
        topic,
        payload,
      );
      return;
    }
    const cx: ParseContext = {
      city: this.city,
      decoders: this.decoders,
      nowMs: this.clock(),
      maxFutureMs: this.o.maxFutureMs ?? 600_000,
      maxAgeMs: this.o.maxAgeMs ?? 7 * DAY_MS,
      cdsTopic: this.cdsTopic,
    };
    let parsed: ReturnType<typeof parseMessage>;
    try {
      parsed = parseMessage(topic, payload, cx);
    } catch (e) {
      if (!(e instanceof ParkirMessageError)) throw e;
      this.reject(e, topic, payload);
      return;
    }
    for (const r of parsed.refused) this.reject(r, topic, payload);
    if (parsed.health !== undefined) this.onDeviceHealth(parsed.health);
    for (const e of parsed.events) {
      if (parsed.source === "tts") this.ttsLastMs = Math.max(this.ttsLastMs, Number(e.event_time));
      this.enqueue(e, true);
    }
    this.scheduleCommit();
  }

  /**
   * Commits a checkpoint now: log written and fsynced, queue drained, outputs fsynced, state file replaced
   * atomically, log segments it covers deleted.
   */
  checkpoint(): void {
    const wal = this.wal;
    const engine = this.engine_;
    if (wal === undefined || engine === undefined || engine.isClosed || this.checkpointing) return;
    this.checkpointing = true;
    try {
      this.commitCheckpoint(wal, engine);
    } finally {
      this.checkpointing = false;
    }
  }

  private checkpointing = false;

  private commitCheckpoint(wal: WriteAheadLog, engine: OccupancyEngine): void {
    this.commit();
    this.drainAll();
    const outputs: Record<string, number> = {};
    if (this.windowsFile !== undefined) outputs[this.windowsFile.path] = this.windowsFile.sync();
    if (this.decisionsFile !== undefined) outputs[this.decisionsFile.path] = this.decisionsFile.sync();
    const next = wal.rotate();
    this.acks.markDurable(); // rotate fsynced every line written
    this.sendDurableAcks();
    const header = {
      walSegment: next,
      outputs,
      ttsLastMs: this.ttsLastMs,
      recentIds: this.recent.list(),
      rejected: { ...this.rejected },
    };
    writeFileDurable(this.statePath, encodeState(header, engine.checkpoint(), this.pricing_?.checkpoint()));
    wal.removeBelow(next);
    this.c.checkpoints++;
    this.lastCheckpointAt = performance.now();
  }

  // ---- input ----

  private async connect(b: BrokerOptions): Promise<void> {
    const s = this.o.subscribe;
    const filters: string[] = [];
    if (s?.tts !== false) filters.push(s?.tts ?? "v3/+/devices/+/up");
    if (s?.chirpstack !== false) filters.push(s?.chirpstack ?? "application/+/device/+/event/up");
    if (s?.cds !== false) filters.push(this.cdsTopic);
    await connectBroker({
      broker: b,
      defaultClientId: `parkir-${this.city.id}`,
      statusTopic: `${this.prefix}/status`,
      filters,
      acks: this.acks,
      onConnected: (client) => {
        this.client = client;
      },
      onMessage: (topic, payload) => this.ingestMessage(topic, payload),
      stopping: () => this.stopping,
      running: () => this.state === "running",
      log: this.log,
      logRepeated: (line) => this.limited.line("broker", line),
    });
  }

  private async backfill(): Promise<void> {
    const s = this.o.storage;
    if (s === undefined || this.ttsLastMs === 0) return; // nothing seen yet: nothing to fill
    try {
      const n = await backfillStorage(s, this.ttsLastMs, (u) => {
        this.c.backfilled++;
        this.ingestMessage(u.topic, u.payload);
      });
      this.commit();
      this.log(`storage integration: ${n} uplinks fetched`);
    } catch (e) {
      this.log(`storage integration backfill failed: ${(e as Error).message}`);
    }
  }

  private enqueue(e: CdsEvent, log: boolean): void {
    if (this.recent.has(e.event_id)) {
      this.c.redelivered++;
      return;
    }
    this.recent.add(e.event_id);
    if (log) this.wal!.append(JSON.stringify(e));
    this.queue.push(e);
    this.c.events++;
  }

  private scheduleCommit(): void {
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    setImmediate(() => {
      this.commitScheduled = false;
      if (this.state !== "stopped") this.commit();
    });
  }

  /**
   * Writes the logged lines (one write), then makes them durable: with "write" at once, with "fsync" by one fsync
   * in the thread pool (the event loop goes on; lines logged meanwhile wait for the next one). The PUBACKs of the
   * messages a sync covers are then sent, unless the engine's queue is over its bound (flow control).
   */
  private commit(): void {
    const wal = this.wal;
    if (wal === undefined) return;
    wal.flush(false);
    if (wal.segmentBytes > 64 * 1024 * 1024 && !this.checkpointing) {
      this.checkpoint(); // bounds the log (and the replay after a crash); it syncs, so every held ack is durable
      return;
    }
    if (this.o.durability === "write") {
      this.acks.markDurable();
      this.sendDurableAcks();
    } else if (!this.syncing && this.acks.waiting) {
      this.syncing = true;
      const covered = this.acks.takeHeld();
      const segment = wal.segment;
      wal.syncAsync((err) => {
        this.syncing = false;
        if (this.state === "stopped") return;
        // A checkpoint rotated the segment meanwhile: it fsynced it, so the lines are durable either way.
        if (err !== null && wal.segment === segment) {
          this.limited.line("fsync", `write-ahead log fsync failed (will retry): ${err.message}`);
          this.acks.putBack(covered);
        } else this.acks.markDurable(covered);
        this.sendDurableAcks();
        if (this.acks.waiting) this.scheduleCommit();
      });
    }
    this.scheduleDrain();
  }

  /** Sends the PUBACKs whose log lines are durable, unless the engine's queue is over its bound. */
  private sendDurableAcks(): void {
    if (!this.acks.pending) return;
    if (this.queue.length - this.queueHead > (this.o.queueMax ?? 65_536)) return; // flow control
    this.acks.release();
  }

  // ---- engine ----

  private scheduleDrain(): void {
    if (this.drainScheduled || this.queue.length === this.queueHead) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      if (this.state === "stopped") return;
      this.drainSlice(this.o.sliceEvents ?? 2048);
      this.sendDurableAcks();
      this.scheduleDrain();
    });
  }

  private drainAll(): void {
    while (this.queue.length > this.queueHead) this.drainSlice(1 << 16);
  }

  private drainSlice(n: number): void {
    const end = Math.min(this.queue.length, this.queueHead + n);
    if (end === this.queueHead) return;
    const events = this.queue.slice(this.queueHead, end);
    this.queueHead = end;
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead > 65_536) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    this.ingest(events);
  }

  private ingest(events: CdsEvent[]): void {
    const engine = this.engine_!;
    this.eventsOut.next(events);
    const report = new EncodeReport();
    let batches: Uint8Array[];
    try {
      batches = [encodeEvents(events, this.city, report, { into: (n) => engine.batchBuffer(n) })];
    } catch (e) {
      if (!(e instanceof ParkirWireError)) throw e;
      batches = encodeEventBatches(events, this.city, undefined, report); // events ~49 days apart: several batches
    }
    for (const b of batches) {
      const r = engine.ingest(b);
      if (r.error === undefined) continue;
      // A batch refused whole (a time jump): take its events one by one so only the bad ones are lost.
      for (const e of events) {
        const one = engine.ingest(encodeEvents([e], this.city));
        if (one.error !== undefined)
          this.reject(
            new ParkirMessageError("batch-refused", one.error.message, e.data_source_device_id),
            "",
            undefined,
          );
      }
      break;
    }
  }

  private wire(): void {
    const engine = this.engine_!;
    engine.windows$.subscribe((w) => {
      if (this.windowsFile !== undefined) {
        let text = "";
        for (const r of w.records) text += `${windowRecordLine(r)}\n`;
        this.windowsFile.append(text);
      }
      if (this.client !== undefined) {
        for (const r of w.records)
          this.publish(`${this.prefix}/windows/${r.zone}/${r.vehicleType}`, windowRecordLine(r), true);
      }
      const pricing = this.pricing_;
      if (pricing !== undefined) {
        const ds = pricing.onWindows(w);
        if (ds.length > 0) {
          this.c.decisions += ds.length;
          if (this.decisionsFile !== undefined) {
            let text = "";
            for (const d of ds) text += decisionLine(d);
            this.decisionsFile.append(text);
          }
          this.decisionsOut.next(ds);
          for (const d of ds)
            this.publish(`${this.prefix}/decisions/${d.zone}/${d.vehicleType}`, JSON.stringify(d), true);
        }
      }
      this.windowsOut.next(w);
    });
    engine.health$.subscribe((report) => {
      this.healthOut.next({ kind: "engine", report });
      if (this.client !== undefined) this.publish(`${this.prefix}/health`, JSON.stringify(report), false);
    });
  }

  private onDeviceHealth(h: DeviceHealth): void {
    this.healthOut.next({ kind: "device", device: h });
    this.publish(`${this.prefix}/devices/${h.device}/health`, JSON.stringify(h), true);
  }

  private onTick(): void {
    const engine = this.engine_;
    if (engine === undefined || engine.isClosed) return;
    try {
      engine.tick();
    } catch (e) {
      if (!(e instanceof ParkirClockError)) throw e;
      this.limited.line("clock", `processing-time tick refused: ${e.message}`);
    }
    const every = this.o.publish === false ? 0 : (this.o.publish?.snapshotIntervalMs ?? 10_000);
    if (every > 0 && this.client !== undefined) {
      const now = this.clock();
      if (now - (this.lastSnapshotMs ?? 0) >= every) {
        this.lastSnapshotMs = now;
        this.publishSnapshot();
      }
    }
  }

  private lastSnapshotMs: number | undefined;

  /** Publishes each point whose live figures changed, retained (a display that connects late gets them). */
  private publishSnapshot(): void {
    const s = this.engine.snapshot();
    for (let z = 0; z < this.city.zoneCount; z++) {
      const classes: Record<
        string,
        { occupied: number; known: number; capacity: number; detection: string }
      > = {};
      for (let v = 0; v < VEHICLE_CODES; v++) {
        const i = z * VEHICLE_CODES + v;
        if (s.capacity[i] === 0) continue;
        classes[vehicleName(v)] = {
          occupied: s.occupied[i]!,
          known: s.known[i]!,
          capacity: s.capacity[i]!,
          detection: s.detectionOf(z, v),
        };
      }
      const zone = this.city.zones[z]!.id;
      const body = JSON.stringify({
        zone,
        occupied: s.zoneOccupied[z],
        known: s.zoneKnown[z],
        capacity: s.zoneCapacity[z],
        classes,
      });
      if (this.lastPublished.get(zone) === body) continue;
      this.lastPublished.set(zone, body);
      this.publish(
        `${this.prefix}/points/${zone}`,
        JSON.stringify({ atMs: s.atMs, ...JSON.parse(body) }),
        true,
      );
    }
  }

  private publish(topic: string, body: string, retain: boolean): void {
    const client = this.client;
    if (client === undefined || this.o.publish === false || !client.connected) return;
    client.publish(topic, body, { qos: 0, retain });
  }

  // ---- bad input ----

  private reject(e: ParkirMessageError, topic: string, payload: Uint8Array | undefined): void {
    this.rejected[e.reason]++;
    const rej: Rejection = {
      reason: e.reason,
      topic,
      ...(e.device === undefined ? {} : { device: e.device }),
      detail: e.message,
      atMs: this.clock(),
    };
    this.rejectionsOut.next(rej);
    this.limited.line(
      e.reason,
      `refused ${topic === "" ? "" : `${topic} `}${e.device === undefined ? "" : `(${e.device}) `}${e.message}`,
    );
    const dl = this.deadLetter;
    if (dl !== undefined && payload !== undefined) {
      const keep = payload.subarray(0, 65_536);
      dl.append(
        `${JSON.stringify({ ...rej, bytes: payload.byteLength, payload: Buffer.from(keep.buffer, keep.byteOffset, keep.byteLength).toString("base64") })}\n`,
      );
      if (dl.length > (this.o.deadLetterBytesMax ?? 16 * 1024 * 1024)) this.rotateDeadLetter();
    }
  }

  private rotateDeadLetter(): void {
    const dl = this.deadLetter!;
    dl.close();
    renameSyncSafe(dl.path, `${dl.path}.1`);
    this.deadLetter = openAppend(dl.path);
  }
}

function openAppend(path: string): CommittedFile {
  let size = 0;
  try {
    size = statSync(path).size;
  } catch {
    size = 0;
  }
  return new CommittedFile(path, size);
}

function renameSyncSafe(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    // a dead-letter file that cannot be moved keeps growing only until the next attempt
  }
}

/**
 * The occupancy engine over worker threads: zones are split into contiguous shards (shards.ts), each shard
 * runs an OccupancyEngine with the wasm kernel in its own piscina worker (worker.ts), and this main
 * thread only copies each batch once into shared memory, routes it to every shard and merges what they emit
 * in a deterministic order. Results and checkpoints are byte-identical to one engine in one thread.
 *
 * Each shard applies only its own bays and zones (plus every payment, since a paid session may end in another
 * zone). How shards admit events (de-duplication, lateness, the watermark: global rules) depends on the batch:
 * with two shards or more, once the first window is open, each shard admits only its own zones' events from a
 * batch whose keys all belong to their events' zones (own.ts), the other events only moving its watermark;
 * every shard admits every event before that, and from a batch that cannot be split (event ids, events without
 * sequence numbers, a device naming another shard's place, pendingMax) until a batch that can, after a pause
 * that grows while the two kinds alternate. The shards turn to own admission in place at a splittable batch (the
 * `toOwn` ingest), and back to every event in place (switchToEvery). Either way, results and checkpoints are
 * those of one engine.
 *
 * Workers beyond the shards (option `shards`) hold no state: they parse their share of each JSON Lines chunk
 * into batches for the shards. With one shard, the shard parses the first share of the lines itself and
 * ingests each batch as it reads it, in the same task.
 *
 * Failures: a shard whose worker dies or throws is rebuilt on a fresh worker from its last checkpoint plus the
 * batches since (kept in shared memory until the next checkpoint), and the batch is retried once. If it fails
 * again, every shard is rebuilt without that batch, and ingest rejects with ParkirWorkerError: the state is as
 * if the batch never arrived.
 */
import type { Observable } from "rxjs";
import type { City, CityDocument } from "../../catalog/index.js";
import {
  ParkirClockError,
  ParkirError,
  ParkirEventError,
  ParkirWireError,
  type WireErrorReason,
} from "../../errors/index.js";
import { threadCpuMsOf } from "../../runtime/cpu.js";
import { ParkirRuntimeError } from "../../runtime/errors.js";
import { SharedArena } from "../../runtime/memory.js";
import { KernelPool, type WorkerPool } from "../../runtime/pool.js";
import { subject } from "../../rx.js";
import { EVENT_LINE_BYTES_MAX } from "../../wire/events.js";
import { encodeJsonLines } from "../../wire/jsonl-stream.js";
import { readCheckpoint } from "../checkpoint.js";
import { ClosedWindow } from "../closed-window.js";
import { type AdvanceOptions, assertBatchArgument, checkAdvanceOptions, OccupancyEngine } from "../engine.js";
import { R_WIN_START } from "../kernel.js";
import { type OccupancyOptions, type ResolvedOptions, resolveOptions } from "../options.js";
import type { EngineCounters, HealthEvent, HealthReport, IngestResult, LateReport } from "../reports.js";
import { assertClockState } from "../skew.js";
import type { WindowBatch } from "../types.js";
import { mergeCheckpoints, splitCheckpoint } from "./checkpoints.js";
import { carriesWindow, planShards, type ShardPlan } from "./shards.js";
import {
  type ParsedLines,
  SHARD_OP,
  type ShardCommand,
  type ShardEngineOptions,
  type ShardGroup,
  type ShardIngestResult,
  type ShardReaderOptions,
  type ShardReply,
} from "./worker.js";

/** Options of a sharded engine. */
export interface ShardedOccupancyOptions extends Omit<OccupancyOptions, "kernel"> {
  /**
   * Worker threads, one shard each. 0 runs one OccupancyEngine in the caller's thread behind the same async
   * API (kernel per `kernel`). Default 0. Cost per worker: a thread, its share of the state, and the work every
   * shard repeats (verifying and staging each batch; with batches that cannot be split by zone, admitting every
   * event and keeping every pending event: see `shards`).
   */
  readonly workers?: number;
  /**
   * Workers that hold engine state: the zones are split among them, and each applies its own zones and admits
   * its own zones' events (batches without event ids whose events carry sequence numbers and name devices of
   * their own shard, once the first window is open; every event otherwise). The other `workers − shards`
   * workers only parse JSON Lines (ingestJsonLines), their share of each chunk's lines, into batches for the
   * shards. Default `workers`. On a 2-core gateway fed JSON Lines with event ids, `{ workers: 2, shards: 1 }`
   * splits the parsing (the costly part of JSON input) without repeating admission in two shards; EventBatch
   * input gains nothing from a parse-only worker.
   */
  readonly shards?: number;
  /** Kernel of the engine when `workers` is 0 (workers always use wasm). Default as OccupancyOptions.kernel. */
  readonly kernel?: "wasm" | "js";
  /**
   * The caller's own pools, one per worker (shards first, then parse-only workers), each with exactly one
   * thread (a shard's state lives in its worker, so its tasks must always reach that worker). Default: pools
   * created here (idleTimeout 10 min).
   */
  readonly pools?: readonly WorkerPool[];
  /**
   * Calls (ingest, advanceTo, …) waiting behind the one being processed; one more is refused with
   * ParkirRuntimeError("queue-full"). Default 8. Each waiting ingest holds its batch bytes.
   */
  readonly queueMax?: number;
  /**
   * Calls between shard checkpoints. A crashed worker is rebuilt from the last one plus the calls since,
   * whose inputs (batches, JSON Lines bytes) stay in memory until then. Default 32; a checkpoint also comes
   * sooner, once those inputs reach 64 MiB. Cost: a recovery snapshot of every shard per period (its own bays
   * and rows copied raw into mapped memory: `node dist/bench/probes.js checkpoint` times one); memory for up to
   * this many inputs.
   */
  readonly checkpointEvery?: number;
  /**
   * Shared memory to prepare at creation for incoming batches, in bytes: touched once up front, so copying
   * batches in never waits on the operating system to map fresh pages (on the VM this was measured on, a
   * first copy into fresh memory took 5 ms per 1.5 MB batch, a copy into touched memory 0.07 ms). Batches
   * since the last shard checkpoint stay in memory, each in a power-of-two region, so a good value is
   * `checkpointEvery × 2 × batch bytes`. Default 0: memory is mapped as it is first used.
   */
  readonly reserveBatchBytes?: number;
  /**
   * With two shards or more, whether the shards admit by zone (each only its own zones' events, see own.ts) the
   * batches that allow it. Default true; false: every shard admits every event. Internal: for comparisons.
   *
   * @internal
   */
  readonly splitAdmission?: boolean;
}

const QUEUE_MAX_DEFAULT = 8;
/** Longest pause, in batches, before the shards are offered own admission again after falling back (offersOwn). */
const OWN_PAUSE_MAX = 256;
/** Input bytes the recovery log holds at most before the shards are checkpointed (see checkpointEvery). */
const RECOVERY_LOG_BYTES_MAX = 64 << 20;
const CHECKPOINT_EVERY_DEFAULT = 32;

/** Shard-side options: everything but functions and the kernel choice. */
function shardOptions(o: ShardedOccupancyOptions): ShardEngineOptions {
  const {
    clock: _c,
    kernel: _k,
    workers: _w,
    shards: _s,
    pools: _p,
    queueMax: _q,
    checkpointEvery: _e,
    reserveBatchBytes: _r,
    splitAdmission: _a,
    ...rest
  } = o;
  return rest;
}

/** The catalogue document a worker rebuilds the City from. */
function cityDocument(city: City): CityDocument {
  return {
    id: city.id,
    name: city.name,
    timeZone: city.timeZone,
    currency: city.currency,
    synthetic: city.synthetic,
    zones: city.zones,
  } as CityDocument;
}

interface Region {
  readonly at: number;
  readonly size: number;
}

/**
 * What a shard is rebuilt from: checkpoint bytes (a restored engine's share), or its last recovery snapshot
 * (snapshot.ts: in the shard's snapshot region, or in a buffer of its own when it outgrew that), which it is
 * rebuilt from together with the other shards' snapshots of the same call.
 */
type ShardBase = { readonly checkpoint: Uint8Array } | { readonly snapshot: Uint8Array };

/** Snapshot regions are whole multiples of this. */
const SNAPSHOT_ROUND = 64 << 10;

/** One state-changing call in the recovery log: its shard command(s), and the memory its input holds. */
interface SinceEntry {
  readonly command: ShardCommand;
  readonly region: Region | null;
  /** A second command of the same call, run after `command` (ingestJsonLines with parse-only workers). */
  next?: ShardCommand;
}

/**
 * A sharded occupancy engine. Same outputs as OccupancyEngine, but every call is asynchronous and calls run
 * one at a time in call order.
 *
 * @example
 * const engine = await ShardedOccupancyEngine.create(city, { workers: 2 });
 * engine.windows$.subscribe((w) => publish(w));
 * for await (const batch of feed) await engine.ingest(batch);
 * await engine.close();
 */
export class ShardedOccupancyEngine {
  /** The catalogue. */
  readonly city: City;
  /** Worker threads (0: the caller's thread). */
  readonly workers: number;
  /** Workers holding engine state (plans.length); the others parse JSON Lines only. */
  readonly shards: number;
  /** One emission per closed window, in window order. */
  readonly windows$: Observable<WindowBatch>;
  /** One emission per call that found late events. */
  readonly late$: Observable<LateReport>;
  /** One emission per call that found sensor health changes. */
  readonly health$: Observable<HealthReport>;
  /** Shard plans, one per shard (empty when workers is 0). */
  readonly plans: readonly ShardPlan[];
  /** Bytes of batches copied from the JavaScript heap into shared memory (0 for batches already there). */
  copiedBytes = 0;
  /** Times a shard was rebuilt after its worker failed. */
  recoveries = 0;
  /**
   * Per worker (shards first, then parse-only workers): milliseconds its thread has spent running this
   * engine's commands (wall time inside the tasks, measured in the worker; its CPU time when the thread is not
   * preempted), as of the last reply. Counts from the start on its current worker. Empty when workers is 0.
   */
  get shardBusyMs(): readonly number[] {
    return this.busyMs;
  }
  private busyMs: number[] = [];
  /**
   * Per worker (as shardBusyMs): CPU time of its thread, ms, where the platform tells it; NaN elsewhere. With
   * Node's process.threadCpuUsage, the worker times this engine's commands itself. Else (Linux) it is read
   * here, now, from the worker thread's /proc schedstat: everything the thread ran since it opened its part
   * of this engine (the commands and the message handling around them; a pool shared with other work counts
   * that too). A thread's own schedstat lags by up to a scheduler tick while it runs, so timing
   * few-millisecond tasks from inside undercounts them; read from here while the worker waits, it is exact.
   */
  get shardCpuMs(): readonly number[] {
    return this.cpuMs.map((ms, k) => {
      const t = this.threads[k];
      return t === undefined ? ms : t.carried + threadCpuMsOf(t.taskId) - t.base;
    });
  }
  private cpuMs: number[] = [];
  /** Per worker whose CPU time is read from here (see shardCpuMs): its thread, and the time it started at. */
  private threads: ({ taskId: number; base: number; carried: number } | undefined)[] = [];

  private readonly options: ShardedOccupancyOptions;
  private readonly resolved: ResolvedOptions;
  private readonly clock: () => number;
  private readonly local: OccupancyEngine | null;
  private readonly arena: SharedArena | null;
  private readonly pools: KernelPool[] = [];
  private readonly engineId: string;
  private readonly windowsOut = subject<WindowBatch>();
  private readonly lateOut = subject<LateReport>();
  private readonly healthOut = subject<HealthReport>();
  private readonly queueMax: number;
  private readonly checkpointEvery: number;
  private readonly healthMax: number;
  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private closed = false;
  private lastIngestClockMs: number;
  /** Per shard: what the shard can be rebuilt from (undefined: a fresh engine). */
  private shardCheckpoints: (ShardBase | undefined)[] = [];
  /**
   * Per shard: two regions of shared memory for its recovery snapshots, written in turn (the last snapshot
   * stays valid while the next one is written), and which of them holds the last one (-1: neither).
   */
  private snapshotRegions: { pair: [Region, Region]; last: number }[] = [];
  /** State-changing calls since those checkpoints, in order (ingests keep their batch's region). */
  private since: SinceEntry[] = [];
  private free: Region[] = [];
  private readonly bayIndex: (id: string) => number;
  /**
   * Whether the shards admit by zone now (own.ts): with two shards or more (unless splitAdmission is false), from
   * the first splittable batch once the first window is open, until a batch that is not splittable.
   */
  private own = false;
  /** Whether own admission is wanted (two shards or more, splitAdmission). */
  private ownWanted = false;
  /** Whether the engine's first window is open (as of the last call): own admission needs it. */
  private windowOpen = false;
  /** Batches to admit every event of before own admission is offered again (after falling back from it). */
  private ownPause = 0;
  /** The pause after the next fall back or refused offer (see fallBackToEvery, refusedOwn). */
  private ownPatience = 1;
  /** Batches admitted by zone since the shards last turned to own admission. */
  private ownBatches = 0;
  /** Pending events of the engine, at most (the shards' last counts summed; payments counted in each). */
  private pendingTotal = 0;
  /**
   * How the shards admit events now: "own" (each its own zones', see own.ts) or "every" (each every event;
   * also with one shard). @internal
   */
  get admission(): "own" | "every" {
    return this.own ? "own" : "every";
  }

  private constructor(city: City, options: ShardedOccupancyOptions, checkpoint?: Uint8Array) {
    const workers = options.workers ?? 0;
    if (!(Number.isInteger(workers) && workers >= 0 && workers <= 64))
      throw new RangeError(`workers must be an integer in 0..64, got ${workers}`);
    this.city = city;
    this.options = options;
    this.clock = options.clock ?? Date.now;
    this.queueMax = options.queueMax ?? QUEUE_MAX_DEFAULT;
    this.checkpointEvery = options.checkpointEvery ?? CHECKPOINT_EVERY_DEFAULT;
    if (!(Number.isInteger(this.queueMax) && this.queueMax >= 0))
      throw new RangeError("queueMax must be ≥ 0");
    if (!(Number.isInteger(this.checkpointEvery) && this.checkpointEvery >= 1))
      throw new RangeError("checkpointEvery must be ≥ 1");
    this.resolved = resolveOptions({ ...shardOptions(options), kernel: "js" });
    this.healthMax = this.resolved.healthDetailsMax;
    this.lastIngestClockMs = this.clock();
    this.windows$ = this.windowsOut.asObservable();
    this.late$ = this.lateOut.asObservable();
    this.health$ = this.healthOut.asObservable();
    this.engineId = `occ-${process.pid}-${nextEngineId++}`;
    const ids = new Map<string, number>();
    for (let b = 0; b < city.bayCount; b++) ids.set(city.bayId(b), b);
    this.bayIndex = (id) => ids.get(id) ?? -1;
    if (workers === 0) {
      const {
        workers: _w,
        shards: _s,
        pools: _p,
        queueMax: _q,
        checkpointEvery: _e,
        reserveBatchBytes: _r,
        splitAdmission: _a,
        ...engineOptions
      } = options;
      this.local =
        checkpoint === undefined
          ? new OccupancyEngine(city, engineOptions)
          : OccupancyEngine.restore(city, checkpoint, engineOptions);
      this.local.windows$.subscribe(this.windowsOut);
      this.local.late$.subscribe(this.lateOut);
      this.local.health$.subscribe(this.healthOut);
      this.workers = 0;
      this.shards = 0;
      this.plans = [];
      this.arena = null;
      return;
    }
    this.local = null;
    const shards = options.shards ?? workers;
    if (!(Number.isInteger(shards) && shards >= 1 && shards <= workers))
      throw new RangeError(`shards must be an integer in 1..workers (${workers}), got ${shards}`);
    this.shards = Math.min(shards, Math.max(1, city.zoneCount));
    // Workers beyond the zones would hold no zone; parse-only workers are kept.
    this.workers = this.shards + (workers - shards);
    this.plans = planShards(city, this.shards);
    const reserve = options.reserveBatchBytes ?? 0;
    if (!(Number.isSafeInteger(reserve) && reserve >= 0))
      throw new RangeError(`reserveBatchBytes: need a whole number ≥ 0, got ${reserve}`);
    this.arena = new SharedArena({ initialBytes: 8 << 20 });
    this.arena.prefault(reserve);
    if (options.pools !== undefined && options.pools.length !== this.workers)
      throw new RangeError(`pools: need ${this.workers} (one per worker), got ${options.pools.length}`);
    for (let k = 0; k < this.workers; k++) {
      const pool = options.pools?.[k];
      const kp = new KernelPool(
        this.arena,
        pool === undefined
          ? { threads: 1, maxQueue: 4, retries: 0, stateful: true }
          : { pool, retries: 0, stateful: true },
      );
      this.pools.push(kp);
    }
    if (checkpoint !== undefined) {
      try {
        this.assertClockState(checkpoint);
      } catch (e) {
        if (!(e instanceof ParkirClockError)) throw e;
        throw new ParkirWireError("clock-skew", 0, `checkpoint: ${e.message}`);
      }
    }
    this.ownWanted = this.shards >= 2 && options.splitAdmission !== false;
    if (checkpoint !== undefined) {
      const parts = readCheckpoint(checkpoint);
      this.pendingTotal = (parts.sections.get("pending.time")?.byteLength ?? 0) / 8;
      const reg = parts.sections.get("reg");
      // A checkpoint whose first window is open (R_WIN_START ≥ 0) is split for own admission at once.
      this.windowOpen = reg !== undefined && new Float64Array(reg.slice().buffer)[R_WIN_START]! >= 0;
      this.own = this.ownWanted && this.windowOpen;
    }
    this.shardCheckpoints =
      checkpoint === undefined
        ? this.plans.map(() => undefined)
        : this.plans.map((p) => ({
            checkpoint: splitCheckpoint(city, this.plans, p, checkpoint, this.own),
          }));
  }

  /**
   * Creates a sharded engine and starts its shards.
   *
   * @throws ParkirConfigError for invalid options; ParkirRuntimeError when workers cannot start.
   */
  static async create(city: City, options: ShardedOccupancyOptions = {}): Promise<ShardedOccupancyEngine> {
    const e = new ShardedOccupancyEngine(city, options);
    await e.start();
    return e;
  }

  /**
   * Continues from checkpoint bytes of any engine (sharded or not, any number of workers).
   *
   * @throws ParkirWireError when the bytes are not a valid checkpoint for `city`.
   */
  static async restore(
    city: City,
    bytes: Uint8Array,
    options: ShardedOccupancyOptions = {},
  ): Promise<ShardedOccupancyEngine> {
    const e = new ShardedOccupancyEngine(city, options, bytes);
    await e.start();
    return e;
  }

  /**
   * Ingests one batch. Resolves once every shard has applied it (outputs are emitted before it resolves),
   * with the same counts as OccupancyEngine.ingest. Bytes already in this engine's shared memory are not
   * copied; others are copied once. Calls run in call order.
   *
   * @throws ParkirError when `batch` is not bytes; ParkirRuntimeError("queue-full") when queueMax calls
   *   already wait; ParkirWorkerError when a shard
   *   failed twice on this batch (the batch is then dropped and the state is as if it never arrived).
   */
  ingest(batch: Uint8Array): Promise<IngestResult> {
    try {
      assertBatchArgument(batch);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.enqueue(async () => {
      this.lastIngestClockMs = this.clock();
      if (this.local !== null) return this.local.ingest(batch);
      return this.ingestSharded(batch);
    });
  }

  /**
   * Moves the watermark forward to `timeMs` (see OccupancyEngine.advanceTo); resolves to the number of windows
   * closed, rejects with ParkirClockError when `options.maxJumpMs` refuses the move.
   */
  advanceTo(timeMs: number, options: AdvanceOptions = {}): Promise<number> {
    if (!Number.isFinite(timeMs))
      return Promise.reject(new ParkirError(`advanceTo needs a finite time, got ${timeMs}`));
    try {
      checkAdvanceOptions(options);
    } catch (e) {
      return Promise.reject(e);
    }
    const maxJumpMs = options.maxJumpMs;
    return this.enqueue(async () => {
      if (this.local !== null) return this.local.advanceTo(timeMs, options);
      const command: ShardCommand =
        maxJumpMs === undefined ? { cmd: "advanceTo", timeMs } : { cmd: "advanceTo", timeMs, maxJumpMs };
      const replies = await this.all(command);
      const refused = replies[0]!.clockError;
      if (refused !== undefined)
        throw new ParkirClockError(refused.timeMs, refused.referenceMs, refused.limitMs);
      this.since.push({ command, region: null });
      this.notePending(replies);
      this.emitMerged(replies);
      await this.checkpointIfDue();
      return replies[0]!.windowsClosed ?? 0;
    });
  }

  /** Processing-time step (see OccupancyEngine.tick); resolves to the number of windows closed. */
  tick(): Promise<number> {
    const idle = this.resolved.idleAdvanceMs;
    const now = this.clock();
    if (idle === 0 || now - this.lastIngestClockMs < idle) return Promise.resolve(0);
    return this.advanceTo(now - this.resolved.allowedLatenessMs, { maxJumpMs: this.resolved.maxTimeJumpMs });
  }

  /** Flushes (every pending window is emitted), completes the observables and stops the workers. Idempotent. */
  close(): Promise<void> {
    if (this.closed) return this.queue.then(() => undefined);
    this.closed = true;
    return this.enqueue(async () => {
      try {
        if (this.local !== null) this.local.close();
        else {
          const replies = await this.all({ cmd: "close" });
          this.finalCounters = this.mergeCounters(replies);
          this.finalCheckpoint = mergeCheckpoints(
            this.city,
            this.plans,
            replies.map((r) => r.checkpoint!),
            this.own,
          );
          this.emitMerged(replies);
          await Promise.all(this.pools.map((_, k) => this.run(k, { cmd: "drop" }).catch(() => undefined)));
        }
      } finally {
        this.windowsOut.complete();
        this.lateOut.complete();
        this.healthOut.complete();
        // Each KernelPool destroys its Piscina only when it created it; a caller's pool loses only the listeners
        // this engine added.
        await Promise.all(this.pools.map((p) => p.close()));
      }
    }, true);
  }

  /** The full state as checkpoint bytes, identical to a single engine's after the same calls. */
  checkpoint(): Promise<Uint8Array> {
    return this.enqueue(async () => {
      if (this.local !== null) return this.local.checkpoint();
      if (this.finalCheckpoint !== undefined) return this.finalCheckpoint;
      const replies = await this.all({ cmd: "checkpoint" });
      const merged = mergeCheckpoints(
        this.city,
        this.plans,
        replies.map((r) => r.checkpoint!),
        this.own,
      );
      this.assertClockState(merged);
      return merged;
    }, true);
  }

  /** Running totals, identical to a single engine's. */
  counters(): Promise<EngineCounters> {
    return this.enqueue(async () => {
      if (this.local !== null) return this.local.counters;
      if (this.finalCounters !== undefined) return this.finalCounters;
      const replies = await this.all({ cmd: "counters" });
      return this.mergeCounters(replies);
    }, true);
  }

  /** With clockGuard: refuses checkpoint bytes whose newest event lies too far after the clock (see OccupancyEngine.checkpoint). */
  private assertClockState(bytes: Uint8Array): void {
    const o = this.resolved;
    if (o.clockGuard) assertClockState(readCheckpoint(bytes).maxEventMs, this.clock(), o.maxTimeJumpMs);
  }

  private finalCounters: EngineCounters | undefined;
  private finalCheckpoint: Uint8Array | undefined;

  // ---- internals ----

  private async start(): Promise<void> {
    if (this.local !== null) return;
    const replies = await Promise.all(this.pools.map((_, k) => this.openShard(k)));
    // Recovery snapshot regions, sized from each shard's state as opened, mapped now rather than at the first
    // periodic snapshot.
    this.snapshotRegions = this.plans.map((_, k) => this.snapshotPair(replies[k]!.snapshotBytes ?? 0, true));
  }

  /** Serialises calls; bounds how many wait. */
  private enqueue<T>(fn: () => Promise<T>, afterClose = false): Promise<T> {
    if (this.closed && !afterClose)
      return Promise.reject(new ParkirRuntimeError("closed", "the engine is closed"));
    if (this.waiting > this.queueMax)
      return Promise.reject(
        new ParkirRuntimeError(
          "queue-full",
          `${this.waiting - 1} calls already wait (queueMax ${this.queueMax}); await earlier calls first`,
        ),
      );
    this.waiting++;
    const step = async (): Promise<T> => {
      if (this.stale.size > 0 && this.finalCheckpoint === undefined) await this.rebuildStale();
      return fn();
    };
    const run = this.queue.then(step, step);
    this.queue = run.then(
      () => {
        this.waiting--;
      },
      () => {
        this.waiting--;
      },
    );
    return run;
  }

  private async ingestSharded(batch: Uint8Array): Promise<IngestResult> {
    const arena = this.arena!;
    const length = batch.byteLength;
    let region = this.lent.get(batch.byteOffset);
    if (region !== undefined && arena.owns(batch) && length <= region.size) {
      // Zero copy: the caller filled a batchBuffer of this engine.
      this.lent.delete(batch.byteOffset);
    } else {
      region = this.region(length);
      arena.u8().set(batch, region.at);
      this.copiedBytes += length;
    }
    const clockMs = this.clock();
    const plain: ShardCommand = { cmd: "ingest", at: region.at, length, clockMs };
    const toOwn = this.offersOwn();
    let command: ShardCommand =
      this.own || toOwn ? { ...plain, own: this.pendingTotal, ...(toOwn ? { toOwn } : {}) } : plain;
    let replies: ShardReply[];
    try {
      replies = await this.all(command, true);
      const unsplit = same(replies, (x) => x.unsplit === true);
      if (unsplit && this.own) {
        await this.fallBackToEvery();
        command = plain;
        replies = await this.all(command, true);
      }
    } catch (e) {
      // Failed twice: rebuild every shard without this batch, then report it.
      await this.rebuildAll();
      this.free.push(region);
      throw e;
    }
    const switched = toOwn && same(replies, (x) => x.switched === true);
    if (switched) this.turnedOwn();
    const own = this.own;
    const r = this.agreed(
      replies.map((x) => x.result!),
      own,
    );
    if (r.rejected === 1) this.free.push(region);
    else this.since.push({ command, region });
    this.notedBatches(own ? 1 : 0, own ? 0 : 1);
    if (toOwn && !switched) this.refusedOwn();
    this.notePending(replies);
    this.emitMerged(replies, own);
    await this.checkpointIfDue();
    return ingestResult(r);
  }

  /**
   * Ingests JSON Lines bytes (CDS events, one per line; complete lines, the last one may lack its newline).
   * With workers, the main thread only copies the bytes into shared memory and cuts them at line ends into one
   * range per worker: each worker parses its range into EventBatches in shared memory (parsing, the costly part
   * of JSON input, is split, never repeated), then every shard ingests those batches in line order. Without
   * workers, the caller's thread parses. The outputs equal one OccupancyEngine ingesting the same batches;
   * refused lines cost only themselves (ParkirEventError, line numbers counted from `options.firstLine`).
   *
   * @throws ParkirError when `bytes` is not bytes or exceeds JSON_LINES_CHUNK_MAX; ParkirRuntimeError
   *   ("queue-full") as ingest; ParkirWorkerError when a shard failed twice on a batch (the state is then as
   *   if those batches never arrived).
   */
  ingestJsonLines(bytes: Uint8Array, options: JsonLinesIngestOptions = {}): Promise<JsonLinesIngestResult> {
    try {
      if (!(bytes instanceof Uint8Array)) throw new ParkirError("ingestJsonLines needs a Uint8Array");
      if (bytes.byteLength > JSON_LINES_CHUNK_MAX)
        throw new ParkirError(
          `ingestJsonLines takes at most ${JSON_LINES_CHUNK_MAX} bytes per call, got ${bytes.byteLength}: split at line ends`,
        );
    } catch (e) {
      return Promise.reject(e);
    }
    const reader: ShardReaderOptions = {
      batchEvents: options.batchEvents ?? JSON_BATCH_EVENTS_DEFAULT,
      maxLineBytes: options.maxLineBytes ?? EVENT_LINE_BYTES_MAX,
      keepEventIds: options.keepEventIds ?? true,
    };
    const firstLine = options.firstLine ?? 1;
    return this.enqueue(async () => {
      this.lastIngestClockMs = this.clock();
      if (this.local !== null) {
        const parsed = this.parseHere(bytes, reader);
        return linesResult(
          [parsed],
          parsed.batches.map((b) => this.local!.ingest(b)),
          firstLine,
        );
      }
      if (this.plans.length === 1) return this.ingestLinesOneShard(bytes, reader, firstLine);
      const parsed = await this.parseInWorkers(bytes, reader);
      const batches = parsed.flatMap((p) => p.batches);
      const results = batches.length === 0 ? [] : await this.ingestBatches(batches);
      return linesResult(parsed, results, firstLine);
    });
  }

  /**
   * ingestJsonLines with one shard: the bytes are copied into shared memory once and cut into one range of
   * whole lines per worker; the shard parses the first range and ingests each batch as it is read (written
   * straight into its engine's batch memory), while the parse-only workers parse the other ranges, whose
   * batches the shard then ingests. Outputs are emitted once every step succeeded.
   */
  private async ingestLinesOneShard(
    bytes: Uint8Array,
    reader: ShardReaderOptions,
    firstLine: number,
  ): Promise<JsonLinesIngestResult> {
    const length = bytes.byteLength;
    const region = this.region(Math.max(1, length));
    this.arena!.u8().set(bytes, region.at);
    this.copiedBytes += length;
    const cuts = lineRanges(bytes, this.workers);
    const clockMs = this.clock();
    const own: ShardCommand = { cmd: "ingestLines", at: region.at, length: cuts[1]!, reader, clockMs };
    const rest = Promise.all(
      this.pools.slice(1).map((_, j) =>
        this.runRetried(j + 1, {
          cmd: "parse",
          at: region.at + cuts[j + 1]!,
          length: cuts[j + 2]! - cuts[j + 1]!,
          reader,
        }),
      ),
    );
    // Awaited below; handled now so that a failure while the shard still runs is not an unhandled rejection.
    rest.catch(() => undefined);
    // The state as if these lines never arrived, then the failure (ParkirWorkerError) reported.
    const undo = async (e: unknown): Promise<never> => {
      await rest.catch(() => undefined);
      await this.rebuildAll();
      this.free.push(region);
      throw e;
    };
    let first: ShardReply;
    try {
      first = (await this.all(own, true))[0]!;
    } catch (e) {
      return undo(e);
    }
    const entry: SinceEntry = { command: own, region };
    this.since.push(entry);
    const parsed = [first.parsed!];
    const replies = [...first.batches!];
    try {
      parsed.push(...(await rest).map((r) => r.parsed!));
      const batches = parsed.flatMap((p) => p.batches);
      if (batches.length > 0) {
        const next: ShardCommand = { cmd: "ingestBatches", batches, clockMs };
        // A retry rebuilds the shard from the log, which holds the first range already.
        replies.push(...(await this.all(next, true))[0]!.batches!);
        entry.next = next;
      }
    } catch (e) {
      this.since.pop();
      return undo(e);
    }
    const results: IngestResult[] = [];
    for (const b of replies) {
      results.push(ingestResult(b.result));
      this.emitMerged([b]);
    }
    await this.checkpointIfDue();
    return linesResult(parsed, results, firstLine);
  }

  /** parse of the `workers: 0` engine: the same reader in the caller's thread. */
  private parseHere(bytes: Uint8Array, o: ShardReaderOptions): ParsedLines {
    const { batches, errors, counters, report } = encodeJsonLines(bytes, this.city, o);
    return {
      batches,
      errors: errors.map((e) => ({ line: e.line, issues: e.issues })),
      lines: counters.lines,
      unknownPlaces: report.unknownBay + report.unknownZone,
    };
  }

  /** Copies the bytes into shared memory once and has worker k (shard or not) parse the k-th range of whole lines. */
  private async parseInWorkers(bytes: Uint8Array, reader: ShardReaderOptions): Promise<ParsedLines[]> {
    const length = bytes.byteLength;
    const region = this.region(Math.max(1, length));
    try {
      const u8 = this.arena!.u8();
      u8.set(bytes, region.at);
      this.copiedBytes += length;
      const cuts = lineRanges(bytes, this.workers);
      const settled = await Promise.all(
        this.pools.map((_, k) =>
          this.runRetried(k, {
            cmd: "parse",
            at: region.at + cuts[k]!,
            length: cuts[k + 1]! - cuts[k]!,
            reader,
          }),
        ),
      );
      return settled.map((r) => r.parsed!);
    } finally {
      this.free.push(region);
    }
  }

  /**
   * Every shard ingests `batches` in order; outputs merged batch by batch. With own admission, the shards stop
   * at the first batch that is not splittable: every shard then admits every event, from that batch on (and
   * turns to own admission again at a later splittable batch, when offered: offersOwn).
   */
  private async ingestBatches(batches: Uint8Array[]): Promise<IngestResult[]> {
    const clockMs = this.clock();
    const out: IngestResult[] = [];
    let rest = batches;
    while (rest.length > 0) {
      const own = this.own;
      const toOwn = this.offersOwn();
      const plain: ShardCommand = { cmd: "ingestBatches", batches: rest, clockMs };
      const command: ShardCommand =
        own || toOwn ? { ...plain, own: this.pendingTotal, ...(toOwn ? { toOwn } : {}) } : plain;
      let replies: ShardReply[];
      try {
        replies = await this.all(command, true);
      } catch (e) {
        await this.rebuildAll();
        throw e;
      }
      const done = replies[0]!.batches!.length;
      const r0 = replies[0]!;
      if (
        replies.some(
          (x) => x.batches!.length !== done || x.unsplitAt !== r0.unsplitAt || x.switchedAt !== r0.switchedAt,
        )
      )
        throw new ParkirError("sharded engine: shards disagree on splitting a batch (a bug)");
      // The first batch admitted by zone.
      const from = own ? 0 : (r0.switchedAt ?? done);
      for (let i = 0; i < done; i++) {
        const parts = replies.map((x) => x.batches![i]!);
        out.push(
          ingestResult(
            this.agreed(
              parts.map((p) => p.result),
              i >= from,
            ),
          ),
        );
        this.emitMerged(parts, i >= from);
      }
      if (from < done && !own) this.turnedOwn();
      this.notedBatches(done - Math.min(from, done), Math.min(from, done));
      if (toOwn && from >= done) this.refusedOwn();
      this.notePending(replies);
      if (done > 0)
        this.since.push({
          command: done === rest.length ? command : { ...command, batches: rest.slice(0, done) },
          region: null,
        });
      rest = rest.slice(done);
      if (rest.length > 0) {
        if (!this.own) throw new ParkirError("sharded engine: shards stopped short of the batches (a bug)");
        await this.fallBackToEvery();
      }
    }
    await this.checkpointIfDue();
    return out;
  }

  /**
   * Whether the next ingest offers the shards own admission (`toOwn`: they turn to it at a splittable batch):
   * wanted, not on yet, the first window open (which window opens first depends on the oldest pending event of
   * every zone, so until then every shard admits every event), and no pause after a fall back.
   */
  private offersOwn(): boolean {
    return this.ownWanted && !this.own && this.windowOpen && this.ownPause === 0;
  }

  /** The shards turned to own admission (at a splittable batch of a `toOwn` ingest). */
  private turnedOwn(): void {
    this.own = true;
    this.ownBatches = 0;
  }

  /**
   * The shards were offered own admission and no batch of the call could be split: each offer costs every shard
   * a second verification of each batch, so the next comes after a pause that doubles (up to OWN_PAUSE_MAX) while
   * offers are refused (a feed whose batches carry event ids is offered own admission less and less often).
   */
  private refusedOwn(): void {
    this.ownPatience = Math.min(OWN_PAUSE_MAX, 2 * this.ownPatience);
    this.ownPause = this.ownPatience;
  }

  /** Counts batches admitted by zone (`own`) and admitting every event (`every`), for the pause (offersOwn). */
  private notedBatches(own: number, every: number): void {
    this.ownBatches += own;
    if (this.ownWanted && this.windowOpen) this.ownPause = Math.max(0, this.ownPause - every);
  }

  /**
   * Turns the shards from own admission to every event (a batch that cannot be split), in place: each adopts the
   * other shards' pending events, keys and counts from the whole engine's checkpoint, so nothing else of a shard
   * changes (a restored engine would list every row of its next window as changed); logged like a call, so a
   * failed shard is rebuilt through it. Own admission is offered again after a pause of batches that doubles
   * (up to OWN_PAUSE_MAX) while the shards keep falling back soon after turning to it, and is back to one batch
   * after a run of own admission four times the pause: each fall back costs a checkpoint of every shard.
   */
  private async fallBackToEvery(): Promise<void> {
    const replies = await this.all({ cmd: "checkpoint" });
    const merged = mergeCheckpoints(
      this.city,
      this.plans,
      replies.map((r) => r.checkpoint!),
      true,
    );
    const command: ShardCommand = { cmd: "admitEvery", merged };
    await this.all(command);
    this.own = false;
    this.since.push({ command, region: null });
    this.ownPatience =
      this.ownBatches >= 4 * this.ownPatience ? 1 : Math.min(OWN_PAUSE_MAX, 2 * this.ownPatience);
    this.ownPause = this.ownPatience;
  }

  /**
   * Notes the engine's pending events after a call, at most (own.ts): any shard's count when every shard admits
   * every event, else the shards' counts summed (each holds its own zones' and every payment); and whether its
   * first window is open.
   */
  private notePending(replies: readonly ShardReply[]): void {
    if (replies[0]?.windowOpen === true) this.windowOpen = true;
    let n = 0;
    if (!this.own) n = replies[0]?.pending ?? 0;
    else for (const r of replies) n += r.pending ?? 0;
    this.pendingTotal = n;
  }

  /**
   * The shards' results of one ingest: with own admission the counts of events are summed (each shard counts its
   * own), the rest checked equal; else all checked equal (admission is global).
   */
  private agreed(rs: readonly ShardIngestResult[], own: boolean): ShardIngestResult {
    if (!own) return agreed(rs);
    const r = rs[0]!;
    let accepted = 0;
    let duplicate = 0;
    let late = 0;
    let unknownBay = 0;
    for (const y of rs) {
      if (
        y.clockSkew !== r.clockSkew ||
        y.watermarkMs !== r.watermarkMs ||
        y.windowsClosed !== r.windowsClosed ||
        y.rejected !== r.rejected
      )
        throw new ParkirError("sharded engine: shards disagree on admission (a bug)");
      accepted += y.accepted;
      duplicate += y.duplicate;
      late += y.late;
      unknownBay += y.unknownBay;
    }
    return { ...r, accepted, duplicate, late, unknownBay };
  }

  /** Runs a command on shard k; when its worker fails, rebuilds the shard there and retries once. */
  private async runRetried(k: number, command: ShardCommand): Promise<ShardReply> {
    try {
      return await this.run(k, command);
    } catch {
      this.recoveries++;
      await this.rebuild(k);
      return this.run(k, command);
    }
  }

  /**
   * Shared memory for one batch: fill it (e.g. read a frame straight into it) and pass it to ingest, which
   * then reads it in place instead of copying. The engine owns it from then on; take a new one per batch.
   * With workers: 0 this is plain memory (the local engine reads any bytes in place).
   */
  batchBuffer(bytes: number): Uint8Array {
    if (this.arena === null) return new Uint8Array(bytes);
    const region = this.region(bytes);
    const view = new Uint8Array(this.arena.memory.buffer, region.at, bytes);
    this.lent.set(region.at, region);
    return view;
  }
  private readonly lent = new Map<number, Region>();

  private region(bytes: number): Region {
    // Best fit: the smallest free region that holds it (a large region is not spent on a small batch).
    let i = -1;
    for (let j = 0; j < this.free.length; j++) {
      const r = this.free[j]!;
      if (r.size >= bytes && (i < 0 || r.size < this.free[i]!.size)) i = j;
    }
    if (i >= 0) return this.free.splice(i, 1)[0]!;
    const size = Math.max(64 << 10, 2 ** Math.ceil(Math.log2(Math.max(1, bytes))));
    return { at: this.arena!.alloc(size, 64), size };
  }

  /**
   * Runs a command (or shard k's own command) on every shard; on a failure, rebuilds that shard and retries
   * once (when `retry`).
   */
  private async all(
    commands: ShardCommand | ((k: number) => ShardCommand),
    retry = true,
  ): Promise<ShardReply[]> {
    const commandOf = typeof commands === "function" ? commands : () => commands;
    const settled = await Promise.allSettled(this.plans.map((p) => this.run(p.index, commandOf(p.index))));
    const out: ShardReply[] = [];
    for (let k = 0; k < settled.length; k++) {
      const s = settled[k]!;
      if (s.status === "fulfilled") {
        out.push(s.value);
        continue;
      }
      const command = commandOf(k);
      if (!retry || command.cmd === "drop") throw s.reason;
      this.recoveries++;
      await this.rebuild(k);
      out.push(await this.run(k, command));
    }
    return out;
  }

  private async run(k: number, command: ShardCommand): Promise<ShardReply> {
    const reply = await this.pools[k]!.run(
      SHARD_OP,
      { engineId: this.engineId, shard: this.plans[k] ?? null, command },
      { idempotent: false },
    );
    if (reply.busyMs !== undefined) this.busyMs[k] = reply.busyMs;
    this.cpuMs[k] = reply.cpuMs ?? Number.NaN;
    if (reply.taskId !== undefined) {
      // (Re)opened on a thread: count from here, on from what earlier threads of this worker ran.
      const before = this.threads[k] === undefined ? 0 : this.shardCpuMs[k]!;
      const base = threadCpuMsOf(reply.taskId);
      this.threads[k] = Number.isNaN(base)
        ? undefined
        : { taskId: reply.taskId, base, carried: Number.isNaN(before) ? 0 : before };
    }
    return reply;
  }

  /** Opens shard k on its worker (from its checkpoint), or worker k's parser when k is not a shard. */
  private openShard(k: number): Promise<ShardReply> {
    if (k >= this.plans.length) return this.run(k, { cmd: "openParser", city: cityDocument(this.city) });
    const from = this.shardCheckpoints[k];
    const base = { city: cityDocument(this.city), options: shardOptions(this.options) };
    return this.run(
      k,
      from === undefined
        ? { cmd: "open", ...base }
        : "checkpoint" in from
          ? { cmd: "restore", ...base, checkpoint: from.checkpoint }
          : { cmd: "recover", ...base, snapshots: this.snapshotsOfAll() },
    );
  }

  /** Every shard's last recovery snapshot (all taken at one call: checkpointShards), in shard order. */
  private snapshotsOfAll(): Uint8Array[] {
    return this.shardCheckpoints.map((b) => {
      if (b === undefined || !("snapshot" in b))
        throw new ParkirError("sharded engine: shards were not snapshotted together (a bug)");
      return b.snapshot;
    });
  }

  /** Rebuilds shard k on its (possibly new) worker from its checkpoint and the batches since. */
  private async rebuild(k: number): Promise<void> {
    await this.openShard(k);
    if (k >= this.plans.length) return;
    for (const b of this.since) {
      await this.run(k, b.command);
      if (b.next !== undefined) await this.run(k, b.next);
    }
  }

  /**
   * Rebuilds every shard (after a batch failed twice: without it). Never throws: a shard whose rebuild fails
   * too (its worker killed again) stays stale and is rebuilt before the next call does anything.
   */
  private async rebuildAll(): Promise<void> {
    for (let k = 0; k < this.plans.length; k++) this.stale.add(k);
    await this.rebuildStale().catch(() => undefined);
  }

  /** Rebuilds the stale shards; rejects (ParkirWorkerError) when one fails, leaving it and later ones stale. */
  private async rebuildStale(): Promise<void> {
    for (const k of [...this.stale].sort((a, b) => a - b)) {
      await this.rebuild(k);
      this.stale.delete(k);
    }
  }

  /**
   * Shards whose worker may hold a state other than the log's (a rebuild after a failed call failed too):
   * rebuilt before the next call runs, which rejects with that failure, having changed nothing, if it fails.
   */
  private readonly stale = new Set<number>();

  /**
   * Checkpoints the shards once the recovery log holds checkpointEvery calls, or RECOVERY_LOG_BYTES_MAX bytes
   * of their inputs (shared-memory regions and parsed batches), whichever comes first.
   */
  private async checkpointIfDue(): Promise<void> {
    let bytes = 0;
    for (const b of this.since) {
      bytes += b.region?.size ?? 0;
      for (const c of [b.command, b.next])
        if (c?.cmd === "ingestBatches") for (const x of c.batches) bytes += x.byteLength;
    }
    if (this.since.length < this.checkpointEvery && bytes < RECOVERY_LOG_BYTES_MAX) return;
    try {
      await this.checkpointShards();
    } catch {
      // The call itself is done and stays done. A shard failed twice while snapshotting: the last snapshots
      // and the log are kept (snapshots go to the region not holding a shard's last one), and the shards
      // are rebuilt from them before the next call.
      for (let k = 0; k < this.plans.length; k++) this.stale.add(k);
    }
  }

  private async checkpointShards(): Promise<void> {
    // Each shard writes a recovery snapshot into the one of its two regions that does not hold its last one.
    const target = (k: number): Region => {
      const r = this.snapshotRegions[k]!;
      return r.pair[r.last === 0 ? 1 : 0];
    };
    const replies = await this.all((k) => ({ cmd: "snapshot", at: target(k).at, size: target(k).size }));
    this.shardCheckpoints = replies.map((reply, k): ShardBase => {
      const r = this.snapshotRegions[k]!;
      const bytes = reply.snapshotBytes!;
      if (reply.snapshot === undefined) {
        const region = target(k);
        r.last = r.pair.indexOf(region);
        return { snapshot: new Uint8Array(this.arena!.memory.buffer, region.at, bytes) };
      }
      // The state outgrew the regions: the snapshot came in a buffer of its own; larger regions next time.
      this.free.push(...r.pair);
      this.snapshotRegions[k] = this.snapshotPair(bytes, false);
      return { snapshot: reply.snapshot };
    });
    for (const b of this.since) if (b.region !== null) this.free.push(b.region);
    this.since = [];
  }

  /**
   * Two regions for a shard's recovery snapshots of about `bytes` (with room to grow), touched now when
   * `touch` (so writing a snapshot does not wait on the operating system to map fresh pages).
   */
  private snapshotPair(bytes: number, touch: boolean): { pair: [Region, Region]; last: number } {
    const arena = this.arena!;
    const size = Math.ceil((bytes + (bytes >> 2) + 1) / SNAPSHOT_ROUND) * SNAPSHOT_ROUND;
    const pair: [Region, Region] = [
      { at: arena.alloc(size, 64), size },
      { at: arena.alloc(size, 64), size },
    ];
    if (touch) {
      const u8 = arena.u8();
      for (const r of pair) for (let p = r.at; p < r.at + size; p += 4096) u8[p] = 0;
    }
    return { pair, last: -1 };
  }

  private mergeCounters(replies: readonly ShardReply[]): EngineCounters {
    const all = replies.map((r) => r.counters!);
    const first = all[0]!;
    const sum = (key: keyof EngineCounters) => all.reduce((s, c) => s + c[key], 0);
    const merged = {
      ...first,
      applied: sum("applied"),
      silent: sum("silent"),
      lost: sum("lost"),
      decommissioned: sum("decommissioned"),
      recovered: sum("recovered"),
    };
    if (!this.own) return merged;
    // Each shard counts its own events and keeps its own pending ones, and every payment.
    let payments = 0;
    for (const r of replies.slice(1)) payments += r.pendingPayments!;
    return {
      ...merged,
      accepted: sum("accepted"),
      duplicate: sum("duplicate"),
      late: sum("late"),
      unknownBay: sum("unknownBay"),
      pending: sum("pending") - payments,
    };
  }

  /**
   * Emits the shards' outputs of one call, group by group: health, late, then windows. `own`: the shards admitted
   * their own zones' events, so each reported its own late events.
   */
  private emitMerged(replies: readonly { readonly groups: readonly ShardGroup[] }[], own = false): void {
    const groups = Math.max(0, ...replies.map((r) => r.groups.length));
    for (let g = 0; g < groups; g++) {
      const parts = replies.map((r) => r.groups[g]).filter((x): x is ShardGroup => x !== undefined);
      const health = this.mergeHealth(
        parts.map((p) => p.health).filter((h): h is HealthReport => h !== null),
      );
      if (health !== null) this.healthOut.next(health);
      const lates = parts.map((p) => p.late).filter((l): l is LateReport => l !== null);
      const late = own ? this.mergeLate(lates) : (lates[0] ?? null);
      if (late !== null) this.lateOut.next(late);
      const count = Math.max(0, ...parts.map((p) => p.windows.length));
      for (let i = 0; i < count; i++)
        this.windowsOut.next(this.mergeWindow(replies.map((r) => r.groups[g]?.windows[i])));
    }
  }

  /** Late reports of own admission: each shard's own late events, in batch order, up to lateDetailsMax. */
  private mergeLate(reports: readonly LateReport[]): LateReport | null {
    if (reports.length === 0) return null;
    const events = reports.flatMap((r) => r.events).sort((a, b) => a.index - b.index);
    let count = 0;
    for (const r of reports) count += r.count;
    return {
      count,
      events: events.slice(0, this.resolved.lateDetailsMax),
      watermarkMs: reports[0]!.watermarkMs,
    };
  }

  private mergeHealth(reports: readonly HealthReport[]): HealthReport | null {
    if (reports.length === 0) return null;
    const events: HealthEvent[] = reports.flatMap((r) => r.events);
    let total = 0;
    for (const r of reports) total += r.events.length + r.dropped;
    // The single engine's order: event time; at one instant, changes from events before sensor timeouts; then bay.
    events.sort(
      (a, b) =>
        a.atMs - b.atMs ||
        (a.status === "silent" ? 1 : 0) - (b.status === "silent" ? 1 : 0) ||
        this.bayIndex(a.bay) - this.bayIndex(b.bay),
    );
    const kept = events.slice(0, this.healthMax);
    return { events: kept, dropped: total - kept.length, detectedAtMs: this.clock() };
  }

  private mergeWindow(parts: readonly (ShardGroup["windows"][number] | undefined)[]): WindowBatch {
    const first = parts.find((p) => p !== undefined)!;
    const rows = this.plans.at(-1)!.rowHi;
    // One shard carries every window (carriesWindow): its column set has every row, its own filled in.
    let carrier = -1;
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k];
      if (p === undefined || p.windowStart !== first.windowStart)
        throw new ParkirError("sharded engine: shards closed different windows (a bug)");
      if (
        p.columns.length === rows &&
        carriesWindow(this.plans[k]!, p.windowStart, p.windowEnd - p.windowStart)
      )
        carrier = k;
    }
    if (carrier < 0) throw new ParkirError("sharded engine: no shard carried the window (a bug)");
    const columns = parts[carrier]!.columns;
    for (let k = 0; k < parts.length; k++) {
      if (k === carrier) continue;
      const p = parts[k]!;
      const lo = this.plans[k]!.rowLo;
      for (const key of Object.keys(columns) as (keyof typeof columns)[]) {
        if (key !== "length") (columns[key] as Uint8Array).set(p.columns[key] as Uint8Array, lo);
      }
    }
    // Each shard lists its own rows in ascending order, and shards hold ascending ranges of rows.
    let count = 0;
    for (const p of parts) count += p!.changed.length;
    const changed = new Uint32Array(count);
    count = 0;
    for (const p of parts) {
      changed.set(p!.changed, count);
      count += p!.changed.length;
    }
    const slot = { columns, gen: 0, held: 0, changed, changedCount: count };
    return new ClosedWindow(this.city, first.windowStart, first.windowEnd, slot);
  }
}

let nextEngineId = 1;

/** Most bytes one ingestJsonLines call takes (a bound on the shared memory and the errors one call holds). */
export const JSON_LINES_CHUNK_MAX = 64 << 20;
/** Events per batch the JSON Lines reader writes for ingestJsonLines, by default. */
const JSON_BATCH_EVENTS_DEFAULT = 16_384;

/** Options of ShardedOccupancyEngine.ingestJsonLines. */
export interface JsonLinesIngestOptions {
  /** Valid events per batch (see JsonLinesOptions.batchEvents). Default 16,384. */
  readonly batchEvents?: number;
  /** Longest line read (see JsonLinesOptions.maxLineBytes). Default 64 KiB. */
  readonly maxLineBytes?: number;
  /** Keep event ids in the batches (see JsonLinesOptions.keepEventIds). Default true. */
  readonly keepEventIds?: boolean;
  /** Number of the first line, for error messages of a stream fed in chunks. Default 1. */
  readonly firstLine?: number;
}

/** What ingestJsonLines did: per-batch engine results, their sums, and the lines the reader refused. */
export interface JsonLinesIngestResult {
  /** Lines read. */
  readonly lines: number;
  /** One error per refused line, in line order (at most one per line of the call). */
  readonly errors: readonly ParkirEventError[];
  /** Valid events naming a bay, zone or device the catalogue does not know (left out of the batches). */
  readonly unknownPlaces: number;
  /** The engine's result for each batch, in line order. */
  readonly batches: readonly IngestResult[];
  /** Events accepted, over the batches. */
  readonly accepted: number;
  /** Duplicates dropped, over the batches. */
  readonly duplicate: number;
  /** Late events dropped, over the batches. */
  readonly late: number;
  /** Events refused by the clock-skew guard, over the batches. */
  readonly clockSkew: number;
  /** Windows closed by the call. */
  readonly windowsClosed: number;
  /** Watermark after the call (−Infinity before the first event). */
  readonly watermarkMs: number;
}

/**
 * Where ingestJsonLines cuts `bytes` into `n` ranges of whole lines, one per worker: n + 1 offsets from 0 to
 * the length, each inner one just after the first newline at or after k/n of the bytes (ranges may be empty).
 */
export function lineRanges(bytes: Uint8Array, n: number): number[] {
  const length = bytes.byteLength;
  const cuts = [0];
  for (let k = 1; k < n; k++) {
    const from = Math.max(cuts[k - 1]!, Math.floor((length * k) / n));
    const nl = from === 0 ? -1 : bytes.indexOf(10, from - 1);
    cuts.push(nl < 0 ? length : nl + 1);
  }
  cuts.push(length);
  return cuts;
}

/** ingestJsonLines' result from the parsed ranges (in line order) and the batches' engine results. */
function linesResult(
  parsed: readonly ParsedLines[],
  results: IngestResult[],
  firstLine: number,
): JsonLinesIngestResult {
  const errors: ParkirEventError[] = [];
  let lines = 0;
  let unknownPlaces = 0;
  for (const p of parsed) {
    for (const e of p.errors) errors.push(new ParkirEventError(e.issues, firstLine - 1 + lines + e.line));
    lines += p.lines;
    unknownPlaces += p.unknownPlaces;
  }
  return { lines, errors, unknownPlaces, batches: results, ...sumResults(results) };
}

/** Sums of per-batch results (the watermark is the last one's). */
function sumResults(
  rs: readonly IngestResult[],
): Omit<JsonLinesIngestResult, "lines" | "errors" | "unknownPlaces" | "batches"> {
  let accepted = 0;
  let duplicate = 0;
  let late = 0;
  let clockSkew = 0;
  let windowsClosed = 0;
  for (const r of rs) {
    accepted += r.accepted;
    duplicate += r.duplicate;
    late += r.late;
    clockSkew += r.clockSkew;
    windowsClosed += r.windowsClosed;
  }
  const watermarkMs = rs.at(-1)?.watermarkMs ?? Number.NEGATIVE_INFINITY;
  return { accepted, duplicate, late, clockSkew, windowsClosed, watermarkMs };
}

/**
 * Whether `test` holds for every shard's reply or for none (shards decide splitting alike).
 *
 * @throws ParkirError when the shards disagree (a bug).
 */
function same(replies: readonly ShardReply[], test: (r: ShardReply) => boolean): boolean {
  const first = test(replies[0]!);
  if (replies.some((x) => test(x) !== first))
    throw new ParkirError("sharded engine: shards disagree on splitting a batch (a bug)");
  return first;
}

/** The shards' results of one ingest, checked equal where they must be (admission is global). */
function agreed(rs: readonly ShardIngestResult[]): ShardIngestResult {
  const r = rs[0]!;
  for (const y of rs) {
    if (
      y.accepted !== r.accepted ||
      y.duplicate !== r.duplicate ||
      y.late !== r.late ||
      y.clockSkew !== r.clockSkew ||
      y.watermarkMs !== r.watermarkMs
    )
      throw new ParkirError("sharded engine: shards disagree on admission (a bug)");
  }
  return r;
}

/** A shard's ingest result as IngestResult (the wire error rebuilt). */
function ingestResult(r: ShardIngestResult): IngestResult {
  const { errorReason, errorMessage, ...counts } = r;
  if (errorReason === undefined) return counts;
  return { ...counts, error: wireError(errorReason, errorMessage ?? "") };
}

function wireError(reason: string, message: string): ParkirWireError {
  const m = /at byte (\d+): (.*)$/s.exec(message);
  return new ParkirWireError(reason as WireErrorReason, m === null ? 0 : Number(m[1]), m?.[2] ?? message);
}

/**
 * Kernel workers on a piscina pool. `KernelPool` wraps a pool (ours or the caller's), posts ops with
 * the shared-memory handles, bounds what is outstanding, retries a task once when its worker dies,
 * and turns failures into ParkirWorkerError. Piscina replaces a dead worker by itself.
 */

import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import type * as PiscinaModule from "piscina";
import { ParkirRuntimeError, ParkirWorkerError } from "./errors.js";
import type { SharedArena } from "./memory.js";
import { RUNTIME_OPS } from "./ops.js";
import { workerPath } from "./paths.js";
import type { OpName, OpTable, TaskEnvelope, TaskResult, WorkerOp } from "./protocol.js";
import type { KernelName } from "./wasm.js";

/** Options of createPool. */
export interface PoolOptions {
  /**
   * Worker threads (min = max, so workers and their wasm instances stay warm). Default
   * `clamp(availableParallelism() − 1, 1, 2)`: one core stays with the main thread on a 2–4 core gateway.
   */
  readonly threads?: number;
  /** How long an idle worker above `threads` lives, ms. Default 600,000 (10 min); irrelevant while min = max. */
  readonly idleTimeoutMs?: number;
  /**
   * Tasks piscina queues when every worker is busy. Default 16. A full queue rejects new tasks;
   * KernelPool never posts more than `threads + maxQueue`, waiting instead.
   */
  readonly maxQueue?: number;
}

/** Default number of worker threads for this machine (see PoolOptions.threads). */
export function defaultThreads(): number {
  return Math.max(1, Math.min(2, availableParallelism() - 1));
}

const IDLE_TIMEOUT_MS_DEFAULT = 600_000;
const MAX_QUEUE_DEFAULT = 16;
/** Callers waiting for a slot, as a multiple of maxOutstanding, before run() refuses (a caller not awaiting). */
const WAITING_MAX_FACTOR = 4;

/**
 * What parkir uses of a worker pool. A piscina `Piscina` satisfies it; parkir's declarations name this
 * interface rather than piscina's class, so a consumer's type check never depends on piscina's own.
 */
export interface WorkerPool {
  /** Worker threads at most. */
  readonly maxThreads: number;
  /** The pool's resolved options; parkir reads the queue bound. */
  readonly options: { readonly maxQueue: number };
  /** Runs a task on a worker loaded from `filename`; a task whose signal aborts before it settles rejects. */
  run(task: unknown, options: { filename: string; signal?: AbortSignal }): Promise<unknown>;
  /** Stops every worker. */
  destroy(): Promise<void>;
  /**
   * Pool events (piscina's: `workerDestroy` when a worker is gone, `error`). Optional: without it, KernelPool
   * neither notices a worker's exit between tasks nor absorbs the pool's stray errors.
   */
  on?(event: "workerDestroy" | "error", listener: (arg: unknown) => void): unknown;
  /** Removes a listener added with `on`. */
  off?(event: "workerDestroy" | "error", listener: (arg: unknown) => void): unknown;
}

/**
 * A piscina pool for parkir's kernel worker with gateway-friendly defaults.
 *
 * @example
 * const pool = createPool({ threads: 2 });
 */
export function createPool(options: PoolOptions = {}): WorkerPool {
  const threads = options.threads ?? defaultThreads();
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 64))
    throw new RangeError(`threads must be an integer in 1..64, got ${threads}`);
  const maxQueue = options.maxQueue ?? MAX_QUEUE_DEFAULT;
  if (!(Number.isInteger(maxQueue) && maxQueue >= 0))
    throw new RangeError(`maxQueue must be ≥ 0, got ${maxQueue}`);
  // piscina is loaded when a pool is made: importing parkir does not pay for it.
  const { Piscina } = createRequire(import.meta.url)("piscina") as typeof PiscinaModule;
  return new Piscina({
    filename: workerPath(),
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: options.idleTimeoutMs ?? IDLE_TIMEOUT_MS_DEFAULT,
    maxQueue,
  });
}

/** Options of KernelPool. */
export interface KernelPoolOptions extends PoolOptions {
  /**
   * Use this pool instead of creating one (it may serve other work too; tasks name parkir's worker
   * file per run). KernelPool.close() then leaves it running. Default: a pool from createPool(options).
   */
  readonly pool?: WorkerPool;
  /** Extra attempts of a task whose worker died. Default 1. Tasks that throw are never retried. */
  readonly retries?: number;
  /**
   * Tasks need the state of the pool's one worker (the sharded engine's shards): when a worker exits, every
   * task posted and not yet settled fails as a worker death, also one still waiting in the pool's queue for
   * a worker (which would otherwise run on a fresh worker without that state, or wait forever when the pool
   * starts no replacement: piscina stops replacing workers once one dies before it is ready). Default false.
   */
  readonly stateful?: boolean;
}

/** Counters of a KernelPool. */
export interface KernelPoolStats {
  /** Tasks that returned a value. */
  completed: number;
  /** Attempts repeated because the worker died. */
  retried: number;
  /** Tasks that ended in ParkirWorkerError. */
  failed: number;
  /**
   * Errors the pool emitted and KernelPool absorbed: piscina emits one when a worker's reply arrives after
   * the worker's exit already failed its task (a worker killed just as it replied), and when a worker fails
   * with no task running. Unheard, such an event would crash the process.
   */
  poolErrors: number;
}

/** One posted attempt of a stateful pool's task: aborted when a worker exits before it settles. */
interface Attempt {
  readonly abort: AbortController;
  workerExited: boolean;
}

/** Options of one run. */
export interface RunTaskOptions {
  /** Whether running the task twice is harmless (then a worker death is retried). Default true. */
  readonly idempotent?: boolean;
}

/**
 * Runs kernel ops on workers over one SharedArena.
 *
 * @example
 * const kp = new KernelPool(arena, { threads: 2 });
 * const total = await kp.run("sum", { ptr, count, simd: true }, ["memread_simd"]);
 * await kp.close();
 */
export class KernelPool {
  /** The worker pool. */
  readonly pool: WorkerPool;
  /** Counters. */
  readonly stats: KernelPoolStats = { completed: 0, retried: 0, failed: 0, poolErrors: 0 };
  /** Most tasks posted and not yet settled (threads + maxQueue). */
  readonly maxOutstanding: number;
  private readonly arena: SharedArena;
  private readonly owned: boolean;
  private readonly retries: number;
  private readonly filename: string;
  private readonly modules: Partial<Record<KernelName, WebAssembly.Module>> = {};
  private outstanding = 0;
  private readonly waiting: (() => void)[] = [];
  private closed = false;
  /** With `stateful`: the attempts posted and not yet settled, each failed when a worker exits. */
  private readonly inFlight: Set<Attempt> | null;
  private readonly onWorkerDestroy = (): void => {
    // Deferred: piscina emits workerDestroy while it removes the worker; it fails that worker's running tasks
    // itself right after, so what is left to fail then are the tasks still queued for a worker.
    queueMicrotask(() => {
      for (const a of this.inFlight!) {
        a.workerExited = true;
        a.abort.abort();
      }
    });
  };
  private readonly onPoolError = (): void => {
    this.stats.poolErrors++;
  };

  constructor(arena: SharedArena, options: KernelPoolOptions = {}) {
    this.arena = arena;
    this.filename = workerPath();
    this.owned = options.pool === undefined;
    this.pool = options.pool ?? createPool(options);
    this.retries = options.retries ?? 1;
    if (!(Number.isInteger(this.retries) && this.retries >= 0 && this.retries <= 8))
      throw new RangeError(`retries must be an integer in 0..8, got ${this.retries}`);
    this.maxOutstanding = this.pool.maxThreads + Math.max(0, this.pool.options.maxQueue);
    this.inFlight = options.stateful === true && this.pool.on !== undefined ? new Set() : null;
    if (this.inFlight !== null) this.pool.on!("workerDestroy", this.onWorkerDestroy);
    this.pool.on?.("error", this.onPoolError);
  }

  /** Worker threads of the pool. */
  get threads(): number {
    return this.pool.maxThreads;
  }

  /** Tasks posted and not yet settled. */
  get pending(): number {
    return this.outstanding;
  }

  /** Makes compiled modules available to workers (sent along with every task; cheap: not copied). */
  provide(name: KernelName, module: WebAssembly.Module): void {
    this.modules[name] = module;
  }

  /**
   * Runs `op` on a worker: one of the runtime's own ops by name (OpTable), or any module's WorkerOp. Waits
   * for a slot when `maxOutstanding` tasks are in flight (and refuses with ParkirRuntimeError("queue-full")
   * when 4 × maxOutstanding callers already wait). A worker death is retried `retries` times for idempotent
   * tasks; then, or when the task throws, rejects with ParkirWorkerError.
   *
   * @throws ParkirRuntimeError("closed") after close().
   */
  run<K extends OpName>(
    op: K,
    args: OpTable[K]["args"],
    options?: RunTaskOptions,
  ): Promise<OpTable[K]["result"]>;
  run<A, R>(op: WorkerOp<A, R>, args: A, options?: RunTaskOptions): Promise<R>;
  async run(
    op: OpName | WorkerOp<unknown, unknown>,
    args: unknown,
    options: RunTaskOptions = {},
  ): Promise<unknown> {
    if (this.closed) throw new ParkirRuntimeError("closed", "the kernel pool is closed");
    const ref = typeof op === "string" ? (RUNTIME_OPS[op] as WorkerOp<unknown, unknown>) : op;
    const task: TaskEnvelope = {
      module: ref.module,
      op: ref.name,
      args,
      arena: { id: this.arena.id, memory: this.arena.memory },
      modules: this.modules,
    };
    const attemptsMax = options.idempotent === false ? 1 : 1 + this.retries;
    await this.slot();
    try {
      for (let attempt = 1; ; attempt++) {
        let result: TaskResult;
        const posted: Attempt | null =
          this.inFlight === null ? null : { abort: new AbortController(), workerExited: false };
        try {
          if (posted === null)
            result = (await this.pool.run(task, { filename: this.filename })) as TaskResult;
          else {
            this.inFlight!.add(posted);
            result = (await this.pool.run(task, {
              filename: this.filename,
              signal: posted.abort.signal,
            })) as TaskResult;
          }
        } catch (e) {
          // A rejection means the worker died (exit, terminate, OOM) or the pool refused the task.
          if (attempt < attemptsMax && !this.closed) {
            this.stats.retried++;
            continue;
          }
          this.stats.failed++;
          const cause =
            posted?.workerExited === true && !(e instanceof Error && /exited|terminat/i.test(e.message))
              ? new Error("the pool's worker exited before this task ran on it", { cause: e })
              : e;
          throw new ParkirWorkerError(ref.name, attempt, true, cause);
        } finally {
          if (posted !== null) this.inFlight!.delete(posted);
        }
        if (result.ok) {
          this.stats.completed++;
          return result.value;
        }
        this.stats.failed++;
        const cause = new Error(result.message);
        cause.name = result.name;
        throw new ParkirWorkerError(ref.name, attempt, false, cause);
      }
    } finally {
      // Hand the slot to the next waiter (outstanding unchanged), or free it.
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.outstanding--;
    }
  }

  /** Stops taking tasks; destroys the pool when KernelPool created it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.owned) await this.pool.destroy();
    if (this.inFlight !== null) this.pool.off?.("workerDestroy", this.onWorkerDestroy);
    this.pool.off?.("error", this.onPoolError);
  }

  private async slot(): Promise<void> {
    if (this.outstanding < this.maxOutstanding) {
      this.outstanding++;
      return;
    }
    if (this.waiting.length >= WAITING_MAX_FACTOR * this.maxOutstanding)
      throw new ParkirRuntimeError(
        "queue-full",
        `${this.waiting.length} tasks already wait for a worker; await earlier runs before posting more`,
      );
    // A finishing task hands its slot over directly (outstanding stays the same).
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
}

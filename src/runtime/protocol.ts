/**
 * Messages between the main thread and kernel workers. A task names its operation by module and name
 * (`WorkerOp`): the worker imports that module once and calls the handler it exports under that name in
 * `workerOps`, so the runtime carries no knowledge of what runs on it (occupancy shards, memory reads).
 * Every task carries the handles it needs (shared memory and compiled modules); posting them costs a few
 * microseconds because nothing is copied: the worker keeps one instance per memory, keyed by the arena id,
 * and ignores the handles once it has them. Workers never throw: a task that fails returns `{ ok: false }`,
 * so a rejected promise always means the worker itself died.
 */
import type { KernelName } from "./wasm.js";

/** The shared memory a task runs over. */
export interface ArenaHandle {
  /** SharedArena.id. */
  readonly id: string;
  /** The shared memory itself (posted by reference). */
  readonly memory: WebAssembly.Memory;
}

/**
 * A worker operation: the module that defines it (its file URL, `import.meta.url` in that module) and its
 * name in the module's `workerOps`. `A` and `R` are its argument and result types.
 */
export interface WorkerOp<A, R> {
  /** File URL of the module that exports the handler in `workerOps`. */
  readonly module: string;
  /** Key of the handler in that module's `workerOps`. */
  readonly name: string;
  /** Carries the types only; never set. */
  readonly types?: (args: A) => R;
}

/** Names operation `name` of the module at `moduleUrl` (see WorkerOp). */
export function workerOp<A, R>(moduleUrl: string, name: string): WorkerOp<A, R> {
  return { module: moduleUrl, name };
}

/** What a handler is given besides its arguments. */
export interface TaskContext {
  /** The shared memory of the task's arena. */
  readonly memory: WebAssembly.Memory;
  /** The exports of compiled kernel `name` (carried by the task) instantiated over that memory, cached. */
  kernel<T>(name: KernelName): T;
}

/** A handler of a worker operation. It may throw: the worker turns that into `{ ok: false }`. */
export type WorkerOpHandler<A, R> = (args: A, context: TaskContext) => R;

/** What a module of worker operations exports as `workerOps`. */
export type WorkerOps = Readonly<Record<string, WorkerOpHandler<never, unknown>>>;

/** A task as posted to piscina. */
export interface TaskEnvelope<A = unknown> {
  /** File URL of the module defining the operation. */
  readonly module: string;
  /** Operation name, a key of that module's `workerOps`. */
  readonly op: string;
  /** Arguments of the operation (structured-cloneable, small: byte offsets and counts). */
  readonly args: A;
  /** Memory to run over. */
  readonly arena: ArenaHandle;
  /** Compiled modules the op may instantiate. */
  readonly modules: Readonly<Partial<Record<KernelName, WebAssembly.Module>>>;
}

/** What a worker returns. */
export type TaskResult<R = unknown> =
  | { readonly ok: true; readonly value: R }
  | { readonly ok: false; readonly name: string; readonly message: string };

/** The runtime's own worker ops (src/runtime/ops.ts), with their argument and result types. */
export interface OpTable {
  /** Thread id of the worker (tests, warm-up). */
  ping: { args: null; result: number };
  /** Memory-read kernel over [ptr, ptr + 4 count). */
  sum: { args: { ptr: number; count: number; simd: boolean }; result: number };
  /**
   * Test hook, honoured only by workers started with PARKIR_WORKER_TEST_HOOKS=1: `exit` kills the
   * worker, `throw` throws; the `-once` forms act only on the first run (an i32 at byte `flag` of the
   * memory, initially 0, records it) and return 0 afterwards, so a retry succeeds. `block-once` sets
   * the flag to 1, wakes waiters on it, then blocks until terminated (at most 30 s).
   */
  testHook: { args: { how: "exit" | "throw" | "exit-once" | "block-once"; flag: number }; result: number };
}

/** Name of one of the runtime's own worker ops. */
export type OpName = keyof OpTable;

/** Environment variable that enables the test hooks in workers (tests only). */
export const TEST_HOOKS_ENV = "PARKIR_WORKER_TEST_HOOKS";

/**
 * A result value may list ArrayBuffers under this key: the worker moves them to the main thread instead of
 * copying them (the key itself is not sent: symbols are not cloned).
 */
export const TRANSFER: unique symbol = Symbol("parkir.transfer");

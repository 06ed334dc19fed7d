/**
 * Messages between the main thread and kernel workers. Every task carries the handles it needs
 * (shared memory and compiled modules); posting them costs a few microseconds because nothing is
 * copied: the worker keeps one instance per memory, keyed by the arena id, and ignores the handles
 * once it has them. Workers never throw: a task that fails returns `{ ok: false }`, so a rejected
 * promise always means the worker itself died.
 */
import type { ShardReply, ShardTask } from "./shard-worker.js";
import type { KernelName } from "./wasm.js";

/** The shared memory a task runs over. */
export interface ArenaHandle {
  /** SharedArena.id. */
  readonly id: string;
  /** The shared memory itself (posted by reference). */
  readonly memory: WebAssembly.Memory;
}

/** A task as posted to piscina. */
export interface TaskEnvelope<A = unknown> {
  /** Operation name, a key of the worker's op table. */
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

/** Ops a worker knows, with their argument and result types. */
export interface OpTable {
  /** Thread id of the worker (tests, warm-up). */
  ping: { args: null; result: number };
  /** A command for one shard of a sharded occupancy engine (shard-worker.ts). */
  occ: { args: ShardTask; result: ShardReply };
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

/** Name of a worker op. */
export type OpName = keyof OpTable;

/** Environment variable that enables the `fail` op in workers (tests only). */
export const TEST_HOOKS_ENV = "PARKIR_WORKER_TEST_HOOKS";

/**
 * A result value may list ArrayBuffers under this key: the worker moves them to the main thread instead of
 * copying them (the key itself is not sent: symbols are not cloned).
 */
export const TRANSFER: unique symbol = Symbol("parkir.transfer");

/** Errors of the runtime layer (wasm loading, shared memory, workers). */
import { ParkirError } from "../errors/index.js";

/** Why the runtime could not do what was asked. */
export type RuntimeErrorReason =
  /** A build/<name>.wasm file is missing: run `npm run build`. */
  | "wasm-missing"
  /** This JavaScript engine has no WebAssembly (or no shared memory), and `kernel: "wasm"` was required. */
  | "wasm-unsupported"
  /** An allocation would exceed the shared memory's maximum. */
  | "memory-exhausted"
  /** Too many tasks wait for a worker: the caller is not awaiting what it posts. */
  | "queue-full"
  /** The pool or engine was closed. */
  | "closed";

/** The runtime cannot load a kernel, grow its memory or start its workers. */
export class ParkirRuntimeError extends ParkirError {
  override readonly name = "ParkirRuntimeError";
  /** Machine-readable cause. */
  readonly reason: RuntimeErrorReason;
  constructor(reason: RuntimeErrorReason, detail: string) {
    super(`${reason}: ${detail}`);
    this.reason = reason;
  }
}

/**
 * A task failed in a worker: the worker crashed (exit, termination, out of memory) on every attempt,
 * or the task threw. `attempts` says how often it ran; `crashed` whether the last failure was the
 * worker dying rather than the task throwing. The caller's state is as before the task.
 */
export class ParkirWorkerError extends ParkirError {
  override readonly name = "ParkirWorkerError";
  /** Task operation name (e.g. "sum"). */
  readonly op: string;
  /** How many times the task was run. */
  readonly attempts: number;
  /** True when the worker died; false when the task itself threw. */
  readonly crashed: boolean;
  constructor(op: string, attempts: number, crashed: boolean, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      `worker task ${op} failed after ${attempts} attempt(s)${crashed ? " (worker crashed)" : ""}: ${why}`,
      {
        cause,
      },
    );
    this.op = op;
    this.attempts = attempts;
    this.crashed = crashed;
  }
}

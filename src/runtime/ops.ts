/**
 * The runtime's own worker ops (OpTable): `ping`, the memory-read kernel `sum`, and test hooks. Loaded by
 * worker.ts like any other module of worker ops.
 */
import { threadId } from "node:worker_threads";
import {
  type OpName,
  type OpTable,
  TEST_HOOKS_ENV,
  type WorkerOp,
  type WorkerOpHandler,
  workerOp,
} from "./protocol.js";

/** The WorkerOp of each of the runtime's own ops, by name. */
export const RUNTIME_OPS: { readonly [K in OpName]: WorkerOp<OpTable[K]["args"], OpTable[K]["result"]> } = {
  ping: workerOp(import.meta.url, "ping"),
  sum: workerOp(import.meta.url, "sum"),
  testHook: workerOp(import.meta.url, "testHook"),
};

/** Handlers of the runtime's own ops (run in workers). */
export const workerOps: {
  readonly [K in OpName]: WorkerOpHandler<OpTable[K]["args"], OpTable[K]["result"]>;
} = {
  ping: () => threadId,
  sum: (args, context) => {
    const k = context.kernel<{ sumU32(ptr: number, count: number): number }>(
      args.simd ? "memread_simd" : "memread",
    );
    return k.sumU32(args.ptr, args.count) >>> 0;
  },
  testHook: (args, context) => {
    if (process.env[TEST_HOOKS_ENV] !== "1") throw new Error(`testHook needs ${TEST_HOOKS_ENV}=1`);
    const flags = new Int32Array(context.memory.buffer);
    const first =
      args.how === "exit" ||
      args.how === "throw" ||
      Atomics.compareExchange(flags, args.flag >> 2, 0, 1) === 0;
    if (!first) return 0;
    if (args.how === "throw") throw new Error("testHook: thrown on purpose");
    if (args.how === "block-once") {
      Atomics.notify(flags, args.flag >> 2);
      Atomics.wait(flags, args.flag >> 2, 1, 30_000);
      return 0;
    }
    process.exit(70);
  },
};

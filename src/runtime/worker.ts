/**
 * Piscina worker entry: runs kernel ops over the shared memory it is handed. Loaded from
 * dist/src/runtime/worker.js (see paths.ts workerPath). Instances are cached per arena (at most
 * ARENAS_MAX, least recently used first out), so a worker instantiates each kernel once per memory.
 */
import { threadId } from "node:worker_threads";
import { Piscina } from "piscina";
import {
  type OpName,
  type OpTable,
  type TaskEnvelope,
  type TaskResult,
  TEST_HOOKS_ENV,
  TRANSFER,
} from "./protocol.js";
import { runShard } from "./shard-worker.js";
import { instantiateKernel, type KernelName } from "./wasm.js";

/** Arenas a worker keeps instances for; older ones are dropped (their engines are likely closed). */
const ARENAS_MAX = 8;

interface Attached {
  readonly memory: WebAssembly.Memory;
  readonly instances: Map<KernelName, unknown>;
}

const arenas = new Map<string, Attached>();

function attach(task: TaskEnvelope): Attached {
  let a = arenas.get(task.arena.id);
  if (a === undefined) {
    a = { memory: task.arena.memory, instances: new Map() };
    if (arenas.size >= ARENAS_MAX) arenas.delete(arenas.keys().next().value!);
  } else arenas.delete(task.arena.id);
  arenas.set(task.arena.id, a);
  return a;
}

/** The exports of kernel `name` instantiated over the task's memory. */
function kernel<T>(task: TaskEnvelope, name: KernelName): T {
  const a = attach(task);
  let inst = a.instances.get(name);
  if (inst === undefined) {
    const module = task.modules[name];
    if (module === undefined) throw new Error(`task ${task.op} did not carry kernel ${name}`);
    inst = instantiateKernel<unknown>(module, a.memory);
    a.instances.set(name, inst);
  }
  return inst as T;
}

type Handler<K extends OpName> = (args: OpTable[K]["args"], task: TaskEnvelope) => OpTable[K]["result"];

const ops: { [K in OpName]: Handler<K> } = {
  ping: () => threadId,
  occ: (args, task) => runShard(args, task.arena.memory),
  sum: (args, task) => {
    const k = kernel<{ sumU32(ptr: number, count: number): number }>(
      task,
      args.simd ? "memread_simd" : "memread",
    );
    return k.sumU32(args.ptr, args.count) >>> 0;
  },
  testHook: (args, task) => {
    if (process.env[TEST_HOOKS_ENV] !== "1") throw new Error(`testHook needs ${TEST_HOOKS_ENV}=1`);
    const flags = new Int32Array(task.arena.memory.buffer);
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

/**
 * Runs one task; never throws (errors come back as `{ ok: false }`). Buffers a result lists in
 * `TRANSFER` (window columns, checkpoint bytes) are moved to the main thread, not copied: cloning a
 * 1.6 MB buffer through a MessagePort costs milliseconds, moving it microseconds.
 */
export default function run(task: TaskEnvelope): TaskResult | object {
  let result: TaskResult;
  try {
    const handler = ops[task.op as OpName] as Handler<OpName> | undefined;
    if (handler === undefined) return { ok: false, name: "Error", message: `unknown op ${task.op}` };
    result = { ok: true, value: handler(task.args as never, task) };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    return { ok: false, name: err.name, message: err.message };
  }
  const transfer = (result.value as { [TRANSFER]?: ArrayBuffer[] } | null)?.[TRANSFER];
  if (transfer === undefined || transfer.length === 0) return result;
  return Piscina.move({ [Piscina.transferableSymbol]: transfer, [Piscina.valueSymbol]: result } as never);
}

/**
 * Piscina worker entry: runs worker ops over the shared memory it is handed. Loaded from
 * dist/src/runtime/worker.js (see paths.ts workerPath). A task names its op by module URL and name
 * (protocol.ts `WorkerOp`); each module is imported once per worker. Kernel instances are cached per
 * arena (at most ARENAS_MAX, least recently used first out), so a worker instantiates each kernel once
 * per memory.
 */
import { Piscina } from "piscina";
import type { TaskContext, TaskEnvelope, TaskResult, WorkerOpHandler, WorkerOps } from "./protocol.js";
import { TRANSFER } from "./protocol.js";
import { instantiateKernel, type KernelName } from "./wasm.js";

/** Arenas a worker keeps instances for; older ones are dropped (their engines are likely closed). */
const ARENAS_MAX = 8;
/** Modules of worker ops a worker keeps (a handful exist: the runtime's own and the occupancy shards'). */
const MODULES_MAX = 16;

interface Attached {
  readonly memory: WebAssembly.Memory;
  readonly instances: Map<KernelName, unknown>;
}

const arenas = new Map<string, Attached>();
const loaded = new Map<string, WorkerOps>();

function attach(task: TaskEnvelope): Attached {
  let a = arenas.get(task.arena.id);
  if (a === undefined) {
    a = { memory: task.arena.memory, instances: new Map() };
    if (arenas.size >= ARENAS_MAX) arenas.delete(arenas.keys().next().value!);
  } else arenas.delete(task.arena.id);
  arenas.set(task.arena.id, a);
  return a;
}

function contextOf(task: TaskEnvelope): TaskContext {
  const a = attach(task);
  return {
    memory: a.memory,
    kernel<T>(name: KernelName): T {
      let inst = a.instances.get(name);
      if (inst === undefined) {
        const module = task.modules[name];
        if (module === undefined) throw new Error(`task ${task.op} did not carry kernel ${name}`);
        inst = instantiateKernel<unknown>(module, a.memory);
        a.instances.set(name, inst);
      }
      return inst as T;
    },
  };
}

async function load(url: string): Promise<WorkerOps> {
  const mod = (await import(url)) as { workerOps?: WorkerOps };
  if (mod.workerOps === undefined) throw new Error(`${url} exports no workerOps`);
  if (loaded.size >= MODULES_MAX) loaded.delete(loaded.keys().next().value!);
  loaded.set(url, mod.workerOps);
  return mod.workerOps;
}

function failure(e: unknown): TaskResult {
  const err = e instanceof Error ? e : new Error(String(e));
  return { ok: false, name: err.name, message: err.message };
}

function runWith(ops: WorkerOps, task: TaskEnvelope): TaskResult | object {
  let result: TaskResult;
  try {
    const handler = Object.hasOwn(ops, task.op)
      ? (ops[task.op] as WorkerOpHandler<unknown, unknown>)
      : undefined;
    if (handler === undefined) return { ok: false, name: "Error", message: `unknown op ${task.op}` };
    result = { ok: true, value: handler(task.args, contextOf(task)) };
  } catch (e) {
    return failure(e);
  }
  const transfer = (result.value as { [TRANSFER]?: ArrayBuffer[] } | null)?.[TRANSFER];
  if (transfer === undefined || transfer.length === 0) return result;
  return Piscina.move({ [Piscina.transferableSymbol]: transfer, [Piscina.valueSymbol]: result } as never);
}

/**
 * Runs one task; never throws (errors come back as `{ ok: false }`). Buffers a result lists in
 * `TRANSFER` (window columns, checkpoint bytes) are moved to the main thread, not copied: cloning a
 * 1.6 MB buffer through a MessagePort costs milliseconds, moving it microseconds. Synchronous once the
 * op's module is loaded.
 */
export default function run(task: TaskEnvelope): TaskResult | object | Promise<TaskResult | object> {
  const ops = loaded.get(task.module);
  if (ops !== undefined) return runWith(ops, task);
  return load(task.module).then((o) => runWith(o, task), failure);
}

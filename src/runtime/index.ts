/**
 * Runtime, the generic layer under the kernels: wasm loading, one shared WebAssembly.Memory, kernel
 * selection, and workers on a piscina pool that run ops named by module. It knows nothing of occupancy or
 * pricing (their kernels live in their own folders). See docs/RUNTIME.md.
 */

export { type ThreadCpuSource, threadCpuMs, threadCpuMsOf, threadCpuSource, threadTaskId } from "./cpu.js";
export { ParkirRuntimeError, ParkirWorkerError, type RuntimeErrorReason } from "./errors.js";
export { defaultKernel, KERNEL_ENV, KERNEL_KINDS, type KernelKind, resolveKernel } from "./kernel.js";
export { type ArenaOptions, PAGE_BYTES, RESERVED_BYTES, SharedArena } from "./memory.js";
export { checkRegion, MemRead, type MemReadOptions, sumU32Js } from "./memread.js";
export { wasmPath, workerPath } from "./paths.js";
export {
  createPool,
  defaultThreads,
  KernelPool,
  type KernelPoolOptions,
  type KernelPoolStats,
  type PoolOptions,
  type RunTaskOptions,
  type WorkerPool,
} from "./pool.js";
export {
  type OpName,
  type OpTable,
  type TaskContext,
  type WorkerOp,
  type WorkerOpHandler,
  type WorkerOps,
  workerOp,
} from "./protocol.js";
export {
  compileKernel,
  compileKernelSync,
  instantiateKernel,
  KERNEL_PAGES_MAX,
  type KernelName,
  kernelBuilt,
  simdSupported,
  wasmSupported,
} from "./wasm.js";

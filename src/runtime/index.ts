/**
 * Runtime: AssemblyScript kernels over one shared WebAssembly.Memory, kernel selection, and kernel
 * workers on a piscina pool. See docs/RUNTIME.md.
 */

export { type BillingRows, WasmBilling } from "./billing.js";
export { ParkirRuntimeError, ParkirWorkerError, type RuntimeErrorReason } from "./errors.js";
export { defaultKernel, KERNEL_ENV, KERNEL_KINDS, type KernelKind, resolveKernel } from "./kernel.js";
export { type ArenaOptions, PAGE_BYTES, RESERVED_BYTES, SharedArena } from "./memory.js";
export { checkRegion, MemRead, type MemReadOptions, sumU32Js } from "./memread.js";
export {
  JS_OCCUPANCY_KERNEL,
  type OccupancyKernel,
  occupancyKernel,
  type ShardFilter,
  WasmOccupancyKernel,
  type WasmOccupancyOptions,
} from "./occupancy.js";
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
export type { OpName, OpTable } from "./protocol.js";
export { ShardedOccupancyEngine, type ShardedOccupancyOptions } from "./sharded.js";
export { planShards, type ShardPlan } from "./shards.js";
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

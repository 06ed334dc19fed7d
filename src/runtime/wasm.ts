/**
 * Loading compiled AssemblyScript kernels. Compilation is cached per kernel name: `compileKernelSync`
 * blocks (Node places no size limit on synchronous compilation; our kernels are a few KiB and compile
 * in well under a millisecond), `compileKernel` compiles off the main thread's critical path. A compiled
 * `WebAssembly.Module` is cheap to post to workers, which instantiate it over the same shared memory.
 */
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { ParkirRuntimeError } from "./errors.js";
import { wasmPath } from "./paths.js";

/** Names of the kernels built from wasm/ (build/<name>.wasm). */
export type KernelName = "memread" | "memread_simd" | "occupancy" | "billing" | "jsonl" | "uplink_simd";

/**
 * Largest memory the kernels declare, in 64 KiB pages (the wasm32 limit, 4 GiB). An imported memory
 * must not declare a larger maximum; SharedArena picks its own, smaller one.
 */
export const KERNEL_PAGES_MAX = 65536;

const compiled = new Map<KernelName, WebAssembly.Module>();

let supported: boolean | undefined;

/** Whether this JavaScript engine runs WebAssembly with shared memory (threads). Probed once per thread. */
export function wasmSupported(): boolean {
  supported ??= probeWasm();
  return supported;
}

function probeWasm(): boolean {
  if (typeof WebAssembly !== "object" || typeof SharedArrayBuffer !== "function") return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

// (module (func (result v128) (v128.const i32x4 0 0 0 0))): validates only where SIMD is supported.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

/** Whether this engine validates 128-bit SIMD instructions (kernels with a `_simd` variant use it then). */
export function simdSupported(): boolean {
  return wasmSupported() && WebAssembly.validate(SIMD_PROBE);
}

const built = new Set<KernelName>();

/**
 * Whether build/<name>.wasm exists (the package ships them; a source checkout needs `npm run build`). A kernel
 * found once is not looked for again; a missing one is, until it is built.
 */
export function kernelBuilt(name: KernelName): boolean {
  if (built.has(name)) return true;
  if (!existsSync(wasmPath(name))) return false;
  built.add(name);
  return true;
}

function missing(name: KernelName): never {
  throw new ParkirRuntimeError("wasm-missing", `${wasmPath(name)} not found: run \`npm run build\``);
}

/**
 * Compiles build/<name>.wasm synchronously (cached).
 *
 * @throws ParkirRuntimeError("wasm-missing") when the file is absent.
 * @example
 * const module = compileKernelSync("memread");
 */
export function compileKernelSync(name: KernelName): WebAssembly.Module {
  const hit = compiled.get(name);
  if (hit !== undefined) return hit;
  if (!kernelBuilt(name)) missing(name);
  const module = new WebAssembly.Module(readFileSync(wasmPath(name)));
  compiled.set(name, module);
  return module;
}

/**
 * Compiles build/<name>.wasm asynchronously (cached); same module as compileKernelSync.
 *
 * @throws ParkirRuntimeError("wasm-missing") when the file is absent.
 */
export async function compileKernel(name: KernelName): Promise<WebAssembly.Module> {
  const hit = compiled.get(name);
  if (hit !== undefined) return hit;
  if (!kernelBuilt(name)) missing(name);
  const module = await WebAssembly.compile(await readFile(wasmPath(name)));
  const raced = compiled.get(name);
  if (raced !== undefined) return raced;
  compiled.set(name, module);
  return module;
}

/**
 * Instantiates a compiled kernel over a memory (its only import is `env.memory`). Instances hold no
 * state of their own: everything lives in the memory at offsets the caller passes.
 */
export function instantiateKernel<T>(module: WebAssembly.Module, memory: WebAssembly.Memory): T {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as T;
}

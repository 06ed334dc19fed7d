/** Kernel selection: the same computation in AssemblyScript (wasm) or plain JavaScript. */
import { ParkirRuntimeError } from "./errors.js";
import { type KernelName, kernelBuilt, wasmSupported } from "./wasm.js";

/**
 * Which implementation runs a hot loop. Both give bit-identical results; `wasm` is faster on large
 * batches, `js` needs no WebAssembly and is the reference.
 */
export type KernelKind = "wasm" | "js";

/** The values KernelKind accepts, for option validation. */
export const KERNEL_KINDS: readonly KernelKind[] = ["wasm", "js"];

/**
 * Resolves a `kernel` option. Undefined means "wasm where possible": wasm when this engine has
 * WebAssembly with shared memory and the kernel files are built, JS otherwise. An explicit "wasm"
 * that cannot be honoured throws instead of silently falling back.
 *
 * @throws ParkirRuntimeError("wasm-unsupported" | "wasm-missing") for an impossible explicit "wasm".
 * @example
 * resolveKernel(undefined, ["memread"]); // "wasm" on Node 20 after `npm run build`
 */
export function resolveKernel(requested: KernelKind | undefined, needs: readonly KernelName[]): KernelKind {
  if (requested === "js") return "js";
  if (requested !== undefined && requested !== "wasm")
    throw new RangeError(`kernel must be "wasm" or "js", got ${JSON.stringify(requested)}`);
  const supported = wasmSupported();
  const built = needs.every(kernelBuilt);
  if (supported && built) return "wasm";
  if (requested === undefined) return "js";
  if (!supported)
    throw new ParkirRuntimeError(
      "wasm-unsupported",
      "this JavaScript engine lacks WebAssembly shared memory",
    );
  throw new ParkirRuntimeError(
    "wasm-missing",
    `kernel(s) ${needs.filter((n) => !kernelBuilt(n)).join(", ")} not built: run \`npm run build\``,
  );
}

/** Environment variable that sets the default kernel ("wasm" or "js"), e.g. to run a test suite under both. */
export const KERNEL_ENV = "PARKIR_KERNEL";

/**
 * The kernel used when an option leaves it unset: $PARKIR_KERNEL when it says "wasm" or "js", else
 * undefined (resolveKernel then picks wasm where possible).
 */
export function defaultKernel(): KernelKind | undefined {
  const v = typeof process === "object" ? process.env[KERNEL_ENV] : undefined;
  return v === "wasm" || v === "js" ? v : undefined;
}

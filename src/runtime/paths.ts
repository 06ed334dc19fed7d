/**
 * Where the runtime's files are: compiled kernels in build/ (shipped in the package) and the worker
 * script. Works from dist/ (installed, `npm start`) and from src/ under vitest.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { packageRoot } from "../paths.js";

/** Path of a compiled kernel, e.g. wasmPath("memread") → <package>/build/memread.wasm. */
export function wasmPath(name: string): string {
  return join(packageRoot(), "build", `${name}.wasm`);
}

/**
 * Absolute path of the piscina worker script. From dist/ it is worker-entry.cjs, which loads the compiled
 * sibling worker.js by import() (a thread killed while piscina require()s an ES module aborts the process:
 * see that file). From src/ (vitest runs TypeScript sources, and worker threads cannot load .ts) it is
 * dev-worker.cjs, which loads dev-worker.mjs the same way; that registers a TypeScript-transpiling loader and
 * serves worker.ts: the workers always run the same sources as the test, with no build step to forget and
 * no stale dist/ to trip over.
 */
export function workerPath(): string {
  const here = fileURLToPath(import.meta.url);
  return join(dirname(here), here.endsWith(".ts") ? "dev-worker.cjs" : "worker-entry.cjs");
}

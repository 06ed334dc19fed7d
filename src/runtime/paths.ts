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
 * Absolute path of the piscina worker script. From dist/ it is the compiled sibling worker.js. From
 * src/ (vitest runs TypeScript sources, and worker threads cannot load .ts) it is dev-worker.mjs,
 * which registers a TypeScript-transpiling loader and serves worker.ts: the workers always run the
 * same sources as the test, with no build step to forget and no stale dist/ to trip over.
 */
export function workerPath(): string {
  const here = fileURLToPath(import.meta.url);
  return join(dirname(here), here.endsWith(".ts") ? "dev-worker.mjs" : "worker.js");
}

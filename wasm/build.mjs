#!/usr/bin/env node
/**
 * Builds every AssemblyScript kernel in wasm/ into build/<name>.wasm with the AssemblyScript
 * compiler from node_modules (in-process through its `assemblyscript/asc` API, so binaryen loads once;
 * nothing is downloaded). Flags are explained in wasm/README.md. A kernel whose output is newer than
 * every wasm/ source and this script is skipped, so `npm test` stays quick; `--force` rebuilds all.
 *
 * After compiling, each module is checked: it must import nothing but `env.memory` (shared, except for a
 * kernel marked `shared: false`) and carry no data segment, because the memory's layout is the JS side's.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const out = join(root, "build");

/** Kernels: source file in wasm/, extra features, and `shared: false` for a kernel with a memory of its own per thread. */
export const KERNELS = [
  { name: "memread", simd: false },
  { name: "memread_simd", simd: true },
  { name: "occupancy", simd: false },
  { name: "billing", simd: false },
  { name: "uplink_simd", simd: true, shared: false },
  { name: "jsonl", simd: true, shared: false },
];

/** Largest memory the modules accept, in 64 KiB pages (4 GiB, the wasm32 limit); the JS side picks its own maximum below it. */
export const MAXIMUM_PAGES = 65536;

const FLAGS = [
  "--optimizeLevel",
  "3",
  "--shrinkLevel",
  "0",
  "--noAssert",
  "--runtime",
  "stub",
  "--importMemory",
  "--sharedMemory",
  "--maximumMemory",
  String(MAXIMUM_PAGES),
  "--enable",
  "threads",
  "--noExportMemory",
  "--noColors",
];

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

function newestSource() {
  let newest = mtime(fileURLToPath(import.meta.url));
  for (const f of readdirSync(here)) if (f.endsWith(".ts")) newest = Math.max(newest, mtime(join(here, f)));
  return newest;
}

/** Reads a LEB128 u32 at `pos`; returns [value, next position]. */
function leb(bytes, pos) {
  let v = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    v |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [v >>> 0, pos];
    shift += 7;
  }
}

/** Fails unless the module's only import is env.memory and it has no data segment. */
function check(name, bytes) {
  const mod = new WebAssembly.Module(bytes);
  const imports = WebAssembly.Module.imports(mod);
  const bad = imports.filter((i) => !(i.module === "env" && i.name === "memory" && i.kind === "memory"));
  if (bad.length > 0)
    throw new Error(`${name}.wasm imports ${JSON.stringify(bad)}; kernels import env.memory only`);
  for (let pos = 8; pos < bytes.length; ) {
    const id = bytes[pos];
    const [size, body] = leb(bytes, pos + 1);
    if (id === 11) {
      const [segments] = leb(bytes, body);
      if (segments > 0)
        throw new Error(`${name}.wasm has ${segments} data segment(s); kernels keep no static data`);
    }
    pos = body + size;
  }
}

async function main() {
  const force = process.argv.includes("--force");
  mkdirSync(out, { recursive: true });
  const sources = newestSource();
  let built = 0;
  for (const k of KERNELS) {
    const target = join(out, `${k.name}.wasm`);
    if (!force && mtime(target) > sources) continue;
    const flags = k.shared === false ? FLAGS.filter((f) => f !== "--sharedMemory") : FLAGS;
    const args = [join(here, `${k.name}.ts`), "-o", target, ...flags];
    if (k.simd) args.push("--enable", "simd");
    const { error, stderr } = await asc.main(args, {});
    if (error) {
      process.stderr.write(stderr.toString());
      throw new Error(`asc failed on wasm/${k.name}.ts: ${error.message}`);
    }
    check(k.name, readFileSync(target));
    built++;
  }
  if (!process.argv.includes("--silent"))
    console.log(`wasm: ${built} built, ${KERNELS.length - built} up to date`);
}

main().catch((e) => {
  console.error(`build:wasm: ${e.message}`);
  process.exitCode = 1;
});

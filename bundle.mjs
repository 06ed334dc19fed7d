// Bundles the package's entry points into dist/lib with esbuild: a few files instead of about a hundred
// modules, so `import("parkir")` reads, resolves and links little. `tsc` still emits dist/src (the .d.ts the
// package exports, and the modules the benchmarks and tests run); the package's JavaScript is dist/lib.
//
// Entries: the library (index.js), `parkir/scale` (scale.js), the CLI bin (cli.js) and the piscina worker
// (worker.js), which the pool loads by path as a sibling of the bundled runtime code (runtime/paths.ts,
// workerPath). Code shared by several entries goes into chunk files beside them, so `parkir` and
// `parkir/scale` share one copy of every class (errors, engines). Dependencies stay external: they are
// installed beside parkir and loaded as the caller loads them (one rxjs, one flatbuffers).
// Minified (a third less to read at import); source maps carry their sources, since src/ is not shipped.
import { chmodSync, existsSync, rmSync } from "node:fs";
import { build } from "esbuild";

const ENTRIES = {
  index: "src/index.ts",
  scale: "src/scale/index.ts",
  cli: "src/cli/main.ts",
  worker: "src/runtime/worker.ts",
};
const OUT = "dist/lib";

for (const [name, file] of Object.entries(ENTRIES))
  if (!existsSync(file)) throw new Error(`bundle.mjs: entry ${name} (${file}) does not exist`);

rmSync(OUT, { recursive: true, force: true });
await build({
  entryPoints: ENTRIES,
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  chunkNames: "chunk-[hash]",
  // Whitespace and syntax only: identifiers (class names in errors and stacks) stay as written.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  sourcesContent: true,
  logLevel: "warning",
});
chmodSync(`${OUT}/cli.js`, 0o755);

// Bundles the package's entry points into dist/lib with esbuild: a few files instead of about a hundred
// modules, so `import("parkir")` reads, resolves and links little. `tsc` still emits dist/src (the .d.ts the
// package exports, and the modules the benchmarks and tests run); the package's JavaScript is dist/lib.
//
// Entries: the library (index.js), `parkir/scale` (scale.js), the CLI bin (cli.js), the piscina worker
// (worker.js), which the pool loads by path as a sibling of the bundled runtime code (runtime/paths.ts,
// workerPath), and one entry per module of worker ops (ops-*.js). A task names its op by the file URL of the
// module that exports `workerOps` (runtime/protocol.ts): in a module's bundled code `import.meta.url` is the
// shared chunk's URL, whose exports are renamed, so the plugin below rewrites it in those modules to the URL
// of the module's own entry file, which re-exports `workerOps` under that name. Code shared by several entries goes into chunk files beside them, so `parkir` and
// `parkir/scale` share one copy of every class (errors, engines). Dependencies stay external (installed beside
// parkir and loaded as the caller loads them: one rxjs), except flatbuffers: its ES module build is bundled, so
// importing parkir loads no CommonJS at all (Node resolves "flatbuffers" to its CommonJS build, whose loader
// and six files cost a noticeable share of the import). Nothing in flatbuffers depends on instance identity;
// the declarations still name its types, so it stays a dependency.
// Minified (a third less to read at import); source maps carry their sources, since src/ is not shipped.
import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";

const ENTRIES = {
  index: "src/index.ts",
  scale: "src/scale/index.ts",
  cli: "src/cli/main.ts",
  worker: "src/runtime/worker.ts",
  "ops-runtime": "src/runtime/ops.ts",
  "ops-occupancy": "src/occupancy/sharded/worker.ts",
};
/** Entry name of each module of worker ops; a module exporting `workerOps` must be listed here. */
const OP_MODULES = new Map(
  Object.entries(ENTRIES)
    .filter(([name]) => name.startsWith("ops-"))
    .map(([name, file]) => [resolve(file), name]),
);
const OUT = "dist/lib";
const BUNDLED = ["flatbuffers"];
const { dependencies } = JSON.parse(readFileSync("package.json", "utf8"));
const external = Object.keys(dependencies)
  .filter((d) => !BUNDLED.includes(d))
  .flatMap((d) => [d, `${d}/*`]);

for (const [name, file] of Object.entries(ENTRIES))
  if (!existsSync(file)) throw new Error(`bundle.mjs: entry ${name} (${file}) does not exist`);

for (const file of readdirSync("src", { recursive: true }))
  if (String(file).endsWith(".ts")) {
    const path = resolve("src", String(file));
    if (/^export const workerOps\b/m.test(readFileSync(path, "utf8")) && !OP_MODULES.has(path))
      throw new Error(`bundle.mjs: ${join("src", String(file))} exports workerOps but is no ops-* entry`);
  }

/** Points `import.meta.url` in a module of worker ops at that module's entry file (see above). */
const opModuleUrls = {
  name: "op-module-urls",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const entry = OP_MODULES.get(args.path);
      if (entry === undefined) return undefined;
      const text = readFileSync(args.path, "utf8");
      if (!text.includes("import.meta.url"))
        throw new Error(`bundle.mjs: ${args.path} names its ops without import.meta.url`);
      return {
        contents: text.replaceAll("import.meta.url", `new URL("./${entry}.js", import.meta.url).href`),
        loader: "ts",
      };
    });
  },
};

rmSync(OUT, { recursive: true, force: true });
await build({
  entryPoints: ENTRIES,
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external,
  // ES module builds first (flatbuffers' "module" field).
  mainFields: ["module", "main"],
  chunkNames: "chunk-[hash]",
  // Whitespace and syntax only: identifiers (class names in errors and stacks) stay as written.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  sourcesContent: true,
  logLevel: "warning",
  plugins: [opModuleUrls],
});
chmodSync(`${OUT}/cli.js`, 0o755);
// The worker file piscina loads (runtime/paths.ts, workerPath) is CommonJS, not compiled: beside the bundled
// worker.js and beside tsc's dist/src/runtime/worker.js.
for (const dir of [OUT, "dist/src/runtime"])
  copyFileSync("src/runtime/worker-entry.cjs", join(dir, "worker-entry.cjs"));

/**
 * What `import("parkir")` loads: a handful of bundled files (dist/lib, flatbuffers' ES module build inside) and
 * no package from node_modules, so no CommonJS loader either; nothing the command
 * line alone needs (commander, cli-progress), no zod (policy documents load it), no piscina until a pool is
 * made, and no rxjs until the first engine: parkir then requires the modules of the classes it instantiates
 * (`rxjs/internal/Subject`, `rxjs/internal/Observable`), the same CommonJS files `rxjs` itself loads, so its
 * observables pipe with operators imported from "rxjs". A catalogue and an engine load no zod either.
 * No timing: these are the structural causes of import cost and memory, counted.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { expect, test } from "vitest";

/** Value imports (not `import type`) of a TypeScript source: the specifiers it loads at run time. */
function valueImports(source: string): string[] {
  const specifiers: string[] = [];
  const statement = /^(import|export)\s+(type\s+)?([^;]*?)\s*from\s+"([^"]+)";/gms;
  for (const m of source.matchAll(statement)) {
    if (m[2] !== undefined) continue;
    specifiers.push(m[4]!);
  }
  for (const m of source.matchAll(/^import\s+"([^"]+)";/gm)) specifiers.push(m[1]!);
  return specifiers;
}

/** Every package specifier the module graph of `entry` loads at run time, with the file that imports it. */
function packagesLoadedBy(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const queue = [resolve(entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of valueImports(readFileSync(file, "utf8"))) {
      if (spec.startsWith(".")) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, ".ts"));
        expect(existsSync(target), `${file} imports ${spec}`).toBe(true);
        queue.push(target);
      } else if (!packages.has(spec)) packages.set(spec, file);
    }
  }
  expect(seen.size).toBeGreaterThan(50);
  return packages;
}

test("the graph of src/index.ts imports no package but flatbuffers (no CLI-only package, zod, piscina or rxjs)", () => {
  const packages = packagesLoadedBy("src/index.ts");
  const external = [...packages.keys()].filter((p) => !p.startsWith("node:")).sort();
  expect(external).toEqual(["flatbuffers"]);
  // The detector sees what it looks for: the CLI's graph loads commander and cli-progress.
  const cli = packagesLoadedBy("src/cli/main.ts");
  expect([...cli.keys()]).toEqual(expect.arrayContaining(["commander", "cli-progress"]));
});

const BUILT = "dist/lib/index.js";
test.skipIf(!existsSync(BUILT))(
  "import('parkir'): no zod, piscina or rxjs; an engine loads rxjs but no zod; its observables pipe with operators from 'rxjs'",
  () => {
    const program = `
      const { createRequire } = await import("node:module");
      const cache = createRequire(process.cwd() + "/").cache;
      const loaded = (name) => Object.keys(cache).some((k) => k.includes("/node_modules/" + name + "/"));
      const parkir = await import("parkir");
      const atImport = { zod: loaded("zod"), piscina: loaded("piscina"), rxjs: loaded("rxjs"), commonJsModules: Object.keys(cache).length };
      const city = parkir.loadCityFile(parkir.seedPath("palu", "city.json"));
      const first = new parkir.OccupancyEngine(city, { kernel: "js" });
      first.close();
      const afterEngine = { zod: loaded("zod"), rxjs: loaded("rxjs"), rxjsIndex: Object.keys(cache).some((k) => k.endsWith("/rxjs/dist/cjs/index.js")) };
      const rx = await import("rxjs");
      const engine = new parkir.OccupancyEngine(city, { kernel: "js" });
      const seen = [];
      engine.windows$.pipe(rx.filter((w) => w.records.length > 0), rx.map((w) => w.windowStart), rx.take(2)).subscribe((s) => seen.push(s));
      const { readFileSync } = await import("node:fs");
      const lines = readFileSync(parkir.seedPath("palu", "sample-1h.jsonl"), "utf8");
      const parsed = parkir.parseEventLines(lines);
      const batch = parkir.encodeEvents(parsed.events, city);
      engine.ingest(batch);
      engine.close();
      const viaOperator = await rx.lastValueFrom(rx.of(batch).pipe(parkir.occupancy(city, { kernel: "js" }), rx.count()));
      console.log(JSON.stringify({
        atImport, afterEngine, seen: seen.length,
        windowsIsRxObservable: engine.windows$ instanceof rx.Observable,
        operatorWindows: viaOperator,
        rxjsIndexAfter: Object.keys(cache).some((k) => k.endsWith("/rxjs/dist/cjs/index.js")),
      }));
    `;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", program], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    expect(result.atImport).toEqual({ zod: false, piscina: false, rxjs: false, commonJsModules: 0 });
    expect(result.afterEngine).toEqual({ zod: false, rxjs: true, rxjsIndex: false });
    expect(result.seen).toBe(2);
    expect(result.windowsIsRxObservable).toBe(true);
    expect(result.operatorWindows).toBeGreaterThan(0);
    // Loading "rxjs" afterwards loads its index but no second copy of the classes (instanceof held above).
    expect(result.rxjsIndexAfter).toBe(true);
  },
  60_000,
);

/** Most files `import("parkir")` may load (the bundle's entry and its chunks; the compiled sources are about 100). */
const IMPORT_FILES_MAX = 12;

test.skipIf(!existsSync(BUILT))(
  `import('parkir') loads at most ${IMPORT_FILES_MAX} files, all from dist/lib (no dependency, no CommonJS)`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), "parkir-imports-"));
    try {
      const log = join(dir, "loaded.txt");
      // An ESM resolve hook (module.register) that writes every file URL resolved, one a line.
      const hooks = join(dir, "hooks.mjs");
      writeFileSync(
        hooks,
        `import { appendFileSync } from "node:fs";
         export async function resolve(specifier, context, next) {
           const r = await next(specifier, context);
           if (r.url.startsWith("file:")) appendFileSync(${JSON.stringify(log)}, r.url + "\\n");
           return r;
         }`,
      );
      const register = join(dir, "register.mjs");
      writeFileSync(
        register,
        `import { register } from "node:module"; register(${JSON.stringify(pathToFileURL(hooks).href)});`,
      );
      const r = spawnSync(
        process.execPath,
        ["--import", pathToFileURL(register).href, "-e", 'await import("parkir")'],
        {
          encoding: "utf8",
          timeout: 60_000,
          input: "",
          env: { ...process.env, NODE_OPTIONS: "" },
        },
      );
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const root = pathToFileURL(resolve(".")).href;
      const files = [...new Set(readFileSync(log, "utf8").trim().split("\n"))]
        .filter((u) => u !== pathToFileURL(register).href)
        .map((u) => u.slice(root.length + 1));
      expect(files[0]).toBe("dist/lib/index.js");
      expect(files.length).toBeLessThanOrEqual(IMPORT_FILES_MAX);
      const outside = files.filter(
        (f) => !f.startsWith("dist/lib/") && !f.startsWith("node_modules/flatbuffers/"),
      );
      expect(outside).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  60_000,
);

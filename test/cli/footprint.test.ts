/**
 * What `import("parkir")` loads: nothing the command line alone needs (commander, cli-progress), no zod until
 * the first validation, no piscina until a pool is made, and rxjs only through the modules of the classes
 * parkir instantiates (`rxjs/internal/Subject`, `rxjs/internal/Observable`), which are the same CommonJS
 * files `rxjs` itself loads: parkir's observables pipe with operators imported from "rxjs".
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
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

test("the graph of src/index.ts loads no CLI-only package, no zod, no piscina and no rxjs index at import", () => {
  const packages = packagesLoadedBy("src/index.ts");
  const external = [...packages.keys()].filter((p) => !p.startsWith("node:")).sort();
  expect(external).toEqual(["flatbuffers", "rxjs/internal/Observable", "rxjs/internal/Subject"]);
  // The detector sees what it looks for: the CLI's graph loads commander and cli-progress.
  const cli = packagesLoadedBy("src/cli/main.ts");
  expect([...cli.keys()]).toEqual(expect.arrayContaining(["commander", "cli-progress"]));
});

const BUILT = "dist/src/index.js";
test.skipIf(!existsSync(BUILT))(
  "import('parkir'): zod and piscina load at first use; its observables pipe with operators from 'rxjs'",
  () => {
    const program = `
      const { createRequire } = await import("node:module");
      const cache = createRequire(process.cwd() + "/").cache;
      const loaded = (name) => Object.keys(cache).some((k) => k.includes("/node_modules/" + name + "/"));
      const parkir = await import("parkir");
      const atImport = { zod: loaded("zod"), piscina: loaded("piscina"), rxjsIndex: Object.keys(cache).some((k) => k.endsWith("/rxjs/dist/cjs/index.js")) };
      const city = parkir.loadCityFile(parkir.seedPath("palu", "city.json"));
      const afterCity = { zod: loaded("zod") };
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
        atImport, afterCity, seen: seen.length,
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
    expect(result.atImport).toEqual({ zod: false, piscina: false, rxjsIndex: false });
    expect(result.afterCity).toEqual({ zod: true });
    expect(result.seen).toBe(2);
    expect(result.windowsIsRxObservable).toBe(true);
    expect(result.operatorWindows).toBeGreaterThan(0);
    // Loading "rxjs" afterwards loads its index but no second copy of the classes (instanceof held above).
    expect(result.rxjsIndexAfter).toBe(true);
  },
  60_000,
);

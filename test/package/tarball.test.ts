/**
 * The package as a newcomer gets it: `npm pack`, install the tarball into a fresh project with the strictest
 * common TypeScript settings, type-check and run every TypeScript block of README.md against it.
 * `npm test` builds first; without `dist/` this file is skipped.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const BUILT = existsSync(join(ROOT, "dist/lib/index.js"));
const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The fenced blocks of a Markdown document in one language, in order. */
function fencedBlocks(markdown: string, lang: string): string[] {
  const re = new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, "gm");
  return [...markdown.matchAll(re)].map((m) => m[1]!);
}

/** Relative link targets of a Markdown document (anchors and absolute URLs left out). */
function relativeLinks(markdown: string): string[] {
  const targets = [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
  return targets.filter((t) => !/^[a-z]+:/i.test(t) && !t.startsWith("#")).map((t) => t.replace(/#.*$/, ""));
}

let work = "";
let files: string[] = [];
let tarball = "";

beforeAll(() => {
  if (!BUILT) return;
  work = mkdtempSync(join(tmpdir(), "parkir-pack-"));
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", work], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }),
  ) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, packed[0]!.filename);
  files = packed[0]!.files.map((f) => f.path);
}, 120_000);

// Removing the installed project takes seconds on a loaded machine.
afterAll(() => {
  if (work !== "") rmSync(work, { recursive: true, force: true });
}, 120_000);

test.skipIf(!BUILT)("the tarball holds the licence, the docs and every file README links to", () => {
  expect(files).toContain("LICENSE");
  expect(files).toContain("README.md");
  const missing = relativeLinks(README).filter((t) => !files.includes(t.replace(/^\.\//, "")));
  expect(missing).toEqual([]);
  // Every doc shipped links only to files that are shipped too.
  for (const doc of files.filter((f) => f.startsWith("docs/") && f.endsWith(".md"))) {
    const text = readFileSync(join(ROOT, doc), "utf8");
    const broken = relativeLinks(text)
      .map((t) => join("docs", t).replace(/\\/g, "/"))
      .filter((t) => !files.includes(t) && !files.some((f) => f.startsWith(`${t}/`)));
    expect({ doc, broken }).toEqual({ doc, broken: [] });
  }
});

test.skipIf(!BUILT)(
  "the JavaScript is the bundle in dist/lib, with source maps that carry their sources",
  () => {
    // dist/src ships declarations only; every .js has its map.
    expect(files.filter((f) => f.startsWith("dist/src/") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(files.filter((f) => f.startsWith("dist/src/") && f.endsWith(".d.ts")).length).toBeGreaterThan(50);
    const scripts = files.filter((f) => f.endsWith(".js") && f.startsWith("dist/"));
    expect(scripts).toEqual(
      expect.arrayContaining([
        "dist/lib/index.js",
        "dist/lib/scale.js",
        "dist/lib/cli.js",
        "dist/lib/worker.js",
      ]),
    );
    expect(files).toContain("dist/lib/worker-entry.cjs");
    const maps = files.filter((f) => f.endsWith(".js.map"));
    expect(maps.sort()).toEqual(scripts.map((f) => `${f}.map`).sort());
    for (const m of maps) {
      const map = JSON.parse(readFileSync(join(ROOT, m), "utf8")) as {
        sources: string[];
        sourcesContent?: string[];
      };
      expect(map.sourcesContent?.length).toBe(map.sources.length);
      expect(map.sourcesContent?.every((s) => typeof s === "string" && s.length > 0)).toBe(true);
      // parkir's own sources, and flatbuffers' (the one dependency bundled).
      expect(map.sources.filter((s) => !/^\.\.\/\.\.\/(src|node_modules\/flatbuffers)\//.test(s))).toEqual(
        [],
      );
    }
  },
);

test.skipIf(!BUILT)(
  "a strict TypeScript project installs the tarball, type-checks and runs README's code",
  () => {
    const app = join(work, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    // --omit=optional: parkir must work without piscina's optional native @napi-rs/nice.
    execFileSync(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        "--omit=optional",
        "--ignore-scripts",
        tarball,
      ],
      { cwd: app, stdio: "pipe" },
    );
    expect(existsSync(join(app, "node_modules/@napi-rs/nice"))).toBe(false);
    const blocks = fencedBlocks(README, "ts");
    expect(blocks.length).toBeGreaterThan(0);
    const names = blocks.map((code, i) => {
      const name = `readme-${i + 1}.ts`;
      writeFileSync(join(app, name), code);
      return name;
    });
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          noImplicitOverride: true,
          noPropertyAccessFromIndexSignature: true,
          verbatimModuleSyntax: true,
          skipLibCheck: false,
          outDir: "out",
          types: ["node"],
          typeRoots: [join(ROOT, "node_modules/@types")],
        },
        files: names,
      }),
    );
    const tsc = spawnSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", app], {
      encoding: "utf8",
    });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
    for (const name of names) {
      const run = spawnSync(process.execPath, [join(app, "out", name.replace(/\.ts$/, ".js"))], {
        cwd: app,
        encoding: "utf8",
        timeout: 120_000,
      });
      expect({ name, stderr: run.stderr, status: run.status }).toEqual({ name, stderr: "", status: 0 });
      const code = blocks[names.indexOf(name)]!;
      expect(run.stdout.trim().length).toBeGreaterThan(0);
      if (code.includes("createGateway("))
        expect(run.stdout).toMatch(/uplinks: [1-9]\d*, windows closed: [1-9]/);
      if (code.includes("createOpenDataHandler(")) expect(run.stdout).toMatch(/^200 .*: 200 points$/m);
      if (name === "readme-1.ts") {
        // The API tour: windows, tariff decisions with their reasons, a quote.
        expect(run.stdout).toMatch(/windows closed: \d+/);
        expect(run.stdout).toMatch(/tariff decisions: [1-9]\d*/);
        expect(run.stdout).toMatch(/quote: Rp\s?\d/);
      }
    }
    // Without the optional @napi-rs/nice, the worker pool runs from the installed bundle: a sharded engine on
    // one worker (piscina loads dist/lib/worker-entry.cjs by path, which imports worker.js) gives the windows of an engine in the caller's thread.
    writeFileSync(
      join(app, "workers.mjs"),
      `import { readFileSync } from "node:fs";
       import { encodeEvents, loadCityFile, OccupancyEngine, parseEventLines, seedPath, ShardedOccupancyEngine, workerPath } from "parkir";
       const city = loadCityFile(seedPath("palu", "city.json"));
       const batch = encodeEvents(parseEventLines(readFileSync(seedPath("palu", "sample-1h.jsonl"), "utf8")).events, city);
       const rows = (w) => JSON.stringify(w.records);
       const one = new OccupancyEngine(city, { kernel: "js" });
       const expected = [];
       one.windows$.subscribe((w) => expected.push(rows(w)));
       one.ingest(batch);
       one.close();
       const sharded = await ShardedOccupancyEngine.create(city, { workers: 1 });
       const got = [];
       sharded.windows$.subscribe((w) => got.push(rows(w)));
       await sharded.ingest(batch);
       await sharded.close();
       console.log(JSON.stringify({ worker: workerPath(), windows: got.length, same: JSON.stringify(got) === JSON.stringify(expected) }));`,
    );
    const workers = spawnSync(process.execPath, ["workers.mjs"], {
      cwd: app,
      encoding: "utf8",
      timeout: 120_000,
    });
    expect({ stderr: workers.stderr, status: workers.status }).toEqual({ stderr: "", status: 0 });
    const result = JSON.parse(workers.stdout) as { worker: string; windows: number; same: boolean };
    expect(result.worker).toBe(join(app, "node_modules/parkir/dist/lib/worker-entry.cjs"));
    expect(result.windows).toBeGreaterThan(0);
    expect(result.same).toBe(true);
    // The bin is the bundled CLI, and its stack traces map back to the TypeScript sources.
    const cli = spawnSync(join(app, "node_modules/.bin/parkir"), ["--version"], {
      cwd: app,
      encoding: "utf8",
    });
    expect(cli.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
    const trace = spawnSync(
      process.execPath,
      [
        "--enable-source-maps",
        "--input-type=module",
        "-e",
        'import { loadCity } from "parkir"; loadCity({});',
      ],
      { cwd: app, encoding: "utf8" },
    );
    expect(trace.status).not.toBe(0);
    expect(trace.stderr).toMatch(/ParkirConfigError/);
    expect(trace.stderr).toMatch(/src\/catalog\/city\.ts:\d+/);
  },
  300_000,
);

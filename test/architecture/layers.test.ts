/**
 * The direction of dependencies between src/ folders, read from the import statements of every source file:
 * the runtime (wasm loading, shared memory, workers) sits at the bottom and knows no kernel's domain; no two
 * folders import each other, directly or around a cycle; inside occupancy/, the sharded engine builds on
 * the engine and never the other way.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

interface Edge {
  readonly from: string;
  readonly to: string;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.(ts|mts|mjs)$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** Relative imports of `text` (static, re-exports and dynamic imports with a literal specifier). */
function relativeImports(text: string): string[] {
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push(m[1]!);
  return out;
}

/** Every import between source files, as paths relative to src/ (POSIX separators). */
function imports(): Edge[] {
  const out: Edge[] = [];
  for (const file of sources(SRC)) {
    const from = relative(SRC, file).split("\\").join("/");
    for (const spec of relativeImports(readFileSync(file, "utf8")))
      out.push({
        from,
        to: relative(SRC, resolve(dirname(file), spec))
          .split("\\")
          .join("/"),
      });
  }
  return out;
}

/** The top-level unit of a path under src/: its folder, or the file itself for files at the root. */
function unit(path: string): string {
  const slash = path.indexOf("/");
  return slash < 0 ? path.replace(/\.(js|ts)$/, "") : path.slice(0, slash);
}

/** A cycle in the graph, as a list of nodes (first = last), or null. */
function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | null {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === 2) return null;
    if (state.get(n) === 1) return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 1);
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      const c = visit(m);
      if (c !== null) return c;
    }
    stack.pop();
    state.set(n, 2);
    return null;
  };
  for (const n of graph.keys()) {
    const c = visit(n);
    if (c !== null) return c;
  }
  return null;
}

describe("layers", () => {
  const edges = imports();

  it("finds the imports it checks", () => {
    expect(
      relativeImports('import { a } from "./a.js";\nexport * from "../b/index.js";\nawait import("./c.js");'),
    ).toEqual(["./a.js", "../b/index.js", "./c.js"]);
    expect(edges.some((e) => e.from === "occupancy/options.ts" && e.to === "runtime/kernel.js")).toBe(true);
    expect(edges.length).toBeGreaterThan(300);
  });

  it("src/runtime imports nothing but itself, errors and the package paths", () => {
    const allowed = (to: string) =>
      to.startsWith("runtime/") || to.startsWith("errors/") || to === "paths.js";
    const bad = edges.filter((e) => e.from.startsWith("runtime/") && !allowed(e.to));
    expect(bad).toEqual([]);
  });

  it("no two top-level folders depend on each other, directly or around a cycle", () => {
    const graph = new Map<string, Set<string>>();
    for (const e of edges) {
      const a = unit(e.from);
      const b = unit(e.to);
      // src/index.ts re-exports every folder and is imported by none: it is the top, not a layer.
      if (a === b || a === "index") continue;
      if (!graph.has(a)) graph.set(a, new Set());
      graph.get(a)!.add(b);
    }
    expect(graph.get("occupancy")?.has("runtime")).toBe(true);
    expect(findCycle(graph)).toBeNull();
    // The check itself sees a cycle when there is one.
    expect(
      findCycle(
        new Map([
          ["a", new Set(["b"])],
          ["b", new Set(["c"])],
          ["c", new Set(["a"])],
        ]),
      ),
    ).toEqual(["a", "b", "c", "a"]);
  });

  it("occupancy's engine and kernels never import its sharded form (only the folder's index re-exports it)", () => {
    const bad = edges.filter(
      (e) =>
        e.from.startsWith("occupancy/") &&
        !e.from.startsWith("occupancy/sharded/") &&
        e.from !== "occupancy/index.ts" &&
        e.to.startsWith("occupancy/sharded/"),
    );
    expect(bad).toEqual([]);
    const up = edges.filter((e) => e.from.startsWith("occupancy/sharded/") && e.to === "occupancy/index.js");
    expect(up).toEqual([]);
  });
});

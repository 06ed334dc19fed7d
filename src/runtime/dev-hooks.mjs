/**
 * Module hooks for worker threads started from TypeScript sources (vitest runs src/*.ts, but a
 * worker thread is plain Node and cannot load .ts). They resolve a relative `./x.js` import from a
 * .ts file to `./x.ts` when no .js exists, and erase types from .ts files (no type check) with the
 * compiler vitest itself uses (oxc, through vite's `rolldown/utils`; about 0.2 s to load), or with
 * TypeScript's transpileModule when that is not installed (about 2 s to load). Used only through
 * dev-worker.mjs; not part of the package.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const strip = await (async () => {
  try {
    const { transformSync } = await import("rolldown/utils");
    return (fileName, source) => {
      const out = transformSync(fileName, source, { lang: "ts", sourcemap: false });
      if (out.errors.length > 0) throw new Error(`${fileName}: ${out.errors[0].message}`);
      return out.code;
    };
  } catch {
    const { default: ts } = await import("typescript");
    const compilerOptions = {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      isolatedModules: true,
    };
    return (fileName, source) => ts.transpileModule(source, { compilerOptions, fileName }).outputText;
  }
})();

export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  if (parent?.endsWith(".ts") && specifier.endsWith(".js") && /^\.\.?\//.test(specifier)) {
    const url = new URL(specifier, parent);
    if (!existsSync(fileURLToPath(url))) return next(`${url.href.slice(0, -3)}.ts`, context);
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.endsWith(".ts")) return next(url, context);
  const fileName = fileURLToPath(url);
  return { format: "module", source: strip(fileName, await readFile(fileName, "utf8")), shortCircuit: true };
}

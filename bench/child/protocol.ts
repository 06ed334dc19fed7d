/**
 * Child-process measurements: the parent spawns a compiled child script with its own fresh V8 heap
 * and reads one JSON line from its stdout. Cold start and heap footprint are only honest in a
 * process that has done nothing else.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Absolute path of a compiled child script next to this file (`dist/bench/child/<name>.js`).
 *
 * @throws Error when the harness runs from TypeScript sources (e.g. under vitest), where no
 *   compiled child exists: run `npm run bench`.
 */
export function childScript(name: string): string {
  const path = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  if (!existsSync(path)) {
    throw new Error(
      `child script ${path} is missing: child-process suites need the compiled harness (npm run bench)`,
    );
  }
  return path;
}

/** Runs `node [nodeArgs] script [args]` and parses the last stdout line as JSON. Rejects on a non-zero exit. */
export function runChild<T>(
  script: string,
  args: readonly string[],
  nodeArgs: readonly string[] = [],
): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...nodeArgs, script, ...args],
      { maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error !== null) {
          reject(new Error(`${script} failed: ${error.message}\n${stderr}`));
          return;
        }
        const last = stdout.trim().split("\n").pop() ?? "";
        try {
          resolve(JSON.parse(last) as T);
        } catch {
          reject(new Error(`${script} printed no JSON result: ${JSON.stringify(stdout.slice(-300))}`));
        }
      },
    );
  });
}

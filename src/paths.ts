/** Where the package's own files (seeds, compiled kernels) are, whether run from src/ (tests) or dist/ (installed). */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** The directory holding parkir's package.json. */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "parkir")
      return (root = dir);
    dir = dirname(dir);
  }
  throw new Error("cannot find parkir's package.json");
}

/** Path of a file under the package's seeds/ folder, e.g. seedPath("palu", "city.json"). */
export function seedPath(...parts: string[]): string {
  return join(packageRoot(), "seeds", ...parts);
}

/** parkir's version from package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string })
    .version;
}

/** File and stream helpers for CLI commands. */
import { readFileSync, writeFileSync } from "node:fs";
import { type City, loadCityFile } from "../catalog/city.js";
import { ParkirConfigError } from "../errors/index.js";
import { CliError } from "./errors.js";

/** Reads a whole input (`-` = standard input) as bytes. */
export function readInput(path: string): Uint8Array {
  try {
    return readFileSync(path === "-" ? 0 : path);
  } catch (e) {
    throw new CliError(`cannot read ${path === "-" ? "standard input" : path}: ${(e as Error).message}`, 1);
  }
}

/** Writes bytes or text to a file, or to standard output when `path` is undefined or `-`. */
export function writeOutput(path: string | undefined, data: Uint8Array | string): void {
  if (path === undefined || path === "-") {
    if (typeof data !== "string" && process.stdout.isTTY) {
      throw new CliError("refusing to write binary output to a terminal; use --out FILE or a pipe");
    }
    process.stdout.write(data);
    return;
  }
  try {
    writeFileSync(path, data);
  } catch (e) {
    throw new CliError(`cannot write ${path}: ${(e as Error).message}`, 1);
  }
}

/** Loads a city catalogue for a command, turning config errors into CLI errors that list every problem. */
export function cityFromFile(path: string): City {
  try {
    return loadCityFile(path);
  } catch (e) {
    if (e instanceof ParkirConfigError) {
      throw new CliError(
        `${path}: ${e.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("\n  ")}`,
        1,
      );
    }
    throw e;
  }
}

/** File and stream helpers for CLI commands. */
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { type City, loadCityFile } from "../catalog/city.js";
import { formatIssues, ParkirConfigError } from "../errors/index.js";
import type { ReadInto } from "../wire/jsonl-parse.js";
import { CliError } from "./errors.js";

/** Reads a whole input (`-` = standard input) as bytes. */
export function readInput(path: string): Uint8Array {
  try {
    return readFileSync(path === "-" ? 0 : path);
  } catch (e) {
    throw new CliError(`cannot read ${path === "-" ? "standard input" : path}: ${(e as Error).message}`, 1);
  }
}

/** Bytes of a frames file read at a time (JSON Lines are read JSONL_INPUT_BYTES at a time into the reader's memory). */
export const INPUT_CHUNK_BYTES = 1 << 20;

/** A file (or standard input) open for reading into the caller's memory. */
export interface InputReader {
  /** Reads up to `into.length` bytes into the start of `into`: how many, 0 at the end. @throws CliError */
  readonly read: ReadInto;
  /** Closes the file (not standard input). */
  close(): void;
}

/**
 * Opens a file (or standard input, for `-`) to be read into the caller's memory, e.g. straight into the JSON
 * Lines reader's input window (JsonLinesReader.fill). Close it when done.
 *
 * @throws CliError when the file cannot be opened (reading throws CliError when it fails).
 */
export function openInput(path: string): InputReader {
  const what = path === "-" ? "standard input" : path;
  const fail = (e: unknown) => new CliError(`cannot read ${what}: ${(e as Error).message}`, 1);
  let fd: number;
  try {
    fd = path === "-" ? 0 : openSync(path, "r");
  } catch (e) {
    throw fail(e);
  }
  const pause = new Int32Array(new SharedArrayBuffer(4));
  return {
    read: (into) => {
      for (;;) {
        try {
          return readSync(fd, into, 0, into.length, null);
        } catch (e) {
          // A non-blocking standard input with nothing to read yet: wait a little and read again.
          if ((e as NodeJS.ErrnoException).code === "EAGAIN") {
            Atomics.wait(pause, 0, 0, 10);
            continue;
          }
          throw fail(e);
        }
      }
    },
    close: () => {
      if (fd !== 0) closeSync(fd);
    },
  };
}

/** Writes bytes or text to a file, or to standard output when `path` is undefined or `-`. */
export function writeOutput(path: string | undefined, data: Uint8Array | string): void {
  if (path === undefined || path === "-") {
    if (typeof data !== "string" && process.stdout.isTTY) {
      throw new CliError("refusing to write binary output to a terminal; use --out FILE or a pipe");
    }
    watchOutput();
    if (!stdoutClosed()) process.stdout.write(data);
    return;
  }
  try {
    writeFileSync(path, data);
  } catch (e) {
    throw new CliError(`cannot write ${path}: ${(e as Error).message}`, 1);
  }
}

/** First error of standard output (EPIPE: its reader has gone, e.g. `| head`). */
let stdoutError: NodeJS.ErrnoException | undefined;
/** Whether writing to standard error failed (nothing more can be said there). */
let stderrFailed = false;
let watching = false;

/**
 * Installs (once per process) listeners that record write errors of standard output and standard error.
 * Node reports those asynchronously, as stream events; without a listener they end the process with a stack
 * trace. Commands call settleOutput() before reporting success.
 */
export function watchOutput(): void {
  if (watching) return;
  watching = true;
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    stdoutError ??= e;
  });
  process.stderr.on("error", () => {
    stderrFailed = true;
  });
}

/** Whether standard output's reader has gone (further output is dropped quietly, as Unix tools do). */
export function stdoutClosed(): boolean {
  return stdoutError?.code === "EPIPE";
}

/** Whether a write to standard error failed. */
export function stderrBroken(): boolean {
  return stderrFailed;
}

/**
 * Waits until the write errors of what was written so far have been reported (a full disk behind `> file`
 * reports on the next tick).
 *
 * @throws CliError (exit 1) when standard output could not be written, other than a reader that went away.
 */
export async function settleOutput(): Promise<void> {
  watchOutput();
  await new Promise<void>((resolve) => setImmediate(resolve));
  const e = stdoutError;
  if (e !== undefined && e.code !== "EPIPE") {
    stdoutError = undefined;
    throw new CliError(`cannot write standard output: ${e.message}`, 1);
  }
}

/** Writes a diagnostic line to standard error (a failure there is recorded, never thrown). */
export function warnLine(text: string): void {
  watchOutput();
  if (!stderrFailed) process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** Loads a city catalogue for a command, turning config errors into CLI errors that list every problem. */
export function cityFromFile(path: string): City {
  try {
    return loadCityFile(path);
  } catch (e) {
    if (e instanceof ParkirConfigError) throw new CliError(`${path}: ${formatIssues(e.issues, "\n  ")}`, 2);
    throw e;
  }
}

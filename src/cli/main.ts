#!/usr/bin/env node
/** The `parkir` command line. Each subcommand lives in its own file and registers itself here. */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { ParkirConfigError, ParkirError } from "../errors/index.js";
import { packageVersion } from "../paths.js";
import { register as registerConvert } from "./convert.js";
import { register as registerDemo } from "./demo.js";
import { CliError } from "./errors.js";
import { register as registerGenerate } from "./generate.js";
import { settleOutput, stderrBroken, warnLine, watchOutput } from "./io.js";
import { stateDefaultsOnce } from "./options.js";
import { register as registerPublish } from "./publish.js";
import { register as registerQuote } from "./quote.js";
import { register as registerReplay } from "./replay.js";
import { register as registerReport } from "./report.js";
import { register as registerServe } from "./serve.js";
import { register as registerSimulate } from "./simulate.js";
import { register as registerWorker } from "./worker.js";

/** Builds the program with every subcommand registered (exported for tests). */
export function buildProgram(): Command {
  const program = new Command("parkir")
    .description("Real-time parking occupancy and demand-responsive tariffs from parking-sensor events.")
    .version(packageVersion())
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerGenerate(program);
  registerConvert(program);
  registerReplay(program);
  registerQuote(program);
  registerDemo(program);
  registerReport(program);
  registerPublish(program);
  registerWorker(program);
  registerServe(program);
  registerSimulate(program);
  for (const cmd of program.commands) {
    cmd.exitOverride().showHelpAfterError("(run with --help for usage)");
    stateDefaultsOnce(cmd);
  }
  return program;
}

/**
 * Runs the CLI with `argv` (user arguments only); returns the exit code instead of exiting.
 * Exit codes: 0 success; 1 a runtime failure (input refused, a file or stream that cannot be read or
 * written); 2 a usage or configuration error (bad options, an invalid catalogue or policy); 70 a bug in
 * parkir (reported with its stack trace).
 */
export async function main(argv: readonly string[]): Promise<number> {
  watchOutput();
  const program = buildProgram();
  let code: number;
  try {
    await program.parseAsync(argv as string[], { from: "user" });
    await settleOutput();
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    code = report(e);
  }
  // Nothing more can be said when standard error itself cannot be written; the code says it.
  return stderrBroken() && code === 0 ? 1 : code;
}

/** Prints one line for an error that ended a command; returns its exit code. @throws what is a bug. */
function report(e: unknown): number {
  if (e instanceof CommanderError) {
    // --help and --version end through here with code 0.
    return e.exitCode === 0 ? 0 : 2;
  }
  if (e instanceof CliError) {
    warnLine(`parkir: ${e.message}`);
    return e.exitCode;
  }
  if (e instanceof ParkirConfigError) {
    warnLine(`parkir: ${e.message}`);
    return 2;
  }
  if (e instanceof ParkirError) {
    warnLine(`parkir: ${e.message}`);
    return 1;
  }
  if (isSystemError(e)) {
    // An operating system refusal (a full disk, a missing permission): the message names the call and path.
    warnLine(`parkir: ${e.message}`);
    return 1;
  }
  throw e;
}

function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string" && "syscall" in e;
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

/**
 * Makes writes to a pipe on standard output block, as they do to a file: a replay emits windows inside one
 * synchronous engine call, so a slow reader (`| gzip`, `| wc -l`) would otherwise leave every line queued in
 * memory until the call returns (`replay --window 1ms` on an hour: gigabytes). Node exposes this on its pipe
 * handles (libuv uv_stream_set_blocking), as it does for terminals.
 */
function blockingPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const handle = (stream as unknown as { _handle?: { setBlocking?: (on: boolean) => unknown } })._handle;
    if (typeof handle?.setBlocking === "function") handle.setBlocking(true);
  }
}

if (invokedDirectly()) {
  blockingPipes();
  // A closed pipe (`parkir replay … | head`) ends the run quietly, as Unix tools do; any other error of
  // standard output after the command returned ends it with one line and exit 1.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    warnLine(`parkir: cannot write standard output: ${e.message}`);
    process.exit(1);
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      warnLine(`parkir: internal error: ${(e as Error).stack ?? String(e)}`);
      process.exitCode = 70;
    },
  );
}

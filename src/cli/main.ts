#!/usr/bin/env node
/** The `parkir` command line. Each subcommand lives in its own file and registers itself here. */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { ParkirError } from "../errors/index.js";
import { packageVersion } from "../paths.js";
import { register as registerConvert } from "./convert.js";
import { register as registerDemo } from "./demo.js";
import { CliError } from "./errors.js";
import { register as registerGenerate } from "./generate.js";
import { register as registerQuote } from "./quote.js";
import { register as registerReplay } from "./replay.js";
import { register as registerServe } from "./serve.js";
import { register as registerSimulate } from "./simulate.js";

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
  registerServe(program);
  registerSimulate(program);
  for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError("(run with --help for usage)");
  return program;
}

/** Runs the CLI with `argv` (user arguments only); returns the exit code instead of exiting. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[], { from: "user" });
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through here with code 0.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof CliError) {
      process.stderr.write(`parkir: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof ParkirError) {
      process.stderr.write(`parkir: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
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

if (invokedDirectly()) {
  // A closed pipe (`parkir replay … | head`) ends the run quietly, as Unix tools do.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`parkir: internal error: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 70;
    },
  );
}

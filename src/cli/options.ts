/** Option parsers shared by CLI commands: each throws CliError with the option's name on bad input. */
import { existsSync, statSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import { eventTimeProblem, parseEventTime } from "../wire/events.js";

/** Commander parser for a positive integer option. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError("must be a positive integer");
  return n;
}

/** Commander parser for a non-negative integer option. */
export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError("must be a non-negative integer");
  return n;
}

/** Largest PRNG seed: seeds are unsigned 32-bit integers. */
export const SEED_MAX = 0xffff_ffff;

/** Commander parser for a PRNG seed, 0..SEED_MAX (the one rule of every command that takes `--seed`). */
export function seed(value: string): number {
  const n = nonNegativeInt(value);
  if (n > SEED_MAX) throw new InvalidArgumentError(`must be an integer between 0 and ${SEED_MAX}`);
  return n;
}

/** Commander parser for a finite number option. */
export function finiteNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError("must be a number");
  return n;
}

/** Commander parser for an ISO-8601 time with offset (or ms since the epoch); returns ms. */
export function isoTime(value: string): number {
  const v = /^\d+$/.test(value) ? Number(value) : value;
  const problem = eventTimeProblem(v);
  if (problem !== null) {
    throw new InvalidArgumentError(
      /calendar date|time of day|UTC offset|must lie/.test(problem)
        ? problem
        : "must be ISO-8601 with an offset, e.g. 2026-11-30T08:00:00+08:00",
    );
  }
  return parseEventTime(v);
}

const UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration such as `1500ms`, `30s`, `5m`, `2h`, `1d` into ms.
 *
 * @example parseDuration("5m") // 300000
 */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
  if (m === null) throw new InvalidArgumentError("must be a duration such as 1500ms, 30s, 5m, 2h or 1d");
  const ms = Number(m[1]) * UNITS_MS[m[2]!]!;
  if (!Number.isSafeInteger(ms)) throw new InvalidArgumentError("must be a whole number of milliseconds");
  return ms;
}

/** Commander parser for an input file that must exist (`-` means standard input). */
export function existingFile(value: string): string {
  if (value === "-") return value;
  if (!existsSync(value)) throw new InvalidArgumentError(`no such file: ${value}`);
  if (!statSync(value).isFile()) throw new InvalidArgumentError(`not a file: ${value}`);
  return value;
}

/** `(default: 5m)` or `(the same for every worker; default: 10s)` in a description: [1] the rest, [2] the default. */
const STATED_DEFAULT = /\s*\((?:([^()]*?);\s*)?default:?\s+([^()]*)\)/;

/**
 * Makes every option and argument of `cmd` state its default once, as `(default: …)`: one whose description
 * states its default in words (`(default: 5m)`) and that also has a parsed default value (300000) would
 * otherwise print both. The stated text becomes commander's description of the default value.
 */
export function stateDefaultsOnce(cmd: Command): void {
  for (const item of [...cmd.options, ...cmd.registeredArguments]) {
    const stated = STATED_DEFAULT.exec(item.description);
    if (stated === null || item.defaultValue === undefined) continue;
    item.description = item.description.replace(
      STATED_DEFAULT,
      stated[1] === undefined ? "" : ` (${stated[1]})`,
    );
    item.defaultValueDescription = stated[2]!;
  }
}

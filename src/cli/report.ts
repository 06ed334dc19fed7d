/**
 * `parkir report`: one day of events replayed through the occupancy engine and the flat and dynamic
 * tariffs, written as one self-contained HTML report (Bahasa Indonesia, English by a switch).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { generateTrace } from "../generate/index.js";
import { seedPath } from "../paths.js";
import { type DayData, renderReport, replayDay } from "../report/index.js";
import { type CdsEvent, parseEventLines } from "../wire/events.js";
import { CliError } from "./errors.js";
import { cityFromFile, readInput, writeOutput } from "./io.js";
import { existingFile } from "./options.js";

/** The generated day used when no events are given (the demo's). */
export const DEFAULT_DAY_START = "2026-11-30T00:00:00+08:00";

/** Registers `parkir report`. */
export function register(program: Command): void {
  program
    .command("report")
    .summary(
      "write a day's report (occupancy heat map, revenue, tariff decisions, sensor health) as one HTML file",
    )
    .description(
      "Replay a day of events (JSON Lines) through the occupancy engine, the flat tariff and the policy's dynamic " +
        "variant, and write one self-contained HTML file that opens with no network: occupancy per point and hour, " +
        "hours above 85 % and below 60 %, revenue for cars and motorcycles under both tariffs, every tariff decision " +
        "with its reason, sensor health, data coverage and a map. Bahasa Indonesia by default, English by a switch; " +
        "times in the city's time zone. Without --events, a generated Palu day (seed 1) is used.",
    )
    .option("--city <file>", "city catalogue JSON (default: the bundled seeds/palu/city.json)", existingFile)
    .option("--events <file>", "events as JSON Lines (default: a generated day for the city)", existingFile)
    .option(
      "--policy <file>",
      "tariff policy JSON (default: the bundled seeds/palu/policy.json)",
      existingFile,
    )
    .option("--date <YYYY-MM-DD>", "local date to report (default: the date of the last event)")
    .option("--out <file>", "where to write the HTML", "report.html")
    .action((o: { city?: string; events?: string; policy?: string; date?: string; out: string }) => {
      if (o.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(o.date))
        throw new CliError("--date must be YYYY-MM-DD");
      const path = writeReport({
        city: o.city ?? seedPath("palu", "city.json"),
        policy: o.policy ?? seedPath("palu", "policy.json"),
        ...(o.events ? { events: o.events } : {}),
        ...(o.date ? { date: o.date } : {}),
        out: o.out,
      });
      writeOutput(undefined, `${path}\n`);
    });
}

/** Options of writeReport. */
export interface ReportOptions {
  readonly city: string;
  readonly policy: string;
  /** JSON Lines of events; default a generated day. */
  readonly events?: string;
  readonly date?: string;
  readonly out: string;
}

/** Replays and writes the report; returns its absolute path. */
export function writeReport(options: ReportOptions): string {
  const city = cityFromFile(options.city);
  const events = options.events
    ? readEvents(options.events)
    : generateTrace(city, { seed: 1, startMs: Date.parse(DEFAULT_DAY_START), hours: 24 });
  if (events.length === 0) throw new CliError(`${options.events}: no events`, 1);
  const day = replayDay({ city, events, policyDocument: readPolicy(options.policy) });
  return writeDayReport(day, options.out, options.date);
}

/** Renders a replayed day to `out`; returns the absolute path. */
export function writeDayReport(day: DayData, out: string, date?: string): string {
  const path = resolve(out);
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    throw new CliError(`cannot write ${out}: ${(e as Error).message}`, 1);
  }
  writeOutput(path, renderReport(day, date));
  return path;
}

/** Reads a policy document as JSON (the replay validates it). */
export function readPolicy(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch (e) {
    throw new CliError(`${path}: ${(e as Error).message}`, 2);
  }
}

function readEvents(path: string): CdsEvent[] {
  const parsed = parseEventLines(new TextDecoder().decode(readInput(path)));
  if (parsed.errors.length > 0) {
    const first = parsed.errors[0]!;
    process.stderr.write(
      `parkir: ${path}: ${parsed.errors.length} bad line(s) skipped; first: ${first.message}\n`,
    );
  }
  return parsed.events;
}

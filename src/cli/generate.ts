/** `parkir generate`: a deterministic synthetic event trace for a city, as JSON Lines or FlatBuffers frames. */
import { closeSync, openSync, writeSync } from "node:fs";
import { type Command, InvalidArgumentError, Option } from "commander";
import type { City } from "../catalog/city.js";
import { formatIssues, ParkirConfigError } from "../errors/index.js";
import type { FaultOptions } from "../generate/options.js";
import { TRACE_HOURS_MAX } from "../generate/options.js";
import { generateTrace, TraceReport } from "../generate/trace.js";
import { seedPath } from "../paths.js";
import { BATCH_EVENTS_DEFAULT, EncodeReport, encodeEventBatches } from "../wire/encode.js";
import type { CdsEvent } from "../wire/events.js";
import { writeFrames } from "../wire/frames.js";
import { toJsonLines } from "../wire/jsonl.js";
import { CliError } from "./errors.js";
import { cityFromFile, settleOutput, stdoutClosed, warnLine, watchOutput } from "./io.js";
import { existingFile, finiteNumber, isoTime, positiveInt, SEED_MAX, seed } from "./options.js";

/** Default --start: a fixed Monday midnight in Palu, so output is reproducible without options. */
export const DEFAULT_START = "2026-11-30T00:00:00+08:00";
/** Events per write when streaming JSON Lines. */
const LINES_PER_WRITE = 4096;

interface GenerateCliOptions {
  city?: string;
  seed: number;
  hours: number;
  start?: number;
  format: "jsonl" | "fb";
  out?: string;
  batchEvents: number;
  faults: boolean;
  lossRate?: number;
  duplicateRate?: number;
  reorderRate?: number;
  lateRate?: number;
  silentRate?: number;
  paymentShare?: number;
  demandScale?: number;
  report: boolean;
}

/** Option flags that set a fault rate, with the FaultOptions field each sets. */
const RATE_FLAGS = [
  ["lossRate", "--loss-rate", "lossRate"],
  ["duplicateRate", "--duplicate-rate", "duplicateRate"],
  ["reorderRate", "--reorder-rate", "reorderRate"],
  ["lateRate", "--late-rate", "lateRate"],
  ["silentRate", "--silent-rate", "silentSensorRate"],
] as const satisfies readonly (readonly [keyof GenerateCliOptions, string, keyof FaultOptions])[];

function share(value: string): number {
  const n = finiteNumber(value);
  if (n < 0 || n > 1) throw new InvalidArgumentError("must be a number between 0 and 1");
  return n;
}

function hoursArg(value: string): number {
  const n = finiteNumber(value);
  if (!(n > 0 && n <= TRACE_HOURS_MAX))
    throw new InvalidArgumentError(`must be a number of hours in (0, ${TRACE_HOURS_MAX}]`);
  return n;
}

function demandScaleArg(value: string): number {
  const n = finiteNumber(value);
  if (n < 0 || n > 100) throw new InvalidArgumentError("must be a number between 0 and 100");
  return n;
}

/** Registers `parkir generate`. */
export function register(program: Command): void {
  program
    .command("generate")
    .summary("generate a deterministic synthetic event trace (JSON Lines or FlatBuffers)")
    .description(
      "Generate a synthetic trace of CDS events for a city catalogue: vehicles arrive and leave following daily " +
        "demand curves by kind of place (in the city's local time), bay sensors report park_start/park_end and a " +
        "scheduled_report every 3 h when nothing changes, attendants count motorcycles and unsensed cars every " +
        "30-60 min with ±15 % error, gate counters count lot entries and exits, a share of stays is paid " +
        "(payment_start/payment_end at the flat Palu tariff). Faults real sensor networks show are injected: lost " +
        "uplinks, retransmitted duplicates, out-of-order and late delivery, sensors silent for hours " +
        "(comms_lost/comms_restored). Events come in delivery order, not event-time order. Same options and seed " +
        "give the same bytes.",
    )
    .option("--city <file>", "city catalogue JSON (default: the bundled seeds/palu/city.json)", existingFile)
    .option("--seed <n>", `PRNG seed, 0..${SEED_MAX}`, seed, 1)
    .option("--hours <h>", `hours of events, fractions allowed, at most ${TRACE_HOURS_MAX}`, hoursArg, 24)
    .option(
      "--start <iso>",
      `start time, ISO-8601 with an offset or ms since the epoch (default: ${DEFAULT_START})`,
      isoTime,
    )
    .addOption(new Option("--format <format>", "output format").choices(["jsonl", "fb"]).default("jsonl"))
    .option("--out <file>", "output file (default: standard output; fb is never written to a terminal)")
    .option("--batch-events <n>", "events per FlatBuffers batch (fb only)", positiveInt, BATCH_EVENTS_DEFAULT)
    .option("--no-faults", "no loss, duplicates, delays, silent sensors, gate misses or count errors")
    .option("--loss-rate <share>", "share of sensor and gate uplinks lost (default: 0.01)", share)
    .option("--duplicate-rate <share>", "share of uplinks delivered twice (default: 0.02)", share)
    .option("--reorder-rate <share>", "share of events delayed up to 2 min (default: 0.03)", share)
    .option("--late-rate <share>", "share of events delayed 2 to 10 min (default: 0.003)", share)
    .option(
      "--silent-rate <share>",
      "chance per sensor and day of a 1-8 h silent period (default: 0.05)",
      share,
    )
    .option("--payment-share <share>", "share of stays paid electronically (default: 0.3)", share)
    .option("--demand-scale <x>", "multiplier on every zone's arrival rate (default: 1)", demandScaleArg)
    .option("--report", "print a JSON summary of what was generated on standard error", false)
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  parkir generate --seed 7 --hours 24 > day.jsonl\n" +
        "  parkir generate --city seeds/palu/city.json --start 2026-12-04T06:00:00+08:00 --hours 6 --format fb --out fri.fb\n" +
        "  parkir generate --hours 2 --no-faults --report > /dev/null",
    )
    .action((opts: GenerateCliOptions) => generate(opts));
}

async function generate(opts: GenerateCliOptions): Promise<void> {
  const faults: Partial<Record<keyof FaultOptions, number>> = {};
  for (const [key, flag, field] of RATE_FLAGS) {
    const v = opts[key];
    if (v === undefined) continue;
    if (!opts.faults) throw new CliError(`--no-faults cannot be combined with ${flag}`);
    faults[field] = v as number;
  }
  if (opts.format === "fb" && (opts.out === undefined || opts.out === "-") && process.stdout.isTTY) {
    throw new CliError("refusing to write binary output to a terminal; use --out FILE or a pipe");
  }
  const cityPath = opts.city ?? seedPath("palu", "city.json");
  const city = cityFromFile(cityPath);
  const startMs = opts.start ?? Date.parse(DEFAULT_START);
  const report = new TraceReport();
  let events: CdsEvent[];
  try {
    events = generateTrace(
      city,
      {
        seed: opts.seed,
        startMs,
        hours: opts.hours,
        faults: opts.faults ? faults : false,
        ...(opts.paymentShare === undefined ? {} : { paymentShare: opts.paymentShare }),
        ...(opts.demandScale === undefined ? {} : { demandScale: opts.demandScale }),
      },
      report,
    );
  } catch (e) {
    if (e instanceof ParkirConfigError) {
      throw new CliError(formatIssues(e.issues));
    }
    throw e;
  }
  const sink = new Sink(opts.out);
  try {
    if (opts.format === "fb") writeBatches(events, city, opts.batchEvents, sink);
    else
      for (let i = 0; i < events.length; i += LINES_PER_WRITE)
        sink.write(toJsonLines(events.slice(i, i + LINES_PER_WRITE)));
  } finally {
    sink.close();
  }
  // Only once every byte is out (a full disk behind `> file` reports a tick later) is "wrote" true.
  await settleOutput();
  warnLine(
    `parkir: wrote ${events.length} events for ${city.zoneCount} zones (${opts.hours} h from ${new Date(startMs).toISOString()}, ` +
      `seed ${opts.seed}) as ${opts.format === "fb" ? "FlatBuffers frames" : "JSON Lines"}`,
  );
  if (opts.report) warnLine(JSON.stringify({ ...report }));
}

function writeBatches(events: readonly CdsEvent[], city: City, batchEvents: number, sink: Sink): void {
  const encoded = new EncodeReport();
  // Frames are independent: writing them one by one gives the same bytes as writeFrames(all).
  for (const batch of encodeEventBatches(events, city, batchEvents, encoded))
    sink.write(writeFrames([batch]));
  const unknown = encoded.unknownBay + encoded.unknownZone;
  if (unknown > 0) {
    warnLine(
      `parkir: left out ${unknown} events with unknown ids (e.g. ${encoded.unknownIds.slice(0, 5).join(", ")})`,
    );
  }
}

/** Writes to a file or standard output in pieces, so long traces never need one giant string. */
class Sink {
  private readonly fd: number | undefined;

  constructor(private readonly path: string | undefined) {
    if (path === undefined || path === "-") {
      this.fd = undefined;
      watchOutput();
      return;
    }
    try {
      this.fd = openSync(path, "w");
    } catch (e) {
      throw new CliError(`cannot write ${path}: ${(e as Error).message}`, 1);
    }
  }

  write(data: string | Uint8Array): void {
    if (this.fd === undefined) {
      if (!stdoutClosed()) process.stdout.write(data);
      return;
    }
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    try {
      for (let at = 0; at < bytes.byteLength; ) at += writeSync(this.fd, bytes, at, bytes.byteLength - at);
    } catch (e) {
      throw new CliError(`cannot write ${this.path}: ${(e as Error).message}`, 1);
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
  }
}

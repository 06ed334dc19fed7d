/** `parkir convert`: JSON Lines of CDS events <-> FlatBuffers frames. */
import { type Command, InvalidArgumentError } from "commander";
import { seedPath } from "../paths.js";
import { decodeEvents } from "../wire/decode.js";
import { BATCH_EVENTS_DEFAULT, EncodeReport, encodeEventBatches } from "../wire/encode.js";
import { type CdsEvent, parseEventLines } from "../wire/events.js";
import { looksFramed, readFrames, writeFrames } from "../wire/frames.js";
import { toJsonLines } from "../wire/jsonl.js";
import { CliError } from "./errors.js";
import { cityFromFile, readInput, settleOutput, warnLine, writeOutput } from "./io.js";
import { existingFile, positiveInt } from "./options.js";

interface ConvertOptions {
  city?: string;
  in: string;
  out?: string;
  to?: "fb" | "jsonl";
  batchSize: number;
  skipInvalid: boolean;
}

/** Registers `parkir convert`. */
export function register(program: Command): void {
  program
    .command("convert")
    .summary("convert events between JSON Lines and FlatBuffers batches")
    .description(
      "Convert CDS events between JSON Lines (one event per line) and a FlatBuffers frames file (.fb: size-prefixed " +
        "EventBatch messages). The direction follows the input: frames become JSON Lines, JSON Lines become frames, " +
        "unless --to says otherwise. Ids the catalogue does not know are counted on stderr and left out.",
    )
    .option(
      "--city <file>",
      "city catalogue JSON the dense indices refer to (default: the bundled seeds/palu/city.json)",
      existingFile,
    )
    .requiredOption("--in <file>", "input file, or - for standard input", existingFile)
    .option("--out <file>", "output file (default: standard output)")
    .option("--to <format>", "output format: fb or jsonl (default: the other one)", (v: string) => {
      if (v !== "fb" && v !== "jsonl") throw new InvalidArgumentError("must be fb or jsonl");
      return v;
    })
    .option("--batch-size <n>", "events per FlatBuffers batch", positiveInt, BATCH_EVENTS_DEFAULT)
    .option("--skip-invalid", "skip JSON lines that are not valid events instead of failing", false)
    .addHelpText(
      "after",
      "\nExamples:\n  parkir convert --in day.jsonl --out day.fb\n  parkir convert --city seeds/palu/city.json --in day.fb > day.jsonl",
    )
    .action((opts: ConvertOptions) => convert(opts));
}

async function convert(opts: ConvertOptions): Promise<void> {
  const city = cityFromFile(opts.city ?? seedPath("palu", "city.json"));
  const input = readInput(opts.in);
  const framed = looksFramed(input);
  const to = opts.to ?? (framed ? "jsonl" : "fb");
  let events: CdsEvent[];
  if (framed) {
    events = readFrames(input).flatMap((frame) => decodeEvents(frame, city));
  } else {
    const parsed = parseEventLines(new TextDecoder().decode(input));
    if (parsed.invalid > 0) {
      const shown = parsed.errors
        .slice(0, 10)
        .map((e) => `  ${e.message}`)
        .join("\n");
      if (!opts.skipInvalid) {
        throw new CliError(
          `${parsed.invalid} invalid event line(s):\n${shown}\n(use --skip-invalid to skip them)`,
          1,
        );
      }
      warnLine(`parkir: skipped ${parsed.invalid} invalid line(s):\n${shown}`);
    }
    events = parsed.events;
  }
  if (to === "jsonl") {
    writeOutput(opts.out, toJsonLines(events));
    await settleOutput();
    warnLine(`parkir: wrote ${events.length} events as JSON Lines`);
    return;
  }
  const report = new EncodeReport();
  const batches = encodeEventBatches(events, city, opts.batchSize, report);
  writeOutput(opts.out, writeFrames(batches));
  await settleOutput();
  const unknown = report.unknownBay + report.unknownZone;
  warnLine(
    `parkir: wrote ${report.encoded} events in ${batches.length} batch(es)` +
      (unknown > 0
        ? `; left out ${unknown} with unknown ids (e.g. ${report.unknownIds.slice(0, 5).join(", ")})`
        : ""),
  );
}

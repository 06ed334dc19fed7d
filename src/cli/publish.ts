/**
 * `parkir publish`: loads a trace (JSON Lines of CDS events) into a city's JetStream events stream, cut into
 * per-partition batches with message ids derived from their bytes (so running it twice stores nothing twice
 * within the stream's duplicate window).
 */

import type { Command } from "commander";
import { seedPath } from "../paths.js";
import { ParkirScaleError } from "../scale/errors.js";
import { scaleNames } from "../scale/names.js";
import {
  PartitionReport,
  PUBLISH_BATCH_EVENTS,
  partitionBatches,
  publishBatches,
} from "../scale/producer.js";
import { ensureScale } from "../scale/setup.js";
import { parseEventLines } from "../wire/events.js";
import { CliError } from "./errors.js";
import { cityFromFile, readInput } from "./io.js";
import { connectNats, natsOptions } from "./nats.js";
import { existingFile, positiveInt } from "./options.js";

/** Bad input lines described on standard error (all are counted). */
const WARNINGS_MAX = 20;

interface PublishCliOptions {
  nats: string;
  partitions: number;
  prefix: string;
  city?: string;
  batchEvents: number;
}

/** Registers `parkir publish`. */
export function register(program: Command): void {
  const cmd = program
    .command("publish")
    .summary("load a trace into a city's JetStream events stream, partitioned by zone")
    .description(
      "Read CDS events (JSON Lines; - or no file for standard input), cut them into per-partition FlatBuffers " +
        "batches (the partition of an event is that of its zone) and publish them to <prefix>.<city>.events.<p>, " +
        "creating the streams and buckets on first use. Each batch's message id is a hash of its bytes, so a " +
        "retry or a second run stores nothing twice within the duplicate window. Prints one JSON summary line. " +
        "See docs/SCALE-OUT.md.",
    )
    .argument("[events]", "JSON Lines file of CDS events (default: standard input)", existingFile, "-");
  natsOptions(cmd, positiveInt)
    .option("--city <file>", "city catalogue JSON (default: the bundled seeds/palu/city.json)", existingFile)
    .option(
      "--batch-events <n>",
      `events per published batch (default: ${PUBLISH_BATCH_EVENTS})`,
      positiveInt,
      PUBLISH_BATCH_EVENTS,
    )
    .action(async (events: string, opts: PublishCliOptions) => {
      const city = cityFromFile(opts.city ?? seedPath("palu/city.json"));
      const parsed = parseEventLines(new TextDecoder().decode(readInput(events)));
      for (const e of parsed.errors.slice(0, WARNINGS_MAX))
        process.stderr.write(`parkir publish: ${e.message}\n`);
      if (parsed.errors.length > WARNINGS_MAX)
        process.stderr.write(
          `parkir publish: ... and ${parsed.errors.length - WARNINGS_MAX} more invalid lines\n`,
        );
      const report = new PartitionReport();
      let names: ReturnType<typeof scaleNames>;
      let batches: ReturnType<typeof partitionBatches>;
      try {
        names = scaleNames(city.id, opts.prefix);
        batches = partitionBatches(city, parsed.events, opts.partitions, opts.batchEvents, report);
      } catch (e) {
        if (e instanceof ParkirScaleError) throw new CliError(e.message, 2);
        throw e;
      }
      if (report.unknownIds.length > 0)
        process.stderr.write(
          `parkir publish: ${report.unknownBay + report.unknownZone} events name ids the catalogue does not know, e.g. ${report.unknownIds.slice(0, 5).join(", ")}\n`,
        );
      const nc = await connectNats(opts.nats, "parkir publish");
      try {
        await ensureScale(nc, names, { partitions: opts.partitions });
        const { jetstream } = await import("@nats-io/jetstream");
        const r = await publishBatches(jetstream(nc), names, batches);
        process.stdout.write(
          `${JSON.stringify({
            type: "published",
            stream: names.eventsStream,
            partitions: opts.partitions,
            ...r,
            rejected: parsed.errors.length,
            unknown: report.unknownBay + report.unknownZone,
          })}\n`,
        );
      } catch (e) {
        if (e instanceof ParkirScaleError) throw new CliError(e.message, 1);
        throw new CliError(`publishing to ${opts.nats}: ${(e as Error).message}`, 1);
      } finally {
        await nc.close().catch(() => {});
      }
    });
}

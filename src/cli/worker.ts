/**
 * `parkir worker`: one scale-out worker. It takes a fair share of a city's partitions (leases in JetStream KV),
 * runs the occupancy (and, with a policy, pricing) engine of each from its checkpoint, and publishes windows
 * and tariff decisions to JetStream. Start several against one NATS server; SIGTERM or Ctrl-C hands its
 * partitions to the others. Reports one JSON line per event on standard output.
 */
import type { Command } from "commander";
import { ParkirConfigError } from "../errors/index.js";
import { seedPath } from "../paths.js";
import { loadPolicyFile, type Policy } from "../pricing/policy.js";
import { ParkirScaleError } from "../scale/errors.js";
import { scaleNames } from "../scale/names.js";
import { LEASE_TTL_MS } from "../scale/setup.js";
import { ScaleWorker } from "../scale/worker.js";
import { CliError } from "./errors.js";
import { cityFromFile } from "./io.js";
import { connectNats, natsOptions } from "./nats.js";
import { existingFile, parseDuration, positiveInt } from "./options.js";

interface WorkerCliOptions {
  nats: string;
  partitions: number;
  prefix: string;
  city?: string;
  policy?: string;
  variant?: string;
  id?: string;
  leaseTtl: number;
  checkpointInterval: number;
  checkpointEvents: number;
  window: number;
  lateness: number;
  sensorTimeout: number;
}

/** Registers `parkir worker`. */
export function register(program: Command): void {
  const cmd = program
    .command("worker")
    .summary("run a fair share of a city's partitions from NATS JetStream (scale-out, failover)")
    .description(
      "Join the workers of a city on a NATS server with JetStream: take leases on a fair share of its partitions " +
        "(others take over a dead worker's partitions within --lease-ttl plus a third of it), restore each from its " +
        "checkpoint, consume <prefix>.<city>.events.<p>, and publish closed windows to <prefix>.<city>.windows.<p> " +
        "and tariff decisions (with --policy) to <prefix>.<city>.tariffs.<p>, each with a message id derived from " +
        "the window. Prints one JSON line per event (started, acquired, released, lost, error, stopped). SIGTERM or " +
        "SIGINT checkpoints and releases every partition. See docs/SCALE-OUT.md.",
    );
  natsOptions(cmd, positiveInt)
    .option("--city <file>", "city catalogue JSON (default: the bundled seeds/palu/city.json)", existingFile)
    .option(
      "--policy <file>",
      "tariff policy JSON: also run the pricing engine and publish its decisions",
      existingFile,
    )
    .option("--variant <name>", "policy variant to apply with --policy (e.g. dynamic)")
    .option("--id <name>", "worker id, [A-Za-z0-9_-] (default: host-pid-random)")
    .option(
      "--lease-ttl <duration>",
      "lease time to live (the same for every worker; default: 10s)",
      parseDuration,
      LEASE_TTL_MS,
    )
    .option(
      "--checkpoint-interval <duration>",
      "checkpoint each partition this often while events arrive (default: 5s)",
      parseDuration,
      5000,
    )
    .option("--checkpoint-events <n>", "...and after this many events (default: 50000)", positiveInt, 50_000)
    .option("--window <duration>", "tumbling window length (default: 5m)", parseDuration, 300_000)
    .option("--lateness <duration>", "allowed lateness (default: 2m)", parseDuration, 120_000)
    .option(
      "--sensor-timeout <duration>",
      "a sensor silent this long becomes unknown (default: 4h)",
      parseDuration,
      14_400_000,
    )
    .action(async (opts: WorkerCliOptions) => {
      const city = cityFromFile(opts.city ?? seedPath("palu/city.json"));
      if (opts.variant !== undefined && opts.policy === undefined)
        throw new CliError("--variant needs --policy");
      // Configuration is checked before the network: a mistyped --variant exits 2 with or without a server.
      let policy: Policy | undefined;
      try {
        policy =
          opts.policy === undefined
            ? undefined
            : loadPolicyFile(opts.policy, opts.variant === undefined ? {} : { variant: opts.variant });
      } catch (e) {
        if (e instanceof ParkirConfigError) throw new CliError(`${opts.policy}: ${e.message}`, 2);
        throw e;
      }
      let worker: ScaleWorker;
      const nc = await connectNats(opts.nats, "parkir worker");
      try {
        worker = new ScaleWorker(nc, city, {
          partitions: opts.partitions,
          names: scaleNames(city.id, opts.prefix),
          ...(opts.id === undefined ? {} : { id: opts.id }),
          leaseTtlMs: opts.leaseTtl,
          checkpointMs: opts.checkpointInterval,
          checkpointEvents: opts.checkpointEvents,
          engine: {
            occupancy: {
              windowMs: opts.window,
              allowedLatenessMs: opts.lateness,
              sensorTimeoutMs: opts.sensorTimeout,
            },
            ...(policy === undefined ? {} : { policy }),
          },
          log: (e) => process.stdout.write(`${JSON.stringify(e)}\n`),
        });
        await worker.start();
      } catch (e) {
        await nc.close().catch(() => {});
        if (e instanceof ParkirScaleError || e instanceof ParkirConfigError) throw new CliError(e.message, 2);
        throw new CliError(`worker: ${(e as Error).message}`, 1);
      }
      let stopping: Promise<void> | null = null;
      const stop = () => {
        stopping ??= worker.stop().finally(() => nc.close().catch(() => {}));
        return stopping;
      };
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
      const closed = await nc.closed();
      if (stopping === null) {
        // The connection ended without a stop: the leases lapse and other workers take over.
        throw new CliError(
          `connection to ${opts.nats} closed${closed instanceof Error ? `: ${closed.message}` : ""}`,
          1,
        );
      }
      await stopping;
    });
}

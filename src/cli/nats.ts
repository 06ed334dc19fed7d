/** What `parkir worker` and `parkir publish` share: connecting to NATS and the options naming a city there. */

import type { NatsConnection } from "@nats-io/transport-node";
import { type Command, InvalidArgumentError } from "commander";
import { CliError } from "./errors.js";

/** Parses a NATS server URL (nats://host:port, or host:port). */
export function natsUrl(value: string): string {
  const v = value.trim();
  if (!/^(nats|tls|ws|wss):\/\/[^\s]+$|^[A-Za-z0-9.[\]:-]+:\d+$/.test(v))
    throw new InvalidArgumentError("must be a NATS URL such as nats://127.0.0.1:4222");
  return v;
}

/** Adds --nats, --partitions and --prefix. */
export function natsOptions(cmd: Command, positiveInt: (v: string) => number): Command {
  return cmd
    .requiredOption("--nats <url>", "NATS server with JetStream, e.g. nats://127.0.0.1:4222", natsUrl)
    .requiredOption(
      "--partitions <n>",
      "partition count (the same for every producer and worker of the city)",
      positiveInt,
    )
    .option("--prefix <name>", "subject prefix", "parkir");
}

/** Connects, turning a refused connection into a CLI error (exit 1) instead of a stack trace. */
export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  // Loaded here, not at start-up: the other subcommands do not pay for the NATS client.
  const { connect } = await import("@nats-io/transport-node");
  try {
    return await connect({ servers: url, name, maxReconnectAttempts: 30, reconnectTimeWait: 1000 });
  } catch (e) {
    throw new CliError(`cannot connect to NATS at ${url}: ${(e as Error).message}`, 1);
  }
}

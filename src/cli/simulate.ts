/**
 * `parkir simulate --broker URL`: publishes a simulated Palu sensor fleet (a generated trace as The Things Stack
 * or ChirpStack uplinks, other events as CDS JSON) to any broker, on the clock or as fast as it takes them.
 */
import type { Command } from "commander";
import { connectAsync } from "mqtt";
import { fleetMessages, publishFleet, redactUrl } from "../gateway/index.js";
import { generateTrace } from "../generate/index.js";
import { seedPath } from "../paths.js";
import { CliError } from "./errors.js";
import { cityFromFile } from "./io.js";
import { existingFile, isoTime, nonNegativeInt, positiveInt } from "./options.js";

interface SimulateFlags {
  broker?: string;
  city: string;
  format: string;
  application?: string;
  tenant?: string;
  seed: number;
  hours: number;
  start?: number;
  speed: number;
  qos: number;
}

/** Registers `simulate`. */
export function register(program: Command): void {
  program
    .command("simulate")
    .description("publish a simulated Palu sensor fleet to an MQTT broker (for trying parkir serve)")
    .option("--broker <url>", "MQTT broker; env PARKIR_BROKER_URL")
    .option(
      "--city <file>",
      "city catalogue (default: the bundled seeds/palu/city.json)",
      existingFile,
      seedPath("palu", "city.json"),
    )
    .option("--format <tts|chirpstack>", "uplink format", "tts")
    .option("--application <id>", "The Things Stack application id or ChirpStack application UUID")
    .option("--tenant <id>", "The Things Stack tenant (topic v3/app@tenant/...)")
    .option("--seed <n>", "trace seed", nonNegativeInt, 1)
    .option("--hours <n>", "hours of trace", positiveInt, 1)
    .option("--start <time>", "trace start (default: now)", isoTime)
    .option(
      "--speed <n>",
      "simulated seconds per second (0: as fast as the broker takes them)",
      nonNegativeInt,
      1,
    )
    .option("--qos <0|1>", "MQTT QoS", nonNegativeInt, 1)
    .action(async (f: SimulateFlags) => {
      const url = f.broker ?? process.env.PARKIR_BROKER_URL;
      if (url === undefined) throw new CliError("simulate needs --broker URL (or PARKIR_BROKER_URL)");
      if (f.format !== "tts" && f.format !== "chirpstack")
        throw new CliError("--format must be tts or chirpstack");
      if (f.qos !== 0 && f.qos !== 1) throw new CliError("--qos must be 0 or 1");
      const city = cityFromFile(f.city);
      const startMs = f.start ?? Date.now();
      const events = generateTrace(city, { seed: f.seed, startMs, hours: f.hours });
      const messages = fleetMessages(city, events, {
        format: f.format,
        ...(f.application === undefined ? {} : { application: f.application }),
        ...(f.tenant === undefined ? {} : { tenant: f.tenant }),
      });
      let client: Awaited<ReturnType<typeof connectAsync>>;
      try {
        client = await connectAsync(url, {
          clientId: `parkir-simulate-${process.pid}`,
          username: process.env.PARKIR_MQTT_USERNAME,
          password: process.env.PARKIR_MQTT_PASSWORD,
          reconnectPeriod: 0,
        });
      } catch (e) {
        throw new CliError(`cannot connect to ${redactUrl(url)}: ${(e as Error).message}`, 1);
      }
      const real0 = Date.now();
      const clock = () => startMs + (Date.now() - real0) * f.speed;
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      try {
        const n = await publishFleet(client, messages, {
          paced: f.speed > 0,
          clock,
          qos: f.qos as 0 | 1,
          signal: abort.signal,
        });
        process.stderr.write(`published ${n} of ${messages.length} messages to ${redactUrl(url)}\n`);
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        await client.endAsync();
      }
    });
}

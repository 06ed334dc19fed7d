/**
 * `parkir serve`: the live gateway as a long-running service (MQTT in, files and MQTT out, /healthz), and
 * `parkir serve --demo`: the same service with an embedded broker (aedes, loopback) and a simulated Palu fleet
 * in accelerated time, so it runs with nothing installed.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { connectAsync } from "mqtt";
import type { City } from "../catalog/city.js";
import { ParkirError } from "../errors/index.js";
import { createGateway, fleetMessages, publishFleet, redactUrl, startHttpServer } from "../gateway/index.js";
import type { BrokerOptions, GatewayOptions } from "../gateway/options.js";
import { generateTrace } from "../generate/index.js";
import type { WindowBatch } from "../occupancy/types.js";
import { createOpenDataHandler } from "../opendata/http.js";
import { createOpenDataHub } from "../opendata/hub.js";
import { seedPath } from "../paths.js";
import { loadPolicyFile } from "../pricing/policy.js";
import { CliError } from "./errors.js";
import { cityFromFile } from "./io.js";
import { existingFile, nonNegativeInt, parseDuration, positiveInt } from "./options.js";

/** HTTP port of `serve --demo` when `--http-port` is not given. */
const DEMO_HTTP_PORT = 8080;

/** Options of `parkir serve` as commander parses them. */
interface ServeFlags {
  broker?: string;
  credentials?: string;
  clientId?: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  mqtt5?: boolean;
  city: string;
  policy?: string;
  variant?: string;
  state?: string;
  windows?: string;
  decisions?: string;
  checkpointInterval: number;
  durability: "fsync" | "write";
  idleAdvance: number;
  maxAge?: number;
  maxFuture?: number;
  httpPort?: number;
  httpHost: string;
  ttsStorage?: string;
  ttsApp?: string;
  ttsApiKeyFile?: string;
  publish: boolean;
  demo?: boolean;
  speed: number;
  lang: "id" | "en";
}

function durationOrZero(value: string): number {
  return value.trim() === "0" ? 0 : parseDuration(value);
}

/** Registers `serve`. */
export function register(program: Command): void {
  program
    .command("serve")
    .description(
      "run the live gateway: LoRaWAN uplinks over MQTT in, windows and tariffs out (--demo: try it with nothing installed)",
    )
    .option("--broker <url>", "MQTT broker (mqtt://, mqtts://, ws://, wss://); env PARKIR_BROKER_URL")
    .option(
      "--credentials <file>",
      'JSON {"username","password"}; else env PARKIR_MQTT_USERNAME / PARKIR_MQTT_PASSWORD',
    )
    .option("--client-id <id>", "fixed MQTT client id (the broker keeps its session); default parkir-<city>")
    .option("--ca <file>", "TLS: CA certificate (PEM)", existingFile)
    .option("--cert <file>", "TLS: client certificate (PEM)", existingFile)
    .option("--key <file>", "TLS: client key (PEM)", existingFile)
    .option("--insecure", "TLS: do not verify the broker's certificate")
    .option("--mqtt5", "speak MQTT 5 (receive maximum 1000) instead of 3.1.1")
    .option(
      "--city <file>",
      "city catalogue with device EUIs and models (default: the bundled seeds/palu/city.json)",
      existingFile,
      seedPath("palu", "city.json"),
    )
    .option(
      "--policy <file>",
      "pricing policy: tariff decisions published too (default: none, occupancy only)",
      existingFile,
    )
    .option("--variant <name>", "policy variant to apply with --policy (e.g. dynamic)")
    .option(
      "--state <dir>",
      "state directory: checkpoint, write-ahead log, outputs (--demo: a new temporary one)",
    )
    .option("--windows <file>", "JSON Lines of closed windows (default <state>/windows.jsonl)")
    .option(
      "--decisions <file>",
      "JSON Lines of tariff decisions, with --policy (default <state>/decisions.jsonl)",
    )
    .option(
      "--checkpoint-interval <duration>",
      "how often the state is committed; bounds the log replayed after a crash, e.g. 30s, 5m (default: 60s)",
      parseDuration,
      60_000,
    )
    .option(
      "--durability <mode>",
      "acknowledge uplinks once logged with fsync (survives a power cut), or once written: write (survives kill -9) (default: fsync)",
      "fsync",
    )
    .option(
      "--idle-advance <duration>",
      "close windows on the clock after this much quiet; 0: event time only (default: 60s)",
      durationOrZero,
      60_000,
    )
    .option("--max-age <duration>", "refuse events older than this (default 7d)", parseDuration)
    .option(
      "--max-future <duration>",
      "refuse events later than the clock by this (default 10m)",
      parseDuration,
    )
    .option(
      "--http-port <port>",
      "serve the dashboard, the open-data feeds and /healthz on this port (default: none; 8080 with --demo)",
      nonNegativeInt,
    )
    .option("--http-host <host>", "HTTP listen address", "127.0.0.1")
    .option(
      "--tts-storage <url>",
      "The Things Stack cluster URL: backfill from its Storage Integration after a restart",
    )
    .option("--tts-app <id>", "The Things Stack application id (for --tts-storage)")
    .option(
      "--tts-api-key-file <file>",
      "API key file for --tts-storage; else env PARKIR_TTS_API_KEY",
      existingFile,
    )
    .option("--no-publish", "do not publish outputs to the broker")
    .option("--demo", "embedded broker on loopback and a simulated Palu fleet in accelerated time")
    .option("--speed <n>", "demo: simulated seconds per second", positiveInt, 60)
    .option("--lang <id|en>", "demo: language of the window lines (Bahasa Indonesia or English)", "id")
    .action(async (flags: ServeFlags) => {
      await serve(flags);
    });
}

async function serve(f: ServeFlags): Promise<void> {
  if (f.durability !== "fsync" && f.durability !== "write")
    throw new CliError("--durability must be fsync or write");
  if (f.lang !== "id" && f.lang !== "en") throw new CliError("--lang must be id or en");
  if (f.variant !== undefined && f.policy === undefined) throw new CliError("--variant needs --policy");
  if (f.decisions !== undefined && f.policy === undefined) throw new CliError("--decisions needs --policy");
  const city = cityFromFile(f.city);
  // The demo's clock starts anew each run: it gets a fresh state directory unless one is named.
  const stateDir = resolve(
    f.state ?? (f.demo ? mkdtempSync(join(tmpdir(), "parkir-demo-")) : "parkir-state"),
  );
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  let clock: () => number = Date.now;
  let demo: Demo | undefined;
  let broker: BrokerOptions | undefined;
  if (f.demo) {
    demo = await startDemoBroker(f.speed);
    clock = demo.clock;
    broker = { url: demo.url, clientId: `parkir-${city.id}` };
  } else {
    const url = f.broker ?? process.env.PARKIR_BROKER_URL;
    if (url === undefined) throw new CliError("serve needs --broker URL (or PARKIR_BROKER_URL), or --demo");
    broker = {
      url,
      ...credentials(f.credentials),
      ...(f.clientId === undefined ? {} : { clientId: f.clientId }),
      ...(f.ca === undefined ? {} : { ca: readFileSync(f.ca) }),
      ...(f.cert === undefined ? {} : { cert: readFileSync(f.cert) }),
      ...(f.key === undefined ? {} : { key: readFileSync(f.key) }),
      ...(f.insecure ? { rejectUnauthorized: false } : {}),
      ...(f.mqtt5 ? { protocolVersion: 5 as const } : {}),
    };
  }
  const options: GatewayOptions = {
    city,
    stateDir,
    broker,
    // The demo's clock runs `speed` times faster: its idle advance waits at least 5 real seconds, so a fleet
    // lagging behind that clock on a busy machine is not overtaken by the clock (its events would be late).
    engine: { idleAdvanceMs: demo === undefined ? f.idleAdvance : Math.max(f.idleAdvance, f.speed * 5000) },
    checkpointIntervalMs: f.checkpointInterval,
    durability: f.durability,
    clock,
    log,
    ...(f.publish ? {} : { publish: false as const }),
    ...(f.windows === undefined ? {} : { windowsFile: resolve(f.windows) }),
    ...(f.decisions === undefined ? {} : { decisionsFile: resolve(f.decisions) }),
    ...(f.policy === undefined
      ? {}
      : { policy: loadPolicyFile(f.policy, f.variant === undefined ? {} : { variant: f.variant }) }),
    ...(f.maxAge === undefined ? {} : { maxAgeMs: f.maxAge }),
    ...(f.maxFuture === undefined ? {} : { maxFutureMs: f.maxFuture }),
    ...(f.ttsStorage === undefined ? {} : { storage: storageOptions(f) }),
  };
  const gateway = createGateway(options);
  // Signals are caught from the start: one during start-up stops the gateway as soon as it is up.
  let signalled: () => void = () => undefined;
  const stopRequested = new Promise<void>((r) => {
    signalled = r;
  });
  const onSignal = () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    signalled();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await gateway.start();
  } catch (e) {
    onSignal();
    await demo?.close();
    if (e instanceof ParkirError) throw e;
    throw new CliError(`cannot connect to ${redactUrl(broker.url)}: ${(e as Error).message}`, 1);
  }
  let http: import("node:http").Server | undefined;
  const httpPort = f.httpPort ?? (demo !== undefined ? DEMO_HTTP_PORT : undefined);
  if (httpPort !== undefined) {
    // Open data and the dashboard follow the gateway's engines from now on, fed the events it decodes.
    const hub = createOpenDataHub({ city, engine: gateway.engine, pricing: gateway.pricing });
    gateway.events$.subscribe((events) => hub.addEvents(events));
    const openData = createOpenDataHandler(hub);
    http = await startHttpServer(gateway, {
      port: httpPort,
      host: f.httpHost,
      handlers: [
        (req, res) => {
          openData(req, res);
          return true;
        },
      ],
    });
    const a = http.address();
    const port = typeof a === "object" && a !== null ? a.port : httpPort;
    log(`http: /healthz on ${f.httpHost}:${port}`);
    log(`dashboard and open data: http://${f.httpHost}:${port}/`);
  }
  log(`serving ${city.id}: state in ${stateDir}`);
  if (demo !== undefined) {
    gateway.windows$.subscribe((w) => process.stdout.write(`${windowLine(city, w, f.lang)}\n`));
    demo.fleet(city, log);
  }
  await stopRequested;
  log("stopping: checkpoint and disconnect");
  demo?.abort.abort();
  await gateway.stop();
  http?.close();
  http?.closeAllConnections(); // dashboards hold Server-Sent Events streams open: end them too
  await demo?.close();
}

function credentials(path: string | undefined): { username?: string; password?: string } {
  if (path !== undefined) {
    let o: unknown;
    try {
      o = JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
      throw new CliError(
        `--credentials ${path}: not a JSON file (${(e as Error).message.split("\n")[0]})`,
        2,
      );
    }
    const r = o as { username?: unknown; password?: unknown };
    if (
      typeof r !== "object" ||
      r === null ||
      (r.username !== undefined && typeof r.username !== "string") ||
      (r.password !== undefined && typeof r.password !== "string")
    )
      throw new CliError(`--credentials ${path}: must be {"username": string, "password": string}`, 2);
    return {
      ...(r.username === undefined ? {} : { username: r.username }),
      ...(r.password === undefined ? {} : { password: r.password as string }),
    };
  }
  const u = process.env.PARKIR_MQTT_USERNAME;
  const p = process.env.PARKIR_MQTT_PASSWORD;
  return { ...(u === undefined ? {} : { username: u }), ...(p === undefined ? {} : { password: p }) };
}

function storageOptions(f: ServeFlags): NonNullable<GatewayOptions["storage"]> {
  if (f.ttsApp === undefined) throw new CliError("--tts-storage needs --tts-app");
  const key =
    f.ttsApiKeyFile !== undefined
      ? readFileSync(f.ttsApiKeyFile, "utf8").trim()
      : process.env.PARKIR_TTS_API_KEY;
  if (key === undefined || key === "")
    throw new CliError("--tts-storage needs --tts-api-key-file or PARKIR_TTS_API_KEY");
  return { baseUrl: f.ttsStorage!, application: f.ttsApp, apiKey: key };
}

/** One line per closed window: time in the city's zone, sensed-bay occupancy, the busiest point. */
export function windowLine(city: City, w: WindowBatch, lang: "id" | "en"): string {
  let occ = 0;
  let n = 0;
  let best = "";
  let bestOcc = -1;
  for (const r of w.records) {
    if (r.detection !== "singleSpaceDetection" || r.occupancy === null) continue;
    occ += r.occupancy;
    n++;
    if (r.occupancy > bestOcc) {
      bestOcc = r.occupancy;
      best = r.zone;
    }
  }
  const fmt = new Intl.DateTimeFormat(lang === "id" ? "id-ID" : "en-GB", {
    timeZone: city.timeZone,
    hour: "2-digit",
    minute: "2-digit",
  });
  const span = `${fmt.format(w.windowStart)}–${fmt.format(w.windowEnd)} WITA`;
  const pct = (x: number) => `${Math.round(x * 100)} %`;
  if (n === 0) return lang === "id" ? `${span}: belum ada data sensor` : `${span}: no sensor data yet`;
  return lang === "id"
    ? `${span}: ${n} titik bersensor, rata-rata terisi ${pct(occ / n)}; paling penuh ${best} (${pct(bestOcc)})`
    : `${span}: ${n} sensed point${n === 1 ? "" : "s"}, mean occupancy ${pct(occ / n)}; fullest ${best} (${pct(bestOcc)})`;
}

/** The demo's embedded broker and fleet. */
interface Demo {
  readonly url: string;
  readonly clock: () => number;
  readonly abort: AbortController;
  fleet(city: City, log: (line: string) => void): void;
  close(): Promise<void>;
}

async function startDemoBroker(speed: number): Promise<Demo> {
  const { Aedes } = await import("aedes");
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  // Connections are ended by hand on close: a client stalled mid-flight would hold server.close() until the
  // broker's keep-alive timeout (tens of seconds).
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const a = server.address();
  const port = typeof a === "object" && a !== null ? a.port : 0;
  const real0 = Date.now();
  const t0 = real0;
  const clock = () => t0 + (Date.now() - real0) * speed;
  const abort = new AbortController();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    clock,
    abort,
    fleet(city, log) {
      const hours = 6;
      const events = generateTrace(city, { seed: 1, startMs: t0, hours });
      const messages = fleetMessages(city, events, { format: "tts" });
      log(
        `demo: broker on 127.0.0.1:${port}; fleet of ${city.bayCount} sensors, ${hours} h at ${speed}x (${messages.length} messages)`,
      );
      void (async () => {
        const client = await connectAsync(`mqtt://127.0.0.1:${port}`, {
          clientId: "parkir-demo-fleet",
          reconnectPeriod: 0,
        });
        // Stopping cuts the fleet's connection at once: what it still has in flight is dropped.
        if (abort.signal.aborted) client.end(true);
        else abort.signal.addEventListener("abort", () => client.end(true), { once: true });
        try {
          await publishFleet(client, messages, { clock, paced: true, signal: abort.signal });
          if (!abort.signal.aborted) log("demo: the simulated fleet has sent its whole trace");
        } finally {
          // Stopped: what is still in flight is dropped (the demo's broker is closing too).
          await client.endAsync(abort.signal.aborted);
        }
      })().catch((e: unknown) => log(`demo fleet: ${(e as Error).message}`));
    },
    async close() {
      abort.abort();
      await new Promise<void>((r) => aedes.close(() => r()));
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

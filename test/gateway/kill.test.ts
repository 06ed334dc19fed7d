/**
 * The kill test: a real mosquitto, a generated Palu trace published as LoRaWAN uplinks at QoS 1 while the
 * gateway (`parkir serve`, a child process) is killed with SIGKILL at random moments and restarted each time.
 * The closed windows it writes must equal an uninterrupted run's byte for byte: no event lost, none counted
 * twice. Needs `npm run build` (npm test builds first).
 *
 * The broker runs with `max_inflight_messages 1`: mosquitto delivers in publish order only then (MQTT orders
 * messages per topic, and every device has its own topic). With a larger window it was seen to deliver a run of
 * some 340 uplinks after later ones (traced in a first life, before any kill), so events the in-process run took
 * in time counted late — a difference of delivery order the gateway cannot know, not a loss.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync } from "mqtt";
import { afterAll, describe, expect, test } from "vitest";
import { type Broker, MOSQUITTO, startMosquitto } from "../../bench/suites/mosquitto.js";
import { loadCityFile } from "../../src/catalog/index.js";
import {
  createGateway,
  type FleetMessage,
  fleetMessages,
  publishFleet,
  type UplinkFormat,
} from "../../src/gateway/index.js";
import { generateTrace } from "../../src/generate/index.js";
import { seedPath } from "../../src/paths.js";
import { loadPolicyFile } from "../../src/pricing/index.js";

const CLI = join(import.meta.dirname, "..", "..", "dist", "src", "cli", "main.js");
const city = loadCityFile(seedPath("palu", "city.json"));
const POLICY = seedPath("palu", "policy.json");
/** Hourly step controllers on the 50 sensed points: tariff decisions every hour of the trace. */
const policy = loadPolicyFile(POLICY, { variant: "dynamic" });
const root = mkdtempSync(join(tmpdir(), "parkir-kill-"));
const children = new Set<ChildProcess>();
let broker: Broker | undefined;
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await broker?.stop();
  if (process.env.PARKIR_KEEP_TEST_DIRS === undefined) rmSync(root, { recursive: true, force: true });
  else console.log(`kept ${root}`);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The windows and tariff decisions an uninterrupted gateway writes for these messages (same code, in process). */
async function uninterrupted(
  messages: readonly FleetMessage[],
  dir: string,
): Promise<{ windows: string; decisions: string }> {
  const gw = createGateway({
    city,
    stateDir: dir,
    policy,
    engine: { idleAdvanceMs: 0 },
    log: () => undefined,
  });
  await gw.start();
  for (let i = 0; i < messages.length; i++) {
    gw.ingestMessage(messages[i]!.topic, messages[i]!.payload);
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  await gw.stop();
  return {
    windows: readFileSync(join(dir, "windows.jsonl"), "utf8"),
    decisions: readFileSync(join(dir, "decisions.jsonl"), "utf8"),
  };
}

function serve(
  url: string,
  state: string,
  clientId: string,
): { child: ChildProcess; ready: Promise<void>; log: () => string } {
  const child = spawn(
    process.execPath,
    [
      CLI,
      "serve",
      "--broker",
      url,
      "--state",
      state,
      "--client-id",
      clientId,
      "--idle-advance",
      "0",
      "--checkpoint-interval",
      "700ms",
      // With mosquitto's window at 1 (see startMosquitto below), acknowledging once written keeps the run short;
      // a kill -9 of the process is what "write" survives.
      "--durability",
      "write",
      "--policy",
      POLICY,
      "--variant",
      "dynamic",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  children.add(child);
  let log = "";
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (d) => {
      log += String(d);
      if (log.includes("subscribed to")) resolve();
    });
    child.once("exit", (code) =>
      reject(new Error(`parkir serve exited with ${code} before subscribing:\n${log}`)),
    );
  });
  ready.catch(() => undefined);
  return { child, ready, log: () => log };
}

async function killRun(format: UplinkFormat, hours: number, kills: number): Promise<void> {
  // The latest 09:30 WITA (01:30 UTC) at least `hours + 1` hours ago: daytime, when the dynamic tariff's bands
  // apply and its controllers decide (at most about a day old, well inside the gateway's 7-day age limit).
  const DAY = 86_400_000;
  const latest = Date.now() - (hours + 1) * 3_600_000;
  const start = Math.floor((latest - 5_400_000) / DAY) * DAY + 5_400_000; // 09:30 WITA: an hour boundary inside
  // Every fault of the generator on: lost, duplicated, jittered, reordered and deliberately late sensor messages.
  const events = generateTrace(city, { seed: 7, startMs: start, hours });
  const messages = fleetMessages(city, events, { format });
  const whole = await uninterrupted(messages, join(root, `${format}-whole`));
  const expected = whole.windows;
  expect(expected.split("\n").length).toBeGreaterThan(500);
  expect(whole.decisions.split("\n").filter(Boolean).length).toBeGreaterThan(hours > 1 ? 20 * hours : 0);

  const url = broker!.url;
  const state = join(root, `${format}-killed`);
  const windows = join(state, "windows.jsonl");
  const clientId = `parkir-kill-${format}`;
  let run = serve(url, state, clientId);
  await run.ready;
  const publisher = await connectAsync(url, { clientId: `kill-publisher-${format}` });
  let published = 0;
  const publishing = publishFleet(publisher, messages, { onPublished: (n) => (published = n) });

  const delays: number[] = [];
  for (let k = 0; k < kills; k++) {
    const delay = 150 + Math.floor(Math.random() * 900);
    delays.push(delay);
    await sleep(delay);
    const exited = new Promise((r) => run.child.once("exit", r));
    process.kill(run.child.pid!, "SIGKILL");
    await exited;
    children.delete(run.child);
    await sleep(Math.floor(Math.random() * 300)); // the broker queues while the gateway is down
    run = serve(url, state, clientId);
    await run.ready;
  }
  await publishing;
  await publisher.endAsync();
  // Wait until the gateway has written as much as the uninterrupted run, then stop it cleanly. Bounded by the
  // test's timeout: on a loaded machine the last restart may take minutes to drain what the broker queued.
  const target = Buffer.byteLength(expected);
  for (let i = 0; i < 3000 && !(existsSync(windows) && statSync(windows).size >= target); i++)
    await sleep(100);
  const exited = new Promise((r) => run.child.once("exit", r));
  process.kill(run.child.pid!, "SIGTERM");
  const code = await exited;
  const got = readFileSync(windows, "utf8");
  const prefix = expected.startsWith(got) ? " (a prefix of the expected windows: not drained yet)" : "";
  const context = `kills after ${delays.join(", ")} ms; published ${published}${prefix}; last log:\n${run.log().slice(-2000)}`;
  expect(code, context).toBe(0);
  expect(got.length, context).toBe(expected.length);
  expect(got === expected, context).toBe(true);
  // Pricing state is checkpointed with the occupancy state: the tariff decisions equal too.
  const decisions = readFileSync(join(state, "decisions.jsonl"), "utf8");
  expect(decisions.length, context).toBe(whole.decisions.length);
  expect(decisions === whole.decisions, context).toBe(true);
  expect(run.log()).toMatch(/replayed \d+ events|subscribed/);
}

describe.skipIf(MOSQUITTO === undefined)("kill -9 with a real mosquitto", () => {
  test("The Things Stack uplinks at QoS 1: SIGKILL at 6 random moments, windows and tariff decisions equal an uninterrupted run's", async () => {
    broker ??= await startMosquitto(1);
    await killRun("tts", 3, 6);
  }, 400_000);

  test("ChirpStack uplinks (a shorter run): SIGKILL at 5 random moments, same windows", async () => {
    broker ??= await startMosquitto(1);
    await killRun("chirpstack", 1, 5);
  }, 300_000);
});

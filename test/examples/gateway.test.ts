/**
 * The gateway example (examples/gateway.ts) against a real mosquitto: killed with SIGKILL mid-stream and started
 * again, it writes the windows an uninterrupted run writes. Needs `npm run build` (npm test builds first).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync } from "mqtt";
import { afterAll, expect, test } from "vitest";
import { type Broker, MOSQUITTO, startMosquitto } from "../../bench/suites/mosquitto.js";
import {
  createGateway,
  fleetMessages,
  generateTrace,
  loadCityFile,
  publishFleet,
  seedPath,
} from "../../src/index.js";

const EXAMPLE = join(import.meta.dirname, "..", "..", "dist", "examples", "gateway.js");
const dir = mkdtempSync(join(tmpdir(), "parkir-gateway-example-"));
const children = new Set<ChildProcess>();
let broker: Broker | undefined;
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function example(
  url: string,
  state: string,
): { child: ChildProcess; out: () => string; ready: Promise<void> } {
  const child = spawn(
    process.execPath,
    [EXAMPLE, "--broker", url, "--state", state, "--idle-advance-ms", "0"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.add(child);
  let out = "";
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (d) => {
      out += String(d);
      if (out.includes("gateway running")) resolve();
    });
    child.stderr?.on("data", (d) => {
      out += String(d);
    });
    child.once("exit", (code) => reject(new Error(`example exited with ${code}:\n${out}`)));
  });
  ready.catch(() => undefined);
  return { child, out: () => out, ready };
}

test.skipIf(MOSQUITTO === undefined)(
  "the gateway example, killed mid-stream and started again, writes the windows of a run that never stopped",
  async () => {
    broker = await startMosquitto();
    const city = loadCityFile(seedPath("palu", "city.json"));
    const events = generateTrace(city, { seed: 11, startMs: Date.now() - 3 * 3_600_000, hours: 1 });
    const messages = fleetMessages(city, events, { format: "tts" });

    const whole = createGateway({
      city,
      stateDir: join(dir, "whole"),
      engine: { idleAdvanceMs: 0 },
      log: () => undefined,
    });
    await whole.start();
    for (const m of messages) whole.ingestMessage(m.topic, m.payload);
    await whole.stop();
    const expected = readFileSync(join(dir, "whole", "windows.jsonl"), "utf8");
    expect(expected.split("\n").length).toBeGreaterThan(500);

    const state = join(dir, "killed");
    let run = example(broker.url, state);
    await run.ready;
    const publisher = await connectAsync(broker.url, { clientId: "example-publisher" });
    const publishing = publishFleet(publisher, messages);
    for (const delay of [400, 700]) {
      await sleep(delay);
      const exited = new Promise((r) => run.child.once("exit", r));
      process.kill(run.child.pid!, "SIGKILL");
      await exited;
      run = example(broker.url, state);
      await run.ready;
    }
    await publishing;
    await publisher.endAsync();
    const windows = join(state, "windows.jsonl");
    const target = Buffer.byteLength(expected);
    for (let i = 0; i < 600 && !(existsSync(windows) && statSync(windows).size >= target); i++)
      await sleep(100);
    const exited = new Promise((r) => run.child.once("exit", r));
    process.kill(run.child.pid!, "SIGTERM");
    expect(await exited).toBe(0);
    expect(run.out()).toContain("stopped");
    expect(readFileSync(windows, "utf8") === expected).toBe(true);
  },
  120_000,
);

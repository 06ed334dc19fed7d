/**
 * Stop under load: `parkir serve` gets SIGTERM while mosquitto is still delivering a backlog. It must end its
 * connection cleanly (the broker acknowledges the "offline" status: no cut after the grace), exit 0 with a final
 * checkpoint, and a restart on the same state must finish with the windows of a run that never stopped. The
 * vitest timeout is the only bound on how long that takes. Needs `npm run build` (npm test builds first).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync } from "mqtt";
import { afterAll, describe, expect, test } from "vitest";
import { type Broker, MOSQUITTO, startMosquitto } from "../../bench/suites/mosquitto.js";
import { loadCityFile } from "../../src/catalog/index.js";
import { readState } from "../../src/gateway/files.js";
import { createGateway, fleetMessages, publishFleet } from "../../src/gateway/index.js";
import { generateTrace } from "../../src/generate/index.js";
import { seedPath } from "../../src/paths.js";

const CLI = join(import.meta.dirname, "..", "..", "dist", "src", "cli", "main.js");
const city = loadCityFile(seedPath("palu", "city.json"));
const root = mkdtempSync(join(tmpdir(), "parkir-stop-"));
const children = new Set<ChildProcess>();
let broker: Broker | undefined;
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await broker?.stop();
  if (process.env.PARKIR_KEEP_TEST_DIRS === undefined) rmSync(root, { recursive: true, force: true });
  else console.log(`kept ${root}`);
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function serve(url: string, state: string): { child: ChildProcess; log: () => string } {
  const child = spawn(
    process.execPath,
    [CLI, "serve", "--broker", url, "--state", state, "--client-id", "stop-test", "--idle-advance", "0"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  children.add(child);
  let log = "";
  child.stderr?.on("data", (d) => {
    log += String(d);
  });
  return { child, log: () => log };
}

describe.skipIf(MOSQUITTO === undefined)("stop under load", () => {
  test("SIGTERM while a backlog drains: clean disconnect, exit 0, final checkpoint; the restart loses nothing", async () => {
    broker = await startMosquitto();
    const events = generateTrace(city, { seed: 3, startMs: Date.now() - 5 * 3_600_000, hours: 3 });
    const messages = fleetMessages(city, events, { format: "tts" });
    const whole = join(root, "whole");
    const gw = createGateway({ city, stateDir: whole, engine: { idleAdvanceMs: 0 }, log: () => undefined });
    await gw.start();
    for (let i = 0; i < messages.length; i++) {
      gw.ingestMessage(messages[i]!.topic, messages[i]!.payload);
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
    await gw.stop();
    const expected = readFileSync(join(whole, "windows.jsonl"), "utf8");

    // The session exists, the backlog is queued while the gateway is away, then it starts and drains it.
    const state = join(root, "stopped");
    const session = await connectAsync(broker.url, { clientId: "stop-test", clean: false });
    await session.subscribeAsync(["v3/+/devices/+/up", `parkir/${city.id}/in/events`], { qos: 1 });
    await session.endAsync();
    const pub = await connectAsync(broker.url, { clientId: "stop-test-pub" });
    await publishFleet(pub, messages);
    await pub.endAsync();

    const first = serve(broker.url, state);
    const wal = join(state, "wal");
    // SIGTERM once it is draining (its log has lines), well before the backlog is through.
    for (let i = 0; i < 3000 && !(existsSync(wal) && walBytes(wal) > 200_000); i++) await sleep(10);
    const exited = new Promise<number | null>((r) => first.child.once("exit", r));
    first.child.kill("SIGTERM");
    const code = await exited;
    expect(code, first.log()).toBe(0);
    expect(first.log()).toContain("stopping: checkpoint and disconnect");
    expect(first.log()).not.toContain("connection cut");
    const saved = readState(join(state, "state.bin"));
    expect(saved).toBeDefined();
    const committed = saved!.header.outputs[join(state, "windows.jsonl")] ?? 0;
    expect(committed).toBeLessThan(expected.length); // stopped mid-backlog (the rest is still queued)

    const second = serve(broker.url, state);
    const windows = join(state, "windows.jsonl");
    for (let i = 0; i < 1200 && !(existsSync(windows) && statSync(windows).size >= expected.length); i++)
      await sleep(100);
    const done = new Promise<number | null>((r) => second.child.once("exit", r));
    second.child.kill("SIGTERM");
    expect(await done, second.log()).toBe(0);
    expect(readFileSync(windows, "utf8") === expected).toBe(true);
  }, 150_000);
});

function walBytes(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) n += statSync(join(dir, f)).size;
  return n;
}

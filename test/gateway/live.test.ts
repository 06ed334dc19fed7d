/**
 * The gateway's outside world: outputs on a real mosquitto (retained per point, a late subscriber gets them),
 * /healthz, the Storage Integration backfill against a local HTTP server in that API's shape, and the
 * `simulate` command. CLI tests need `npm run build` (npm test builds first).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync } from "mqtt";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Broker, MOSQUITTO, startMosquitto } from "../../bench/suites/mosquitto.js";
import { loadCityFile } from "../../src/catalog/index.js";
import {
  createGateway,
  fleetMessages,
  type GatewayOptions,
  startHttpServer,
} from "../../src/gateway/index.js";
import { generateTrace } from "../../src/generate/index.js";
import { seedPath } from "../../src/paths.js";

const CLI = join(import.meta.dirname, "..", "..", "dist", "src", "cli", "main.js");
const city = loadCityFile(seedPath("palu", "city.json"));
const root = mkdtempSync(join(tmpdir(), "parkir-live-"));
/**
 * The trace's hour: the last 10:00 in Palu (WITA, UTC+8) at least 3 hours ago, so the hour is a busy one
 * whatever the wall clock (the demand model follows the local time of day; a night hour holds too few uplinks
 * for the paging the tests check) and still recent for the gateway's clock.
 */
const HOUR_MS = 3_600_000;
const WITA_MS = 8 * HOUR_MS;
const latest = Date.now() - 3 * HOUR_MS;
const START =
  latest - ((((latest + WITA_MS - 10 * HOUR_MS) % (24 * HOUR_MS)) + 24 * HOUR_MS) % (24 * HOUR_MS));
const events = generateTrace(city, { seed: 9, startMs: START, hours: 1 });
const messages = fleetMessages(city, events, { format: "tts", application: "palu" });
const children = new Set<ChildProcess>();
let broker: Broker | undefined;
let dirs = 0;
beforeAll(async () => {
  if (MOSQUITTO !== undefined) broker = await startMosquitto();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await broker?.stop();
  rmSync(root, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = (extra: Partial<GatewayOptions> = {}): GatewayOptions => ({
  city,
  stateDir: join(root, `gw-${dirs++}`),
  engine: { idleAdvanceMs: 0 },
  log: () => undefined,
  ...extra,
});

describe.skipIf(MOSQUITTO === undefined)("outputs on the broker", () => {
  test("windows, points and status are published retained: a subscriber that connects late gets them", async () => {
    const gw = createGateway(
      quiet({
        broker: { url: broker!.url, clientId: "out-test" },
        tickMs: 20,
        publish: { snapshotIntervalMs: 20 },
      }),
    );
    await gw.start();
    for (const m of messages) gw.ingestMessage(m.topic, m.payload);
    for (let i = 0; i < 100 && gw.counters.queued > 0; i++) await sleep(20);
    await sleep(200); // a tick publishes the points
    const late = await connectAsync(broker!.url, { clientId: "late-display" });
    const got = new Map<string, { body: string; retain: boolean }>();
    late.on("message", (topic, body, packet) =>
      got.set(topic, { body: String(body), retain: packet.retain }),
    );
    await late.subscribeAsync("parkir/palu/#");
    for (let i = 0; i < 100 && got.size < 300; i++) await sleep(20);
    const win = got.get("parkir/palu/windows/PLU-001/car");
    expect(win?.retain).toBe(true);
    expect(JSON.parse(win!.body)).toMatchObject({ type: "occupancy", zone: "PLU-001", vehicleType: "car" });
    const point = got.get("parkir/palu/points/PLU-001");
    expect(point?.retain).toBe(true);
    expect(JSON.parse(point!.body)).toMatchObject({
      zone: "PLU-001",
      classes: { car: { capacity: expect.any(Number) } },
    });
    expect(JSON.parse(got.get("parkir/palu/status")!.body)).toEqual({ status: "online" });
    const healthTopics = [...got.keys()].filter((t) => /^parkir\/palu\/devices\/.+\/health$/.test(t));
    expect(healthTopics.length).toBeGreaterThan(0); // heartbeats: battery, temperature
    await gw.stop();
    const status = () => JSON.parse(got.get("parkir/palu/status")!.body) as { status: string };
    for (let i = 0; i < 100 && status().status !== "offline"; i++) await sleep(20);
    expect(status()).toEqual({ status: "offline" });
    await late.endAsync();
  }, 30_000);

  test("parkir simulate publishes a fleet to a broker", async () => {
    const sub = await connectAsync(broker!.url, { clientId: "simulate-watch" });
    let uplinks = 0;
    let cds = 0;
    sub.on("message", (topic) => {
      if (topic.startsWith("application/")) uplinks++;
      else cds++;
    });
    await sub.subscribeAsync(["application/+/device/+/event/up", "parkir/palu/in/events"], { qos: 1 });
    const code = await new Promise<number | null>((resolve) => {
      const c = spawn(
        process.execPath,
        [CLI, "simulate", "--broker", broker!.url, "--format", "chirpstack", "--hours", "1", "--speed", "0"],
        {
          stdio: "ignore",
        },
      );
      children.add(c);
      c.once("exit", resolve);
    });
    expect(code).toBe(0);
    for (let i = 0; i < 200 && uplinks + cds < 1000; i++) await sleep(20);
    expect(uplinks).toBeGreaterThan(50);
    expect(cds).toBeGreaterThan(500);
    await sub.endAsync();
  }, 60_000);
});

describe("HTTP", () => {
  test("/healthz reports status and counters; mounted handlers answer their routes; others 404", async () => {
    const gw = createGateway(quiet());
    await gw.start();
    for (const m of messages.slice(0, 200)) gw.ingestMessage(m.topic, m.payload);
    gw.ingestMessage("nowhere", Buffer.from("{}"));
    const server = await startHttpServer(gw, {
      port: 0,
      handlers: [
        (req, res) => {
          if (req.url !== "/hello") return false;
          res.end("hi");
          return true;
        },
      ],
    });
    const a = server.address();
    const base = `http://127.0.0.1:${typeof a === "object" && a !== null ? a.port : 0}`;
    await sleep(10);
    const h = await fetch(`${base}/healthz`);
    expect(h.status).toBe(200);
    const body = (await h.json()) as {
      status: string;
      lastCheckpointAgeS: number | null;
      counters: { messages: number; rejected: Record<string, number>; decisions: number };
    };
    expect(body.status).toBe("running");
    expect(body.lastCheckpointAgeS).toBeNull(); // none yet
    expect(body.counters.decisions).toBe(0); // no policy
    gw.checkpoint();
    expect(gw.status().lastCheckpointAgeS).toBe(0);
    expect(body.counters.messages).toBe(201);
    expect(body.counters.rejected["unknown-topic"]).toBe(1);
    expect(await (await fetch(`${base}/hello`)).text()).toBe("hi");
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    await gw.stop();
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
    server.close();
  });
});

describe("The Things Stack Storage Integration backfill", () => {
  test("after an outage the gap is fetched page by page, overlap de-duplicated, windows as if never away", async () => {
    // The Things Stack stores every uplink; sorted by receive time, as its storage returns them.
    const tts = messages.filter((m) => m.topic.startsWith("v3/")).sort((a, b) => a.timeMs - b.timeMs);
    const stored = tts.map((m) => JSON.parse(String(m.payload)) as { received_at: string });
    const KEY = "NNSXS.SECRET-KEY-NOT-IN-LOGS";
    const requests: string[] = [];
    const server: Server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      requests.push(url.search);
      if (req.headers.authorization !== `Bearer ${KEY}`) {
        res.writeHead(401).end();
        return;
      }
      if (
        url.pathname !== "/api/v3/as/applications/palu/packages/storage/uplink_message" ||
        req.headers.accept !== "text/event-stream"
      ) {
        res.writeHead(404).end();
        return;
      }
      const after = Date.parse(url.searchParams.get("after")!);
      const limit = Number(url.searchParams.get("limit"));
      const page = stored.filter((u) => Date.parse(u.received_at) > after).slice(0, limit);
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(page.map((u) => `${JSON.stringify({ result: u })}\n`).join(""));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const a = server.address();
    const baseUrl = `http://127.0.0.1:${typeof a === "object" && a !== null ? a.port : 0}`;

    const whole = quiet();
    const w = createGateway(whole);
    await w.start();
    for (const m of tts) w.ingestMessage(m.topic, m.payload);
    await w.stop();
    const expected = readFileSync(join(whole.stateDir, "windows.jsonl"), "utf8");

    const logs: string[] = [];
    const o = quiet({
      log: (l) => logs.push(l),
      storage: { baseUrl, application: "palu", apiKey: KEY, limit: 100, overlapMs: 120_000 },
    });
    const first = createGateway(o);
    await first.start(); // nothing seen yet: no backfill
    const half = Math.floor(tts.length / 2);
    for (const m of tts.slice(0, half)) first.ingestMessage(m.topic, m.payload);
    await first.stop();
    expect(requests).toEqual([]);

    const second = createGateway(o); // the gap (second half) is only in the storage
    await second.start();
    await second.stop();
    expect(second.counters.backfilled).toBeGreaterThan(tts.length - half);
    expect(second.counters.redelivered).toBeGreaterThan(0); // the overlap, dropped
    expect(requests.length).toBeGreaterThan(2); // paged
    expect(readFileSync(join(o.stateDir, "windows.jsonl"), "utf8") === expected).toBe(true);
    expect(logs.join("\n")).toMatch(/storage integration: \d+ uplinks fetched/);
    expect(logs.join("\n")).not.toContain(KEY);

    const wrong = createGateway({ ...o, storage: { baseUrl, application: "palu", apiKey: "wrong" } });
    await wrong.start(); // a failed backfill is logged; the gateway runs on
    await wrong.stop();
    expect(logs.join("\n")).toMatch(/backfill failed: storage integration answered HTTP 401/);
    server.close();
  });
});

/**
 * `parkir serve --demo`: an embedded broker and a simulated Palu fleet in accelerated time show live windows
 * soon after start, /healthz answers, SIGTERM stops it cleanly. Needs `npm run build` (npm test builds first).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";

const CLI = join(import.meta.dirname, "..", "..", "dist", "src", "cli", "main.js");
const root = mkdtempSync(join(tmpdir(), "parkir-demo-test-"));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

describe("parkir serve --demo", () => {
  test("shows live windows soon after it starts (embedded broker, simulated fleet), stops cleanly on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        "serve",
        "--demo",
        "--speed",
        "600",
        "--lang",
        "en",
        "--state",
        join(root, "demo"),
        "--http-port",
        "0",
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    children.add(child);
    let out = "";
    let err = "";
    child.stderr?.on("data", (d) => {
      err += String(d);
    });
    const sensed =
      /^\d\d:\d\d–\d\d:\d\d WITA: \d+ sensed points?, mean occupancy \d+ %; fullest PLU-\d{3} \(\d+ %\)$/m;
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on("data", (d) => {
        out += String(d);
        if (sensed.test(out)) resolve();
      });
      child.once("exit", (c) => reject(new Error(`serve --demo exited with ${c}:\n${err}`)));
    });
    const port = /http: \/healthz on 127\.0\.0\.1:(\d+)/.exec(err)?.[1];
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
      status: string;
      connected: boolean;
      counters: { messages: number; engine: { windowsClosed: number } };
    };
    expect(health.status).toBe("running");
    expect(health.connected).toBe(true);
    expect(health.counters.messages).toBeGreaterThan(0);
    expect(health.counters.engine.windowsClosed).toBeGreaterThan(0);
    // The same port serves the dashboard and the open-data feeds, following the live engines.
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<html lang="id">');
    const points = (await (await fetch(`http://127.0.0.1:${port}/geojson/points`)).json()) as {
      features: { properties: Record<string, unknown> }[];
    };
    expect(points.features.length).toBe(200);
    const events = await fetch(`http://127.0.0.1:${port}/events/events`);
    expect(events.status).toBe(200);
    expect(((await events.json()) as { data: { events: unknown[] } }).data.events.length).toBeGreaterThan(0);
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(err).toMatch(/demo: broker on 127\.0\.0\.1:\d+; fleet of 573 sensors/);
    expect(err).toContain("stopping: checkpoint and disconnect");
  }, 120_000);
});

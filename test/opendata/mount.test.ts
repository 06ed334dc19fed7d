/** The handler mounted under a path prefix, and its Server-Sent Events read over plain HTTP. */
import { get as httpGet } from "node:http";
import { expect, test } from "vitest";
import { createOpenDataHandler } from "../../src/opendata/index.js";
import { serve, stop } from "../browser/browser.js";
import { DAY_START, paluReplay } from "./fixture.js";

test("under a prefix: feeds and the dashboard answer there and only there", async () => {
  const replay = paluReplay(3);
  replay.feeder.advanceTo(DAY_START + 2 * 3_600_000);
  const { server, url } = await serve(createOpenDataHandler(replay.hub, { prefix: "/opendata/" }));
  try {
    expect((await fetch(`${url}/opendata/geojson/points`)).status).toBe(200);
    expect((await fetch(`${url}/opendata/`)).headers.get("content-type")).toMatch(/^text\/html/);
    expect((await fetch(`${url}/geojson/points`)).status).toBe(404);
    expect((await fetch(`${url}/opendatax/geojson/points`)).status).toBe(404);
    const zones = (await (await fetch(`${url}/opendata/events/events?limit=1`)).json()) as {
      links: { first: string };
    };
    expect(zones.links.first).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/opendata\/events\/events\?/);
  } finally {
    await stop(server);
    replay.hub.close();
  }
}, 60_000);

test("SSE: a hello, then one update per change, and the listener leaves with the client", async () => {
  const replay = paluReplay(3);
  replay.feeder.advanceTo(DAY_START + 3_600_000);
  const { server, url } = await serve(createOpenDataHandler(replay.hub));
  try {
    const text: string[] = [];
    let close = () => {};
    const got = new Promise<void>((resolve, reject) => {
      const req = httpGet(`${url}/api/stream`, (res) => {
        expect(res.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text.push(chunk);
          if (text.join("").includes("event: update")) resolve();
        });
        // The first chunk is written: now make windows close.
        res.once("data", () => replay.feeder.advanceTo(DAY_START + 2 * 3_600_000));
      });
      req.on("error", reject);
      close = () => req.destroy();
    });
    await got;
    const all = text.join("");
    expect(all).toMatch(/^retry: 5000\n\nevent: hello\ndata: \{"version":\d+,"atMs":\d+\}\n\n/);
    const update = /event: update\ndata: (\{[^\n]+\})\n\n/.exec(all)!;
    const u = JSON.parse(update[1]!) as { kind: string; version: number; atMs: number };
    expect(["window", "health", "decisions"]).toContain(u.kind);
    expect(u.atMs).toBeGreaterThan(DAY_START);
    expect(replay.hub.listenerCount).toBe(1);
    close();
    // The hub forgets the closed stream (bounded wait for the socket's close event).
    for (let i = 0; i < 500 && replay.hub.listenerCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(replay.hub.listenerCount).toBe(0);
  } finally {
    await stop(server);
    replay.hub.close();
  }
}, 60_000);

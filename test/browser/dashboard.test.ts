/**
 * The live dashboard in real Chromium: loads with no console errors or failed requests, shows every
 * catalogue point, draws a point's chart, switches language, and recolours points when a new window
 * arrives over Server-Sent Events.
 */
import type { Server } from "node:http";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createOpenDataHandler } from "../../src/opendata/index.js";
import { DAY_START, paluReplay, type Replay } from "../opendata/fixture.js";
import { launch, OUTPUT_DIR, serve, stop, watch } from "./browser.js";

const HOUR = 3_600_000;
let browser: Browser;
let server: Server;
let url: string;
let replay: Replay;

beforeAll(async () => {
  replay = paluReplay(14);
  replay.feeder.advanceTo(DAY_START + 7 * HOUR);
  ({ server, url } = await serve(createOpenDataHandler(replay.hub)));
  browser = await launch();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (server) await stop(server);
  replay?.hub.close();
});

/** The dashboard's colour rule, to check the map against the hub. */
function colour(occ: number | null): string {
  if (occ === null) return "#9aa3a6";
  if (occ > 0.85) return "#c62828";
  if (occ >= 0.6) return "#f0a202";
  return "#2e9e5b";
}

test("the dashboard loads cleanly, maps all 200 points, charts a point, switches language and follows SSE", async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems = watch(page);
  await page.goto(`${url}/`);
  await page.waitForSelector("body[data-ready=true]");

  // Every catalogue point is on the map, once, with its zone id.
  const zones = await page.$$eval("#map circle[data-zone]", (cs) =>
    cs.map((c) => c.getAttribute("data-zone")),
  );
  expect(zones.length).toBe(replay.city.zoneCount);
  expect(new Set(zones)).toEqual(new Set(replay.city.zones.map((z) => z.id)));
  expect(await page.textContent("h2[data-i18n=map]")).toBe("Peta titik parkir");
  expect(await page.getAttribute("html", "lang")).toBe("id");

  // Selecting a digital point draws its chart (uPlot draws on a canvas) and shows prices in rupiah.
  const digital = replay.city.zones.find((z) => z.bays.length > 0)!.id;
  await page.click(`#map circle[data-zone="${digital}"]`);
  await page.waitForSelector("#chart canvas");
  const facts = await page.textContent("#zone-facts");
  expect(facts).toMatch(/Rp \d{1,3}(\.\d{3})* per (jam|kunjungan)/);
  expect(await page.$$eval("#chart .u-series", (s) => s.length)).toBeGreaterThanOrEqual(3);
  await page.screenshot({ path: join(OUTPUT_DIR, "dashboard-id.png"), fullPage: true });

  // The language switch changes the labels.
  await page.click("#lang");
  expect(await page.textContent("h2[data-i18n=map]")).toBe("Map of parking points");
  expect(await page.textContent("#lang")).toBe("Bahasa Indonesia");
  expect(await page.getAttribute("html", "lang")).toBe("en");
  expect(await page.textContent("#status")).toMatch(/WITA/);
  await page.screenshot({ path: join(OUTPUT_DIR, "dashboard-en.png"), fullPage: true });
  await page.click("#lang");
  expect(await page.textContent("h2[data-i18n=map]")).toBe("Peta titik parkir");

  // New windows arrive: the page hears them over SSE and recolours the points to match the hub.
  const before = await page.$$eval("#map circle[data-zone]", (cs) =>
    Object.fromEntries(cs.map((c) => [c.getAttribute("data-zone"), c.getAttribute("fill")])),
  );
  const version = await page.getAttribute("body", "data-version");
  replay.feeder.advanceTo(DAY_START + 10 * HOUR);
  await page.waitForFunction((v) => document.body.dataset.version !== v, version);
  const after = await page.$$eval("#map circle[data-zone]", (cs) =>
    Object.fromEntries(cs.map((c) => [c.getAttribute("data-zone"), c.getAttribute("fill")])),
  );
  const changed = Object.keys(after).filter((z) => after[z] !== before[z]);
  expect(changed.length).toBeGreaterThan(0);
  for (let z = 0; z < replay.city.zoneCount; z++) {
    const occ = replay.hub.zoneNow(z).occupancy;
    expect(after[replay.city.zones[z]!.id]).toBe(
      colour(Number.isNaN(occ) ? null : Math.round(occ * 1000) / 1000),
    );
  }
  await page.screenshot({ path: join(OUTPUT_DIR, "dashboard-after-sse.png"), fullPage: true });
  await page.close();
  expect(problems).toEqual([]);
}, 120_000);

/**
 * `parkir report` on a generated Palu day, opened from disk in real Chromium with every network request
 * refused: it loads with no console errors, maps all 200 points with their zone ids, and switches language.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { writeReport } from "../../src/cli/report.js";
import { loadCityFile, seedPath } from "../../src/index.js";
import { launch, OUTPUT_DIR, watch } from "./browser.js";

let browser: Browser;
let reportPath: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "parkir-report-"));
  reportPath = writeReport({
    city: seedPath("palu", "city.json"),
    policy: seedPath("palu", "policy.json"),
    out: join(dir, "report.html"),
  });
  browser = await launch();
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

test("the report opens offline with every point on its map, in Indonesian, with an English switch", async () => {
  const html = readFileSync(reportPath, "utf8");
  // Self-contained: nothing is fetched from anywhere.
  expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="(https?:)?\/\//);
  const city = loadCityFile(seedPath("palu", "city.json"));
  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  const problems = watch(page);
  const requests: string[] = [];
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("file:")) return route.continue();
    requests.push(url);
    return route.abort();
  });
  await page.goto(pathToFileURL(reportPath).href);
  const zones = await page.$$eval("#map circle[data-zone]", (cs) =>
    cs.map((c) => c.getAttribute("data-zone")),
  );
  expect(new Set(zones)).toEqual(new Set(city.zones.map((z) => z.id)));
  expect(zones.length).toBe(200);
  expect(await page.$$eval("#heatmap tbody tr[data-zone]", (r) => r.length)).toBe(200);
  expect(await page.$$eval("#decisions tbody tr[data-zone]", (r) => r.length)).toBeGreaterThan(0);
  expect(await page.$$eval("#revenue tbody tr[data-zone]", (r) => r.length)).toBeGreaterThan(50);
  // innerText, not textContent: it follows the CSS that hides the other language's spans.
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is under test
  const heading = () => page.$eval("#heatmap-section h2", (h) => (h as HTMLElement).innerText);
  expect(await heading()).toMatch(/^Keterisian per titik dan jam \(WITA\)/);
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is under test
  expect(await page.$eval("#revenue tfoot", (t) => (t as HTMLElement).innerText)).toMatch(
    /Rp \d{1,3}(\.\d{3})+/,
  );
  await page.screenshot({ path: join(OUTPUT_DIR, "report-id.png") });
  await page.click("#lang");
  expect(await heading()).toMatch(/^Occupancy by point and hour \(WITA\)/);
  await page.screenshot({ path: join(OUTPUT_DIR, "report-en.png"), fullPage: true });
  for (const section of ["heatmap", "revenue", "decisions", "health"])
    await page
      .locator(`#${section}-section`)
      .screenshot({ path: join(OUTPUT_DIR, `report-en-${section}.png`) });
  await page.close();
  expect(requests).toEqual([]);
  expect(problems).toEqual([]);
}, 120_000);

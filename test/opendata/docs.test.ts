/**
 * docs/OPEN-DATA.md shows a real response for every endpoint: each `<!-- example: PATH -->` block is
 * the handler's output for PATH on a replayed generated Palu morning (arrays cut to two items, CSV to
 * six lines). This test fails when the docs fall behind the code; `PARKIR_WRITE_DOCS=1` rewrites them.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createOpenDataHandler } from "../../src/opendata/index.js";
import { serve, stop } from "../browser/browser.js";
import { DAY_START, paluReplay, type Replay } from "./fixture.js";

const DOC = join(import.meta.dirname, "..", "..", "docs", "OPEN-DATA.md");
const BLOCK = /<!-- example: (\S+) -->\n```(\w+)\n(?:[\s\S]*?\n)??```\n<!-- \/example -->/g;
let replay: Replay;
let server: Server;
let base: string;

beforeAll(async () => {
  replay = paluReplay(12);
  replay.feeder.advanceTo(DAY_START + 10 * 3_600_000);
  ({ server, url: base } = await serve(
    createOpenDataHandler(replay.hub, { baseUrl: "https://data.example.go.id/parkir" }),
  ));
}, 120_000);

afterAll(async () => {
  if (server) await stop(server);
  replay?.hub.close();
});

function shorten(v: unknown): unknown {
  if (Array.isArray(v)) return v.slice(0, 2).map(shorten);
  if (v !== null && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shorten(x)]));
  return v;
}

async function example(path: string, kind: string): Promise<string> {
  const r = await fetch(`${base}${path}`);
  const text = await r.text();
  if (kind === "csv") return text.replaceAll("\r\n", "\n").split("\n").slice(0, 6).join("\n");
  return JSON.stringify(shorten(JSON.parse(text)), null, 2);
}

test("docs/OPEN-DATA.md examples are the handler's real output", async () => {
  const doc = readFileSync(DOC, "utf8");
  const blocks = [...doc.matchAll(BLOCK)];
  expect(blocks.length).toBeGreaterThanOrEqual(12);
  let next = doc;
  for (const [whole, path, kind] of blocks) {
    const body = await example(path!, kind!);
    next = next.replace(
      whole,
      `<!-- example: ${path} -->\n\`\`\`${kind}\n${body}\n\`\`\`\n<!-- /example -->`,
    );
  }
  if (process.env.PARKIR_WRITE_DOCS === "1") writeFileSync(DOC, next);
  else expect(next).toBe(doc);
}, 120_000);

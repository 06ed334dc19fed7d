/**
 * Child: cold start as a gateway feels it. Times from process start (performance.timeOrigin) to the
 * first closed window: Node boot, loading parkir's modules, loading the catalogue file, parsing the
 * first JSON Lines batch, encoding and verifying it, and the occupancy engine ingesting it until its
 * first window is emitted.
 * Usage: node coldstart.js <catalogue.json> <first-batch.jsonl>
 */
import { readFileSync } from "node:fs";
import { admitted } from "../ingest.js";

/** What the cold-start child prints; every time is ms since process start. */
export interface ColdStartReport {
  /** User code starts running (Node boot). */
  readonly bootMs: number;
  /** parkir's catalogue, wire and occupancy modules are loaded. */
  readonly importedMs: number;
  /** The catalogue is loaded and indexed. */
  readonly catalogMs: number;
  /** The first batch is parsed, encoded and verified. */
  readonly firstBatchMs: number;
  /** The engine emitted its first window. */
  readonly firstWindowMs: number;
  /** Events in the first batch. */
  readonly events: number;
}

async function main(): Promise<void> {
  const bootMs = performance.now();
  const [catalogPath, batchPath] = process.argv.slice(2);
  if (catalogPath === undefined || batchPath === undefined)
    throw new Error("usage: coldstart.js <catalogue> <batch.jsonl>");
  const catalog = await import("../../src/catalog/index.js");
  const wire = await import("../../src/wire/index.js");
  const occupancy = await import("../../src/occupancy/index.js");
  const importedMs = performance.now();
  const city = catalog.loadCityFile(catalogPath);
  const catalogMs = performance.now();
  const parsed = wire.parseEventLines(readFileSync(batchPath, "utf8"));
  if (parsed.errors.length > 0) throw parsed.errors[0];
  const view = wire.EventBatchView.from(wire.encodeEvents(parsed.events, city), { city });
  const firstBatchMs = performance.now();
  const engine = new occupancy.OccupancyEngine(city);
  let firstWindowMs = Number.NaN;
  engine.windows$.subscribe(() => {
    if (Number.isNaN(firstWindowMs)) firstWindowMs = performance.now();
  });
  admitted(engine.ingest(view));
  if (Number.isNaN(firstWindowMs))
    throw new Error("the first batch closed no window: give it more event time");
  const report: ColdStartReport = {
    bootMs,
    importedMs,
    catalogMs,
    firstBatchMs,
    firstWindowMs,
    events: view.length,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();

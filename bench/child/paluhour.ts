/**
 * Child: a gateway-sized process. Imports parkir (`import("parkir")`, the package's entry), loads the Palu catalogue, and streams one
 * hour of its trace (JSON Lines) through an occupancy engine with default options; prints the peak resident
 * set size the kernel recorded for the whole process (getrusage ru_maxrss) and what was ingested.
 * Usage: node paluhour.js <catalogue.json> <hour.jsonl>
 */
import { createReadStream } from "node:fs";

/** What the Palu-hour child prints. */
export interface PaluHourReport {
  /** Peak resident set size of the process, bytes. */
  readonly peakRssBytes: number;
  /** Events the engine accepted. */
  readonly accepted: number;
  /** Windows emitted. */
  readonly windows: number;
}

async function main(): Promise<void> {
  const [catalogPath, hourPath] = process.argv.slice(2);
  if (catalogPath === undefined || hourPath === undefined)
    throw new Error("usage: paluhour.js <catalogue.json> <hour.jsonl>");
  // The package's entry as an installed user imports it (the bundle in dist/lib), not the compiled sources.
  const parkir = (await import(String("parkir"))) as typeof import("../../src/index.js");
  const city = parkir.loadCityFile(catalogPath);
  let windows = 0;
  const summary = await parkir.replayJsonLines(createReadStream(hourPath), city, {
    onWindows: () => {
      windows++;
    },
  });
  if (summary.accepted === 0) throw new Error("the hour's trace was not accepted");
  const report: PaluHourReport = {
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    accepted: summary.accepted,
    windows,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();

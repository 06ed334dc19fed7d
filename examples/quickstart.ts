/**
 * The README's API tour as a program: load the Palu catalogue, generate two hours of sensor traffic,
 * stream it through the occupancy engine as FlatBuffers batches, let the dynamic policy react, quote a stay.
 *
 * Run: npm run build && node dist/examples/quickstart.js
 */
import { readFileSync } from "node:fs";
import { from } from "rxjs";
import {
  decisionLine,
  encodeEventBatches,
  generateTrace,
  loadCityFile,
  loadPolicy,
  occupancy,
  PricingEngine,
  seedPath,
  type WindowBatch,
} from "../src/index.js";

/** Runs the tour; returns what it printed, so a test can check it. */
export function quickstart(log: (line: string) => void = console.log): {
  windows: number;
  decisions: number;
  amount: number;
} {
  // 1. A city catalogue: zones, bays, sensors, capacities, time zone (validated; errors carry JSON paths).
  const city = loadCityFile(seedPath("palu", "city.json"));

  // 2. Events: plain CDS objects -> FlatBuffers batches (ids resolved to dense indices once, here).
  const events = generateTrace(city, { seed: 7, startMs: Date.parse("2026-11-30T07:00:00+08:00"), hours: 2 });
  const batches = encodeEventBatches(events, city);

  // 3. Pricing: Palu's policy with the dynamic variant for its 50 digital points.
  const policy = loadPolicy(JSON.parse(readFileSync(seedPath("palu", "policy.json"), "utf8")), {
    variant: "dynamic",
  });
  const pricing = new PricingEngine(city, policy);

  // 4. Occupancy as an RxJS operator: one emission per closed 5-minute window, never one per event.
  let windows = 0;
  let decisions = 0;
  from(batches)
    .pipe(occupancy(city, { windowMs: 5 * 60_000, allowedLatenessMs: 2 * 60_000 }))
    .subscribe((w: WindowBatch) => {
      windows++;
      const busiest = w.records
        .filter((r) => r.occupancy !== null)
        .sort((a, b) => b.occupancy! - a.occupancy!)[0];
      if (busiest !== undefined && windows % 6 === 0) {
        log(
          `${new Date(w.windowStart).toISOString()} busiest ${busiest.zone} ${busiest.vehicleType} ${(busiest.occupancy! * 100).toFixed(0)} %`,
        );
      }
      for (const d of pricing.onWindows(w)) {
        decisions++;
        if (decisions <= 3) log(decisionLine(d).trimEnd());
      }
    });

  // 5. A quote for a stay, priced with the decisions made so far.
  const q = pricing.quote({
    zone: "PLU-001",
    vehicleType: "car",
    start: "2026-11-30T08:30:00+08:00",
    end: "2026-11-30T10:10:00+08:00",
    assurance: "integrated",
  });
  log(`quote: ${q.amount} ${q.currency} — ${q.breakdown.map((l) => l.label).join("; ")}`);
  return { windows, decisions, amount: q.amount };
}

/** Command line: no options but --help; anything else is one clear line and exit 2. */
function cli(argv: readonly string[]): number {
  const usage =
    "Usage: node dist/examples/quickstart.js [--help]\nRuns the README's API tour on two generated hours of Palu traffic.";
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(usage);
    return 0;
  }
  if (argv.length > 0) {
    console.error(`quickstart: unknown argument '${argv[0]}' (try --help)`);
    return 2;
  }
  quickstart();
  return 0;
}

if (process.argv[1]?.endsWith("quickstart.js")) process.exitCode = cli(process.argv.slice(2));

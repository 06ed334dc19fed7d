/** A replayed generated Palu trace feeding an open-data hub, shared by the open-data and browser tests. */
import { readFileSync } from "node:fs";
import {
  type CdsEvent,
  type City,
  generateTrace,
  loadCityFile,
  loadPolicy,
  OccupancyEngine,
  PricingEngine,
  seedPath,
} from "../../src/index.js";
import {
  createOpenDataHub,
  type OpenDataHub,
  type Publication,
  ReplayFeeder,
} from "../../src/opendata/index.js";

/** Start of the generated day (local midnight in Palu). */
export const DAY_START = Date.parse("2026-11-30T00:00:00+08:00");

/** A hub fed by a replay of `hours` generated hours, not yet advanced. */
export interface Replay {
  readonly city: City;
  readonly events: CdsEvent[];
  readonly engine: OccupancyEngine;
  readonly pricing: PricingEngine;
  readonly hub: OpenDataHub;
  readonly feeder: ReplayFeeder;
}

/** Builds the replay (seeded, deterministic). */
export function paluReplay(hours: number, publication?: Publication, seed = 1): Replay {
  const city = loadCityFile(seedPath("palu", "city.json"));
  const policy = loadPolicy(JSON.parse(readFileSync(seedPath("palu", "policy.json"), "utf8")), {
    variant: "dynamic",
  });
  const events = generateTrace(city, { seed, startMs: DAY_START, hours });
  const engine = new OccupancyEngine(city);
  const pricing = new PricingEngine(city, policy);
  engine.windows$.subscribe((b) => pricing.onWindows(b));
  const hub = createOpenDataHub({ city, engine, pricing, ...(publication ? { publication } : {}) });
  const feeder = new ReplayFeeder(city, events, engine, hub);
  return { city, events, engine, pricing, hub, feeder };
}

import { expect, test } from "vitest";
import { OccupancyEngine } from "../../src/occupancy/index.js";
import { encodeEvents } from "../../src/wire/index.js";
import { T0_MS, tinyCity } from "../helpers.js";

const MIN = 60_000;

// A sensor time-out starts a bay's unknown state after its last message; a checkpoint taken then restores.
test("a checkpoint taken after a sensor went silent restores and continues identically", () => {
  const city = tinyCity();
  const options = { windowMs: 5 * MIN, allowedLatenessMs: MIN, sensorTimeoutMs: 10 * MIN };
  const first = encodeEvents(
    [
      { event_id: "a", event_type: "park_start", event_time: T0_MS, curb_space_id: "Z1-B1" },
      { event_id: "b", event_type: "park_start", event_time: T0_MS + MIN, curb_space_id: "Z1-B2" },
      {
        event_id: "c",
        event_type: "scheduled_report",
        event_time: T0_MS + 30 * MIN,
        curb_space_id: "Z1-B2",
        occupied: true,
      },
    ],
    city,
  );
  const later = encodeEvents(
    [{ event_id: "d", event_type: "park_end", event_time: T0_MS + 40 * MIN, curb_space_id: "Z1-B2" }],
    city,
  );
  const run = (engine: OccupancyEngine, out: string[]) =>
    engine.windows$.subscribe((w) => out.push(JSON.stringify(w.records)));
  const whole: string[] = [];
  const a = new OccupancyEngine(city, options);
  run(a, whole);
  a.ingest(first);
  // Z1-B1 went silent at T0 + 10 min, after its last message, before the watermark.
  const saved = a.checkpoint();
  a.ingest(later);
  a.close();

  const resumed: string[] = [];
  const b = new OccupancyEngine(city, options);
  run(b, resumed);
  b.ingest(first);
  const c = OccupancyEngine.restore(city, saved, options);
  run(c, resumed);
  c.ingest(later);
  c.close();
  expect(resumed).toEqual(whole);
});

/** Memory bounds of the engine and checkpoints that must not restore against a changed catalogue. */
import { expect, test } from "vitest";
import { loadCity } from "../../src/catalog/index.js";
import { ParkirWireError } from "../../src/errors/index.js";
import { OccupancyEngine, WINDOWS_PER_EMIT, type WindowColumns } from "../../src/occupancy/index.js";
import { encodeEvents } from "../../src/wire/index.js";
import { bayEvent, MIN, T0, testCity } from "./fixtures.js";

const city = testCity();
const reports = (t: number) =>
  ["A1", "A2", "A3", "A4"].map((b) => bayEvent("scheduled_report", b, t, { occupied: false }));

test("reuseWindowBuffers: one call that closes 20,000 windows holds at most WINDOWS_PER_EMIT column sets", () => {
  for (const kernel of ["js", "wasm"] as const) {
    const engine = new OccupancyEngine(city, {
      reuseWindowBuffers: true,
      windowMs: 1000,
      sensorTimeoutMs: 60 * MIN,
      kernel,
    });
    const sets = new Set<WindowColumns>();
    let windows = 0;
    engine.windows$.subscribe((w) => {
      windows++;
      sets.add(w.columns!);
    });
    engine.ingest(encodeEvents(reports(T0), city));
    // 20,000 s later: one ingest call closes 20,000 one-second windows.
    engine.ingest(encodeEvents(reports(T0 + 20_000_000 + 2 * MIN), city));
    expect(windows).toBe(20_000);
    expect(sets.size).toBeLessThanOrEqual(WINDOWS_PER_EMIT);
    engine.close();
  }
});

test("a checkpoint does not restore against a catalogue whose structure changed under the same ids", () => {
  const engine = new OccupancyEngine(city);
  engine.ingest(encodeEvents([bayEvent("park_start", "A4", T0), ...reports(T0 + MIN)], city));
  const bytes = engine.checkpoint();
  const zones = JSON.parse(JSON.stringify(city.zones));
  // Bay A4 moves from zone A to the front of zone E: every id, and the order of bays, is unchanged.
  zones[4].bays.unshift(zones[0].bays.pop());
  const moved = loadCity({
    id: city.id,
    name: city.name,
    timeZone: city.timeZone,
    currency: city.currency,
    synthetic: true,
    zones,
  });
  expect(moved.bayIndex("A4")).toBe(city.bayIndex("A4"));
  let error: unknown;
  try {
    OccupancyEngine.restore(moved, bytes);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ParkirWireError);
  expect((error as ParkirWireError).reason).toBe("catalog-mismatch");
  expect(() => OccupancyEngine.restore(city, bytes)).not.toThrow();
});

test("a checkpoint taken inside an emission of a far jump passes the restore checks and continues identically", () => {
  for (const kernel of ["js", "wasm"] as const) {
    const whole = new OccupancyEngine(city, { kernel });
    const starts: number[] = [];
    let inside: Uint8Array | undefined;
    whole.windows$.subscribe((w) => {
      starts.push(w.windowStart);
      if (starts.length === 40) inside = whole.checkpoint();
    });
    whole.ingest(encodeEvents([bayEvent("park_start", "A1", T0), ...reports(T0 + MIN)], city));
    // Six days later: one call closes ~1700 windows; the checkpoint is taken after the 40th.
    whole.ingest(encodeEvents(reports(T0 + 6 * 24 * 60 * MIN), city));
    whole.close();
    const restored = OccupancyEngine.restore(city, inside!, { kernel });
    const after: number[] = [];
    restored.windows$.subscribe((w) => after.push(w.windowStart));
    restored.close();
    // Windows are emitted in groups of WINDOWS_PER_EMIT, closed before their group is emitted: the checkpoint
    // holds the state after the 40th window's group.
    expect(after).toEqual(starts.slice(Math.ceil(40 / WINDOWS_PER_EMIT) * WINDOWS_PER_EMIT));
  }
});

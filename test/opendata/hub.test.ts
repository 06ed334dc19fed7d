/** The open-data hub's bounds, de-duplication, refusals and listeners, on the small test city. */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ParkirConfigError } from "../../src/errors/index.js";
import { type CdsEvent, OccupancyEngine } from "../../src/index.js";
import { createOpenDataHub, ReplayFeeder } from "../../src/opendata/index.js";
import { tinyCity } from "../helpers.js";

const T0 = Date.parse("2026-11-30T08:00:00+08:00");
const park = (
  i: number,
  bay: string,
  t: number,
  type: "park_start" | "park_end" = "park_start",
): CdsEvent => ({
  event_id: `e${i}`,
  event_type: type,
  event_time: t,
  curb_space_id: bay,
});

describe("OpenDataHub", () => {
  test("keeps at most eventsMax events, the newest, each event id once", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 120 }),
        (max, ids) => {
          const hub = createOpenDataHub({ city: tinyCity(), eventsMax: max });
          ids.forEach((id, k) => {
            hub.addEvents([park(id, "Z1-B1", T0 + k * 1000)]);
          });
          const kept = hub.keptEvents();
          expect(kept.length).toBeLessThanOrEqual(max);
          expect(new Set(kept.map((e) => e.event_id)).size).toBe(kept.length);
          // Distinct ids in arrival order, skipping any whose id is still kept: the last `max` of them are kept.
          const firsts: string[] = [];
          const live = new Set<string>();
          for (const id of ids) {
            const key = `e${id}`;
            if (live.has(key)) continue;
            firsts.push(key);
            live.add(key);
            if (firsts.length - max > 0) live.delete(firsts[firsts.length - max - 1]!);
          }
          expect(kept.map((e) => e.event_id)).toEqual(firsts.slice(-max));
          expect(hub.dropped.events + hub.dropped.duplicateEvents + kept.length).toBe(ids.length);
        },
      ),
    );
  });

  test("refuses payment events and anything with a session id; bay status follows event time", () => {
    const hub = createOpenDataHub({ city: tinyCity() });
    hub.addEvents([
      {
        event_id: "p1",
        event_type: "payment_start",
        event_time: T0,
        curb_zone_id: "Z1",
        event_session_id: "S-123",
      },
      {
        event_id: "p2",
        event_type: "payment_end",
        event_time: T0,
        curb_zone_id: "Z1",
        event_session_id: "S-123",
        actual_cost: 2000,
      },
      park(1, "Z1-B1", T0 + 5000, "park_start"),
      park(2, "Z1-B1", T0 + 1000, "park_end"), // older: does not override the newer start
    ]);
    expect(hub.dropped.personalEvents).toBe(2);
    expect(hub.keptEvents().map((e) => e.event_id)).toEqual(["e1", "e2"]);
    const b = hub.bay(tinyCity().bayIndex("Z1-B1"));
    expect(b.status).toBe("occupied");
    expect(b.observedMs).toBe(T0 + 5000);
  });

  test("listeners are bounded, told of each window, and a throwing one costs only itself", () => {
    const city = tinyCity();
    const engine = new OccupancyEngine(city);
    const hub = createOpenDataHub({ city, engine, listenersMax: 2 });
    const seen: number[] = [];
    const stop = hub.subscribe((u) => seen.push(u.atMs));
    expect(
      hub.subscribe(() => {
        throw new Error("closed socket");
      }),
    ).not.toBeNull();
    expect(hub.subscribe(() => {})).toBeNull();
    expect(hub.dropped.listeners).toBe(1);
    const events = [
      park(1, "Z1-B1", T0),
      park(2, "Z1-B1", T0 + 20 * 60_000, "park_end"),
      park(3, "Z1-B2", T0 + 40 * 60_000),
    ];
    const feeder = new ReplayFeeder(city, events, engine, hub);
    feeder.finish();
    expect(seen.length).toBeGreaterThan(3);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    stop!();
    expect(hub.subscribe(() => {})).not.toBeNull(); // the thrower was dropped, the stopped one removed
    hub.close();
  });

  test("options out of range are refused with a config error", () => {
    for (const bad of [{ eventsMax: 0 }, { hoursMax: 1.5 }, { seriesMax: -1 }, { listenersMax: 1e9 }])
      expect(() => createOpenDataHub({ city: tinyCity(), ...bad })).toThrow(ParkirConfigError);
  });
});

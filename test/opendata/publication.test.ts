/**
 * What may leave: every feed's output walked for payment sessions and anything derived from them, and
 * each field of each public dataset flipped to excluded to see it vanish from every feed.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { ParkirConfigError } from "../../src/errors/index.js";
import {
  cdsAggregates,
  cdsEvents,
  curbPolicies,
  curbZones,
  DATASET_IDS,
  DATASETS,
  type DatasetId,
  DEFAULT_LIMITS,
  DEFAULT_PUBLICATION,
  dashboardSeries,
  dashboardState,
  dcatCatalog,
  decisionsCsv,
  type FeedContext,
  geojsonPoints,
  loadPublication,
  ngsiEntities,
  occupancyCsv,
  type Publication,
  pointsCsv,
  withField,
} from "../../src/opendata/index.js";
import { DAY_START, paluReplay, type Replay } from "./fixture.js";

const HOUR = 3_600_000;
let replay: Replay;

beforeAll(() => {
  replay = paluReplay(12);
  replay.feeder.advanceTo(DAY_START + 11 * HOUR);
}, 120_000);

/** Every feed's complete output for a publication, by name. */
function allFeeds(publication: Publication): Record<string, string> {
  const ctx: FeedContext = {
    hub: replay.hub,
    publication,
    baseUrl: "http://test",
    limits: { ...DEFAULT_LIMITS, pageMax: 100_000 },
  };
  const q = (s = "") => new URLSearchParams(s);
  const events: unknown[] = [];
  for (let h = -2; h < 12; h++) {
    const s = DAY_START + h * HOUR;
    events.push(cdsEvents(ctx, q(`start_time=${s}&end_time=${s + HOUR}&limit=100000`)).body);
  }
  const state = dashboardState(ctx, q("decisions=5000")) as {
    points: unknown;
    decisions: unknown;
    publication: unknown;
  };
  const series = replay.city.zones.slice(0, 20).map((z) => {
    try {
      return dashboardSeries(ctx, q(), z.id);
    } catch {
      return null;
    }
  });
  return {
    curbZones: JSON.stringify(curbZones(ctx, q())),
    curbPolicies: JSON.stringify(curbPolicies(ctx, q())),
    events: JSON.stringify(events),
    metrics: cdsAggregates(ctx, q()),
    ngsi: JSON.stringify(ngsiEntities(ctx, q("limit=100000")).body),
    geojson: JSON.stringify(geojsonPoints(ctx, q())),
    dcat: JSON.stringify(dcatCatalog(ctx)),
    pointsCsv: pointsCsv(ctx),
    occupancyCsv: occupancyCsv(ctx, "2026-11-30"),
    decisionsCsv: decisionsCsv(ctx, "2026-11-30"),
    statePoints: JSON.stringify(state.points),
    stateDecisions: JSON.stringify(state.decisions),
    series: JSON.stringify(series),
  };
}

describe("privacy", () => {
  test("no feed carries a payment session id, a payment event, an amount paid, or anything derived from them", () => {
    const sessions = new Set(replay.events.flatMap((e) => (e.event_session_id ? [e.event_session_id] : [])));
    const paymentIds = new Set(
      replay.events.filter((e) => e.event_type.startsWith("payment")).map((e) => e.event_id),
    );
    expect(sessions.size).toBeGreaterThan(1000);
    // Even with every dataset that may be public made public, and the diagnostics too.
    const open = loadPublication({
      datasets: Object.fromEntries(
        DATASET_IDS.filter((d) => d !== "payment-records").map((d) => [
          d,
          { access: "public", reference: "test" },
        ]),
      ),
    });
    for (const pub of [DEFAULT_PUBLICATION, open]) {
      const feeds = allFeeds(pub);
      for (const [name, text] of Object.entries(feeds)) {
        expect(text, name).not.toMatch(
          /event_session_id|actual_cost|payment_(start|end)|-pay-|sessionId|amountMinor/,
        );
        // Every id-like token of the output, looked up among the session ids and payment event ids.
        for (const token of text.split(/[^A-Za-z0-9_\-.:#]+/)) {
          if (sessions.has(token)) throw new Error(`${name} carries session ${token}`);
          if (paymentIds.has(token)) throw new Error(`${name} carries payment event ${token}`);
        }
      }
    }
    expect(replay.hub.dropped.personalEvents).toBe(
      replay.events.slice(0, replay.feeder.position).filter((e) => e.event_session_id).length,
    );
  });

  test("payment records cannot be published, not even one field", () => {
    expect(() =>
      loadPublication({ datasets: { "payment-records": { access: "public", reference: "x" } } }),
    ).toThrow(ParkirConfigError);
    expect(() =>
      loadPublication({
        datasets: {
          "payment-records": {
            access: "excluded",
            reference: "x",
            fields: { amount: { access: "public", reference: "y" } },
          },
        },
      }),
    ).toThrow(/personal data/);
    expect(() => loadPublication({ datasets: { occupancy: { access: "public" } } })).toThrow(
      ParkirConfigError,
    );
    expect(() =>
      loadPublication({
        datasets: {
          occupancy: {
            access: "public",
            reference: "r",
            fields: { colour: { access: "excluded", reference: "r" } },
          },
        },
      }),
    ).toThrow(ParkirConfigError);
    expect(() => loadPublication({ datasets: { weather: { access: "public", reference: "r" } } })).toThrow(
      ParkirConfigError,
    );
  });
});

/** For each field, what must not appear in which feeds when it is excluded ("*" = every feed). */
const MARKERS: Record<string, [string, string | RegExp][]> = {
  "parking-points.name": [
    ["*", "Market - Jl. Diponegoro #1"],
    ["*", '"street_name"'],
  ],
  "parking-points.location": [
    ["*", "119.86035"],
    ["*", "-0.89016"],
  ],
  "parking-points.capacity": [
    ["*", '"capacity"'],
    ["*", "totalSpotNumber"],
    ["*", "num_spaces"],
    ["pointsCsv", "capacity"],
  ],
  "parking-points.detection": [
    ["*", "occupancyDetectionType"],
    ["*", '"detection"'],
    ["pointsCsv", "detection"],
  ],
  "parking-points.street": [
    ["*", "parking_angle"],
    ["*", '"category"'],
    ["*", '"street"'],
    ["pointsCsv", ",street"],
  ],
  "parking-points.zoneClass": [["*", "zone_class"]],
  "occupancy.occupancy": [
    ["metrics", "occupancy_percent"],
    ["occupancyCsv", "occupancy_percent"],
    ["geojson", '"occupancy"'],
    ["statePoints", '"occupancy"'],
    ["series", /"occupancy":\[/],
  ],
  "occupancy.occupied": [
    ["*", "occupiedSpotNumber"],
    ["ngsi", "ParkingSpot"],
  ],
  "occupancy.available": [["*", "availableSpotNumber"]],
  "occupancy.coverage": [
    ["*", "coverage_percent"],
    ["geojson", '"coverage"'],
    ["statePoints", '"coverage"'],
  ],
  "occupancy.sessions": [
    ["*", "total_sessions"],
    ["occupancyCsv", "sessions"],
  ],
  "occupancy.turnover": [
    ["metrics", "turnover"],
    ["occupancyCsv", "turnover"],
  ],
  "occupancy.dwell": [["*", "average_dwell"]],
  "tariffs.rate": [
    ["*", "price_car"],
    ["*", "curb_policy_id"],
    ["series", /"priceCar":\[/],
  ],
  "tariffs.decisions": [
    ["decisionsCsv", "PLU-"],
    ["stateDecisions", "effectiveMs"],
  ],
  "tariffs.reason": [
    ["*", "mean occupancy"],
    ["decisionsCsv", ",reason"],
    ["stateDecisions", '"rule"'],
  ],
  "sensor-events.event_type": [],
  "sensor-events.event_time": [],
  "sensor-events.curb_space_id": [["events", "curb_space_id"]],
  "sensor-events.data_source_device_id": [["events", "data_source_device_id"]],
  "sensor-events.vehicle_type": [["events", "vehicle_type"]],
  "sensor-health.silent": [["*", "sensors_unhealthy"]],
};

function leaks(feeds: Record<string, string>, key: string): string[] {
  const out: string[] = [];
  for (const [where, marker] of MARKERS[key] ?? []) {
    for (const [name, text] of Object.entries(feeds)) {
      if (where !== "*" && where !== name) continue;
      const hit = typeof marker === "string" ? text.includes(marker) : marker.test(text);
      if (hit) out.push(`${name} has ${marker}`);
    }
  }
  return out;
}

describe("publication", () => {
  const publicFields = (Object.keys(DATASETS) as DatasetId[])
    .filter((d) => DEFAULT_PUBLICATION.datasets[d].access === "public")
    .flatMap((d) => DATASETS[d].map((f) => `${d}.${f}`));

  test("every marker is present while its field is public (so its absence below means something)", () => {
    const feeds = allFeeds(DEFAULT_PUBLICATION);
    for (const key of publicFields)
      for (const [where, marker] of MARKERS[key] ?? []) {
        const texts = where === "*" ? Object.values(feeds) : [feeds[where]!];
        const hit = texts.some((t) => (typeof marker === "string" ? t.includes(marker) : marker.test(t)));
        expect(hit, `${key}: ${marker} in ${where}`).toBe(true);
      }
    expect(Object.keys(MARKERS).sort()).toEqual([...publicFields].sort());
  });

  test("each field flipped to excluded vanishes from every feed; the others stay", () => {
    // Every field, not a sample: there are few and each check is a full walk of every feed.
    for (const key of publicFields.filter((k) => (MARKERS[k] ?? []).length > 0)) {
      const [dataset, field] = key.split(".") as [DatasetId, string];
      const pub = withField(DEFAULT_PUBLICATION, dataset, field, "excluded", "SK PPID 7/2026");
      const feeds = allFeeds(pub);
      expect(leaks(feeds, key), key).toEqual([]);
      const other = key.startsWith("parking-points") ? "occupancy.occupancy" : "parking-points.capacity";
      expect(leaks(feeds, other).length, `${key} hid ${other}`).toBeGreaterThan(0);
    }
  }, 120_000);

  test("an excluded dataset leaves the DCAT catalogue and every feed that carries it", () => {
    for (const dataset of ["occupancy", "tariffs", "sensor-events"] as const) {
      const pub = loadPublication({
        datasets: { [dataset]: { access: "excluded", reference: "SK PPID 9/2026" } },
      });
      const feeds = allFeeds(pub);
      const cat = JSON.parse(feeds.dcat!) as { "dcat:dataset": { "dct:identifier": string }[] };
      expect(cat["dcat:dataset"].map((d) => d["dct:identifier"])).not.toContain(`palu-${dataset}`);
      for (const field of DATASETS[dataset]) expect(leaks(feeds, `${dataset}.${field}`)).toEqual([]);
    }
    const none = allFeeds(
      loadPublication({ datasets: { "parking-points": { access: "excluded", reference: "r" } } }),
    );
    expect(JSON.parse(none.geojson!).features).toEqual([]);
    expect(JSON.parse(none.ngsi!)).toEqual([]);
  }, 120_000);
});

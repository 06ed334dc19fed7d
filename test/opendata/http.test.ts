/**
 * The open-data handler over real HTTP (node:http on a loopback port), fed by a replayed generated Palu
 * trace advanced in steps: every endpoint, caching (ETag/Last-Modified/304), gzip, CORS, problem
 * documents, limits, read-only methods, and the shapes of CDS, NGSI-LD, GeoJSON and DCAT.
 */
import type { Server } from "node:http";
import { gunzipSync } from "node:zlib";
import { getIssues } from "@placemarkio/check-geojson";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createOpenDataHandler, NGSI_CONTEXT, zoneUuid } from "../../src/opendata/index.js";
import { parseEventTime } from "../../src/wire/events.js";
import { serve, stop } from "../browser/browser.js";
import { DAY_START, paluReplay, type Replay } from "./fixture.js";

const HOUR = 3_600_000;
let replay: Replay;
let server: Server;
let base: string;

beforeAll(async () => {
  replay = paluReplay(14);
  replay.feeder.advanceTo(DAY_START + 6 * HOUR);
  replay.feeder.advanceTo(DAY_START + 12 * HOUR);
  ({ server, url: base } = await serve(createOpenDataHandler(replay.hub, { limits: { pageMax: 500 } })));
}, 120_000);

afterAll(async () => {
  if (server) await stop(server);
  replay?.hub.close();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });

describe("HTTP", () => {
  test("ETag and Last-Modified give 304s; a new window changes the ETag", async () => {
    const a = await get("/geojson/points");
    expect(a.status).toBe(200);
    const etag = a.headers.get("etag")!;
    const lm = a.headers.get("last-modified")!;
    expect(etag).toMatch(/^W\/".+"$/);
    expect(Date.parse(lm)).toBe(Math.floor(replay.hub.updatedAtMs / 1000) * 1000);
    expect((await get("/geojson/points", { "If-None-Match": etag })).status).toBe(304);
    expect((await get("/geojson/points", { "If-Modified-Since": lm })).status).toBe(304);
    expect((await get("/geojson/points", { "If-None-Match": '"other"' })).status).toBe(200);
    const before = await a.text();
    replay.feeder.advanceTo(DAY_START + 12.5 * HOUR);
    const b = await get("/geojson/points", { "If-None-Match": etag });
    expect(b.status).toBe(200);
    expect(b.headers.get("etag")).not.toBe(etag);
    expect(await b.text()).not.toBe(before);
  });

  test("gzip when asked, the same bytes unzipped", async () => {
    const plain = Buffer.from(await (await get("/catalog")).arrayBuffer());
    const res = await new Promise<{ enc: string | undefined; body: Buffer }>((resolve, reject) => {
      import("node:http").then(({ get: httpGet }) =>
        httpGet(`${base}/catalog`, { headers: { "Accept-Encoding": "gzip" } }, (r) => {
          const chunks: Buffer[] = [];
          r.on("data", (c: Buffer) => chunks.push(c));
          r.on("end", () => resolve({ enc: r.headers["content-encoding"], body: Buffer.concat(chunks) }));
        }).on("error", reject),
      );
    });
    expect(res.enc).toBe("gzip");
    expect(res.body.length).toBeLessThan(plain.length);
    expect(gunzipSync(res.body).equals(plain)).toBe(true);
  });

  test("read-only CORS: any origin may read; preflight allows only reading methods", async () => {
    const r = await get("/curbs/zones", { Origin: "https://example.org" });
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    const pre = await fetch(`${base}/curbs/zones`, { method: "OPTIONS" });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-methods")).toBe("GET, HEAD, OPTIONS");
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const w = await fetch(`${base}/curbs/zones`, { method, body: "{}" });
      expect(w.status).toBe(405);
      expect(w.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
      expect(w.headers.get("content-type")).toBe("application/problem+json");
    }
    const head = await fetch(`${base}/curbs/zones`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  test("bad parameters give RFC 9457 problem documents (400); unknown paths 404", async () => {
    const bad: [string, string][] = [
      ["/events/events?start_time=yesterday", "start_time"],
      ["/events/events?limit=0", "limit"],
      ["/events/events?limit=501", "limit"],
      [`/events/events?start_time=${DAY_START}&end_time=${DAY_START + 25 * HOUR}`, "end_time"],
      [`/events/events?start_time=${DAY_START + HOUR}&end_time=${DAY_START}`, "end_time"],
      ["/events/events?curb_zone_id=NOPE", "curb_zone_id"],
      ["/events/events?colour=red", "colour"],
      ["/events/events?limit=5&limit=6", "limit"],
      ["/metrics/aggregates?metric_type=happiness", "metric_type"],
      ["/metrics/aggregates?curb_place_type=zone", "curb_place_id"],
      ["/metrics/aggregates?min_lat=-1", "min_lng"],
      [`/metrics/aggregates?start_time=0&end_time=${40 * 86_400_000}`, "end_time"],
      ["/ngsi-ld/v1/entities?type=Car", "type"],
      ["/geojson/points?x=1", "x"],
      ["/api/zones/NOPE/series", "zone"],
      ["/api/zones/PLU-001/series?date=30-11-2026", "date"],
    ];
    for (const [path, parameter] of bad) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      expect(r.headers.get("content-type")).toBe("application/problem+json");
      const p = (await r.json()) as Record<string, unknown>;
      expect(p).toMatchObject({
        type: "urn:parkir:problem:bad-parameter",
        title: "Bad Request",
        status: 400,
        parameter,
      });
      expect(typeof p.detail).toBe("string");
    }
    for (const path of ["/nope", "/events", "/curbs/zones/extra", "/downloads/other.csv"]) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(((await r.json()) as { status: number }).status).toBe(404);
    }
    expect((await get(`/x${"y".repeat(5000)}`)).status).toBe(414);
  });
});

describe("robustness", () => {
  test("any path and query: a clear status, never a 500, never a change of state", async () => {
    const version = replay.hub.version;
    const seg = fc.constantFrom(
      "events",
      "events/events",
      "metrics/aggregates",
      "curbs/zones",
      "ngsi-ld/v1/entities",
      "geojson/points",
      "catalog",
      "api/state",
      "api/zones/PLU-001/series",
      "downloads/occupancy-hourly-2026-11-30.csv",
      "x",
    );
    const key = fc.constantFrom(
      "start_time",
      "end_time",
      "limit",
      "offset",
      "curb_zone_id",
      "type",
      "metric_type",
      "min_lat",
      "min_lng",
      "max_lat",
      "max_lng",
      "date",
      "id",
      "curb_place_type",
      "curb_place_id",
      "decisions",
      "junk",
    );
    const value = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.integer().map(String),
      fc.constantFrom("-1", "1e309", "NaN", "PLU-001", "OnStreetParking", "zone", "2026-11-30"),
    );
    await fc.assert(
      fc.asyncProperty(seg, fc.array(fc.tuple(key, value), { maxLength: 4 }), async (path, params) => {
        const q = new URLSearchParams(params).toString();
        const r = await get(`/${path}${q ? `?${q}` : ""}`);
        await r.arrayBuffer();
        expect([200, 400, 404]).toContain(r.status);
        if (r.status !== 200) expect(r.headers.get("content-type")).toBe("application/problem+json");
      }),
      { numRuns: 150 },
    );
    expect(replay.hub.version).toBe(version);
  }, 120_000);
});

describe("CDS", () => {
  test("Curbs zones: envelope, content type, a UUID per zone and the policies in force", async () => {
    const r = await get("/curbs/zones");
    expect(r.headers.get("content-type")).toBe("application/vnd.cds+json;version=1.0");
    const body = (await r.json()) as {
      version: string;
      data: { zones: Record<string, unknown>[] };
      currency: string;
    };
    expect(body.version).toBe("1.0.1");
    expect(body.currency).toBe("IDR");
    expect(body.data.zones.length).toBe(200);
    const z = body.data.zones[0]!;
    expect(z.curb_zone_id).toBe(zoneUuid("palu", "PLU-001"));
    expect(z.user_zone_id).toBe("PLU-001");
    expect((z.geometry as { type: string }).type).toBe("Polygon");
    const policies = (await (await get("/curbs/policies")).json()) as {
      data: { policies: { curb_policy_id: string }[] };
    };
    const ids = new Set(policies.data.policies.map((p) => p.curb_policy_id));
    for (const zone of body.data.zones)
      for (const id of zone.curb_policy_ids as string[]) expect(ids.has(id)).toBe(true);
    // Dynamic rates in force: a digital point's car rate is the price book's, not the published one.
    const moved = replay.pricing.currentPrices().find((p) => p.sinceMs !== null)!;
    expect(moved).toBeDefined();
    const rates = policies.data.policies.flatMap((p) =>
      (p as unknown as { rules: { rate: { rate: number }[] }[] }).rules.flatMap((r) =>
        r.rate.map((x) => x.rate),
      ),
    );
    expect(rates).toContain(moved.priceMinor);
  });

  test("Events: time-bounded, most recent first, paged with CDS links, no payment events", async () => {
    const start = DAY_START + 9 * HOUR;
    const end = start + HOUR;
    const all: { event_time: number; event_type: string; event_location: unknown }[] = [];
    let next: string | undefined = `/events/events?start_time=${start}&end_time=${end}&limit=500`;
    let pages = 0;
    while (next !== undefined && pages < 1000) {
      const body = (await (await get(next.replace(base, ""))).json()) as {
        data: { events: typeof all };
        links: { first: string; next: string | null; last: string };
      };
      all.push(...body.data.events);
      next = body.links.next ?? undefined;
      pages++;
    }
    expect(pages).toBeGreaterThan(1);
    const expected = new Set(
      replay.events
        .filter((e) => {
          const t = parseEventTime(e.event_time);
          return (
            t >= start &&
            t < end &&
            ["park_start", "park_end", "enter_area", "exit_area"].includes(e.event_type)
          );
        })
        .map((e) => e.event_id),
    );
    // Each event once (retransmissions dropped), every one of them.
    expect(new Set(all.map((e) => (e as unknown as { event_id: string }).event_id))).toEqual(expected);
    expect(all.length).toBe(expected.size);
    for (let i = 1; i < all.length; i++)
      expect(all[i]!.event_time).toBeLessThanOrEqual(all[i - 1]!.event_time); // most recent first (CDS)
    for (const e of all) {
      expect(e.event_time >= start && e.event_time < end).toBe(true);
      expect(e.event_type).not.toMatch(/payment|manual_count/);
    }
  });

  test("Metrics aggregates: CDS CSV per zone and local hour, −1 where the source was offline", async () => {
    const r = await get("/metrics/aggregates");
    expect(r.headers.get("content-type")).toBe("application/vnd.cds+csv;version=1.0");
    const lines = (await r.text()).trim().split("\n");
    expect(lines[0]).toBe("curb_place_type,curb_place_id,metric_type,date,hour,value");
    const rows = lines.slice(1).map((l) => l.split(","));
    expect(new Set(rows.map((x) => x[2]))).toEqual(
      new Set(["total_sessions", "turnover", "average_dwell_time", "occupancy_percent"]),
    );
    for (const x of rows) {
      expect(x[0]).toBe("zone");
      expect(x[3]).toBe("2026-11-30");
      expect(Number(x[4])).toBeGreaterThanOrEqual(0);
      expect(Number(x[4])).toBeLessThan(24);
      const v = Number(x[5]);
      expect(v === -1 || v >= 0).toBe(true);
      if (x[2] === "occupancy_percent") expect(v).toBeLessThanOrEqual(100);
    }
    // Offline hours are -1 for every metric of that hour; 10:00 at PLU-001 has data.
    expect(rows.some((x) => x[5] === "-1")).toBe(true);
    const occ10 = rows.find((x) => x[1] === "PLU-001" && x[2] === "occupancy_percent" && x[4] === "10")!;
    const f = replay.hub.hourFigures(DAY_START + 10 * HOUR, 0)!;
    expect(Number(occ10[5])).toBeCloseTo(f.occupancy * 100, 1);
    const one = (
      await (
        await get("/metrics/aggregates?curb_place_type=zone&curb_place_id=PLU-002&metric_type=turnover")
      ).text()
    )
      .trim()
      .split("\n");
    expect(one.length).toBeGreaterThan(1);
    for (const l of one.slice(1)) expect(l).toMatch(/^zone,PLU-002,turnover,/);
    expect((await get("/metrics/aggregates", { Accept: "application/json" })).status).toBe(406);
    expect((await get("/curbs/zones", { Accept: "text/csv" })).status).toBe(406);
    expect((await get("/curbs/zones", { Accept: "application/vnd.cds+json;version=1.0" })).status).toBe(200);
  });
});

describe("NGSI-LD, GeoJSON, DCAT, downloads", () => {
  test("NGSI-LD: OnStreetParking/OffStreetParking per point and ParkingSpot per bay, observedAt from event time", async () => {
    const sites = (await (
      await get("/ngsi-ld/v1/entities?type=OnStreetParking,OffStreetParking&limit=500")
    ).json()) as Record<string, unknown>[];
    expect(sites.length).toBe(200);
    for (const s of sites) {
      expect(s["@context"]).toEqual(NGSI_CONTEXT);
      expect(s.id).toMatch(/^urn:ngsi-ld:(On|Off)StreetParking:palu:PLU-\d{3}$/);
      expect((s.location as { type: string }).type).toBe("GeoProperty");
      expect((s.totalSpotNumber as { value: number }).value).toBeGreaterThan(0);
    }
    const withFigures = sites.filter((s) => s.availableSpotNumber !== undefined);
    expect(withFigures.length).toBeGreaterThan(150);
    for (const s of withFigures)
      expect((s.availableSpotNumber as { observedAt: string }).observedAt).toBe(
        new Date(replay.hub.lastWindowEndMs).toISOString(),
      );
    const spots = (await (await get("/ngsi-ld/v1/entities?type=ParkingSpot&limit=500")).json()) as Record<
      string,
      unknown
    >[];
    expect(spots.length).toBe(500);
    // A bay's status and observedAt are those of its latest event so far (event time, not arrival).
    const fed = replay.events.slice(0, replay.feeder.position);
    let checked = 0;
    for (const s of spots.slice(0, 60)) {
      const bay = String(s.id).split(":").pop()!;
      const own = fed.filter(
        (e) => e.curb_space_id === bay || e.data_source_device_id === bay.replace("-B", "-S"),
      );
      const status = s.status as { value: string; observedAt?: string };
      expect(["free", "occupied", "closed", "unknown"]).toContain(status.value);
      expect((s.refParkingSite as { object: string }).object).toMatch(
        /^urn:ngsi-ld:(On|Off)StreetParking:palu:/,
      );
      if (own.length === 0 || status.observedAt === undefined) continue;
      const last = Math.max(...own.map((e) => parseEventTime(e.event_time)));
      expect(Date.parse(status.observedAt)).toBeGreaterThanOrEqual(last);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  test("GeoJSON is valid RFC 7946 with every point and its live figures", async () => {
    const r = await get("/geojson/points");
    expect(r.headers.get("content-type")).toBe("application/geo+json");
    const text = await r.text();
    expect(getIssues(text)).toEqual([]);
    const fc = JSON.parse(text) as {
      features: { id: string; geometry: { coordinates: number[] }; properties: Record<string, unknown> }[];
    };
    expect(fc.features.length).toBe(200);
    for (const f of fc.features) {
      const [lon, lat] = f.geometry.coordinates as [number, number];
      expect(lon).toBeGreaterThan(119.7);
      expect(lon).toBeLessThan(120);
      expect(lat).toBeGreaterThan(-1.1);
      expect(lat).toBeLessThan(-0.7);
      expect(f.properties).toHaveProperty("occupancy");
      expect(f.properties).toHaveProperty("detection");
      expect(f.properties).toHaveProperty("coverage");
      expect(f.properties).toHaveProperty("price_car");
    }
  });

  test("DCAT catalogue: public datasets only, titles in Indonesian and English, distributions that resolve", async () => {
    const cat = (await (await get("/catalog")).json()) as Record<string, unknown>;
    expect(cat["@type"]).toBe("dcat:Catalog");
    const ds = cat["dcat:dataset"] as Record<string, unknown>[];
    const ids = ds.map((d) => String(d["dct:identifier"]));
    expect(ids).toEqual([
      "palu-parking-points",
      "palu-occupancy",
      "palu-tariffs",
      "palu-sensor-events",
      "palu-sensor-health",
    ]);
    for (const d of ds) {
      const langs = (d["dct:title"] as { "@language": string }[]).map((t) => t["@language"]);
      expect(langs).toEqual(["id", "en"]);
      expect(d["dct:license"]).toBeDefined();
      expect(d["dct:spatial"]).toBeDefined();
      expect(d["dct:accrualPeriodicity"]).toBeDefined();
      for (const dist of d["dcat:distribution"] as Record<string, { "@id": string }>[]) {
        expect(dist["dcat:mediaType"]!["@id"]).toMatch(
          /^https:\/\/www\.iana\.org\/assignments\/media-types\//,
        );
        const url = dist["dcat:downloadURL"]!["@id"];
        const res = await fetch(url, { method: "HEAD" });
        expect(res.status, url).toBe(200);
      }
    }
  });

  test("daily CSV downloads", async () => {
    const occ = await (await get("/downloads/occupancy-hourly-2026-11-30.csv")).text();
    const rows = occ.trim().split("\r\n");
    expect(rows[0]).toBe(
      "date,hour,zone_id,occupancy_percent,coverage_percent,sessions,turnover,average_dwell_minutes",
    );
    expect(rows.length).toBeGreaterThan(200 * 10);
    const dec = await (await get("/downloads/tariff-decisions-2026-11-30.csv")).text();
    expect(dec.split("\r\n")[0]).toMatch(/^effective_time,zone_id,.*,reason$/);
    expect(dec.trim().split("\r\n").length - 1).toBe(replay.hub.decisions().length);
    const pts = await (await get("/downloads/parking-points.csv")).text();
    expect(pts.trim().split("\r\n").length).toBe(201);
  });
});

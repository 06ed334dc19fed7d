/**
 * The same windows as map-occupancy.ts in DuckDB SQL (`@duckdb/node-api`, a bench-only dev dependency with a
 * native binding): `read_json` of the JSON Lines file, a join with the catalogue's bays, each bay's previous
 * state by `lag` over its events in time order, then arrivals and departures grouped by window, zone and class.
 * The catalogue table is loaded once per connection (as a user's database would hold it); the file is read in
 * every run.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { City } from "../../src/catalog/index.js";
import { type PeerWindows, rowChecksum, sortRows } from "./map-occupancy.js";

/** A DuckDB connection with the city's bays loaded, or null when @duckdb/node-api cannot load here. */
export async function duckdbConnection(city: City): Promise<DuckDBConnection | null> {
  let mod: typeof import("@duckdb/node-api");
  try {
    mod = await import("@duckdb/node-api");
  } catch {
    return null;
  }
  // DuckDB's default threads (one per core), as a user would run it.
  const instance = await mod.DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  await c.run("CREATE TABLE bays (id VARCHAR PRIMARY KEY, zone INTEGER, cls INTEGER)");
  const values: string[] = [];
  for (let b = 0; b < city.bayCount; b++) {
    values.push(`('${city.bayId(b).replaceAll("'", "''")}', ${city.bayZone[b]}, ${city.bayVehicle[b]})`);
  }
  if (values.length > 0) await c.run(`INSERT INTO bays VALUES ${values.join(",")}`);
  return c;
}

/** The query: arrivals and departures per closed window, zone and class, and the number of windows closed. */
function query(path: string, windowMs: number): string {
  const w = Math.trunc(windowMs);
  return `
WITH ev AS (
  SELECT row_number() OVER () AS n, event_type, event_time AS t, curb_space_id, occupied
  FROM read_json('${path.replaceAll("'", "''")}', format = 'newline_delimited',
    columns = {event_id: 'VARCHAR', event_type: 'VARCHAR', event_time: 'BIGINT', curb_zone_id: 'VARCHAR',
               curb_space_id: 'VARCHAR', data_source_device_id: 'VARCHAR', vehicle_type: 'VARCHAR',
               sequence_number: 'UBIGINT', occupied: 'BOOLEAN'})
),
lim AS (SELECT min(t) AS lo, max(t) AS hi FROM ev),
s AS (
  SELECT ev.n, ev.t, ev.event_type, ev.curb_space_id, b.zone, b.cls,
    CASE ev.event_type WHEN 'park_start' THEN 2 WHEN 'park_end' THEN 1
      WHEN 'scheduled_report' THEN CASE WHEN ev.occupied THEN 2 ELSE 1 END END AS st,
    CASE ev.event_type WHEN 'park_start' THEN 0 WHEN 'park_end' THEN 1 ELSE 2 END AS k
  FROM ev JOIN bays b ON b.id = ev.curb_space_id
),
p AS (
  SELECT *, coalesce(lag(st) OVER (PARTITION BY curb_space_id ORDER BY t, k, n), 0) AS prev FROM s
),
rows AS (
  SELECT (t // ${w}) * ${w} AS ws, zone, cls,
    sum(CASE WHEN event_type = 'park_start' AND prev <> 2 THEN 1 ELSE 0 END)::INTEGER AS arr,
    sum(CASE WHEN event_type = 'park_end' AND prev <> 1 THEN 1 ELSE 0 END)::INTEGER AS dep
  FROM p, lim WHERE t < (lim.hi // ${w}) * ${w}
  GROUP BY ALL
)
SELECT ws, zone, cls, arr, dep, (SELECT (hi // ${w}) - (lo // ${w}) FROM lim) AS windows
FROM rows WHERE arr > 0 OR dep > 0
UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, (SELECT (hi // ${w}) - (lo // ${w}) FROM lim)`;
}

/** Runs the query on the JSON Lines file at `path`. */
export async function duckdbWindows(
  c: DuckDBConnection,
  path: string,
  windowMs: number,
  keep = false,
): Promise<PeerWindows> {
  const reader = await c.runAndReadAll(query(path, windowMs));
  const out: PeerWindows = { windows: 0, checksum: 0, ...(keep ? { rows: [] } : {}) };
  for (const r of reader.getRows()) {
    if (r[0] === null) {
      out.windows = Number(r[5]);
      continue;
    }
    const ws = Number(r[0]);
    const zone = Number(r[1]);
    const cls = Number(r[2]);
    const a = Number(r[3]);
    const d = Number(r[4]);
    out.checksum += rowChecksum(ws, windowMs, zone, cls, a, d);
    out.rows?.push([ws, zone, cls, a, d]);
  }
  return sortRows(out);
}

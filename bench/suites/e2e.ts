/**
 * The `e2e` suite: from what a user has to closed windows, every cost inside the timed call. Two inputs, the
 * same events: JSON Lines bytes (as a file or a gateway delivers them) and plain event objects (the library's
 * object API). Cases:
 *
 * - `parkir-jsonl`: replayJsonLinesSync (the `parkir replay` path, its defaults) — the JSON Lines reader's wasm
 *   path reads the bytes into the batch's columns, each batch is written into the engine's batch memory, the
 *   engine (built inside the call) ingests each batch in place and emits windows.
 * - `parkir-jsonl-js`: the same with the reader's JavaScript path only (reader { wasm: false }).
 * - `jsonl-reader` (probe, its own agreement group): the JSON Lines reader alone (its defaults), bytes ->
 *   EventBatches in one reused batch memory (as the engine's batchBuffer hands it out), event ids kept as the
 *   replay keeps them, no engine: the reader's share of `parkir-jsonl`. Its batches are checked byte for byte
 *   against encodeEventBatches before timing; every timed run's events, batches and bytes against its first run.
 * - `jsonl-reader-js` (probe): the same with the JavaScript path only.
 * - `parkir-jsonl-parse`: parkir's JSON.parse path — UTF-8 decode, parseEventLines (JSON.parse per line and
 *   validation), encodeEventBatches, ingest.
 * - `map-jsonl`: what a competent user writes — decode, JSON.parse per line, a plain loop over Maps.
 * - `duckdb-jsonl`: DuckDB SQL over the same bytes (read_json of the file, lag per bay, group by window).
 * - `parkir-jsonl-file`: the same from the file, as `parkir replay` reads it (and as DuckDB does): open, readSync
 *   straight into the reader's input window (1 MiB at a time), close, all inside the timed call.
 * - `parkir-objects`: replayEventsSync (the object API's replay): encodeEvents of each 4096-event range of the array
 *   into the engine's batch memory, each batch ingested over the layout its writer recorded (not verified again).
 * - `map-objects`: the plain Map loop from the objects.
 *
 * The feed is the bay-sensor part (park_start, park_end, scheduled_report) of a generated Palu trace without
 * faults, in event-time order: the part whose window rules the peers can reproduce exactly. The peers compute
 * only arrivals and departures per window, zone and class (the rule: an arrival is a park_start on a bay not
 * already occupied, a departure a park_end on a bay not already vacant); parkir computes every column of its
 * windows (occupancy, coverage, peak, dwell...) and runs its full admission (de-duplication, watermark), so the
 * comparison favours the peers. Before timing, every case's rows must equal the baseline's; every timed run's
 * window count and checksum are checked against them too (a wrong run throws).
 */
import { closeSync, mkdtempSync, openSync, readSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type City, loadCity } from "../../src/catalog/index.js";
import { generateTrace, paluCatalog } from "../../src/generate/index.js";
import { OccupancyEngine, replayEventsSync, replayJsonLinesSync } from "../../src/occupancy/index.js";
import {
  BATCH_EVENTS_DEFAULT,
  type CdsEvent,
  EncodeReport,
  encodeEventBatches,
  JsonLinesReader,
  parseEventLines,
  toJsonLines,
} from "../../src/wire/index.js";
import { BENCH_SEED, PALU_DAY_MS } from "../fixtures/workload.js";
import type { CaseSpec, Profile, SuiteDefinition } from "../harness.js";
import { duckdbConnection, duckdbWindows } from "../peers/duckdb-occupancy.js";
import {
  bayMap,
  foldWindow,
  mapWindows,
  mapWindowsJsonl,
  type PeerWindows,
  sortRows,
} from "../peers/map-occupancy.js";
import { measureRuns } from "../runs.js";

/** Hours of trace per profile (from 00:00 local on 2026-11-30, 12 h of warm-up so cars are already parked). */
export const E2E_HOURS: Readonly<Record<Profile, number>> = { full: 72, quick: 12, tiny: 1 };
/** Window length of every case. */
export const E2E_WINDOW_MS = 300_000;

const SENSOR_KINDS = new Set(["park_start", "park_end", "scheduled_report"]);

/** The bay-sensor events of a fault-free Palu trace, in event-time order. */
export function sensorFeed(city: City, profile: Profile): CdsEvent[] {
  const all = generateTrace(city, {
    seed: BENCH_SEED,
    startMs: PALU_DAY_MS,
    hours: E2E_HOURS[profile],
    warmupHours: 12,
    faults: false,
  });
  const events = all.filter((e) => e.curb_space_id !== undefined && SENSOR_KINDS.has(e.event_type));
  for (let i = 1; i < events.length; i++) {
    if ((events[i]!.event_time as number) < (events[i - 1]!.event_time as number))
      throw new Error("e2e: the sensor feed is not in event-time order");
  }
  return events;
}

/** What the reader-only probe checks on every run. */
interface ReaderFigures {
  lines: number;
  events: number;
  batches: number;
  batchBytes: number;
}

/** A run's figures checked against the reference (a wrong result must never be timed as a fast one); its checksum. */
export function checkedRun(name: string, want: PeerWindows, got: PeerWindows): number {
  if (got.windows !== want.windows || got.checksum !== want.checksum) {
    throw new Error(
      `e2e/${name}: ${got.windows} windows, checksum ${got.checksum}; expected ${want.windows}, ${want.checksum}`,
    );
  }
  return got.checksum;
}

/** The `e2e` suite. Baseline `map-jsonl`; `ratios` gives parkir's speed over each peer's. */
export const e2eSuite: SuiteDefinition = {
  name: "e2e",
  summary:
    "JSON Lines bytes / event objects -> closed windows: parkir (fast reader, JSON.parse path) vs JSON.parse + Map loop vs DuckDB SQL",
  async build({ profile, log }) {
    const city = loadCity(paluCatalog());
    const events = sensorFeed(city, profile);
    const n = events.length;
    const bytes = new TextEncoder().encode(toJsonLines(events));
    const path = join(mkdtempSync(join(tmpdir(), "parkir-e2e-")), "sensors.jsonl");
    writeFileSync(path, bytes);
    const w = E2E_WINDOW_MS;
    const bays = bayMap(city);
    log(`${n} sensor events, ${bytes.length} bytes of JSON Lines`);

    const parkirJsonl = (keep: boolean, js = false): PeerWindows => {
      const out: PeerWindows = { windows: 0, checksum: 0, ...(keep ? { rows: [] } : {}) };
      replayJsonLinesSync(bytes, city, {
        engine: { windowMs: w },
        onWindows: (b) => foldWindow(out, b, w),
        ...(js ? { reader: { wasm: false } } : {}),
      });
      return sortRows(out);
    };
    const parkirParse = (keep: boolean): PeerWindows => {
      const out: PeerWindows = { windows: 0, checksum: 0, ...(keep ? { rows: [] } : {}) };
      const engine = new OccupancyEngine(city, { windowMs: w, reuseWindowBuffers: true, clock: () => 0 });
      engine.windows$.subscribe((b) => foldWindow(out, b, w));
      const parsed = parseEventLines(new TextDecoder().decode(bytes));
      const batches = encodeEventBatches(parsed.events, city, BATCH_EVENTS_DEFAULT, new EncodeReport(), {
        keepEventIds: false,
      });
      for (const b of batches) engine.ingest(b);
      engine.close();
      return sortRows(out);
    };
    const parkirObjects = (keep: boolean): PeerWindows => {
      const out: PeerWindows = { windows: 0, checksum: 0, ...(keep ? { rows: [] } : {}) };
      replayEventsSync(events, city, {
        engine: { windowMs: w },
        keepEventIds: false,
        onWindows: (b) => foldWindow(out, b, w),
      });
      return sortRows(out);
    };
    // The `parkir replay` path from the file: read straight into the reader's input window, 1 MiB at a time.
    const parkirFile = (keep: boolean): PeerWindows => {
      const out: PeerWindows = { windows: 0, checksum: 0, ...(keep ? { rows: [] } : {}) };
      const fd = openSync(path, "r");
      try {
        replayJsonLinesSync((into) => readSync(fd, into), city, {
          engine: { windowMs: w },
          onWindows: (b) => foldWindow(out, b, w),
        });
      } finally {
        closeSync(fd);
      }
      return sortRows(out);
    };

    // The reader alone: every batch written into one reused memory, as into the engine's batchBuffer.
    let batchMemory = new Uint8Array(1 << 20);
    const into = (size: number): Uint8Array => {
      if (size > batchMemory.length) batchMemory = new Uint8Array(size);
      return batchMemory.subarray(0, size);
    };
    const readerOnly = (check?: Uint8Array[], js = false): ReaderFigures => {
      const reader = new JsonLinesReader(city, { into, ...(js ? { wasm: false } : {}) });
      const out: ReaderFigures = { lines: 0, events: 0, batches: 0, batchBytes: 0 };
      reader.push(bytes);
      reader.end();
      for (let c = reader.next(); c !== null; c = reader.next()) {
        if (c.errors.length > 0) throw new Error(`e2e/jsonl-reader: line ${c.errors[0]!.line} refused`);
        if (c.batch === undefined) continue;
        const want = check?.[out.batches];
        if (check !== undefined && (want === undefined || Buffer.compare(want, c.batch) !== 0))
          throw new Error(`e2e/jsonl-reader: batch ${out.batches} differs from encodeEventBatches'`);
        out.batches++;
        out.batchBytes += c.batch.length;
      }
      out.lines = reader.counters.lines;
      out.events = reader.counters.events;
      if (reader.counters.fast !== n)
        throw new Error(`e2e/jsonl-reader: ${n - reader.counters.fast} lines not read by the fast path`);
      // The default path is the wasm one wherever it runs: every line of the feed is read there.
      const wasm = !js && reader.wasmPath;
      if (reader.counters.wasm !== (wasm ? n : 0))
        throw new Error(`e2e/jsonl-reader: ${reader.counters.wasm} of ${n} lines read by the wasm path`);
      return out;
    };

    const reference = mapWindowsJsonl(bytes, bays, w, true);
    const want: PeerWindows = { windows: reference.windows, checksum: reference.checksum };
    log(`${want.windows} windows, ${reference.rows!.length} rows with arrivals or departures`);
    const cases: CaseSpec[] = [
      {
        name: "map-jsonl",
        eventsPerOp: n,
        bytesPerOp: bytes.length,
        extra: {
          input: "jsonl",
          note: "TextDecoder, JSON.parse per line, plain loop over Maps (arrivals, departures)",
        },
        fn: () => checkedRun("map-jsonl", want, mapWindowsJsonl(bytes, bays, w)),
        result: () => reference,
      },
      {
        name: "parkir-jsonl",
        eventsPerOp: n,
        bytesPerOp: bytes.length,
        extra: {
          input: "jsonl",
          note: "replayJsonLinesSync (parkir replay's path): JSON Lines reader into the engine's batch memory, engine built in the call",
        },
        fn: () => checkedRun("parkir-jsonl", want, parkirJsonl(false)),
        result: () => parkirJsonl(true),
      },
      {
        name: "parkir-jsonl-file",
        eventsPerOp: n,
        bytesPerOp: bytes.length,
        extra: {
          input: "jsonl file",
          note: "replayJsonLinesSync over the file (open, readSync into the reader's input window, close: parkir replay's reading), as DuckDB reads it",
        },
        fn: () => checkedRun("parkir-jsonl-file", want, parkirFile(false)),
        result: () => parkirFile(true),
      },
      {
        name: "jsonl-reader",
        group: "reader",
        eventsPerOp: n,
        bytesPerOp: bytes.length,
        extra: {
          input: "jsonl",
          note: "probe: JsonLinesReader alone (bytes -> EventBatches in one reused memory, event ids kept), no engine",
        },
        fn: () => readerOnly(),
        result: () => readerOnly(encodeEventBatches(events, city, BATCH_EVENTS_DEFAULT, new EncodeReport())),
      },
      {
        name: "parkir-jsonl-js",
        eventsPerOp: n,
        bytesPerOp: bytes.length,
        extra: {
          input: "jsonl",
          note: "replayJsonLinesSync with reader { wasm: false }: the reader's JavaScript path reads the lines",
        },
        fn: () => checkedRun("parkir-jsonl-js", want, parkirJsonl(false, true)),
        result: () => parkirJsonl(true, true),
      },
      {
        name: "jsonl-reader-js",
        group: "reader",
        eventsPerOp: n,
        bytesPerOp: bytes.length,
        extra: {
          input: "jsonl",
          note: "probe: JsonLinesReader alone with its JavaScript path only (as jsonl-reader, wasm: false)",
        },
        fn: () => readerOnly(undefined, true),
        result: () =>
          readerOnly(encodeEventBatches(events, city, BATCH_EVENTS_DEFAULT, new EncodeReport()), true),
      },
      {
        name: "parkir-jsonl-parse",
        eventsPerOp: n,
        bytesPerOp: bytes.length,
        extra: {
          input: "jsonl",
          note: "TextDecoder, parseEventLines (JSON.parse + validation), encodeEventBatches, ingest",
        },
        fn: () => checkedRun("parkir-jsonl-parse", want, parkirParse(false)),
        result: () => parkirParse(true),
      },
    ];
    const duck = await duckdbConnection(city);
    if (duck === null) log("@duckdb/node-api is not installed or cannot load here: duckdb-jsonl skipped");
    else {
      const rows = await duckdbWindows(duck, path, w, true);
      cases.push({
        name: "duckdb-jsonl",
        eventsPerOp: n,
        bytesPerOp: bytes.length,
        extra: {
          input: "jsonl",
          note: "DuckDB SQL: read_json of the file, join bays, lag per bay, group by window, zone, class (default threads)",
        },
        result: () => rows,
        measure: (timing) =>
          measureRuns({
            timing,
            setup: () => undefined,
            run: async () => checkedRun("duckdb-jsonl", want, await duckdbWindows(duck, path, w)),
          }),
      });
    }
    cases.push(
      {
        name: "parkir-objects",
        eventsPerOp: n,
        extra: {
          input: "objects",
          note: "replayEventsSync (keepEventIds false): encodeEvents of each 4096-event range into the engine's batch memory, ingested unverified (parkir's own writer), close; engine built in the call on recycled kernel memory",
        },
        fn: () => checkedRun("parkir-objects", want, parkirObjects(false)),
        result: () => parkirObjects(true),
      },
      {
        name: "map-objects",
        eventsPerOp: n,
        extra: { input: "objects", note: "plain loop over Maps from the objects (arrivals, departures)" },
        fn: () => checkedRun("map-objects", want, mapWindows(events, bays, w)),
        result: () => mapWindows(events, bays, w, true),
      },
    );
    const ratios: Record<string, readonly [string, string]> = {
      "jsonl parkir / JSON.parse+Map": ["parkir-jsonl", "map-jsonl"],
      "jsonl parkir / parkir JSON.parse path": ["parkir-jsonl", "parkir-jsonl-parse"],
      "jsonl reader alone (probe) / JSON.parse+Map": ["jsonl-reader", "map-jsonl"],
      "jsonl parkir JS reader / JSON.parse+Map": ["parkir-jsonl-js", "map-jsonl"],
      "jsonl parkir / parkir JS reader": ["parkir-jsonl", "parkir-jsonl-js"],
      "jsonl reader (probe) / JS reader (probe)": ["jsonl-reader", "jsonl-reader-js"],
      "objects parkir / Map": ["parkir-objects", "map-objects"],
    };
    if (duck !== null) {
      ratios["jsonl parkir / DuckDB"] = ["parkir-jsonl", "duckdb-jsonl"];
      ratios["jsonl file parkir / DuckDB (both read the file)"] = ["parkir-jsonl-file", "duckdb-jsonl"];
      ratios["jsonl parkir JS reader / DuckDB"] = ["parkir-jsonl-js", "duckdb-jsonl"];
    }
    return {
      name: "e2e",
      workload: {
        description: `Bay-sensor events (park_start, park_end, scheduled_report) of a fault-free generated Palu trace, ${E2E_HOURS[profile]} h from 00:00 local on 2026-11-30, event-time order; 5-min windows`,
        seed: BENCH_SEED,
        sizes: { events: n, jsonlBytes: bytes.length, bays: city.bayCount, windows: want.windows },
      },
      baseline: "map-jsonl",
      ratios,
      cases,
    };
  },
};

/**
 * The `window-close` suite: how long closing one 5-minute window takes on a live 10,000-zone city laid out
 * like Palu's (car and motorcycle bays with sensors, attendant-counted motorcycles on every third zone).
 *
 * Between two closes the city lives: each window's events (arrivals and departures that move occupancy, the
 * hourly sensor reports of a twelfth of the bays, attendant counts on a third of the attendant zones) are
 * ingested untimed (`setupMs` reports that step, which also runs the reference engine below), then the timed operation moves the watermark to the window's end,
 * which closes that window over every zone and class row and emits it. State the close reads was just
 * written by the ingest, as in a deployment, not left cache-hot by closing empty windows in a row.
 *
 * Window closing runs in JavaScript for both kernels; `wasm` shows what the wasm kernel's memory layout
 * changes. Before timing, both kernels must emit the same first windows on fresh engines; during timing, every
 * window closed must close exactly one window whose columns equal those of a `js` reference engine fed the
 * same events (checked untimed after each close).
 */
import { type City, loadCity, vehicleName } from "../../src/catalog/index.js";
import { OccupancyEngine, type WindowBatch } from "../../src/occupancy/index.js";
import { type KernelKind, kernelBuilt, wasmSupported } from "../../src/runtime/index.js";
import { type CdsEvent, encodeEvents } from "../../src/wire/index.js";
import { syntheticCityDoc } from "../fixtures/city.js";
import { BENCH_START_MS } from "../fixtures/events.js";
import { createRng, type Rng } from "../fixtures/prng.js";
import { BENCH_SEED } from "../fixtures/workload.js";
import type { CaseSpec, Profile, SuiteDefinition } from "../harness.js";
import { admitted } from "../ingest.js";
import { measureRuns } from "../runs.js";
import { windowsJson } from "./occupancy.js";

/** City size and occupancy changes per window, per profile (each bay changes every 40 min on average). */
const SIZES: Readonly<
  Record<Profile, { readonly zones: number; readonly baysPerZone: number; readonly changes: number }>
> = {
  full: { zones: 10_000, baysPerZone: 10, changes: 12_500 },
  quick: { zones: 2_000, baysPerZone: 10, changes: 2_500 },
  tiny: { zones: 50, baysPerZone: 4, changes: 25 },
};

/** Window length (the engine's default). */
export const WINDOW_MS = 300_000;
/** Windows fed before anything is timed or compared (the first one reports every bay). */
const WARMUP_WINDOWS = 3;
/** Windows compared across kernels before timing. */
const CHECKED_WINDOWS = 3;
/** Sensors report their state once an hour: a twelfth of the bays per 5-min window. */
const REPORT_EVERY_WINDOWS = 12;
/** Attendants count every 15 minutes: a third of the attendant zones per window. */
const COUNT_EVERY_WINDOWS = 3;

/**
 * A seeded live city: the events of window k, in event-time order, encoded for the engine. Deterministic, so
 * two generators with one seed give two engines the same feed.
 */
export class LiveCity {
  private readonly rng: Rng;
  private readonly occupied: Uint8Array;
  private readonly seq: Uint32Array;
  private readonly attendantZones: number[];
  /** Windows generated so far. */
  windows = 0;

  constructor(
    readonly city: City,
    private readonly changesPerWindow: number,
    seed: number,
  ) {
    this.rng = createRng(seed);
    this.occupied = new Uint8Array(city.bayCount);
    this.seq = new Uint32Array(city.bayCount);
    this.attendantZones = [];
    city.zones.forEach((z, i) => {
      if (z.detection.includes("attendantCounts")) this.attendantZones.push(i);
    });
    // Morning: about half the bays taken.
    for (let b = 0; b < city.bayCount; b++) this.occupied[b] = this.rng.next() < 0.5 ? 1 : 0;
  }

  /** Start of window k. */
  windowStart(k: number): number {
    return BENCH_START_MS + k * WINDOW_MS;
  }

  /** The next window's events: occupancy changes, sensor reports and attendant counts, time-ordered. */
  nextEvents(): CdsEvent[] {
    const k = this.windows++;
    const { city, rng } = this;
    const start = this.windowStart(k);
    const kinds: number[] = []; // bay index for a change, -1 - bay for a report, -1e9 - zone for a count
    const allBays = k === 0; // the first window reports every bay, so the city starts known
    for (let b = 0; b < city.bayCount; b++) {
      if (allBays || b % REPORT_EVERY_WINDOWS === k % REPORT_EVERY_WINDOWS) kinds.push(-1 - b);
    }
    for (let i = 0; i < this.changesPerWindow; i++) kinds.push(rng.int(city.bayCount));
    for (const z of this.attendantZones)
      if (z % COUNT_EVERY_WINDOWS === k % COUNT_EVERY_WINDOWS) kinds.push(-1e9 - z);
    // Shuffle, then give the i-th action the i-th time of the window (so times are ordered).
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = kinds[i]!;
      kinds[i] = kinds[j]!;
      kinds[j] = t;
    }
    const events: CdsEvent[] = [];
    const step = WINDOW_MS / Math.max(1, kinds.length);
    for (let i = 0; i < kinds.length; i++) {
      const t = start + Math.floor(i * step + rng.next() * step * 0.5);
      const a = kinds[i]!;
      if (a <= -1e9) {
        const z = city.zones[-1e9 - a]!;
        events.push({
          event_id: `${z.id}-count-${k}`,
          event_type: "manual_count",
          event_time: t,
          curb_zone_id: z.id,
          vehicle_type: "motorcycle",
          vehicle_count: rng.int(31),
        });
        continue;
      }
      const b = a < 0 ? -1 - a : a;
      const seq = ++this.seq[b]!;
      const bayId = city.bayId(b);
      const base = {
        event_id: `${bayId}-${seq}`,
        event_time: t,
        curb_space_id: bayId,
        data_source_device_id: city.deviceId(b),
        vehicle_type: vehicleName(city.bayVehicle[b]!),
        sequence_number: seq,
      };
      if (a < 0) events.push({ ...base, event_type: "scheduled_report", occupied: this.occupied[b] === 1 });
      else {
        const was = this.occupied[b]!;
        this.occupied[b] = was === 1 ? 0 : 1;
        events.push({ ...base, event_type: was === 1 ? "park_end" : "park_start" });
      }
    }
    return events;
  }

  /** The next window's events as one batch. */
  nextBatch(): { readonly bytes: Uint8Array; readonly events: number; readonly endMs: number } {
    const events = this.nextEvents();
    const bytes = encodeEvents(events, this.city, undefined, { keepEventIds: false });
    return { bytes, events: events.length, endMs: this.windowStart(this.windows) };
  }
}

/** A checksum of every column of a window (equal columns give equal checksums; order-sensitive). */
export function windowChecksum(w: WindowBatch): number {
  const c = w.columns!;
  let h = w.windowStart / WINDOW_MS;
  for (let r = 0; r < c.length; r++) {
    const occ = c.occupancy[r]!;
    h =
      (h * 31 +
        c.zone[r]! * 7 +
        c.vehicle[r]! +
        c.arrivals[r]! * 3 +
        c.departures[r]! * 5 +
        c.peakOccupied[r]! * 11 +
        (Number.isNaN(occ) ? 13 : occ * 1e6) +
        c.coverage[r]! * 1e3 +
        (Number.isNaN(c.meanDwellMs[r]!) ? 17 : c.meanDwellMs[r]! / 1e3)) %
      2 ** 40;
  }
  return h;
}

/** An engine fed a live city, remembering the last window it emitted. */
interface LiveEngine {
  readonly engine: OccupancyEngine;
  readonly live: LiveCity;
  emitted: number;
  lastChecksum: number;
  kept: WindowBatch[] | null;
}

/** A new engine over a fresh live city (same seed: same events). */
function liveEngine(city: City, kernel: KernelKind, changes: number, keep: boolean): LiveEngine {
  const engine = new OccupancyEngine(city, { windowMs: WINDOW_MS, kernel, clock: () => 0 });
  const e: LiveEngine = {
    engine,
    live: new LiveCity(city, changes, BENCH_SEED),
    emitted: 0,
    lastChecksum: 0,
    kept: keep ? [] : null,
  };
  engine.windows$.subscribe((w) => {
    e.emitted++;
    e.lastChecksum = windowChecksum(w);
    e.kept?.push(w);
  });
  return e;
}

/** Feeds the next window's events (the close itself is the caller's). */
function feedWindow(e: LiveEngine): number {
  const batch = e.live.nextBatch();
  admitted(e.engine.ingest(batch.bytes));
  return batch.endMs;
}

/** Feeds and closes `n` windows. */
function runWindows(e: LiveEngine, n: number): void {
  for (let i = 0; i < n; i++) e.engine.advanceTo(feedWindow(e));
}

/** The `window-close` suite. Baseline `js`. */
export const windowCloseSuite: SuiteDefinition = {
  name: "window-close",
  summary:
    "closing one 5-min window over 10,000 live zones, a window of events ingested (untimed) between closes (closes/s)",
  build({ profile, log }) {
    const { zones, baysPerZone, changes } = SIZES[profile];
    const city = loadCity(syntheticCityDoc({ zones, baysPerZone, seed: BENCH_SEED, attendants: true }));
    const kernels: KernelKind[] = wasmSupported() && kernelBuilt("occupancy") ? ["js", "wasm"] : ["js"];
    const cases: CaseSpec[] = [];
    let rows = 0;
    // One JS reference engine fed the same windows; the checksum of its window k, computed once when first asked.
    const reference = liveEngine(city, "js", changes, false);
    const referenceSums: number[] = [];
    const referenceWindow = (k: number): number => {
      while (referenceSums.length <= k) {
        reference.engine.advanceTo(feedWindow(reference));
        referenceSums.push(reference.lastChecksum);
      }
      return referenceSums[k]!;
    };
    for (const kernel of kernels) {
      // The timed engine keeps its first windows for the agreement check, then runs on (kept no more).
      const live = liveEngine(city, kernel, changes, true);
      runWindows(live, WARMUP_WINDOWS + CHECKED_WINDOWS);
      const kept = live.kept!;
      live.kept = null;
      rows = kept[0]?.columns?.length ?? 0;
      const windows = windowsJson(kept.slice(WARMUP_WINDOWS));
      cases.push({
        name: kernel,
        eventsPerOp: zones,
        extra: {
          kernel,
          rows,
          note: `advanceTo(window end) on a running engine, kernel: "${kernel}": one window closed and emitted; a window of events ingested untimed before each close (setup); units are zones; ms per close = 1000 / ops/s`,
        },
        result: () => windows,
        measure: (timing) =>
          measureRuns({
            timing,
            setup: () => {
              const want = referenceWindow(live.live.windows);
              return { endMs: feedWindow(live), before: live.emitted, want };
            },
            run: (s) => live.engine.advanceTo(s.endMs),
            result: (s) => ({
              windows: live.emitted - s.before,
              sameAsReference: live.lastChecksum === s.want,
            }),
          }),
      });
    }
    log(`${city.bayCount} bays, ${rows} rows per window, ${changes} occupancy changes per window`);
    return {
      name: "window-close",
      workload: {
        description:
          "Synthetic Palu-like city (sensed car and motorcycle bays, attendant counts on every third zone); each 5-min window brings occupancy changes, hourly sensor reports and attendant counts, ingested before its close",
        seed: BENCH_SEED,
        sizes: { zones, bays: city.bayCount, rows, changesPerWindow: changes },
      },
      baseline: "js",
      // Every timed close must close one window equal to the reference engine's.
      digest: () => ({ windows: 1, sameAsReference: true }),
      cases,
    };
  },
};

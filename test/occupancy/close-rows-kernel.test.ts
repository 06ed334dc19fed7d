/**
 * Closing window rows in the wasm kernel (closeRows of wasm/occupancy.ts, which WindowRows uses for engines
 * without zone-event state) against closeRows of src/occupancy/rows.ts, the reference: from the same random
 * accumulators (counts, sums with halves to round, empty rows), detection methods, capacities, row lists and
 * shard ranges, the columns must be the same bytes (NaN included) and the reset accumulators too; a second close
 * from the reset rows over the first one's columns must note the same changed rows.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocColumns, columnTable, tableColumns } from "../../src/occupancy/columns.js";
import { OccupancyEngine } from "../../src/occupancy/index.js";
import {
  AF_DWELL_SUM,
  AF_KNOWN_MS,
  AF_OCC_MS,
  AU_ARRIVALS,
  AU_DEPARTURES,
  AU_DWELL_COUNT,
  AU_EPOCH,
  AU_KNOWN,
  AU_LAST,
  AU_OCC,
  AU_PEAK,
  R_EPOCH,
} from "../../src/occupancy/kernel.js";
import { closeRows } from "../../src/occupancy/rows.js";
import type { EngineState } from "../../src/occupancy/state.js";
import type { WindowColumns } from "../../src/occupancy/types.js";
import type { WasmOccupancyKernel } from "../../src/occupancy/wasm-kernel.js";
import { encodeEvents } from "../../src/wire/index.js";
import { arbStream, deliver, MIN, sensorCity, split, testCity } from "./fixtures.js";

const city = sensorCity(12, 2);
const engine = new OccupancyEngine(city, { kernel: "wasm", windowMs: 300_000 });
const { s, k } = engine as unknown as { s: EngineState; k: WasmOccupancyKernel };
const rows = s.rowCount;

const inKernel = allocColumns(rows, s.windowConstants, s.memory);
const table = columnTable(s, inKernel);
const list = s.newArray(Uint32Array, 2 * rows);
const words = (rows + 31) >>> 5;
const marks = s.newArray(Uint32Array, words);
const at = s.newArray(Uint32Array, rows);

/** Every written column's bytes, one hex string per column. */
function bytesOf(c: WindowColumns): string[] {
  return tableColumns(s, c)
    .slice(0, 11)
    .map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex"));
}

const accBytes = () => Buffer.from(s.accU32.buffer, s.accU32.byteOffset, rows * 64).toString("hex");

/** One row's accumulators: counts, and sums in whole ms or with halves (means that round). */
const arbRow = fc.record({
  occ: fc.nat(40),
  known: fc.nat(40),
  peak: fc.nat(40),
  arrivals: fc.nat(1000),
  departures: fc.nat(1000),
  dwellCount: fc.oneof(fc.constant(0), fc.nat(7)),
  occMs: fc.oneof(fc.constant(0), fc.nat(12_000_000)),
  knownMs: fc.oneof(fc.constant(0), fc.nat(12_000_000)),
  // Halves, and doubles just below one half (where floor(x + 0.5) and Math.round differ).
  dwellSum: fc.oneof(
    fc.nat(86_400_000),
    fc.nat(1_000).map((x) => x + 0.5),
    fc.constantFrom(0.49999999999999994, 4_503_599_627_370_495.5),
  ),
  last: fc.nat(300_000),
  method: fc.nat(3),
  capacity: fc.integer({ min: 1, max: 60 }),
});

/** Sets every row's accumulators, method and capacity. */
function setRows(
  state: readonly (typeof arbRow extends fc.Arbitrary<infer T> ? T : never)[],
  epoch: number,
): void {
  state.forEach((x, r) => {
    const f = r * 8;
    const u = r * 16;
    s.accF64[f + AF_OCC_MS] = x.occMs;
    s.accF64[f + AF_KNOWN_MS] = x.knownMs;
    s.accF64[f + AF_DWELL_SUM] = x.dwellSum;
    s.accU32[u + AU_OCC] = x.occ;
    s.accU32[u + AU_KNOWN] = x.known;
    s.accU32[u + AU_PEAK] = x.peak;
    s.accU32[u + AU_ARRIVALS] = x.arrivals;
    s.accU32[u + AU_DEPARTURES] = x.departures;
    s.accU32[u + AU_DWELL_COUNT] = x.dwellCount;
    s.accU32[u + AU_LAST] = x.last;
    s.accU32[u + AU_EPOCH] = epoch;
    s.rowDetection[r] = x.method;
    s.rowCapacity[r] = x.capacity;
  });
}

describe("closeRows in the wasm kernel", () => {
  it("writes the columns and resets the rows exactly as rows.ts does", () => {
    expect(s.cold).toBeNull();
    fc.assert(
      fc.property(
        fc.array(arbRow, { minLength: rows, maxLength: rows }),
        fc.option(fc.array(fc.nat(rows - 1), { maxLength: 2 * rows }), { nil: null }),
        fc.nat(rows),
        fc.nat(rows),
        fc.nat(10_000),
        fc.constantFrom(0, 0.25, 0.5, 1),
        fc.array(fc.option(arbRow, { nil: null }), { minLength: rows, maxLength: rows }),
        (state, picked, a, b, epoch, minCoverage, again) => {
          s.reg[R_EPOCH] = epoch;
          s.closeLo = Math.min(a, b);
          s.closeHi = Math.max(a, b);
          setRows(state, epoch);
          const before = Buffer.from(s.accU32.buffer, s.accU32.byteOffset, rows * 64);
          const saved = Buffer.from(before);
          const n = picked === null ? s.closeHi - s.closeLo : picked.length;
          if (picked !== null) list.set(picked);
          // The reference, into plain columns; then the kernel from the same accumulators.
          const want = allocColumns(rows, s.windowConstants);
          closeRows(s, minCoverage, 3_600_000, want, picked === null ? null : list, n);
          const wantAcc = accBytes();
          before.set(saved);
          const o = inKernel.occupancy;
          new Uint8Array(o.buffer, o.byteOffset, rows * 69).fill(0);
          k.closeRows(s, table, picked === null ? null : list, n, minCoverage);
          expect(bytesOf(inKernel)).toEqual(bytesOf(want));
          expect(accBytes()).toEqual(wantAcc);
          // A second close over the first one's columns, noting changes, from new rows or (null) the same ones,
          // whose figures repeat but for the rows' arrivals or departures: the same marks.
          setRows(
            again.map((x, r) => x ?? state[r]!),
            epoch,
          );
          const resetAcc = Buffer.from(before);
          const jsChanges = { marks: new Uint32Array(words), at: new Uint32Array(rows), now: 2 };
          closeRows(s, minCoverage, 3_600_000, want, picked === null ? null : list, n, jsChanges);
          before.set(resetAcc);
          marks.fill(0);
          at.fill(0);
          k.closeRows(s, table, picked === null ? null : list, n, minCoverage, { marks, at, now: 2 });
          expect(bytesOf(inKernel)).toEqual(bytesOf(want));
          expect(Array.from(marks)).toEqual(Array.from(jsChanges.marks));
          expect(Array.from(at)).toEqual(Array.from(jsChanges.at));
        },
      ),
      { numRuns: 400, seed: 31 },
    );
  });

  it("give an engine with reused buffers (rows closed and copied in the kernel) the columns of the JS kernel", () => {
    const city = testCity();
    const sensorKinds = new Set([
      "park_start",
      "park_end",
      "scheduled_report",
      "comms_lost",
      "comms_restored",
    ]);
    /** Every window's start and column bytes, read during its emission. */
    const columnsOf = (kernel: "js" | "wasm", reuseWindowBuffers: boolean, batches: Uint8Array[]) => {
      const e = new OccupancyEngine(city, { kernel, reuseWindowBuffers, windowMs: 5 * MIN, clock: () => 0 });
      const out: string[][] = [];
      e.windows$.subscribe((w) => out.push([String(w.windowStart), ...bytesOf(w.columns!)]));
      for (const b of batches) e.ingest(b);
      e.close();
      return out;
    };
    fc.assert(
      fc.property(
        arbStream(80),
        fc.boolean(),
        fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 6 }),
        (stream, sensorsOnly, delays, sizes) => {
          // Sensor-only streams keep the engine without zone-event state, so its rows are closed in the kernel.
          const events = sensorsOnly
            ? stream.filter((x) => x.curb_space_id !== undefined && sensorKinds.has(x.event_type))
            : stream;
          const batches = split(deliver(events, delays, 2 * MIN), sizes).map((b) => encodeEvents(b, city));
          const want = columnsOf("js", false, batches);
          expect(columnsOf("wasm", true, batches)).toEqual(want);
          expect(columnsOf("js", true, batches)).toEqual(want);
        },
      ),
      { numRuns: 200, seed: 32 },
    );
  });
});

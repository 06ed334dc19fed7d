/**
 * De-duplication keys resolved by the wasm kernel (resolveSeqs and resolveIds of wasm/occupancy.ts, over a batch
 * staged in its memory) against the JavaScript loops of dedup.ts and device-keys.ts, and both against a Map
 * model. Two DedupMemory instances, one per kernel, resolve the same parts of the same batches; after each
 * part both must have written the same id entry numbers (so the same table, entries and id bytes), and admission
 * replayed over them (duplicate when an entry's time ≥ watermark, late below it, else accepted: both entries
 * take the time) must decide every event as Maps of id → accepted time and (device, seq, time) → accepted time
 * would. Thousands of events with ids from a small pool (copies near and far), counters that restart, a
 * watermark that sometimes jumps: rebuilds, evictions and growth all happen. Two catalogues: four bays (a
 * rebuild of the sequence keys finds far more entries than slots: the kernel zeroes every slot word) and 400
 * (fewer entries than slots: it empties the chains of the entries' slots alone).
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { syntheticCityDoc } from "../../bench/fixtures/city.js";
import { type City, loadCity } from "../../src/catalog/index.js";
import { DedupMemory } from "../../src/occupancy/dedup.js";
import { DEDUP_CHUNK, R_WATERMARK } from "../../src/occupancy/kernel.js";
import { resolveOptions } from "../../src/occupancy/options.js";
import { EngineState } from "../../src/occupancy/state.js";
import { WasmOccupancyKernel } from "../../src/occupancy/wasm-kernel.js";
import { type CdsEvent, EventBatchView, encodeEvents } from "../../src/wire/index.js";
import { SEC, T0, testCity } from "./fixtures.js";

const LATENESS = 20 * SEC;
const wide = loadCity(syntheticCityDoc({ zones: 40, baysPerZone: 10, seed: 3, attendants: false }));
/** Catalogues and the bays (with their sensors) the events name. */
const CITIES: readonly (readonly [string, City, readonly (readonly [string, string])[]])[] = [
  ["4 bays", testCity(), ["A1", "A2", "A3", "A4"].map((b) => [b, `S${b}`] as const)],
  [
    "400 bays",
    wide,
    Array.from({ length: wide.bayCount }, (_, b) => {
      const id = wide.bayId(b);
      return [id, id.replace("-B", "-S")] as const;
    }),
  ],
];

interface Raw {
  readonly id: number;
  readonly bay: number;
  readonly seq: number | undefined;
  /** ms after the previous event's time (may go back: out of order). */
  readonly stepMs: number;
}

const arbRaw: fc.Arbitrary<Raw> = fc.record({
  id: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 1_000_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 40 }) },
  ),
  bay: fc.nat(),
  seq: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  stepMs: fc.integer({ min: -3 * SEC, max: 4 * SEC }),
});

const arbFeed = fc.record({
  raw: fc.array(arbRaw, { minLength: 1, maxLength: 3000, size: "max" }),
  parts: fc.array(fc.integer({ min: 1, max: 1024 }), { minLength: 1, maxLength: 8 }),
  batchEvents: fc.integer({ min: 1, max: 4000 }),
  idStem: fc.constantFrom("e", "ev-", "bench-synthetic-", "é\u{1F697}-"),
  /** Batches without event ids: an event without a sequence number is keyed by its device and id hash. */
  hashedIds: fc.boolean(),
  jumpEvery: fc.integer({ min: 200, max: 5000 }),
});

function events(raw: readonly Raw[], stem: string, bays: readonly (readonly [string, string])[]): CdsEvent[] {
  let t = T0;
  return raw.map((r) => {
    t = Math.max(T0, t + r.stepMs);
    const [bay, sensor] = bays[r.bay % bays.length]!;
    return {
      event_id: `${stem}${r.id}`,
      event_type: "park_start",
      event_time: t,
      curb_space_id: bay,
      data_source_device_id: sensor,
      ...(r.seq === undefined ? {} : { sequence_number: r.seq }),
    };
  });
}

/** The first index below `n` where the arrays differ, or −1 (deep equality of large arrays is slow). */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number {
  if (a.length < n || b.length < n) return Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe("de-duplication keys in the wasm kernel", () => {
  test.each(CITIES)(
    "%s: write the JavaScript loops' entries and decide as Maps of ids and sequence keys, across rebuilds",
    (_, city, bays) => {
      fc.assert(
        fc.property(arbFeed, ({ raw, parts, batchEvents, idStem, jumpEvery, hashedIds }) => {
          const options = resolveOptions({ allowedLatenessMs: LATENESS, kernel: "js" });
          const js = new EngineState(city, options);
          const kernel = new WasmOccupancyKernel();
          const wasm = new EngineState(city, options, kernel.memory);
          kernel.attach(wasm);
          const dJs = new DedupMemory(js);
          const dWasm = new DedupMemory(wasm, kernel);
          const ids = new Map<string, number>();
          const seqs = new Map<string, number>();
          let wm = Number.NEGATIVE_INFINITY;
          let maxSeen = Number.NEGATIVE_INFINITY;
          let p = 0;
          let n = 0;
          const all = events(raw, idStem, bays);
          for (let b0 = 0; b0 < all.length; b0 += batchEvents) {
            const batch = all.slice(b0, b0 + batchEvents);
            const bytes = encodeEvents(batch, city, undefined, { keepEventIds: !hashedIds });
            const vJs = EventBatchView.from(bytes, { city });
            const vWasm = EventBatchView.from(kernel.stageBatch(bytes), { city });
            // The kernel reads the batch and the key columns in its own memory (else the JS loops would run).
            expect(kernel.arena.owns(vWasm.bytes) && kernel.arena.owns(dWasm.table)).toBe(true);
            for (let i = 0; i < batch.length; ) {
              // A part never crosses an admission chunk (as the engine resolves them).
              const chunkEnd = (Math.floor(i / DEDUP_CHUNK) + 1) * DEDUP_CHUNK;
              const end = Math.min(batch.length, i + parts[p++ % parts.length]!, chunkEnd);
              js.reg[R_WATERMARK] = wm;
              wasm.reg[R_WATERMARK] = wm;
              dJs.resolve(vJs, vJs.words(), i, end);
              dWasm.resolve(vWasm, vWasm.words(), i, end);
              for (let k = i; k < end; k++) {
                const q = (k & (DEDUP_CHUNK - 1)) << 1;
                // Id entries are numbered alike (the same table, grown alike); sequence entries may differ in number
                // (in kernel memory, which never frees, the store does not shrink), so only decisions are compared.
                expect(wasm.dedupRef[q + 1], `event ${n}`).toBe(js.dedupRef[q + 1]);
                expect(wasm.dedupRef[q] === 0, `event ${n}`).toBe(js.dedupRef[q] === 0);
                // Admission over the entries, in both states, against the Maps.
                const e = batch[k]!;
                const t = e.event_time as number;
                const seqKey =
                  e.sequence_number === undefined
                    ? undefined
                    : `${e.data_source_device_id}/${e.sequence_number}/${t}`;
                // Without event ids, an event whose sequence word holds its id hash is keyed by device and hash.
                const w = vJs.words();
                const idKey = !hashedIds
                  ? e.event_id
                  : ((w[k * 6 + 4]! >>> 16) & 1) !== 0
                    ? `${e.data_source_device_id}/${w[k * 6 + 2]}`
                    : undefined;
                const byMap = (
                  (idKey !== undefined && ids.get(idKey)! >= wm) ||
                  (seqKey !== undefined && seqs.get(seqKey)! >= wm)
                    ? "duplicate"
                    : t < wm
                      ? "late"
                      : "accepted"
                ) as string;
                for (const s of [js, wasm]) {
                  const dup = s.dedupSeqTime[s.dedupRef[q]!]! >= wm || s.dedupTime[s.dedupRef[q + 1]!]! >= wm;
                  const got = dup ? "duplicate" : t < wm ? "late" : "accepted";
                  expect(got, `event ${n}`).toBe(byMap);
                  if (got === "accepted") {
                    s.dedupSeqTime[s.dedupRef[q]!] = t;
                    s.dedupTime[s.dedupRef[q + 1]!] = t;
                    s.dedupSeqTime[0] = Number.NaN;
                    s.dedupTime[0] = Number.NaN;
                  }
                }
                if (byMap === "accepted") {
                  if (idKey !== undefined) ids.set(idKey, t);
                  if (seqKey !== undefined) seqs.set(seqKey, t);
                  maxSeen = Math.max(maxSeen, t);
                  wm = Math.max(wm, maxSeen - LATENESS);
                }
                if (++n % jumpEvery === 0) wm = maxSeen + 1;
              }
              // The same hashes, table and id bytes (a restore hashes ids in JavaScript: the hashes must agree).
              expect(dWasm.count).toBe(dJs.count);
              let hashKeys = -1;
              for (let x = 1; x < dJs.count && hashKeys < 0; x++)
                if (dJs.kType[x] === 3 && (dWasm.kA[x] !== dJs.kA[x] || dWasm.kB[x] !== dJs.kB[x]))
                  hashKeys = x;
              expect(hashKeys, "device and hash of hash keys").toBe(-1);
              expect(firstDifference(dWasm.kHash, dJs.kHash, dJs.count), "hashes").toBe(-1);
              expect(firstDifference(dWasm.table, dJs.table, dJs.table.length), "table").toBe(-1);
              expect(dWasm.arenaUsed).toBe(dJs.arenaUsed);
              expect(firstDifference(dWasm.arena, dJs.arena, dJs.arenaUsed), "id bytes").toBe(-1);
              i = end;
            }
            kernel.unstageBatch();
          }
          // The checkpoint sections (live keys in canonical order) are the same bytes.
          js.reg[R_WATERMARK] = wm;
          wasm.reg[R_WATERMARK] = wm;
          expect(dWasm.sections()).toEqual(dJs.sections());
        }),
        { numRuns: 15 },
      );
    },
    60_000,
  );
});

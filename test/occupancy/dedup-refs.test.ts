/**
 * The engine's de-duplication over batches encoded with and without event ids, one after the other, with the wasm
 * kernel against the JS reference. Without ids an event's id key is the (device, id hash) pair its struct carries,
 * and only when it has no sequence number; with ids it is the id itself. The wasm kernel's resolveSeqs sets every
 * id ref of a part to the sentinel and counts the events with an id hash, and the host resolves id hashes only
 * when there is one: a ref left over from an earlier part (of a batch with ids) must never decide an event of a
 * batch without them. Copies anywhere within the lateness (not only adjacent), copies by id only and by sequence
 * key only, counters that restart, parts of any length, and a checkpoint restored mid-stream into the other kernel.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { OccupancyEngine, type OccupancyOptions } from "../../src/occupancy/index.js";
import { type CdsEvent, encodeEvents } from "../../src/wire/index.js";
import { MIN, SEC, T0, testCity } from "./fixtures.js";

const city = testCity();
const BAYS = ["A1", "A2", "A3", "A4"];
const OPTS: OccupancyOptions = { windowMs: 2 * MIN, allowedLatenessMs: 20 * SEC, sensorTimeoutMs: 30 * MIN };

interface Step {
  readonly bay: number;
  readonly kind: number;
  /** Sequence number, or none (its struct then carries an id hash, in a batch without ids). */
  readonly seq: number | undefined;
  /** An id from a small pool (ids repeat: copies by id) or a fresh one. */
  readonly id: number;
  /** ms after the previous event (may go back, within about the lateness). */
  readonly stepMs: number;
}

const arbStep: fc.Arbitrary<Step> = fc.record({
  bay: fc.integer({ min: 0, max: BAYS.length - 1 }),
  kind: fc.integer({ min: 0, max: 2 }),
  seq: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined, freq: 3 }),
  id: fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 100, max: 1_000_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 30 }) },
  ),
  stepMs: fc.integer({ min: -15 * SEC, max: 6 * SEC }),
});

/** A copy of event `of` (an index, reduced mod the events before it) put `later` events after it. */
interface Copy {
  readonly of: number;
  readonly later: number;
  /** "same": a retransmission; "id": same id, new sequence key; "seq": same sequence key, new id. */
  readonly how: "same" | "id" | "seq";
}

const arbCopy: fc.Arbitrary<Copy> = fc.record({
  of: fc.nat(5000),
  later: fc.integer({ min: 1, max: 200 }),
  how: fc.constantFrom("same", "id", "seq"),
});

const arbFeed = fc.record({
  steps: fc.array(arbStep, { minLength: 20, maxLength: 600, size: "max" }),
  copies: fc.array(arbCopy, { maxLength: 80 }),
  sizes: fc.array(fc.integer({ min: 1, max: 150 }), { minLength: 1, maxLength: 6 }),
  // Both encodings whenever there are two batches or more: the first two differ.
  withIds: fc
    .tuple(fc.boolean(), fc.array(fc.boolean(), { maxLength: 4 }))
    .map(([first, rest]) => [first, !first, ...rest]),
  cut: fc.nat(12),
});

const KINDS = ["park_start", "park_end", "scheduled_report"] as const;

function events(steps: readonly Step[], copies: readonly Copy[]): CdsEvent[] {
  let t = T0;
  const out: CdsEvent[] = steps.map((s, i) => {
    t = Math.max(T0, t + s.stepMs);
    const bay = BAYS[s.bay]!;
    return {
      event_id: `ev-${s.id}-${s.id < 100 ? "" : i}`,
      event_type: KINDS[s.kind]!,
      event_time: t,
      curb_space_id: bay,
      data_source_device_id: `S${bay}`,
      ...(s.seq === undefined ? {} : { sequence_number: s.seq }),
      ...(s.kind === 2 ? { occupied: s.id % 2 === 0 } : {}),
    } as CdsEvent;
  });
  for (const c of copies) {
    if (out.length === 0) break;
    const i = c.of % out.length;
    const e = out[i]!;
    const copy: CdsEvent =
      c.how === "same"
        ? { ...e }
        : c.how === "id"
          ? { ...e, sequence_number: 1000 + (c.of % 7), event_time: Number(e.event_time) + 1 }
          : { ...e, event_id: `seq-copy-${c.of}-${c.later}` };
    out.splice(Math.min(out.length, i + c.later), 0, copy);
  }
  return out;
}

/** Every ingest result and the final checkpoint of an engine fed `batches` from `from` on. */
function run(engine: OccupancyEngine, batches: readonly Uint8Array[], from = 0) {
  const results: string[] = [];
  const windows: string[] = [];
  engine.windows$.subscribe((w) => windows.push(JSON.stringify(w.records)));
  for (let i = from; i < batches.length; i++) {
    const { error, ...r } = engine.ingest(batches[i]!);
    results.push(`${JSON.stringify(r)} ${error?.reason ?? ""}`);
  }
  engine.close();
  return { results, windows, counters: engine.counters, checkpoint: engine.checkpoint() };
}

describe("de-duplication refs across batches with and without event ids", () => {
  test("wasm = JS reference: ingest results, windows, counters and checkpoints, also restored mid-stream", () => {
    let duplicates = 0;
    let mixed = 0;
    fc.assert(
      fc.property(arbFeed, ({ steps, copies, sizes, withIds, cut }) => {
        const all = events(steps, copies);
        const batches: Uint8Array[] = [];
        const kinds = new Set<boolean>();
        for (let at = 0, k = 0; at < all.length; k++) {
          const n = sizes[k % sizes.length]!;
          const keepEventIds = withIds[k % withIds.length]!;
          kinds.add(keepEventIds);
          batches.push(encodeEvents(all.slice(at, at + n), city, undefined, { keepEventIds }));
          at += n;
        }
        if (kinds.size === 2) mixed++;
        const js = run(new OccupancyEngine(city, { ...OPTS, kernel: "js", clock: () => 0 }), batches);
        const wasm = run(new OccupancyEngine(city, { ...OPTS, kernel: "wasm", clock: () => 0 }), batches);
        expect(wasm.results).toEqual(js.results);
        expect(wasm.windows).toEqual(js.windows);
        expect(wasm.counters).toEqual(js.counters);
        expect(Buffer.compare(wasm.checkpoint, js.checkpoint)).toBe(0);
        duplicates += js.counters.duplicate;
        // A checkpoint taken mid-stream under one kernel, restored under the other, ends where the reference does.
        const k = Math.min(cut, batches.length);
        for (const [first, second] of [
          ["js", "wasm"],
          ["wasm", "js"],
        ] as const) {
          const a = new OccupancyEngine(city, { ...OPTS, kernel: first, clock: () => 0 });
          for (let i = 0; i < k; i++) a.ingest(batches[i]!);
          const b = OccupancyEngine.restore(city, a.checkpoint(), { kernel: second, clock: () => 0 });
          expect(Buffer.compare(run(b, batches, k).checkpoint, js.checkpoint)).toBe(0);
        }
      }),
      { numRuns: 60 },
    );
    // The generators reach the cases this is about: duplicates found, and feeds mixing both encodings.
    expect(duplicates).toBeGreaterThan(100);
    expect(mixed).toBeGreaterThan(10);
  });
});

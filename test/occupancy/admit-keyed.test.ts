/**
 * Keyed admission (admitKeyed of wasm/occupancy.ts: each event's keys resolved in the admission pass) against
 * admission over keys resolved before it (resolveSeqs, resolveIdHashes or resolveIds, then admitEvents): two wasm
 * engines fed the same batches, one of them kept on the separate passes. After every batch both must hold the
 * same key entries (sequence keys: slot, number, time, chain, accepted time, slot words; id keys: type, device
 * fields, hash, id bytes, accepted time), the same pending buffer and registers, and give the same ingest result;
 * at the end the same windows, reports and checkpoint bytes as each other and as the JavaScript reference kernel.
 * Feeds: copies anywhere within the lateness and beyond it, sources with and without sequence numbers, sequence
 * numbers that wrap past 2^32 or repeat (a device whose counter restarted), payments between sensor events (the
 * keys of a run of payments are resolved for the host), batches with and without event ids in one feed, cut
 * anywhere.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { City } from "../../src/catalog/index.js";
import { OccupancyEngine, type OccupancyOptions } from "../../src/occupancy/index.js";
import { type CdsEvent, EventBatchView, encodeEvents } from "../../src/wire/index.js";
import { arbCopiedFeed, COPY_LATENESS_MS } from "./copies.js";
import { MIN, SEC, testCity } from "./fixtures.js";

const city = testCity();
const OPTS: OccupancyOptions = {
  windowMs: 5 * MIN,
  allowedLatenessMs: COPY_LATENESS_MS,
  sensorTimeoutMs: 30 * MIN,
  clock: () => Date.UTC(2030, 0, 1),
};

/** The engine's internals this test reads (the kernel and de-duplication memory are private). */
interface Inside {
  readonly k: Record<string, unknown>;
  readonly s: {
    readonly reg: Float64Array;
    readonly pTime: Float64Array;
    readonly pWords: Uint32Array;
    readonly dedupSeqTime: Float64Array;
    readonly dedupTime: Float64Array;
  };
  readonly dedup: {
    readonly count: number;
    readonly arenaUsed: number;
    readonly kType: Uint8Array;
    readonly kA: Uint32Array;
    readonly kB: Uint32Array;
    readonly kHash: Int32Array;
    readonly idOff: Uint32Array;
    readonly idLen: Uint32Array;
    readonly arena: Uint8Array;
    readonly seqKeys: {
      readonly count: number;
      readonly kSlot: Uint32Array;
      readonly kSeq: Uint32Array;
      readonly kT: Float64Array;
      readonly kNext: Int32Array;
      readonly slotWords: Float64Array;
    };
  };
}

/** A wasm engine, keyed (the default) or kept on the separate passes; counts its kernel's admission calls. */
function wasmEngine(keyed: boolean) {
  const engine = new OccupancyEngine(city, { ...OPTS, kernel: "wasm" });
  const inside = engine as unknown as Inside;
  const calls = { admitKeyed: 0, resolveSeqs: 0 };
  const k = inside.k;
  if (!keyed) k.admitsKeyed = () => false;
  for (const name of ["admitKeyed", "resolveSeqs"] as const) {
    const f = k[name] as (...a: unknown[]) => unknown;
    k[name] = (...a: unknown[]) => {
      calls[name]++;
      return f.apply(k, a);
    };
  }
  return { engine, inside, calls, out: watch(engine) };
}

function watch(engine: OccupancyEngine): unknown[] {
  const out: unknown[] = [];
  engine.windows$.subscribe((w) => out.push(["w", w.windowStart, w.windowEnd, w.records]));
  engine.late$.subscribe((l) => out.push(["l", l]));
  engine.health$.subscribe((h) => out.push(["h", h]));
  return out;
}

/** Everything admission wrote, as plain arrays (a mismatch names the array). */
function admissionState(x: Inside): Record<string, unknown> {
  const { s, dedup: d } = x;
  const sk = d.seqKeys;
  const reg = s.reg;
  const head = reg[4]!;
  const tail = reg[5]!;
  return {
    reg: [...reg],
    pending: [...s.pTime.subarray(head, tail)],
    pendingWords: [...s.pWords.subarray(5 * head, 5 * tail)],
    seqCount: sk.count,
    seqSlot: [...sk.kSlot.subarray(0, sk.count)],
    seqNumber: [...sk.kSeq.subarray(0, sk.count)],
    seqT: [...sk.kT.subarray(0, sk.count)],
    seqNext: [...sk.kNext.subarray(0, sk.count)],
    seqTime: [...s.dedupSeqTime.subarray(0, sk.count)],
    slotWords: [...sk.slotWords],
    idCount: d.count,
    idType: [...d.kType.subarray(0, d.count)],
    idA: [...d.kA.subarray(0, d.count)],
    idB: [...d.kB.subarray(0, d.count)],
    idHash: [...d.kHash.subarray(0, d.count)],
    idOff: [...d.idOff.subarray(0, d.count)],
    idLen: [...d.idLen.subarray(0, d.count)],
    idBytes: [...d.arena.subarray(0, d.arenaUsed)],
    idTime: [...s.dedupTime.subarray(0, d.count)],
  };
}

/** Sequence numbers moved by `offset` (mod 2^32) and folded into `mod` values (small: counters that restart). */
function renumber(events: readonly CdsEvent[], offset: number, mod: number): CdsEvent[] {
  return events.map((e) =>
    e.sequence_number === undefined
      ? e
      : { ...e, sequence_number: (offset + (e.sequence_number % mod)) % 2 ** 32 },
  );
}

/** A payment_start or payment_end in zone B or D, with one of a few sessions (copies of each other included). */
const arbPayment = fc.record({
  at: fc.nat(),
  session: fc.integer({ min: 0, max: 5 }),
  zone: fc.constantFrom("B", "D"),
  end: fc.boolean(),
  id: fc.integer({ min: 0, max: 8 }),
});

const arbFeed = fc.record({
  feed: arbCopiedFeed(COPY_LATENESS_MS, 2 * COPY_LATENESS_MS),
  offset: fc.constantFrom(0, 2 ** 32 - 3, 2 ** 31),
  mod: fc.constantFrom(2 ** 32, 3),
  payments: fc.array(arbPayment, { maxLength: 30 }),
  /** Per batch, in turn: with event ids or without (then keyed by device and id hash). */
  ids: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
});

/** The feed's batches with the payments inserted (each after the event at its position, at that event's time). */
function batchesOf(f: fc.RecordValue<typeof arbFeed>, c: City): Uint8Array[] {
  const batches = f.feed.batches.map((b) => renumber(b, f.offset, f.mod));
  for (const p of f.payments) {
    const b = batches[p.at % batches.length]!;
    const i = Math.floor(p.at / batches.length) % (b.length + 1);
    const t = Number(b[Math.min(i, b.length - 1)]?.event_time ?? 0);
    b.splice(i, 0, {
      event_id: `pay-${p.id}`,
      event_type: p.end ? "payment_end" : "payment_start",
      event_time: t,
      curb_zone_id: p.zone,
      event_session_id: `session-${p.session}`,
      ...(p.end ? { actual_cost: 4000 } : {}),
    });
  }
  return batches.map((b, i) => encodeEvents(b, c, undefined, { keepEventIds: f.ids[i % f.ids.length]! }));
}

describe("keyed admission", () => {
  test("resolves the same keys in the admission pass as the passes before it, and admits the same", () => {
    fc.assert(
      fc.property(arbFeed, (f) => {
        const batches = batchesOf(f, city);
        const keyed = wasmEngine(true);
        const passes = wasmEngine(false);
        const js = new OccupancyEngine(city, { ...OPTS, kernel: "js" });
        const jsOut = watch(js);
        for (const b of batches) {
          const r = keyed.engine.ingest(b);
          expect(r).toEqual(passes.engine.ingest(b));
          expect(r).toEqual(js.ingest(b));
          expect(admissionState(keyed.inside)).toEqual(admissionState(passes.inside));
        }
        expect(keyed.engine.checkpoint()).toEqual(passes.engine.checkpoint());
        expect(keyed.engine.checkpoint()).toEqual(js.checkpoint());
        for (const e of [keyed.engine, passes.engine, js]) e.close();
        expect(keyed.out).toEqual(passes.out);
        expect(keyed.out).toEqual(jsOut);
        expect(keyed.engine.counters).toEqual(js.counters);
        // Each engine took its own path.
        expect(keyed.calls.admitKeyed).toBeGreaterThan(0);
        expect(keyed.calls.resolveSeqs).toBe(0);
        expect(passes.calls.admitKeyed).toBe(0);
        expect(passes.calls.resolveSeqs).toBeGreaterThan(0);
      }),
      { numRuns: 100 },
    );
  }, 120_000);

  test("a batch that fails verification is refused whole, keyed state unchanged", () => {
    fc.assert(
      fc.property(arbFeed, fc.nat(), fc.nat(), (f, which, at) => {
        const batches = batchesOf(f, city);
        const keyed = wasmEngine(true);
        const n = Math.floor(batches.length / 2);
        for (const b of batches.slice(0, n)) keyed.engine.ingest(b);
        const before = admissionState(keyed.inside);
        const checkpoint = keyed.engine.checkpoint();
        // A damaged copy of a later batch: the kind of one of its events (any, the last included) out of range.
        const bad = batches[n + (which % (batches.length - n))]!.slice();
        const view = EventBatchView.from(bad, { city });
        const words = new Uint32Array(bad.buffer, view.words().byteOffset, view.length * 6);
        const j = at % view.length;
        words[j * 6 + 4] = (words[j * 6 + 4]! & ~0xff) | 0xfe;
        const r = keyed.engine.ingest(bad);
        expect(r.rejected).toBe(1);
        expect(r.accepted + r.duplicate + r.late).toBe(0);
        expect(admissionState(keyed.inside)).toEqual(before);
        expect(keyed.engine.checkpoint()).toEqual(checkpoint);
        // And the good batches after it are admitted as if it had never come.
        const clean = wasmEngine(false);
        for (const b of batches.slice(0, n)) clean.engine.ingest(b);
        for (const b of batches.slice(n)) expect(keyed.engine.ingest(b)).toEqual(clean.engine.ingest(b));
        expect(keyed.engine.checkpoint()).toEqual(clean.engine.checkpoint());
        keyed.engine.close();
        clean.engine.close();
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});

test("sequence numbers at the wrap: a copy of the event numbered 2^32 − 1 is a duplicate, the next number is not", () => {
  const e = (seq: number, id: string, t: number): CdsEvent => ({
    event_id: id,
    event_type: "park_start",
    event_time: Date.UTC(2026, 0, 1) + t,
    curb_space_id: "A1",
    data_source_device_id: "SA1",
    sequence_number: seq,
  });
  const feed = [e(2 ** 32 - 1, "a", 0), e(0, "b", SEC), e(2 ** 32 - 1, "c", 0), e(0, "d", SEC)];
  const keyed = wasmEngine(true);
  const r = keyed.engine.ingest(encodeEvents(feed, city, undefined, { keepEventIds: false }));
  expect([r.accepted, r.duplicate]).toEqual([2, 2]);
  expect(keyed.calls.admitKeyed).toBeGreaterThan(0);
  keyed.engine.close();
});

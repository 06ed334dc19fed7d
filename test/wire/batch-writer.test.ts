/**
 * BatchWriter writes EventBatch bytes by hand (for encodeEvents through buildBatch, and for the JSON Lines
 * reader from its byte arena): they must be byte for byte what the flatbuffers Builder writes through the
 * generated EventBatch code, on any rows — no events, times at the base and far
 * from it, every field at its edges, event ids and annotations (strings, UTF-8 bytes, unicode, empty), a
 * catalogue hash or base time of 0 (fields left out), city ids of every length (every padding).
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { City } from "../../src/catalog/index.js";
import { loadCity } from "../../src/catalog/index.js";
import { ParkirError, ParkirEventError } from "../../src/errors/index.js";
import { paluCatalog } from "../../src/generate/index.js";
import { BatchWriter } from "../../src/wire/batch-writer.js";
import { buildBatch, EncodeReport, encodeEvents, Rows } from "../../src/wire/encode.js";
import type { CdsEvent } from "../../src/wire/events.js";
import { BATCH_SPAN_MS_MAX } from "../../src/wire/layout.js";
import { arbEvent, tinyCity } from "../helpers.js";
import { builderBatch } from "./builder-batch.js";

const u32 = fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff), fc.nat({ max: 0xffffffff }));
const u8 = fc.integer({ min: 0, max: 255 });
const text = fc.oneof(
  fc.constant(""),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
  fc.string({ unit: "binary", maxLength: 6 }),
);
const arbRow = fc.record({
  dt: fc.oneof(fc.constant(0), fc.nat({ max: BATCH_SPAN_MS_MAX })),
  target: u32,
  seq: u32,
  value: u32,
  device: u32,
  kind: u8,
  vehicle: u8,
  flags: u8,
  id: fc.oneof(
    text,
    text.map((t) => new TextEncoder().encode(t)),
  ),
  note: fc.oneof(fc.constant(""), fc.constant(""), text),
});

const enc = new TextEncoder();

interface Row {
  time: number;
  target: number;
  seq: number;
  value: number;
  device: number;
  kind: number;
  vehicle: number;
  flags: number;
  id: string;
  note: string;
}

const arenaText = fc.oneof(
  fc.constant(""),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.constantFrom("a", "ab", "abc", "abcd", "abcdefg", "abcdefgh", "PLU-001-S01-1234"),
);
const row = (base: number): fc.Arbitrary<Row> =>
  fc.record({
    time: fc.integer({ min: base, max: base + 0xffffffff }),
    target: u32,
    seq: u32,
    value: u32,
    device: u32,
    kind: fc.nat({ max: 255 }),
    vehicle: fc.nat({ max: 255 }),
    flags: fc.nat({ max: 255 }),
    id: arenaText,
    note: fc.oneof({ weight: 3, arbitrary: fc.constant("") }, { weight: 1, arbitrary: arenaText }),
  });

/** Rows as encodeEvents fills them (strings as text) and as the reader does (strings as arena ranges). */
function columns(list: readonly Row[]) {
  const rows = new Rows(Math.max(1, list.length));
  const arena = new Uint8Array(list.reduce((n, r) => n + 3 * (r.id.length + r.note.length), 1));
  const idAt = new Int32Array(list.length);
  const idLength = new Int32Array(list.length);
  const noteAt = new Int32Array(list.length);
  const noteLength = new Int32Array(list.length);
  let at = 0;
  for (const [k, r] of list.entries()) {
    putRow(rows, r.time, r);
    idAt[k] = at;
    idLength[k] = enc.encodeInto(r.id, arena.subarray(at)).written;
    at += idLength[k]!;
    noteAt[k] = at;
    noteLength[k] = enc.encodeInto(r.note, arena.subarray(at)).written;
    at += noteLength[k]!;
  }
  return { rows, strings: { arena, idAt, idLength, noteAt, noteLength } };
}

/** Appends one row at `timeMs` (as encodeEvents' resolve does). */
function putRow(
  rows: Rows,
  timeMs: number,
  r: Omit<Row, "time" | "id"> & { readonly id: string | Uint8Array },
): void {
  const k = rows.length++;
  rows.timeMs[k] = timeMs;
  rows.target[k] = r.target;
  rows.seq[k] = r.seq;
  rows.value[k] = r.value;
  rows.device[k] = r.device;
  rows.kind[k] = r.kind;
  rows.vehicle[k] = r.vehicle;
  rows.flags[k] = r.flags;
  rows.id.push(r.id);
  rows.note.push(r.note);
  if (r.note !== "") rows.notes = true;
}

describe("BatchWriter", () => {
  test("buildBatch writes the bytes of the flatbuffers Builder, on any rows", () => {
    fc.assert(
      fc.property(
        fc.array(arbRow, { maxLength: 40 }),
        fc.oneof(fc.constant(0), fc.nat({ max: 8.6e15 })),
        fc.string({ minLength: 1, maxLength: 11 }),
        fc.oneof(fc.constant(0), u32),
        fc.boolean(),
        (items, baseMs, cityId, hash, keepIds) => {
          const rows = new Rows(items.length);
          for (const r of items) putRow(rows, baseMs + r.dt, r);
          const city = { id: cityId, catalogHash: hash } as unknown as City;
          const want = builderBatch(rows, cityId, hash, keepIds);
          expect(Buffer.from(buildBatch(rows, city, new EncodeReport(), keepIds, undefined))).toEqual(
            Buffer.from(want),
          );
          // Into the caller's memory: the same bytes at its start.
          const memory = new Uint8Array(want.length + 16);
          const got = buildBatch(rows, city, new EncodeReport(), keepIds, () => memory);
          expect(got.buffer).toBe(memory.buffer);
          expect(Buffer.from(got)).toEqual(Buffer.from(want));
        },
      ),
      { numRuns: 400 },
    );
  });

  test("a batch built while another is being built (from `into`) leaves both whole", () => {
    const one = new Rows(1);
    one.length = 1;
    one.timeMs[0] = 1_796_000_400_000;
    one.id.push("a");
    one.note.push("");
    const city = { id: "palu", catalogHash: 7 } as unknown as City;
    const alone = buildBatch(one, city, new EncodeReport(), true, undefined);
    let inner: Uint8Array | undefined;
    const outer = buildBatch(one, city, new EncodeReport(), true, (size) => {
      inner = buildBatch(one, city, new EncodeReport(), true, undefined);
      return new Uint8Array(size);
    });
    expect(Buffer.from(outer)).toEqual(Buffer.from(alone));
    expect(Buffer.from(inner!)).toEqual(Buffer.from(alone));
  });

  test("encodeEvents reuses its columns: any run of calls, some refused, writes what a fresh encoder writes", () => {
    const city = tinyCity();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(arbEvent(true), { maxLength: 30 }), fc.boolean(), fc.nat()), {
          maxLength: 8,
        }),
        (calls) => {
          for (const [events, bad, at] of calls) {
            const batch: unknown[] = [...events];
            if (bad) batch.splice(at % (batch.length + 1), 0, { event_id: "", event_type: "park_start" });
            let fresh: Uint8Array | undefined;
            let got: Uint8Array;
            try {
              // The call inside `into` runs while the outer one holds the kept columns: it gets fresh ones.
              got = encodeEvents(batch as CdsEvent[], city, new EncodeReport(), {
                into: (size) => {
                  fresh = encodeEvents(batch as CdsEvent[], city, new EncodeReport());
                  return new Uint8Array(size);
                },
              });
            } catch (e) {
              expect(bad).toBe(true);
              expect(e).toBeInstanceOf(ParkirEventError);
              continue;
            }
            expect(bad).toBe(false);
            expect(Buffer.from(got)).toEqual(Buffer.from(fresh!));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("BatchWriter from a byte arena (the JSON Lines reader)", () => {
  const cities = [tinyCity(), loadCity(paluCatalog())];

  test("writes the Builder's bytes for any rows", () => {
    const rowsAt = fc
      .oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 45 }))
      .chain((base) => fc.array(row(base), { maxLength: 12 }));
    fc.assert(
      fc.property(
        fc.constantFrom(...cities),
        rowsAt,
        fc.boolean(),
        fc.boolean(),
        fc.nat({ max: 7 }),
        (city, list, keepIds, useInto, shift) => {
          const { rows, strings } = columns(list);
          const baseMs = list.length === 0 ? 0 : Math.min(...list.map((r) => r.time));
          const want = builderBatch(rows, city.id, city.catalogHash, keepIds);
          const memory = new Uint8Array(want.length + 128);
          // Caller memory at a multiple of 8, reused from batch to batch as an engine's batch memory is.
          const into = useInto ? (n: number) => memory.subarray(shift * 8, shift * 8 + n + 8) : undefined;
          const writer = new BatchWriter(city);
          for (let twice = 0; twice < 2; twice++) {
            const got = writer.write(rows, strings, baseMs, keepIds, into);
            expect(Buffer.from(got)).toEqual(Buffer.from(want));
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  test("refuses memory that is too small or misaligned, as buildBatch does", () => {
    const city = tinyCity();
    const { rows, strings } = columns([
      {
        time: 5,
        target: 1,
        seq: 2,
        value: 3,
        device: 4,
        kind: 0,
        vehicle: 3,
        flags: 0,
        id: "e1",
        note: "",
      },
    ]);
    const writer = new BatchWriter(city);
    const size = writer.write(rows, strings, 5, true, undefined).length;
    for (const into of [(n: number) => new Uint8Array(n - 1), () => new Uint8Array(size + 8).subarray(4)]) {
      expect(() => writer.write(rows, strings, 5, true, into)).toThrow(ParkirError);
      expect(() => buildBatch(rows, city, new EncodeReport(), true, into)).toThrow(ParkirError);
    }
  });
});

/**
 * BatchWriter against the FlatBuffers Builder (encode.ts buildBatch): the same bytes for any rows — empty batches,
 * a zero base time, ids and annotations of any length and content (empty, unicode, long), with and without ids
 * and annotations, into fresh or caller memory — and the same refusal of memory that is too small or misaligned.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { loadCity } from "../../src/catalog/index.js";
import { ParkirError } from "../../src/errors/index.js";
import { paluCatalog } from "../../src/generate/index.js";
import { BatchWriter } from "../../src/wire/batch-writer.js";
import { buildBatch, EncodeReport, Rows } from "../../src/wire/encode.js";
import { tinyCity } from "../helpers.js";

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

const u32 = fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff), fc.nat({ max: 0xffffffff }));
const text = fc.oneof(
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
    id: text,
    note: fc.oneof({ weight: 3, arbitrary: fc.constant("") }, { weight: 1, arbitrary: text }),
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
    rows.timeMs[k] = r.time;
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
    idAt[k] = at;
    idLength[k] = enc.encodeInto(r.id, arena.subarray(at)).written;
    at += idLength[k]!;
    noteAt[k] = at;
    noteLength[k] = enc.encodeInto(r.note, arena.subarray(at)).written;
    at += noteLength[k]!;
  }
  rows.length = list.length;
  return { rows, strings: { arena, idAt, idLength, noteAt, noteLength } };
}

describe("BatchWriter", () => {
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
          const want = buildBatch(rows, city, new EncodeReport(), keepIds, undefined);
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

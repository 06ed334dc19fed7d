/**
 * buildBatch writes EventBatch bytes by hand (BatchWriter): they must be byte for byte what the flatbuffers
 * Builder writes through the generated EventBatch code, on any rows — no events, times at the base and far
 * from it, every field at its edges, event ids and annotations (strings, UTF-8 bytes, unicode, empty), a
 * catalogue hash or base time of 0 (fields left out), city ids of every length (every padding).
 */
import fc from "fast-check";
import { Builder } from "flatbuffers";
import { describe, expect, test } from "vitest";
import type { City } from "../../src/catalog/index.js";
import { ParkirEventError } from "../../src/errors/index.js";
import { buildBatch, EncodeReport, encodeEvents, Rows } from "../../src/wire/encode.js";
import type { CdsEvent } from "../../src/wire/events.js";
import { Event } from "../../src/wire/generated/event.js";
import { EventBatch } from "../../src/wire/generated/event-batch.js";
import { BATCH_IDENTIFIER, BATCH_SPAN_MS_MAX } from "../../src/wire/layout.js";
import { arbEvent, tinyCity } from "../helpers.js";

/** The batch as the generated FlatBuffers code builds it (the reference). */
function builderBatch(rows: Rows, cityId: string, hash: number, keepIds: boolean): Uint8Array {
  const n = rows.length;
  let base = Number.POSITIVE_INFINITY;
  for (let k = 0; k < n; k++) base = Math.min(base, rows.timeMs[k]!);
  if (n === 0) base = 0;
  const b = new Builder(16);
  const str = (t: string | Uint8Array) => b.createString(t);
  const cityOff = b.createString(cityId);
  const idsOff = keepIds ? EventBatch.createEventIdsVector(b, rows.id.map(str)) : 0;
  let notesOff = 0;
  if (rows.notes) {
    const empty = b.createString("");
    notesOff = EventBatch.createAnnotationsVector(
      b,
      rows.note.map((t) => (t === "" ? empty : str(t))),
    );
  }
  EventBatch.startEventsVector(b, n);
  for (let k = n - 1; k >= 0; k--) {
    Event.createEvent(
      b,
      rows.timeMs[k]! - base,
      rows.target[k]!,
      rows.seq[k]!,
      rows.value[k]!,
      rows.kind[k]!,
      rows.vehicle[k]!,
      rows.flags[k]!,
      0,
      rows.device[k]!,
    );
  }
  const eventsOff = b.endVector();
  EventBatch.startEventBatch(b);
  EventBatch.addBaseTimeMs(b, base);
  EventBatch.addCity(b, cityOff);
  EventBatch.addCatalogHash(b, hash);
  EventBatch.addEvents(b, eventsOff);
  if (keepIds) EventBatch.addEventIds(b, idsOff);
  if (notesOff !== 0) EventBatch.addAnnotations(b, notesOff);
  b.finish(EventBatch.endEventBatch(b), BATCH_IDENTIFIER);
  return b.asUint8Array().slice();
}

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
          for (const r of items) {
            const k = rows.length++;
            rows.timeMs[k] = baseMs + r.dt;
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

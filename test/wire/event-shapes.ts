/**
 * Objects in every shape an event can arrive in, for the validation and encoder properties: valid events, the same
 * reshaped (keys in another order, getters, class instances, unicode ids), and broken ones (a field at or past its
 * edges, removed, not enumerable, or an unknown one added; inherited keys; arrays; other values).
 */
import fc from "fast-check";
import { EVENT_TIME_MS_MAX } from "../../src/wire/events.js";
import { EVENT_KEYS, toJsonLines } from "../../src/wire/jsonl.js";
import type { JsonLinesReader, ReadInto } from "../../src/wire/jsonl-parse.js";
import { arbEvent, T0_MS } from "../helpers.js";

/** Values at and past every field's edges, of every type. */
export const edgeValue = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    "",
    "x".repeat(256),
    "x".repeat(257),
    "car",
    "nope",
    "toString",
    "__proto__",
    "park_start",
    "payment_end",
    "manual_count",
    "scheduled_report",
    "Z1",
    "Z1-B1",
    "S1",
    "GATE-1",
    0,
    -0,
    -1,
    1.5,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0x100000000,
    EVENT_TIME_MS_MAX,
    EVENT_TIME_MS_MAX + 1,
    8.64e15,
    T0_MS,
    T0_MS + 0.5,
    Number.MAX_SAFE_INTEGER,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    true,
    false,
    "2026-11-30T09:00:00+08:00",
    "2026-11-30T09:00:00.123456789Z",
    "2026-02-29T00:00Z",
    "2026-11-30T09:00:00",
  ),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
);

/** Ids with unicode: astral characters, lone surrogates, NUL, quotes (written to the arena as UTF-8). */
export const unicodeId = fc.oneof(
  fc.string({ unit: "binary", minLength: 1, maxLength: 12 }),
  fc.string({
    unit: fc.constantFrom("a", "é", "\u{1F697}", "\ud800", "\udc00", '"', "\\", "\u0000"),
    minLength: 1,
    maxLength: 8,
  }),
);

/** Valid events (for tinyCity, some ids unknown) and the same reshaped: keys in another order, getters, a class instance, fields changed, removed or added. */
export const arbEventShape: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: arbEvent(true) },
  // Keys in any order.
  fc.tuple(arbEvent(true), fc.infiniteStream(fc.nat())).map(([e, rnd]) => {
    const keys = Object.keys(e);
    for (let i = keys.length - 1; i > 0; i--) {
      const j = rnd.next().value % (i + 1);
      [keys[i], keys[j]] = [keys[j]!, keys[i]!];
    }
    const o: Record<string, unknown> = {};
    for (const k of keys) o[k] = (e as unknown as Record<string, unknown>)[k];
    return o;
  }),
  // Some fields behind (pure) getters.
  fc.tuple(arbEvent(true), fc.subarray([...EVENT_KEYS])).map(([e, getters]) => {
    const o: Record<string, unknown> = { ...e };
    for (const k of getters) {
      if (!(k in o)) continue;
      const v = o[k];
      Object.defineProperty(o, k, { get: () => v, enumerable: true, configurable: true });
    }
    return o;
  }),
  // A class instance (its prototype adds no enumerable keys).
  arbEvent(true).map((e) => Object.assign(new (class Reading {})(), e)),
  // Unicode event and device ids.
  fc.tuple(arbEvent(true), unicodeId).map(([e, id]) => ({ ...e, event_id: id })),
  fc
    .tuple(arbEvent(true), unicodeId)
    .map(([e, id]) => (e.data_source_device_id === undefined ? e : { ...e, data_source_device_id: id })),
  // A field set to a value at or past its edges, removed, or an unknown field added.
  fc.tuple(arbEvent(true), fc.constantFrom(...EVENT_KEYS), edgeValue).map(([e, k, v]) => ({ ...e, [k]: v })),
  fc.tuple(arbEvent(true), fc.constantFrom(...EVENT_KEYS)).map(([e, k]) => {
    const o: Record<string, unknown> = { ...e };
    delete o[k];
    return o;
  }),
  fc.tuple(arbEvent(true), fc.string({ maxLength: 10 }), edgeValue).map(([e, k, v]) => ({ ...e, [k]: v })),
  arbEvent(true).map((e) => Object.assign(Object.create({ extra: 1 }) as object, e)),
  arbEvent(true).map((e) => Object.assign(Object.create({ curb_zone_id: "Z1" }) as object, e)),
  arbEvent(true).map((e) => Object.assign(Object.create(null) as object, e)),
  arbEvent(true).map((e) => {
    // A known field that is not enumerable, and an unknown one that is: the walk of keys must catch it.
    const o: Record<string, unknown> = { ...e, extra: 1 };
    Object.defineProperty(o, "event_id", { value: e.event_id, enumerable: false });
    return o;
  }),
  arbEvent(true).map((e) => Object.assign([], e)),
  fc.dictionary(fc.constantFrom(...EVENT_KEYS), edgeValue),
  edgeValue,
);

/**
 * JSON Lines of up to `maxEvents` random events (unknown ids too) with up to `maxSplices` bytes spliced in anywhere
 * (quotes, escapes, newlines, CR, tabs, DEL, a UTF-8 lead byte, digits, braces), newline-terminated or not at the end.
 */
export function arbJsonLines(maxEvents: number, maxSplices = 4): fc.Arbitrary<Uint8Array> {
  const enc = new TextEncoder();
  return fc
    .tuple(
      fc.array(arbEvent(true), { maxLength: maxEvents }),
      fc.array(
        fc.tuple(fc.nat(), fc.constantFrom(0x22, 0x5c, 0x0a, 0x20, 0x09, 0x0d, 0x7f, 0xc3, 0x31, 0x7d)),
        { maxLength: maxSplices },
      ),
      fc.boolean(),
    )
    .map(([events, splices, cut]) => {
      const bytes = [...enc.encode(toJsonLines(events))];
      for (const [at, b] of splices) bytes.splice(at % (bytes.length + 1), 0, b);
      if (cut && bytes.length > 0) bytes.pop();
      return Uint8Array.from(bytes);
    });
}

/**
 * Everything `reader` hands over (batches as hex, errors as `line message`), its report and counters, for input
 * pushed chunk by chunk or filled from a source read into its memory (JsonLinesReader.fill).
 */
export function readerOutput(reader: JsonLinesReader, input: readonly Uint8Array[] | ReadInto) {
  const batches: string[] = [];
  const errors: string[] = [];
  const take = () => {
    for (let c = reader.next(); c !== null; c = reader.next()) {
      if (c.batch !== undefined) batches.push(Buffer.from(c.batch).toString("hex"));
      for (const e of c.errors) errors.push(`${e.line} ${e.message}`);
    }
  };
  if (typeof input === "function") while (reader.fill(input)) take();
  else
    for (const chunk of input) {
      reader.push(chunk);
      take();
    }
  reader.end();
  take();
  return { batches, errors, report: { ...reader.report }, counters: { ...reader.counters } };
}

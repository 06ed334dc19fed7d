/**
 * Session keys (payments.ts SessionKeys): the numbers payments are told apart by, looked up by a session id's
 * UTF-8 bytes in place or by the string. Against a Map model on random operations that grow the tables and
 * compact the arena; and through the engine, session ids that take every path of sessionKeyOf (read in place,
 * escaped, non-ASCII, empty) are told apart and matched exactly.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { OccupancyEngine } from "../../src/occupancy/index.js";
import { SessionKeys } from "../../src/occupancy/payments.js";
import { sessionKeyOf } from "../../src/occupancy/zone-events.js";
import {
  type CdsEvent,
  EventBatchView,
  encodeEvents,
  JsonLinesReader,
  toJsonLines,
} from "../../src/wire/index.js";
import { testCity } from "./fixtures.js";

const utf8 = new TextEncoder();

/** Session ids that reach the hard cases: empty, quotes and backslashes, non-ASCII, astral, long, near-equal. */
const sessionId = fc.oneof(
  fc.constantFrom(
    "",
    "a",
    "b",
    "ab",
    "ba",
    'q"uote',
    "back\\slash",
    "é",
    "e\u0301",
    "😀",
    "\u0000",
    "x".repeat(300),
  ),
  fc.string({ unit: fc.constantFrom("a", "b", "é", "😀", '"', "\\"), maxLength: 6 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
);

/** Valid event_session_id values: 1 to 256 characters, none repeated. */
const validSessionIds = fc.uniqueArray(
  sessionId.filter((s) => s.length >= 1 && s.length <= 256),
  { minLength: 1, maxLength: 8 },
);

type Op =
  | { op: "key"; zone: number; id: string; bytes: boolean; pad: number; retain: boolean }
  | { op: "release"; pick: number }
  | { op: "drop"; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant("key" as const),
      zone: fc.integer({ min: 0, max: 3 }),
      id: sessionId,
      bytes: fc.boolean(),
      pad: fc.nat(7),
      retain: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("release" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("drop" as const), pick: fc.nat() }) },
);

describe("SessionKeys", () => {
  test("gives one key per held (zone, session id) pair, by bytes or by string, forgets a pair with its last reference, and lists the pairs in canonical order", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.integer({ min: 0, max: 2500 }), (ops, bulk) => {
        const keys = new SessionKeys();
        // Model: pair -> key and references.
        const held = new Map<string, { k: number; refs: number; zone: number; id: string }>();
        // Held keys: pair by key, and a list of them to pick from (removed by swapping with the last).
        const byKey = new Map<number, string>();
        const list: number[] = [];
        const at = new Map<number, number>();
        const hold = (k: number, name: string) => {
          byKey.set(k, name);
          at.set(k, list.length);
          list.push(k);
        };
        const unhold = (k: number) => {
          byKey.delete(k);
          const i = at.get(k)!;
          const last = list.pop()!;
          if (last !== k) {
            list[i] = last;
            at.set(last, i);
          }
          at.delete(k);
        };
        const pair = (zone: number, id: string) => `${zone}\u0001${id}`;
        const lookUp = (zone: number, id: string, bytes: boolean, pad: number): number => {
          if (!bytes) return keys.key(zone, id);
          // The id's bytes at an offset inside other bytes, as in a batch's annotation.
          const b = utf8.encode(id);
          const buf = new Uint8Array(b.length + 2 * pad).fill(0x22);
          buf.set(b, pad);
          return keys.keyOf(zone, buf, pad, pad + b.length);
        };
        const apply = (o: Op) => {
          if (o.op === "key") {
            const k = lookUp(o.zone, o.id, o.bytes, o.pad);
            const m = held.get(pair(o.zone, o.id));
            if (m !== undefined) expect(k).toBe(m.k);
            else {
              // A new pair gets a key no held pair has.
              expect(byKey.has(k)).toBe(false);
              held.set(pair(o.zone, o.id), { k, refs: 0, zone: o.zone, id: o.id });
              hold(k, pair(o.zone, o.id));
            }
            const e = held.get(pair(o.zone, o.id))!;
            if (o.retain) {
              keys.retain(k);
              e.refs++;
            } else if (e.refs === 0) {
              keys.dropIfUnused(k);
              held.delete(pair(o.zone, o.id));
              unhold(k);
            }
            return;
          }
          if (held.size === 0) return;
          const name = byKey.get(list[o.pick % list.length]!)!;
          const e = held.get(name)!;
          if (o.op === "drop") {
            keys.dropIfUnused(e.k); // held pairs here have references: nothing is forgotten
            return;
          }
          keys.release(e.k);
          if (--e.refs === 0) {
            held.delete(name);
            unhold(e.k);
          }
        };
        // Many retained pairs first (tables grow, arena compacts as they are released), then the random ops.
        for (let i = 0; i < bulk; i++)
          apply({
            op: "key",
            zone: i % 4,
            id: `bulk-${i}-${"z".repeat(i % 37)}`,
            bytes: i % 2 === 0,
            pad: i % 5,
            retain: true,
          });
        for (let i = 0; i < bulk; i += 2) apply({ op: "release", pick: i });
        for (const o of ops) apply(o);
        expect(keys.size).toBe(held.size);
        for (const e of held.values()) {
          expect(keys.zone(e.k)).toBe(e.zone);
          // Strings that are not valid UTF-16 are held by their UTF-8 (lone surrogates as U+FFFD).
          expect(keys.session(e.k)).toBe(new TextDecoder().decode(utf8.encode(e.id)));
        }
        const want = [...held.values()]
          .sort((a, b) => a.zone - b.zone || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
          .map((e) => e.k);
        const { keys: order, index } = keys.canonical();
        expect(order).toEqual(want);
        for (const [i, k] of order.entries()) expect(index.get(k)).toBe(i);
      }),
      { numRuns: 30 },
    );
  }, 60_000);
});

describe("payments told apart by session id, through the engine", () => {
  const city = testCity();
  const T0 = Date.UTC(2026, 0, 5, 8);
  const pay = (kind: "payment_start" | "payment_end", id: string, session: string, t: number): CdsEvent => ({
    event_id: id,
    event_type: kind,
    event_time: t,
    curb_zone_id: "D",
    event_session_id: session,
    vehicle_type: "car",
    ...(kind === "payment_end" ? { actual_cost: 4000 } : {}),
  });

  test("a copy of a payment (another event_id, the same session id) is a duplicate whatever the id holds, and only an equal id is", () => {
    fc.assert(
      fc.property(validSessionIds, fc.boolean(), (ids, jsonl) => {
        const events: CdsEvent[] = [];
        for (const [i, s] of ids.entries()) events.push(pay("payment_start", `a${i}`, s, T0 + i * 1000));
        // Copies under other event ids: the same (kind, zone, session) key.
        for (const [i, s] of ids.entries()) events.push(pay("payment_start", `b${i}`, s, T0 + i * 1000 + 1));
        const engine = new OccupancyEngine(city, { clock: () => T0 });
        let batches: Uint8Array[];
        if (jsonl) {
          // Through the JSON Lines reader: ids with escapes are read by JSON.parse, the others in place.
          const reader = new JsonLinesReader(city);
          reader.push(utf8.encode(toJsonLines(events)));
          reader.end();
          batches = [];
          for (let c = reader.next(); c !== null; c = reader.next())
            if (c.batch) batches.push(c.batch.slice());
        } else batches = [encodeEvents(events, city)];
        let accepted = 0;
        let duplicate = 0;
        for (const b of batches) {
          const r = engine.ingest(b);
          accepted += r.accepted;
          duplicate += r.duplicate;
        }
        expect({ accepted, duplicate }).toEqual({ accepted: ids.length, duplicate: ids.length });
        // The checkpoint holds every session id as it was given, and a restored engine still knows them.
        const restored = OccupancyEngine.restore(city, engine.checkpoint(), { clock: () => T0 });
        const again = restored.ingest(encodeEvents(events.slice(0, ids.length), city));
        expect(again).toMatchObject({ accepted: 0, duplicate: ids.length });
      }),
      { numRuns: 80 },
    );
  });

  test("a batch's session id read in place (or through JSON.parse when escaped) is the key of the id as a string, with or without event ids", () => {
    fc.assert(
      fc.property(validSessionIds, fc.boolean(), (ids, keepEventIds) => {
        const events = ids.map((s, i) =>
          pay(i % 2 === 0 ? "payment_start" : "payment_end", `e${i}`, s, T0 + i),
        );
        const view = EventBatchView.from(encodeEvents(events, city, undefined, { keepEventIds }), { city });
        const keys = new SessionKeys();
        const zone = city.zoneIndex("D");
        for (const [i, s] of ids.entries()) expect(sessionKeyOf(keys, view, i, zone)).toBe(keys.key(zone, s));
        expect(keys.size).toBe(ids.length);
      }),
      { numRuns: 100 },
    );
  });
});

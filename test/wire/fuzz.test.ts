import fc from "fast-check";
import { expect, test } from "vitest";
import { ParkirWireError } from "../../src/errors/index.js";
import { decodeEvents, EventBatchView, encodeEvents, verifyBatch } from "../../src/wire/index.js";
import { arbEvent, tinyCity } from "../helpers.js";

const city = tinyCity();

/**
 * Every buffer either verifies — and then every event and string can be read without a RangeError —
 * or is refused with a ParkirWireError. Anything else (RangeError from an out-of-bounds read,
 * TypeError, a hang) fails the property.
 */
function checkBuffer(bytes: Uint8Array): "ok" | "refused" {
  let view: EventBatchView;
  try {
    view = EventBatchView.from(bytes, { city });
  } catch (e) {
    if (e instanceof ParkirWireError) return "refused";
    throw e;
  }
  let sum = 0;
  for (let i = 0; i < view.length; i++) {
    sum +=
      view.timeMs(i) +
      view.target(i) +
      view.seq(i) +
      view.value(i) +
      view.kind(i) +
      view.vehicle(i) +
      view.flags(i) +
      view.device(i);
    sum += view.eventId(i).length + view.annotation(i).length;
  }
  expect(Number.isFinite(sum)).toBe(true);
  // A verified batch also decodes, or refuses a corrupt annotation with a typed error.
  try {
    decodeEvents(view, city);
  } catch (e) {
    if (!(e instanceof ParkirWireError)) throw e;
  }
  return "ok";
}

/** Valid batches to mutate. */
const seeds = fc
  .sample(fc.array(arbEvent(), { minLength: 1, maxLength: 12 }), { numRuns: 64, seed: 42 })
  .map((events) => encodeEvents(events, city));

const mutation = fc.record({
  seed: fc.nat(seeds.length - 1),
  edits: fc.array(
    fc.oneof(
      fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }),
      fc.record({
        op: fc.constant("set32" as const),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 0xffffffff }),
      }),
      fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
      fc.record({ op: fc.constant("extend" as const), by: fc.integer({ min: 1, max: 64 }) }),
    ),
    { minLength: 1, maxLength: 4 },
  ),
});

function mutate(m: { seed: number; edits: readonly Record<string, number | string>[] }): Uint8Array {
  let b = new Uint8Array(seeds[m.seed]!);
  for (const e of m.edits) {
    const at = (e.at as number) % Math.max(1, b.length);
    if (e.op === "flip" && b.length > 0) b[at]! ^= 1 << (e.bit as number);
    else if (e.op === "set32" && b.length >= 4)
      new DataView(b.buffer).setUint32(Math.min(at, b.length - 4) & ~3, e.value as number, true);
    else if (e.op === "truncate") b = b.slice(0, at);
    else if (e.op === "extend") {
      const n = new Uint8Array(b.length + (e.by as number));
      n.set(b);
      b = n;
    }
  }
  return b;
}

test("100,000 random and mutated buffers: verified or refused with ParkirWireError, never an out-of-bounds read", () => {
  const counts = { ok: 0, refused: 0 };
  // 40,000 purely random buffers, half of them with the right identifier so the walk goes deeper.
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 256 }), fc.boolean(), (raw, tagged) => {
      const b = new Uint8Array(raw);
      if (tagged && b.length >= 8) b.set([0x50, 0x4b, 0x52, 0x31], 4);
      counts[checkBuffer(b)]++;
    }),
    { numRuns: 40_000, seed: 1 },
  );
  // 60,000 mutations of valid batches.
  fc.assert(
    fc.property(mutation, (m) => {
      counts[checkBuffer(mutate(m))]++;
    }),
    { numRuns: 60_000, seed: 2 },
  );
  expect(counts.ok + counts.refused).toBe(100_000);
  // The mutations must exercise both outcomes, or the fuzzer is not reaching the verifier's depth.
  expect(counts.refused).toBeGreaterThan(10_000);
  expect(counts.ok).toBeGreaterThan(1_000);
}, 120_000);

test("oversized and tiny buffers are refused with their reason", () => {
  const big = encodeEvents([], city);
  expect(() => verifyBatch(big, { maxBytes: big.length - 1 })).toThrow(
    expect.objectContaining({ reason: "too-large" }),
  );
  expect(() => verifyBatch(new Uint8Array(3))).toThrow(
    expect.objectContaining({ reason: "too-small", offset: 0 }),
  );
  const wrongId = new Uint8Array(big);
  wrongId[4] = 0x58;
  expect(() => verifyBatch(wrongId)).toThrow(
    expect.objectContaining({ reason: "bad-identifier", offset: 4 }),
  );
});

test("an event naming a bay outside the catalogue is refused with its byte offset", () => {
  const bytes = encodeEvents(
    [{ event_id: "a", event_type: "park_end", event_time: 1_796_000_000_000, curb_space_id: "Z1-B3" }],
    city,
  );
  const view = EventBatchView.from(bytes, { city });
  const at = view.eventsByteOffset - bytes.byteOffset + 4;
  const bad = new Uint8Array(bytes);
  new DataView(bad.buffer).setUint32(at, city.bayCount, true);
  expect(() => verifyBatch(bad, { city })).toThrow(
    expect.objectContaining({ reason: "bad-field", offset: at }),
  );
  // Without a catalogue the index cannot be checked, and the batch verifies.
  expect(verifyBatch(bad).count).toBe(1);
});

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ParkirEventError, ParkirWireError } from "../../src/errors/index.js";
import { readCheckpoint, writeCheckpoint } from "../../src/occupancy/checkpoint.js";
import { OccupancyEngine } from "../../src/occupancy/index.js";
import {
  decodeEvents,
  EncodeReport,
  EventBatchView,
  encodeEventBatches,
  encodeEvents,
  parseEventLines,
  parseEventTime,
  toJsonLines,
  verifyBatch,
} from "../../src/wire/index.js";
import { arbEvent, tinyCity } from "../helpers.js";
import { arbStream, testCity } from "../occupancy/fixtures.js";

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

/** Valid JSON Lines to mutate. */
const textSeeds = fc
  .sample(fc.array(arbEvent(), { minLength: 1, maxLength: 12 }), { numRuns: 64, seed: 7 })
  .map((events) => toJsonLines(events));

const textMutation = fc.record({
  seed: fc.nat(textSeeds.length - 1),
  edits: fc.array(
    fc.oneof(
      fc.record({ op: fc.constant("delete" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
      fc.record({
        op: fc.constant("insert" as const),
        at: fc.nat(),
        text: fc.constantFrom(
          "\u0000",
          "\n",
          "}",
          '"',
          ",",
          "-",
          "9",
          '"event_time":"2026-02-30T09:00:00Z",',
          '"event_time":8640000000000000,',
          '"event_time":-1,',
          '"__proto__":{},',
          '"vehicle_count":1e308,',
          "x".repeat(70_000),
        ),
      }),
      fc.record({ op: fc.constant("digit" as const), at: fc.nat(), digit: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ op: fc.constant("duplicate-line" as const), at: fc.nat() }),
    ),
    { minLength: 1, maxLength: 6 },
  ),
});

function mutateText(
  text: string,
  edits: readonly { op: string; at: number; [k: string]: unknown }[],
): string {
  let t = text;
  for (const e of edits) {
    const at = t.length === 0 ? 0 : e.at % (t.length + 1);
    if (e.op === "delete") t = t.slice(0, at) + t.slice(at + (e.n as number));
    else if (e.op === "insert") t = t.slice(0, at) + (e.text as string) + t.slice(at);
    else if (e.op === "digit") {
      const i = t.slice(at).search(/\d/);
      if (i >= 0) t = t.slice(0, at + i) + String(e.digit) + t.slice(at + i + 1);
    } else {
      const lines = t.split("\n");
      const k = e.at % lines.length;
      lines.splice(k, 0, lines[k]!);
      t = lines.join("\n");
    }
  }
  return t;
}

test("mutated JSON Lines: every line is an event or a typed error with its line; what is accepted encodes to a batch the verifier accepts", () => {
  fc.assert(
    fc.property(textMutation, ({ seed, edits }) => {
      const text = mutateText(textSeeds[seed]!, edits);
      const parsed = parseEventLines(text, { errorsMax: 5 });
      const lines = text.split("\n").filter((l) => l.trim() !== "").length;
      expect(parsed.events.length + parsed.invalid).toBeLessThanOrEqual(lines);
      if (parsed.stopped === undefined) expect(parsed.events.length + parsed.invalid).toBe(lines);
      expect(parsed.errors.length).toBe(Math.min(parsed.invalid, 5 + (parsed.stopped === undefined ? 0 : 1)));
      for (const e of parsed.errors) {
        expect(e).toBeInstanceOf(ParkirEventError);
        expect(e.line).toBeGreaterThan(0);
      }
      // Nothing parsed here can make a batch the verifier refuses (or a time that rolled over to another day).
      for (const e of parsed.events) expect(Number.isNaN(parseEventTime(e.event_time))).toBe(false);
      const report = new EncodeReport();
      for (const bytes of encodeEventBatches(parsed.events, city, 4, report)) verifyBatch(bytes, { city });
      expect(report.encoded + report.unknownBay + report.unknownZone).toBe(parsed.events.length);
    }),
    { numRuns: 3000 },
  );
});

describe("forged checkpoints: a valid checksum over hostile values", () => {
  const occCity = testCity();
  /** Checkpoints of real runs, with their sections, to forge from. */
  const bases = fc.sample(arbStream(60), { numRuns: 24, seed: 11 }).map((events) => {
    const engine = new OccupancyEngine(occCity, { kernel: "js" });
    const cut = Math.max(1, events.length >> 1);
    engine.ingest(encodeEvents(events.slice(0, cut), occCity));
    const bytes = engine.checkpoint();
    return { parts: readCheckpoint(bytes), rest: events.slice(cut) };
  });
  const HOSTILE = [
    1e300,
    -1e300,
    2 ** 53,
    -(2 ** 31),
    2 ** 32,
    0.5,
    -1,
    0,
    Number.POSITIVE_INFINITY,
    8.64e15,
  ];
  const forgery = fc.record({
    base: fc.nat(bases.length - 1),
    edits: fc.array(
      fc.record({
        section: fc.constantFrom("reg", "rows.acc", "pending.time", "bays.state", "bays.time", "dedup.mode"),
        at: fc.nat(),
        f64: fc.oneof(fc.constantFrom(...HOSTILE), fc.double({ noNaN: true })),
        u32: fc.oneof(fc.constantFrom(0xffffffff, 0x80000000, 1000, 7), fc.nat()),
        width: fc.constantFrom(1, 4, 8),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    header: fc.boolean(),
  });

  test("restore refuses them with a ParkirWireError, or the restored engine stays sane and bounded", () => {
    let refused = 0;
    fc.assert(
      fc.property(
        forgery,
        fc.constantFrom<"js" | "wasm">("js", "wasm"),
        ({ base, edits, header }, kernel) => {
          const { parts, rest } = bases[base]!;
          const sections = new Map<string, Uint8Array>();
          for (const [name, bytes] of parts.sections)
            if (name !== "checksum") sections.set(name, bytes.slice());
          for (const e of edits) {
            const b = sections.get(e.section);
            if (b === undefined || b.byteLength < e.width) continue;
            const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
            const at = Math.floor((e.at % (b.byteLength - e.width + 1)) / e.width) * e.width;
            if (e.width === 8) dv.setFloat64(at, e.f64, true);
            else if (e.width === 4) dv.setUint32(at, e.u32, true);
            else dv.setUint8(at, e.u32 & 0xff);
          }
          // The header repeats the newest event time and the watermark: a forger keeps them consistent.
          const reg = new Float64Array(sections.get("reg")!.slice().buffer);
          const forged = writeCheckpoint({
            ...parts,
            sections,
            ...(header ? { watermarkMs: reg[1]!, maxEventMs: reg[0]! } : {}),
          });
          let engine: OccupancyEngine;
          try {
            engine = OccupancyEngine.restore(occCity, forged, { kernel });
          } catch (e) {
            if (!(e instanceof ParkirWireError)) throw e;
            refused++;
            return;
          }
          // Accepted: then it behaves like a state the engine could have reached.
          // (Collected, not asserted inside the emission: RxJS reports a subscriber's throw asynchronously.)
          let windows = 0;
          const insane: string[] = [];
          engine.windows$.subscribe((w) => {
            windows++;
            for (const r of w.records) {
              const ok =
                (r.occupancy === null || (r.occupancy >= 0 && r.occupancy <= 1)) &&
                r.coverage >= 0 &&
                r.coverage <= 1 &&
                (r.meanDwellMs === null || r.meanDwellMs >= 0);
              if (!ok) insane.push(JSON.stringify(r));
            }
          });
          engine.ingest(encodeEvents(rest, occCity));
          engine.close();
          expect(insane).toEqual([]);
          // The base runs span minutes: a restored state that closes thousands of windows came from a forgery.
          expect(windows).toBeLessThan(5000);
        },
      ),
      { numRuns: 1500 },
    );
    expect(refused).toBeGreaterThan(100);
  });

  test("a forged maxEventMs of 1e300 with a valid checksum is refused", () => {
    const { parts } = bases[0]!;
    const sections = new Map([...parts.sections].filter(([n]) => n !== "checksum"));
    const reg = new Float64Array(sections.get("reg")!.slice().buffer);
    reg[0] = 1e300;
    sections.set("reg", new Uint8Array(reg.buffer));
    const forged = writeCheckpoint({ ...parts, sections, maxEventMs: 1e300 });
    expect(() => OccupancyEngine.restore(occCity, forged)).toThrow(ParkirWireError);
    expect(() => OccupancyEngine.restore(occCity, forged)).toThrow(/newest event time 1e\+300 is not a time/);
  });
});

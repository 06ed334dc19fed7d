/**
 * Verification's word scans in the wasm kernel (KernelScanner, scanEvents and scanStrings of wasm/occupancy.ts)
 * against the JavaScript scans of src/wire/verify.ts: on valid batches and on batches with random bytes and words
 * overwritten (kinds, classes, flags, targets, devices, string offsets and lengths, terminators), placed in the
 * kernel's memory at every alignment, verifyBatch must return the same layout or throw the same error, with a
 * catalogue and without one.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VEHICLE_CODES } from "../../src/catalog/vehicles.js";
import { ParkirWireError } from "../../src/errors/index.js";
import { OccupancyEngine } from "../../src/occupancy/index.js";
import { WasmOccupancyKernel } from "../../src/occupancy/wasm-kernel.js";
import { type CdsEvent, encodeEvents, verifyBatch } from "../../src/wire/index.js";
import { KIND_COUNT } from "../../src/wire/kinds.js";
import {
  EV_DEVICE,
  EV_FLAGS,
  EV_KIND,
  EV_RESERVED,
  EV_TARGET,
  EV_VEHICLE,
  EVENT_STRIDE,
} from "../../src/wire/layout.js";
import { arbEvent, tinyCity } from "../helpers.js";

const city = tinyCity();
const kernel = new WasmOccupancyKernel();
/** Room for the largest batch below at any of the four alignments. */
const region = kernel.arena.alloc(1 << 16, 64);

/** The outcome of verifyBatch as comparable data: the layout, or the error's reason, offset and message. */
function outcome(f: () => unknown): unknown {
  try {
    return { layout: f() };
  } catch (e) {
    if (!(e instanceof ParkirWireError)) throw e;
    return { reason: e.reason, offset: e.offset, message: e.message };
  }
}

/** `bytes` copied into the kernel's memory at `shift` bytes past an 8-aligned address. */
function staged(bytes: Uint8Array, shift: number): Uint8Array {
  const at = new Uint8Array(kernel.arena.memory.buffer, region + shift, bytes.length);
  at.set(bytes);
  return at;
}

/** One overwrite: a byte or a little-endian word at a position (taken modulo the length). */
const arbEdit = fc.record({
  at: fc.nat(),
  value: fc.oneof(fc.nat(0xff), fc.constantFrom(0, 1, 2, 0xff, 0xffff, 0xffffffff), fc.nat(0xffffffff)),
  word: fc.boolean(),
});

function edit(bytes: Uint8Array, edits: readonly { at: number; value: number; word: boolean }[]): Uint8Array {
  const out = new Uint8Array(bytes);
  const dv = new DataView(out.buffer);
  for (const e of edits) {
    if (e.word && out.length >= 4) dv.setUint32(e.at % (out.length - 3), e.value >>> 0, true);
    else if (out.length > 0) out[e.at % out.length] = e.value & 0xff;
  }
  return out;
}

/**
 * One damage aimed at what the scans check, with values at each limit (−2 to +2): a struct field of one
 * event, or one event_id string's offset, length or terminator.
 */
const arbAimed = fc.record({
  event: fc.nat(),
  what: fc.constantFrom(
    "kind",
    "vehicle",
    "flags",
    "reserved",
    "target",
    "device",
    "offset",
    "length",
    "terminator",
  ),
  d: fc.integer({ min: -2, max: 2 }),
  bit: fc.nat(7),
});

type Aimed = { event: number; what: string; d: number; bit: number };

/** Applies aimed damage to a valid batch (read with the JavaScript verifier to find its parts). */
function aim(bytes: Uint8Array, damage: readonly Aimed[]): Uint8Array {
  const layout = verifyBatch(bytes, { city });
  const out = new Uint8Array(bytes);
  const dv = new DataView(out.buffer);
  const len = out.length;
  for (const a of damage) {
    if (layout.count === 0) break;
    const i = a.event % layout.count;
    const p = layout.eventsOffset + i * EVENT_STRIDE;
    const zone = (dv.getUint8(p + EV_FLAGS) & 2) !== 0;
    if (a.what === "kind") dv.setUint8(p + EV_KIND, KIND_COUNT + a.d);
    else if (a.what === "vehicle") dv.setUint8(p + EV_VEHICLE, VEHICLE_CODES + a.d);
    else if (a.what === "flags") dv.setUint8(p + EV_FLAGS, dv.getUint8(p + EV_FLAGS) ^ (1 << a.bit));
    else if (a.what === "reserved") dv.setUint8(p + EV_RESERVED, a.d + 1);
    else if (a.what === "target")
      dv.setUint32(p + EV_TARGET, (zone ? city.zoneCount : city.bayCount) + a.d, true);
    else if (a.what === "device")
      dv.setUint32(p + EV_DEVICE, a.bit === 0 ? 0xffffffff : city.deviceCount + a.d, true);
    else if (layout.eventIdsOffset >= 0) {
      const pos = layout.eventIdsOffset + 4 * i;
      const s = pos + dv.getUint32(pos, true);
      if (s + 4 > len) continue;
      if (a.what === "offset")
        dv.setUint32(pos, (a.bit & 1) === 0 ? len - pos - 4 + a.d : s - pos + a.d, true);
      else if (a.what === "length") dv.setUint32(s, len - s - 5 + a.d, true);
      else if (s + 4 + dv.getUint32(s, true) < len) dv.setUint8(s + 4 + dv.getUint32(s, true), a.bit + 1);
    }
  }
  return out;
}

const arbBatch = fc.record({
  events: fc.array(arbEvent(), { minLength: 0, maxLength: 24 }),
  keepEventIds: fc.boolean(),
  aimed: fc.array(arbAimed, { maxLength: 2 }),
  edits: fc.array(arbEdit, { maxLength: 2 }),
  shift: fc.nat(3),
  withCity: fc.boolean(),
});

describe("verification's word scans in the wasm kernel", () => {
  it("give verifyBatch's results exactly, on valid and damaged batches at every alignment", () => {
    const seen = { ok: 0, refused: 0 };
    fc.assert(
      fc.property(arbBatch, ({ events, keepEventIds, aimed, edits, shift, withCity }) => {
        const valid = encodeEvents(events as CdsEvent[], city, undefined, { keepEventIds });
        const bytes = edit(aim(valid, aimed), edits);
        const options = withCity ? { city } : {};
        const want = outcome(() => verifyBatch(bytes, options));
        const got = outcome(() => verifyBatch(staged(bytes, shift), { ...options, scanner: kernel.scanner }));
        expect(got).toEqual(want);
        seen["layout" in (want as object) ? "ok" : "refused"]++;
      }),
      { numRuns: 5000, seed: 17 },
    );
    // Both outcomes must be reached, or the damage does not reach the scans.
    expect(seen.ok).toBeGreaterThan(300);
    expect(seen.refused).toBeGreaterThan(300);
  });

  it("give verifyBatch's results on batches of several scan blocks, damaged in any block", () => {
    const seen = { ok: 0, refused: 0 };
    fc.assert(
      fc.property(
        arbBatch,
        fc.array(arbEvent(), { minLength: 250, maxLength: 800 }),
        ({ events, keepEventIds, aimed, edits, shift, withCity }, more) => {
          const valid = encodeEvents([...more, ...events] as CdsEvent[], city, undefined, { keepEventIds });
          const bytes = edit(aim(valid, aimed), edits);
          const options = withCity ? { city } : {};
          const want = outcome(() => verifyBatch(bytes, options));
          const got = outcome(() =>
            verifyBatch(staged(bytes, shift), { ...options, scanner: kernel.scanner }),
          );
          expect(got).toEqual(want);
          seen["layout" in (want as object) ? "ok" : "refused"]++;
        },
      ),
      { numRuns: 300, seed: 18 },
    );
    expect(seen.ok).toBeGreaterThan(20);
    expect(seen.refused).toBeGreaterThan(20);
  }, 60_000);

  it("decline batches outside the kernel's memory (the scans in verify.ts run instead)", () => {
    const bytes = encodeEvents(
      [{ event_id: "a", event_type: "park_start", event_time: 1_796_000_000_000, curb_space_id: "Z1-B1" }],
      city,
    );
    expect(kernel.scanner.events(bytes, 0, 1, { kindCount: 1, vehicleCodes: 1, flagsAll: 0 }, 1, 1, 1)).toBe(
      -1,
    );
    expect(kernel.scanner.strings(bytes, 0, 1)).toBe(-1);
  });

  it("refuse a damaged batch in the engine as the JS kernel does, state unchanged", () => {
    const good = encodeEvents(
      [
        { event_id: "a", event_type: "park_start", event_time: 1_796_000_000_000, curb_space_id: "Z1-B1" },
        { event_id: "b", event_type: "park_end", event_time: 1_796_000_060_000, curb_space_id: "Z1-B1" },
      ],
      city,
    );
    fc.assert(
      fc.property(fc.array(arbEdit, { minLength: 1, maxLength: 3 }), (edits) => {
        const bad = edit(good, edits);
        const results = (["js", "wasm"] as const).map((kind) => {
          const engine = new OccupancyEngine(city, { kernel: kind, clock: () => 0 });
          const r = engine.ingest(bad);
          return {
            r: { ...r, error: r.error?.message },
            checkpoint: Buffer.from(engine.checkpoint()).toString("hex"),
          };
        });
        expect(results[1]).toEqual(results[0]);
      }),
      { numRuns: 300, seed: 18 },
    );
  });
});

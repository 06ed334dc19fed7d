/**
 * DeviceKeys (the per-device sequence keys of de-duplication) against a naive model: a Map from
 * (slot, seq, time) to the time of the accepted event holding the key. Admission is replayed as the kernels
 * do it (duplicate when the key's entry time ≥ watermark; late when time < watermark; else accepted, and the
 * watermark follows the newest time less the lateness), with stores that start tiny so rebuilds, evictions
 * at the watermark and growth all happen; sequence numbers from a small range, so counters restart and
 * collide across devices and times; times often equal, and the watermark sometimes jumps.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { DeviceKeys, type SeqTimeColumn } from "../../src/occupancy/device-keys.js";
import { DEDUP_CHUNK } from "../../src/occupancy/kernel.js";
import {
  FLAG_SEQ_IS_ID_HASH,
  FLAG_SEQ_IS_SESSION_HASH,
  FLAG_TARGET_ZONE,
  NO_DEVICE,
} from "../../src/wire/layout.js";

/** The time column, as EngineState keeps it. */
function column(): SeqTimeColumn {
  const c = {
    dedupSeqTime: new Float64Array(1),
    newDedupSeqTime(n: number): Float64Array {
      c.dedupSeqTime = new Float64Array(n);
      return c.dedupSeqTime;
    },
  };
  return c;
}

const DEVICES = 5;
const ZONES = 2;

interface Ev {
  /** Device index, or NO_DEVICE (then the bay or zone named by target is the slot). */
  readonly device: number;
  readonly target: number;
  readonly zone: boolean;
  readonly seq: number;
  readonly time: number;
  /** 0, or a flag saying the seq word is a hash (no sequence key). */
  readonly hashFlag: number;
}

const arbEvent: fc.Arbitrary<Ev> = fc.record({
  device: fc.oneof(fc.integer({ min: 0, max: DEVICES - 1 }), fc.constant(NO_DEVICE)),
  target: fc.integer({ min: 0, max: ZONES - 1 }),
  zone: fc.boolean(),
  seq: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(0xffffffff)),
  time: fc.integer({ min: 0, max: 40 }),
  hashFlag: fc.oneof(
    { weight: 8, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.constantFrom(FLAG_SEQ_IS_ID_HASH, FLAG_SEQ_IS_SESSION_HASH) },
  ),
});

/** A feed in parts (each resolved at once, as the engine does), with a watermark jump after some parts. */
const arbFeed = fc.record({
  parts: fc.array(
    fc.record({
      events: fc.array(arbEvent, { minLength: 0, maxLength: 24 }),
      jump: fc.oneof(
        { weight: 4, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 12 }) },
      ),
    }),
    { minLength: 1, maxLength: 30 },
  ),
  lateness: fc.integer({ min: 0, max: 15 }),
  initial: fc.constantFrom(1, 2, 4, 16),
  base: fc.constantFrom(0, 1_700_000_000_000),
});

/** The slot rule of dedup.ts: the device, else deviceCount + zone for zone events, else the bay. */
function slotOf(e: Ev): number {
  if (e.device !== NO_DEVICE) return e.device;
  return e.zone ? DEVICES + e.target : e.target;
}

describe("DeviceKeys", () => {
  test("decides every event as a Map of (slot, seq, time) → accepted time would, across rebuilds", () => {
    fc.assert(
      fc.property(arbFeed, ({ parts, lateness, initial, base }) => {
        const col = column();
        const keys = new DeviceKeys(col, DEVICES + ZONES, initial);
        const model = new Map<string, number>();
        const ref = new Uint32Array(2 * DEDUP_CHUNK);
        let wm = Number.NEGATIVE_INFINITY;
        let maxSeen = Number.NEGATIVE_INFINITY;
        let at = 0;
        for (const part of parts) {
          const n = part.events.length;
          const words = new Uint32Array(6 * n);
          part.events.forEach((e, i) => {
            words.set(
              [
                e.time,
                e.target,
                e.seq,
                0,
                ((e.hashFlag | (e.zone ? FLAG_TARGET_ZONE : 0)) << 16) >>> 0,
                e.device,
              ],
              6 * i,
            );
          });
          // The engine resolves at batch positions that run on across parts (entries at 2 (i mod chunk)).
          const from = at % DEDUP_CHUNK;
          const shifted = new Uint32Array(6 * (from + n));
          shifted.set(words, 6 * from);
          keys.reserve(n, wm);
          keys.resolveRange(shifted, from, from + n, base, ref, DEVICES);
          part.events.forEach((e, k) => {
            const i = from + k;
            const r = ref[2 * (i & (DEDUP_CHUNK - 1))]!;
            if (e.hashFlag !== 0) {
              expect(r).toBe(0);
              return;
            }
            expect(r).toBeGreaterThan(0);
            const t = base + e.time;
            const key = `${slotOf(e)}:${e.seq}:${t}`;
            const held = model.get(key);
            const duplicate = held !== undefined && held >= wm;
            expect(col.dedupSeqTime[r]! >= wm).toBe(duplicate);
            if (duplicate || t < wm) return;
            col.dedupSeqTime[r] = t;
            model.set(key, t);
            maxSeen = Math.max(maxSeen, t);
            wm = Math.max(wm, maxSeen - lateness);
          });
          col.dedupSeqTime[0] = Number.NaN;
          at += n;
          if (part.jump > 0 && Number.isFinite(wm)) wm += part.jump;
          // The live keys are the model's keys still at or above the watermark, each once.
          const live: string[] = [];
          keys.forLive(wm, (slot, seq, t, time) => {
            expect(time).toBe(t);
            live.push(`${slot}:${seq}:${t}`);
          });
          const want = [...model].filter(([, time]) => time >= wm).map(([k]) => k);
          expect(live.sort()).toEqual(want.sort());
        }
      }),
      { numRuns: 400 },
    );
  });

  test("holds a bounded number of entries: a small multiple of the live keys plus the parts' new ones", () => {
    const col = column();
    const keys = new DeviceKeys(col, 1000, 4);
    const ref = new Uint32Array(2 * DEDUP_CHUNK);
    let wm = Number.NEGATIVE_INFINITY;
    const part = 64;
    for (let p = 0; p < 500; p++) {
      const words = new Uint32Array(6 * part);
      for (let k = 0; k < part; k++) words.set([p * part + k, 0, k, 0, 0, (p * 7 + k) % 1000], 6 * k);
      keys.reserve(part, wm);
      keys.resolveRange(words, 0, part, 0, ref, 1000);
      for (let k = 0; k < part; k++) col.dedupSeqTime[ref[2 * k]!] = p * part + k;
      col.dedupSeqTime[0] = Number.NaN;
      // Lateness of 100 time units: about 100 live keys at any time.
      wm = (p + 1) * part - 100;
      expect(keys.size).toBeLessThanOrEqual(1 + 4 * 200 + 8 * part + part);
    }
  });
});

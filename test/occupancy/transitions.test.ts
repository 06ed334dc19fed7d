/**
 * The fast path's transition table: TRANSITIONS of src/occupancy/kernel.ts (sensorTransition of every index) and
 * the TR_* words of wasm/occupancy.ts must be the same table, and each kernel's fast path (the JavaScript kernel's
 * 0/1 masks, the wasm kernel's table) must do what its general path does by the rules with branches (an offline
 * sensor's event takes the general path: it recovers, then applies the same rules). The wasm kernel's fast run
 * also stops before sensor timeouts; events it hands back that way must still get the fast path's bookkeeping
 * (checkpoints keep it). */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OccupancyEngine } from "../../src/occupancy/index.js";
import {
  ACC_BYTES,
  AF_DWELL_SUM,
  AF_KNOWN_MS,
  AF_OCC_MS,
  AU_ARRIVALS,
  AU_DEPARTURES,
  AU_DWELL_COUNT,
  AU_KNOWN,
  AU_LAST,
  AU_OCC,
  AU_PEAK,
  B_LAST,
  B_SINCE,
  B_WORD,
  BF_HAS_MSG,
  BF_OFFLINE,
  BF_START_KNOWN,
  BS_FLAGS,
  BS_ROW,
  OCCUPIED,
  PENDING_STRIDE,
  R_HEAD,
  R_TAIL,
  R_TIME_BASE,
  R_WIN_END,
  R_WIN_START,
  sensorTransition,
  TR_CHANGED,
  TR_OCC,
  TRANSITIONS,
  transitionIndex,
  transitionWords,
  UNKNOWN,
  VACANT,
} from "../../src/occupancy/kernel.js";
import type { EngineState } from "../../src/occupancy/state.js";
import type { OccupancyKernel } from "../../src/occupancy/wasm-kernel.js";
import { openWindow } from "../../src/occupancy/window-open.js";
import { encodeEvents } from "../../src/wire/index.js";
import { MIN, sensorCity } from "./fixtures.js";

describe("transition table", () => {
  it("is sensorTransition of every index, and the wasm kernel holds the same table", () => {
    for (let i = 0; i < 32; i++) {
      const state = (i >>> 2) & 3;
      expect(TRANSITIONS[i]).toBe(sensorTransition(i & 3, state === 3 ? UNKNOWN : state, i >>> 4));
      if (state !== 3) expect(transitionIndex(i & 3, state, i >>> 4)).toBe(i);
    }
    const source = readFileSync(new URL("../../wasm/occupancy.ts", import.meta.url), "utf8");
    const words = ["TR_NEXT", "TR_SK_CHANGED", "TR_ARR_DEP", "TR_DWELL_KNOWN", "TR_OCC"].map((name) => {
      const m = new RegExp(
        `const ${name}: u64 = \\(u64\\((0x[0-9a-f]+)\\) << 32\\) \\| u64\\((0x[0-9a-f]+)\\);`,
      ).exec(source);
      expect(m, name).not.toBeNull();
      return (BigInt(m![1]!) << 32n) | BigInt(m![2]!);
    });
    expect(words).toEqual(transitionWords());
  });

  it("states the rules: arrivals, departures and counts follow the state change", () => {
    for (let code = 0; code < 4; code++)
      for (const state of [UNKNOWN, VACANT, OCCUPIED])
        for (const sk of [0, 1]) {
          const e = sensorTransition(code, state, sk);
          const next = e & 3;
          const wanted = code === 0 || code === 3 ? OCCUPIED : VACANT;
          expect(next).toBe(wanted);
          expect((e >>> TR_CHANGED) & 1).toBe(next !== state ? 1 : 0);
          expect((e >>> TR_OCC) - 1).toBe((next === OCCUPIED ? 1 : 0) - (state === OCCUPIED ? 1 : 0));
        }
  });
});

// ---- one event applied to a bay set up by hand, by either kernel, through its fast or its general path ----

const city = sensorCity(1, 2);
const WS = Date.parse("2026-11-30T00:00:00+08:00");

interface Setup {
  readonly state: number;
  readonly startKnown: boolean;
  /** ms before the event: since and last of the bay. */
  readonly sinceAgo: number;
  readonly lastAgo: number;
  /** Row accumulators (the counts hold this bay's share; the last change at or before the event). */
  readonly occ: number;
  readonly known: number;
  readonly peak: number;
  readonly lastInst: number;
  readonly arrivals: number;
  readonly departures: number;
  readonly dwellCount: number;
  /** ms after the window start. */
  readonly at: number;
  /** 0 park_start, 1 park_end, 2 scheduled_report. */
  readonly kind: number;
  readonly occupied: boolean;
}

const arbSetup: fc.Arbitrary<Setup> = fc
  .record({
    state: fc.constantFrom(UNKNOWN, VACANT, OCCUPIED),
    startKnown: fc.boolean(),
    sinceAgo: fc.integer({ min: 0, max: 3 * 3_600_000 }),
    lastAgo: fc.integer({ min: 0, max: 3_600_000 }),
    occ: fc.nat(30),
    known: fc.nat(30),
    peak: fc.nat(40),
    lastInst: fc.nat(5 * MIN),
    arrivals: fc.nat(1000),
    departures: fc.nat(1000),
    dwellCount: fc.nat(1000),
    at: fc.integer({ min: 0, max: 5 * MIN - 1 }),
    kind: fc.constantFrom(0, 1, 2),
    occupied: fc.boolean(),
  })
  .map((x) => ({
    ...x,
    occ: x.occ + (x.state === OCCUPIED ? 1 : 0),
    known: x.known + (x.state === UNKNOWN ? 0 : 1),
    // Events apply in time order: the row's last change is at or before this event's instant.
    lastInst: x.lastInst % (x.at + 1),
  }));

/** The bay record and row accumulator after applying the event; `offline` sends it through the general path. */
function applyOne(kernel: "js" | "wasm", x: Setup, offline: boolean) {
  const engine = new OccupancyEngine(city, { kernel, windowMs: 5 * MIN, sensorTimeoutMs: 4 * 60 * MIN });
  const { s, k } = engine as unknown as { s: EngineState; k: OccupancyKernel };
  openWindow(s, WS);
  const base = s.reg[R_TIME_BASE]!;
  const t = WS + x.at;
  const row = s.bays[B_WORD]! >>> BS_ROW;
  const flags = BF_HAS_MSG | (x.startKnown ? BF_START_KNOWN : 0) | (offline ? BF_OFFLINE : 0);
  s.bays[B_WORD] = (row << BS_ROW) | x.state | (flags << BS_FLAGS);
  s.bays[B_SINCE] = t - x.sinceAgo - base;
  s.bays[B_LAST] = t - x.lastAgo - base;
  const u = s.accU32;
  const f = s.accF64;
  const a32 = (row * ACC_BYTES) / 4;
  const a64 = (row * ACC_BYTES) / 8;
  u[a32 + AU_OCC] = x.occ;
  u[a32 + AU_KNOWN] = x.known;
  u[a32 + AU_PEAK] = x.peak;
  u[a32 + AU_LAST] = x.lastInst;
  u[a32 + AU_ARRIVALS] = x.arrivals;
  u[a32 + AU_DEPARTURES] = x.departures;
  u[a32 + AU_DWELL_COUNT] = x.dwellCount;
  f[a64 + AF_OCC_MS] = x.occ * 5 * MIN;
  f[a64 + AF_KNOWN_MS] = x.known * 5 * MIN;
  f[a64 + AF_DWELL_SUM] = x.dwellCount * 1234;
  s.ensurePending(1);
  const head = s.reg[R_HEAD]!;
  s.pTime[head] = t;
  const p = head * PENDING_STRIDE;
  s.pWords.set([0, 1, x.occupied ? 1 : 0, x.kind, 0], p);
  s.reg[R_TAIL] = head + 1;
  k.applyEvents(s, s.reg[R_WIN_END]!);
  const word = s.bays[B_WORD]!;
  return {
    bay: {
      state: word & 3,
      startKnown: (word >>> BS_FLAGS) & BF_START_KNOWN,
      since: s.bays[B_SINCE],
      last: s.bays[B_LAST],
    },
    acc: {
      occ: u[a32 + AU_OCC],
      known: u[a32 + AU_KNOWN],
      arrivals: u[a32 + AU_ARRIVALS],
      departures: u[a32 + AU_DEPARTURES],
      dwellCount: u[a32 + AU_DWELL_COUNT],
      occMs: f[a64 + AF_OCC_MS],
      knownMs: f[a64 + AF_KNOWN_MS],
      dwellSum: f[a64 + AF_DWELL_SUM],
    },
    peak: u[a32 + AU_PEAK]!,
    lastInst: u[a32 + AU_LAST]!,
    winStart: s.reg[R_WIN_START],
  };
}

describe("fast path against the general path", () => {
  it("gives every bay and row figure the rules give, in both kernels, and the kernels the same bytes", () => {
    fc.assert(
      fc.property(arbSetup, (x) => {
        const fast = applyOne("js", x, false);
        const general = applyOne("js", x, true);
        expect(fast.bay).toEqual(general.bay);
        expect(fast.acc).toEqual(general.acc);
        // Peak bookkeeping: the same when the count changed; else the fast path may have noted the count at an
        // earlier instant, which the close (max of peak and count) takes anyway.
        if (fast.acc.occ !== x.occ)
          expect([fast.peak, fast.lastInst]).toEqual([general.peak, general.lastInst]);
        else expect(Math.max(fast.peak, fast.acc.occ!)).toBe(Math.max(general.peak, general.acc.occ!));
        expect(applyOne("wasm", x, false)).toEqual(fast);
        expect(applyOne("wasm", x, true)).toEqual(general);
      }),
      { numRuns: 400 },
    );
  });
});

describe("fast run and sensor timeouts", () => {
  /** Engines of both kernels on the same events, one per batch, checkpointed after each. */
  function checkpoints(kernel: "js" | "wasm", events: Parameters<typeof encodeEvents>[0]): string[] {
    const grid = sensorCity(5, 4);
    const engine = new OccupancyEngine(grid, {
      kernel,
      windowMs: 5 * MIN,
      allowedLatenessMs: 2 * MIN,
      sensorTimeoutMs: 10 * MIN,
      clock: () => 0,
    });
    const out: string[] = [];
    engine.windows$.subscribe((w) => out.push(JSON.stringify(w.records)));
    for (const e of events) {
      engine.ingest(encodeEvents([e], grid));
      out.push(Buffer.from(engine.checkpoint()).toString("hex"));
    }
    engine.close();
    out.push(Buffer.from(engine.checkpoint()).toString("hex"));
    return out;
  }

  it("an event right after a timeout gets the fast path's peak bookkeeping (checkpoints equal)", () => {
    // Z2-B0's sensor times out between the second and third event; the third, a park_start on a bay already
    // occupied (no change of the count), comes after the timeout.
    const t0 = Date.parse("2026-11-30T00:00:00+08:00");
    const events = [
      { event_id: "a", event_type: "park_end" as const, event_time: t0, curb_space_id: "Z2-B0" },
      { event_id: "b", event_type: "park_start" as const, event_time: t0 + 508_275, curb_space_id: "Z3-B2" },
      { event_id: "c", event_type: "park_start" as const, event_time: t0 + 600_001, curb_space_id: "Z3-B2" },
    ];
    expect(checkpoints("wasm", events)).toEqual(checkpoints("js", events));
  });

  it("random sensor grids whose sensors time out between events give the same checkpoints in both kernels", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.nat(4),
            fc.nat(3),
            fc.constantFrom(0, 1, 2),
            fc.boolean(),
            fc.integer({ min: 0, max: 12 * MIN }),
          ),
          { maxLength: 40 },
        ),
        (steps) => {
          let t = Date.parse("2026-11-30T00:00:00+08:00");
          const events = steps.map(([z, b, kind, occupied, dt], i) => {
            t += dt;
            return {
              event_id: `g${i}`,
              event_type: (["park_start", "park_end", "scheduled_report"] as const)[kind]!,
              event_time: t,
              curb_space_id: `Z${z}-B${b}`,
              ...(kind === 2 ? { occupied } : {}),
            };
          });
          expect(checkpoints("wasm", events)).toEqual(checkpoints("js", events));
        },
      ),
      { numRuns: 60 },
    );
  });
});

/**
 * Differential tests: the occupancy engine with the wasm kernel against the JS reference kernel, on random
 * catalogues and event streams with duplicates, reordering within the lateness, late events and silent
 * sensors. Every output (ingest results, windows, late and health reports, counters, snapshots) and every
 * checkpoint must be byte-identical.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type City, loadCity } from "../../src/catalog/index.js";
import { OccupancyEngine, type OccupancyOptions, type WindowBatch } from "../../src/occupancy/index.js";
import * as K from "../../src/occupancy/kernel.js";
import { OCCUPANCY_SLOTS, WasmOccupancyKernel } from "../../src/occupancy/wasm-kernel.js";
import { type CdsEvent, encodeEvents } from "../../src/wire/index.js";
import { arbEvent, tinyCity } from "../helpers.js";
import { arbCopiedFeed, collidingPayments } from "../occupancy/copies.js";
import { arbStream, deliver, MIN, sensorCity, split, T0, testCity } from "../occupancy/fixtures.js";

type Kernel = "js" | "wasm";

/** Everything an engine run produced, as one string per output and the checkpoints taken on the way. */
interface Trace {
  readonly lines: string[];
  readonly checkpoints: Uint8Array[];
}

function windowText(w: WindowBatch): string {
  return JSON.stringify({ start: w.windowStart, end: w.windowEnd, records: w.records });
}

/** Runs batches through an engine with the given kernel; checkpoints after the batches listed in `at`. */
function trace(
  city: City,
  batches: readonly Uint8Array[],
  options: OccupancyOptions,
  kernel: Kernel,
  at: ReadonlySet<number> = new Set(),
): Trace {
  const engine = new OccupancyEngine(city, { ...options, kernel, clock: () => 0 });
  return drive(engine, batches, at, 0);
}

function drive(
  engine: OccupancyEngine,
  batches: readonly Uint8Array[],
  at: ReadonlySet<number>,
  from: number,
): Trace {
  const lines: string[] = [];
  const checkpoints: Uint8Array[] = [];
  engine.windows$.subscribe((w) => lines.push(`W ${windowText(w)}`));
  engine.late$.subscribe((r) => lines.push(`L ${JSON.stringify(r)}`));
  engine.health$.subscribe((r) => lines.push(`H ${JSON.stringify(r)}`));
  for (let i = from; i < batches.length; i++) {
    const { error, ...result } = engine.ingest(batches[i]!);
    lines.push(`R ${JSON.stringify(result)} ${error?.reason ?? ""}`);
    if (at.has(i)) {
      checkpoints.push(engine.checkpoint());
      lines.push(`S ${JSON.stringify(engine.snapshot())}`);
    }
  }
  engine.close();
  lines.push(`C ${JSON.stringify(engine.counters)}`);
  checkpoints.push(engine.checkpoint());
  return { lines, checkpoints };
}

function expectSame(a: Trace, b: Trace): void {
  expect(b.lines).toEqual(a.lines);
  expect(b.checkpoints.length).toBe(a.checkpoints.length);
  for (let i = 0; i < a.checkpoints.length; i++)
    expect(Buffer.compare(a.checkpoints[i]!, b.checkpoints[i]!)).toBe(0);
}

const OPTS: OccupancyOptions = { windowMs: 5 * MIN, allowedLatenessMs: 2 * MIN, sensorTimeoutMs: 10 * MIN };
const arbDelays = fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 1, maxLength: 50 });
const arbSizes = fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 10 });

/** A stream over testCity with re-sent copies (duplicates), some events held back past the lateness (late). */
const arbMessyStream = fc
  .tuple(
    arbStream(150),
    arbDelays,
    fc.array(fc.nat(1000), { maxLength: 30 }),
    fc.array(fc.tuple(fc.nat(1000), fc.integer({ min: 1, max: 40 })), { maxLength: 10 }),
  )
  .map(([events, delays, dupPicks, latePicks]) => {
    let out = deliver(events, delays, OPTS.allowedLatenessMs!);
    // Duplicates: copies of earlier events re-delivered later (LoRaWAN retransmissions).
    for (const p of dupPicks) {
      if (out.length === 0) break;
      const i = p % out.length;
      out.splice(Math.min(out.length, i + 1 + (p % 7)), 0, { ...out[i]! });
    }
    // Late events: moved far behind their time.
    for (const [p, by] of latePicks) {
      if (out.length < 2) break;
      const i = p % out.length;
      const [e] = out.splice(i, 1);
      out = [...out.slice(0, Math.min(out.length, i + by)), e!, ...out.slice(Math.min(out.length, i + by))];
    }
    return out;
  });

describe("wasm occupancy kernel = JS reference", () => {
  const city = testCity();

  it("gives identical outputs and checkpoints on messy streams (duplicates, reordering, late, silent sensors)", () => {
    fc.assert(
      fc.property(arbMessyStream, arbSizes, fc.array(fc.nat(20), { maxLength: 3 }), (events, sizes, cps) => {
        const batches = split(events, sizes).map((b) => encodeEvents(b, city));
        const at = new Set(cps);
        expectSame(trace(city, batches, OPTS, "js", at), trace(city, batches, OPTS, "wasm", at));
      }),
      { numRuns: 80 },
    );
  });

  it("gives identical outputs and checkpoints with copies anywhere, counter resets and colliding payments", () => {
    fc.assert(
      fc.property(
        arbCopiedFeed(OPTS.allowedLatenessMs!, 3 * MIN),
        fc.array(fc.nat(20), { maxLength: 3 }),
        (feed, cps) => {
          const events = [...feed.events];
          collidingPayments(T0).forEach((p, k) => {
            events.splice(Math.min(events.length, k * 3), 0, p);
          });
          const batches = split(events, [5, 9, 2]).map((b) => encodeEvents(b, city));
          const at = new Set(cps);
          expectSame(trace(city, batches, OPTS, "js", at), trace(city, batches, OPTS, "wasm", at));
        },
      ),
      { numRuns: 80 },
    );
  });

  it("gives identical outputs on adversarial events (random sequence numbers, unknown places, any times)", () => {
    const tiny = tinyCity();
    fc.assert(
      fc.property(
        fc.array(arbEvent(true), { maxLength: 100 }),
        arbSizes,
        fc.integer({ min: 0, max: 30 }),
        (events, sizes, latenessMin) => {
          const batches = split(events, sizes).map((b) => encodeEvents(b, tiny));
          const o: OccupancyOptions = { allowedLatenessMs: latenessMin * MIN, sensorTimeoutMs: 10 * MIN };
          expectSame(
            trace(tiny, batches, o, "js", new Set([0, 2])),
            trace(tiny, batches, o, "wasm", new Set([0, 2])),
          );
        },
      ),
      { numRuns: 80 },
    );
  });

  it("gives identical outputs on random sensor grids with silent sensors and shuffled delivery", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(
          fc.record({
            zone: fc.nat(5),
            bay: fc.nat(7),
            kind: fc.constantFrom(
              "park_start",
              "park_end",
              "scheduled_report",
              "comms_lost",
              "comms_restored",
            ),
            dt: fc.oneof(fc.integer({ min: 0, max: 30_000 }), fc.integer({ min: 0, max: 40 * MIN })),
            seq: fc.option(fc.nat(40), { nil: undefined }),
          }),
          { maxLength: 150 },
        ),
        arbDelays,
        arbSizes,
        (zones, bays, steps, delays, sizes) => {
          const grid = sensorCity(zones, bays);
          let t = T0;
          const events: CdsEvent[] = steps.map((s, i) => {
            t += s.dt;
            const e: CdsEvent = {
              event_id: `x${i}`,
              event_type: s.kind,
              event_time: t,
              curb_space_id: `Z${s.zone % zones}-B${s.bay % bays}`,
            };
            if (s.kind === "scheduled_report") e.occupied = s.seq !== undefined && s.seq % 2 === 0;
            if (s.seq !== undefined) e.sequence_number = s.seq;
            return e;
          });
          const batches = split(deliver(events, delays, OPTS.allowedLatenessMs!), sizes).map((b) =>
            encodeEvents(b, grid),
          );
          expectSame(
            trace(grid, batches, OPTS, "js", new Set([1])),
            trace(grid, batches, OPTS, "wasm", new Set([1])),
          );
        },
      ),
      { numRuns: 80 },
    );
  });

  it("restores a checkpoint taken under one kernel into the other with identical results", () => {
    fc.assert(
      fc.property(arbMessyStream, arbSizes, fc.nat(30), (events, sizes, cut) => {
        const batches = split(events, sizes).map((b) => encodeEvents(b, city));
        const k = Math.min(cut, batches.length);
        const full = trace(city, batches, OPTS, "js");
        for (const [first, second] of [
          ["js", "wasm"],
          ["wasm", "js"],
        ] as const) {
          const a = new OccupancyEngine(city, { ...OPTS, kernel: first, clock: () => 0 });
          for (let i = 0; i < k; i++) a.ingest(batches[i]!);
          const b = OccupancyEngine.restore(city, a.checkpoint(), { kernel: second, clock: () => 0 });
          const rest = drive(b, batches, new Set(), k);
          const last = rest.checkpoints.at(-1)!;
          expect(Buffer.compare(last, full.checkpoints.at(-1)!)).toBe(0);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("refuses malformed batches before they reach the kernel: nothing copied, state unchanged", () => {
    const engine = new OccupancyEngine(city, { ...OPTS, kernel: "wasm", clock: () => 0 });
    const good = encodeEvents(
      [{ event_id: "a", event_type: "park_start", event_time: T0, curb_space_id: "A1", sequence_number: 1 }],
      city,
    );
    engine.ingest(good);
    const before = engine.checkpoint();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(good.length), fc.nat(255), (junk, pos, byte) => {
        const flipped = good.slice();
        flipped[pos % flipped.length] = byte;
        for (const bytes of [junk, flipped, good.subarray(0, pos % good.length)]) {
          const r = engine.ingest(bytes);
          if (r.rejected === 1) expect(r.accepted + r.duplicate + r.late + r.unknownBay).toBe(0);
        }
      }),
      { numRuns: 200 },
    );
    // Flipped bytes may still verify (a different valid event); compare against a JS engine fed the same.
    const rejected = new OccupancyEngine(city, { ...OPTS, kernel: "wasm", clock: () => 0 });
    rejected.ingest(good);
    const r = rejected.ingest(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]));
    expect(r.rejected).toBe(1);
    expect(Buffer.compare(rejected.checkpoint(), before)).toBe(0);
  });

  it("reads batches that already lie in the shared memory in place (zero copy), others are copied once", () => {
    const kernel = new WasmOccupancyKernel();
    const heap = new Uint32Array([1, 2, 3, 4, 5, 6]);
    const staged = kernel.stage(heap);
    expect(kernel.copiedBytes).toBe(24);
    expect([...staged]).toEqual([...heap]);
    expect(kernel.stage(staged)).toBe(staged);
    expect(kernel.copiedBytes).toBe(24);
  });

  it("batchBuffer: batches filled in kernel memory are read in place, with the results of a copied batch", () => {
    fc.assert(
      fc.property(arbMessyStream, arbSizes, (events, sizes) => {
        const batches = split(events, sizes).map((b) => encodeEvents(b, city));
        const inPlace = new OccupancyEngine(city, { ...OPTS, kernel: "wasm", clock: () => 0 });
        const kernel = (inPlace as unknown as { k: WasmOccupancyKernel }).k;
        const lines: string[] = [];
        inPlace.windows$.subscribe((w) => lines.push(`W ${windowText(w)}`));
        for (const b of batches) {
          const buf = inPlace.batchBuffer(b.byteLength + 16); // a prefix is fine too
          buf.set(b);
          const { error, ...r } = inPlace.ingest(buf.subarray(0, b.byteLength));
          lines.push(`R ${JSON.stringify(r)} ${error?.reason ?? ""}`);
        }
        inPlace.close();
        lines.push(`C ${JSON.stringify(inPlace.counters)}`);
        expect(kernel.copiedBytes).toBe(0);
        const ref = trace(city, batches, OPTS, "js");
        expect(lines).toEqual(ref.lines.filter((l) => !l.startsWith("L ") && !l.startsWith("H ")));
      }),
      { numRuns: 30 },
    );
    // Encoded straight into the kernel's memory (encodeEvents' `into`): the same bytes, nothing copied at ingest.
    const events = fc.sample(arbMessyStream, { numRuns: 1, seed: 7 })[0]!;
    const direct = new OccupancyEngine(city, { ...OPTS, kernel: "wasm", clock: () => 0 });
    const built = encodeEvents(events, city, undefined, { into: (n) => direct.batchBuffer(n) });
    expect(Buffer.compare(built, encodeEvents(events, city))).toBe(0);
    expect(direct.ingest(built).accepted).toBeGreaterThan(0);
    expect((direct as unknown as { k: WasmOccupancyKernel }).k.copiedBytes).toBe(0);
    expect(() => encodeEvents(events, city, undefined, { into: (n) => new Uint8Array(n - 1) })).toThrow(
      /at least/,
    );
    expect(() =>
      encodeEvents(events, city, undefined, { into: (n) => new Uint8Array(n + 8).subarray(4) }),
    ).toThrow(/multiple of 8/);
    const e = new OccupancyEngine(city, { kernel: "js" });
    expect(e.batchBuffer(10)).toHaveLength(10);
    expect(() => e.batchBuffer(-1)).toThrow(/byte count/);
    e.close();
    expect(() => e.batchBuffer(10)).toThrow(/closed/);
  });

  it("agrees on long batches: thousands of events per kernel call, zone events between them, a full health log", () => {
    // 6000 bays: one kernel call covers more events than the JS kernel's internal runs (1024), and all of them
    // going silent in one window overflows the 4096-entry health log.
    const grid = sensorCity(60, 100);
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 500, max: 7000 }), (seed, batchSize) => {
        let x = seed | 0;
        const next = () => {
          x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
          return (x >>> 0) / 2 ** 32;
        };
        const kinds = ["park_start", "park_end", "scheduled_report", "comms_lost", "comms_restored"] as const;
        const events: CdsEvent[] = [];
        let t = T0;
        for (let i = 0; i < 12_000; i++) {
          t += Math.floor(next() * 20);
          const z = Math.floor(next() * 60);
          if (next() < 0.0005) {
            events.push({
              event_id: `m${i}`,
              event_type: "manual_count",
              event_time: t,
              curb_zone_id: `Z${z}`,
              vehicle_type: "car",
              vehicle_count: Math.floor(next() * 100),
            });
            continue;
          }
          const r = next();
          const kind = kinds[r < 0.4 ? 0 : r < 0.75 ? 1 : r < 0.95 ? 2 : r < 0.98 ? 3 : 4]!;
          const e: CdsEvent = {
            event_id: `e${i}`,
            event_type: kind,
            event_time: t,
            curb_space_id: `Z${z}-B${Math.floor(next() * 100)}`,
          };
          if (kind === "scheduled_report") e.occupied = next() < 0.5;
          events.push(e);
        }
        // Much later: every sensor has been silent past its timeout, all within one window.
        events.push({
          event_id: "last",
          event_type: "park_start",
          event_time: t + 30 * MIN,
          curb_space_id: "Z0-B0",
        });
        const batches = split(events, [batchSize]).map((b) => encodeEvents(b, grid));
        const at = new Set([1]);
        const js = trace(grid, batches, OPTS, "js", at);
        // Over 4096 sensors went silent in one window (one health emission): the log filled and was drained.
        expect(JSON.parse(js.lines.at(-1)!.slice(2)).silent).toBeGreaterThan(4096);
        expect(js.lines.filter((l) => l.startsWith("H") && l.length > 100_000)).toHaveLength(1);
        expectSame(js, trace(grid, batches, OPTS, "wasm", at));
      }),
      { numRuns: 4 },
    );
  });

  it("agrees on a catalogue without bays (attendant counts, gates and payments only)", () => {
    const zones = ["N0", "N1", "N2"];
    const noBays = loadCity({
      id: "no-bays",
      name: "No bays",
      timeZone: "Asia/Makassar",
      currency: "IDR",
      synthetic: true,
      zones: zones.map((id, i) => ({
        id,
        name: id,
        location: { lat: -0.89, lon: 119.86 },
        street: "on" as const,
        zoneClass: "A",
        detection: [
          i === 0
            ? ("gateCounters" as const)
            : i === 1
              ? ("attendantCounts" as const)
              : ("payments" as const),
        ],
        capacity: { car: 10, motorcycle: 30 },
        bays: [],
        gates: i === 0 ? [{ id: "G0", deviceId: "GATE-0" }] : [],
      })),
    });
    expect(noBays.bayCount).toBe(0);
    const kinds = ["manual_count", "enter_area", "exit_area", "payment_start", "payment_end"] as const;
    const arbZoneEvents = fc
      .array(
        fc.record({
          dt: fc.integer({ min: 0, max: 90_000 }),
          kind: fc.constantFrom(...kinds),
          zone: fc.constantFrom(...zones),
          car: fc.boolean(),
          n: fc.integer({ min: 0, max: 40 }),
          session: fc.integer({ min: 0, max: 5 }),
        }),
        { minLength: 1, maxLength: 200 },
      )
      .map((steps) => {
        let t = T0;
        return steps.map((x, i): CdsEvent => {
          t += x.dt;
          const e: CdsEvent = {
            event_id: `z${i}`,
            event_type: x.kind,
            event_time: t,
            curb_zone_id: x.zone,
            vehicle_type: x.car ? "car" : "motorcycle",
          };
          if (x.kind === "manual_count") e.vehicle_count = x.n;
          if (x.kind === "payment_start" || x.kind === "payment_end") e.event_session_id = `s${x.session}`;
          if (x.kind === "payment_end") e.actual_cost = 2000 * (1 + x.session);
          return e;
        });
      });
    fc.assert(
      fc.property(arbZoneEvents, arbSizes, (events, sizes) => {
        const batches = split(events, sizes).map((b) => encodeEvents(b, noBays));
        expectSame(trace(noBays, batches, OPTS, "js"), trace(noBays, batches, OPTS, "wasm"));
      }),
      { numRuns: 40 },
    );
  });

  it("declares the de-duplication chunk and the row's last-change word as the JS kernel does", () => {
    const src = readFileSync("wasm/occupancy.ts", "utf8");
    expect(/const DEDUP_CHUNK = (\d+);/.exec(src)?.[1]).toBe(String(K.DEDUP_CHUNK));
    expect(/const AB_LAST = (\d+);/.exec(src)?.[1]).toBe(String(K.AU_LAST * 4));
  });

  it("uses the table slots the AssemblyScript source declares", () => {
    const src = readFileSync("wasm/occupancy.ts", "utf8");
    for (const [name, value] of Object.entries(OCCUPANCY_SLOTS)) {
      const m = new RegExp(`const ${name}(?::\\s*\\w+)? = (\\d+);`).exec(src);
      expect(m, name).not.toBeNull();
      expect(Number(m![1]), name).toBe(value);
    }
    // The bay record's byte layout there is the JS kernel's word layout.
    const bytes = (name: string) => Number(new RegExp(`const ${name}(?::\\s*\\w+)? = (\\d+);`).exec(src)![1]);
    expect(bytes("BAY_BYTES")).toBe(4 * K.BAY_WORDS);
    expect([bytes("B_SINCE"), bytes("B_LAST"), bytes("B_WORD")]).toEqual([
      4 * K.B_SINCE,
      4 * K.B_LAST,
      4 * K.B_WORD,
    ]);
    expect(bytes("BS_ROW")).toBe(K.BS_ROW);
  });
});

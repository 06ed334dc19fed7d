/**
 * Differential tests of the sharded engine: workers 0 to 4 against one OccupancyEngine (JS reference kernel)
 * on random streams; worker crashes mid-stream; a batch that fails twice; backpressure.
 */
import fc from "fast-check";
import { Piscina } from "piscina";
import { afterAll, describe, expect, it } from "vitest";
import type { City } from "../../src/catalog/index.js";
import {
  type IngestResult,
  OccupancyEngine,
  type OccupancyOptions,
  planShards,
} from "../../src/occupancy/index.js";
import { lineRanges, ShardedOccupancyEngine } from "../../src/occupancy/sharded/engine.js";
import { ParkirWorkerError, workerPath } from "../../src/runtime/index.js";
import { TEST_HOOKS_ENV } from "../../src/runtime/protocol.js";
import { type CdsEvent, encodeEvents, encodeJsonLines, jsonLine } from "../../src/wire/index.js";
import { arbEvent, tinyCity } from "../helpers.js";
import { arbCopiedFeed, collidingPayments } from "../occupancy/copies.js";
import { arbStream, deliver, MIN, sensorCity, split, T0, testCity } from "../occupancy/fixtures.js";

const OPTS: OccupancyOptions = { windowMs: 5 * MIN, allowedLatenessMs: 2 * MIN, sensorTimeoutMs: 10 * MIN };
/** Batches of exactly this many bytes make the shard workers throw (test hook). */
const FAIL_BYTES = 1_234_567;

const makePool = () =>
  new Piscina({
    filename: workerPath(),
    minThreads: 1,
    maxThreads: 1,
    env: { ...process.env, [TEST_HOOKS_ENV]: "1", PARKIR_TEST_FAIL_BYTES: String(FAIL_BYTES) },
  });
// One thread per shard; reused by every engine of this file (a worker hosts many engines). Engines of two
// workers use `pools`; three and four workers add `morePools`.
const pools = [0, 1].map(makePool);
const morePools = [0, 1].map(makePool);
afterAll(async () => {
  await Promise.all([...pools, ...morePools].map((p) => p.destroy()));
});

interface Trace {
  readonly lines: string[];
  readonly checkpoint: Uint8Array;
}

function subscribe(
  e: {
    windows$: OccupancyEngine["windows$"];
    late$: OccupancyEngine["late$"];
    health$: OccupancyEngine["health$"];
  },
  lines: string[],
) {
  e.windows$.subscribe((w) =>
    lines.push(
      `W ${JSON.stringify({ s: w.windowStart, e: w.windowEnd, r: w.records, c: Array.from(w.changedRows!) })}`,
    ),
  );
  e.late$.subscribe((r) => lines.push(`L ${JSON.stringify(r)}`));
  e.health$.subscribe((r) => lines.push(`H ${JSON.stringify(r)}`));
}

function reference(
  city: City,
  batches: readonly Uint8Array[],
  options: OccupancyOptions,
  advance?: number,
): Trace {
  const e = new OccupancyEngine(city, { ...options, kernel: "js", clock: options.clock ?? (() => 0) });
  const lines: string[] = [];
  subscribe(e, lines);
  batches.forEach((b, i) => {
    const { error, ...r } = e.ingest(b);
    lines.push(`R ${JSON.stringify(r)} ${error?.reason ?? ""}`);
    if (i === advance && Number.isFinite(r.watermarkMs))
      lines.push(`A ${e.advanceTo(r.watermarkMs + 7 * MIN)}`);
  });
  e.close();
  lines.push(`C ${JSON.stringify(e.counters)}`);
  return { lines, checkpoint: e.checkpoint() };
}

async function sharded(
  city: City,
  batches: readonly Uint8Array[],
  options: OccupancyOptions,
  workers: number,
  advance?: number,
  checkpointEvery = 3,
): Promise<Trace> {
  const e = await ShardedOccupancyEngine.create(city, {
    ...options,
    workers,
    pools: workers === 0 ? undefined : [...pools, ...morePools].slice(0, workers),
    clock: options.clock ?? (() => 0),
    checkpointEvery,
    // Reserved batch memory changes no result: two workers run with it, one without.
    reserveBatchBytes: workers === 2 ? 1 << 20 : 0,
  });
  const lines: string[] = [];
  subscribe(e, lines);
  for (let i = 0; i < batches.length; i++) {
    const { error, ...r } = await e.ingest(batches[i]!);
    lines.push(`R ${JSON.stringify(r)} ${error?.reason ?? ""}`);
    if (i === advance && Number.isFinite(r.watermarkMs))
      lines.push(`A ${await e.advanceTo(r.watermarkMs + 7 * MIN)}`);
  }
  await e.close();
  lines.push(`C ${JSON.stringify(await e.counters())}`);
  return { lines, checkpoint: await e.checkpoint() };
}

/** Runs `call` on each input in order, going on after a failure; returns the last failure. */
async function eachCatching<T>(inputs: readonly T[], call: (x: T) => Promise<void>): Promise<unknown> {
  let failure: unknown;
  for (const x of inputs) {
    try {
      await call(x);
    } catch (err) {
      failure = err;
    }
  }
  return failure;
}

/** The per-batch results of an ingestJsonLines call, as reference() writes them. */
function pushResults(lines: string[], r: { readonly batches: readonly IngestResult[] }): void {
  for (const { error, ...rest } of r.batches) lines.push(`R ${JSON.stringify(rest)} ${error?.reason ?? ""}`);
}

/**
 * expectSame for ingestJsonLines, whose per-batch results come back when the call ends and outputs while it
 * runs: results and outputs each in order.
 */
function expectSameLines(a: Trace, b: Trace): void {
  const results = (t: readonly string[]) => t.filter((l) => l.startsWith("R "));
  const outputs = (t: readonly string[]) => t.filter((l) => !l.startsWith("R "));
  expect(results(b.lines)).toEqual(results(a.lines));
  expect(outputs(b.lines)).toEqual(outputs(a.lines));
  expect(Buffer.compare(b.checkpoint, a.checkpoint)).toBe(0);
}

function expectSame(a: Trace, b: Trace): void {
  expect(b.lines).toEqual(a.lines);
  expect(Buffer.compare(b.checkpoint, a.checkpoint)).toBe(0);
}

const arbDelays = fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 1, maxLength: 50 });
const arbSizes = fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 10 });
const arbMessy = fc
  .tuple(
    arbStream(150),
    arbDelays,
    fc.array(fc.nat(1000), { maxLength: 20 }),
    fc.array(fc.nat(1000), { maxLength: 6 }),
  )
  .map(([events, delays, dups, lates]) => {
    const out = deliver(events, delays, OPTS.allowedLatenessMs!);
    for (const p of dups)
      if (out.length > 0)
        out.splice(Math.min(out.length, (p % out.length) + 1 + (p % 5)), 0, { ...out[p % out.length]! });
    for (const p of lates) {
      if (out.length < 2) break;
      const [e] = out.splice(p % out.length, 1);
      out.splice(Math.min(out.length, (p % out.length) + 30), 0, e!);
    }
    return out;
  });

/** Events as JSON Lines chunks of `per` lines each (the last line of the input without its newline). */
function jsonChunks(events: readonly CdsEvent[], per: number): Uint8Array[] {
  const lines = events.map((e) => jsonLine(e).trimEnd());
  const out: Uint8Array[] = [];
  for (let at = 0; at < lines.length; at += per)
    out.push(Buffer.from(lines.slice(at, at + per).join("\n") + (at + per < lines.length ? "\n" : "")));
  return out;
}

/** The batches one engine is fed for `chunks` read by `workers` workers (each parses a range of each chunk). */
function jsonReferenceBatches(city: City, chunks: readonly Uint8Array[], workers: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const c of chunks) {
    const cuts = lineRanges(c, workers);
    for (let k = 0; k + 1 < cuts.length; k++)
      out.push(...encodeJsonLines(c.subarray(cuts[k], cuts[k + 1]), city).batches);
  }
  return out;
}

/** Samples end to end: a long stream for the tests below (times jump back between samples: late events). */
function longest<T>(samples: readonly T[][]): T[] {
  return samples.flat();
}

describe("sharded occupancy engine", () => {
  const city = testCity();

  it("engines on the caller's pools take their listeners off those pools when they close", async () => {
    const count = () => pools.map((p) => p.listenerCount("workerDestroy") + p.listenerCount("error"));
    const before = count();
    for (let i = 0; i < 12; i++) {
      const e = await ShardedOccupancyEngine.create(city, { ...OPTS, workers: 2, pools, clock: () => 0 });
      expect(count().every((n, k) => n > before[k]!)).toBe(true);
      await e.close();
    }
    expect(count()).toEqual(before);
  });

  it("plans contiguous shards that cover every zone, bay and row", () => {
    for (const c of [testCity(), sensorCity(7, 3), tinyCity()]) {
      for (let n = 1; n <= Math.min(4, c.zoneCount); n++) {
        const plans = planShards(c, n);
        expect(plans[0]).toMatchObject({ zoneLo: 0, bayLo: 0, rowLo: 0 });
        expect(plans.at(-1)).toMatchObject({ zoneHi: c.zoneCount, bayHi: c.bayCount });
        for (let k = 1; k < n; k++) {
          expect(plans[k]!.zoneLo).toBe(plans[k - 1]!.zoneHi);
          expect(plans[k]!.bayLo).toBe(plans[k - 1]!.bayHi);
          expect(plans[k]!.rowLo).toBe(plans[k - 1]!.rowHi);
          expect(plans[k]!.zoneHi).toBeGreaterThan(plans[k]!.zoneLo);
        }
      }
    }
  });

  it("workers 0, 1 and 2 give the reference's outputs and checkpoints on messy streams", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbMessy,
        arbSizes,
        fc.option(fc.nat(8), { nil: undefined }),
        async (events, sizes, advance) => {
          const batches = split(events, sizes).map((b) => encodeEvents(b, city));
          const ref = reference(city, batches, OPTS, advance);
          for (const workers of [0, 1, 2])
            expectSame(ref, await sharded(city, batches, OPTS, workers, advance));
        },
      ),
      { numRuns: 15 },
    );
  }, 60_000);

  it("JSON Lines: workers 0 to 3, with or without parse-only workers, parse and ingest like one engine fed the same lines, in any chunks, bad lines anywhere", async () => {
    const bad = fc.constantFrom(
      "{not json",
      '{"event_type":"park_start"}',
      '{"event_id":"x","event_type":"fly","event_time":1}',
      "",
      "   ",
    );
    await fc.assert(
      fc.asyncProperty(
        arbMessy,
        fc.array(fc.tuple(fc.nat(1000), bad), { maxLength: 6 }),
        arbSizes,
        fc.integer({ min: 1, max: 40 }),
        async (events, bads, sizes, batchEvents) => {
          const lines = events.map((e) => jsonLine(e).trimEnd());
          for (const [at, line] of bads) lines.splice(at % (lines.length + 1), 0, line);
          // Chunks of whole lines (the last line of the input without its newline).
          const chunks: Uint8Array[] = [];
          let at = 0;
          for (let i = 0; at < lines.length; i++) {
            const take = sizes[i % sizes.length]!;
            const part = lines.slice(at, at + take);
            at += take;
            chunks.push(Buffer.from(part.join("\n") + (at < lines.length ? "\n" : "")));
          }
          const whole = encodeJsonLines(Buffer.from(lines.join("\n")), city, { batchEvents });
          // Workers, and of them shards (the others only parse).
          for (const [workers, shards] of [
            [0, 0],
            [1, 1],
            [2, 2],
            [2, 1],
            [3, 1],
            [3, 2],
          ] as const) {
            // The reference: one engine fed, chunk by chunk, the batches of each worker's range of lines.
            const batches: Uint8Array[] = [];
            for (const c of chunks) {
              const cuts = lineRanges(c, Math.max(1, workers));
              for (let k = 0; k + 1 < cuts.length; k++)
                batches.push(
                  ...encodeJsonLines(c.subarray(cuts[k], cuts[k + 1]), city, { batchEvents }).batches,
                );
            }
            const ref = reference(city, batches, OPTS);
            const e = await ShardedOccupancyEngine.create(city, {
              ...OPTS,
              workers,
              ...(workers === 0 ? {} : { shards }),
              pools: workers === 0 ? undefined : [...pools, ...morePools].slice(0, workers),
              clock: () => 0,
              checkpointEvery: 2,
            });
            expect([e.workers, e.shards, e.plans.length]).toEqual([workers, shards, shards]);
            const out: string[] = [];
            subscribe(e, out);
            const errors: string[] = [];
            let read = 0;
            for (const c of chunks) {
              const r = await e.ingestJsonLines(c, { batchEvents, firstLine: read + 1 });
              read += r.lines;
              pushResults(out, r);
              errors.push(...r.errors.map((x) => x.message));
            }
            await e.close();
            out.push(`C ${JSON.stringify(await e.counters())}`);
            expectSameLines(ref, { lines: out, checkpoint: await e.checkpoint() });
            // Refused lines: the same errors, with the same line numbers, as one reader over the whole input.
            expect(errors).toEqual(whole.errors.map((x) => x.message));
            expect(read).toBe(whole.counters.lines);
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);

  it("workers 0 and 2 give the reference's outputs with copies anywhere, counter resets and colliding payments", async () => {
    await fc.assert(
      fc.asyncProperty(arbCopiedFeed(OPTS.allowedLatenessMs!, 3 * MIN), async (feed) => {
        // Payments whose session ids collide in the wire's hash, spliced into the feed's delivery order.
        const events = [...feed.events];
        collidingPayments(T0).forEach((p, k) => {
          events.splice(Math.min(events.length, k * 3), 0, p);
        });
        const batches = split(events, [7, 3, 11]).map((b) => encodeEvents(b, city));
        const ref = reference(city, batches, OPTS);
        for (const workers of [0, 2]) expectSame(ref, await sharded(city, batches, OPTS, workers));
      }),
      { numRuns: 10 },
    );
  }, 60_000);

  it("workers 2 gives the reference's outputs on adversarial events and sensor grids", async () => {
    const tiny = tinyCity();
    await fc.assert(
      fc.asyncProperty(fc.array(arbEvent(true), { maxLength: 80 }), arbSizes, async (events, sizes) => {
        const batches = split(events, sizes).map((b) => encodeEvents(b, tiny));
        const o = { ...OPTS, allowedLatenessMs: 10 * MIN };
        expectSame(reference(tiny, batches, o), await sharded(tiny, batches, o, 2));
      }),
      { numRuns: 20 },
    );
    const grid = sensorCity(5, 4);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(4), fc.nat(3), fc.boolean(), fc.integer({ min: 0, max: 20 * MIN })), {
          maxLength: 120,
        }),
        arbSizes,
        async (steps, sizes) => {
          let t = Date.parse("2026-11-30T00:00:00+08:00");
          const events = steps.map(([z, b, start, dt], i) => {
            t += dt;
            return {
              event_id: `g${i}`,
              event_type: start ? ("park_start" as const) : ("park_end" as const),
              event_time: t,
              curb_space_id: `Z${z}-B${b}`,
            };
          });
          const batches = split(events, sizes).map((b) => encodeEvents(b, grid));
          expectSame(reference(grid, batches, OPTS), await sharded(grid, batches, OPTS, 2));
        },
      ),
      { numRuns: 15 },
    );
  }, 60_000);

  it("workers 1 to 4 give the reference's outputs with copies across shard boundaries, unknown bays and late events", async () => {
    // Six zones of three bays: every shard count from 1 to 4 cuts between zones that share event ids.
    const grid = sensorCity(6, 3);
    const t0 = Date.parse("2026-11-30T00:00:00+08:00");
    const step = fc.record({
      zone: fc.nat(5),
      // Bay 3 is not in the catalogue: an unknown place, left out by the encoder and counted.
      bay: fc.nat(3),
      start: fc.boolean(),
      // Mostly forward; sometimes back past the lateness (late), sometimes far forward (closes windows).
      dtMs: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 0, max: 90_000 }) },
        { weight: 2, arbitrary: fc.integer({ min: -8 * MIN, max: 0 }) },
        { weight: 1, arbitrary: fc.integer({ min: 5 * MIN, max: 40 * MIN }) },
      ),
      // A copy of an earlier event: its event_id on a bay of any zone (so often another shard's), at its
      // time or shifted either way (a newer copy would move the watermark if it were not a duplicate).
      copy: fc.option(
        fc.record({
          of: fc.nat(1000),
          zone: fc.nat(5),
          bay: fc.nat(2),
          shiftMs: fc.constantFrom(0, 0, 30_000, -30_000, 4 * MIN),
        }),
        { nil: undefined, freq: 3 },
      ),
      withSeq: fc.boolean(),
      // A zone-level event for a class the zone has no capacity for: reaches the engine, counted unknown.
      unknownClass: fc.boolean(),
    });
    // What the generated feeds reached, over all runs (asserted below: the property saw every hard case).
    const seen = { duplicate: 0, late: 0, unknownBay: 0, windows: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 150 }),
        arbSizes,
        fc.integer({ min: 1, max: 4 }),
        fc.option(fc.nat(8), { nil: undefined }),
        async (steps, sizes, workers, advance) => {
          let t = t0;
          const events: CdsEvent[] = [];
          for (const [i, s] of steps.entries()) {
            t = Math.max(t0, t + s.dtMs);
            const original =
              s.copy === undefined || events.length === 0 ? undefined : events[s.copy.of % events.length]!;
            if (original !== undefined && s.copy !== undefined)
              events.push({
                ...original,
                curb_space_id: `Z${s.copy.zone}-B${s.copy.bay}`,
                event_time: Math.max(t0, Number(original.event_time) + s.copy.shiftMs),
              });
            else if (s.unknownClass && s.bay === 0)
              events.push({
                event_id: `e${i}`,
                event_type: s.start ? "park_start" : "park_end",
                event_time: t,
                curb_zone_id: `Z${s.zone}`,
                vehicle_type: "motorcycle",
              });
            else
              events.push({
                event_id: `e${i}`,
                event_type: s.start ? "park_start" : "park_end",
                event_time: t,
                curb_space_id: `Z${s.zone}-B${s.bay}`,
                ...(s.withSeq ? { sequence_number: i } : {}),
              });
          }
          const batches = split(events, sizes).map((b) => encodeEvents(b, grid));
          const ref = reference(grid, batches, OPTS, advance);
          const counters = JSON.parse(ref.lines.at(-1)!.slice(2)) as Record<
            keyof typeof seen | "windowsClosed",
            number
          >;
          seen.duplicate += counters.duplicate;
          seen.late += counters.late;
          seen.unknownBay += counters.unknownBay;
          seen.windows += counters.windowsClosed;
          expectSame(ref, await sharded(grid, batches, OPTS, workers, advance));
        },
      ),
      { numRuns: 25 },
    );
    expect(Object.values(seen).every((n) => n > 0)).toBe(true);
  }, 120_000);

  it("survives workers killed mid-stream with the reference's results", async () => {
    const events = longest(fc.sample(arbMessy, { seed: 42, numRuns: 30 }));
    const batches = split(events, [4]).map((b) => encodeEvents(b, city));
    expect(batches.length).toBeGreaterThan(15);
    const ref = reference(city, batches, OPTS);
    const e = await ShardedOccupancyEngine.create(city, {
      ...OPTS,
      workers: 2,
      pools,
      clock: () => 0,
      checkpointEvery: 4,
    });
    const lines: string[] = [];
    subscribe(e, lines);
    for (let i = 0; i < batches.length; i++) {
      const pending = e.ingest(batches[i]!);
      // Kill a shard's worker right away (its task is in flight or queued), once per shard.
      if (i === 3 || i === 11) await Promise.all(pools[i % 2]!.threads.map((w) => w.terminate()));
      const { error, ...r } = await pending;
      lines.push(`R ${JSON.stringify(r)} ${error?.reason ?? ""}`);
    }
    await e.close();
    lines.push(`C ${JSON.stringify(await e.counters())}`);
    expect(e.recoveries).toBeGreaterThan(0);
    expectSame(ref, { lines, checkpoint: await e.checkpoint() });
  }, 60_000);

  it("JSON Lines with a parse-only worker survives both workers killed mid-stream with the reference's results", async () => {
    const events = longest(fc.sample(arbMessy, { seed: 13, numRuns: 30 }));
    const chunks = jsonChunks(events, 17);
    expect(chunks.length).toBeGreaterThan(15);
    const ref = reference(city, jsonReferenceBatches(city, chunks, 2), OPTS);
    const e = await ShardedOccupancyEngine.create(city, {
      ...OPTS,
      workers: 2,
      shards: 1,
      pools,
      clock: () => 0,
      checkpointEvery: 4,
    });
    const lines: string[] = [];
    subscribe(e, lines);
    for (let i = 0; i < chunks.length; i++) {
      const pending = e.ingestJsonLines(chunks[i]!);
      // Kill the shard's worker, later the parser's, right away (the call's tasks in flight or queued).
      if (i === 3 || i === 10) await Promise.all(pools[i === 3 ? 0 : 1]!.threads.map((w) => w.terminate()));
      pushResults(lines, await pending);
    }
    await e.close();
    lines.push(`C ${JSON.stringify(await e.counters())}`);
    expect(e.recoveries).toBeGreaterThan(0);
    expectSameLines(ref, { lines, checkpoint: await e.checkpoint() });
  }, 60_000);

  it("drops JSON Lines that fail twice (in the shard, or in a parse-only worker after the shard ingested its share) with a ParkirWorkerError; the state is as if they never arrived", async () => {
    const events = longest(fc.sample(arbMessy, { seed: 17, numRuns: 20 }));
    for (const [workers, shards] of [
      [1, 1],
      [2, 1],
    ] as const) {
      const chunks = jsonChunks(events, 23);
      const ref = reference(city, jsonReferenceBatches(city, chunks, workers), OPTS);
      // A chunk whose last range (the parse-only worker's, or the shard's whole chunk) is FAIL_BYTES long: the
      // test hook throws on it. With a parse-only worker the shard has ingested the first range by then.
      // Two workers: valid lines and a blank one of FAIL_BYTES + 2 bytes in all (the shard's range), then a
      // blank line of FAIL_BYTES (the parser's: lineRanges cuts after the first newline past the middle).
      const valid = events
        .slice(0, 9)
        .map((x) => `${jsonLine(x).trimEnd()}\n`)
        .join("");
      const poison = Buffer.from(
        workers === 1
          ? `${" ".repeat(FAIL_BYTES - 1)}\n`
          : `${valid}${" ".repeat(FAIL_BYTES + 1 - valid.length)}\n${" ".repeat(FAIL_BYTES - 1)}\n`,
      );
      const cuts = lineRanges(poison, workers);
      expect(cuts.at(-1)! - cuts.at(-2)!).toBe(FAIL_BYTES);
      const e = await ShardedOccupancyEngine.create(city, {
        ...OPTS,
        workers,
        shards,
        pools: pools.slice(0, workers),
        clock: () => 0,
        checkpointEvery: 2,
      });
      const lines: string[] = [];
      subscribe(e, lines);
      const failure = await eachCatching([...chunks.slice(0, 3), poison, ...chunks.slice(3)], async (c) =>
        pushResults(lines, await e.ingestJsonLines(c)),
      );
      await e.close();
      lines.push(`C ${JSON.stringify(await e.counters())}`);
      expect(failure).toBeInstanceOf(ParkirWorkerError);
      expectSameLines(ref, { lines, checkpoint: await e.checkpoint() });
    }
  }, 60_000);

  it("drops a batch that fails twice with a ParkirWorkerError; the state is as if it never arrived", async () => {
    const events = longest(fc.sample(arbMessy, { seed: 7, numRuns: 30 }));
    const batches = split(events, [9]).map((b) => encodeEvents(b, city));
    const bad = 2;
    // A batch of exactly FAIL_BYTES bytes: the workers' test hook throws on it, before looking at it.
    const poison = new Uint8Array(FAIL_BYTES);
    const withPoison = [...batches.slice(0, bad), poison, ...batches.slice(bad)];
    const ref = reference(city, batches, OPTS);
    const e = await ShardedOccupancyEngine.create(city, {
      ...OPTS,
      workers: 2,
      pools,
      clock: () => 0,
      checkpointEvery: 2,
    });
    const lines: string[] = [];
    subscribe(e, lines);
    const failure = await eachCatching(withPoison, async (b) => {
      const { error, ...r } = await e.ingest(b);
      lines.push(`R ${JSON.stringify(r)} ${error?.reason ?? ""}`);
    });
    await e.close();
    lines.push(`C ${JSON.stringify(await e.counters())}`);
    expect(failure).toBeInstanceOf(ParkirWorkerError);
    expectSame(ref, { lines, checkpoint: await e.checkpoint() });
  }, 60_000);

  it("refuses an event from a clock years ahead in every shard alike (clockSkew), the rest unchanged", async () => {
    const events = longest(fc.sample(arbMessy, { seed: 5, numRuns: 30 }));
    const batches = split(events, [8]).map((b) => encodeEvents(b, city));
    const ahead = Date.UTC(2060, 0, 1);
    const skewed = encodeEvents(
      [{ event_id: "far", event_type: "park_start", event_time: ahead, curb_space_id: "A1" }],
      city,
    );
    const feed = [...batches.slice(0, 2), skewed, ...batches.slice(2)];
    const ref = reference(city, feed, OPTS);
    expect(ref.lines.some((l) => l.startsWith("R ") && l.includes('"clockSkew":1'))).toBe(true);
    expectSame(ref, await sharded(city, feed, OPTS, 2));
    // With clockGuard the main thread's clock is every shard's reference: one event 8 days past it is refused.
    const now = Math.max(...events.map((e) => Number(e.event_time)));
    const guarded = { ...OPTS, clock: () => now, clockGuard: true };
    const early = encodeEvents(
      [
        {
          event_id: "early",
          event_type: "park_start",
          event_time: now + 8 * 24 * 60 * MIN,
          curb_space_id: "A2",
        },
      ],
      city,
    );
    const feed2 = [...batches.slice(0, 1), early, ...batches.slice(1)];
    const ref2 = reference(city, feed2, guarded);
    expect(ref2.lines.some((l) => l.startsWith("R ") && l.includes('"clockSkew":1'))).toBe(true);
    expectSame(ref2, await sharded(city, feed2, guarded, 2));
  }, 60_000);

  it("tick refuses a clock far past the data in every shard alike (ParkirClockError), state unchanged", async () => {
    const events = longest(fc.sample(arbMessy, { seed: 5, numRuns: 30 }));
    const batches = split(events, [8]).map((b) => encodeEvents(b, city));
    const last = Math.max(...events.map((e) => Number(e.event_time)));
    for (const workers of [0, 2]) {
      let now = 0;
      const e = await ShardedOccupancyEngine.create(city, {
        ...OPTS,
        workers,
        pools: workers === 0 ? undefined : [...pools, ...morePools].slice(0, workers),
        clock: () => now,
        idleAdvanceMs: MIN,
        maxTimeJumpMs: 24 * 60 * MIN,
      });
      for (const b of batches) await e.ingest(b);
      const before = await e.checkpoint();
      now = last + 400 * 24 * 60 * MIN;
      await expect(e.tick()).rejects.toMatchObject({ name: "ParkirClockError", limitMs: 24 * 60 * MIN });
      await expect(e.advanceTo(last, { maxJumpMs: -1 })).rejects.toThrow(/maxJumpMs must be a number/);
      expect(Buffer.compare(await e.checkpoint(), before)).toBe(0);
      now = last + 60 * MIN;
      expect(await e.tick()).toBeGreaterThan(0);
      await e.close();
    }
  }, 60_000);

  it("bounds waiting calls: beyond queueMax, ingest refuses with queue-full; accepted ones complete in order", async () => {
    const events = longest(fc.sample(arbMessy, { seed: 3, numRuns: 30 }));
    const batches = split(events, [5]).map((b) => encodeEvents(b, city));
    const e = await ShardedOccupancyEngine.create(city, {
      ...OPTS,
      workers: 2,
      pools,
      queueMax: 2,
      clock: () => 0,
    });
    const calls = batches.slice(0, 6).map((b) => e.ingest(b));
    const settled = await Promise.allSettled(calls);
    expect(settled.slice(0, 3).every((s) => s.status === "fulfilled")).toBe(true);
    expect(
      settled
        .slice(3)
        .every((s) => s.status === "rejected" && (s.reason as { reason?: string }).reason === "queue-full"),
    ).toBe(true);
    await e.close();
  });

  it("restores any engine's checkpoint into any number of workers and shards", async () => {
    const events = longest(fc.sample(arbMessy, { seed: 11, numRuns: 30 }));
    const batches = split(events, [6]).map((b) => encodeEvents(b, city));
    const ref = reference(city, batches, OPTS);
    const cut = Math.floor(batches.length / 2);
    const first = new OccupancyEngine(city, { ...OPTS, kernel: "js", clock: () => 0 });
    for (const b of batches.slice(0, cut)) first.ingest(b);
    for (const [workers, shards] of [
      [0, 0],
      [2, 2],
      [2, 1],
    ] as const) {
      const e = await ShardedOccupancyEngine.restore(city, first.checkpoint(), {
        workers,
        ...(workers === 0 ? {} : { shards }),
        pools: workers ? pools : undefined,
        clock: () => 0,
      });
      for (const b of batches.slice(cut)) await e.ingest(b);
      await e.close();
      expect(Buffer.compare(await e.checkpoint(), ref.checkpoint)).toBe(0);
    }
  }, 30_000);
});

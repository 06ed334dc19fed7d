/**
 * Liveness of the sharded engine when its workers are killed at awkward moments: while a task runs, between
 * calls, and, back to back, the replacement worker while it is still starting with the engine's next task
 * (a recovery, or the next call) waiting for it. Every call must settle within a generous bound (a hang
 * fails the property; no duration is asserted): it completes with one engine's results, or rejects with
 * ParkirWorkerError and leaves the state as if its batch never arrived (also when the rebuild after a batch
 * failed twice fails too: the shard is then rebuilt before the next call).
 */
import fc from "fast-check";
import { Piscina } from "piscina";
import { describe, expect, it } from "vitest";
import { OccupancyEngine, type OccupancyOptions } from "../../src/occupancy/index.js";
import { ShardedOccupancyEngine } from "../../src/occupancy/sharded/engine.js";
import { ParkirWorkerError } from "../../src/runtime/errors.js";
import { workerPath } from "../../src/runtime/index.js";
import { encodeEvents } from "../../src/wire/index.js";
import { arbStream, MIN, split, testCity } from "./fixtures.js";

const OPTS: OccupancyOptions = { windowMs: 5 * MIN, allowedLatenessMs: 2 * MIN, sensorTimeoutMs: 10 * MIN };
/** A call not settled after this long counts as hung (a liveness bound, far above any call's time). */
const SETTLE_BOUND_MS = 15_000;

/** `p`, or a rejection naming `what` when it has not settled within SETTLE_BOUND_MS. */
function settled<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hung: ${what} did not settle`)), SETTLE_BOUND_MS);
  });
  return Promise.race([p, hung]).finally(() => clearTimeout(timer));
}

/**
 * Kills the pool's worker now, then, `starting` times, the next worker the pool starts, before it is ready
 * (piscina starts the first replacement when it sees the exit; after a worker dies while starting, it starts
 * one only for the next task posted: the engine's recovery, or the rebuild after a batch failed twice).
 */
function kill(pool: Piscina, starting: number, killing: () => boolean): void {
  const seen = new Set(pool.threads);
  for (const w of seen) void w.terminate();
  let left = starting;
  let polls = 0;
  const poll = (): void => {
    if (left === 0 || !killing() || ++polls > 20_000) return;
    for (const w of pool.threads)
      if (!seen.has(w)) {
        seen.add(w);
        void w.terminate();
        left--;
      }
    setImmediate(poll);
  };
  if (left > 0) setImmediate(poll);
}

/** One kill: after posting batch `at` (modulo the batch count), of pool `pool`, after `delayMs`. */
const arbKill = fc.record({
  at: fc.nat(30),
  pool: fc.nat(1),
  delayMs: fc.oneof(fc.constant(0), fc.nat(6)),
  starting: fc.nat(2),
});

describe("sharded engine, workers killed at awkward moments", () => {
  const city = testCity();

  it("every call settles: one engine's results, or ParkirWorkerError with the state as if its batch never arrived", async () => {
    const seen = { failed: 0, recovered: 0, starting: 0 };
    await fc.assert(
      fc.asyncProperty(
        arbStream(60),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }),
        fc.array(arbKill, { minLength: 1, maxLength: 3 }),
        async (events, sizes, kills) => {
          // Fresh pools per run: piscina stops replacing a pool's workers for good once one dies while starting.
          const pools = [0, 1].map(
            () => new Piscina({ filename: workerPath(), minThreads: 1, maxThreads: 1 }),
          );
          try {
            const batches = split(events, sizes).map((b) =>
              encodeEvents(b, city, undefined, { keepEventIds: false }),
            );
            const e = await settled(
              ShardedOccupancyEngine.create(city, {
                ...OPTS,
                workers: 2,
                pools,
                clock: () => 0,
                checkpointEvery: 2,
              }),
              "create",
            );
            const kept: Uint8Array[] = [];
            const lines: string[] = [];
            // Kills land while the batches go in; one last empty batch then meets the workers they left.
            let killing = true;
            const timers: NodeJS.Timeout[] = [];
            batches.push(encodeEvents([], city));
            for (let i = 0; i < batches.length; i++) {
              if (i === batches.length - 1) {
                killing = false;
                for (const t of timers) clearTimeout(t);
              }
              const pending = e.ingest(batches[i]!);
              for (const k of kills) {
                if (k.at % (batches.length - 1) !== i) continue;
                if (k.starting > 0) seen.starting++;
                const now = () => kill(pools[k.pool]!, k.starting, () => killing);
                if (k.delayMs === 0) now();
                else timers.push(setTimeout(now, k.delayMs));
              }
              try {
                const { error, ...r } = await settled(pending, `ingest of batch ${i}`);
                lines.push(`R ${JSON.stringify(r)} ${error?.reason ?? ""}`);
                kept.push(batches[i]!);
              } catch (err) {
                if (!(err instanceof ParkirWorkerError)) throw err;
                seen.failed++;
              }
            }
            if (e.recoveries > 0) seen.recovered++;
            await settled(e.close(), "close");
            lines.push(`C ${JSON.stringify(await settled(e.counters(), "counters"))}`);
            const checkpoint = await settled(e.checkpoint(), "checkpoint");

            const ref = new OccupancyEngine(city, { ...OPTS, kernel: "js", clock: () => 0 });
            const want: string[] = [];
            for (const b of kept) {
              const { error, ...r } = ref.ingest(b);
              want.push(`R ${JSON.stringify(r)} ${error?.reason ?? ""}`);
            }
            ref.close();
            want.push(`C ${JSON.stringify(ref.counters)}`);
            expect(lines).toEqual(want);
            expect(Buffer.compare(checkpoint, ref.checkpoint())).toBe(0);
          } finally {
            await Promise.all(pools.map((p) => p.destroy()));
          }
        },
      ),
      // A hung run costs the whole bound: stop at the first failure rather than shrink through more of them.
      { numRuns: 12, endOnFailure: true },
    );
    expect(seen.recovered).toBeGreaterThan(0);
    expect(seen.starting).toBeGreaterThan(0);
  }, 120_000);
});

/**
 * Liveness of the sharded engine when its workers are killed at awkward moments: while a task runs, between
 * calls, and, back to back, the replacement worker while it is still starting with the engine's next task
 * (a recovery, or the next call) waiting for it. Every call must settle within a generous bound (a hang
 * fails the property; no duration is asserted): it completes with one engine's results, or rejects with
 * ParkirWorkerError and leaves the state as if its batch never arrived.
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
 * Kills the pool's worker now. With `starting`, once it has exited (piscina, whose exit listener runs first,
 * has started a replacement by then), kills that replacement too, before it is ready.
 */
function kill(pool: Piscina, starting: boolean): void {
  for (const w of pool.threads) {
    if (starting)
      w.once("exit", () => {
        for (const r of pool.threads) if (r !== w) void r.terminate();
      });
    void w.terminate();
  }
}

/** One kill: after posting batch `at` (modulo the batch count), of pool `pool`, after `delayMs`. */
const arbKill = fc.record({
  at: fc.nat(30),
  pool: fc.nat(1),
  delayMs: fc.oneof(fc.constant(0), fc.nat(6)),
  starting: fc.boolean(),
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
            for (let i = 0; i < batches.length; i++) {
              const pending = e.ingest(batches[i]!);
              for (const k of kills) {
                if (k.at % batches.length !== i) continue;
                if (k.starting) seen.starting++;
                if (k.delayMs === 0) kill(pools[k.pool]!, k.starting);
                else setTimeout(() => kill(pools[k.pool]!, k.starting), k.delayMs);
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
            // A kill timed after the last call lands now; the engine still answers, from the same state.
            await new Promise((resolve) => setTimeout(resolve, 10));
            const { error: _, ...last } = await settled(e.ingest(encodeEvents([], city)), "last ingest");
            lines.push(`R ${JSON.stringify(last)}`);
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
            const { error: __, ...refLast } = ref.ingest(encodeEvents([], city));
            want.push(`R ${JSON.stringify(refLast)}`);
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

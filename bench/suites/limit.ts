/**
 * The `limit` suite: how fast this machine reads memory, so every kernel can be reported as a fraction of
 * it (`fractionOfLimit` = a case's bytes/s ÷ this suite's baseline bytes/s).
 *
 * The buffer (64 MiB in full runs, 32 MiB in quick ones) is larger than the CPU caches. Three kinds of
 * yardstick, side by side: sequential reads (a JS loop with independent accumulators, the runtime's wasm
 * memread kernels, and `native-memchr`, Buffer#indexOf of an absent byte running the C library's vectorised
 * memchr), whose best bytes/s is the read bandwidth; dependent-add chains (one accumulator: each add waits
 * for the previous one, so they measure add latency, not bandwidth); and the random-update floor when built.
 */
import { kernelBuilt, MemRead, SharedArena, wasmSupported } from "../../src/runtime/index.js";
import { EVENT_STRIDE } from "../../src/wire/index.js";
import { floorAvailable, randomUpdateFloor } from "../fixtures/floor.js";
import { createRng } from "../fixtures/prng.js";
import { BENCH_SEED } from "../fixtures/workload.js";
import type { CaseSpec, Profile, SuiteDefinition } from "../harness.js";
import { sensorFeed } from "./occupancy.js";

/** Buffer size per profile, bytes. */
export const LIMIT_BYTES: Readonly<Record<Profile, number>> = {
  full: 64 * 1024 * 1024,
  quick: 32 * 1024 * 1024,
  tiny: 256 * 1024,
};

/** Byte value that never occurs in the buffer (so memchr scans all of it). */
const ABSENT = 0xff;

/** Sum of u32 words modulo 2^32, one accumulator: the plain loop a kernel is written as. */
export function sumU32(words: Uint32Array): number {
  let acc = 0;
  for (let i = 0; i < words.length; i++) acc = (acc + words[i]!) >>> 0;
  return acc;
}

/** Sum of f64 values. */
export function sumF64(values: Float64Array): number {
  let acc = 0;
  for (let i = 0; i < values.length; i++) acc += values[i]!;
  return acc;
}

/** Sum of f64 values with four independent accumulators: the fastest plain JS read found on x86-64. */
export function sumF64x4(values: Float64Array): number {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  const n = values.length & ~3;
  for (let i = 0; i < n; i += 4) {
    a += values[i]!;
    b += values[i + 1]!;
    c += values[i + 2]!;
    d += values[i + 3]!;
  }
  for (let i = n; i < values.length; i++) a += values[i]!;
  return a + b + c + d;
}

/**
 * A buffer of seeded doubles in [0, 1) with no 0xff byte, readable as Uint32Array and Float64Array.
 */
export function limitBuffer(bytes: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  const f64 = new Float64Array(bytes / 8);
  for (let i = 0; i < f64.length; i++) f64[i] = rng.next();
  const u8 = new Uint8Array(f64.buffer);
  // Doubles in [0, 1) have a top byte <= 0x3f, so lowering 0xff bytes never makes a NaN.
  for (let i = 0; i < u8.length; i++) if (u8[i] === ABSENT) u8[i] = ABSENT - 1;
  return u8;
}

/** What a `limit` case measures: a read bandwidth, a chain of dependent adds, or the random-update floor. */
export type Yardstick = "sequential-read" | "dependent-add-chain" | "random-update-floor";

/**
 * The random-update floor (`random-update-floor`: the scattered de-duplication, bay-record and window-row
 * updates an occupancy kernel cannot avoid, per event; bench/fixtures/floor.ts) over the occupancy suite's
 * sensor feed for this profile; null where wasm or the memread kernel is missing (the summary says so).
 */
export function randomUpdateFloorCase(profile: Profile): CaseSpec | null {
  if (!floorAvailable()) return null;
  const { city, batches } = sensorFeed(profile);
  const floor = randomUpdateFloor(city, batches);
  return {
    name: "random-update-floor",
    eventsPerOp: floor.events,
    group: "floor",
    extra: {
      yardstick: "random-update-floor" satisfies Yardstick,
      note: "per event of the occupancy suite's feed: raise a de-duplication slot, flip a bay record bit, add to a window row (wasm); no rules, no windows",
    },
    fn: () => floor.run(),
  };
}

/**
 * The `limit` suite. Baseline `f64-sum-x4` (the fastest plain JS read). Every case reads the same buffer once
 * per operation. Sequential reads report bytes/s (the largest is the machine's read bandwidth as this run saw
 * it); the add chains report dependent adds/s (one add waits for the previous: a latency, not a bandwidth).
 * Each case's sum is computed before timing and every timed run must return it again.
 */
export const limitSuite: SuiteDefinition = {
  name: "limit",
  summary:
    "yardsticks: sequential read bandwidth (JS, wasm, C memchr), dependent-add chains, random-update floor",
  build({ profile }) {
    const size = LIMIT_BYTES[profile];
    const u8 = limitBuffer(size, BENCH_SEED);
    const u32 = new Uint32Array(u8.buffer);
    const f64 = new Float64Array(u8.buffer);
    const buf = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
    const eventsPerOp = Math.floor(size / EVENT_STRIDE);
    const read = (name: string, group: string, note: string, fn: () => number): CaseSpec => ({
      name,
      eventsPerOp,
      bytesPerOp: size,
      group,
      extra: { yardstick: "sequential-read" satisfies Yardstick, note },
      fn,
    });
    // A chain reports adds/s (events/s column = adds/s), not bytes/s: it is bounded by add latency.
    const chain = (name: string, adds: number, note: string, fn: () => number): CaseSpec => ({
      name,
      eventsPerOp: adds,
      group: name,
      extra: { yardstick: "dependent-add-chain" satisfies Yardstick, addsPerOp: adds, note },
      fn,
    });
    const cases: CaseSpec[] = [
      read(
        "f64-sum-x4",
        "f64-sum-x4",
        "sequential read, plain JS: 4 independent f64 accumulators; events/s = 24-byte events' worth of bytes",
        () => sumF64x4(f64),
      ),
      read("native-memchr", "memchr", "sequential read, vectorised C: Buffer#indexOf of an absent byte", () =>
        buf.indexOf(ABSENT),
      ),
      chain(
        "u32-add-chain",
        u32.length,
        "dependent-add chain: one accumulator, each u32 add waits for the previous (events/s = adds/s; not a bandwidth)",
        () => sumU32(u32),
      ),
      chain(
        "f64-add-chain",
        f64.length,
        "dependent-add chain: one f64 accumulator (events/s = adds/s; not a bandwidth)",
        () => sumF64(f64),
      ),
    ];
    if (wasmSupported() && kernelBuilt("memread")) {
      // The same bytes copied into a shared wasm memory, read by the runtime's memread kernels; their u32 sums
      // must equal the JS chain's.
      const arena = new SharedArena({ initialBytes: size + 2 * 65536, maximumBytes: size + 4 * 65536 });
      const at = arena.alloc(size);
      arena.u8().set(u8, at);
      const words = size / 4;
      for (const simd of [false, true]) {
        const reader = new MemRead(arena, { simd });
        const name = reader.variant === "memread_simd" ? "wasm-simd-u32-sum" : "wasm-u32-sum";
        if (cases.some((c) => c.name === name)) continue; // no SIMD here: the scalar build ran twice
        cases.push(
          read(
            name,
            "u32-add-chain",
            `sequential read, wasm: runtime MemRead (${reader.variant}.wasm) over a shared memory copy`,
            () => reader.sum(at, words),
          ),
        );
      }
    }
    const floor = randomUpdateFloorCase(profile);
    if (floor !== null) cases.push(floor);
    return {
      name: "limit",
      workload: {
        description: "Seeded doubles in [0, 1) filling one buffer, read as u32 words, f64 values and bytes",
        seed: BENCH_SEED,
        sizes: { bytes: size },
      },
      baseline: "f64-sum-x4",
      cases,
    };
  },
};

/** A limit suite's yardsticks side by side (bench/summary.ts prints them). */
export interface Yardsticks {
  /** The fastest sequential read of the run, bytes/s, and the case that did it. */
  readonly readBytesPerSec: number | null;
  readonly readCase: string | null;
  /** The JS u32 dependent-add chain, adds/s. */
  readonly u32AddsPerSec: number | null;
  /** The random-update floor, events/s (null when not measured). */
  readonly floorEventsPerSec: number | null;
}

/** The yardsticks of a limit suite's results. */
export function yardsticks(
  cases: readonly { name: string; eventsPerSec: number; [k: string]: unknown }[],
): Yardsticks {
  let readBytesPerSec: number | null = null;
  let readCase: string | null = null;
  for (const c of cases) {
    if (c.yardstick !== "sequential-read" || typeof c.bytesPerSec !== "number") continue;
    if (readBytesPerSec === null || c.bytesPerSec > readBytesPerSec) {
      readBytesPerSec = c.bytesPerSec;
      readCase = c.name;
    }
  }
  const chain = cases.find((c) => c.name === "u32-add-chain");
  const floor = cases.find((c) => c.yardstick === "random-update-floor");
  return {
    readBytesPerSec,
    readCase,
    u32AddsPerSec: chain?.eventsPerSec ?? null,
    floorEventsPerSec: floor?.eventsPerSec ?? null,
  };
}

/**
 * The `limit` suite: how fast this machine reads memory from JavaScript, so every kernel can be
 * reported as a fraction of it (`fractionOfLimit` = a case's bytes/s ÷ this suite's baseline bytes/s).
 *
 * The buffer (64 MiB in full runs, 32 MiB in quick ones) is larger than the CPU caches, so the figure is
 * memory bandwidth as a scalar JS loop sees it. `native-memchr` (Buffer#indexOf of an absent byte,
 * which runs the C library's vectorised memchr) shows how much more the hardware gives to SIMD code.
 */
import { kernelBuilt, MemRead, SharedArena, wasmSupported } from "../../src/runtime/index.js";
import { EVENT_STRIDE } from "../../src/wire/index.js";
import { createRng } from "../fixtures/prng.js";
import { BENCH_SEED } from "../fixtures/workload.js";
import type { CaseSpec, Profile, SuiteDefinition } from "../harness.js";

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

/** The `limit` suite. Baseline `f64-sum-x4` (the fastest plain JS read); every case reads the same buffer once per operation. */
export const limitSuite: SuiteDefinition = {
  name: "limit",
  summary: "memory-read limit: typed-array sums over a buffer larger than the caches (bytes/s)",
  build({ profile }) {
    const size = LIMIT_BYTES[profile];
    const u8 = limitBuffer(size, BENCH_SEED);
    const u32 = new Uint32Array(u8.buffer);
    const f64 = new Float64Array(u8.buffer);
    const buf = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
    // Reference values computed once; every case must reproduce its own before timing.
    const refU32 = sumU32(u32);
    const refF64 = sumF64(f64);
    const refF64x4 = sumF64x4(f64);
    const eventsPerOp = Math.floor(size / EVENT_STRIDE);
    const checked = (name: string, value: number, expected: number) => () => {
      if (value !== expected) throw new Error(`limit/${name}: got ${value}, expected ${expected}`);
      return { bytesRead: size };
    };
    const cases: CaseSpec[] = [
      {
        name: "f64-sum-x4",
        eventsPerOp,
        bytesPerOp: size,
        extra: { note: "the limit: 4 accumulators; events/s = 24-byte events' worth of bytes" },
        fn: () => sumF64x4(f64),
        result: () => checked("f64-sum-x4", sumF64x4(f64), refF64x4)(),
      },
      {
        name: "u32-sum",
        eventsPerOp,
        bytesPerOp: size,
        extra: { note: "one accumulator, wraps to u32" },
        fn: () => sumU32(u32),
        result: () => checked("u32-sum", sumU32(u32), refU32)(),
      },
      {
        name: "f64-sum",
        eventsPerOp,
        bytesPerOp: size,
        fn: () => sumF64(f64),
        result: () => checked("f64-sum", sumF64(f64), refF64)(),
      },
      {
        name: "native-memchr",
        eventsPerOp,
        bytesPerOp: size,
        extra: { note: "Buffer#indexOf of an absent byte (vectorised C)" },
        fn: () => buf.indexOf(ABSENT),
        result: () => checked("native-memchr", buf.indexOf(ABSENT), -1)(),
      },
    ];
    if (wasmSupported() && kernelBuilt("memread")) {
      // The same bytes copied into a shared wasm memory, read by the runtime's memread kernels.
      const arena = new SharedArena({ initialBytes: size + 2 * 65536, maximumBytes: size + 4 * 65536 });
      const at = arena.alloc(size);
      arena.u8().set(u8, at);
      const words = size / 4;
      for (const simd of [false, true]) {
        const reader = new MemRead(arena, { simd });
        const name = reader.variant === "memread_simd" ? "wasm-simd-u32-sum" : "wasm-u32-sum";
        if (cases.some((c) => c.name === name)) continue; // no SIMD here: the scalar build ran twice
        cases.push({
          name,
          eventsPerOp,
          bytesPerOp: size,
          extra: { note: `runtime MemRead (${reader.variant}.wasm) over a shared memory copy` },
          fn: () => reader.sum(at, words),
          result: () => checked(name, reader.sum(at, words), refU32)(),
        });
      }
    }
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

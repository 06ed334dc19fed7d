import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MemRead,
  ParkirRuntimeError,
  resolveKernel,
  SharedArena,
  simdSupported,
  sumU32Js,
  wasmSupported,
} from "../../src/runtime/index.js";
import { compileKernelSync, instantiateKernel } from "../../src/runtime/wasm.js";

describe("memory-read kernel", () => {
  const arena = new SharedArena({ initialBytes: 1 << 20 });
  const region = arena.alloc(256 * 1024);
  const scalar = new MemRead(arena, { simd: false });
  const simd = new MemRead(arena);

  it("picks the SIMD build where supported and the scalar build when asked", () => {
    expect(scalar.variant).toBe("memread");
    expect(simd.variant).toBe(simdSupported() ? "memread_simd" : "memread");
  });

  it("wasm scalar, wasm SIMD and the JS typed-array sum agree on any region", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 2000 }),
        fc.nat(64),
        (words, skew) => {
          const at = region + 4 * skew;
          const u32 = arena.u32();
          u32.set(words, at >> 2);
          const expected = sumU32Js(u32.subarray(at >> 2, (at >> 2) + words.length));
          let reference = 0;
          for (const w of words) reference = (reference + w) % 0x1_0000_0000;
          expect(expected).toBe(reference);
          expect(scalar.sum(at, words.length)).toBe(expected);
          expect(simd.sum(at, words.length)).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses misaligned or out-of-memory regions instead of trapping", () => {
    expect(() => simd.sum(region + 2, 4)).toThrow(RangeError);
    expect(() => simd.sum(arena.byteLength - 8, 4)).toThrow(RangeError);
    expect(() => simd.sum(-4, 1)).toThrow(RangeError);
    expect(simd.sum(arena.byteLength - 8, 2)).toBe(sumU32Js(arena.u32().subarray(-2)));
  });
});

describe("kernel selection", () => {
  it("defaults to wasm where WebAssembly and the build exist, and honours js", () => {
    expect(wasmSupported()).toBe(true);
    expect(resolveKernel(undefined, ["memread"])).toBe("wasm");
    expect(resolveKernel("wasm", ["memread"])).toBe("wasm");
    expect(resolveKernel("js", ["memread"])).toBe("js");
  });

  it("falls back to js by default but refuses an explicit wasm that cannot run", () => {
    const missing = ["no_such_kernel" as "memread"];
    expect(resolveKernel(undefined, missing)).toBe("js");
    expect(() => resolveKernel("wasm", missing)).toThrow(ParkirRuntimeError);
    expect(() => resolveKernel("asm" as "js", [])).toThrow(RangeError);
  });
});

describe("random-update yardstick (randomUpdates)", () => {
  it("does exactly the scattered updates it describes: de-dup high-water mark, bay bit flip, row sum", () => {
    const arena = new SharedArena({ initialBytes: 1 << 20 });
    const k = instantiateKernel<{
      randomUpdates(events: number, n: number, dedup: number, bays: number, acc: number): number;
    }>(compileKernelSync("memread"), arena.memory);
    fc.assert(
      fc.property(
        fc.array(fc.record({ bay: fc.nat(9), device: fc.nat(4), seq: fc.nat(1000) }), { maxLength: 60 }),
        (events) => {
          const rows = [3, 0, 2, 1, 3, 0, 2, 2, 1, 0]; // window row of each of 10 bays
          const ev = arena.alloc(24 * Math.max(1, events.length), 8);
          const dedup = arena.alloc(8 * 5, 8);
          const bays = arena.alloc(12 * 10, 8);
          const acc = arena.alloc(64 * 4, 8);
          const u32 = arena.u32();
          const f64 = arena.f64();
          u32.fill(0, dedup / 4, dedup / 4 + 10);
          f64.fill(0, acc / 8, acc / 8 + 32);
          rows.forEach((r, b) => {
            u32[bays / 4 + 3 * b + 2] = r << 8;
          });
          events.forEach((e, i) => {
            u32[ev / 4 + 6 * i + 1] = e.bay;
            u32[ev / 4 + 6 * i + 2] = e.seq;
            u32[ev / 4 + 6 * i + 5] = e.device;
          });
          k.randomUpdates(ev, events.length, dedup, bays, acc);
          for (let d = 0; d < 5; d++) {
            const seqs = events.filter((e) => e.device === d).map((e) => e.seq);
            expect(u32[dedup / 4 + 2 * d]).toBe(Math.max(0, ...seqs));
          }
          for (let b = 0; b < 10; b++) {
            const flips = events.filter((e) => e.bay === b).length;
            expect(u32[bays / 4 + 3 * b + 2]).toBe((rows[b]! << 8) | (flips & 1));
          }
          for (let r = 0; r < 4; r++) {
            expect(f64[acc / 8 + 8 * r]).toBe(events.filter((e) => rows[e.bay] === r).length);
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});

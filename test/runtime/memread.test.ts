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

/**
 * The memory-read yardstick: the sum of u32 words over a byte region, in JS and in wasm. It reads
 * every byte once and does nothing else, so its bytes/s is what "fraction of memory-read bandwidth"
 * of the other kernels is measured against (the reference is the plain JS typed-array sum).
 */
import type { SharedArena } from "./memory.js";
import { compileKernelSync, instantiateKernel, type KernelName, simdSupported } from "./wasm.js";

/**
 * Plain typed-array sum (mod 2^32) of `words` — the reference the issue names.
 *
 * @example
 * sumU32Js(new Uint32Array([1, 2, 0xffffffff])); // 2
 */
export function sumU32Js(words: Uint32Array): number {
  let s = 0;
  for (let i = 0; i < words.length; i++) s = (s + words[i]!) | 0;
  return s >>> 0;
}

/** Exports of build/memread.wasm and build/memread_simd.wasm. */
interface MemReadExports {
  sumU32(ptr: number, count: number): number;
}

/** Options of MemRead. */
export interface MemReadOptions {
  /** Use the SIMD build when the engine supports it. Default true; false forces the scalar build. */
  readonly simd?: boolean;
}

/**
 * The wasm memory-read kernel over an arena.
 *
 * @example
 * const mr = new MemRead(arena);
 * mr.sum(offset, words); // same as sumU32Js(arena.u32().subarray(offset >> 2, (offset >> 2) + words))
 */
export class MemRead {
  /** Which build runs: "memread_simd" or the scalar "memread" fallback. */
  readonly variant: KernelName;
  private readonly exports: MemReadExports;
  private readonly arena: SharedArena;
  constructor(arena: SharedArena, options: MemReadOptions = {}) {
    this.arena = arena;
    this.variant = options.simd !== false && simdSupported() ? "memread_simd" : "memread";
    this.exports = instantiateKernel<MemReadExports>(compileKernelSync(this.variant), arena.memory);
  }
  /**
   * Sum (mod 2^32) of `count` u32 words from byte offset `ptr`.
   *
   * @throws RangeError unless `ptr` is 4-byte aligned and the region lies inside the memory.
   */
  sum(ptr: number, count: number): number {
    checkRegion(this.arena, ptr, count);
    return this.exports.sumU32(ptr, count) >>> 0;
  }
}

/** Throws unless [ptr, ptr + 4 count) is an aligned region inside the arena's memory. */
export function checkRegion(arena: SharedArena, ptr: number, count: number): void {
  if (!(Number.isInteger(ptr) && Number.isInteger(count) && ptr >= 0 && count >= 0 && ptr % 4 === 0))
    throw new RangeError(`region (${ptr}, ${count} words) must be 4-byte aligned and non-negative`);
  if (ptr + 4 * count > arena.byteLength)
    throw new RangeError(`region (${ptr}, ${count} words) runs past the memory (${arena.byteLength} bytes)`);
}

// Memory-read kernel: the sum of u32 words over a region of the shared memory. It does no useful
// work beyond reading every byte once, so its speed is the yardstick for "fraction of memory-read
// bandwidth" of the other kernels. Scalar build; memread_simd.ts is the SIMD variant.

/**
 * Sum (mod 2^32) of `count` little-endian u32 words starting at byte `ptr` (4-byte aligned).
 * Four independent accumulators let the CPU overlap the loads; the result is the same as a
 * single running sum because addition mod 2^32 is associative.
 */
export function sumU32(ptr: usize, count: u32): u32 {
  let s0: u32 = 0;
  let s1: u32 = 0;
  let s2: u32 = 0;
  let s3: u32 = 0;
  let p = ptr;
  const end4 = ptr + ((usize(count) & ~3) << 2);
  while (p < end4) {
    s0 += load<u32>(p);
    s1 += load<u32>(p, 4);
    s2 += load<u32>(p, 8);
    s3 += load<u32>(p, 12);
    p += 16;
  }
  const end = ptr + (usize(count) << 2);
  while (p < end) {
    s0 += load<u32>(p);
    p += 4;
  }
  return s0 + s1 + s2 + s3;
}

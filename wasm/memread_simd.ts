// Memory-read kernel, SIMD variant (128-bit lanes). Same contract and result as memread.ts; the
// loader uses it only where the engine validates SIMD, and falls back to memread.wasm otherwise.

/** Sum (mod 2^32) of `count` u32 words starting at byte `ptr` (4-byte aligned). */
export function sumU32(ptr: usize, count: u32): u32 {
  let a = i32x4.splat(0);
  let b = i32x4.splat(0);
  let p = ptr;
  const end8 = ptr + ((usize(count) & ~7) << 2);
  while (p < end8) {
    a = i32x4.add(a, v128.load(p));
    b = i32x4.add(b, v128.load(p, 16));
    p += 32;
  }
  a = i32x4.add(a, b);
  let s = u32(
    i32x4.extract_lane(a, 0) + i32x4.extract_lane(a, 1) + i32x4.extract_lane(a, 2) + i32x4.extract_lane(a, 3),
  );
  const end = ptr + (usize(count) << 2);
  while (p < end) {
    s += load<u32>(p);
    p += 4;
  }
  return s;
}

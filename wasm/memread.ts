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

/**
 * Random-update yardstick for the occupancy kernel: for each of `n` events (24-byte structs at `events`, the
 * wire layout), the scattered memory work any kernel with per-device de-duplication, per-bay state and
 * per-row window sums must do, and nothing else: raise the device's 8-byte de-duplication slot to the event's
 * sequence number, flip a bit of the bay's 12-byte record (whose last word holds the window row above bit
 * 8), add 1.0 to the first f64 of that row's 64-byte accumulator. No rules, no lateness, no time.
 * Returns a sum of the bay words read (so nothing is optimised away). Used by `bench/probes.ts floor`.
 */
export function randomUpdates(events: usize, n: u32, dedup: usize, bays: usize, acc: usize): u32 {
  let s: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const p = events + usize(i) * 24;
    const bay = load<u32>(p, 4);
    const seq = load<u32>(p, 8);
    const slot = dedup + (usize(load<u32>(p, 20)) << 3);
    const high = load<u32>(slot);
    store<u32>(slot, max<u32>(seq, high));
    const rec = bays + usize(bay) * 12;
    const word = load<u32>(rec, 8);
    store<u32>(rec, word ^ 1, 8);
    const row = acc + usize(word >>> 8) * 64;
    store<f64>(row, load<f64>(row) + 1.0);
    s += word;
  }
  return s;
}

/**
 * A small seeded pseudo-random generator (sfc32, 128-bit state) with the distributions the trace
 * generator needs. Pure integer arithmetic on u32s, so the same seed gives the same numbers on every
 * platform and Node version. Not for cryptography.
 */
import { fnv1a } from "../catalog/city.js";

/** sfc32 generator with helpers for uniform, exponential, normal, lognormal and Poisson draws. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /**
   * Seeds from any safe integer (negative and above 2^32 values are folded, not truncated).
   *
   * @example
   * const rng = new Prng(42);
   * rng.next(); // same value on every run
   */
  constructor(seed: number, stream = 0) {
    const s = Number.isSafeInteger(seed) ? seed : 0;
    const lo = s >>> 0;
    const hi = Math.floor(s / 0x1_0000_0000) >>> 0;
    const st = splitmix32(stream >>> 0);
    this.a = splitmix32(lo ^ st);
    this.b = splitmix32(hi ^ 0x85ebca6b ^ st);
    this.c = splitmix32(lo ^ hi ^ 0xc2b2ae35 ^ (st >>> 7));
    this.d = 1;
    // Discard the first outputs: sfc32 mixes poorly right after seeding.
    for (let i = 0; i < 20; i++) this.nextU32();
  }

  /**
   * An independent generator for a named part of the simulation (e.g. one zone), derived from the
   * seed and the label only, so adding or reordering parts never shifts the others.
   */
  static derive(seed: number, label: string): Prng {
    return new Prng(seed, fnv1a(label));
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** Uniform float in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [0, n) for n ≥ 1. */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [min, max] (both inclusive). */
  intBetween(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /** Exponential draw with the given rate (events per unit); Infinity for rate ≤ 0. */
  exponential(rate: number): number {
    if (rate <= 0) return Number.POSITIVE_INFINITY;
    return -Math.log(1 - this.next()) / rate;
  }

  /** Standard normal draw (Box-Muller; one value per call so the stream position stays simple). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Lognormal draw with the given median and log-space standard deviation. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Poisson draw with mean λ (Knuth for small λ, normal approximation above 30). */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** splitmix32 finaliser: spreads a 32-bit value over all bits. */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

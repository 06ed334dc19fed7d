/**
 * Dynamic price histories: for each price slot (zone, vehicle class, band) the prices a controller
 * or operator set and when each took effect. Quotes read them (`locked`: at arrival; `integrated`:
 * at each unit's start). Append-only per slot.
 */
import { VEHICLE_CODES } from "../catalog/vehicles.js";
import { ParkirError } from "../errors/index.js";
import type { PriceArrays } from "./kernel.js";

/** Price slot index of a zone index, vehicle code and band index. */
export function priceSlot(zone: number, code: number, band: number, nBands: number): number {
  return (zone * VEHICLE_CODES + code) * nBands + band;
}

/**
 * Price histories by slot.
 *
 * @example
 * const book = new PriceBook(table.priceSlots);
 * book.set(slot, Date.parse("2026-11-30T10:00:00+08:00"), 2500);
 */
export class PriceBook {
  /** Number of slots. */
  readonly slots: number;
  /** Increments on every change (lets flattened copies be cached). */
  version = 0;
  private readonly history = new Map<number, { ms: number[]; price: number[] }>();
  private flat: PriceArrays | null = null;
  private flatVersion = -1;

  constructor(slots: number) {
    this.slots = slots;
  }

  /**
   * Records that `slot` costs `priceMinor` from `effectiveMs` on. An entry at the same instant as
   * the last one replaces it.
   *
   * @throws ParkirError when `effectiveMs` is before the slot's last change (history is append-only).
   */
  set(slot: number, effectiveMs: number, priceMinor: number): void {
    if (!(slot >= 0 && slot < this.slots)) throw new ParkirError(`price slot ${slot} out of range`);
    let h = this.history.get(slot);
    if (h === undefined) {
      h = { ms: [], price: [] };
      this.history.set(slot, h);
    }
    const last = h.ms.length - 1;
    if (last >= 0 && effectiveMs < h.ms[last]!)
      throw new ParkirError(`price history is append-only: ${effectiveMs} is before ${h.ms[last]}`);
    if (last >= 0 && effectiveMs === h.ms[last]) h.price[last] = priceMinor;
    else {
      h.ms.push(effectiveMs);
      h.price.push(priceMinor);
    }
    this.version++;
  }

  /** Price of `slot` in force at `t`, or undefined when it has none yet (the static tariff applies). */
  priceAt(slot: number, t: number): number | undefined {
    const h = this.history.get(slot);
    if (h === undefined || h.ms.length === 0 || h.ms[0]! > t) return undefined;
    let lo = 0;
    let hi = h.ms.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (h.ms[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    return h.price[lo];
  }

  /** Every change of a slot as [effectiveMs, priceMinor] pairs, oldest first. */
  changes(slot: number): [number, number][] {
    const h = this.history.get(slot);
    return h === undefined ? [] : h.ms.map((ms, i) => [ms, h.price[i]!]);
  }

  /** The price in force now (the last change) of every slot that has one, as [slot, effectiveMs, priceMinor]. */
  latest(): [number, number, number][] {
    const out: [number, number, number][] = [];
    for (const [slot, h] of this.history) {
      const last = h.ms.length - 1;
      if (last >= 0) out.push([slot, h.ms[last]!, h.price[last]!]);
    }
    return out.sort((a, b) => a[0] - b[0]);
  }

  /** Number of slots with at least one price. */
  get size(): number {
    return this.history.size;
  }

  /** The histories as flat arrays for the billing kernel (cached until the next change). */
  flatten(): PriceArrays {
    if (this.flat !== null && this.flatVersion === this.version) return this.flat;
    const histOffset = new Int32Array(this.slots + 1);
    let total = 0;
    for (const h of this.history.values()) total += h.ms.length;
    const histMs = new Float64Array(total);
    const histPriceMinor = new Float64Array(total);
    let at = 0;
    for (let s = 0; s < this.slots; s++) {
      histOffset[s] = at;
      const h = this.history.get(s);
      if (h === undefined) continue;
      for (let i = 0; i < h.ms.length; i++) {
        histMs[at] = h.ms[i]!;
        histPriceMinor[at] = h.price[i]!;
        at++;
      }
    }
    histOffset[this.slots] = at;
    this.flat = { slots: this.slots, histOffset, histMs, histPriceMinor };
    this.flatVersion = this.version;
    return this.flat;
  }
}

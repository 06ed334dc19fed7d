/**
 * Device EUIs read from message bytes → catalogue device index, without building a string per message: the
 * 16 hex digits become two 32-bit halves, looked up in an open-addressing table. The table learns each
 * catalogue device the first time its EUI is seen (through `City.deviceIndexByEui`), so it never holds more
 * than the catalogue's devices: EUIs outside the catalogue are never stored.
 */
import { type City, NONE } from "../catalog/index.js";

/** Hex digit values; -1 for any other byte. */
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let d = 0; d < 10; d++) HEX_VALUE[0x30 + d] = d;
for (let d = 0; d < 6; d++) HEX_VALUE[0x41 + d] = HEX_VALUE[0x61 + d] = 10 + d;

const DIGITS = "0123456789ABCDEF";

/** The EUI → device table of one catalogue. */
export class EuiIndex {
  private readonly city: City;
  /** Slots: the EUI's halves and device index (NONE: empty). */
  private readonly hi: Int32Array;
  private readonly lo: Int32Array;
  private readonly device: Int32Array;
  /** Each device's EUI as the events name it (upper-case hex), once seen. */
  private readonly euis: string[];
  /** Each device's event id prefix, `lw:{eui}:`, once seen. */
  private readonly prefixes: string[];
  private readonly mask: number;

  constructor(city: City) {
    this.city = city;
    let size = 16;
    while (size < 2 * city.deviceCount) size *= 2;
    this.hi = new Int32Array(size);
    this.lo = new Int32Array(size);
    this.device = new Int32Array(size).fill(NONE);
    this.euis = new Array<string>(city.deviceCount).fill("");
    this.prefixes = new Array<string>(city.deviceCount).fill("");
    this.mask = size - 1;
  }

  /**
   * The device index of the EUI `buf[s, e)` (16 hex digits of either case), or NONE when it is no EUI or no
   * catalogue device has it (the caller then reads the message the slow way, which names the error).
   */
  find(buf: Uint8Array, s: number, e: number): number {
    if (e - s !== 16) return NONE;
    let hi = 0;
    let lo = 0;
    let bad = 0;
    for (let k = 0; k < 8; k++) {
      const a = HEX_VALUE[buf[s + k]!]!;
      const b = HEX_VALUE[buf[s + 8 + k]!]!;
      bad |= a | b;
      hi = (hi << 4) | (a & 15);
      lo = (lo << 4) | (b & 15);
    }
    return bad < 0 ? NONE : this.findHalves(hi, lo);
  }

  /** The device index of the EUI whose 16 hex digits are the 32-bit halves `hi`, `lo` (as `find` reads them). */
  findHalves(hi: number, lo: number): number {
    const mask = this.mask;
    // Every bit of both halves reaches the low bits the slot is taken from (catalogue EUIs share most digits).
    let slot = lo ^ Math.imul(hi, 0x9e3779b1);
    slot = Math.imul(slot ^ (slot >>> 16), 0x85ebca6b);
    slot = Math.imul(slot ^ (slot >>> 13), 0xc2b2ae35);
    slot ^= slot >>> 16;
    for (;;) {
      slot &= mask;
      const d = this.device[slot]!;
      if (d === NONE) return this.learn(slot, hi, lo);
      if (this.hi[slot] === hi && this.lo[slot] === lo) return d;
      slot++;
    }
  }

  /** The EUI string (upper-case hex) of a device `find` returned. */
  eui(device: number): string {
    return this.euis[device]!;
  }

  /** The event id prefix `lw:{eui}:` of a device `find` returned. */
  idPrefix(device: number): string {
    return this.prefixes[device]!;
  }

  /** Looks an EUI not in the table up in the catalogue, and keeps it when a device has it. */
  private learn(slot: number, hi: number, lo: number): number {
    const eui = hex8(hi) + hex8(lo);
    const d = this.city.deviceIndexByEui(eui);
    // One slot per device: a second EUI of the same device (no catalogue has one) is left to the string lookup.
    if (d === NONE || d < 0 || d >= this.euis.length || this.euis[d] !== "") return NONE;
    this.hi[slot] = hi;
    this.lo[slot] = lo;
    this.device[slot] = d;
    this.euis[d] = eui;
    this.prefixes[d] = `lw:${eui}:`;
    return d;
  }
}

function hex8(v: number): string {
  let out = "";
  for (let k = 28; k >= 0; k -= 4) out += DIGITS[(v >>> k) & 15];
  return out;
}

const indices = new WeakMap<City, EuiIndex>();
/** The catalogue asked for last (a gateway has one): its index without the WeakMap lookup. */
let last: { readonly city: City; readonly index: EuiIndex } | undefined;

/** The EUI index of a catalogue (built on first use, kept while the catalogue lives). */
export function euiIndex(city: City): EuiIndex {
  if (last !== undefined && last.city === city) return last.index;
  let ix = indices.get(city);
  if (ix === undefined) {
    ix = new EuiIndex(city);
    indices.set(city, ix);
  }
  last = { city, index: ix };
  return ix;
}

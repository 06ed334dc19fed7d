/**
 * The pricing engine's checkpoint format: a 4-byte magic ("PKPR") and the controller state as JSON (every
 * slot's price, last change and PI integrator, the open period's sums, operator freezes, the price in force
 * per slot and the counters). `readPricingCheckpoint` validates a document completely, against the shape of
 * the engine restoring it, before anything is changed.
 */

import { VEHICLE_CODES } from "../catalog/vehicles.js";
import { ParkirWireError } from "../errors/index.js";
import type { PricingEngineStats } from "./engine.js";

/** Magic of a pricing checkpoint ("PKPR"). */
export const PRICING_MAGIC = Uint8Array.of(0x50, 0x4b, 0x50, 0x52);
/** Version of the pricing checkpoint's JSON. */
export const PRICING_CHECKPOINT_VERSION = 1;

/** The JSON of a pricing checkpoint (non-finite numbers as null for NaN, "-Infinity"). */
export interface PricingCheckpoint {
  readonly v: number;
  readonly layout: number;
  readonly n: number;
  readonly price: number[];
  readonly lastChangeMs: (number | string | null)[];
  readonly integral: number[];
  readonly occMs: number[];
  readonly knownOccMs: number[];
  readonly knownMs: number[];
  readonly capacityMs: number[];
  readonly openPeriod: (number | string | null)[];
  readonly freezes: {
    zones: number[];
    codes: number[];
    fromMs: number;
    toMs: number;
    reason: string;
  }[];
  readonly prices: [number, number, number][];
  readonly stats: PricingEngineStats;
}

/** A number as JSON keeps it: NaN as null, infinities as strings. */
export function encodeNumber(x: number): number | string | null {
  if (Number.isFinite(x)) return x;
  return Number.isNaN(x) ? null : String(x);
}

/** The inverse of encodeNumber. */
export function decodeNumber(x: number | string | null): number {
  if (x === null) return Number.NaN;
  return typeof x === "string" ? Number(x) : x;
}

/** Indices of the zones set in a mask. */
export function zoneIndices(mask: Uint8Array): number[] {
  const out: number[] = [];
  for (let z = 0; z < mask.length; z++) if (mask[z] === 1) out.push(z);
  return out;
}

/** What a checkpoint must match: the engine's layout hash and sizes. */
export interface PricingCheckpointShape {
  /** Hash of the city, controllers and slot layout the arrays depend on. */
  readonly layout: number;
  /** Controlled price slots. */
  readonly slots: number;
  /** Controllers (one open period each). */
  readonly controllers: number;
  /** Zones of the city. */
  readonly zones: number;
  /** Slots of the price book. */
  readonly priceSlots: number;
  /** Keys of the engine's counters. */
  readonly statKeys: readonly string[];
}

/** Validates checkpoint bytes completely before anything is changed. */
export function readPricingCheckpoint(bytes: Uint8Array, shape: PricingCheckpointShape): PricingCheckpoint {
  const bad = (reason: "too-small" | "bad-identifier" | "bad-string" | "bad-field", what: string) =>
    new ParkirWireError(reason, 0, `pricing checkpoint: ${what}`);
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < 4)
    throw bad("too-small", "shorter than its magic");
  for (let i = 0; i < 4; i++) if (bytes[i] !== PRICING_MAGIC[i]) throw bad("bad-identifier", "wrong magic");
  let doc: PricingCheckpoint;
  try {
    doc = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(4)),
    ) as PricingCheckpoint;
  } catch {
    throw bad("bad-string", "not JSON");
  }
  if (typeof doc !== "object" || doc === null || doc.v !== PRICING_CHECKPOINT_VERSION)
    throw bad(
      "bad-field",
      `version ${String((doc as { v?: unknown } | null)?.v)} is not ${PRICING_CHECKPOINT_VERSION}`,
    );
  const layout = shape.layout;
  if (doc.layout !== layout || doc.n !== shape.slots)
    throw new ParkirWireError(
      "catalog-mismatch",
      0,
      `pricing checkpoint is for another city, policy or controller layout (${String(doc.layout)}, ${String(doc.n)} slots; this engine: ${layout}, ${shape.slots} slots)`,
    );
  const n = shape.slots;
  const finite = (x: unknown) => typeof x === "number" && Number.isFinite(x);
  const column = (name: keyof PricingCheckpoint, len: number, ok: (x: unknown) => boolean) => {
    const v = doc[name];
    if (!Array.isArray(v) || v.length !== len || !v.every(ok)) throw bad("bad-field", `${name} is malformed`);
  };
  const timeOrNone = (x: unknown) => finite(x) || x === "-Infinity";
  column("price", n, (x) => Number.isSafeInteger(x));
  column("lastChangeMs", n, timeOrNone);
  for (const k of ["integral", "occMs", "knownOccMs", "knownMs", "capacityMs"] as const) column(k, n, finite);
  column("openPeriod", shape.controllers, (x) => x === null || Number.isSafeInteger(x));
  const zones = shape.zones;
  column("freezes", Array.isArray(doc.freezes) ? doc.freezes.length : -1, (f) => {
    const r = f as PricingCheckpoint["freezes"][number];
    return (
      typeof r === "object" &&
      r !== null &&
      Array.isArray(r.zones) &&
      r.zones.every((z) => Number.isInteger(z) && z >= 0 && z < zones) &&
      Array.isArray(r.codes) &&
      r.codes.every((c) => Number.isInteger(c) && c >= 0 && c < VEHICLE_CODES) &&
      finite(r.fromMs) &&
      finite(r.toMs) &&
      r.fromMs < r.toMs &&
      typeof r.reason === "string"
    );
  });
  column("prices", Array.isArray(doc.prices) ? doc.prices.length : -1, (e) => {
    const r = e as [unknown, unknown, unknown];
    return (
      Array.isArray(r) &&
      r.length === 3 &&
      Number.isInteger(r[0]) &&
      (r[0] as number) >= 0 &&
      (r[0] as number) < shape.priceSlots &&
      finite(r[1]) &&
      Number.isSafeInteger(r[2])
    );
  });
  const st = doc.stats as unknown as Record<string, unknown> | null;
  if (
    typeof st !== "object" ||
    st === null ||
    !shape.statKeys.every((k) => Number.isSafeInteger(st[k]) && (st[k] as number) >= 0)
  )
    throw bad("bad-field", "stats are malformed");
  return doc;
}

/**
 * Checkpoints of a sharded occupancy engine: merging the shards' checkpoints into the bytes a single engine
 * would write, and cutting a single engine's checkpoint into shard checkpoints.
 *
 * Every shard applies only its own bays and zones (so a bay's columns and a window row are right in the shard
 * that owns them); merging takes those from their owners and sums the per-shard counters. What else a shard
 * holds depends on how the shards admit events:
 * - every event (`own` false): de-duplication memory, pending events, payments and the other registers are the
 *   same in all shards, taken from shard 0 after checking that every shard agrees;
 * - own zones only (`own` true, see own.ts): a shard holds the pending events of its own zones and every
 *   payment, the sequence and hash keys of its own devices and zones and every id key, and counts its own
 *   events (accepted, duplicate, late, unknown) and, in shard 0, the payments. Merging sorts the pending events
 *   and keys of all shards into the single engine's canonical order; splitting gives each shard its part.
 */
import type { City } from "../../catalog/city.js";
import { ParkirError } from "../../errors/index.js";
import { KIND } from "../../wire/kinds.js";
import { FLAG_TARGET_ZONE } from "../../wire/layout.js";
import { type CheckpointParts, readCheckpoint, writeCheckpoint } from "../checkpoint.js";
import { compareKeys, keySections, type SavedKey } from "../dedup.js";
import {
  PENDING_STRIDE,
  R_ACCEPTED,
  R_APPLIED,
  R_DECOMMISSIONED,
  R_DUPLICATE,
  R_HEALTH_DROPPED,
  R_LATE,
  R_LOST,
  R_RECOVERED,
  R_SILENT,
  R_TAIL,
  R_UNKNOWN,
} from "../kernel.js";
import { comparePending } from "../pending.js";
import { recordOwners, type ShardPlan } from "./shards.js";

/** Registers each shard counts for its own bays: summed when merging, zeroed in shards > 0 when splitting. */
export const SUMMED_REGISTERS = [
  R_APPLIED,
  R_SILENT,
  R_LOST,
  R_DECOMMISSIONED,
  R_RECOVERED,
  R_HEALTH_DROPPED,
];

/** Registers each shard counts for its own events when shards admit their own zones only (summed as well). */
export const OWN_SUMMED_REGISTERS = [R_ACCEPTED, R_DUPLICATE, R_LATE, R_UNKNOWN];

function f64Of(bytes: Uint8Array): Float64Array {
  return new Float64Array(bytes.slice().buffer);
}

/** Bytes per bay of a per-bay section (bay b is device b, so recordOwners gives its owner). */
function bytesPerBay(city: City, name: string, bytes: Uint8Array): number {
  if (city.bayCount === 0) return 0;
  if (bytes.byteLength % city.bayCount !== 0)
    throw new ParkirError(`sharded checkpoint: section ${name} is not per bay`);
  return bytes.byteLength / city.bayCount;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

/**
 * Merges shard checkpoints (in shard order) into single-engine checkpoint bytes; `own`: the shards admitted
 * their own zones' events only (see the file comment).
 *
 * @throws ParkirError when shards disagree on state they should share (a bug, never bad input).
 */
export function mergeCheckpoints(
  city: City,
  plans: readonly ShardPlan[],
  shards: readonly Uint8Array[],
  own = false,
): Uint8Array {
  const parts = shards.map((b) => readCheckpoint(b));
  const first = parts[0]!;
  for (const p of parts) {
    if (
      p.watermarkMs !== first.watermarkMs ||
      p.maxEventMs !== first.maxEventMs ||
      p.optionsJson !== first.optionsJson
    )
      throw new ParkirError("sharded checkpoint: shards disagree on the watermark or options");
  }
  const owners = recordOwners(city, plans);
  const rowCount = plans.at(-1)!.rowHi;
  const sections = new Map<string, Uint8Array>();
  const summed = own ? [...SUMMED_REGISTERS, ...OWN_SUMMED_REGISTERS] : SUMMED_REGISTERS;
  const pending = own ? mergePending(city, owners, parts) : null;
  for (const [name, bytes0] of first.sections) {
    if (name === "checksum") continue;
    const all = parts.map((p) => {
      const b = p.sections.get(name);
      if (b === undefined) throw new ParkirError(`sharded checkpoint: a shard lacks section ${name}`);
      return b;
    });
    if (name === "reg") {
      const reg = f64Of(bytes0);
      const regs = all.map(f64Of);
      for (const r of summed) reg[r] = regs.reduce((sum, x) => sum + x[r]!, 0);
      if (pending !== null) reg[R_TAIL] = pending.time.length;
      const check = reg.slice();
      for (const x of regs) {
        for (const r of summed) x[r] = check[r]!;
        if (pending !== null) x[R_TAIL] = check[R_TAIL]!;
        if (!same(new Uint8Array(x.buffer), new Uint8Array(check.buffer)))
          throw new ParkirError("sharded checkpoint: shards disagree on registers");
      }
      sections.set(name, new Uint8Array(reg.buffer));
    } else if (name.startsWith("bays.")) {
      const size = bytesPerBay(city, name, bytes0);
      const out = bytes0.slice();
      for (let b = 0; b < city.bayCount; b++) {
        const o = owners[b]!;
        if (o !== 0) out.set(all[o]!.subarray(b * size, (b + 1) * size), b * size);
      }
      sections.set(name, out);
    } else if (name.startsWith("rows.") || name.startsWith("q.")) {
      if (rowCount === 0 || bytes0.byteLength % rowCount !== 0)
        throw new ParkirError(`sharded checkpoint: section ${name} is not per window row`);
      const size = bytes0.byteLength / rowCount;
      const out = bytes0.slice();
      for (const p of plans) out.set(all[p.index]!.subarray(p.rowLo * size, p.rowHi * size), p.rowLo * size);
      sections.set(name, out);
    } else if (pending !== null && name === "pending.time") sections.set(name, bytesOf(pending.time));
    else if (pending !== null && name === "pending.words") sections.set(name, bytesOf(pending.words));
    else if (own && name.startsWith("dedup.")) {
      if (name === "dedup.keys") for (const [n, b] of mergeKeys(parts)) sections.set(n, b);
    } else {
      for (const b of all)
        if (!same(b, bytes0)) throw new ParkirError(`sharded checkpoint: shards disagree on section ${name}`);
      sections.set(name, bytes0.slice());
    }
  }
  return write(first, sections);
}

/**
 * Shard `plan`'s checkpoint from a single-engine checkpoint: shards > 0 start their summed counters at 0, and
 * every shard forgets the state of bays it does not own; with `own`, it also keeps only its own zones' pending
 * events (and every payment) and its own devices' and zones' keys (and every id key).
 *
 * @throws ParkirWireError when the bytes are not a checkpoint.
 */
export function splitCheckpoint(
  city: City,
  plans: readonly ShardPlan[],
  plan: ShardPlan,
  bytes: Uint8Array,
  own = false,
): Uint8Array {
  const parts = readCheckpoint(bytes);
  const owners = recordOwners(city, plans);
  const sections = new Map<string, Uint8Array>();
  const summed = own ? [...SUMMED_REGISTERS, ...OWN_SUMMED_REGISTERS] : SUMMED_REGISTERS;
  const pending = own ? splitPending(city, owners, plan.index, parts) : null;
  for (const [name, b] of parts.sections) {
    if (name === "checksum") continue;
    if (name === "reg") {
      const reg = f64Of(b);
      if (plan.index !== 0) for (const r of summed) reg[r] = 0;
      if (pending !== null) reg[R_TAIL] = pending.time.length;
      sections.set(name, new Uint8Array(reg.buffer));
    } else if (name.startsWith("bays.")) {
      const size = bytesPerBay(city, name, b);
      const out = b.slice();
      for (let bay = 0; bay < city.bayCount; bay++)
        if (owners[bay] !== plan.index) out.fill(0, bay * size, (bay + 1) * size);
      sections.set(name, out);
    } else if (pending !== null && name === "pending.time") sections.set(name, bytesOf(pending.time));
    else if (pending !== null && name === "pending.words") sections.set(name, bytesOf(pending.words));
    else if (own && name.startsWith("dedup.")) {
      if (name === "dedup.keys")
        for (const [n, x] of writeKeys(readKeys(parts).filter((k) => ownsKey(owners, plan.index, k))))
          sections.set(n, x);
    } else sections.set(name, b.slice());
  }
  return write(parts, sections);
}

/** What shard k adopts when the shards turn from own admission to every event (OccupancyEngine.adoptAdmission). */
export interface Adoption {
  /** The other shards' pending events (no payments), in order. */
  readonly time: Float64Array;
  readonly words: Uint32Array;
  /** The engine's de-duplication keys, as checkpoint sections. */
  readonly keys: { readonly keys: Uint32Array; readonly times: Float64Array; readonly ids: Uint8Array };
  /** The engine's counts of admitted events: accepted, duplicate, late, unknown. */
  readonly counts: [number, number, number, number];
}

/**
 * What shard `k` adopts from the whole engine's checkpoint (mergeCheckpoints of the shards' own-admission
 * checkpoints) to admit every event from then on.
 *
 * @throws ParkirWireError when the bytes are not a checkpoint.
 */
export function adoptionFor(
  city: City,
  plans: readonly ShardPlan[],
  k: number,
  merged: Uint8Array,
): Adoption {
  const parts = readCheckpoint(merged);
  const owners = recordOwners(city, plans);
  const all = pendingOf(parts);
  const others = pick(all, (q) => {
    const o = pendingOwner(city, owners, all.words, q);
    return o >= 0 && o !== k;
  });
  const section = (name: string): Uint8Array => {
    const b = parts.sections.get(name);
    if (b === undefined) throw new ParkirError(`sharded checkpoint: no section ${name}`);
    return b.slice();
  };
  const reg = f64Of(section("reg"));
  return {
    time: others.time,
    words: others.words,
    keys: {
      keys: new Uint32Array(section("dedup.keys").buffer),
      times: new Float64Array(section("dedup.times").buffer),
      ids: section("dedup.ids"),
    },
    counts: [reg[R_ACCEPTED]!, reg[R_DUPLICATE]!, reg[R_LATE]!, reg[R_UNKNOWN]!],
  };
}

/** Whether shard k keeps a pending event under own admission: its own zones' events and every payment. */
export function keepsPending(
  city: City,
  owners: Uint8Array,
  k: number,
): (kvf: number, target: number) => boolean {
  return (kvf, target) =>
    (kvf & 0xff) >= KIND.payment_start ||
    owners[((kvf >>> 16) & FLAG_TARGET_ZONE) !== 0 ? city.deviceCount + target : target] === k;
}

function bytesOf(a: Float64Array | Uint32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** The pending events of a checkpoint's sections. */
function pendingOf(parts: CheckpointParts): { time: Float64Array; words: Uint32Array } {
  const t = parts.sections.get("pending.time");
  const w = parts.sections.get("pending.words");
  if (t === undefined || w === undefined) throw new ParkirError("sharded checkpoint: no pending events");
  return { time: new Float64Array(t.slice().buffer), words: new Uint32Array(w.slice().buffer) };
}

/** Shard owning pending event `q` of `words`: its bay's or zone's; -1 for a payment (every shard holds those). */
function pendingOwner(city: City, owners: Uint8Array, words: Uint32Array, q: number): number {
  const kvf = words[q * PENDING_STRIDE + 3]!;
  if ((kvf & 0xff) >= KIND.payment_start) return -1;
  const target = words[q * PENDING_STRIDE]!;
  return owners[((kvf >>> 16) & FLAG_TARGET_ZONE) !== 0 ? city.deviceCount + target : target]!;
}

/** The pending events `keep` selects, in their order, copied into new columns. */
function pick(
  src: { time: Float64Array; words: Uint32Array },
  keep: (q: number) => boolean,
): { time: Float64Array; words: Uint32Array } {
  const idx: number[] = [];
  for (let q = 0; q < src.time.length; q++) if (keep(q)) idx.push(q);
  const time = new Float64Array(idx.length);
  const words = new Uint32Array(idx.length * PENDING_STRIDE);
  idx.forEach((q, n) => {
    time[n] = src.time[q]!;
    words.set(src.words.subarray(q * PENDING_STRIDE, (q + 1) * PENDING_STRIDE), n * PENDING_STRIDE);
  });
  return { time, words };
}

/** Shard k's pending events of a whole engine's: its own zones' and every payment (in their sorted order). */
function splitPending(
  city: City,
  owners: Uint8Array,
  k: number,
  parts: CheckpointParts,
): { time: Float64Array; words: Uint32Array } {
  const all = pendingOf(parts);
  return pick(all, (q) => {
    const o = pendingOwner(city, owners, all.words, q);
    return o === k || o < 0;
  });
}

/**
 * The whole engine's pending events from the shards': each shard's own zones' events and shard 0's payments,
 * in the canonical order (comparePending: checkpoints hold them sorted).
 */
function mergePending(
  city: City,
  owners: Uint8Array,
  parts: readonly CheckpointParts[],
): { time: Float64Array; words: Uint32Array } {
  const picked = parts.map((p, k) => {
    const all = pendingOf(p);
    return pick(all, (q) => {
      const o = pendingOwner(city, owners, all.words, q);
      return o === k || (o < 0 && k === 0);
    });
  });
  let n = 0;
  for (const p of picked) n += p.time.length;
  const time = new Float64Array(n);
  const words = new Uint32Array(n * PENDING_STRIDE);
  n = 0;
  for (const p of picked) {
    time.set(p.time, n);
    words.set(p.words, n * PENDING_STRIDE);
    n += p.time.length;
  }
  const order = Array.from({ length: n }, (_, q) => q).sort((a, b) => comparePending(time, words, a, b));
  return reorder(time, words, order);
}

function reorder(
  time: Float64Array,
  words: Uint32Array,
  order: readonly number[],
): { time: Float64Array; words: Uint32Array } {
  const t = new Float64Array(order.length);
  const w = new Uint32Array(order.length * PENDING_STRIDE);
  order.forEach((q, n) => {
    t[n] = time[q]!;
    w.set(words.subarray(q * PENDING_STRIDE, (q + 1) * PENDING_STRIDE), n * PENDING_STRIDE);
  });
  return { time: t, words: w };
}

/** Key type of sequence keys and of device hash keys (dedup.ts K_SEQ, K_HASH): held by the owner of slot `a`. */
const K_SEQ = 1;
const K_HASH = 3;

function readKeys(parts: Pick<CheckpointParts, "sections">): SavedKey[] {
  const k = parts.sections.get("dedup.keys");
  const t = parts.sections.get("dedup.times");
  const d = parts.sections.get("dedup.ids");
  if (k === undefined || t === undefined || d === undefined)
    throw new ParkirError("sharded checkpoint: no de-duplication keys");
  const keys = new Uint32Array(k.slice().buffer);
  const times = new Float64Array(t.slice().buffer);
  const out: SavedKey[] = [];
  let at = 0;
  for (let n = 0; n < keys.length / 4; n++) {
    const len = keys[n * 4 + 3]!;
    out.push({
      type: keys[n * 4]!,
      a: keys[n * 4 + 1]!,
      b: keys[n * 4 + 2]!,
      t: times[n * 2]!,
      time: times[n * 2 + 1]!,
      id: d.subarray(at, at + len),
    });
    at += len;
  }
  return out;
}

function ownsKey(owners: Uint8Array, k: number, key: SavedKey): boolean {
  return (key.type !== K_SEQ && key.type !== K_HASH) || owners[key.a] === k;
}

/** The shards' keys as one engine holds them: sorted, each once (every shard holds every id key). */
function mergeKeys(parts: readonly CheckpointParts[]): [string, Uint8Array][] {
  const all = parts.flatMap(readKeys).sort(compareKeys);
  return writeKeys(all.filter((k, n) => n === 0 || compareKeys(all[n - 1]!, k) !== 0));
}

/** Puts the de-duplication key sections of `sections` into the canonical order (DedupMemory.sections()'s). */
export function sortKeySections(sections: Map<string, Uint8Array>): void {
  for (const [name, b] of writeKeys(readKeys({ sections }).sort(compareKeys))) sections.set(name, b);
}

function writeKeys(keys: readonly SavedKey[]): [string, Uint8Array][] {
  return keySections(keys).map(([name, a]) => [name, a instanceof Uint8Array ? a : bytesOf(a)]);
}

function write(header: CheckpointParts, sections: Map<string, Uint8Array>): Uint8Array {
  return writeCheckpoint({
    city: header.city,
    catalogHash: header.catalogHash,
    watermarkMs: header.watermarkMs,
    maxEventMs: header.maxEventMs,
    optionsJson: header.optionsJson,
    sections,
  });
}

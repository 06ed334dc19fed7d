/**
 * Feeds with copies, and an independent reference of admission (a Map of keys) for the de-duplication
 * properties. The reference is written from the contract in docs/OCCUPANCY.md and shares no code with the
 * engine: an event is a duplicate when it has the same event_id, or the same device, sequence number and time,
 * as an accepted event whose time is at or above the watermark; otherwise it is late when older than the
 * watermark; otherwise accepted, and the watermark rises to the newest accepted time minus the lateness.
 */
import fc from "fast-check";
import type { CdsEvent } from "../../src/wire/index.js";
import { MIN, SEC, T0 } from "./fixtures.js";

/** Where a source's events go in testCity(): bay sensors, the gate counter of zone C, attendant counts in
 * zone B, zone-level parking in zone C (the last two without a device). */
type Source = "A1" | "A2" | "A3" | "gate" | "count" | "zonePark";
const SOURCES: readonly Source[] = ["A1", "A2", "A3", "gate", "count", "zonePark"];

/** A generated feed: the events in delivery order, cut into batches, and how many are copies. */
export interface CopiedFeed {
  readonly events: CdsEvent[];
  readonly batches: CdsEvent[][];
  readonly copies: number;
}

/**
 * Feeds of testCity() events (bay sensors A1–A3, gate counter GATE-C of zone C, attendant counts in zone B
 * and zone-level park_start/park_end in zone C), each source with or without sequence numbers, delivered a
 * little out of order, with copies placed anywhere up to `copyDelayMaxMs` of event time after their original
 * (so within the lateness and beyond it), across batches. Copies are exact copies, retransmissions (another
 * event_id, same device, sequence number and time) or the same event_id with another sequence number.
 */
export function arbCopiedFeed(latenessMs: number, copyDelayMaxMs = latenessMs): fc.Arbitrary<CopiedFeed> {
  return fc
    .record({
      withSeq: fc.record({
        A1: fc.boolean(),
        A2: fc.boolean(),
        A3: fc.boolean(),
        gate: fc.boolean(),
        count: fc.boolean(),
        zonePark: fc.boolean(),
      }),
      base: fc.array(
        fc.record({
          source: fc.constantFrom(...SOURCES),
          gapMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 * SEC })),
          jitterMs: fc.integer({ min: 0, max: Math.floor(latenessMs / 2) }),
          flag: fc.boolean(),
          n: fc.integer({ min: 1, max: 3 }),
        }),
        { minLength: 1, maxLength: 60 },
      ),
      copies: fc.array(
        fc.record({
          of: fc.nat(),
          delayMs: fc.integer({ min: 0, max: copyDelayMaxMs }),
          how: fc.constantFrom("same", "retransmit", "sameIdNewSeq"),
        }),
        { maxLength: 40 },
      ),
      cuts: fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 30 }),
    })
    .map(({ withSeq, base, copies, cuts }) => {
      const seqOf = new Map<Source, number>();
      let t = T0 + 7 * SEC;
      const items: { e: CdsEvent; key: number; order: number }[] = [];
      base.forEach((b, i) => {
        t += b.gapMs;
        const e = baseEvent(b.source, i, t, b.flag, b.n);
        if (withSeq[b.source]) {
          const s = (seqOf.get(b.source) ?? 0) + 1;
          seqOf.set(b.source, s);
          e.sequence_number = s;
        }
        items.push({ e, key: t + b.jitterMs, order: items.length });
      });
      const n = items.length;
      let made = 0;
      for (const c of copies) {
        const orig = items[c.of % n]!;
        let e: CdsEvent;
        if (c.how === "same") e = { ...orig.e };
        else if (orig.e.sequence_number === undefined) continue;
        else if (c.how === "retransmit") e = { ...orig.e, event_id: `${orig.e.event_id}-r${made}` };
        else e = { ...orig.e, sequence_number: orig.e.sequence_number + 1000 + made };
        items.push({ e, key: orig.key + c.delayMs, order: items.length });
        made++;
      }
      items.sort((a, b) => a.key - b.key || a.order - b.order);
      const events = items.map((x) => x.e);
      const batches: CdsEvent[][] = [];
      for (let at = 0, k = 0; at < events.length; k++) {
        const size = cuts[k % cuts.length]!;
        batches.push(events.slice(at, at + size));
        at += size;
      }
      return { events, batches, copies: made };
    });
}

function baseEvent(source: Source, i: number, t: number, flag: boolean, n: number): CdsEvent {
  const id = `ev-${i}`;
  if (source === "gate")
    return {
      event_id: id,
      event_type: flag ? "enter_area" : "exit_area",
      event_time: t,
      curb_zone_id: "C",
      data_source_device_id: "GATE-C",
      vehicle_count: n,
    };
  if (source === "count")
    return {
      event_id: id,
      event_type: "manual_count",
      event_time: t,
      curb_zone_id: "B",
      vehicle_count: 3 * n,
    };
  if (source === "zonePark")
    return { event_id: id, event_type: flag ? "park_start" : "park_end", event_time: t, curb_zone_id: "C" };
  return {
    event_id: id,
    event_type: flag ? "park_start" : "park_end",
    event_time: t,
    curb_space_id: source,
    data_source_device_id: `S${source}`,
  };
}

/** What the reference admits: counts, and the accepted events in delivery order. */
export interface Admission {
  accepted: number;
  duplicate: number;
  late: number;
  readonly kept: CdsEvent[];
}

/** The reference of admission over events in delivery order (see the file comment). */
export function admissionOracle(events: readonly CdsEvent[], latenessMs: number): Admission {
  const seen = new Map<string, number>();
  let maxSeen = Number.NEGATIVE_INFINITY;
  const out: Admission = { accepted: 0, duplicate: 0, late: 0, kept: [] };
  for (const e of events) {
    const t = e.event_time as number;
    const w = maxSeen - latenessMs;
    const keys = [`id ${e.event_id}`];
    if (e.sequence_number !== undefined)
      keys.push(
        `seq ${e.data_source_device_id ?? e.curb_space_id ?? e.curb_zone_id} ${e.sequence_number} ${t}`,
      );
    if (keys.some((k) => seen.has(k) && seen.get(k)! >= w)) out.duplicate++;
    else if (t < w) out.late++;
    else {
      for (const k of keys) seen.set(k, t);
      maxSeen = Math.max(maxSeen, t);
      out.accepted++;
      out.kept.push(e);
    }
  }
  return out;
}

/** Lateness used by the feeds' tests. */
export const COPY_LATENESS_MS = 2 * MIN;

/**
 * Two payment session ids with the same 32-bit hash (fnv1a, which the wire format carries for them). Found by
 * brute force over `QRIS-<n>` in increasing n, keeping every hash in a Map until one repeats (the first repeat
 * comes at n = 1 064 880, about a second of work, so the pair is written here; a test checks it collides).
 */
export function collidingSessions(): [string, string] {
  return ["QRIS-694459", "QRIS-1064880"];
}

/**
 * Payment events in zones D and B over sessions whose ids collide in the wire's hash, one id in two zones, and
 * repeats (the same event, or the same session and kind under another event id), from `startMs` on.
 */
export function collidingPayments(startMs: number): CdsEvent[] {
  const [a, b] = collidingSessions();
  const pay = (id: string, type: "payment_start" | "payment_end", t: number, session: string, zone: string) =>
    ({
      event_id: id,
      event_type: type,
      event_time: startMs + t,
      curb_zone_id: zone,
      event_session_id: session,
      ...(type === "payment_end" ? { actual_cost: 4000 } : {}),
    }) satisfies CdsEvent;
  return [
    pay("pa1", "payment_start", 10 * SEC, a, "D"),
    pay("pa2", "payment_start", 20 * SEC, b, "D"),
    pay("pa3", "payment_start", 25 * SEC, a, "B"),
    pay("pa2", "payment_start", 20 * SEC, b, "D"),
    pay("pa4", "payment_start", 30 * SEC, a, "D"),
    pay("pa5", "payment_end", 4 * MIN, a, "D"),
    pay("pa6", "payment_end", 6 * MIN, b, "D"),
    pay("pa7", "payment_end", 7 * MIN, a, "B"),
  ];
}

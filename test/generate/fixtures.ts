/** Shared, lazily built traces for the generator tests (a Palu day takes ~0.5 s; build each once per file). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type City, loadCity } from "../../src/catalog/index.js";
import { type FaultOptions, generateTrace, TraceReport } from "../../src/generate/index.js";
import type { CdsEvent } from "../../src/wire/index.js";
import { EVENT_KEYS } from "../../src/wire/index.js";

/** Repository root. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The committed Palu catalogue. */
export const PALU_PATH = join(ROOT, "seeds", "palu", "city.json");
/** Monday 2026-11-30 00:00 in Palu. */
export const MONDAY_MS = Date.parse("2026-11-30T00:00:00+08:00");

let palu: City | undefined;
/** The committed Palu catalogue, loaded. */
export function paluCity(): City {
  palu ??= loadCity(JSON.parse(readFileSync(PALU_PATH, "utf8")));
  return palu;
}

/** A generated trace with its report. */
export interface Trace {
  readonly events: CdsEvent[];
  readonly report: TraceReport;
  /** CPU time generateTrace took (user + system, this process), ms: steadier than wall time on a busy machine. */
  readonly cpuMs: number;
}

const cache = new Map<string, Trace>();
/** A Palu trace, memoised by its options. */
export function paluTrace(
  seed: number,
  hours: number,
  faults?: Partial<FaultOptions> | false,
  startMs = MONDAY_MS,
): Trace {
  const key = JSON.stringify([seed, hours, faults, startMs]);
  let t = cache.get(key);
  if (t === undefined) {
    const report = new TraceReport();
    const cpu = process.cpuUsage();
    const events = generateTrace(paluCity(), { seed, startMs, hours, faults }, report);
    const used = process.cpuUsage(cpu);
    t = { events, report, cpuMs: (used.user + used.system) / 1000 };
    cache.set(key, t);
  }
  return t;
}

/** Time of an event in ms (generated events always carry integer ms). */
export function timeOf(e: CdsEvent): number {
  return e.event_time as number;
}

/** Events grouped by a key, in their given order. */
export function groupBy<K>(
  events: readonly CdsEvent[],
  key: (e: CdsEvent) => K | undefined,
): Map<K, CdsEvent[]> {
  const out = new Map<K, CdsEvent[]>();
  for (const e of events) {
    const k = key(e);
    if (k === undefined) continue;
    let list = out.get(k);
    if (list === undefined) out.set(k, (list = []));
    list.push(e);
  }
  return out;
}

/**
 * Index of the first event that differs between two lists in any field or in key order (what makes
 * their JSON Lines differ), or -1 when they are the same. Cheaper than comparing the text.
 */
export function firstDifference(a: readonly CdsEvent[], b: readonly CdsEvent[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    for (const k of EVENT_KEYS) if (x[k] !== y[k]) return i;
  }
  return a.length === b.length ? -1 : n;
}

/** Events without retransmitted duplicates (later copies of an event_id are dropped). */
export function withoutDuplicates(events: readonly CdsEvent[]): CdsEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    if (seen.has(e.event_id)) return false;
    seen.add(e.event_id);
    return true;
  });
}

/** Kinds a bay sensor sends itself (the network server sends comms_*). */
export const SENSOR_UPLINKS = new Set(["park_start", "park_end", "scheduled_report"]);

/**
 * Checks one bay's uplinks (non-duplicate, any order): sorted by sequence number, every step between
 * consecutive numbers is a valid state change. A break is allowed only across a gap in the numbers
 * (a lost uplink). Returns a description of the first problem, or "".
 */
export function bayStateProblem(uplinks: readonly CdsEvent[]): string {
  const list = [...uplinks].sort((a, b) => a.sequence_number! - b.sequence_number!);
  let state: boolean | undefined;
  let prev: CdsEvent | undefined;
  for (const e of list) {
    if (prev !== undefined) {
      if (timeOf(e) < timeOf(prev)) return `${e.event_id}: sequence number grows but time goes back`;
      if (e.sequence_number === prev.sequence_number)
        return `${e.event_id}: sequence number repeated with another id`;
      if (e.sequence_number! !== prev.sequence_number! + 1) state = undefined; // lost uplink(s): state unknown
    }
    if (e.event_type === "park_start") {
      if (state === true) return `${e.event_id}: park_start on an occupied bay`;
      state = true;
    } else if (e.event_type === "park_end") {
      if (state === false) return `${e.event_id}: park_end on a vacant bay`;
      state = false;
    } else if (e.event_type === "scheduled_report") {
      if (state !== undefined && state !== e.occupied) return `${e.event_id}: heartbeat state differs`;
      state = e.occupied;
    }
    prev = e;
  }
  return "";
}

/**
 * Deterministic synthetic event traces for a city: who parks where and when (ground truth from daily
 * demand curves), what the devices, attendants and payment system report about it, and the faults a
 * real sensor network adds on the way (loss, retransmitted duplicates, reordering, late delivery,
 * silent sensors). Output is in delivery order: the order a gateway receives events, not event time.
 *
 * Each zone, vehicle class and device draws from its own PRNG streams derived from the seed and its
 * id, each consumed in time order: the trace of one zone does not change when another zone is added, a
 * longer trace extends a shorter one (same events before the shorter one's end), and fault rates never
 * change the ground truth (who parks where), only what is delivered.
 */
import type { City } from "../catalog/city.js";
import type { ZoneDocument } from "../catalog/schema.js";
import { VEHICLE_CODES, vehicleName } from "../catalog/vehicles.js";
import type { CdsEvent } from "../wire/events.js";
import { arrivalRates, DEMAND } from "./demand.js";
import { HOUR_MS, type LocalSlots, localSlots } from "./local-time.js";
import {
  type FaultOptions,
  type ResolvedTraceOptions,
  resolveTraceOptions,
  type TraceOptions,
} from "./options.js";
import { Prng } from "./prng.js";
import { type ZoneKind, zoneKindOf } from "./zone-kinds.js";

const DAY_MS = 24 * HOUR_MS;
/** Shortest and longest stay, ms. */
const DWELL_MS_MIN = 3 * 60_000;
const DWELL_MS_MAX = 16 * HOUR_MS;
/** A retransmitted duplicate arrives this long after the first copy (uniform), ms. */
const DUPLICATE_GAP_MS: readonly [number, number] = [2_000, 30_000];
/** Extra delay of a reordered event (uniform), ms. */
const REORDER_MS: readonly [number, number] = [5_000, 120_000];
/** Extra delay of a late event (uniform), ms. */
const LATE_MS: readonly [number, number] = [120_001, 600_000];
/** A payment starts this long after arrival (uniform, at most half the stay): the attendant walks over. */
const PAY_AFTER_MS: readonly [number, number] = [30_000, 300_000];
/** Initial frame counters of devices are drawn below this. */
const SEQ_START_MAX = 20_000;

/** What generateTrace did: filled in place, so the usual call stays `generateTrace(city, options)`. Counts cover the emitted window only. */
export class TraceReport {
  /** Vehicles that arrived (accepted or turned away). */
  arrivals = 0;
  /** Vehicles turned away because their class was full. */
  rejected = 0;
  /** Stays that began in the window. */
  stays = 0;
  /** Uplinks sent by bay sensors and gate counters. */
  uplinks = 0;
  /** Uplinks lost at random (lossRate). */
  lost = 0;
  /** Uplinks lost while their sensor was silent. */
  silentLost = 0;
  /** Silent periods that overlap the window. */
  silentPeriods = 0;
  /** Extra copies of uplinks (duplicateRate). */
  duplicates = 0;
  /** Events delayed by up to 2 min (reorderRate). */
  reordered = 0;
  /** Events delayed by 2 to 10 min (lateRate). */
  late = 0;
  /** comms_lost events. */
  commsLost = 0;
  /** comms_restored events. */
  commsRestored = 0;
  /** Vehicles a gate counter missed. */
  gateMissed = 0;
  /** manual_count events. */
  counts = 0;
  /** Payment sessions started. */
  payments = 0;
  /** Events emitted, duplicates included. */
  events = 0;
}

/**
 * Generates a trace of CDS events for `city` in delivery order. Same city, options and seed give the
 * same events in the same order.
 *
 * @throws ParkirConfigError when an option is out of range.
 * @example
 * const city = loadCityFile("seeds/palu/city.json");
 * const events = generateTrace(city, { seed: 1, startMs: Date.parse("2026-11-30T00:00:00+08:00"), hours: 24 });
 */
export function generateTrace(city: City, options: TraceOptions, report = new TraceReport()): CdsEvent[] {
  const o = resolveTraceOptions(options);
  const simStartMs = o.startMs - o.warmupMs;
  // One slot past the end: a slot's arrival rate looks one hour ahead (see arrivalRates).
  const slots = localSlots(city.timeZone, simStartMs, o.endMs + HOUR_MS);
  const out = new Outbox();
  const rates = new RateCache(slots);
  let bayBase = 0;
  for (let zi = 0; zi < city.zoneCount; zi++) {
    const zone = city.zones[zi]!;
    new ZoneSim(city, zi, bayBase, o, slots, rates, simStartMs, out, report).run();
    bayBase += zone.bays.length;
  }
  const events = out.delivered();
  report.events += events.length;
  return events;
}

/** Arrival-rate curves per kind and vehicle class, computed once per trace. */
class RateCache {
  private readonly cache = new Map<string, Float64Array>();
  constructor(private readonly slots: LocalSlots) {}

  get(kind: ZoneKind, code: number): Float64Array {
    const key = `${kind}/${code}`;
    let r = this.cache.get(key);
    if (r === undefined) {
      r = arrivalRates(kind, code, this.slots.hour, this.slots.weekday);
      this.cache.set(key, r);
    }
    return r;
  }
}

/** Events with their delivery times; sorted once at the end (ties keep generation order). */
class Outbox {
  private readonly events: CdsEvent[] = [];
  private readonly deliverMs: number[] = [];

  push(e: CdsEvent, deliverMs: number): void {
    this.events.push(e);
    this.deliverMs.push(deliverMs);
  }

  delivered(): CdsEvent[] {
    const n = this.events.length;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const d = this.deliverMs;
    order.sort((a, b) => d[a]! - d[b]! || a - b);
    const out: CdsEvent[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.events[order[i]!]!;
    return out;
  }
}

/** Delivery delay of one event: jitter, plus sometimes a reorder or a late delay. */
function deliveryDelayMs(rng: Prng, f: FaultOptions, report: TraceReport | null): number {
  let d = f.jitterMs > 0 ? rng.int(f.jitterMs + 1) : 0;
  if (f.reorderRate + f.lateRate > 0) {
    const r = rng.next();
    if (r < f.lateRate) {
      d += rng.intBetween(LATE_MS[0], LATE_MS[1]);
      if (report !== null) report.late++;
    } else if (r < f.lateRate + f.reorderRate) {
      d += rng.intBetween(REORDER_MS[0], REORDER_MS[1]);
      if (report !== null) report.reordered++;
    }
  }
  return d;
}

/** A gate counter uplink before its sequence number is known. */
interface GateUplink {
  readonly timeMs: number;
  readonly enter: boolean;
  readonly vehicle: string;
}

/**
 * PRNG streams of one zone and vehicle class, one per concern. Each is consumed in time order, so a
 * longer trace extends a shorter one with the same seed, and turning a fault off never shifts the draws
 * that decide who parks where.
 */
interface ClassStreams {
  /** Whether a stay is paid, and when payment starts. */
  readonly pay: Prng;
  /** Which gate a vehicle passes. */
  readonly gate: Prng;
  /** Whether the gate counter misses it. */
  readonly gateMiss: Prng;
  /** Attendant counting error. */
  readonly countError: Prng;
  /** Delivery delays of counts and payments. */
  readonly send: Prng;
}

/** Simulation of one zone: arrivals per class, bays, attendants, gates and payments. */
class ZoneSim {
  private readonly zone: ZoneDocument;
  private readonly f: FaultOptions;
  /** Zone-wide draws: popularity and the attendants' schedule. */
  private readonly rng: Prng;
  /** Draws of the vehicle class being simulated (see ClassStreams). */
  private s!: ClassStreams;
  /** Start and end times of stays per bay of this zone, flattened [start, end, start, end, ...]. */
  private readonly bayStays: number[][];
  private readonly gateUplinks: GateUplink[][];
  private countSeq = 0;
  private paySeq = 0;

  constructor(
    private readonly city: City,
    private readonly zi: number,
    private readonly bayBase: number,
    private readonly o: ResolvedTraceOptions,
    private readonly slots: LocalSlots,
    private readonly rates: RateCache,
    private readonly simStartMs: number,
    private readonly out: Outbox,
    private readonly report: TraceReport,
  ) {
    this.zone = city.zones[zi]!;
    this.f = o.faults;
    const id = this.zone.id;
    this.rng = Prng.derive(o.seed, id);
    this.bayStays = this.zone.bays.map(() => []);
    this.gateUplinks = this.zone.gates.map(() => []);
  }

  run(): void {
    const kind = zoneKindOf(this.zone);
    const popularity = this.rng.uniform(0.75, 1.2) * this.o.demandScale;
    const countTimes = this.attendantRounds(kind);
    for (let code = 1; code < VEHICLE_CODES; code++) {
      const at = this.zi * VEHICLE_CODES + code;
      const capacity = this.city.capacity[at]!;
      if (capacity > 0)
        this.simulateClass(kind, code, capacity, this.city.sensedBays[at]!, popularity, countTimes);
    }
    for (let b = 0; b < this.bayStays.length; b++) this.emitBay(b);
    for (let g = 0; g < this.gateUplinks.length; g++) this.emitGate(g);
  }

  /** Creates the draws of one vehicle class of this zone and makes them current. */
  private streams(vehicle: string): Prng {
    const { seed } = this.o;
    const label = `${this.zone.id}/${vehicle}`;
    // Ids are numbered per class, so one class's events never renumber another's.
    this.countSeq = 0;
    this.paySeq = 0;
    this.s = {
      pay: Prng.derive(seed, `${label}/pay`),
      gate: Prng.derive(seed, `${label}/gates`),
      gateMiss: Prng.derive(seed, `${label}/gates/faults`),
      countError: Prng.derive(seed, `${label}/count-error`),
      send: Prng.derive(seed, `${label}/delivery`),
    };
    return Prng.derive(seed, label);
  }

  /** Times of the attendants' rounds inside the window and their working hours. */
  private attendantRounds(kind: ZoneKind): number[] {
    const times: number[] = [];
    if (!this.zone.detection.includes("attendantCounts")) return times;
    const [from, to] = DEMAND[kind].attendantHours;
    const { countIntervalMinMs: lo, countIntervalMaxMs: hi } = this.o;
    let t = this.simStartMs + this.rng.uniform(0, hi);
    while (t < this.o.endMs) {
      if (t >= this.o.startMs) {
        const hour = this.slots.hour[Math.floor((t - this.slots.firstSlotMs) / HOUR_MS)]!;
        if (hour >= from && hour < to) times.push(Math.floor(t));
      }
      t += this.rng.uniform(lo, hi);
    }
    return times;
  }

  /** Arrivals of one vehicle class, placed in sensed bays first, then in the unsensed remainder. */
  private simulateClass(
    kind: ZoneKind,
    code: number,
    capacity: number,
    sensed: number,
    popularity: number,
    countTimes: readonly number[],
  ): void {
    const { o, report, zone } = this;
    const profile = DEMAND[kind];
    const vehicle = vehicleName(code);
    const rng = this.streams(vehicle);
    const medianMs = profile.dwellMedianMin[code]! * 60_000;
    const rates = this.rates.get(kind, code);
    const scale = capacity * popularity;
    const classBays: number[] = [];
    for (let b = 0; b < zone.bays.length; b++)
      if (this.city.bayVehicle[this.bayBase + b] === code) classBays.push(b);
    const freeAtMs = new Float64Array(classBays.length);
    const freeScratch = new Int32Array(classBays.length);
    const poolCap = capacity - sensed;
    const pool = new Float64Array(poolCap);
    let poolN = 0;
    const counted = poolCap > 0;
    let ci = 0;
    const tariff = o.tariffMinor[vehicle as keyof typeof o.tariffMinor];
    const gates = zone.gates.length;

    const present = (t: number): number => {
      let n = 0;
      for (let i = 0; i < poolN; i++) if (pool[i]! > t) n++;
      for (let i = 0; i < freeAtMs.length; i++) if (freeAtMs[i]! > t) n++;
      return n;
    };

    let t = this.simStartMs;
    while (t < o.endMs) {
      const slot = Math.floor((t - this.slots.firstSlotMs) / HOUR_MS);
      const slotEnd = this.slots.firstSlotMs + (slot + 1) * HOUR_MS;
      const rate = rates[slot]! * scale;
      const gap = rng.exponential(rate);
      if (t + gap >= slotEnd) {
        t = slotEnd;
        continue;
      }
      t += gap;
      if (t >= o.endMs) break;
      const dwell = Math.min(
        DWELL_MS_MAX,
        Math.max(DWELL_MS_MIN, rng.lognormal(medianMs, profile.dwellSigma)),
      );
      const arriveMs = Math.floor(t);
      const leaveMs = Math.floor(t + dwell);
      while (counted && ci < countTimes.length && countTimes[ci]! <= arriveMs)
        this.emitCount(countTimes[ci++]!, vehicle, present);
      const inWindow = arriveMs >= o.startMs;
      if (inWindow) report.arrivals++;

      let placed = false;
      let free = 0;
      for (let i = 0; i < classBays.length; i++) if (freeAtMs[i]! <= arriveMs) freeScratch[free++] = i;
      if (free > 0) {
        const i = freeScratch[rng.int(free)]!;
        freeAtMs[i] = leaveMs;
        this.bayStays[classBays[i]!]!.push(arriveMs, leaveMs);
        placed = true;
      } else if (poolCap > 0) {
        let w = 0;
        for (let r = 0; r < poolN; r++) if (pool[r]! > arriveMs) pool[w++] = pool[r]!;
        poolN = w;
        if (poolN < poolCap) {
          pool[poolN++] = leaveMs;
          placed = true;
        }
      }
      if (!placed) {
        if (inWindow) report.rejected++;
        continue;
      }
      if (inWindow) report.stays++;
      if (gates > 0) {
        this.gatePass(arriveMs, true, vehicle);
        this.gatePass(leaveMs, false, vehicle);
      }
      if (tariff !== undefined && this.s.pay.chance(o.paymentShare)) {
        this.emitPayment(arriveMs, leaveMs, vehicle, tariff);
      }
    }
    while (counted && ci < countTimes.length) this.emitCount(countTimes[ci++]!, vehicle, present);
  }

  /** One vehicle passing a gate counter of the zone (or missed by it). */
  private gatePass(timeMs: number, enter: boolean, vehicle: string): void {
    const g = this.s.gate.int(this.gateUplinks.length);
    if (this.s.gateMiss.chance(this.f.gateMissRate)) {
      if (timeMs >= this.o.startMs && timeMs < this.o.endMs) this.report.gateMissed++;
    } else if (timeMs < this.o.endMs) {
      this.gateUplinks[g]!.push({ timeMs, enter, vehicle });
    }
  }

  private emitCount(timeMs: number, vehicle: string, present: (t: number) => number): void {
    const truth = present(timeMs);
    const e = this.f.countErrorMax;
    const reported = e > 0 ? Math.max(0, Math.round(truth * (1 + this.s.countError.uniform(-e, e)))) : truth;
    this.report.counts++;
    this.send(
      {
        event_id: `${this.zone.id}-count-${vehicle}-${++this.countSeq}`,
        event_type: "manual_count",
        event_time: timeMs,
        curb_zone_id: this.zone.id,
        vehicle_type: vehicle,
        vehicle_count: reported,
      },
      timeMs,
    );
  }

  private emitPayment(arriveMs: number, leaveMs: number, vehicle: string, tariff: number): void {
    const { o, zone, s } = this;
    const session = `${zone.id}-pay-${vehicle}-${++this.paySeq}`;
    const startMs =
      arriveMs +
      Math.floor(Math.min(s.pay.uniform(PAY_AFTER_MS[0], PAY_AFTER_MS[1]), (leaveMs - arriveMs) / 2));
    // Both delays are drawn whether or not the events fall in the window, so the draws stay aligned
    // between a short trace and a longer one.
    const inWindow = (t: number) => t >= o.startMs && t < o.endMs;
    const startDelayMs = deliveryDelayMs(s.send, this.f, inWindow(startMs) ? this.report : null);
    const endDelayMs = deliveryDelayMs(s.send, this.f, inWindow(leaveMs) ? this.report : null);
    if (inWindow(startMs)) {
      this.report.payments++;
      const e: CdsEvent = {
        event_id: `${session}-start`,
        event_type: "payment_start",
        event_time: startMs,
        curb_zone_id: zone.id,
        vehicle_type: vehicle,
        event_session_id: session,
      };
      this.out.push(e, startMs + startDelayMs);
    }
    if (inWindow(leaveMs)) {
      const e: CdsEvent = {
        event_id: `${session}-end`,
        event_type: "payment_end",
        event_time: leaveMs,
        curb_zone_id: zone.id,
        vehicle_type: vehicle,
        event_session_id: session,
        actual_cost: tariff,
      };
      this.out.push(e, leaveMs + endDelayMs);
    }
  }

  /** Sends a zone-level event (count, payment): delayed, never lost or duplicated (it travels over HTTP with retries). */
  private send(e: CdsEvent, timeMs: number): void {
    this.out.push(e, timeMs + deliveryDelayMs(this.s.send, this.f, this.report));
  }

  /** A bay sensor's uplinks (changes and heartbeats), with loss, silence, comms events, delays and duplicates. */
  private emitBay(b: number): void {
    const { o, f, report, zone } = this;
    const bay = zone.bays[b]!;
    const device = bay.sensorId;
    const vehicle = bay.vehicleType;
    const own = Prng.derive(o.seed, device);
    const frng = Prng.derive(o.seed, `${device}/faults`);
    const srng = Prng.derive(o.seed, `${device}/silence`);
    const silences: number[] = [];
    for (let day = this.simStartMs; day < o.endMs; day += DAY_MS) {
      if (srng.chance(f.silentSensorRate)) {
        const s = day + srng.uniform(0, DAY_MS);
        const e = s + srng.uniform(f.silentHoursMin, f.silentHoursMax) * HOUR_MS;
        silences.push(s, e);
        if (e > o.startMs && s < o.endMs) report.silentPeriods++;
      }
    }
    const silent = (t: number): boolean => {
      for (let i = 0; i < silences.length; i += 2) if (t >= silences[i]! && t < silences[i + 1]!) return true;
      return false;
    };

    let seq = own.int(SEQ_START_MAX);
    let lastSentMs = this.simStartMs - Math.floor(own.uniform(0, o.heartbeatMs));
    let lastHeardMs = lastSentMs;
    let commsSeq = 0;
    let occupied = false;
    const stays = this.bayStays[b]!;
    let j = 0;
    const base = (type: CdsEvent["event_type"], id: string, timeMs: number): CdsEvent => ({
      event_id: id,
      event_type: type,
      event_time: timeMs,
      curb_zone_id: zone.id,
      curb_space_id: bay.id,
      data_source_device_id: device,
      vehicle_type: vehicle,
    });
    const commsLost = (heardMs: number): void => {
      const lostMs = heardMs + o.commsLostAfterMs;
      if (lostMs < o.startMs || lostMs >= o.endMs) return;
      report.commsLost++;
      // The network server raises it on its own clock: delivered at once.
      this.out.push(base("comms_lost", `${device}-comms-lost-${++commsSeq}`, lostMs), lostMs);
    };

    for (;;) {
      const changeMs = j < stays.length ? stays[j]! : Number.POSITIVE_INFINITY;
      const heartbeatMs = lastSentMs + o.heartbeatMs;
      const timeMs = Math.min(changeMs, heartbeatMs);
      if (timeMs >= o.endMs) break;
      let type: CdsEvent["event_type"];
      if (changeMs <= heartbeatMs) {
        type = j % 2 === 0 ? "park_start" : "park_end";
        occupied = j % 2 === 0;
        j++;
      } else {
        type = "scheduled_report";
      }
      lastSentMs = timeMs;
      seq++;
      const inWindow = timeMs >= o.startMs;
      if (inWindow) report.uplinks++;
      if (silent(timeMs)) {
        if (inWindow) report.silentLost++;
        continue;
      }
      if (frng.chance(f.lossRate)) {
        if (inWindow) report.lost++;
        continue;
      }
      const gap = timeMs - lastHeardMs > o.commsLostAfterMs;
      if (gap) commsLost(lastHeardMs);
      lastHeardMs = timeMs;
      if (!inWindow) continue;
      const deliverMs = timeMs + deliveryDelayMs(frng, f, report);
      if (gap) {
        report.commsRestored++;
        this.out.push(base("comms_restored", `${device}-comms-restored-${commsSeq}`, timeMs), deliverMs);
      }
      const e = base(type, `${device}-${seq}`, timeMs);
      e.sequence_number = seq;
      if (type === "scheduled_report") e.occupied = occupied;
      this.uplink(e, deliverMs, frng);
    }
    if (o.endMs - lastHeardMs > o.commsLostAfterMs) commsLost(lastHeardMs);
  }

  /** A gate counter's uplinks in time order, numbered, with loss, delays and duplicates. */
  private emitGate(g: number): void {
    const { o, f, report, zone } = this;
    const device = zone.gates[g]!.deviceId;
    const own = Prng.derive(o.seed, device);
    const frng = Prng.derive(o.seed, `${device}/faults`);
    const uplinks = this.gateUplinks[g]!;
    // Stable sort: same-ms uplinks keep generation order.
    uplinks.sort((a, b) => a.timeMs - b.timeMs);
    let seq = own.int(SEQ_START_MAX);
    for (const u of uplinks) {
      seq++;
      const inWindow = u.timeMs >= o.startMs;
      if (inWindow) report.uplinks++;
      if (frng.chance(f.lossRate)) {
        if (inWindow) report.lost++;
        continue;
      }
      if (!inWindow) continue;
      const e: CdsEvent = {
        event_id: `${device}-${seq}`,
        event_type: u.enter ? "enter_area" : "exit_area",
        event_time: u.timeMs,
        curb_zone_id: zone.id,
        data_source_device_id: device,
        vehicle_type: u.vehicle,
        sequence_number: seq,
        vehicle_count: 1,
      };
      this.uplink(e, u.timeMs + deliveryDelayMs(frng, f, report), frng);
    }
  }

  /** Queues a device uplink and, sometimes, its retransmitted duplicate. */
  private uplink(e: CdsEvent, deliverMs: number, frng: Prng): void {
    this.out.push(e, deliverMs);
    if (frng.chance(this.f.duplicateRate)) {
      this.report.duplicates++;
      this.out.push({ ...e }, deliverMs + frng.intBetween(DUPLICATE_GAP_MS[0], DUPLICATE_GAP_MS[1]));
    }
  }
}

/**
 * The open-data hub: the live state every feed, the dashboard and the daily report read. It subscribes
 * to an occupancy engine's windows$ and health$ and a pricing engine's tariffs$ (or is fed the same
 * values by hand, e.g. from a replayed file), keeps bounded histories, and tells listeners (the
 * dashboard's Server-Sent Events) when something changed. It never changes engine state.
 */
import type { Observable, Subscription } from "rxjs";
import type { City } from "../catalog/city.js";
import { DETECTION_NAMES, type DetectionName } from "../catalog/city.js";
import { VEHICLE_CODES, type VehicleType, vehicleCode, vehicleName } from "../catalog/vehicles.js";
import { ParkirConfigError } from "../errors/index.js";
import type { HealthReport } from "../occupancy/reports.js";
import type { WindowBatch } from "../occupancy/types.js";
import type { TariffDecision } from "../pricing/decision.js";
import type { PricingEngine } from "../pricing/engine.js";
import { LocalClock } from "../pricing/localtime.js";
import { priceSlot } from "../pricing/pricebook.js";
import type { TariffTable } from "../pricing/table.js";
import { type CdsEvent, parseEventTime } from "../wire/events.js";
import { DEFAULT_PUBLICATION, type Publication } from "./publication.js";

const HOUR_MS = 3_600_000;

/** What the hub subscribes to on an occupancy engine (OccupancyEngine and ShardedOccupancyEngine both fit). */
export interface OccupancySource {
  readonly windows$: Observable<WindowBatch>;
  readonly health$: Observable<HealthReport>;
}

/** Options of the hub. Every history has a bound; the oldest entries go first. */
export interface OpenDataHubOptions {
  /** The city catalogue. */
  readonly city: City;
  /** Occupancy engine to follow (windows$, health$). Optional: feed `onWindows`/`onHealth` by hand instead. */
  readonly engine?: OccupancySource;
  /** Pricing engine: its table and price book give current rates; its tariffs$ the decision log. */
  readonly pricing?: PricingEngine;
  /** Tariffs without a pricing engine (rates only, no decisions). */
  readonly table?: TariffTable;
  /** What may be published. Default: DEFAULT_PUBLICATION. */
  readonly publication?: Publication;
  /** Public sensor events kept for the Events API. Default 200,000 (~60 MB worst case). */
  readonly eventsMax?: number;
  /** Local hours of aggregates kept for the Metrics API and the report. Default 744 (31 days). */
  readonly hoursMax?: number;
  /** Tariff decisions kept. Default 20,000. */
  readonly decisionsMax?: number;
  /** Closed windows kept for the per-point charts. Default 576 (two days of 5-minute windows). */
  readonly seriesMax?: number;
  /** Update listeners (SSE clients). Default 256. */
  readonly listenersMax?: number;
}

/** A sensor event as the Events API may publish it: only fields that identify no person. */
export interface PublicEvent {
  readonly event_id: string;
  readonly event_type: string;
  readonly event_time: number;
  /** When the hub received it (CDS event_publication_time), ms. */
  readonly event_publication_time: number;
  readonly curb_zone_id: string;
  readonly curb_space_id?: string;
  readonly data_source_device_id?: string;
  readonly vehicle_type?: string;
}

/** Aggregates of one point over one local hour. */
export interface HourRow {
  /** Local hour start, ms. */
  readonly startMs: number;
  /** Local date YYYY-MM-DD and hour 0..23. */
  readonly date: string;
  readonly hour: number;
}

/** What changed, as told to listeners. */
export interface HubUpdate {
  /** "window": a window closed; "decisions": tariffs changed; "health": sensor health changed. */
  readonly kind: "window" | "decisions" | "health";
  /** The hub's version after the change. */
  readonly version: number;
  /** Data time of the change (window end, decision time, health event time), ms. */
  readonly atMs: number;
}

/** A current price: amount and what it is per. */
export interface CurrentPrice {
  readonly amountMinor: number;
  /** "visit" (per entry), "hour", "minute", "day", or "stay" (one unit for the whole stay). */
  readonly per: "visit" | "hour" | "minute" | "day" | "stay";
  /** Band id of the rate in force. */
  readonly band: string;
  /** True when a controller or operator moved it from the published tariff. */
  readonly dynamic: boolean;
}

/** Sensor health of a bay. */
export type BayHealth = "ok" | "silent" | "lost" | "decommissioned";

/** Bay status as FIWARE names it. */
export type BayStatus = "free" | "occupied" | "closed" | "unknown";

const BAY_STATUS: readonly BayStatus[] = ["unknown", "free", "occupied", "closed"];
const HEALTH: readonly BayHealth[] = ["ok", "silent", "lost", "decommissioned"];
/** Per-hour fields, per zone. */
const H_OCC = 0;
const H_KNOWN = 1;
const H_CAP = 2;
const H_ARR = 3;
const H_DEP = 4;
const H_DWELL = 5;
const H_DWELLN = 6;
const H_FIELDS = 7;

class HourBucket {
  readonly data: Float64Array;
  constructor(
    readonly startMs: number,
    readonly date: string,
    readonly hour: number,
    zones: number,
  ) {
    this.data = new Float64Array(zones * H_FIELDS);
  }
}

/**
 * Live open-data state of one city.
 *
 * @example
 * const hub = createOpenDataHub({ city, engine, pricing });
 * http.createServer(createOpenDataHandler(hub)).listen(8080);
 */
export class OpenDataHub {
  /** The city. */
  readonly city: City;
  /** The publication decisions in force. */
  readonly publication: Publication;
  /** Tariff table (null when the hub has no tariffs). */
  readonly table: TariffTable | null;
  /** The pricing engine followed, or null. */
  readonly pricing: PricingEngine | null;
  /** Local clock of the city. */
  readonly clock: LocalClock;
  /** Window length seen (ms), 0 before the first window. */
  windowMs = 0;
  /** Increments on every change (ETags and SSE). */
  version = 0;
  /** Newest data time seen (window end, event time), ms; NaN before any. */
  updatedAtMs = Number.NaN;
  /** Latest closed window end, ms; NaN before the first. */
  lastWindowEndMs = Number.NaN;
  /** Counts of what was refused or dropped at the hub's bounds. */
  readonly dropped = {
    events: 0,
    duplicateEvents: 0,
    personalEvents: 0,
    hours: 0,
    decisions: 0,
    series: 0,
    listeners: 0,
  };

  // Latest window per zone × class (index zone * VEHICLE_CODES + code).
  /** @internal */ readonly occ: Float64Array;
  /** @internal */ readonly cov: Float64Array;
  /** @internal */ readonly arrivals: Float64Array;
  /** @internal */ readonly dwell: Float64Array;
  /** @internal */ readonly peak: Float64Array;
  /** @internal */ readonly confidence: Float64Array;
  /** @internal */ readonly det: Uint8Array;
  /** @internal */ readonly seen: Uint8Array;
  // Per bay.
  private readonly bayStatus: Uint8Array;
  private readonly bayObservedMs: Float64Array;
  private readonly bayHealth: Uint8Array;
  private readonly bayHealthMs: Float64Array;
  // Histories.
  private readonly hours = new Map<number, HourBucket>();
  private readonly hourOrder: number[] = [];
  private readonly events: PublicEvent[] = [];
  private readonly eventIds = new Set<string>();
  private eventsHead = 0;
  private readonly decisionLog: TariffDecision[] = [];
  private readonly seriesEnd: Float64Array;
  private readonly seriesOcc: Float32Array;
  private readonly seriesPrice: Float32Array;
  private seriesCount = 0;
  private seriesHead = 0;
  private readonly listeners = new Set<(u: HubUpdate) => void>();
  private readonly subscriptions: Subscription[] = [];
  private readonly o: Required<Omit<OpenDataHubOptions, "engine" | "pricing" | "table" | "publication">>;

  constructor(options: OpenDataHubOptions) {
    const city = options.city;
    this.city = city;
    this.publication = options.publication ?? DEFAULT_PUBLICATION;
    this.pricing = options.pricing ?? null;
    this.table = options.pricing?.table ?? options.table ?? null;
    this.clock = LocalClock.for(city.timeZone);
    const bound = (name: string, v: number | undefined, dflt: number, max: number): number => {
      const x = v ?? dflt;
      if (!Number.isSafeInteger(x) || x < 1 || x > max)
        throw new ParkirConfigError("open-data hub options", [
          { path: name, message: `must be an integer from 1 to ${max}` },
        ]);
      return x;
    };
    this.o = {
      city,
      eventsMax: bound("eventsMax", options.eventsMax, 200_000, 10_000_000),
      hoursMax: bound("hoursMax", options.hoursMax, 744, 24 * 366),
      decisionsMax: bound("decisionsMax", options.decisionsMax, 20_000, 1_000_000),
      seriesMax: bound("seriesMax", options.seriesMax, 576, 100_000),
      listenersMax: bound("listenersMax", options.listenersMax, 256, 100_000),
    };
    const n = city.zoneCount * VEHICLE_CODES;
    this.occ = new Float64Array(n).fill(Number.NaN);
    this.cov = new Float64Array(n);
    this.arrivals = new Float64Array(n);
    this.dwell = new Float64Array(n).fill(Number.NaN);
    this.peak = new Float64Array(n);
    this.confidence = new Float64Array(n);
    this.det = new Uint8Array(n);
    this.seen = new Uint8Array(n);
    for (let i = 0; i < n; i++) this.det[i] = city.detection[i]!;
    this.bayStatus = new Uint8Array(city.bayCount);
    this.bayObservedMs = new Float64Array(city.bayCount).fill(Number.NaN);
    this.bayHealth = new Uint8Array(city.bayCount);
    this.bayHealthMs = new Float64Array(city.bayCount).fill(Number.NaN);
    const s = this.o.seriesMax;
    this.seriesEnd = new Float64Array(s);
    this.seriesOcc = new Float32Array(s * city.zoneCount);
    this.seriesPrice = new Float32Array(s * city.zoneCount * 2);
    if (options.engine) {
      this.subscriptions.push(options.engine.windows$.subscribe((b) => this.onWindows(b)));
      this.subscriptions.push(options.engine.health$.subscribe((h) => this.onHealth(h)));
    }
    if (options.pricing)
      this.subscriptions.push(options.pricing.tariffs$.subscribe((d) => this.onDecisions(d)));
  }

  /** Stops following the engines and drops every listener. */
  close(): void {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions.length = 0;
    this.listeners.clear();
  }

  /**
   * Calls `listener` after every change. Returns the function that stops it.
   * Refuses (returns null) past `listenersMax` listeners.
   */
  subscribe(listener: (u: HubUpdate) => void): (() => void) | null {
    if (this.listeners.size >= this.o.listenersMax) {
      this.dropped.listeners++;
      return null;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Listeners subscribed now (open SSE streams). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Takes one closed window (what windows$ emits). */
  onWindows(batch: WindowBatch): void {
    const city = this.city;
    this.windowMs = batch.windowEnd - batch.windowStart;
    const bucket = this.bucket(batch.windowStart);
    const lenMs = this.windowMs;
    for (const r of batch.records) {
      const z = city.zoneIndex(r.zone);
      const code = vehicleCode(r.vehicleType);
      if (z < 0 || code < 0) continue;
      const i = z * VEHICLE_CODES + code;
      this.occ[i] = r.occupancy ?? Number.NaN;
      this.cov[i] = r.coverage;
      this.arrivals[i] = r.arrivals;
      this.dwell[i] = r.meanDwellMs ?? Number.NaN;
      this.peak[i] = r.peakOccupied;
      this.confidence[i] = r.confidence;
      this.det[i] = DETECTION_NAMES.indexOf(r.detection);
      this.seen[i] = 1;
      if (bucket !== null) {
        const cap = city.capacity[i]!;
        const b = bucket.data;
        const o = z * H_FIELDS;
        const known = r.coverage * cap * lenMs;
        b[o + H_CAP]! += cap * lenMs;
        if (r.occupancy !== null) {
          b[o + H_KNOWN]! += known;
          b[o + H_OCC]! += r.occupancy * known;
        }
        b[o + H_ARR]! += r.arrivals;
        b[o + H_DEP]! += r.departures;
        if (r.meanDwellMs !== null && r.departures > 0) {
          b[o + H_DWELL]! += r.meanDwellMs * r.departures;
          b[o + H_DWELLN]! += r.departures;
        }
      }
    }
    this.pushSeries(batch.windowEnd);
    this.lastWindowEndMs = batch.windowEnd;
    this.touch(batch.windowEnd);
    this.emit({ kind: "window", version: this.version, atMs: batch.windowEnd });
  }

  /** Takes sensor health changes (what health$ emits). */
  onHealth(report: HealthReport): void {
    let at = Number.NaN;
    for (const e of report.events) {
      const bay = this.city.bayIndex(e.bay);
      if (bay < 0) continue;
      const h = e.status === "recovered" ? 0 : HEALTH.indexOf(e.status);
      this.bayHealth[bay] = h;
      this.bayHealthMs[bay] = e.atMs;
      if (h !== 0 && !(this.bayObservedMs[bay]! > e.atMs)) {
        this.bayStatus[bay] = e.status === "decommissioned" ? 3 : 0;
        this.bayObservedMs[bay] = e.atMs;
      }
      at = Number.isNaN(at) ? e.atMs : Math.max(at, e.atMs);
    }
    if (Number.isNaN(at)) return;
    this.touch(at);
    this.emit({ kind: "health", version: this.version, atMs: at });
  }

  /** Takes tariff decisions (what tariffs$ emits). */
  onDecisions(ds: readonly TariffDecision[]): void {
    if (ds.length === 0) return;
    for (const d of ds) this.decisionLog.push(d);
    const over = this.decisionLog.length - this.o.decisionsMax;
    if (over > 0) {
      this.decisionLog.splice(0, over);
      this.dropped.decisions += over;
    }
    const at = ds[ds.length - 1]!.effectiveMs;
    this.touch(at);
    this.emit({ kind: "decisions", version: this.version, atMs: at });
  }

  /**
   * Takes raw events (the ones the host also encodes into the engine): bay events set each bay's
   * status for NGSI-LD; public sensor events are kept for the Events API. Payment events and any
   * event with a session id are refused here, so they cannot reach a feed. `receivedMs` is the
   * publication time (default: the event time).
   */
  addEvents(events: readonly CdsEvent[], receivedMs?: number): void {
    const city = this.city;
    let newest = Number.NaN;
    for (const e of events) {
      let t: number;
      try {
        t = parseEventTime(e.event_time);
      } catch {
        continue;
      }
      if (!Number.isFinite(t)) continue;
      if (e.event_session_id !== undefined || e.event_type.startsWith("payment")) {
        this.dropped.personalEvents++;
        continue;
      }
      let bay = e.curb_space_id === undefined ? -1 : city.bayIndex(e.curb_space_id);
      if (bay < 0 && e.data_source_device_id !== undefined) {
        const d = city.deviceIndex(e.data_source_device_id);
        bay = d >= 0 ? city.deviceBay[d]! : -1;
      }
      let zone = e.curb_zone_id === undefined ? -1 : city.zoneIndex(e.curb_zone_id);
      if (zone < 0 && bay >= 0) zone = city.bayZone[bay]!;
      if (zone < 0 && e.data_source_device_id !== undefined) {
        const d = city.deviceIndex(e.data_source_device_id);
        if (d >= 0) zone = city.deviceZone[d]!;
      }
      if (zone < 0) continue;
      if (this.eventIds.has(e.event_id)) {
        // A retransmission: the engine drops it too, and the Events API publishes each event once.
        this.dropped.duplicateEvents++;
        continue;
      }
      if (bay >= 0 && !(this.bayObservedMs[bay]! > t)) {
        const s = bayStatusAfter(e, this.bayStatus[bay]!);
        this.bayStatus[bay] = s;
        this.bayObservedMs[bay] = t;
        if (e.event_type !== "comms_lost" && e.event_type !== "decommissioned" && this.bayHealth[bay] !== 3)
          this.bayHealth[bay] = 0;
      }
      const pub: PublicEvent = {
        event_id: e.event_id,
        event_type: e.event_type,
        event_time: t,
        event_publication_time: receivedMs ?? t,
        curb_zone_id: city.zones[zone]!.id,
        ...(bay >= 0 ? { curb_space_id: city.bayId(bay) } : {}),
        ...(e.data_source_device_id !== undefined ? { data_source_device_id: e.data_source_device_id } : {}),
        ...(e.vehicle_type !== undefined ? { vehicle_type: vehicleName(vehicleCode(e.vehicle_type)) } : {}),
      };
      this.pushEvent(pub);
      newest = Number.isNaN(newest) ? t : Math.max(newest, t);
    }
    if (!Number.isNaN(newest)) this.touch(newest);
  }

  /** Kept events in arrival order (oldest first). */
  keptEvents(): readonly PublicEvent[] {
    return this.eventsHead === 0
      ? this.events
      : [...this.events.slice(this.eventsHead), ...this.events.slice(0, this.eventsHead)];
  }

  /** Kept tariff decisions, oldest first. */
  decisions(): readonly TariffDecision[] {
    return this.decisionLog;
  }

  /** Kept hours, oldest first, with per-zone aggregates. */
  hourRows(): readonly HourRow[] {
    return this.hourOrder.map((k) => this.hours.get(k)!);
  }

  /**
   * Aggregates of zone `z` in the hour starting at `startMs`: occupancy in [0,1] (NaN when the source
   * was offline for most of the hour), sessions (arrivals), mean dwell ms (NaN when none ended).
   */
  hourFigures(
    startMs: number,
    z: number,
  ): { occupancy: number; coverage: number; sessions: number; dwellMs: number; capacity: number } | null {
    const b = this.hours.get(startMs);
    if (b === undefined) return null;
    const d = b.data;
    const o = z * H_FIELDS;
    const capMs = d[o + H_CAP]!;
    const known = d[o + H_KNOWN]!;
    const coverage = capMs > 0 ? known / capMs : 0;
    return {
      occupancy: coverage >= 0.5 && known > 0 ? d[o + H_OCC]! / known : Number.NaN,
      coverage,
      sessions: d[o + H_ARR]!,
      dwellMs: d[o + H_DWELLN]! > 0 ? d[o + H_DWELL]! / d[o + H_DWELLN]! : Number.NaN,
      capacity: zoneCapacity(this.city, z),
    };
  }

  /** Latest window figures of zone z over all its classes (capacity-weighted). */
  zoneNow(z: number): {
    occupancy: number;
    coverage: number;
    detection: DetectionName;
    confidence: number;
    seen: boolean;
  } {
    let occW = 0;
    let occSum = 0;
    let covSum = 0;
    let capSum = 0;
    let conf = 1;
    let det: DetectionName = DETECTION_NAMES[this.det[z * VEHICLE_CODES + 3] ?? 0] ?? "singleSpaceDetection";
    let seen = false;
    let bestCap = -1;
    for (let c = 0; c < VEHICLE_CODES; c++) {
      const i = z * VEHICLE_CODES + c;
      const cap = this.city.capacity[i]!;
      if (cap === 0) continue;
      capSum += cap;
      if (cap > bestCap) {
        bestCap = cap;
        det = DETECTION_NAMES[this.det[i]!] ?? det;
      }
      if (this.seen[i] === 0) continue;
      seen = true;
      covSum += this.cov[i]! * cap;
      conf = Math.min(conf, this.confidence[i]!);
      if (!Number.isNaN(this.occ[i]!)) {
        occSum += this.occ[i]! * cap;
        occW += cap;
      }
    }
    return {
      occupancy: occW > 0 ? occSum / occW : Number.NaN,
      coverage: capSum > 0 ? covSum / capSum : 0,
      detection: det,
      confidence: seen ? conf : 0,
      seen,
    };
  }

  /** Latest occupancy of one zone and class (NaN when unknown). */
  classNow(
    z: number,
    code: number,
  ): { occupancy: number; coverage: number; capacity: number; detection: DetectionName } {
    const i = z * VEHICLE_CODES + code;
    return {
      occupancy: this.occ[i]!,
      coverage: this.cov[i]!,
      capacity: this.city.capacity[i]!,
      detection: DETECTION_NAMES[this.det[i]!] ?? "singleSpaceDetection",
    };
  }

  /** Status of bay `b` and when it was observed (NaN when never). */
  bay(b: number): { status: BayStatus; observedMs: number; health: BayHealth; healthMs: number } {
    return {
      status: BAY_STATUS[this.bayStatus[b]!]!,
      observedMs: this.bayObservedMs[b]!,
      health: HEALTH[this.bayHealth[b]!]!,
      healthMs: this.bayHealthMs[b]!,
    };
  }

  /** Bays of zone z whose sensor is silent, lost or decommissioned now. */
  unhealthyBays(z: number): number {
    let n = 0;
    for (let b = 0; b < this.city.bayCount; b++)
      if (this.city.bayZone[b] === z && this.bayHealth[b] !== 0) n++;
    return n;
  }

  /** Price of zone z and class code in force at t, or null when the class is not priced here. */
  priceAt(z: number, code: number, t: number): CurrentPrice | null {
    const table = this.table;
    if (table === null || !Number.isFinite(t)) return null;
    const rate = table.rateAt(z, code, t);
    if (rate < 0) return null;
    const band = table.rateBand[rate]!;
    const dyn = this.pricing?.prices.priceAt(priceSlot(z, code, band, table.nBands), t);
    const mult = table.policy.vehicleMultipliers[code] ?? 1;
    const amount = Math.round((dyn ?? table.rateHeadlineMinor[rate]!) * mult);
    const tiers = table.rateTierCount[rate]!;
    const unitMs = tiers === 0 ? -1 : table.tierUnitMs[table.rateTierStart[rate]!]!;
    const per: CurrentPrice["per"] =
      unitMs < 0
        ? "visit"
        : unitMs === 0
          ? "stay"
          : unitMs === HOUR_MS
            ? "hour"
            : unitMs === 60_000
              ? "minute"
              : unitMs === 86_400_000
                ? "day"
                : "hour";
    return { amountMinor: amount, per, band: table.policy.bands[band]?.id ?? "", dynamic: dyn !== undefined };
  }

  /** The kept windows of zone z: ends (ms), occupancy (NaN unknown), car and motorcycle price (NaN none). */
  series(
    z: number,
    fromMs = Number.NEGATIVE_INFINITY,
  ): { endMs: number[]; occupancy: number[]; car: number[]; motorcycle: number[] } {
    const out = {
      endMs: [] as number[],
      occupancy: [] as number[],
      car: [] as number[],
      motorcycle: [] as number[],
    };
    const max = this.o.seriesMax;
    const zc = this.city.zoneCount;
    for (let k = 0; k < this.seriesCount; k++) {
      const w = (this.seriesHead - this.seriesCount + k + max) % max;
      const end = this.seriesEnd[w]!;
      if (end <= fromMs) continue;
      out.endMs.push(end);
      out.occupancy.push(this.seriesOcc[w * zc + z]!);
      out.car.push(this.seriesPrice[(w * zc + z) * 2]!);
      out.motorcycle.push(this.seriesPrice[(w * zc + z) * 2 + 1]!);
    }
    return out;
  }

  /** Local date (YYYY-MM-DD) and hour of instant t in the city's time zone. */
  localHour(t: number): { date: string; hour: number; startMs: number } {
    const off = this.clock.offsetMs(t);
    const wall = t + off;
    const hourWall = Math.floor(wall / HOUR_MS) * HOUR_MS;
    const d = new Date(hourWall);
    return { date: d.toISOString().slice(0, 10), hour: d.getUTCHours(), startMs: hourWall - off };
  }

  private bucket(windowStart: number): HourBucket | null {
    const lh = this.localHour(windowStart);
    let b = this.hours.get(lh.startMs);
    if (b !== undefined) return b;
    if (
      this.hourOrder.length > 0 &&
      lh.startMs < this.hourOrder[0]! &&
      this.hourOrder.length >= this.o.hoursMax
    ) {
      this.dropped.hours++;
      return null;
    }
    b = new HourBucket(lh.startMs, lh.date, lh.hour, this.city.zoneCount);
    this.hours.set(lh.startMs, b);
    this.hourOrder.push(lh.startMs);
    this.hourOrder.sort((x, y) => x - y);
    while (this.hourOrder.length > this.o.hoursMax) {
      this.hours.delete(this.hourOrder.shift()!);
      this.dropped.hours++;
    }
    return b;
  }

  private pushSeries(endMs: number): void {
    const max = this.o.seriesMax;
    const zc = this.city.zoneCount;
    const w = this.seriesHead;
    this.seriesEnd[w] = endMs;
    // Prices in force just before the window's end: what a driver paid during the window.
    const t = endMs - 1;
    for (let z = 0; z < zc; z++) {
      this.seriesOcc[w * zc + z] = this.zoneNow(z).occupancy;
      const car = this.priceAt(z, 3, t);
      const moto = this.priceAt(z, 1, t);
      this.seriesPrice[(w * zc + z) * 2] = car?.amountMinor ?? Number.NaN;
      this.seriesPrice[(w * zc + z) * 2 + 1] = moto?.amountMinor ?? Number.NaN;
    }
    this.seriesHead = (w + 1) % max;
    if (this.seriesCount < max) this.seriesCount++;
    else this.dropped.series++;
  }

  private pushEvent(e: PublicEvent): void {
    this.eventIds.add(e.event_id);
    if (this.events.length < this.o.eventsMax) {
      this.events.push(e);
      return;
    }
    this.eventIds.delete(this.events[this.eventsHead]!.event_id);
    this.events[this.eventsHead] = e;
    this.eventsHead = (this.eventsHead + 1) % this.o.eventsMax;
    this.dropped.events++;
  }

  private touch(t: number): void {
    this.version++;
    if (!(this.updatedAtMs >= t)) this.updatedAtMs = t;
  }

  private emit(u: HubUpdate): void {
    for (const l of [...this.listeners]) {
      try {
        l(u);
      } catch {
        // A failing listener (a closed socket) costs only itself.
        this.listeners.delete(l);
      }
    }
  }
}

function bayStatusAfter(e: CdsEvent, prev: number): number {
  switch (e.event_type) {
    case "park_start":
      return 2;
    case "park_end":
      return 1;
    case "scheduled_report":
      return e.occupied === undefined ? prev : e.occupied ? 2 : 1;
    case "comms_lost":
      return 0;
    case "decommissioned":
      return 3;
    default:
      return prev;
  }
}

/** Capacity of zone z over all classes. */
export function zoneCapacity(city: City, z: number): number {
  let n = 0;
  for (let c = 0; c < VEHICLE_CODES; c++) n += city.capacity[z * VEHICLE_CODES + c]!;
  return n;
}

/** Vehicle classes with capacity in zone z. */
export function zoneClasses(city: City, z: number): VehicleType[] {
  const out: VehicleType[] = [];
  for (let c = 0; c < VEHICLE_CODES; c++)
    if (city.capacity[z * VEHICLE_CODES + c]! > 0) out.push(vehicleName(c));
  return out;
}

/** Creates a hub following the given engines (see OpenDataHub). */
export function createOpenDataHub(options: OpenDataHubOptions): OpenDataHub {
  return new OpenDataHub(options);
}

/**
 * Fills a hub from recorded events: each step encodes the next events into a batch, ingests it into
 * the occupancy engine (whose windows$ and health$ the hub follows) and hands the same events to the
 * hub for the Events API and bay statuses. What a replayed file, a test or `--demo` uses.
 */
import type { City } from "../catalog/city.js";
import { wholeNumberOption } from "../errors/options.js";
import type { OccupancyEngine } from "../occupancy/engine.js";
import type { IngestResult } from "../occupancy/reports.js";
import { EncodeReport, encodeEvents } from "../wire/encode.js";
import { type CdsEvent, parseEventTime } from "../wire/events.js";
import type { OpenDataHub } from "./hub.js";

/** Options of a ReplayFeeder. */
export interface ReplayFeederOptions {
  /** Events per ingested batch. Default 4096. */
  readonly batchEvents?: number;
}

/** Replays events in their recorded (arrival) order, in steps. */
export class ReplayFeeder {
  /** Events handed on so far. */
  position = 0;
  /** Encoder counts (unknown ids) over all steps. */
  readonly encodeReport = new EncodeReport();
  /** Ingest totals over all steps. */
  readonly totals = { accepted: 0, duplicate: 0, late: 0, unknownBay: 0, clockSkew: 0, rejected: 0 };
  private readonly batchEvents: number;

  constructor(
    private readonly city: City,
    private readonly events: readonly CdsEvent[],
    private readonly engine: OccupancyEngine,
    private readonly hub: OpenDataHub,
    options: ReplayFeederOptions = {},
  ) {
    this.batchEvents = wholeNumberOption("replay feeder options", "batchEvents", options.batchEvents ?? 4096);
  }

  /** True when every event was handed on. */
  get done(): boolean {
    return this.position >= this.events.length;
  }

  /** Hands on the events recorded before the first one at or after `timeMs`; returns how many. */
  advanceTo(timeMs: number): number {
    let end = this.position;
    while (end < this.events.length && parseEventTime(this.events[end]!.event_time) < timeMs) end++;
    return this.feed(end);
  }

  /** Hands on the next `n` events in recorded order; returns how many. */
  advanceCount(n: number): number {
    return this.feed(Math.min(this.events.length, this.position + Math.max(0, n)));
  }

  /** Hands on every remaining event and closes the engine (its last windows close). */
  finish(): number {
    const n = this.feed(this.events.length);
    this.engine.close();
    return n;
  }

  private feed(end: number): number {
    const start = this.position;
    for (let i = start; i < end; i += this.batchEvents) {
      const slice = this.events.slice(i, Math.min(end, i + this.batchEvents));
      this.hub.addEvents(slice);
      const r: IngestResult = this.engine.ingest(encodeEvents(slice, this.city, this.encodeReport));
      this.totals.accepted += r.accepted;
      this.totals.duplicate += r.duplicate;
      this.totals.late += r.late;
      this.totals.unknownBay += r.unknownBay;
      this.totals.clockSkew += r.clockSkew;
      this.totals.rejected += r.rejected;
    }
    this.position = end;
    return end - start;
  }
}

/**
 * What an engine emits, gathered while a call runs and emitted at its end (or as it goes, when a call closes
 * many windows): health reports from the kernel's health log, late reports from its late log, and closed
 * windows, in that order. Detail lists are bounded (healthDetailsMax, lateDetailsMax; the rest are counted).
 */
import type { Observable } from "rxjs";
import type { City } from "../catalog/city.js";
import { subject } from "../rx.js";
import { EVENT_TYPES } from "../wire/kinds.js";
import { FLAG_TARGET_ZONE } from "../wire/layout.js";
import type { EventBatchView } from "../wire/view.js";
import type { ClosedWindow } from "./closed-window.js";
import { R_H_COUNT, R_HEALTH_DROPPED, R_LATE_COUNT, R_WATERMARK } from "./kernel.js";
import type { ResolvedOptions } from "./options.js";
import type { HealthEvent, HealthReport, HealthStatus, LateEvent, LateReport } from "./reports.js";
import type { EngineState } from "./state.js";
import type { WindowBatch } from "./types.js";

const HEALTH_STATUS: readonly HealthStatus[] = ["silent", "lost", "decommissioned", "recovered"];

/** An engine's outputs: its three streams and what it gathered for them since it last emitted. */
export class EngineOutputs {
  /** One emission per closed window, in window order. */
  readonly windows$: Observable<WindowBatch>;
  /** One emission per call that found late events (or per emission of windows, when a call emits as it goes). */
  readonly late$: Observable<LateReport>;
  /** One emission per call that found sensor health changes (likewise). */
  readonly health$: Observable<HealthReport>;
  private readonly windowsOut = subject<WindowBatch>();
  private readonly lateOut = subject<LateReport>();
  private readonly healthOut = subject<HealthReport>();
  private closedWindows: ClosedWindow[] = [];
  private healthEvents: HealthEvent[] = [];
  private healthDropped = 0;
  private lateEvents: LateEvent[] = [];
  private lateCount = 0;

  constructor(
    private readonly s: EngineState,
    private readonly city: City,
    private readonly options: ResolvedOptions,
  ) {
    this.windows$ = this.windowsOut.asObservable();
    this.late$ = this.lateOut.asObservable();
    this.health$ = this.healthOut.asObservable();
  }

  /** Closed windows gathered and not yet emitted. */
  get windowsHeld(): number {
    return this.closedWindows.length;
  }

  /** Gathers a closed window. */
  addWindow(w: ClosedWindow): void {
    this.closedWindows.push(w);
  }

  /** Moves the kernel's health log into health events (beyond healthDetailsMax, counted as dropped). */
  drainHealth(): void {
    const s = this.s;
    const n = s.reg[R_H_COUNT]!;
    if (n === 0) return;
    const max = this.options.healthDetailsMax;
    for (let i = 0; i < n; i++) {
      if (this.healthEvents.length >= max) {
        this.healthDropped++;
        continue;
      }
      const b = s.hBay[i]!;
      this.healthEvents.push({
        status: HEALTH_STATUS[s.hCode[i]!]!,
        bay: this.city.bayId(b),
        device: this.city.deviceId(b),
        zone: this.city.zones[s.bayZone[b]!]!.id,
        atMs: s.hTime[i]!,
      });
    }
    s.reg[R_HEALTH_DROPPED] = s.reg[R_HEALTH_DROPPED]! + (n - Math.min(n, max));
    s.reg[R_H_COUNT] = 0;
  }

  /** Moves the kernel's late log for batch `view` into late events (beyond lateDetailsMax, only counted). */
  collectLate(view: EventBatchView): void {
    const s = this.s;
    const n = s.reg[R_LATE_COUNT]!;
    this.lateCount += n;
    for (let k = 0; k < n && this.lateEvents.length < this.options.lateDetailsMax; k++) {
      const i = s.lateIdx[k]!;
      const target = view.target(i);
      const zoneTarget = (view.flags(i) & FLAG_TARGET_ZONE) !== 0;
      const zone = zoneTarget ? target : this.city.bayZone[target]!;
      this.lateEvents.push({
        index: i,
        eventId: view.eventId(i),
        eventType: EVENT_TYPES[view.kind(i)]!,
        timeMs: view.timeMs(i),
        watermarkMs: s.lateWm[k]!,
        bay: zoneTarget ? "" : this.city.bayId(target),
        zone: this.city.zones[zone]!.id,
      });
    }
    s.reg[R_LATE_COUNT] = 0;
  }

  /**
   * Emits what was gathered: health, late, then windows. Each list is taken before anything is emitted (a
   * subscriber may call the engine again); empty ones are kept, and a single window is emitted without a new
   * list (each window is emitted alone when it is closed in place).
   */
  emit(): void {
    const health = this.healthEvents;
    const dropped = this.healthDropped;
    const late = this.lateEvents;
    const lateCount = this.lateCount;
    const windows = this.closedWindows;
    if (health.length > 0 || dropped > 0) {
      this.healthEvents = [];
      this.healthDropped = 0;
    }
    if (late.length > 0 || lateCount > 0) {
      this.lateEvents = [];
      this.lateCount = 0;
    }
    const one = windows.length === 1 ? windows.pop() : undefined;
    if (windows.length > 0) this.closedWindows = [];
    if (health.length > 0 || dropped > 0) {
      this.healthOut.next({ events: health, dropped, detectedAtMs: this.options.clock() });
    }
    if (lateCount > 0)
      this.lateOut.next({ count: lateCount, events: late, watermarkMs: this.s.reg[R_WATERMARK]! });
    if (one !== undefined) this.windowsOut.next(one);
    else for (const w of windows) this.windowsOut.next(w);
  }

  /** Completes the three streams. */
  complete(): void {
    this.windowsOut.complete();
    this.lateOut.complete();
    this.healthOut.complete();
  }
}

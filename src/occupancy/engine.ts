/**
 * The occupancy engine's public face and its driver: OccupancyEngine verifies each batch, screens event times
 * (skew.ts), hands admission to the kernel a chunk at a time (with de-duplication keys from dedup.ts and
 * payments admitted here), moves the watermark and closes windows (windows.ts), and emits health, late and
 * window reports on its RxJS outputs; it also owns the public calls around that (advanceTo, tick, close,
 * counters, snapshot, checkpoint and restore, whose state sections are checkpoint-state.ts). The hot loops
 * are kernel.ts (or its wasm port); docs/OCCUPANCY.md is the exact reference of the semantics.
 */
import type { Observable } from "rxjs";
import type { City } from "../catalog/city.js";
import { DETECTION, DETECTION_NAMES, type DetectionName } from "../catalog/city.js";
import { VEHICLE_CODES } from "../catalog/vehicles.js";
import { ParkirClockError, ParkirConfigError, ParkirError, ParkirWireError } from "../errors/index.js";
import { KIND } from "../wire/kinds.js";
import { BATCH_BYTES_MAX } from "../wire/layout.js";
import type { BatchLayout } from "../wire/verify.js";
import { EventBatchView } from "../wire/view.js";
import { type CheckpointParts, readCheckpoint, writeCheckpoint } from "./checkpoint.js";
import { loadStateSections, type StateSlice, stateSections } from "./checkpoint-state.js";
import { ClosedWindow } from "./closed-window.js";
import { ColumnPool } from "./columns.js";
import { DedupMemory } from "./dedup.js";
import { checkRestoredState } from "./invariants.js";
import {
  APPLY_COLD,
  APPLY_DONE,
  AU_KNOWN,
  AU_OCC,
  coldEventNext,
  DEDUP_CHUNK,
  isPaymentEvent,
  PENDING_STRIDE,
  R_ACCEPTED,
  R_APPLIED,
  R_DECOMMISSIONED,
  R_DUPLICATE,
  R_FORCED,
  R_HEAD,
  R_LATE,
  R_LATE_COUNT,
  R_LOST,
  R_MAX_SEEN,
  R_RECOVERED,
  R_SESSIONS_EXPIRED,
  R_SILENT,
  R_TAIL,
  R_TO_CURSOR,
  R_UNKNOWN,
  R_UNSORTED,
  R_WATERMARK,
  R_WIN_START,
  R_WINDOWS,
} from "./kernel.js";
import {
  DEFAULT_OPTIONS,
  type OccupancyOptions,
  type ResolvedOptions,
  resolveOptions,
  SEMANTIC_OPTIONS,
  semanticOptionsJson,
} from "./options.js";
import { EngineOutputs } from "./outputs.js";
import type { EngineCounters, HealthReport, IngestResult, LateReport, OccupancySnapshot } from "./reports.js";
import { acceptedTimes, assertClockState, screenEventTimes } from "./skew.js";
import { EngineState } from "./state.js";
import type { WindowBatch, WindowColumns } from "./types.js";
import { type OccupancyKernel, occupancyKernel } from "./wasm-kernel.js";
import { openWindow } from "./window-open.js";
import { WindowRows } from "./windows.js";
import { admitPayment, applyZoneEvent, expireSessions, PaymentBook } from "./zone-events.js";

/** Events admitted between two watermark steps (bounds the late log and the pending buffer's growth). */
const CHUNK_EVENTS = DEDUP_CHUNK;
/** Events whose de-duplication keys are resolved at once (see DedupMemory.resolve). */
const DEDUP_PART = 1024;
/** Closed windows held before they are emitted within one call (bounds memory when the watermark jumps far). */
export const WINDOWS_PER_EMIT = 16;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new ParkirError("parkir's occupancy engine needs a little-endian platform");
}

/** Options of OccupancyEngine.advanceTo. */
export interface AdvanceOptions {
  /**
   * Refuse (ParkirClockError, nothing changes) to move the watermark further than this past the newest event
   * time or watermark so far. Default: no limit. `tick()` passes the engine's maxTimeJumpMs.
   */
  readonly maxJumpMs?: number;
}

/** @throws ParkirError when `batch` is neither bytes nor a view (a programming error, not bad data). @internal */
export function assertBatchArgument(batch: unknown): void {
  if (batch instanceof Uint8Array || batch instanceof EventBatchView) return;
  const what = batch === null ? "null" : Array.isArray(batch) ? "an array" : typeof batch;
  throw new ParkirError(
    `ingest needs FlatBuffers bytes (a Uint8Array, e.g. from encodeEvents) or an EventBatchView, got ${what}`,
  );
}

/** @throws ParkirError when `options.maxJumpMs` is given and is not a number ≥ 0. @internal */
export function checkAdvanceOptions(options: AdvanceOptions): void {
  const m = options.maxJumpMs;
  if (m !== undefined && !(typeof m === "number" && m >= 0))
    throw new ParkirError(`advanceTo: maxJumpMs must be a number ≥ 0, got ${String(m)}`);
}

/**
 * The engine's entry for a batch parkir's own writer has just written (see OccupancyEngine[INGEST_WRITTEN]); not
 * exported by the package, so a user's bytes always go through `ingest` and its verification. @internal
 */
export const INGEST_WRITTEN: unique symbol = Symbol("parkir.ingestWritten");

/**
 * Turns event batches into windowed and live occupancy.
 *
 * `ingest` never throws on bad bytes: a batch that fails verification is refused whole, state unchanged,
 * and the result carries `rejected: 1` and the ParkirWireError. Outputs are emitted synchronously before the
 * call that produced them returns, in this order: `health$`, `late$`, then `windows$` (one per window); a call
 * that closes many windows emits every WINDOWS_PER_EMIT windows so memory stays bounded (with reused window
 * buffers, every window as soon as it is closed). Subscribers may call
 * the engine again from inside an emission (state is consistent at every emission).
 *
 * @example
 * const engine = new OccupancyEngine(city, { windowMs: 300_000 });
 * engine.windows$.subscribe((w) => console.log(w.windowStart, w.records.length));
 * engine.ingest(encodeEvents(events, city));
 * engine.close(); // flushes: every window ending at or before the last event time is emitted
 */
export class OccupancyEngine {
  /** The catalogue. */
  readonly city: City;
  /** Resolved options. */
  readonly options: ResolvedOptions;
  /** One emission per closed window, in window order. */
  readonly windows$: Observable<WindowBatch>;
  /**
   * One emission per call that found late events (or one before each window it emits, when it emits windows as
   * it goes).
   */
  readonly late$: Observable<LateReport>;
  /**
   * One emission per call that found sensor health changes (or one before each window it emits, when it emits
   * windows as it goes).
   */
  readonly health$: Observable<HealthReport>;

  private readonly s: EngineState;
  /** Hot loops: the JS reference or the wasm port (options.kernel), same results. */
  private readonly k: OccupancyKernel;
  private readonly book: PaymentBook;
  /** Replaced only by adoptAdmission. */
  private dedup: DedupMemory;
  /** Health, late and window outputs gathered for the next emission. */
  private readonly out: EngineOutputs;
  private readonly columnPool: ColumnPool;
  /**
   * Reused window buffers outside a worker shard: each window is closed into the last window's columns
   * themselves (WindowRows.inPlaceSlot) and emitted before the next one closes.
   */
  private readonly inPlace: boolean;
  /** Which rows changed since the last window, and its columns: closing computes only those rows. */
  private readonly windowRows: WindowRows;
  private lastIngestClockMs: number;
  private rejectedBatches = 0;
  private skewedEvents = 0;
  private closed = false;
  /** Payments admitted without counting them (see ingestOwn), for the batch being ingested. */
  private quietPayments = false;

  /**
   * @throws ParkirConfigError when options are invalid.
   */
  constructor(city: City, options: OccupancyOptions = {}) {
    this.city = city;
    this.options = resolveOptions(options);
    const kernel = occupancyKernel(this.options.kernel);
    this.s = new EngineState(city, this.options, kernel.memory);
    this.k = kernel.attach(this.s);
    this.dedup = new DedupMemory(this.s, this.k.keys);
    this.book = new PaymentBook(
      this.options.sessionsMax,
      this.options.paymentKeysMax,
      this.options.sensorTimeoutMs,
    );
    // Rows are closed in the kernel when the columns they are copied into are reused sets in its memory (not for
    // a worker shard, whose windows are copied out of those sets into the JavaScript heap).
    const closeInKernel = this.options.reuseWindowBuffers && this.k.shard === undefined;
    this.inPlace = closeInKernel;
    this.windowRows = new WindowRows(this.s, this.k.rows, closeInKernel);
    this.columnPool = new ColumnPool(
      this.options.reuseWindowBuffers,
      this.s.rowCount,
      this.s.windowConstants,
      closeInKernel && this.k.rows !== undefined ? this.s.memory : undefined,
    );
    this.out = new EngineOutputs(this.s, city, this.options);
    this.windows$ = this.out.windows$;
    this.late$ = this.out.late$;
    this.health$ = this.out.health$;
    this.lastIngestClockMs = this.options.clock();
  }

  /**
   * Continues from checkpoint bytes. Semantic options (window, lateness, timeout, coverage, limits) come from
   * the checkpoint; `options` may set the others (clock, detail limits, idle advance) and may repeat semantic
   * ones only with the same values.
   *
   * @throws ParkirWireError when the bytes are not a valid checkpoint for `city`; ParkirConfigError when
   *   options conflict with the checkpoint's.
   */
  static restore(city: City, bytes: Uint8Array, options: OccupancyOptions = {}): OccupancyEngine {
    const parts = readCheckpoint(bytes);
    if (parts.city !== city.id || parts.catalogHash !== city.catalogHash) {
      throw new ParkirWireError(
        "catalog-mismatch",
        0,
        `checkpoint is for catalogue ${parts.city}#${parts.catalogHash}, engine has ${city.id}#${city.catalogHash}`,
      );
    }
    let saved: Record<string, unknown>;
    try {
      saved = JSON.parse(parts.optionsJson) as Record<string, unknown>;
    } catch {
      throw new ParkirWireError("bad-string", 0, "checkpoint: options are not JSON");
    }
    if (typeof saved !== "object" || saved === null || Array.isArray(saved)) {
      throw new ParkirWireError("bad-string", 0, "checkpoint: options are not an object");
    }
    // Written only when not the default (see semanticOptionsJson).
    saved.maxTimeJumpMs ??= DEFAULT_OPTIONS.maxTimeJumpMs;
    const conflicts = SEMANTIC_OPTIONS.filter((k) => options[k] !== undefined && options[k] !== saved[k]).map(
      (k) => ({
        path: k,
        message: `${String(options[k])} differs from the checkpoint's ${String(saved[k])}`,
      }),
    );
    if (conflicts.length > 0) throw new ParkirConfigError("restore options", conflicts);
    const merged: Record<string, unknown> = { ...options };
    for (const k of SEMANTIC_OPTIONS) merged[k] = saved[k];
    let engine: OccupancyEngine;
    try {
      engine = new OccupancyEngine(city, merged as OccupancyOptions);
    } catch (e) {
      if (e instanceof ParkirConfigError)
        throw new ParkirWireError("bad-field", 0, `checkpoint: ${e.message}`);
      throw e;
    }
    if (semanticOptionsJson(engine.options) !== parts.optionsJson) {
      throw new ParkirWireError("bad-field", 0, "checkpoint: options are not in canonical form");
    }
    loadStateSections(engine.s, engine.book, engine.dedup, parts.sections);
    const limits = {
      latenessMs: engine.options.allowedLatenessMs,
      maxTimeJumpMs: engine.options.maxTimeJumpMs,
    };
    checkRestoredState(engine.s, limits, engine.k.shard !== undefined);
    try {
      engine.assertClockState();
    } catch (e) {
      if (!(e instanceof ParkirClockError)) throw e;
      throw new ParkirWireError("clock-skew", 0, `checkpoint: ${e.message}`);
    }
    const reg = engine.s.reg;
    if (!Object.is(reg[R_WATERMARK], parts.watermarkMs) || !Object.is(reg[R_MAX_SEEN], parts.maxEventMs)) {
      throw new ParkirWireError("bad-field", 0, "checkpoint: header and registers disagree");
    }
    return engine;
  }

  /**
   * Ingests one batch (FlatBuffers bytes, or a view, which is verified again against this catalogue).
   * Accepted events are applied in event-time order once the watermark passes them; windows the watermark
   * passes are closed and emitted before this returns.
   *
   * @throws ParkirError when the engine is closed (a programming error; bad bytes never throw).
   */
  ingest(batch: Uint8Array | EventBatchView): IngestResult {
    this.assertOpen();
    assertBatchArgument(batch);
    const k = this.k;
    // The whole batch where the kernel reads it (ids too), verified there; unstaged however this call ends.
    const raw = batch instanceof EventBatchView ? batch.bytes : batch;
    const bytes = k.stageBatch?.(raw) ?? raw;
    try {
      return this.ingestStaged(bytes)!;
    } finally {
      k.unstageBatch?.();
    }
  }

  /**
   * ingest of a batch parkir's own writer has just written, over the layout it wrote (writtenLayout in
   * src/wire/batch-writer.ts): not verified again. Reached only through this symbol, which the package does not
   * export: the replay functions call it for batches no other code can have written into since. @internal
   */
  [INGEST_WRITTEN](bytes: Uint8Array, layout: BatchLayout): IngestResult {
    this.assertOpen();
    const k = this.k;
    const staged = k.stageBatch?.(bytes) ?? bytes;
    try {
      return this.ingestStaged(staged, layout)!;
    } finally {
      k.unstageBatch?.();
    }
  }

  /**
   * ingest for a worker shard that admits only its own zones' events (sharded/own.ts): other shards' events are
   * not de-duplicated or counted here and only move the watermark (unless late or unknown); payments are
   * admitted in full (every shard applies them), counted and reported late only by shard 0. Exact (the same
   * watermark as one engine at every event, and the same verdicts for this shard's events) when `splittable`
   * accepts the verified batch; when it refuses, nothing changes and the result is null. Not to be called
   * again from inside its own emissions.
   *
   * @throws ParkirError when the engine is closed or its kernel has no shard filter.
   * @internal
   */
  ingestOwn(
    batch: Uint8Array,
    splittable: (view: EventBatchView, words: Uint32Array) => boolean,
  ): IngestResult | null {
    this.assertOpen();
    assertBatchArgument(batch);
    const k = this.k;
    if (k.ownAdmission === undefined || k.shard === undefined)
      throw new ParkirError("own admission needs a worker shard's wasm kernel");
    const bytes = k.stageBatch?.(batch) ?? batch;
    try {
      return this.ingestStaged(bytes, undefined, splittable);
    } finally {
      k.unstageBatch?.();
      k.ownAdmission(false);
    }
  }

  /**
   * ingest, for a batch's bytes where the kernel reads them (`written`: see INGEST_WRITTEN); with `splittable`,
   * ingestOwn (null, nothing changed, when it refuses the batch).
   */
  private ingestStaged(
    bytes: Uint8Array,
    written?: BatchLayout,
    splittable?: (view: EventBatchView, words: Uint32Array) => boolean,
  ): IngestResult | null {
    const s = this.s;
    const reg = s.reg;
    let view: EventBatchView;
    try {
      // A view is verified again (its bytes may have changed since), into a new view of the same bytes.
      view =
        written === undefined
          ? EventBatchView.from(bytes, { city: this.city, scanner: this.k.scanner })
          : EventBatchView.written(bytes, written);
    } catch (e) {
      if (!(e instanceof ParkirWireError)) throw e;
      // Counted outside the checkpointed registers: a refused batch leaves the state byte-for-byte unchanged.
      this.rejectedBatches++;
      return {
        accepted: 0,
        duplicate: 0,
        late: 0,
        unknownBay: 0,
        clockSkew: 0,
        rejected: 1,
        error: e,
        windowsClosed: 0,
        watermarkMs: reg[R_WATERMARK]!,
      };
    }
    if (splittable !== undefined) {
      if (!splittable(view, view.words())) return null;
      this.k.ownAdmission!(true);
    }
    // Own admission in a shard other than 0: payments are admitted (every shard applies them) but counted by shard 0.
    this.quietPayments = splittable !== undefined && this.k.shard!.index !== 0;
    const skew = screenEventTimes(view, acceptedTimes(this.options, this.jumpReference(), view));
    this.skewedEvents += skew?.count ?? 0;
    this.lastIngestClockMs = this.options.clock();
    const before = [reg[R_ACCEPTED]!, reg[R_DUPLICATE]!, reg[R_LATE]!, reg[R_UNKNOWN]!, reg[R_WINDOWS]!];
    const words = this.k.stage(view.words());
    const n = view.length;
    const base = view.baseTimeMs;
    for (let from = 0; from < n; from += CHUNK_EVENTS) {
      const end = Math.min(n, from + CHUNK_EVENTS);
      s.ensurePending(end - from);
      s.ensureLate(end - from);
      reg[R_LATE_COUNT] = 0;
      if (skew === null) this.admitRange(view, words, from, end, base);
      else {
        // Refused events (sorted indices) are stepped over; the others are admitted as if they were alone.
        let i = from;
        for (const r of skew.refused) {
          if (r < from) continue;
          if (r >= end) break;
          this.admitRange(view, words, i, r, base);
          i = r + 1;
        }
        this.admitRange(view, words, i, end, base);
      }
      this.out.collectLate(view);
      this.advance(reg[R_WATERMARK]!, false);
      this.enforcePendingLimit();
    }
    const result: IngestResult = {
      accepted: reg[R_ACCEPTED]! - before[0]!,
      duplicate: reg[R_DUPLICATE]! - before[1]!,
      late: reg[R_LATE]! - before[2]!,
      unknownBay: reg[R_UNKNOWN]! - before[3]!,
      clockSkew: skew?.count ?? 0,
      ...(skew === null ? {} : { skew: skew.report }),
      rejected: 0,
      windowsClosed: reg[R_WINDOWS]! - before[4]!,
      watermarkMs: reg[R_WATERMARK]!,
    };
    this.out.emit();
    return result;
  }

  /** Admits events [from, end) of a staged batch: the kernel, with payments admitted here. */
  private admitRange(
    view: EventBatchView,
    words: Uint32Array,
    from: number,
    end: number,
    base: number,
  ): void {
    let i = from;
    while (i < end) {
      // De-duplication keys are resolved a part at a time, so the key table need hold only a part's new keys
      // beyond those still at or above the watermark (smaller table, fewer cache misses).
      const part = Math.min(end, i + DEDUP_PART);
      this.dedup.resolve(view, words, i, part);
      while (i < part) {
        i = this.k.admitEvents(this.s, words, i, part, base);
        // The kernel stopped at a payment: admit it, and any payments right after it, here (on the Palu trace
        // two events in three are payments; a kernel call for each costs more than the payment).
        while (i < part && isPaymentEvent(words, i)) {
          if (this.quietPayments) this.admitPaymentQuietly(view, words, i, base);
          else admitPayment(this.s, this.book, words, i, base, view);
          i++;
        }
      }
    }
  }

  /** admitPayment leaving the counters and the late log as they were (see ingestOwn). */
  private admitPaymentQuietly(view: EventBatchView, words: Uint32Array, i: number, base: number): void {
    const reg = this.s.reg;
    const accepted = reg[R_ACCEPTED]!;
    const duplicate = reg[R_DUPLICATE]!;
    const late = reg[R_LATE]!;
    const unknown = reg[R_UNKNOWN]!;
    const lateCount = reg[R_LATE_COUNT]!;
    admitPayment(this.s, this.book, words, i, base, view);
    reg[R_ACCEPTED] = accepted;
    reg[R_DUPLICATE] = duplicate;
    reg[R_LATE] = late;
    reg[R_UNKNOWN] = unknown;
    reg[R_LATE_COUNT] = lateCount;
  }

  /**
   * A worker shard turning to own admission (sharded/engine.ts): keeps the pending events `keep` selects (by
   * their kind|vehicle|flags word and target), in order; with `zeroCounts`, sets the counts of admitted events
   * (accepted, duplicate, late, unknown) to 0 (shard 0 keeps the engine's). @internal
   */
  keepPending(keep: (kvf: number, target: number) => boolean, zeroCounts: boolean): void {
    const s = this.s;
    const reg = s.reg;
    this.k.sortPending(s);
    let to = reg[R_HEAD]!;
    for (let q = to; q < reg[R_TAIL]!; q++) {
      const p = q * PENDING_STRIDE;
      if (!keep(s.pWords[p + 3]!, s.pWords[p]!)) continue;
      if (to !== q) {
        s.pTime[to] = s.pTime[q]!;
        s.pWords.copyWithin(to * PENDING_STRIDE, p, p + PENDING_STRIDE);
      }
      to++;
    }
    reg[R_TAIL] = to;
    if (zeroCounts) for (const r of [R_ACCEPTED, R_DUPLICATE, R_LATE, R_UNKNOWN]) reg[r] = 0;
  }

  /**
   * A worker shard turning from own admission to every event (sharded/engine.ts): adds the other shards'
   * pending events (`time`, `words`: no payments, which every shard holds already), replaces the
   * de-duplication memory with the engine's keys (checkpoint sections dedup.keys, dedup.times, dedup.ids) and
   * sets the counts of admitted events to the engine's (accepted, duplicate, late, unknown). @internal
   *
   * @throws ParkirWireError when the key sections are invalid (nothing changed).
   */
  adoptAdmission(
    time: Float64Array,
    words: Uint32Array,
    keys: { readonly keys: Uint32Array; readonly times: Float64Array; readonly ids: Uint8Array },
    counts: readonly [number, number, number, number],
  ): void {
    const s = this.s;
    const problem = DedupMemory.check(keys.keys, keys.times, keys.ids, s.recCount);
    if (problem !== null) throw new ParkirWireError("bad-field", 0, `adopted keys: ${problem}`);
    const reg = s.reg;
    s.ensurePending(time.length);
    const tail = reg[R_TAIL]!;
    s.pTime.set(time, tail);
    s.pWords.set(words, tail * PENDING_STRIDE);
    reg[R_TAIL] = tail + time.length;
    // The added events are in order among themselves, not with the ones before them.
    if (time.length > 0 && reg[R_UNSORTED]! < 0 && reg[R_TAIL]! - reg[R_HEAD]! > 1)
      reg[R_UNSORTED] = Math.max(reg[R_HEAD]! + 1, tail);
    this.dedup = new DedupMemory(s, this.k.keys);
    this.dedup.load(keys.keys, keys.times, keys.ids);
    [reg[R_ACCEPTED], reg[R_DUPLICATE], reg[R_LATE], reg[R_UNKNOWN]] = counts;
  }

  /**
   * Payment events waiting in the pending buffer (a shard's own admission keeps them in every shard; the
   * sharded engine counts them once). @internal
   */
  pendingPayments(): number {
    const s = this.s;
    const reg = s.reg;
    let n = 0;
    for (let q = reg[R_HEAD]!; q < reg[R_TAIL]!; q++)
      if ((s.pWords[q * PENDING_STRIDE + 3]! & 0xff) >= KIND.payment_start) n++;
    return n;
  }

  /**
   * Memory for the next batch where the kernel reads it in place: fill it (encode into it, or read a frame
   * from the network straight into it) and pass it, or a prefix of it, to `ingest`. With the wasm kernel this
   * is the kernel's shared memory, so `ingest` copies nothing (other bytes are copied into that memory once);
   * with the JS kernel it is plain memory. Valid until the next `batchBuffer` call, which hands out the same
   * memory again.
   *
   * @example
   * const buf = engine.batchBuffer(frame.byteLength);
   * buf.set(frame); // or socket.read(buf)
   * engine.ingest(buf);
   * @throws ParkirError when `bytes` is not an integer in [0, 64 MiB] or the engine is closed.
   */
  batchBuffer(bytes: number): Uint8Array {
    // Not assertOpen(): handing out batch memory leaves the last emission's reused window buffers valid.
    if (this.closed) throw new ParkirError("the occupancy engine is closed");
    if (!Number.isInteger(bytes) || bytes < 0 || bytes > BATCH_BYTES_MAX) {
      throw new ParkirError(`batchBuffer needs a byte count in [0, ${BATCH_BYTES_MAX}], got ${bytes}`);
    }
    return this.k.batchBuffer?.(bytes) ?? new Uint8Array(bytes);
  }

  /**
   * Moves the watermark forward to `timeMs` (never back), closing the windows it passes. Events older than
   * it arriving later are late.
   *
   * @example engine.advanceTo(Date.now() - 120_000, { maxJumpMs: 86_400_000 }); // at most a day past the data
   * @returns the number of windows closed.
   * @throws ParkirClockError when `options.maxJumpMs` is given and `timeMs` lies further than that past the
   * newest event time or watermark so far (nothing changes).
   */
  advanceTo(timeMs: number, options: AdvanceOptions = {}): number {
    this.assertOpen();
    if (!Number.isFinite(timeMs)) throw new ParkirError(`advanceTo needs a finite time, got ${timeMs}`);
    checkAdvanceOptions(options);
    const maxJumpMs = options.maxJumpMs;
    if (maxJumpMs !== undefined) {
      const from = this.jumpReference();
      if (Number.isFinite(from) && Math.floor(timeMs) - from > maxJumpMs)
        throw new ParkirClockError(Math.floor(timeMs), from, maxJumpMs);
    }
    const reg = this.s.reg;
    const before = reg[R_WINDOWS]!;
    if (timeMs > reg[R_WATERMARK]!) {
      reg[R_WATERMARK] = Math.floor(timeMs);
      this.advance(reg[R_WATERMARK]!, false);
    }
    this.out.emit();
    return reg[R_WINDOWS]! - before;
  }

  /**
   * Processing-time step for live feeds: when `idleAdvanceMs` > 0 and no batch arrived for that long on the
   * clock, moves the watermark to clock() − allowedLatenessMs (event time is assumed to follow the clock).
   *
   * @returns the number of windows closed.
   * @throws ParkirClockError when that time is more than maxTimeJumpMs past the newest event time or watermark
   * (a clock that reset, or old data replayed on a live clock): nothing changes.
   */
  tick(): number {
    this.assertOpen();
    const o = this.options;
    const now = o.clock();
    if (o.idleAdvanceMs === 0 || now - this.lastIngestClockMs < o.idleAdvanceMs) return 0;
    return this.advanceTo(now - o.allowedLatenessMs, { maxJumpMs: o.maxTimeJumpMs });
  }

  /**
   * Flushes and completes: the watermark moves to the newest event time, every event is applied, every
   * window ending at or before it is emitted, then the observables complete. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.columnPool.reset();
    const reg = this.s.reg;
    const maxSeen = reg[R_MAX_SEEN]!;
    if (Number.isFinite(maxSeen)) {
      if (maxSeen > reg[R_WATERMARK]!) reg[R_WATERMARK] = maxSeen;
      this.advance(maxSeen, true);
    }
    this.out.emit();
    this.closed = true;
    this.out.complete();
  }

  /**
   * close(), then gives the engine's kernel memory to the next engine created (the wasm kernel's; the JS kernel
   * has none to give): that engine then takes no page faults for what this one touched. Only for an owner that
   * never let this engine out of its hands (replayJsonLines without onEngine), as its state is then another
   * engine's: nothing may be read from it after this call. The windows it emitted go stale (reading their
   * columns throws). @internal
   */
  recycle(): void {
    this.close();
    this.windowRows.retire();
    this.columnPool.retire();
    this.k.recycle?.();
  }

  /** Whether close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Current watermark, ms since the epoch (−Infinity before the first event). */
  get watermarkMs(): number {
    return this.s.reg[R_WATERMARK]!;
  }

  /**
   * The last closed window's columns (valid until the next call), or null when this engine has closed none
   * (fresh or restored): what a worker shard's recovery snapshot keeps beside its checkpoint. @internal
   */
  lastWindowColumns(): WindowColumns | null {
    return this.windowRows.lastClosed();
  }

  /**
   * Takes `columns` as the last closed window's (a worker shard rebuilt from its recovery snapshot), so its next
   * window lists the rows changed since that window, as the engine it replaces would have. @internal
   */
  primeWindows(columns: WindowColumns): void {
    this.windowRows.prime(columns);
  }

  /** Start of the open window, −1 before the first window opened. @internal */
  get windowStartMs(): number {
    return this.s.reg[R_WIN_START]!;
  }

  /** Newest accepted event time (−Infinity before the first event). */
  get maxEventMs(): number {
    return this.s.reg[R_MAX_SEEN]!;
  }

  /** Running totals. */
  get counters(): EngineCounters {
    const r = this.s.reg;
    return {
      accepted: r[R_ACCEPTED]!,
      duplicate: r[R_DUPLICATE]!,
      late: r[R_LATE]!,
      unknownBay: r[R_UNKNOWN]!,
      clockSkew: this.skewedEvents,
      rejected: this.rejectedBatches,
      applied: r[R_APPLIED]!,
      pending: r[R_TAIL]! - r[R_HEAD]!,
      windowsClosed: r[R_WINDOWS]!,
      forcedWatermark: r[R_FORCED]!,
      silent: r[R_SILENT]!,
      lost: r[R_LOST]!,
      decommissioned: r[R_DECOMMISSIONED]!,
      recovered: r[R_RECOVERED]!,
      sessionsExpired: r[R_SESSIONS_EXPIRED]!,
    };
  }

  /** Live occupancy per zone and class as of the watermark, in O(zones). */
  snapshot(): OccupancySnapshot {
    const s = this.s;
    const zc = s.zoneCount * VEHICLE_CODES;
    const occupied = new Uint32Array(zc);
    const known = new Uint32Array(zc);
    const detection = new Uint8Array(zc);
    const zoneOccupied = new Uint32Array(s.zoneCount);
    const zoneKnown = new Uint32Array(s.zoneCount);
    const zoneCapacity = new Uint32Array(s.zoneCount);
    for (let r = 0; r < s.rowCount; r++) {
      let method = s.rowDetection[r]!;
      let o = s.accU32[r * 16 + AU_OCC]!;
      let k = s.accU32[r * 16 + AU_KNOWN]!;
      const c = s.cold;
      if (method === DETECTION.modelBased || (k === 0 && c !== null && c.qKnown[r]! > 0)) {
        method = DETECTION.modelBased;
        o = c === null ? 0 : c.qOcc[r]!;
        k = c === null ? 0 : c.qKnown[r]!;
      }
      const z = s.rowZone[r]!;
      const i = z * VEHICLE_CODES + s.rowVehicle[r]!;
      occupied[i] = o;
      known[i] = k;
      detection[i] = method;
      zoneOccupied[z] = zoneOccupied[z]! + o;
      zoneKnown[z] = zoneKnown[z]! + k;
      zoneCapacity[z] = zoneCapacity[z]! + s.rowCapacity[r]!;
    }
    const reg = s.reg;
    return {
      atMs: this.closed ? reg[R_MAX_SEEN]! : reg[R_WATERMARK]!,
      windowStartMs: reg[R_WIN_START]!,
      occupied,
      known,
      capacity: this.city.capacity.slice(),
      detection,
      zoneOccupied,
      zoneKnown,
      zoneCapacity,
      detectionOf: (zone: number, code: number): DetectionName =>
        DETECTION_NAMES[detection[zone * VEHICLE_CODES + code] ?? 0]!,
    };
  }

  /**
   * The full state as FlatBuffers `Checkpoint` bytes (see checkpoint.ts): bays, de-duplication memory, open
   * window accumulators, pending events, payments, watermark and counters. Restoring gives results identical
   * to an uninterrupted run.
   */
  checkpoint(): Uint8Array {
    return writeCheckpoint(this.checkpointParts());
  }

  /**
   * What checkpoint() writes, unwritten: the header fields and the sections as views of the live state (valid
   * until the next call on this engine; copy them first). With `slice`, only that part of the state (bays and
   * window rows, keys unsorted: a worker shard's recovery snapshot, sharded/snapshot.ts).
   *
   * @internal
   */
  checkpointParts(slice?: StateSlice): Omit<CheckpointParts, "formatVersion"> {
    this.assertClockState();
    this.windowRows.stampEpochs();
    const sections = stateSections(this.s, this.k, this.book, this.dedup, slice);
    const reg = this.s.reg;
    return {
      city: this.city.id,
      catalogHash: this.city.catalogHash,
      watermarkMs: reg[R_WATERMARK]!,
      maxEventMs: reg[R_MAX_SEEN]!,
      optionsJson: semanticOptionsJson(this.options),
      sections,
    };
  }

  // ---- internals ----

  /** Starts a public call: checks the engine is open; in reuse mode, earlier windows' buffers are recycled. */
  private assertOpen(): void {
    if (this.closed) throw new ParkirError("the occupancy engine is closed");
    this.columnPool.reset();
  }

  /**
   * With clockGuard: state whose newest event lies more than maxTimeJumpMs after the clock was built on a
   * wrong clock; saving it would make every restart refuse the real feed.
   *
   * @throws ParkirClockError
   */
  private assertClockState(): void {
    const o = this.options;
    if (o.clockGuard) assertClockState(this.s.reg[R_MAX_SEEN]!, o.clock(), o.maxTimeJumpMs);
  }

  /** What the clock-skew guards measure jumps from: the newest event time, or the watermark when advanceTo
   * moved it further; −∞ in a fresh engine. */
  private jumpReference(): number {
    return Math.max(this.s.reg[R_MAX_SEEN]!, this.s.reg[R_WATERMARK]!);
  }

  /** Applies pending events below `limitMs` (≤ when flushing), closing each window it passes. */
  private advance(limitMs: number, flush: boolean): void {
    const s = this.s;
    const reg = s.reg;
    const w = s.windowMs;
    this.k.sortPending(s);
    for (;;) {
      let ws = reg[R_WIN_START]!;
      if (ws < 0) {
        const head = reg[R_HEAD]!;
        if (head >= reg[R_TAIL]!) return;
        const t0 = s.pTime[head]!;
        if (flush ? t0 > limitMs : t0 >= limitMs) return;
        ws = Math.floor(t0 / w) * w;
        openWindow(s, ws);
      }
      const we = ws + w;
      const limit = we <= limitMs ? we : flush ? limitMs + 1 : limitMs;
      this.runSegment(limit);
      if (we > limitMs) return;
      const slot = this.inPlace ? this.windowRows.inPlaceSlot() : this.columnPool.take();
      this.windowRows.close(this.options.minCoverage, this.options.countHalfLifeMs, slot);
      this.out.addWindow(new ClosedWindow(this.city, ws, we, slot));
      openWindow(s, we);
      if (this.inPlace || this.out.windowsHeld >= WINDOWS_PER_EMIT) this.emitMidCall();
    }
  }

  /** Applies everything below `limit` inside the open window: bay events in the kernel, zone events here. */
  private runSegment(limit: number): void {
    const s = this.s;
    const reg = s.reg;
    for (;;) {
      const head = reg[R_HEAD]!;
      const cursor = reg[R_TO_CURSOR]!;
      const status = this.k.applyEvents(s, limit);
      this.windowRows.noteApplied(head, cursor);
      this.out.drainHealth();
      if (status === APPLY_DONE) break;
      if (status === APPLY_COLD) {
        applyZoneEvent(s, this.book);
        // Zone events that follow are applied here too, as long as the kernel would only hand them back.
        if (this.k.shard === undefined) while (coldEventNext(s, limit)) applyZoneEvent(s, this.book);
      }
    }
    expireSessions(s, this.book, limit);
  }

  /** When more than pendingMax events wait, forces the watermark past the oldest ones. */
  private enforcePendingLimit(): void {
    const s = this.s;
    const reg = s.reg;
    const max = this.options.pendingMax;
    if (s.pendingCount <= max) return;
    this.k.sortPending(s);
    const last = s.pTime[reg[R_TAIL]! - max - 1]!;
    const forced = last + 1;
    if (forced > reg[R_WATERMARK]!) reg[R_WATERMARK] = forced;
    reg[R_FORCED] = reg[R_FORCED]! + 1;
    this.advance(reg[R_WATERMARK]!, false);
  }

  /**
   * Emits the windows closed so far inside a call that closes many: their column sets may then be handed out
   * again (reuseWindowBuffers), so one call holds at most WINDOWS_PER_EMIT of them however far it goes.
   */
  private emitMidCall(): void {
    this.out.emit();
    this.columnPool.reset();
  }
}

/**
 * Creates an occupancy engine for a catalogue.
 *
 * @throws ParkirConfigError when options are invalid.
 * @example
 * const engine = createOccupancyEngine(city, { allowedLatenessMs: 60_000 });
 */
export function createOccupancyEngine(city: City, options: OccupancyOptions = {}): OccupancyEngine {
  return new OccupancyEngine(city, options);
}

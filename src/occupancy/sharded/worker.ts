/**
 * Worker side of a sharded occupancy engine: one OccupancyEngine per (engine id, shard) in this worker
 * thread, with the wasm kernel's shard filter, fed batches that lie in the shared memory (read in place).
 * Each call returns what the engine emitted, grouped as the engine emits it, with window rows cut to the
 * shard's own rows (or, for the windows this shard carries, in a column set of every row with only its own
 * filled in); the main thread (sharded.ts) merges the shards.
 */

import { type City, type CityDocument, loadCity } from "../../catalog/index.js";
import { type Issue, ParkirClockError } from "../../errors/index.js";
import { threadCpuMs, threadCpuSource, threadTaskId } from "../../runtime/cpu.js";
import { TEST_HOOKS_ENV, TRANSFER, type WorkerOpHandler, workerOp } from "../../runtime/protocol.js";
import { JsonLinesReader } from "../../wire/jsonl-parse.js";
import { allocColumns } from "../columns.js";
import { OccupancyEngine, WINDOWS_PER_EMIT } from "../engine.js";
import type { OccupancyOptions } from "../options.js";
import type { HealthReport, IngestResult, LateReport } from "../reports.js";
import type { WindowColumns } from "../types.js";
import { withShard } from "../wasm-kernel.js";
import { adoptionFor, keepsPending } from "./checkpoints.js";
import { type OwnAdmission, splittable } from "./own.js";
import { carriesWindow, planShards, recordOwners, type ShardPlan } from "./shards.js";
import { recoverShard, snapshotBytes, snapshotParts, writeSnapshot } from "./snapshot.js";

/** Options a shard engine can be given (no functions: they cross threads). */
export type ShardEngineOptions = Omit<OccupancyOptions, "clock" | "kernel">;

/** One closed window: the shard's rows only, or every row when the shard carries it (carriesWindow). */
export interface ShardWindow {
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly columns: WindowColumns;
  /** The window's changedRows among the shard's rows (row numbers of the whole engine, ascending). */
  readonly changed: Uint32Array;
}

/** What one engine emission group held (the engine emits health, late, then up to 16 windows). */
export interface ShardGroup {
  health: HealthReport | null;
  late: LateReport | null;
  windows: ShardWindow[];
}

/** A command for a shard engine (or, for `openParser`, `parse` and `drop`, for a parse-only worker). */
export type ShardCommand =
  | { readonly cmd: "open"; readonly city: CityDocument; readonly options: ShardEngineOptions }
  | {
      /** Make this worker a parse-only worker of the engine (it holds the catalogue, no engine state). */
      readonly cmd: "openParser";
      readonly city: CityDocument;
    }
  | {
      readonly cmd: "restore";
      readonly city: CityDocument;
      readonly options: ShardEngineOptions;
      readonly checkpoint: Uint8Array;
    }
  | {
      /**
       * Rebuild the shard from the recovery snapshots every shard took at one call (snapshot.ts recoverShard: its
       * own and the other shards' rows), one per shard in shard order.
       */
      readonly cmd: "recover";
      readonly city: CityDocument;
      readonly options: ShardEngineOptions;
      readonly snapshots: readonly Uint8Array[];
    }
  | {
      readonly cmd: "ingest";
      readonly at: number;
      readonly length: number;
      /** The main thread's clock when the call was made (the clock-skew guard's reference with clockGuard). */
      readonly clockMs: number;
      /**
       * Own admission (own.ts): the engine's pending events before the batch (an upper bound); the shard
       * admits only its own zones' events when the batch is splittable, else replies `unsplit` having changed
       * nothing. Absent: every event.
       */
      readonly own?: number;
      /**
       * With `own`, from a shard admitting every event: turn to own admission first (admitOwn) when the batch is
       * splittable (reply `switched`), else admit every event of it (reply `unsplit` with the result).
       */
      readonly toOwn?: boolean;
    }
  | {
      /** Parse JSON Lines bytes [at, at + length) of the shared memory into EventBatches (shared memory). */
      readonly cmd: "parse";
      readonly at: number;
      readonly length: number;
      readonly reader: ShardReaderOptions;
    }
  | {
      /**
       * Parse JSON Lines bytes [at, at + length) of the shared memory and ingest each batch as it is read
       * (written straight into the engine's batch memory, so staging copies nothing): `parse` and
       * `ingestBatches` in one task, for an engine of one shard.
       */
      readonly cmd: "ingestLines";
      readonly at: number;
      readonly length: number;
      readonly reader: ShardReaderOptions;
      readonly clockMs: number;
    }
  | {
      /** Ingest batches in order (each as `ingest` would), e.g. the batches `parse` wrote. */
      readonly cmd: "ingestBatches";
      readonly batches: readonly Uint8Array[];
      readonly clockMs: number;
      /**
       * As `ingest`'s: own admission from the first batch on, stopping (`unsplitAt`) at the first batch that is
       * not splittable (each batch's events are added to the bound for the next).
       */
      readonly own?: number;
      /**
       * As `ingest`'s, from a shard admitting every event: every event of each batch up to the first splittable
       * one, where it turns to own admission (reply `switchedAt`) and goes on as with `own`.
       */
      readonly toOwn?: boolean;
    }
  | { readonly cmd: "advanceTo"; readonly timeMs: number; readonly maxJumpMs?: number }
  | { readonly cmd: "close" }
  | { readonly cmd: "checkpoint" }
  | {
      /**
       * A recovery snapshot (snapshot.ts) written into the shared memory [at, at + size); when it does not fit,
       * it comes back in a buffer of its own instead (ShardReply.snapshot).
       */
      readonly cmd: "snapshot";
      readonly at: number;
      readonly size: number;
    }
  | { readonly cmd: "counters" }
  | {
      /**
       * Turn from own admission to every event: adopt the other shards' pending events, the engine's keys and
       * counts from the whole engine's checkpoint (mergeCheckpoints of every shard's).
       */
      readonly cmd: "admitEvery";
      readonly merged: Uint8Array;
    }
  | { readonly cmd: "drop" };

/** JSON Lines reader options a shard parses with (see JsonLinesOptions). */
export interface ShardReaderOptions {
  readonly batchEvents: number;
  readonly maxLineBytes: number;
  readonly keepEventIds: boolean;
}

/** What a shard's `parse` read: batches in shared memory (posted by reference), refused lines, counts. */
export interface ParsedLines {
  readonly batches: Uint8Array[];
  /** Refused lines: line number within the parsed range (1-based) and the issues. */
  readonly errors: { readonly line: number; readonly issues: readonly Issue[] }[];
  /** Lines read. */
  readonly lines: number;
  /** Valid events naming a place the catalogue does not know (left out of the batches). */
  readonly unknownPlaces: number;
}

/** One ingest's result as a shard sends it (the wire error as reason and message). */
export type ShardIngestResult = Omit<IngestResult, "error"> & {
  readonly errorReason?: string;
  readonly errorMessage?: string;
};

/** Arguments of the worker's `occ` op. */
export interface ShardTask {
  readonly engineId: string;
  /** The shard this worker hosts; null for a parse-only worker. */
  readonly shard: ShardPlan | null;
  readonly command: ShardCommand;
}

/** Result of the worker's `occ` op. */
export interface ShardReply {
  readonly result?: ShardIngestResult;
  /** Per batch of an `ingestBatches`: its result and what the engine emitted while ingesting it. */
  readonly batches?: { readonly result: ShardIngestResult; readonly groups: ShardGroup[] }[];
  /** What `parse` read; for `ingestLines`, the same without batches (they were ingested: see `batches`). */
  readonly parsed?: ParsedLines;
  /**
   * Milliseconds this shard's thread has spent running its commands since the shard was opened here (wall
   * time inside the tasks, read with performance.now(): the thread's CPU time when it is not preempted).
   */
  readonly busyMs?: number;
  /**
   * CPU time of this shard's thread in its commands since the shard was opened here, ms, where the platform
   * tells it (see threadCpuMs); else absent.
   */
  readonly cpuMs?: number;
  /**
   * The worker thread's task id (open, restore, openParser), where its CPU time is best read from the main
   * thread while the worker waits (threadCpuMsOf); absent where the worker's own reading is exact.
   */
  readonly taskId?: number;
  readonly windowsClosed?: number;
  /** advanceTo refused by its maxJumpMs (ParkirClockError's fields): the same in every shard. */
  readonly clockError?: { readonly timeMs: number; readonly referenceMs: number; readonly limitMs: number };
  readonly groups: ShardGroup[];
  readonly checkpoint?: Uint8Array;
  /**
   * Bytes the snapshot took (`snapshot`; above the size given, it is in `snapshot` instead of shared memory),
   * or would take (`open`, `restore`).
   */
  readonly snapshotBytes?: number;
  readonly snapshot?: Uint8Array;
  readonly counters?: OccupancyEngine["counters"];
  /** With counters: payment events among the pending ones (own admission keeps them in every shard). */
  readonly pendingPayments?: number;
  /** Pending events after an ingest, ingestBatches or advanceTo. */
  readonly pending?: number;
  /** After an ingest, ingestBatches or advanceTo: whether the engine's first window is open. */
  readonly windowOpen?: boolean;
  /**
   * `ingest` with own admission: the batch is not splittable, nothing changed; with `toOwn`: the batch was not
   * splittable and every event of it was admitted (`result`).
   */
  readonly unsplit?: boolean;
  /** `ingest` with `toOwn`: the shard turned to own admission and admitted the batch so. */
  readonly switched?: boolean;
  /** `ingestBatches` with `toOwn`: the index of the batch at which the shard turned to own admission. */
  readonly switchedAt?: number;
  /** `ingestBatches` with own admission: the index of the first batch not splittable (not ingested, nor any after it). */
  readonly unsplitAt?: number;
}

/**
 * Test hook (workers started with PARKIR_WORKER_TEST_HOOKS=1): ingests of batches of this many bytes, and
 * parses of this many bytes of lines, throw.
 */
const FAIL_BYTES =
  process.env[TEST_HOOKS_ENV] === "1" ? Number(process.env.PARKIR_TEST_FAIL_BYTES ?? Number.NaN) : Number.NaN;

/** Most shard engines a worker keeps (engines of closed sharded engines are dropped explicitly). */
const ENGINES_MAX = 16;

interface Hosted {
  readonly engine: OccupancyEngine;
  readonly shard: ShardPlan;
  /** Shard owning each record (recordOwners), for own admission; made on first use. */
  owners: Uint8Array | null;
  groups: ShardGroup[];
  /** The engine's clock: the main thread's, as of the last ingest command. */
  readonly clock: { nowMs: number };
  /** See ShardReply.busyMs. */
  busyMs: number;
  /** See ShardReply.cpuMs (NaN where the platform does not tell). */
  cpuMs: number;
}

/** A parse-only worker's part of an engine (ShardedOccupancyOptions.shards below workers): the catalogue. */
interface Parser {
  readonly city: City;
  /** See ShardReply.busyMs. */
  busyMs: number;
  /** See ShardReply.cpuMs. */
  cpuMs: number;
}

const engines = new Map<string, Hosted>();
const parsers = new Map<string, Parser>();
const cities = new Map<string, City>();

function cityOf(doc: CityDocument): City {
  const key = JSON.stringify([doc.id, doc.zones.length]);
  let city = cities.get(key);
  if (city === undefined) {
    city = loadCity(doc);
    if (cities.size >= 4) cities.delete(cities.keys().next().value!);
    cities.set(key, city);
  }
  return city;
}

function host(engineId: string, shard: ShardPlan, engine: OccupancyEngine, clock: { nowMs: number }): Hosted {
  const h: Hosted = { engine, shard, owners: null, groups: [], clock, busyMs: 0, cpuMs: 0 };
  const current = (): ShardGroup => {
    let g = h.groups.at(-1);
    if (g === undefined) {
      g = { health: null, late: null, windows: [] };
      h.groups.push(g);
    }
    return g;
  };
  const fresh = (): ShardGroup => {
    const g: ShardGroup = { health: null, late: null, windows: [] };
    h.groups.push(g);
    return g;
  };
  engine.health$.subscribe((r) => {
    const g = current();
    (g.health !== null || g.late !== null || g.windows.length > 0 ? fresh() : g).health = r;
  });
  engine.late$.subscribe((r) => {
    const g = current();
    (g.late !== null || g.windows.length > 0 ? fresh() : g).late = r;
  });
  engine.windows$.subscribe((w) => {
    let g = current();
    if (g.windows.length >= WINDOWS_PER_EMIT) g = fresh();
    const c = w.columns!;
    const lo = shard.rowLo;
    const n = shard.rowHi - lo;
    const full = carriesWindow(shard, w.windowStart, w.windowEnd - w.windowStart);
    const own = allocColumns(full ? c.length : n);
    for (const key of Object.keys(own) as (keyof WindowColumns)[]) {
      if (key === "length") continue;
      (own[key] as Uint8Array).set((c[key] as Uint8Array).subarray(lo, lo + n), full ? lo : 0);
    }
    const changed = w.changedRows!.filter((r) => r >= lo && r < lo + n);
    g.windows.push({ windowStart: w.windowStart, windowEnd: w.windowEnd, columns: own, changed });
  });
  if (engines.size >= ENGINES_MAX) {
    const [oldest] = engines.keys();
    engines.delete(oldest!);
  }
  engines.set(engineId, h);
  return h;
}

/** This thread's task id for ShardReply.taskId, unless threadCpuMs is exact here. */
function thisThread(): { taskId?: number } {
  if (threadCpuSource() === "threadCpuUsage") return {};
  const id = threadTaskId();
  return id === null ? {} : { taskId: id };
}

/** Runs one shard command (the `occ` worker op) over the shared memory its batches lie in. */
export function runShard(task: ShardTask, memory: WebAssembly.Memory): ShardReply {
  const c0 = threadCpuMs();
  const t0 = performance.now();
  const reply = runCommand(task, memory);
  const h = engines.get(task.engineId) ?? parsers.get(task.engineId);
  if (h === undefined) return reply;
  h.busyMs += performance.now() - t0;
  h.cpuMs += threadCpuMs() - c0;
  return Object.assign(
    reply,
    Number.isNaN(h.cpuMs) ? { busyMs: h.busyMs } : { busyMs: h.busyMs, cpuMs: h.cpuMs },
  );
}

/**
 * One shard's ingest of `bytes`, with the main thread's clock as the engine's during the call; with `own` (the
 * engine's pending events before it, at most), own admission: null when the batch is not splittable (nothing
 * changed), and `own.events` is set to its event count.
 */
function ingestOne(
  h: Hosted,
  bytes: Uint8Array,
  clockMs: number,
  own?: { pendingTotal: number; events: number; toOwn?: boolean; switched?: boolean },
): ShardIngestResult | null {
  if (bytes.byteLength === FAIL_BYTES) throw new Error("test hook: this batch fails on purpose");
  h.clock.nowMs = clockMs;
  try {
    const e = h.engine;
    let r: IngestResult | null;
    if (own === undefined) r = e.ingest(bytes);
    else {
      h.owners ??= recordOwners(e.city, planShards(e.city, h.shard.shards));
      const admission = (pendingTotal: number): OwnAdmission => ({
        owners: h.owners!,
        deviceCount: e.city.deviceCount,
        pendingTotal,
        pendingMax: e.options.pendingMax,
      });
      own.events = 0;
      own.switched = false;
      r = null;
      if (own.toOwn === true) {
        // Admitting every event (every shard holds every pending event: their count is exact): whether the batch
        // splits is asked first, changing nothing (a batch that fails verification is refused as ingest would).
        let splits = false;
        const pending = e.counters.pending;
        r = e.ingestOwn(bytes, (view, words) => {
          splits = splittable(view, words, admission(pending));
          return false;
        });
        if (r === null && !splits) r = e.ingest(bytes);
        else if (r === null) {
          admitOwn(h);
          own.switched = true;
          own.toOwn = false;
          own.pendingTotal = pending;
        }
      }
      if (r === null) {
        const o = admission(own.pendingTotal);
        r = e.ingestOwn(bytes, (view, words) => {
          own.events = view.length;
          return splittable(view, words, o);
        });
        if (r === null) return null;
      }
    }
    const { error, ...result } = r;
    return error === undefined
      ? result
      : { ...result, errorReason: error.reason, errorMessage: error.message };
  } finally {
    h.clock.nowMs = Number.POSITIVE_INFINITY;
  }
}

/**
 * Turns a shard admitting every event to own admission: it keeps only its own zones' pending events and every
 * payment, and shards other than 0 count admitted events from 0.
 */
function admitOwn(h: Hosted): void {
  const e = h.engine;
  h.owners ??= recordOwners(e.city, planShards(e.city, h.shard.shards));
  e.keepPending(keepsPending(e.city, h.owners, h.shard.index), h.shard.index !== 0);
}

/**
 * Parses JSON Lines bytes into batches. Without `ingest`, each batch goes to fresh shared memory (other shards
 * read them by reference) and is returned; with it, each batch is written into the engine's batch memory and
 * handed to `ingest` before the next one is read (nothing returned: that memory is reused).
 */
function parseLines(
  city: City,
  bytes: Uint8Array,
  o: ShardReaderOptions,
  ingest?: { readonly engine: OccupancyEngine; readonly batch: (batch: Uint8Array) => void },
): ParsedLines {
  if (bytes.byteLength === FAIL_BYTES) throw new Error("test hook: these lines fail on purpose");
  const reader = new JsonLinesReader(city, {
    ...o,
    into:
      ingest === undefined
        ? (n) => new Uint8Array(new SharedArrayBuffer(n))
        : (n) => ingest.engine.batchBuffer(n),
  });
  const batches: Uint8Array[] = [];
  const errors: { line: number; issues: readonly Issue[] }[] = [];
  // A private copy: the reader's fallback decodes text, which TextDecoder refuses to do from shared memory.
  reader.push(bytes.slice());
  reader.end();
  for (let c = reader.next(); c !== null; c = reader.next()) {
    if (c.batch !== undefined) {
      if (ingest === undefined) batches.push(c.batch);
      else ingest.batch(c.batch);
    }
    for (const e of c.errors) errors.push({ line: e.line, issues: e.issues });
  }
  const r = reader.report;
  return { batches, errors, lines: reader.counters.lines, unknownPlaces: r.unknownBay + r.unknownZone };
}

/** ingestOne's own admission state for a command with `own` (and `toOwn`). */
function ownOf(
  pendingTotal: number,
  toOwn: boolean | undefined,
): { pendingTotal: number; events: number; toOwn: boolean; switched: boolean } {
  return { pendingTotal, events: 0, toOwn: toOwn === true, switched: false };
}

/** Runs a command of a parse-only worker (openParser, parse, drop). */
function runParser(engineId: string, command: ShardCommand, memory: WebAssembly.Memory): ShardReply {
  if (command.cmd === "openParser") {
    if (parsers.size >= ENGINES_MAX) parsers.delete(parsers.keys().next().value!);
    parsers.set(engineId, { city: cityOf(command.city), busyMs: 0, cpuMs: 0 });
    return { groups: [], ...thisThread() };
  }
  const p = parsers.get(engineId);
  if (p === undefined) throw new Error(`parser of engine ${engineId} is not open in this worker`);
  if (command.cmd === "drop") {
    parsers.delete(engineId);
    return { groups: [] };
  }
  if (command.cmd !== "parse") throw new Error(`a parse-only worker cannot run ${command.cmd}`);
  const bytes = new Uint8Array(memory.buffer, command.at, command.length);
  return { parsed: parseLines(p.city, bytes, command.reader), groups: [] };
}

function runCommand(task: ShardTask, memory: WebAssembly.Memory): ShardReply {
  const { engineId, command } = task;
  if (task.shard === null) return runParser(engineId, command, memory);
  const shard = task.shard;
  const make = (city: City, options: ShardEngineOptions, checkpoint?: Uint8Array): Hosted => {
    // Window columns are copied (own rows) inside the emission, so the engine may reuse its buffers.
    // The main thread's clock during ingest; +∞ otherwise, so the clock checks of checkpoint and restore
    // (clockGuard) pass here: the main thread makes them on the merged state.
    const clock = { nowMs: Number.POSITIVE_INFINITY };
    const opts: OccupancyOptions = {
      ...options,
      kernel: "wasm",
      clock: () => clock.nowMs,
      reuseWindowBuffers: true,
    };
    const engine = withShard(shard, () =>
      checkpoint === undefined
        ? new OccupancyEngine(city, opts)
        : OccupancyEngine.restore(city, checkpoint, opts),
    );
    return host(engineId, shard, engine, clock);
  };
  // open and restore tell the size of the engine's recovery snapshot (the main thread lends memory for them).
  if (command.cmd === "open") {
    const h = make(cityOf(command.city), command.options);
    return { groups: [], snapshotBytes: snapshotBytes(h.engine.checkpointParts(shard)), ...thisThread() };
  }
  if (command.cmd === "restore") {
    const h = make(cityOf(command.city), command.options, command.checkpoint);
    return { groups: [], snapshotBytes: snapshotBytes(h.engine.checkpointParts(shard)), ...thisThread() };
  }
  if (command.cmd === "recover") {
    const city = cityOf(command.city);
    const { checkpoint, last } = recoverShard(planShards(city, shard.shards), shard.index, command.snapshots);
    const h = make(city, command.options, checkpoint);
    if (last !== null) h.engine.primeWindows(last);
    return { groups: [], snapshotBytes: snapshotBytes(h.engine.checkpointParts(shard)), ...thisThread() };
  }
  const h = engines.get(engineId);
  if (h === undefined) throw new Error(`shard engine ${engineId}#${shard.index} is not open in this worker`);
  if (command.cmd === "drop") {
    engines.delete(engineId);
    return { groups: [] };
  }
  h.groups = [];
  const e = h.engine;
  let reply: ShardReply;
  switch (command.cmd) {
    case "ingest": {
      const bytes = new Uint8Array(memory.buffer, command.at, command.length);
      const own = command.own === undefined ? undefined : ownOf(command.own, command.toOwn);
      const result = ingestOne(h, bytes, command.clockMs, own);
      const pending = e.counters.pending;
      const windowOpen = e.windowStartMs >= 0;
      if (result === null) reply = { unsplit: true, groups: [] };
      else {
        reply = { result, groups: h.groups, pending, windowOpen };
        if (own?.switched === true) reply = { ...reply, switched: true };
        else if (command.toOwn === true) reply = { ...reply, unsplit: true };
      }
      break;
    }
    case "ingestBatches": {
      const batches: { result: ShardIngestResult; groups: ShardGroup[] }[] = [];
      const own = command.own === undefined ? undefined : ownOf(command.own, command.toOwn);
      let unsplitAt: number | undefined;
      let switchedAt: number | undefined;
      for (const b of command.batches) {
        h.groups = [];
        const result = ingestOne(h, b, command.clockMs, own);
        if (result === null) {
          unsplitAt = batches.length;
          break;
        }
        if (own?.switched === true) switchedAt = batches.length;
        batches.push({ result, groups: h.groups });
        // Own admission: each batch's events are added to the bound for the next.
        if (own !== undefined && !own.toOwn) own.pendingTotal += own.events;
      }
      let tail: ShardReply = { groups: [], pending: e.counters.pending, windowOpen: e.windowStartMs >= 0 };
      if (unsplitAt !== undefined) tail = { ...tail, unsplitAt };
      if (switchedAt !== undefined) tail = { ...tail, switchedAt };
      reply = { batches, ...tail };
      break;
    }
    case "ingestLines": {
      const bytes = new Uint8Array(memory.buffer, command.at, command.length);
      const batches: { result: ShardIngestResult; groups: ShardGroup[] }[] = [];
      const parsed = parseLines(h.engine.city, bytes, command.reader, {
        engine: e,
        batch: (b) => {
          h.groups = [];
          batches.push({ result: ingestOne(h, b, command.clockMs)!, groups: h.groups });
        },
      });
      reply = { parsed, batches, groups: [] };
      break;
    }
    case "parse": {
      const bytes = new Uint8Array(memory.buffer, command.at, command.length);
      reply = { parsed: parseLines(h.engine.city, bytes, command.reader), groups: [] };
      break;
    }
    case "advanceTo":
      try {
        const windowsClosed = e.advanceTo(
          command.timeMs,
          command.maxJumpMs === undefined ? {} : { maxJumpMs: command.maxJumpMs },
        );
        reply = {
          windowsClosed,
          groups: h.groups,
          pending: e.counters.pending,
          windowOpen: e.windowStartMs >= 0,
        };
      } catch (err) {
        if (!(err instanceof ParkirClockError)) throw err;
        reply = {
          windowsClosed: 0,
          clockError: { timeMs: err.timeMs, referenceMs: err.referenceMs, limitMs: err.limitMs },
          groups: h.groups,
        };
      }
      break;
    case "close":
      e.close();
      reply = {
        groups: h.groups,
        counters: e.counters,
        pendingPayments: e.pendingPayments(),
        checkpoint: e.checkpoint(),
      };
      break;
    case "checkpoint":
      reply = {
        groups: [],
        checkpoint: e.checkpoint(),
        counters: e.counters,
        pendingPayments: e.pendingPayments(),
      };
      break;
    case "counters":
      reply = { groups: [], counters: e.counters, pendingPayments: e.pendingPayments() };
      break;
    case "admitEvery": {
      const plans = planShards(e.city, shard.shards);
      const a = adoptionFor(e.city, plans, shard.index, command.merged);
      e.adoptAdmission(a.time, a.words, a.keys, a.counts);
      reply = { groups: [] };
      break;
    }
    case "snapshot": {
      const parts = snapshotParts(e.checkpointParts(shard), e.lastWindowColumns(), shard);
      const into = new Uint8Array(memory.buffer, command.at, command.size);
      const bytes = writeSnapshot(parts, into);
      if (bytes <= command.size) reply = { groups: [], snapshotBytes: bytes };
      else {
        const own = new Uint8Array(bytes);
        writeSnapshot(parts, own);
        reply = { groups: [], snapshotBytes: bytes, snapshot: own };
      }
      break;
    }
    case "openParser":
      throw new Error(`shard ${engineId}#${shard.index} is not a parse-only worker`);
  }
  h.groups = [];
  // Window columns and checkpoint bytes are moved to the main thread, not copied.
  const transfer: ArrayBuffer[] = [];
  for (const g of [...reply.groups, ...(reply.batches ?? []).flatMap((b) => b.groups)])
    for (const w of g.windows)
      transfer.push(w.columns.zone.buffer as ArrayBuffer, w.changed.buffer as ArrayBuffer);
  if (reply.snapshot !== undefined) transfer.push(reply.snapshot.buffer as ArrayBuffer);
  if (reply.checkpoint !== undefined) {
    const own = reply.checkpoint.slice();
    transfer.push(own.buffer);
    return Object.assign({ ...reply, checkpoint: own }, { [TRANSFER]: transfer });
  }
  return Object.assign(reply, { [TRANSFER]: transfer });
}

/** The worker op that runs a shard command (posted by ShardedOccupancyEngine). */
export const SHARD_OP = workerOp<ShardTask, ShardReply>(import.meta.url, "occ");

/** Worker ops of this module (loaded by src/runtime/worker.ts). */
export const workerOps: { readonly occ: WorkerOpHandler<ShardTask, ShardReply> } = {
  occ: (task, context) => runShard(task, context.memory),
};

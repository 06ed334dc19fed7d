/**
 * `parkir replay`: events (JSON Lines or FlatBuffers frames) through the occupancy engine, closed windows out
 * as JSON Lines, one object per window, zone and vehicle class, then a summary line. Same input and options
 * give byte-identical output.
 */
import { extname } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import type { City } from "../catalog/city.js";
import { ParkirConfigError, ParkirWireError } from "../errors/index.js";
import { windowRecordLine } from "../occupancy/closed-window.js";
import type { OccupancyEngine } from "../occupancy/engine.js";
import {
  type ReplayJsonLinesOptions,
  type ReplayJsonLinesSummary,
  replayBatchesSync,
  replayJsonLinesSync,
} from "../occupancy/jsonl-replay.js";
import { type OccupancyOptions, resolveOptions } from "../occupancy/options.js";
import { describeSkew } from "../occupancy/skew.js";
import type { WindowBatch } from "../occupancy/types.js";
import { seedPath } from "../paths.js";
import { decisionLine } from "../pricing/decision.js";
import { PricingEngine } from "../pricing/engine.js";
import { loadPolicyFile } from "../pricing/policy.js";
import { looksFramed, scanFrames } from "../wire/frames.js";
import type { ReadInto } from "../wire/jsonl-parse.js";
import { CliError } from "./errors.js";
import { cityFromFile, INPUT_CHUNK_BYTES, openInput, settleOutput, warnLine, writeOutput } from "./io.js";
import { existingFile, parseDuration } from "./options.js";

/** Events per batch when replaying JSON Lines (delivery order is kept). */
export const REPLAY_BATCH_EVENTS = 4096;
/** Bad input lines described on the diagnostics channel (all are counted). */
export const REPLAY_WARNINGS_MAX = 20;

/** What to replay and with which engine options. */
export interface ReplayOptions {
  /** Window length, ms. Default 5 min. */
  readonly windowMs?: number;
  /** Allowed lateness, ms. Default 2 min. */
  readonly allowedLatenessMs?: number;
  /** Sensor timeout, ms. Default 4 h. */
  readonly sensorTimeoutMs?: number;
  /** Minimum coverage for an occupancy figure. Default 0.5. */
  readonly minCoverage?: number;
  /** Events per batch for JSON Lines input. Default REPLAY_BATCH_EVENTS. */
  readonly batchEvents?: number;
}

/** Extension points of a replay (the pricing engine plugs in here). */
export interface ReplayHooks {
  /** Extra JSON lines (no newline) written right after a window's records, e.g. `{"type":"tariff",...}`. */
  readonly onWindows?: (batch: WindowBatch) => readonly string[];
  /** Diagnostics about the input (bad lines, unknown ids). Default: standard error. */
  readonly warn?: (message: string) => void;
  /** Called with the engine before the first batch (to watch late$ / health$ or read counters). */
  readonly onEngine?: (engine: OccupancyEngine) => void;
}

/** The last line of a replay. */
export interface ReplaySummary {
  readonly type: "summary";
  /** Events accepted by the engine. */
  readonly accepted: number;
  /** Duplicates dropped. */
  readonly duplicate: number;
  /** Late events dropped. */
  readonly late: number;
  /** Events naming a bay, zone or device the catalogue does not know (or a class without capacity). */
  readonly unknownBay: number;
  /** Events refused by the clock-skew guard: too far from the rest of the feed in time. */
  readonly clockSkew: number;
  /** Input lines that are not valid events, plus events in frames that failed verification. */
  readonly rejected: number;
}

/**
 * Replays `input` (JSON Lines text or a FlatBuffers frames file, as bytes) for `city`, calling `write` with
 * chunks of output text (JSON Lines, each ending in a newline). Deterministic. Whatever the engine refuses is
 * counted in the summary and described through `hooks.warn`, with a total per reason at the end.
 *
 * @returns the summary (also written as the last line).
 * @throws ParkirConfigError when options are invalid; ParkirWireError when a frames file turns into garbage
 *   (after the good frames before it were replayed and the summary written).
 */
export function replayBytes(
  city: City,
  input: Uint8Array,
  options: ReplayOptions,
  write: (text: string) => void,
  hooks: ReplayHooks = {},
): ReplaySummary {
  return replayChunks(city, [input], options, write, hooks);
}

/**
 * replayBytes over input read piece by piece: chunks (e.g. a file in 1 MiB chunks; a chunk may be reused once the
 * next is asked for), or a source read into memory (ReadInto, e.g. a file descriptor's readSync: JSON Lines are then
 * read straight into the reader's input window). JSON Lines are streamed: memory stays bounded whatever the input's
 * size (one batch, one input window, one line of at most EVENT_LINE_BYTES_MAX bytes, the held start of the feed).
 * A frames file is read whole.
 *
 * @returns the summary (also written as the last line).
 * @throws as replayBytes.
 */
export function replayChunks(
  city: City,
  chunks: Iterable<Uint8Array> | ReadInto,
  options: ReplayOptions,
  write: (text: string) => void,
  hooks: ReplayHooks = {},
): ReplaySummary {
  const warn = hooks.warn ?? ((m: string) => warnLine(`parkir replay: ${m}`));
  const engineOptions: OccupancyOptions = {
    ...(options.windowMs === undefined ? {} : { windowMs: options.windowMs }),
    ...(options.allowedLatenessMs === undefined ? {} : { allowedLatenessMs: options.allowedLatenessMs }),
    ...(options.sensorTimeoutMs === undefined ? {} : { sensorTimeoutMs: options.sensorTimeoutMs }),
    ...(options.minCoverage === undefined ? {} : { minCoverage: options.minCoverage }),
    reuseWindowBuffers: true,
    clock: () => 0,
  };
  resolveOptions(engineOptions);
  let warnings = 0;
  const note = (message: string) => {
    if (++warnings <= REPLAY_WARNINGS_MAX) warn(message);
  };
  const out = new LineBuffer(write);
  const replay: ReplayJsonLinesOptions = {
    engine: engineOptions,
    onWindows: (batch) => {
      for (const r of batch.records) out.line(windowRecordLine(r));
      if (hooks.onWindows !== undefined) for (const extra of hooks.onWindows(batch)) out.line(extra);
    },
    ...(hooks.onEngine === undefined ? {} : { onEngine: hooks.onEngine }),
    onIngest: (result, i) => {
      if (result.rejected > 0) note(`batch ${i}: ${result.error?.message ?? "rejected"}`);
      if (result.skew !== undefined) note(`batch ${i}: ${describeSkew(result.skew)}`);
    },
  };
  const { head, rest } = firstBytes(chunks, 16);
  let s: ReplayJsonLinesSummary;
  let stopped: ParkirWireError | undefined;
  if (looksFramed(head)) {
    const scanned = scanFrames(concat(head, rest));
    stopped = scanned.error;
    s = replayBatchesSync(scanned.frames, city, replay);
  } else {
    let invalid = 0;
    s = replayJsonLinesSync(prepend(head, rest), city, {
      ...replay,
      // Event ids are kept: de-duplication compares them exactly (without them, only a 32-bit hash per device).
      reader: { batchEvents: options.batchEvents ?? REPLAY_BATCH_EVENTS },
      onError: (e) => {
        if (++invalid <= REPLAY_WARNINGS_MAX) note(e.message);
      },
    });
    if (invalid > REPLAY_WARNINGS_MAX) warn(`... and ${invalid - REPLAY_WARNINGS_MAX} more invalid lines`);
    if (s.unknownIds.length > 0)
      warn(`events name ids the catalogue does not know, e.g. ${s.unknownIds.slice(0, 5).join(", ")}`);
  }
  const summary: ReplaySummary = {
    type: "summary",
    accepted: s.accepted,
    duplicate: s.duplicate,
    late: s.late,
    unknownBay: s.unknownBay,
    clockSkew: s.clockSkew,
    rejected: s.rejected + s.refusedBatches,
  };
  out.line(JSON.stringify(summary));
  out.flush();
  const refused = (
    [
      [summary.rejected, "invalid (lines, or batches that failed verification)"],
      [summary.unknownBay, "with unknown ids"],
      [summary.clockSkew, "too far from the rest of the feed in time (clock skew)"],
      [summary.late, "late"],
      [summary.duplicate, "duplicate"],
    ] as const
  ).filter(([n]) => n > 0);
  if (refused.length > 0 || stopped !== undefined) {
    warn(
      `accepted ${summary.accepted} events; dropped ${refused.map(([n, why]) => `${n} ${why}`).join(", ") || "none"}`,
    );
  }
  if (stopped !== undefined) throw stopped;
  return summary;
}

/** The rest of an input after its first bytes: chunks, or a source read into memory. */
type Rest = Iterator<Uint8Array> | ReadInto;

/**
 * The first `n` bytes of `input` (fewer when it ends first), and the rest: of chunks, the first ones joined until
 * they hold `n` bytes; of a source read into memory, exactly `n` bytes.
 */
function firstBytes(input: Iterable<Uint8Array> | ReadInto, n: number): { head: Uint8Array; rest: Rest } {
  if (typeof input === "function") {
    const head = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const k = input(head.subarray(got));
      if (k === 0) break;
      got += k;
    }
    return { head: head.subarray(0, got), rest: input };
  }
  const it = input[Symbol.iterator]();
  const parts: Uint8Array[] = [];
  let size = 0;
  while (size < n) {
    const r = it.next();
    if (r.done === true) break;
    // The iterator may reuse a chunk's memory: keep a copy.
    parts.push(r.value.slice());
    size += r.value.byteLength;
  }
  return {
    head: parts.length === 1 ? parts[0]! : concat(new Uint8Array(0), parts[Symbol.iterator]()),
    rest: it,
  };
}

/**
 * `head` followed by the rest: chunks, or a source read into memory whose first read holds `head` too (JSON
 * Lines are then read straight into the reader's input memory).
 */
function prepend(head: Uint8Array, rest: Rest): Iterable<Uint8Array> | ReadInto {
  if (typeof rest === "function") {
    let first = head.byteLength > 0;
    return (into) => {
      if (!first) return rest(into);
      first = false;
      into.set(head);
      return head.byteLength + rest(into.subarray(head.byteLength));
    };
  }
  return (function* () {
    if (head.byteLength > 0) yield head;
    for (let r = rest.next(); r.done !== true; r = rest.next()) yield r.value;
  })();
}

/** `head` and everything after it in one buffer. */
function concat(head: Uint8Array, rest: Rest): Uint8Array {
  const parts = [head];
  let size = head.byteLength;
  if (typeof rest === "function") {
    for (;;) {
      const chunk = new Uint8Array(INPUT_CHUNK_BYTES);
      const k = rest(chunk);
      if (k === 0) break;
      parts.push(chunk.subarray(0, k));
      size += k;
    }
  } else {
    for (let r = rest.next(); r.done !== true; r = rest.next()) {
      parts.push(r.value.slice());
      size += r.value.byteLength;
    }
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Collects lines and writes them in chunks of about 64 KiB. */
class LineBuffer {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly write: (text: string) => void) {}
  line(text: string): void {
    this.parts.push(text);
    this.size += text.length + 1;
    if (this.size >= 65_536) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    this.write(`${this.parts.join("\n")}\n`);
    this.parts = [];
    this.size = 0;
  }
}

/** Options of the replay command line, after parsing. */
interface ReplayCliOptions {
  city?: string;
  events: string;
  window: number;
  lateness: number;
  sensorTimeout: number;
  minCoverage: number;
  policy?: string;
  variant?: string;
}

/**
 * Runs a replay from files, writing to `write` (standard output by default). The CLI's action; the lead can
 * wrap it to add `--policy` (pass hooks.onWindows).
 *
 * @throws CliError for unreadable files or invalid options.
 */
export function runReplay(
  files: { readonly cityPath: string; readonly eventsPath: string },
  options: ReplayOptions,
  write: (text: string) => void = (t) => writeOutput(undefined, t),
  hooks: ReplayHooks = {},
): ReplaySummary {
  const city = cityFromFile(files.cityPath);
  // The events are read straight into the JSON Lines reader's input memory (a frames file, into one buffer).
  const input = openInput(files.eventsPath);
  try {
    const { head, rest } = firstBytes(input.read, 16);
    const ext = extname(files.eventsPath).toLowerCase();
    if (ext === ".fb" && !looksFramed(head) && head.byteLength > 0) {
      throw new CliError(`${files.eventsPath} is not a FlatBuffers frames file`, 1);
    }
    return replayChunks(city, prepend(head, rest), options, write, hooks);
  } catch (e) {
    if (e instanceof ParkirConfigError) throw new CliError(e.message, 2);
    if (e instanceof ParkirWireError) throw new CliError(`${files.eventsPath}: ${e.message}`, 1);
    throw e;
  } finally {
    input.close();
  }
}

function ratio(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new InvalidArgumentError("must be a number between 0 and 1");
  }
  return n;
}

/** Registers `parkir replay`. */
export function register(program: Command): void {
  program
    .command("replay")
    .summary("replay events through the occupancy engine; windows out as JSON Lines")
    .description(
      "Replay CDS events (JSON Lines, or a FlatBuffers frames file from `parkir convert`) through the occupancy " +
        "engine in delivery order and print one JSON object per closed window, zone and vehicle class:\n" +
        '  {"type":"occupancy","zone":…,"vehicleType":…,"windowStart":ms,"windowEnd":ms,"occupancy":0.625|null,\n' +
        '   "coverage":…,"arrivals":…,"departures":…,"peakOccupied":…,"meanDwellMs":…|null,"detection":…}\n' +
        'then {"type":"summary","accepted":…,"duplicate":…,"late":…,"unknownBay":…,"rejected":…}.\n' +
        "At the end of the input the watermark moves to the last event time, so every window ending at or before it " +
        "is printed. Invalid lines are counted as rejected and described on stderr. The output is byte-identical " +
        "across runs. Semantics: docs/OCCUPANCY.md.",
    )
    .option("--city <file>", "city catalogue JSON (default: the bundled seeds/palu/city.json)", existingFile)
    .requiredOption(
      "--events <file>",
      "events: .jsonl (JSON Lines) or .fb (frames); - for standard input",
      existingFile,
    )
    .option(
      "--window <duration>",
      "tumbling window length, e.g. 5m, 15m, 1h (default: 5m)",
      parseDuration,
      300_000,
    )
    .option(
      "--lateness <duration>",
      "allowed lateness behind the newest event time (default: 2m)",
      parseDuration,
      120_000,
    )
    .option(
      "--sensor-timeout <duration>",
      "a sensor silent this long becomes unknown; at least the window (default: 4h)",
      parseDuration,
      14_400_000,
    )
    .option("--min-coverage <ratio>", "below this coverage occupancy is null (default: 0.5)", ratio, 0.5)
    .option(
      "--policy <file>",
      "tariff policy JSON, e.g. the bundled seeds/palu/policy.json: interleave its tariff decisions after each " +
        "window (default: none, occupancy only)",
      existingFile,
    )
    .option("--variant <name>", "policy variant to apply with --policy (e.g. dynamic)")
    .addHelpText(
      "after",
      "\nDurations: 1500ms, 30s, 5m, 2h, 1d.\nExamples:\n  parkir replay --events day.jsonl > windows.jsonl\n" +
        "  parkir replay --city seeds/palu/city.json --events day.fb --window 15m --lateness 30s",
    )
    .action(async (opts: ReplayCliOptions) => {
      if (opts.variant !== undefined && opts.policy === undefined)
        throw new CliError("--variant needs --policy");
      const cityPath = opts.city ?? seedPath("palu", "city.json");
      const hooks: ReplayHooks =
        opts.policy === undefined ? {} : { onWindows: tariffLines(cityPath, opts.policy, opts.variant) };
      const summary = runReplay(
        { cityPath, eventsPath: opts.events },
        {
          windowMs: opts.window,
          allowedLatenessMs: opts.lateness,
          sensorTimeoutMs: opts.sensorTimeout,
          minCoverage: opts.minCoverage,
        },
        undefined,
        hooks,
      );
      await settleOutput();
      const dropped =
        summary.rejected + summary.unknownBay + summary.clockSkew + summary.late + summary.duplicate;
      if (summary.accepted === 0 && dropped > 0)
        throw new CliError(`no event of ${opts.events} was accepted (see the reasons above)`, 1);
    });
}

/** The `--policy` hook: a pricing engine fed every closed window, its decisions as `{"type":"tariff",…}` lines. */
function tariffLines(
  cityPath: string,
  policyPath: string,
  variant: string | undefined,
): (batch: WindowBatch) => string[] {
  const city = cityFromFile(cityPath);
  let pricing: PricingEngine;
  try {
    pricing = new PricingEngine(city, loadPolicyFile(policyPath, variant === undefined ? {} : { variant }));
  } catch (e) {
    if (e instanceof ParkirConfigError) throw new CliError(`${policyPath}: ${e.message}`, 2);
    throw e;
  }
  return (batch) => pricing.onWindows(batch).map((d) => decisionLine(d).trimEnd());
}

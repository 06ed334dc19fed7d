/**
 * Typed errors. Every error parkir throws on bad input is one of these, so callers can tell
 * "your data is wrong" from "parkir is broken" and report the exact place.
 */

/** One problem in a document, with the JSON path where it was found (e.g. `zones[3].bays[0].id`). */
export interface Issue {
  /** JSON path of the offending value; empty for the document itself. */
  readonly path: string;
  /** What is wrong, in words a city operator can act on. */
  readonly message: string;
}

/** Issues listed one by one in an error message; the rest are counted (a catalogue with 100,000 bad zones
 * must not make a 50 MB message). `issues` on the error keeps them all. */
export const ISSUES_LISTED_MAX = 20;

/**
 * Issues as text: the first `max` as `path: message`, joined by `separator`, then how many more there are.
 *
 * @example formatIssues([{ path: "zones[0].id", message: "must not be empty" }]) // "zones[0].id: must not be empty"
 */
export function formatIssues(issues: readonly Issue[], separator = "; ", max = ISSUES_LISTED_MAX): string {
  const shown = issues.slice(0, max).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
  if (issues.length > max) shown.push(`… and ${issues.length - max} more`);
  return shown.join(separator);
}

/** Base class of every error parkir throws on purpose. */
export class ParkirError extends Error {
  override readonly name: string = "ParkirError";
}

/** A configuration document (city catalogue, options, policy) is invalid; `issues` lists every problem. */
export class ParkirConfigError extends ParkirError {
  override readonly name = "ParkirConfigError";
  /** Every problem found, not only the first. */
  readonly issues: readonly Issue[];
  constructor(what: string, issues: readonly Issue[]) {
    super(`invalid ${what}: ${formatIssues(issues)}`);
    this.issues = issues;
  }
}

/** Why a byte buffer was refused. */
export type WireErrorReason =
  | "too-small"
  | "too-large"
  | "bad-identifier"
  | "bad-offset"
  | "bad-vtable"
  | "bad-vector"
  | "bad-string"
  | "misaligned"
  | "bad-field"
  | "catalog-mismatch"
  | "time-range"
  | "clock-skew";

/** Bytes that are not a valid parkir FlatBuffers message: `reason` says why, `offset` where. */
export class ParkirWireError extends ParkirError {
  override readonly name = "ParkirWireError";
  /** Machine-readable cause. */
  readonly reason: WireErrorReason;
  /** Byte offset in the buffer where the problem was found. */
  readonly offset: number;
  constructor(reason: WireErrorReason, offset: number, detail: string) {
    super(`${reason} at byte ${offset}: ${detail}`);
    this.reason = reason;
    this.offset = offset;
  }
}

/**
 * A move of the watermark refused because it jumps too far ahead of the data: the clock driving it (`tick()`, or
 * an `advanceTo` with `maxJumpMs`) is far past the newest event time, e.g. a gateway whose clock reset, or a
 * replay of old data on a live clock. Nothing changed.
 */
export class ParkirClockError extends ParkirError {
  override readonly name = "ParkirClockError";
  /** Where the watermark would have moved, ms since the epoch. */
  readonly timeMs: number;
  /** The newest event time or watermark so far, whichever is later. */
  readonly referenceMs: number;
  /** The largest jump allowed (maxTimeJumpMs), ms. */
  readonly limitMs: number;
  /**
   * @param what "watermark": a move of the watermark (timeMs is where it would go, referenceMs the data);
   *   "state": a checkpoint of state whose newest event (timeMs) lies that far after the clock (referenceMs).
   */
  constructor(
    timeMs: number,
    referenceMs: number,
    limitMs: number,
    what: "watermark" | "state" = "watermark",
  ) {
    const iso = (t: number) => (Math.abs(t) <= 8.64e15 ? new Date(t).toISOString() : String(t));
    const days = ((timeMs - referenceMs) / 86_400_000).toFixed(1);
    super(
      what === "state"
        ? `refusing to checkpoint: the newest event (${iso(timeMs)}) is ${days} days after the clock (${iso(referenceMs)}), more than maxTimeJumpMs (${limitMs} ms); an event with a wrong clock was accepted before the clock guard, or the clock was reset: start from an earlier checkpoint or a fresh engine`
        : `refusing to move the watermark to ${iso(timeMs)}: ${days} days after the newest event (or watermark) so far (${iso(referenceMs)}), more than maxTimeJumpMs (${limitMs} ms); check the clock, or call advanceTo without maxJumpMs to move there on purpose`,
    );
    this.timeMs = timeMs;
    this.referenceMs = referenceMs;
    this.limitMs = limitMs;
  }
}

/** A JSON event that cannot be understood (missing field, unknown type, bad time). */
export class ParkirEventError extends ParkirError {
  override readonly name = "ParkirEventError";
  /** Problems with the event, each with its field path. */
  readonly issues: readonly Issue[];
  /** 1-based line number when the event came from JSON Lines, else 0. */
  readonly line: number;
  /** Index of the event in the array given to encodeEvents, else −1. */
  readonly index: number;
  constructor(issues: readonly Issue[], line = 0, index = -1) {
    const where = line > 0 ? `line ${line}: ` : index >= 0 ? `event ${index}: ` : "";
    super(`${where}invalid event: ${formatIssues(issues)}`);
    this.issues = issues;
    this.line = line;
    this.index = index;
  }
}

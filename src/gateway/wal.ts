/**
 * The write-ahead log: every accepted event, one JSON line each, in the order the engine ingests them, in
 * numbered segment files (`wal-<n>.jsonl`). A message is acknowledged to the broker only once its lines are
 * written (and, with durability "fsync", fsynced) — written in groups, one write and one fsync per group. A
 * checkpoint covers every segment below the one it names; those are deleted after it is committed.
 */
import {
  closeSync,
  existsSync,
  fsync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  truncateSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { fsyncDir, removeIfExists } from "./files.js";

const SEGMENT = /^wal-(\d{1,9})\.jsonl$/;

/** Path of segment `n` in `dir`. */
export function segmentPath(dir: string, n: number): string {
  return join(dir, `wal-${String(n).padStart(9, "0")}.jsonl`);
}

/** Segment numbers present in `dir`, ascending. */
export function listSegments(dir: string): number[] {
  if (!existsSync(dir)) return [];
  const out: number[] = [];
  for (const name of readdirSync(dir)) {
    const m = SEGMENT.exec(name);
    if (m !== null) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

/**
 * Reads segments `from` and up, line by line. A last line without its newline (a write cut by a crash) is cut
 * off the file: its message was never acknowledged, so the broker delivers it again.
 *
 * @returns the highest segment number read, or `from − 1` when there is none.
 */
export function replaySegments(dir: string, from: number, onLine: (line: string) => void): number {
  let last = from - 1;
  for (const n of listSegments(dir)) {
    if (n < from) continue;
    const path = segmentPath(dir, n);
    const text = readFileSync(path, "utf8");
    const end = text.lastIndexOf("\n") + 1;
    if (end < text.length) truncateSync(path, Buffer.byteLength(text.slice(0, end), "utf8"));
    let start = 0;
    while (start < end) {
      const nl = text.indexOf("\n", start);
      if (nl > start) onLine(text.slice(start, nl));
      start = nl + 1;
    }
    last = n;
  }
  return last;
}

/** An open segment being appended to. */
export class WriteAheadLog {
  readonly dir: string;
  private n: number;
  private fd: number;
  private buffered: string[] = [];
  private bufferedChars = 0;
  private bytes = 0;

  constructor(dir: string, segment: number) {
    this.dir = dir;
    this.n = segment;
    this.fd = openSync(segmentPath(dir, segment), "a");
    fsyncDir(dir);
  }

  /** The segment being written. */
  get segment(): number {
    return this.n;
  }

  /** Bytes written to this segment. */
  get segmentBytes(): number {
    return this.bytes;
  }

  /** Lines waiting for the next `flush`. */
  get pendingChars(): number {
    return this.bufferedChars;
  }

  /** Queues one line (no newline in it). */
  append(line: string): void {
    this.buffered.push(line);
    this.bufferedChars += line.length + 1;
  }

  /** Writes the queued lines in one write; with `sync`, fsyncs them. */
  flush(sync: boolean): void {
    if (this.buffered.length > 0) {
      const buf = Buffer.from(`${this.buffered.join("\n")}\n`, "utf8");
      this.buffered = [];
      this.bufferedChars = 0;
      let off = 0;
      while (off < buf.byteLength) off += writeSync(this.fd, buf, off, buf.byteLength - off);
      this.bytes += buf.byteLength;
    }
    if (sync) fsyncSync(this.fd);
  }

  /** Fsyncs what was written, in the thread pool; `done` gets null or the error. */
  syncAsync(done: (err: NodeJS.ErrnoException | null) => void): void {
    fsync(this.fd, done);
  }

  /** Flushes and fsyncs this segment, then starts the next; returns its number. */
  rotate(): number {
    this.flush(true);
    closeSync(this.fd);
    this.n++;
    this.fd = openSync(segmentPath(this.dir, this.n), "a");
    this.bytes = 0;
    fsyncDir(this.dir);
    return this.n;
  }

  /** Deletes the segments below `n` (covered by a committed checkpoint). */
  removeBelow(n: number): void {
    for (const s of listSegments(this.dir)) if (s < n) removeIfExists(segmentPath(this.dir, s));
  }

  close(): void {
    this.flush(true);
    closeSync(this.fd);
  }
}

/**
 * JsonLinesReader.fill: input read straight into the reader's own memory (with the wasm path, the window its kernel
 * reads) gives what the same bytes pushed whole give — batches, errors, report, counters — whatever the pieces'
 * boundaries (inside a line, a token, a CRLF, right after a newline) and sizes; replayJsonLinesSync over a source
 * read into memory gives what it gives over the bytes; `parkir replay` reads a file that way and prints what
 * replayBytes prints.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { replayBytes, runReplay } from "../../src/cli/replay.js";
import { windowRecordLine } from "../../src/occupancy/closed-window.js";
import { replayJsonLinesSync } from "../../src/occupancy/index.js";
import {
  JSONL_INPUT_BYTES,
  type JsonLinesOptions,
  JsonLinesReader,
  type ReadInto,
  toJsonLines,
} from "../../src/wire/index.js";
import { wasmReaderAvailable } from "../../src/wire/jsonl-wasm.js";
import { arbEvent, tinyCity } from "../helpers.js";
import { arbJsonLines, readerOutput } from "./event-shapes.js";

const city = tinyCity();
const enc = new TextEncoder();

/** Lines of random events with bytes spliced in anywhere, ending in a newline or not. */
const input = arbJsonLines(40, 5);

/** A source that hands out `bytes` in pieces of the given sizes (cycled; each at most what `into` holds). */
function pieces(bytes: Uint8Array, sizes: readonly number[]): ReadInto {
  let at = 0;
  let k = 0;
  return (into) => {
    const n = Math.min(into.length, bytes.length - at, sizes[k++ % sizes.length]!);
    into.set(bytes.subarray(at, at + n));
    at += n;
    return n;
  };
}

/** What a reader with `options` hands over for the bytes pushed at once, or filled from `read`; and its path. */
function readAll(options: JsonLinesOptions, bytes: Uint8Array | ReadInto) {
  const reader = new JsonLinesReader(city, options);
  return { ...readerOutput(reader, typeof bytes === "function" ? bytes : [bytes]), wasm: reader.wasmPath };
}

const paths = wasmReaderAvailable() ? [false, true] : [false];

describe("JsonLinesReader.fill", () => {
  test.each(paths)("pieces at random boundaries read as the whole input pushed at once (wasm %s)", (wasm) => {
    fc.assert(
      fc.property(
        input,
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom(65_536, 120),
        (bytes, sizes, batchEvents, maxLineBytes) => {
          const options = { wasm, batchEvents, maxLineBytes };
          const whole = readAll(options, bytes);
          const filled = readAll(options, pieces(bytes, sizes));
          expect(filled.wasm).toBe(whole.wasm);
          // Which lines the kernel read depends on where the pieces end (a line across two is the JS path's).
          expect({ ...filled, counters: { ...filled.counters, wasm: 0 } }).toEqual({
            ...whole,
            counters: { ...whole.counters, wasm: 0 },
          });
        },
      ),
      { numRuns: 250 },
    );
  });

  test.runIf(wasmReaderAvailable())(
    "the wasm path reads a filled window in place, as the JS path reads it",
    () => {
      // Many whole windows: lines across window boundaries, every line of a window read by the kernel.
      const line = (k: number) =>
        `{"event_id":"e${k}","event_type":"park_start","event_time":${1_796_000_000_000 + k},"curb_space_id":"Z1-B${(k % 3) + 1}"}\n`;
      const text = Array.from({ length: Math.ceil((2.5 * JSONL_INPUT_BYTES) / 110) }, (_, k) => line(k)).join(
        "",
      );
      const bytes = enc.encode(text);
      const big = [JSONL_INPUT_BYTES];
      const wasm = readAll({ wasm: true }, pieces(bytes, big));
      expect(wasm.wasm).toBe(true);
      expect(wasm.counters.wasm).toBeGreaterThan(wasm.counters.lines - 10);
      expect({ ...wasm, counters: { ...wasm.counters, wasm: 0 }, wasm: false }).toEqual(
        readAll({ wasm: false }, bytes),
      );
    },
  );

  test("refuses a read that claims more than it was given, and filling after end", () => {
    const reader = new JsonLinesReader(city);
    expect(() => reader.fill((into) => into.length + 1)).toThrow(RangeError);
    expect(() => reader.fill(() => -1)).toThrow(RangeError);
    expect(reader.fill(() => 0)).toBe(false);
    reader.end();
    expect(() => reader.fill(() => 0)).toThrow(RangeError);
  });
});

describe("replay from a source read into memory", () => {
  test("replayJsonLinesSync gives the windows and summary it gives over the bytes", () => {
    fc.assert(
      fc.property(
        input,
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 4 }),
        (bytes, sizes) => {
          const run = (source: Uint8Array | ReadInto) => {
            const lines: string[] = [];
            const errors: number[] = [];
            const summary = replayJsonLinesSync(source, city, {
              engine: { windowMs: 60_000 },
              reader: { batchEvents: 5 },
              onWindows: (b) => {
                for (const r of b.records) lines.push(windowRecordLine(r));
              },
              onError: (e) => errors.push(e.line),
            });
            return { lines, errors, summary };
          };
          expect(run(pieces(bytes, sizes))).toEqual(run(bytes));
        },
      ),
      { numRuns: 100 },
    );
  });

  test("parkir replay reads the file into the reader's memory and prints what replayBytes prints", () => {
    const events = fc.sample(arbEvent(true), { numRuns: 400, seed: 17 });
    const text = `${toJsonLines(events)}not json\n${toJsonLines(events.slice(0, 50))}`;
    const dir = mkdtempSync(join(tmpdir(), "parkir-fill-"));
    const cityPath = join(dir, "city.json");
    writeFileSync(cityPath, JSON.stringify({ ...tinyConfig(), synthetic: true }));
    const eventsPath = join(dir, "events.jsonl");
    writeFileSync(eventsPath, text);
    let fromFile = "";
    const warnings: string[] = [];
    runReplay({ cityPath, eventsPath }, {}, (t) => (fromFile += t), { warn: (m) => warnings.push(m) });
    let fromBytes = "";
    replayBytes(city, enc.encode(text), {}, (t) => (fromBytes += t), { warn: () => undefined });
    expect(fromFile).toBe(fromBytes);
    expect(fromFile.split("\n").length).toBeGreaterThan(5);
    expect(warnings.some((w) => w.includes("line 401"))).toBe(true);
  });
});

/** tinyCity's catalogue as a file holds it. */
function tinyConfig() {
  return {
    id: city.id,
    name: city.name,
    timeZone: city.timeZone,
    currency: city.currency,
    zones: city.zones,
  };
}

/**
 * The JSON Lines reader against today's path (UTF-8 decode, parseEventLines, encodeEventBatches): same batches
 * byte for byte, same errors (line, fields, messages), same unknown-id report — on random valid events of every
 * kind in random key orders with unicode, escapes and numbers at the edges, on malformed lines, and whatever the
 * input's split into chunks.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { type City, loadCity } from "../../src/catalog/index.js";
import { replayBytes } from "../../src/cli/replay.js";
import { ParkirConfigError, ParkirEventError } from "../../src/errors/index.js";
import { generateTrace, paluCatalog } from "../../src/generate/index.js";
import { replayJsonLines, replayJsonLinesSync, windowRecordLine } from "../../src/occupancy/index.js";
import {
  EncodeReport,
  encodeEventBatches,
  encodeJsonLines,
  JsonLinesReader,
  parseEventLines,
  readJsonLinesBatches,
  toJsonLines,
} from "../../src/wire/index.js";
import { arbEvent, tinyCity } from "../helpers.js";

// Catalogue ids are printable ASCII (the schema says so); unicode appears in event ids, sessions and unknown ids.
const city = tinyCity();
const enc = new TextEncoder();

interface Expected {
  batches: Uint8Array[];
  errors: { line: number; message: string; issues: readonly { path: string; message: string }[] }[];
  report: EncodeReport;
}

/** Today's path, with lines longer than `maxLineBytes` refused alone as the reader refuses them. */
function reference(
  bytes: Uint8Array,
  batchEvents: number,
  keepEventIds: boolean,
  maxLineBytes: number,
  on: City = city,
): Expected {
  const errors: Expected["errors"] = [];
  // Blank out over-long lines (so parseEventLines skips them) and note their errors.
  const kept = new Uint8Array(bytes);
  let line = 0;
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(10, start);
    if (end < 0) end = bytes.length;
    line++;
    if (end - start > maxLineBytes) {
      kept.fill(0x20, start, end);
      errors.push({
        line,
        message: `line ${line}: invalid event: line of ${end - start} bytes is longer than maxLineBytes (${maxLineBytes})`,
        issues: [
          { path: "", message: `line of ${end - start} bytes is longer than maxLineBytes (${maxLineBytes})` },
        ],
      });
    }
    start = end + 1;
  }
  const parsed = parseEventLines(new TextDecoder().decode(kept));
  for (const e of parsed.errors) errors.push({ line: e.line, message: e.message, issues: e.issues });
  errors.sort((a, b) => a.line - b.line);
  const report = new EncodeReport();
  const batches = encodeEventBatches(parsed.events, on, batchEvents, report, { keepEventIds });
  return { batches, errors, report };
}

/** The reader fed `chunks` one by one. */
function read(
  chunks: readonly Uint8Array[],
  batchEvents: number,
  keepEventIds: boolean,
  maxLineBytes: number,
  on: City = city,
  wasm = false,
) {
  const reader = new JsonLinesReader(on, { batchEvents, keepEventIds, maxLineBytes, wasm });
  const batches: Uint8Array[] = [];
  const errors: Expected["errors"] = [];
  const take = () => {
    for (let c = reader.next(); c !== null; c = reader.next()) {
      if (c.batch !== undefined) batches.push(c.batch);
      for (const e of c.errors) {
        expect(e).toBeInstanceOf(ParkirEventError);
        errors.push({ line: e.line, message: e.message, issues: e.issues });
      }
    }
  };
  for (const chunk of chunks) {
    reader.push(chunk);
    take();
  }
  reader.end();
  take();
  return { batches, errors, report: reader.report, counters: reader.counters };
}

function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

function expectSame(got: ReturnType<typeof read>, want: Expected): void {
  expect(got.errors).toEqual(want.errors);
  expect(got.batches.length).toBe(want.batches.length);
  for (let i = 0; i < want.batches.length; i++)
    expect(Buffer.from(got.batches[i]!)).toEqual(Buffer.from(want.batches[i]!));
  expect({ ...got.report }).toEqual({ ...want.report });
}

// ---- generators -------------------------------------------------------------------------------------------

const T0 = Date.parse("2026-11-30T00:00:00+08:00");

/** A JSON string literal of `s`, sometimes with characters written as \u escapes. */
const jsonString = (s: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant(JSON.stringify(s)) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 0, max: Math.max(0, s.length - 1) }).map((k) => {
        const c = s.charCodeAt(k);
        const esc = `\\u${c.toString(16).padStart(4, "0")}`;
        return s.length === 0
          ? '""'
          : `"${JSON.stringify(s.slice(0, k)).slice(1, -1)}${esc}${JSON.stringify(s.slice(k + 1)).slice(1, -1)}"`;
      }),
    },
  );

const idText = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,24}$/) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 0, maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom("", "a\\b", 'q"q', "x".repeat(257), "x".repeat(256), "tab\there") },
);
const zoneText = fc.constantFrom("Z1", "Z2", "Zé", "Z9", "z1", "");
const spaceText = fc.constantFrom("Z1-B1", "Z1-B2", "Z1-B3", "Bü-1", "NOPE");
const deviceText = fc.constantFrom("S1", "S2", "S3", "S-ñ", "GATE-1", "att-1", "S9");
const vehicleText = fc.constantFrom(
  "car",
  "van",
  "motorcycle",
  "moped",
  "2",
  "4",
  "6",
  "heavy",
  "unspecified",
  "bike",
  "Car",
);

/** ISO-8601 times: valid ones with offsets, fractions and leap days, and ones Date.parse or the regex refuse. */
const isoText = fc.oneof(
  fc
    .tuple(
      fc.integer({ min: T0 - 3 * 86_400_000, max: T0 + 86_400_000 }),
      fc.constantFrom("Z", "+08:00", "-03:30", "+00:00", "-00:00", "+23:59", "+05:45"),
      fc.constantFrom("", ".5", ".123", ".1234", ".123456789", ".0"),
      fc.boolean(),
    )
    .map(([ms, off, frac, secs]) => {
      const sign =
        off === "Z" ? 0 : (off[0] === "+" ? 1 : -1) * (Number(off.slice(1, 3)) * 60 + Number(off.slice(4)));
      const local = new Date(ms + sign * 60_000).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
      return `${local.slice(0, 16)}${secs ? `${local.slice(16, 19)}${frac}` : ""}${off}`;
    }),
  fc.constantFrom(
    "2024-02-29T12:00:00+08:00",
    "2028-02-29T00:00:00Z",
    "2026-02-29T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-04-31T10:00:00+08:00",
    "2100-02-29T00:00:00Z",
    "2000-02-29T00:00:00Z",
    "2026-11-30T24:00:00+08:00",
    "2026-11-30T24:00:01Z",
    "2026-11-30T23:60:00Z",
    "2026-11-30T23:59:60Z",
    "2026-13-01T00:00:00Z",
    "2026-00-10T00:00:00Z",
    "2026-11-00T00:00:00Z",
    "2026-11-30T10:00:00+24:00",
    "2026-11-30T10:00:00+08:60",
    "2026-11-30T10:00:00.Z",
    "2026-11-30T10:00:00.1234567890Z",
    "2026-11-30t10:00:00Z",
    "2026-11-30T10:00:00z",
    "2026-11-30T10:00:00",
    "2026-11-30T10:00Z",
    "1969-12-31T23:59:59Z",
    "1970-01-01T00:00:00+00:01",
    "1970-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "2026-11-30 10:00:00Z",
  ),
);

/** JSON text of numbers at the edges (valid or not for each field). */
const numberText = fc.oneof(
  fc.integer({ min: T0 - 86_400_000, max: T0 + 86_400_000 }).map(String),
  fc.constantFrom(
    "0",
    "-0",
    "1",
    "-1",
    "4294967295",
    "4294967296",
    "2147483647",
    "2147483648",
    "9007199254740992",
    "9007199254740993",
    "8640000000000000",
    "8640000000000001",
    "1e3",
    "1E3",
    "1.5",
    "1.0",
    "1796000400000.0",
    "1.7960004e12",
    "17960004e5",
    "00",
    "01",
    "-",
    "1e400",
    "0.1e1",
  ),
);

type Field = [string, fc.Arbitrary<string>];

/** One line's fields as [key, JSON text of the value] pairs for an event of `type`. */
function fieldsFor(type: string): fc.Arbitrary<[string, string][]> {
  const str = (a: fc.Arbitrary<string>) => a.chain(jsonString);
  const time = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: T0, max: T0 + 86_400_000 }).map(String) },
    { weight: 2, arbitrary: str(isoText) },
    { weight: 1, arbitrary: numberText },
    {
      weight: 1,
      arbitrary: fc.integer({ min: T0 + 50 * 86_400_000, max: T0 + 60 * 86_400_000 }).map(String),
    },
  );
  const u32 = fc.oneof({ weight: 4, arbitrary: fc.nat().map(String) }, { weight: 1, arbitrary: numberText });
  const optional: Field[] = [
    ["curb_zone_id", str(zoneText)],
    ["curb_space_id", str(spaceText)],
    ["data_source_device_id", str(deviceText)],
    ["vehicle_type", str(vehicleText)],
    ["sequence_number", u32],
    ["occupied", fc.constantFrom("true", "false", '"true"', "1", "null")],
    ["vehicle_count", u32],
    ["event_session_id", str(idText)],
    ["actual_cost", u32],
  ];
  const required: Field[] = [
    ["event_id", str(idText)],
    ["event_type", fc.constant(JSON.stringify(type))],
    ["event_time", time],
  ];
  const pick = (fields: Field[], p: number) =>
    fc.tuple(
      ...fields.map(([k, v]) =>
        fc
          .tuple(fc.double({ min: 0, max: 1, noNaN: true }), v)
          .map(([r, text]) => (r < p ? [k, text] : null)),
      ),
    );
  return fc
    .tuple(pick(required, 0.97), pick(optional, 0.35))
    .map(([a, b]) => [...a, ...b].filter((x): x is [string, string] => x !== null));
}

const eventType = fc.constantFrom(
  "park_start",
  "park_end",
  "scheduled_report",
  "comms_lost",
  "comms_restored",
  "decommissioned",
  "enter_area",
  "exit_area",
  "manual_count",
  "payment_start",
  "payment_end",
  "parked",
);

/** One line of text (no newline): an event in a random key order, sometimes malformed. */
const lineText: fc.Arbitrary<string> = fc
  .tuple(
    eventType.chain(fieldsFor),
    fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
    fc.constantFrom("", " ", "\t", " \t "),
    fc.constantFrom("", " ", "\r", " \r", "\u00a0", "\uFEFF"),
    fc.constantFrom(
      "none",
      "none",
      "none",
      "none",
      "canonical",
      "unknown-key",
      "duplicate",
      "truncate",
      "array",
      "null",
      "blank",
      "long-blank",
      "trailing",
    ),
    fc.nat(),
  )
  .map(([fields, order, ws, tail, mutation, n]) => {
    let fs = fields;
    if (mutation === "canonical") {
      // The order encodeEvents' jsonLine writes.
    } else
      fs = fields
        .map((f, i) => [f, order[i] ?? 0] as const)
        .sort((a, b) => a[1] - b[1])
        .map(([f]) => f);
    if (mutation === "unknown-key") fs = [...fs, ["event_note", '"x"']];
    if (mutation === "duplicate" && fs.length > 0) fs = [...fs, fs[n % fs.length]!];
    const body = `{${ws}${fs.map(([k, v]) => `"${k}"${ws}:${ws}${v}`).join(`${ws},${ws}`)}${ws}}`;
    switch (mutation) {
      case "truncate":
        return body.slice(0, n % body.length);
      case "array":
        return `[${body}]`;
      case "null":
        return "null";
      case "blank":
        return ws;
      case "long-blank":
        // Longer than the smaller maxLineBytes bounds: refused as any over-long line.
        return `${ws}${" ".repeat(110 + (n % 120))}\r`;
      case "trailing":
        return `${body} x`;
      default:
        return `${ws}${body}${tail}`;
    }
  });

/** `a` one time in four, else undefined. */
const sometimes = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: a });

/**
 * A valid event (ids known or not) in a random key order, values as JSON.stringify writes them — except that its
 * time and numbers may be swapped for edge cases (offsets, fractions, leap days, impossible dates, exponents,
 * signs, leading zeros, bounds), so the fast path meets them in otherwise well-formed lines.
 */
const validLine: fc.Arbitrary<string> = fc
  .tuple(
    arbEvent(true),
    fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
    fc.constantFrom("", " ", "\t"),
    sometimes(
      fc.oneof(
        isoText.map((t) => JSON.stringify(t)),
        numberText,
      ),
    ),
    sometimes(numberText),
  )
  .map(([e, order, ws, time, num]) => {
    const entries = Object.entries(e)
      .map((kv, i) => [kv, order[i] ?? 0] as const)
      .sort((a, b) => a[1] - b[1])
      .map(([[k, v]]) => {
        let text = JSON.stringify(v);
        if (k === "event_time" && time !== undefined) text = time;
        if ((k === "sequence_number" || k === "vehicle_count" || k === "actual_cost") && num !== undefined)
          text = num;
        return `"${k}":${ws}${text}`;
      });
    return `{${entries.join(`,${ws}`)}}`;
  });

/** Lines as bytes, some with bytes that are not UTF-8 spliced in. */
const input = fc
  .tuple(
    fc.array(fc.oneof(validLine, lineText), { minLength: 0, maxLength: 30 }),
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.constantFrom([0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xef, 0xbb, 0xbf]),
      ),
      {
        maxLength: 2,
      },
    ),
    fc.boolean(),
  )
  .map(([lines, bad, finalNewline]) => {
    const text = lines.join("\n") + (finalNewline ? "\n" : "");
    let bytes = enc.encode(text);
    for (const [at, b] of bad) {
      const p = bytes.length === 0 ? 0 : at % bytes.length;
      const next = new Uint8Array(bytes.length + b.length);
      next.set(bytes.subarray(0, p));
      next.set(b, p);
      next.set(bytes.subarray(p), p + b.length);
      bytes = next;
    }
    return bytes;
  });

// ---- properties ---------------------------------------------------------------------------------------------

describe.each([
  ["JS", false],
  ["wasm scanner", true],
])("JSON Lines reader (%s) vs JSON.parse + encodeEventBatches", (_, wasm) => {
  test("same batches, errors and report on random lines, any chunking, any batch size", () => {
    let fast = 0;
    let fallback = 0;
    let scanned = 0;
    fc.assert(
      fc.property(
        input,
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        fc.constantFrom(65_536, 200, 120),
        (bytes, cuts, batchEvents, keepEventIds, maxLineBytes) => {
          const want = reference(bytes, batchEvents, keepEventIds, maxLineBytes);
          const got = read(splitAt(bytes, cuts), batchEvents, keepEventIds, maxLineBytes, city, wasm);
          expectSame(got, want);
          fast += got.counters.fast;
          fallback += got.counters.fallback;
          scanned += got.counters.wasm;
        },
      ),
      { numRuns: 400 },
    );
    // Both paths were exercised (and the wasm scanner read lines when on).
    expect(fast).toBeGreaterThan(200);
    expect(fallback).toBeGreaterThan(100);
    if (wasm) expect(scanned).toBeGreaterThan(100);
    else expect(scanned).toBe(0);
  }, 120_000);

  test("a generated Palu trace is read entirely by the fast path, with the bytes of encodeEventBatches", () => {
    const palu = loadCity(paluCatalog());
    const events = generateTrace(palu, { seed: 7, startMs: T0 + 9 * 3_600_000, hours: 0.25, warmupHours: 1 });
    const bytes = enc.encode(toJsonLines(events));
    for (const keepEventIds of [true, false]) {
      const want = encodeEventBatches(events, palu, 512, new EncodeReport(), { keepEventIds });
      const got = encodeJsonLines(bytes, palu, { batchEvents: 512, keepEventIds, wasm });
      expect(got.counters.fallback).toBe(0);
      expect(got.counters.fast).toBe(events.length);
      if (wasm) expect(got.counters.wasm).toBe(events.length);
      expect(got.batches.map((b) => Buffer.from(b))).toEqual(want.map((b) => Buffer.from(b)));
    }
  }, 120_000);
});

describe.each([
  ["JS", false],
  ["wasm scanner", true],
])("JSON Lines reader (%s) on a real catalogue: near-miss ids and any byte in any word", (_, wasm) => {
  const palu = loadCity(paluCatalog());
  const bayIds = Array.from({ length: 40 }, (_, k) => palu.bayId(k * 7));
  const deviceIds = Array.from({ length: 40 }, (_, k) => palu.deviceId(k * 7));
  const anyByte = fc.nat({ max: 255 });
  /** An id as JSON string content bytes: as catalogued, or one byte changed, cut, added or escaped. */
  const nearMiss = (ids: readonly string[]): fc.Arbitrary<number[]> =>
    fc.tuple(fc.constantFrom(...ids), fc.nat(), anyByte, fc.nat({ max: 9 })).map(([id, at, b, how]) => {
      const bytes = [...enc.encode(id)];
      const p = at % bytes.length;
      if (how === 5) bytes[p] = b;
      else if (how === 6) bytes.splice(p, 1);
      else if (how === 7) bytes.splice(p, 0, b);
      else if (how === 8) bytes.splice(p, 1, ...enc.encode(`\\u00${bytes[p]!.toString(16)}`));
      return bytes;
    });
  /** Event id bytes: printable ASCII of any length around the word sizes, one arbitrary byte sometimes. */
  const eventId = fc
    .tuple(fc.stringMatching(/^[ -~]{1,20}$/), fc.option(fc.tuple(fc.nat(), anyByte), { freq: 3 }))
    .map(([t, extra]) => {
      const bytes = [...enc.encode(JSON.stringify(t).slice(1, -1))];
      if (extra !== null) bytes.splice(extra[0] % (bytes.length + 1), 0, extra[1]);
      return bytes;
    });
  const line = fc
    .tuple(
      eventId,
      fc.constantFrom("park_start", "park_end", "scheduled_report", "comms_lost"),
      fc.integer({ min: T0, max: T0 + 86_400_000 }),
      fc.option(nearMiss(bayIds), { freq: 8 }),
      fc.option(nearMiss(deviceIds), { freq: 4 }),
      fc.option(fc.nat({ max: 99_999 }), { freq: 2 }),
      fc.boolean(),
    )
    .map(([id, type, time, space, device, seq, occupied]) => {
      const q = (b: number[]) => [0x22, ...b, 0x22];
      const parts: number[][] = [
        [...enc.encode('{"event_id":'), ...q(id)],
        [...enc.encode(`"event_type":"${type}","event_time":${time}`)],
      ];
      if (space !== null) parts.push([...enc.encode('"curb_space_id":'), ...q(space)]);
      if (device !== null) parts.push([...enc.encode('"data_source_device_id":'), ...q(device)]);
      if (seq !== null) parts.push([...enc.encode(`"sequence_number":${seq}`)]);
      if (type === "scheduled_report") parts.push([...enc.encode(`"occupied":${occupied}`)]);
      const out: number[] = [];
      for (const [k, p] of parts.entries()) out.push(...(k > 0 ? [0x2c] : []), ...p);
      out.push(0x7d);
      return out;
    });

  test("same batches, errors and report as JSON.parse + encodeEventBatches", () => {
    let fast = 0;
    let fallback = 0;
    let scanned = 0;
    fc.assert(
      fc.property(fc.array(line, { maxLength: 25 }), fc.array(fc.nat(), { maxLength: 4 }), (lines, cuts) => {
        const bytes = Uint8Array.from(lines.flatMap((l) => [...l, 0x0a]));
        const want = reference(bytes, 8, true, 65_536, palu);
        const got = read(splitAt(bytes, cuts), 8, true, 65_536, palu, wasm);
        expectSame(got, want);
        fast += got.counters.fast;
        fallback += got.counters.fallback;
        scanned += got.counters.wasm;
      }),
      { numRuns: 300 },
    );
    expect(fast).toBeGreaterThan(300);
    // Lines with an id the catalogue does not know are handed to the JS path (it reports them).
    if (wasm) expect(scanned).toBeGreaterThan(150);
    expect(fallback).toBeGreaterThan(100);
  }, 120_000);
});

describe("JSON Lines reader: errors and bounds", () => {
  const good = (id: string, t = T0) =>
    `{"event_id":"${id}","event_type":"park_start","event_time":${t},"curb_space_id":"Z1-B1"}`;

  test("an impossible date is refused on its line with field event_time, by both paths", () => {
    const text = `${good("a")}\n{"event_id":"b","event_type":"park_end","event_time":"2026-02-30T10:00:00+08:00","curb_space_id":"Z1-B1"}\n${good("c")}\n`;
    const got = encodeJsonLines(enc.encode(text), city);
    expect(got.errors.map((e) => [e.line, e.issues.map((i) => i.path)])).toEqual([[2, ["event_time"]]]);
    expect(parseEventLines(text).errors.map((e) => e.line)).toEqual([2]);
    expect(got.report.encoded).toBe(2);
  });

  test("a line longer than maxLineBytes is refused alone, also when it spans chunks", () => {
    const long = `{"event_id":"${"x".repeat(300)}","event_type":"park_start","event_time":${T0},"curb_space_id":"Z1-B1"}`;
    const bytes = enc.encode(`${good("a")}\n${long}\n${good("c")}`);
    for (const cuts of [[], [10, 100, 200, 330], [1, 2, 3]]) {
      const got = read(splitAt(bytes, cuts), 4096, true, 256);
      expect(got.errors.map((e) => e.line)).toEqual([2]);
      expect(got.errors[0]!.message).toMatch(/longer than maxLineBytes \(256\)/);
      expect(got.report.encoded).toBe(2);
    }
  });

  test("a NUL byte stops reading, as parseEventLines stops: the lines before it are kept, none after it read", () => {
    const bytes = enc.encode(`${good("a")}\n${good("b")}\u0000\n${good("c")}\nnot json\n`);
    for (const cuts of [[], [5, 90, 95, 160]]) {
      const reader = new JsonLinesReader(city);
      const errors: ParkirEventError[] = [];
      let batches = 0;
      for (const chunk of splitAt(bytes, cuts)) {
        reader.push(chunk);
        for (let c = reader.next(); c !== null; c = reader.next()) errors.push(...c.errors);
      }
      reader.end();
      for (let c = reader.next(); c !== null; c = reader.next()) {
        errors.push(...c.errors);
        if (c.batch !== undefined) batches++;
      }
      expect(errors.map((e) => [e.line, e.message])).toEqual([
        [2, "line 2: invalid event: binary data (a NUL byte): this is not JSON Lines; stopped reading here"],
      ]);
      expect(reader.stopped).toBe(errors[0]);
      expect(reader.report.encoded).toBe(1);
      expect(batches).toBe(1);
    }
  });

  test("bad options are refused", () => {
    expect(() => new JsonLinesReader(city, { maxLineBytes: 0 })).toThrow(ParkirConfigError);
    expect(() => new JsonLinesReader(city, { batchEvents: 1.5 })).toThrow(
      "invalid JSON Lines reader options: batchEvents: must be a whole number, 1 or more; got 1.5",
    );
  });

  test("memory is bounded: a file of bad lines hands its errors over in bounded groups", () => {
    const reader = new JsonLinesReader(city);
    reader.push(enc.encode("nope\n".repeat(3000)));
    reader.end();
    const sizes: number[] = [];
    for (let c = reader.next(); c !== null; c = reader.next()) sizes.push(c.errors.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1024);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(3000);
  });

  test("readJsonLinesBatches streams async iterables and web streams to the same batches", async () => {
    const bytes = enc.encode(
      `${Array.from({ length: 50 }, (_, i) => good(`e${i}`, T0 + i)).join("\n")}\nbad\n`,
    );
    const want = encodeJsonLines(bytes, city, { batchEvents: 16 });
    async function* gen() {
      for (let i = 0; i < bytes.length; i += 37) yield bytes.subarray(i, i + 37);
    }
    const web = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 101) controller.enqueue(bytes.slice(i, i + 101));
        controller.close();
      },
    });
    for (const source of [gen(), web]) {
      const batches: Buffer[] = [];
      const errors: number[] = [];
      for await (const c of readJsonLinesBatches(source, city, { batchEvents: 16 })) {
        if (c.batch !== undefined) batches.push(Buffer.from(c.batch));
        errors.push(...c.errors.map((e) => e.line));
      }
      expect(batches).toEqual(want.batches.map((b) => Buffer.from(b)));
      expect(errors).toEqual([51]);
    }
  });
});

describe("replayJsonLines", () => {
  test("streams a Palu trace to the windows and summary of parkir replay, whatever the chunking", async () => {
    const palu = loadCity(paluCatalog());
    const events = generateTrace(palu, { seed: 11, startMs: T0 + 9 * 3_600_000, hours: 1, warmupHours: 1 });
    const lines = toJsonLines(events).split("\n");
    lines.splice(
      5,
      0,
      "not json",
      '{"event_id":"x","event_type":"park_start","event_time":"2026-02-30T00:00:00Z"}',
    );
    const bytes = enc.encode(lines.join("\n"));
    let cli = "";
    const summary = replayBytes(
      palu,
      bytes,
      {},
      (t) => {
        cli += t;
      },
      { warn: () => {} },
    );
    const cliLines = cli.trimEnd().split("\n");
    const want = cliLines.slice(0, -1);
    expect(want.length).toBeGreaterThan(100);

    const sync: string[] = [];
    const errors: number[] = [];
    const s1 = replayJsonLinesSync(bytes, palu, {
      onWindows: (w) => sync.push(...w.records.map(windowRecordLine)),
      onError: (e) => errors.push(e.line),
    });
    expect(sync).toEqual(want);
    expect(errors).toEqual([6, 7]);
    const counts = ({ accepted, duplicate, late, unknownBay, rejected, clockSkew }: typeof s1) => ({
      type: "summary",
      accepted,
      duplicate,
      late,
      unknownBay,
      rejected,
      clockSkew,
    });
    expect(counts(s1)).toEqual(summary);

    async function* chunks() {
      for (let i = 0; i < bytes.length; i += 4093) yield bytes.subarray(i, i + 4093);
    }
    const streamed: string[] = [];
    const s2 = await replayJsonLines(chunks(), palu, {
      reader: { batchEvents: 1000 },
      onWindows: (w) => streamed.push(...w.records.map(windowRecordLine)),
    });
    expect(streamed).toEqual(want);
    expect(counts(s2)).toEqual(summary);
    expect(s2.windows).toBe(s1.windows);
  }, 120_000);
});

test("replayJsonLines stops on an error onWindows throws, rethrows it and releases its source", async () => {
  let released = false;
  async function* source() {
    try {
      for (let i = 0; i < 1000; i++) {
        yield enc.encode(
          `{"event_id":"e${i}","event_type":"park_start","event_time":${T0 + i * 600_000},"curb_space_id":"Z1-B1"}\n`,
        );
      }
    } finally {
      released = true;
    }
  }
  await expect(
    replayJsonLines(source(), city, {
      reader: { batchEvents: 1 },
      onWindows: () => {
        throw new Error("boom");
      },
    }),
  ).rejects.toThrow("boom");
  expect(released).toBe(true);
  const bytes = enc.encode(
    `{"event_id":"a","event_type":"park_start","event_time":${T0},"curb_space_id":"Z1-B1"}\n{"event_id":"b","event_type":"park_end","event_time":${T0 + 3_600_000},"curb_space_id":"Z1-B1"}\n`,
  );
  expect(() =>
    replayJsonLinesSync(bytes, city, {
      onWindows: () => {
        throw new Error("sync boom");
      },
    }),
  ).toThrow("sync boom");
});

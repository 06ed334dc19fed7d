/**
 * The uplink scanner against JSON.parse: for any message, parseMessage (scanner first) and parseMessageJson
 * (JSON.parse only) give the same events, health and refusals (reason, message, device).
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { NONE } from "../../src/catalog/index.js";
import { EuiIndex } from "../../src/gateway/eui-index.js";
import {
  DecoderRegistry,
  fleetMessages,
  ParkirMessageError,
  parseMessage,
  parseMessageJson,
  scanUplink,
  UPLINK_RADIO_GATEWAYS_MAX,
} from "../../src/gateway/index.js";
import { integerString } from "../../src/gateway/uplinks.js";
import { generateTrace } from "../../src/generate/index.js";
import { city, cx, NOW } from "./fixtures.js";

/** Real fleet uplinks of both formats (bay sensors of a generated Palu hour). */
const trace = generateTrace(city, { seed: 7, startMs: NOW - 3_600_000, hours: 1, faults: false });
const base = (["tts", "chirpstack"] as const).map((format) => {
  const msgs = fleetMessages(city, trace, { format }).filter((m) => !m.topic.startsWith("parkir/"));
  return msgs
    .slice(0, 40)
    .map((m) => ({ topic: m.topic, body: JSON.parse(m.payload.toString()) as unknown }));
});

type Outcome = { ok: unknown } | { error: { reason: string; message: string; device: string | undefined } };
function outcome(f: () => unknown): Outcome {
  try {
    return { ok: f() };
  } catch (e) {
    if (e instanceof ParkirMessageError)
      return { error: { reason: e.reason, message: e.message, device: e.device } };
    throw e;
  }
}

/** The same outcome both ways; whether the scanner read the message itself. */
function same(topic: string, payload: Uint8Array): boolean {
  const fast = outcome(() => parseMessage(topic, payload, cx));
  const slow = outcome(() => parseMessageJson(topic, payload, cx));
  expect(fast).toEqual(slow);
  const source = topic.startsWith("v3/") ? "tts" : "chirpstack";
  return scanUplink(source, payload) !== undefined;
}

// --- A JSON writer with choices a network server (or a fuzzer) might make ---------------------------------

interface Style {
  /** Whitespace pieces used between tokens. */
  readonly ws: readonly string[];
  /** Shuffle keys. */
  readonly shuffle: boolean;
  /** Escape some characters of strings (\u escapes, \/). */
  readonly escape: boolean;
  /** Write some numbers in another spelling (1.0, 1e0, -0). */
  readonly respell: boolean;
}

function write(v: unknown, st: Style, rnd: () => number): string {
  const w = () => st.ws[Math.floor(rnd() * st.ws.length)] ?? "";
  if (typeof v === "string") {
    if (!st.escape) return JSON.stringify(v);
    let out = '"';
    for (const ch of v) {
      const r = rnd();
      if (ch === '"' || ch === "\\" || ch < " ") out += JSON.stringify(ch).slice(1, -1);
      else if (r < 0.1) out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
      else if (r < 0.12 && ch === "/") out += "\\/";
      else out += ch;
    }
    return `${out}"`;
  }
  if (typeof v === "number") {
    if (st.respell && rnd() < 0.3 && Number.isInteger(v)) return rnd() < 0.5 ? `${v}.0` : `${v}e0`;
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${w()}${v.map((x) => write(x, st, rnd)).join(`${w()},${w()}`)}${w()}]`;
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v);
    if (st.shuffle) keys.sort(() => rnd() - 0.5);
    const parts = keys.map(
      (k) => `${write(k, st, rnd)}${w()}:${w()}${write((v as Record<string, unknown>)[k], st, rnd)}`,
    );
    return `{${w()}${parts.join(`${w()},${w()}`)}${w()}}`;
  }
  return JSON.stringify(v);
}

const style: fc.Arbitrary<Style> = fc.record({
  ws: fc.constantFrom([""], ["", " "], ["\n", "  "], ["\t", "\r\n"]),
  shuffle: fc.boolean(),
  escape: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  respell: fc.oneof(
    { weight: 3, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
});

/** Values at the edges, for the fields the scanner reads. */
const edgy = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -0,
    1,
    255,
    256,
    0xffffffff,
    0x100000000,
    -1,
    1.5,
    1e21,
    "",
    "AQ==",
    "AQ",
    "!!!!",
    "70B3D5E0C0001001",
    "70b3d5e0c0001001",
    "70B3D5E0C000100",
    "2026-11-30T00:59:00Z",
    "2026-11-30T00:59:00.123456789+08:00",
    "2026-11-30T00:59:00.1234567891Z",
    "2026-11-30 00:59:00Z",
    "2026-02-30T00:59:00Z",
    "héllo",
    "a\u2028b",
    "\ud83d\ude97",
    [],
    {},
    { occupied: true },
    { occupancy: "free", type: "heartbeat", battery: 3.3 },
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -200, max: 30 }),
  fc.string({ unit: "grapheme", maxLength: 8 }),
);

/** Radio metadata: gateways with rssi/snr of every kind, sometimes more than the scanner counts. */
const radio = fc.array(
  fc.oneof(
    fc.record(
      {
        gateway_ids: fc.constant({ gateway_id: "gw", eui: "B827EBFFFE000001" }),
        rssi: fc.oneof(
          fc.integer({ min: -140, max: 0 }),
          fc.double({ min: -140, max: 10, noNaN: true }),
          edgy,
        ),
        snr: fc.oneof(fc.integer({ min: -20, max: 15 }), fc.constantFrom(9.25, -7.5, 0.1, 1e-7), edgy),
        location: fc.constant({
          latitude: -0.8917,
          longitude: 119.8707,
          altitude: 12,
          source: "SOURCE_REGISTRY",
        }),
      },
      { requiredKeys: [] },
    ),
    edgy,
  ),
  { maxLength: 4 },
);

type Path = readonly string[];
const TTS_FIELDS: Path[] = [
  ["end_device_ids"],
  ["end_device_ids", "dev_eui"],
  ["uplink_message"],
  ["uplink_message", "f_cnt"],
  ["uplink_message", "f_port"],
  ["uplink_message", "frm_payload"],
  ["uplink_message", "decoded_payload"],
  ["uplink_message", "rx_metadata"],
  ["received_at"],
];
const CS_FIELDS: Path[] = [
  ["deviceInfo"],
  ["deviceInfo", "devEui"],
  ["fCnt"],
  ["fPort"],
  ["data"],
  ["object"],
  ["rxInfo"],
  ["time"],
];

/** A change to one field: set it (to an edge value or random radio metadata) or delete it. */
const edit = fc.record({
  field: fc.nat(),
  op: fc.constantFrom("set", "set", "delete", "radio"),
  value: edgy,
  radio,
});

function applyEdit(
  body: unknown,
  fields: Path[],
  e: { field: number; op: string; value: unknown; radio: unknown },
) {
  const path = fields[e.field % fields.length]!;
  let o = body as Record<string, unknown>;
  for (const k of path.slice(0, -1)) {
    const next = o[k];
    if (next === null || typeof next !== "object" || Array.isArray(next)) return;
    o = next as Record<string, unknown>;
  }
  const k = path[path.length - 1]!;
  if (e.op === "delete") delete o[k];
  else o[k] = e.op === "radio" ? e.radio : e.value;
}

const clone = <T>(v: T): T => structuredClone(v);
const seeded = (seed: number) => {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
};

describe("uplink scanner vs JSON.parse", () => {
  test("the fleet's own uplinks are read by the scanner, with the same events and health", () => {
    for (const format of base) {
      for (const m of format) expect(same(m.topic, Buffer.from(JSON.stringify(m.body)))).toBe(true);
    }
  });

  test("any field order, whitespace, escapes, number spellings, radio metadata and edge values: same outcome", () => {
    let scanned = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1),
        fc.nat(),
        style,
        fc.array(edit, { maxLength: 3 }),
        fc.integer(),
        (f, pick, st, edits, seed) => {
          const m = base[f]![pick % base[f]!.length]!;
          const body = clone(m.body);
          for (const e of edits) applyEdit(body, f === 0 ? TTS_FIELDS : CS_FIELDS, e);
          const text = write(body, st, seeded(seed));
          runs++;
          if (same(m.topic, Buffer.from(text))) scanned++;
        },
      ),
      { numRuns: 600 },
    );
    // The scanner must not hand everything to JSON.parse (then this test would test nothing).
    expect(scanned).toBeGreaterThan(runs / 8);
  });

  test("malformed messages (cut, a byte changed, bytes added, a duplicate field): same refusal or events", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1),
        fc.nat(),
        fc.nat(),
        fc.constantFrom("cut", "flip", "insert", "dup", "tail"),
        fc.integer({ min: 0, max: 255 }),
        (f, pick, at, how, byte) => {
          const m = base[f]![pick % base[f]!.length]!;
          let text = JSON.stringify(m.body);
          if (how === "dup") {
            // A field written twice: JSON.parse keeps the last one.
            const key = f === 0 ? '"received_at":' : '"fCnt":';
            text = text.replace("{", `{${key}${f === 0 ? '"2026-11-30T00:00:00Z"' : "7"},`);
          }
          const bytes = Buffer.from(text);
          const p = at % (bytes.length + 1);
          let out: Uint8Array = bytes;
          if (how === "cut") out = bytes.subarray(0, p);
          else if (how === "flip" && p < bytes.length) {
            out = Buffer.from(bytes);
            out[p] = byte;
          } else if (how === "insert")
            out = Buffer.concat([bytes.subarray(0, p), Buffer.of(byte), bytes.subarray(p)]);
          else if (how === "tail") out = Buffer.concat([bytes, Buffer.from(byte % 2 === 0 ? " \n" : " x")]);
          same(m.topic, out);
        },
      ),
      { numRuns: 800 },
    );
  });

  test("best RSSI and SNR count the first UPLINK_RADIO_GATEWAYS_MAX gateways, the same both ways", () => {
    const m = base[0]![0]!;
    const body = clone(m.body) as { uplink_message: { rx_metadata: unknown[] } };
    body.uplink_message.rx_metadata = Array.from({ length: UPLINK_RADIO_GATEWAYS_MAX + 3 }, (_, k) => ({
      rssi: k >= UPLINK_RADIO_GATEWAYS_MAX ? 5 : -100 + k / 4,
      snr: k >= UPLINK_RADIO_GATEWAYS_MAX ? 99 : -5 + k / 8,
    }));
    const bytes = Buffer.from(JSON.stringify(body));
    expect(same(m.topic, bytes)).toBe(true);
    const fields = scanUplink("tts", bytes)!;
    expect(fields.radio).toEqual({ rssi: -100 + 63 / 4, snr: -5 + 63 / 8 });
  });

  test("nesting deeper than the scanner follows goes to JSON.parse, with the same outcome", () => {
    const m = base[1]![0]!;
    const body = clone(m.body) as Record<string, unknown>;
    let deep: unknown = 1;
    for (let k = 0; k < 100; k++) deep = [deep];
    body.extra = deep;
    const bytes = Buffer.from(JSON.stringify(body));
    expect(scanUplink("chirpstack", bytes)).toBeUndefined();
    same(m.topic, bytes);
  });
});

// --- Paths the fast path takes beyond the scan: payload bytes, EUI table, unknown fields, UTF-8 ---------------

/** A message of the fleet with `change` applied to a copy of its body. */
function variant(f: 0 | 1, pick: number, change: (body: Record<string, unknown>) => void) {
  const m = base[f]![pick % base[f]!.length]!;
  const body = clone(m.body) as Record<string, unknown>;
  change(body);
  return { topic: m.topic, body };
}
/** The object holding a message's uplink fields (TTS `uplink_message`, ChirpStack the body). */
const uplinkOf = (f: 0 | 1, body: Record<string, unknown>) =>
  (f === 0 ? body.uplink_message : body) as Record<string, unknown>;
const idsOf = (f: 0 | 1, body: Record<string, unknown>) =>
  (f === 0 ? body.end_device_ids : body.deviceInfo) as Record<string, unknown>;

/** Every catalogue EUI the fleet uses. */
const fleetEuis = [
  ...new Set(base[0]!.map((m) => (m.body as { end_device_ids: { dev_eui: string } }).end_device_ids.dev_eui)),
];

describe("uplink fast path vs JSON.parse", () => {
  test("payloads: any bytes as base64, padding with stray bits, and base64 that is not: same outcome", () => {
    const b64 = fc.oneof(
      fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b).toString("base64")),
      // Padding whose last digit carries bits Buffer.from ignores.
      fc.constantFrom("AR==", "AQF=", "AQE=", "/w==", "//8=", "+/+/", "AAAA", ""),
      // Not strict base64.
      fc.constantFrom("AQ", "AQ=", "A===", "====", "AQ==AQ==", "A=Q=", "AQ-_", "AQ\u00e9=", "A Q=", "AQ=="),
      fc.string({ unit: fc.constantFrom(..."AQw+/=-_ ", "\u00e9"), maxLength: 12 }),
    );
    let scanned = 0;
    fc.assert(
      fc.property(
        fc.constantFrom<0 | 1>(0, 1),
        fc.nat(),
        b64,
        fc.integer({ min: 1, max: 3 }),
        (f, pick, data, port) => {
          const v = variant(f, pick, (body) => {
            const up = uplinkOf(f, body);
            up[f === 0 ? "frm_payload" : "data"] = data;
            up[f === 0 ? "f_port" : "fPort"] = port;
          });
          if (same(v.topic, Buffer.from(JSON.stringify(v.body)))) scanned++;
        },
      ),
      { numRuns: 400 },
    );
    expect(scanned).toBeGreaterThan(200);
  });

  test("device EUIs in any case, unknown, short, long or not hex: same outcome", () => {
    const eui = fc.oneof(
      fc.constantFrom(...fleetEuis),
      fc
        .constantFrom(...fleetEuis)
        .chain((e) =>
          fc
            .array(fc.boolean(), { minLength: 16, maxLength: 16 })
            .map((up) => Array.from(e, (ch, k) => (up[k] ? ch.toUpperCase() : ch.toLowerCase())).join("")),
        ),
      fc.stringMatching(/^[0-9a-fA-F]{16}$/),
      fc.stringMatching(/^[0-9a-fA-F]{15}$|^[0-9a-fA-F]{17}$|^[0-9a-fA-FgxG]{16}$/),
    );
    fc.assert(
      fc.property(fc.constantFrom<0 | 1>(0, 1), fc.nat(), eui, (f, pick, e) => {
        const v = variant(f, pick, (body) => {
          idsOf(f, body)[f === 0 ? "dev_eui" : "devEui"] = e;
        });
        same(v.topic, Buffer.from(JSON.stringify(v.body)));
      }),
      { numRuns: 400 },
    );
  });

  test("unknown fields of any JSON (nested, unicode, escapes) at every level: same outcome, still scanned", () => {
    let scanned = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        fc.constantFrom<0 | 1>(0, 1),
        fc.nat(),
        fc.array(
          fc.record({
            where: fc.constantFrom("top", "ids", "uplink", "gateway"),
            key: fc.string({ unit: "grapheme", maxLength: 10 }),
            value: fc.jsonValue({ maxDepth: 4 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        (f, pick, extra) => {
          const v = variant(f, pick, (body) => {
            for (const { where, key, value } of extra) {
              const known = new Set(["end_device_ids", "uplink_message", "received_at", "dev_eui", "f_cnt"]);
              for (const k of [
                "f_port",
                "frm_payload",
                "decoded_payload",
                "rx_metadata",
                "deviceInfo",
                "devEui",
              ])
                known.add(k);
              for (const k of ["fCnt", "fPort", "data", "object", "rxInfo", "time", "rssi", "snr"])
                known.add(k);
              if (known.has(key)) continue;
              const up = uplinkOf(f, body);
              const rx = up[f === 0 ? "rx_metadata" : "rxInfo"] as Record<string, unknown>[];
              const o =
                where === "top" ? body : where === "ids" ? idsOf(f, body) : where === "uplink" ? up : rx[0]!;
              o[key] = value;
            }
          });
          runs++;
          if (same(v.topic, Buffer.from(JSON.stringify(v.body)))) scanned++;
        },
      ),
      { numRuns: 300 },
    );
    // Unicode and nesting in fields the scanner skips do not send the message to JSON.parse.
    expect(scanned).toBeGreaterThan(runs * 0.9);
  });

  test("bytes that are not UTF-8, or a control byte, inside a skipped string: refused the same way", () => {
    const m = base[1]![3]!;
    const body = clone(m.body) as Record<string, unknown>;
    body.note = "Jl. Hasanuddin, Palu \u2014 \ud83d\ude97";
    const text = Buffer.from(JSON.stringify(body));
    expect(same(m.topic, text)).toBe(true);
    const at = text.indexOf("\u2014");
    for (const bad of [
      [0xff],
      [0xc3],
      [0xed, 0xa0, 0x80],
      [0xf8, 0x88, 0x80, 0x80],
      [0x01],
      [0x0a],
      [0x7f],
    ]) {
      const out = Buffer.concat([text.subarray(0, at), Buffer.from(bad), text.subarray(at)]);
      same(m.topic, out);
    }
  });

  test("a message cut at every byte: same refusal", () => {
    for (const f of [0, 1] as const) {
      const m = base[f]![5]!;
      const bytes = Buffer.from(JSON.stringify(m.body));
      for (let n = 0; n <= bytes.length; n++) same(m.topic, bytes.subarray(0, n));
    }
  });

  test("decoded payloads read only where no decoder takes the payload: the same either way", () => {
    const noDecoders = { ...cx, decoders: new DecoderRegistry() };
    const decoded = fc.oneof(
      fc.record(
        {
          occupied: fc.oneof(fc.boolean(), fc.constantFrom(0, 1, 2, "occupied", "free")),
          type: fc.constantFrom("status", "heartbeat", "startup", "Heartbeat", "reboot"),
          battery: fc.double({ min: 2, max: 4, noNaN: true }),
          temperature: fc.integer({ min: -40, max: 85 }),
          firmware: fc.string({ unit: "grapheme", maxLength: 40 }),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue({ maxDepth: 2 }),
    );
    let scanned = 0;
    fc.assert(
      fc.property(fc.constantFrom<0 | 1>(0, 1), fc.nat(), decoded, fc.boolean(), (f, pick, d, decoders) => {
        const v = variant(f, pick, (body) => {
          uplinkOf(f, body)[f === 0 ? "decoded_payload" : "object"] = d;
        });
        const c = decoders ? cx : noDecoders;
        const payload = Buffer.from(JSON.stringify(v.body));
        expect(outcome(() => parseMessage(v.topic, payload, c))).toEqual(
          outcome(() => parseMessageJson(v.topic, payload, c)),
        );
        if (scanUplink(f === 0 ? "tts" : "chirpstack", payload) !== undefined) scanned++;
      }),
      { numRuns: 300 },
    );
    expect(scanned).toBeGreaterThan(150);
  });

  test("event ids name the time as String() does, for any integer", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.integer({ min: 1e9, max: 1e15 }), fc.double()),
        (t) => {
          expect(integerString(t)).toBe(String(t));
        },
      ),
      { numRuns: 2000 },
    );
    for (const t of [1e9, 1e9 - 1, 1e15, 1e15 - 1, 1_764_475_203_000, 1_764_475_203_999, -0, 0])
      expect(integerString(t)).toBe(String(t));
  });
});

describe("EUI table", () => {
  const bytes = (s: string) => Buffer.from(s, "latin1");
  test("finds what the catalogue's string lookup finds, for catalogue EUIs in any case and random ones", () => {
    const ix = new EuiIndex(city);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constantFrom(...fleetEuis),
          fc.constantFrom(...fleetEuis).map((e) => e.toLowerCase()),
          fc.stringMatching(/^[0-9a-fA-F]{16}$/),
        ),
        (e) => {
          const d = ix.find(bytes(e), 0, 16);
          expect(d).toBe(city.deviceIndexByEui(e));
          if (d !== NONE) expect(ix.eui(d)).toBe(e.toUpperCase());
        },
      ),
      { numRuns: 1000 },
    );
  });

  test("anything but 16 hex digits is NONE", () => {
    const ix = new EuiIndex(city);
    const e = fleetEuis[0]!;
    expect(ix.find(bytes(e), 0, 16)).not.toBe(NONE);
    expect(ix.find(bytes(` ${e}`), 1, 17)).toBe(ix.find(bytes(e), 0, 16));
    for (const bad of [
      e.slice(1),
      `${e}0`,
      `${e.slice(0, 15)}g`,
      `${e.slice(0, 15)}\u00e9`,
      "",
      "0x70B3D5E0C00010",
    ])
      expect(ix.find(bytes(bad), 0, bad.length)).toBe(NONE);
  });
});

describe("skipped values spelt at the edge of the grammar", () => {
  /** Number-like and literal-like tokens, valid JSON or not. */
  const token = fc.oneof(
    fc.constantFrom(
      ..."0 -0 01 -01 00 1. .5 -.5 1e 1e+ 1e-5 1E5 1e05 -0.0e-0 +1 - -a 0x1 1.5e308 1e400 2e-400 Infinity NaN".split(
        " ",
      ),
      ..."true false null tru fals nul truee nulll True NULL t f n".split(" "),
      ...'[] {} [1,] [,1] {,} {"a"} {"a":} {"a":1,} [[[]]] [1 2] {"a" 1} "\\u00e9" "\\u12" "\\x41" "\\/"'.split(
        " ",
      ),
    ),
    fc.double().map(String),
    fc
      .tuple(
        fc.stringMatching(/^-?(0|[1-9][0-9]{0,20})$/),
        fc.stringMatching(/^(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?$/),
      )
      .map(([a, b]) => a + b),
  );
  test("a raw token as the value of an unknown field, in an array, or after a skipped value: same outcome", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<0 | 1>(0, 1),
        fc.nat(),
        token,
        fc.constantFrom("top", "uplink", "gateway", "array", "nested"),
        (f, pick, tok, where) => {
          const m = base[f]![pick % base[f]!.length]!;
          const body = clone(m.body) as Record<string, unknown>;
          const up = (f === 0 ? body.uplink_message : body) as Record<string, unknown>;
          const rx = up[f === 0 ? "rx_metadata" : "rxInfo"] as Record<string, unknown>[];
          const mark = "\u0000MARK\u0000";
          if (where === "top") body.extra = mark;
          else if (where === "uplink") up.extra = mark;
          else if (where === "gateway") rx[0]!.extra = mark;
          else if (where === "array") body.extra = [1, mark, "x"];
          else body.extra = { a: { b: [mark] } };
          const text = JSON.stringify(body).replace(JSON.stringify(mark), tok);
          same(m.topic, Buffer.from(text));
        },
      ),
      { numRuns: 600 },
    );
  });
});

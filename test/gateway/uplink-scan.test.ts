/**
 * The uplink scanner against JSON.parse: for any message, parseMessage (scanner first) and parseMessageJson
 * (JSON.parse only) give the same events, health and refusals (reason, message, device).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { NONE } from "../../src/catalog/index.js";
import { EuiIndex, euiIndex } from "../../src/gateway/eui-index.js";
import {
  DecoderRegistry,
  fleetMessages,
  nwaveNps405,
  ParkirMessageError,
  type ParseContext,
  parseMessage,
  parseMessageJson,
  scanUplink,
  UPLINK_RADIO_GATEWAYS_MAX,
} from "../../src/gateway/index.js";
import { type ScannedUplink, scanUplinkBytes, UPLINK_SCAN_DEPTH_MAX } from "../../src/gateway/uplink-scan.js";
import {
  scanUplinkFast,
  UPLINK_WASM_KEYS,
  UPLINK_WASM_LAYOUT,
  UPLINK_WASM_LEVELS,
  UPLINK_WASM_MESSAGE_MAX,
  UPLINK_WASM_SLOTS,
  uplinkFieldTable,
  uplinkWasmAvailable,
} from "../../src/gateway/uplink-wasm.js";
import { integerString } from "../../src/gateway/uplinks.js";
import { generateTrace } from "../../src/generate/index.js";
import { isoTime } from "../../src/wire/json-bytes.js";
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

/** parseMessage with the JavaScript scanner (the wasm scanner's reference). */
const jsCx: ParseContext = { ...cx, kernel: "js" };

/** What a scan found, copied out of the scanner (which the next scan overwrites); undefined when it gave up. */
function scanned(sc: ScannedUplink | undefined) {
  if (sc === undefined) return undefined;
  const { devEuiS, devEuiE, fCnt, fPort, dataS, dataE, decS, decE, timeMs, rssi, snr } = sc;
  const device = sc.deviceIndex(euiIndex(city));
  return { devEuiS, devEuiE, fCnt, fPort, dataS, dataE, decS, decE, timeMs, rssi, snr, device };
}

/**
 * The same outcome every way — parseMessage with the wasm scanner (the default), with the JavaScript scanner, and
 * parseMessageJson — and the same fields from both scanners; whether the scanner read the message itself.
 */
function same(topic: string, payload: Uint8Array): boolean {
  const fast = outcome(() => parseMessage(topic, payload, cx));
  const js = outcome(() => parseMessage(topic, payload, jsCx));
  const slow = outcome(() => parseMessageJson(topic, payload, cx));
  expect(fast).toEqual(slow);
  expect(js).toEqual(slow);
  const source = topic.startsWith("v3/") ? "tts" : "chirpstack";
  const reference = scanned(scanUplinkBytes(source, payload));
  expect(scanned(scanUplinkFast(source, payload))).toEqual(reference);
  return reference !== undefined;
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

  test("a decoder of the caller's may keep the bytes it is given: the next message does not change them", () => {
    const kept: { bytes: Uint8Array; copy: number[] }[] = [];
    const keeping = {
      decode(bytes: Uint8Array, fPort: number) {
        kept.push({ bytes, copy: [...bytes] });
        return nwaveNps405.decode(bytes, fPort);
      },
    };
    const models = new Set(Array.from({ length: city.deviceCount }, (_, d) => city.deviceModel(d)));
    let decoders = cx.decoders;
    for (const model of models) if (model !== undefined) decoders = decoders.with(model, keeping);
    const c = { ...cx, decoders };
    for (const f of [0, 1] as const) {
      for (const [k, data] of ["AQ==", "AA==", "AwID", "//8=", "AQIDBAU="].entries()) {
        const v = variant(f, k, (body) => {
          uplinkOf(f, body)[f === 0 ? "frm_payload" : "data"] = data;
          uplinkOf(f, body)[f === 0 ? "f_port" : "fPort"] = 1;
        });
        expect(parseMessage(v.topic, Buffer.from(JSON.stringify(v.body)), c).events).toHaveLength(1);
      }
    }
    expect(kept).toHaveLength(10);
    for (const { bytes, copy } of kept) expect([...bytes]).toEqual(copy);
    expect(new Set(kept.map((k) => k.bytes)).size).toBe(kept.length);
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
      ...'true false null tru fals nul truee nulll True NULL t f n trUe fAlse nuLl t123 f1234 n123 tr"e'.split(
        " ",
      ),
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

describe("wasm uplink scanner", () => {
  test("runs here (so every differential test above compared it with the JavaScript scanner)", () => {
    expect(uplinkWasmAvailable()).toBe(true);
  });

  test("its memory layout, result slots, field names and object kinds are the JavaScript side's", () => {
    const src = readFileSync("wasm/uplink_simd.ts", "utf8");
    const constant = (name: string): number => {
      const m = new RegExp(`const ${name}(?::\\s*\\w+)? = (0x[0-9a-f]+|\\d+);`).exec(src);
      expect(m, name).not.toBeNull();
      return Number(m![1]);
    };
    for (const [name, value] of Object.entries({ ...UPLINK_WASM_LAYOUT, ...UPLINK_WASM_SLOTS }))
      expect(constant(name), name).toBe(value);
    const slots = [...src.matchAll(/const K_\w+ = (\d+); \/\/ (\w+)/g)].map((m) => [Number(m[1]), m[2]]);
    expect(slots).toEqual(UPLINK_WASM_KEYS.map((key, slot) => [slot, key]));
    for (const key of UPLINK_WASM_KEYS) expect(key.length).toBeLessThan(16);
    for (const [name, value] of Object.entries(UPLINK_WASM_LEVELS)) expect(constant(name), name).toBe(value);
    expect(constant("DEPTH_MAX")).toBe(UPLINK_SCAN_DEPTH_MAX);
    expect(constant("GATEWAYS_MAX")).toBe(UPLINK_RADIO_GATEWAYS_MAX);
    expect(UPLINK_WASM_KEYS.length * 16).toBeLessThanOrEqual(
      UPLINK_WASM_LAYOUT.FIELDS - UPLINK_WASM_LAYOUT.KEYS,
    );
    expect(uplinkFieldTable().length).toBe(6 << 9);
  });

  /** A body of the fleet with a raw JSON `text` as the value of a new member `where` (spliced into its JSON). */
  function withRaw(f: 0 | 1, pick: number, where: "top" | "uplink" | "gateway", text: string): Buffer {
    const m = base[f]![pick % base[f]!.length]!;
    const body = clone(m.body) as Record<string, unknown>;
    const up = uplinkOf(f, body);
    const rx = up[f === 0 ? "rx_metadata" : "rxInfo"] as Record<string, unknown>[];
    const mark = "\u0000RAW\u0000";
    (where === "top" ? body : where === "uplink" ? up : rx[0]!).extra = mark;
    return Buffer.from(JSON.stringify(body).replace(JSON.stringify(mark), text));
  }

  test("strings of every length around the 16-byte blocks, with an escape, a non-ASCII or a bad byte anywhere", () => {
    const specials = [
      '\\"',
      "\\\\",
      "\\n",
      "\\u00e9",
      "\\ud83d",
      "\\u12G4",
      "\\x",
      "\u00e9",
      "\ud83d\ude97",
      "\u2028",
    ];
    let n = 0;
    for (const f of [0, 1] as const) {
      for (let len = 0; len <= 40; len++) {
        for (let at = 0; at <= len; at += 7) {
          for (const sp of specials) {
            const content = `${"a".repeat(at)}${sp}${"b".repeat(len - at)}`;
            const m = base[f]![len % base[f]!.length]!;
            same(m.topic, withRaw(f, len, "uplink", `"${content}"`));
            n++;
          }
        }
        // The same lengths as the value the scanner reads: a device EUI padded to a string of that length.
        const v = variant(f, len, (body) => {
          idsOf(f, body)[f === 0 ? "dev_eui" : "devEui"] = `${fleetEuis[0]}${"\u00e9".repeat(len % 3)}`.slice(
            0,
            len,
          );
        });
        same(v.topic, Buffer.from(JSON.stringify(v.body)));
      }
    }
    expect(n).toBeGreaterThan(1000);
    // Raw bytes that are no UTF-8, or control bytes, at each offset of a string that crosses a block.
    const m = base[0]![2]!;
    for (let at = 0; at < 34; at++) {
      for (const bad of [[0xff], [0xc3], [0xe2, 0x80], [0x00], [0x1f], [0x7f]]) {
        const text = withRaw(0, 2, "gateway", `"${"x".repeat(at)}@${"y".repeat(33 - at)}"`);
        const i = text.indexOf(0x40);
        same(m.topic, Buffer.concat([text.subarray(0, i), Buffer.from(bad), text.subarray(i + 1)]));
      }
    }
  });

  test("numbers at the edges as RSSI, SNR, frame counter and port, spelt any way JSON allows or not", () => {
    const number = fc.oneof(
      fc
        .tuple(
          fc.constantFrom("", "-", "+"),
          fc.stringMatching(/^(0|[1-9][0-9]{0,17}|0[0-9]{1,3})$/),
          fc.stringMatching(/^(\.[0-9]{0,18})?([eE][+-]?[0-9]{0,3})?$/),
        )
        .map(([a, b, c]) => a + b + c),
      fc.constantFrom(
        "4294967295",
        "4294967296",
        "9999999999",
        "10000000000",
        "255",
        "256",
        "-0",
        "-0.0",
        "0.1",
        "-140.25",
        "123456789012345",
        "1234567890123456",
        "0.000000000000001",
        "-1.5e1",
        "1E2",
        "null",
        "true",
        '"-100"',
        "[-100]",
        "{}",
      ),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    );
    const fields = [
      ["rssi", "rssi"],
      ["snr", "snr"],
      ["f_cnt", "fCnt"],
      ["f_port", "fPort"],
    ] as const;
    let scanned = 0;
    fc.assert(
      fc.property(fc.constantFrom<0 | 1>(0, 1), fc.nat(), fc.nat(3), number, (f, pick, which, text) => {
        const m = base[f]![pick % base[f]!.length]!;
        const body = clone(m.body) as Record<string, unknown>;
        const up = uplinkOf(f, body);
        const rx = up[f === 0 ? "rx_metadata" : "rxInfo"] as Record<string, unknown>[];
        const mark = "\u0000NUM\u0000";
        const key = fields[which]![f];
        (which < 2 ? rx[0]! : up)[key] = mark;
        if (same(m.topic, Buffer.from(JSON.stringify(body).replace(JSON.stringify(mark), text)))) scanned++;
      }),
      { numRuns: 1500 },
    );
    // 290–340 of 1500 runs are numbers the scanner reads (12 runs); 200 leaves room for chance.
    expect(scanned).toBeGreaterThan(200);
  });

  test("receive times: any date, time, fraction and offset isoTime reads, and ones it does not", () => {
    const d2 = (lo: number, hi: number) =>
      fc.integer({ min: lo, max: hi }).map((v) => String(v).padStart(2, "0"));
    const time = fc.oneof(
      fc
        .record({
          y: fc.integer({ min: 0, max: 9999 }).map((v) => String(v).padStart(4, "0")),
          mo: d2(0, 13),
          d: d2(0, 32),
          h: d2(0, 24),
          mi: d2(0, 60),
          s: fc.option(d2(0, 60)),
          frac: fc.option(fc.stringMatching(/^[0-9]{0,11}$/)),
          zone: fc.oneof(
            fc.constantFrom("Z", "z", "", "+08:00", "-00:00", "+23:59", "+24:00", "-12:60", "+0800", "UTC"),
            fc.tuple(fc.constantFrom("+", "-"), d2(0, 25), d2(0, 61)).map(([a, b, c]) => `${a}${b}:${c}`),
          ),
          sep: fc.constantFrom("T", "T", "T", " ", "t"),
        })
        .map(
          ({ y, mo, d, h, mi, s, frac, zone, sep }) =>
            `${y}-${mo}-${d}${sep}${h}:${mi}${s === null ? "" : `:${s}${frac === null ? "" : `.${frac}`}`}${zone}`,
        ),
      fc.constantFrom(
        "2026-11-30T08:59:00.123Z",
        "1970-01-01T00:00:00Z",
        "1969-12-31T23:59:59.999Z",
        "2000-02-29T00:00Z",
        "2100-02-29T00:00Z",
      ),
    );
    let read = 0;
    fc.assert(
      fc.property(fc.constantFrom<0 | 1>(0, 1), fc.nat(), time, (f, pick, t) => {
        const m = base[f]![pick % base[f]!.length]!;
        const body = clone(m.body) as Record<string, unknown>;
        body[f === 0 ? "received_at" : "time"] = t;
        const payload = Buffer.from(JSON.stringify(body));
        same(m.topic, payload);
        const sc = scanUplinkFast(f === 0 ? "tts" : "chirpstack", payload);
        const ts = payload.indexOf(t);
        const want = isoTime(payload, ts, ts + t.length);
        expect(sc === undefined ? Number.NaN : sc.timeMs).toBe(want);
        if (sc !== undefined) read++;
      }),
      { numRuns: 1500 },
    );
    expect(read).toBeGreaterThan(50);
  });

  test("nesting up to and past the limit, in skipped values, decoded payloads and radio metadata", () => {
    for (const f of [0, 1] as const) {
      for (let depth = UPLINK_SCAN_DEPTH_MAX - 5; depth <= UPLINK_SCAN_DEPTH_MAX + 2; depth++) {
        for (const where of ["top", "uplink", "gateway"] as const) {
          for (const open of ["[", '{"a":']) {
            const close = open === "[" ? "]" : "}";
            const text = `${open.repeat(depth)}1${close.repeat(depth)}`;
            same(base[f]![0]!.topic, withRaw(f, depth, where, text));
          }
        }
        const v = variant(f, depth, (body) => {
          let o: unknown = { occupied: true };
          for (let k = 0; k < depth; k++) o = { occupied: true, more: o };
          uplinkOf(f, body)[f === 0 ? "decoded_payload" : "object"] = o;
        });
        same(v.topic, Buffer.from(JSON.stringify(v.body)));
      }
    }
    // Just inside the limit the scanner reads the message; past it, JSON.parse does.
    const fits = withRaw(
      1,
      0,
      "top",
      `${"[".repeat(UPLINK_SCAN_DEPTH_MAX - 1)}${"]".repeat(UPLINK_SCAN_DEPTH_MAX - 1)}`,
    );
    expect(same(base[1]![0]!.topic, fits)).toBe(true);
    const deep = withRaw(
      1,
      0,
      "top",
      `${"[".repeat(UPLINK_SCAN_DEPTH_MAX)}${"]".repeat(UPLINK_SCAN_DEPTH_MAX)}`,
    );
    expect(same(base[1]![0]!.topic, deep)).toBe(false);
  });

  test("an object skipped before, then the same bytes changed, cut or made invalid: read afresh each time", () => {
    // The wasm scanner keeps the objects it skipped last (by member) and skips the same bytes again in one compare.
    const objects = [
      '{"latitude":-0.8917,"longitude":119.8707,"altitude":12,"source":"SOURCE_REGISTRY"}',
      '{"a":{"b":[1,2,{"c":null}]},"d":"x"}',
      "{}",
    ];
    const broken = (o: string, k: number): string[] => [
      o.slice(0, k) + o.slice(k + 1),
      `${o.slice(0, k)}x${o.slice(k + 1)}`,
      `${o.slice(0, k)}\u0001${o.slice(k)}`,
      `${o.slice(0, k)}é${o.slice(k)}`,
      `${o.slice(0, k)} ${o.slice(k)}`,
    ];
    let n = 0;
    for (const f of [0, 1] as const) {
      for (const where of ["top", "uplink", "gateway"] as const) {
        for (const o of objects) {
          for (let k = 0; k < o.length; k += 3) {
            for (const b of broken(o, k)) {
              expect(same(base[f]![0]!.topic, withRaw(f, k, where, o))).toBe(true);
              same(base[f]![0]!.topic, withRaw(f, k, where, b));
              n++;
            }
          }
        }
      }
    }
    expect(n).toBeGreaterThan(300);
  });

  test("an object skipped before, then met again deeper than it fits: refused as deep (kept objects share slots)", () => {
    // Nesting 31: fits as a member of the top object (depth 1), not one level deeper (depth 2).
    const deep = `${'{"a":'.repeat(30)}{}${"}".repeat(30)}`;
    for (const f of [0, 1] as const) {
      const m = base[f]![0]!;
      for (let k = 0; k < 300; k++) {
        const body = clone(m.body) as Record<string, unknown>;
        const mark = "\u0000DEEP\u0000";
        body.shallow = mark;
        const shallow = Buffer.from(JSON.stringify(body).replace(JSON.stringify(mark), deep));
        expect(same(m.topic, shallow)).toBe(true);
        // The same bytes under another key one level deeper (many keys: some share the first one's slot).
        const deeper = withRaw(f, 0, "uplink", `{"k${k}":${deep}}`);
        if (f === 0) expect(same(m.topic, deeper)).toBe(false);
        else same(m.topic, deeper);
        const inner = clone(m.body) as Record<string, unknown>;
        (f === 0
          ? (inner.uplink_message as Record<string, unknown>)
          : (inner.deviceInfo as Record<string, unknown>))[`k${k}`] = mark;
        expect(same(m.topic, Buffer.from(JSON.stringify(inner).replace(JSON.stringify(mark), deep)))).toBe(
          false,
        );
      }
    }
  });

  test("a message longer than the wasm scanner's memory is read by the JavaScript scanner: same outcome", () => {
    for (const extra of [UPLINK_WASM_MESSAGE_MAX - 2000, UPLINK_WASM_MESSAGE_MAX + 1, 200_000]) {
      const m = base[0]![1]!;
      const body = clone(m.body) as Record<string, unknown>;
      body.padding = "p".repeat(extra);
      const bytes = Buffer.from(JSON.stringify(body));
      expect(same(m.topic, bytes)).toBe(true);
      // Cut inside the padding: refused both ways.
      same(m.topic, bytes.subarray(0, bytes.length - 1000));
    }
    // A message of exactly the largest size the wasm scanner takes, and one byte more.
    const m = base[1]![1]!;
    const bodyText = JSON.stringify(m.body);
    for (const size of [UPLINK_WASM_MESSAGE_MAX, UPLINK_WASM_MESSAGE_MAX + 1]) {
      const pad = size - bodyText.length - ',"padding":""'.length;
      const text = `${bodyText.slice(0, -1)},"padding":"${"q".repeat(pad)}"}`;
      expect(text.length).toBe(size);
      expect(same(m.topic, Buffer.from(text))).toBe(true);
    }
  });

  test("whitespace of every kind and amount between any two tokens, in both formats", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<0 | 1>(0, 1),
        fc.nat(),
        fc.array(fc.string({ unit: fc.constantFrom(" ", "\t", "\n", "\r", "\u00a0", "\f"), maxLength: 20 }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.integer(),
        (f, pick, spaces, seed) => {
          const m = base[f]![pick % base[f]!.length]!;
          const text = write(
            m.body,
            { ws: spaces, shuffle: true, escape: false, respell: false },
            seeded(seed),
          );
          same(m.topic, Buffer.from(text));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("uplink scanner selection", () => {
  test("PARKIR_KERNEL=js turns the wasm scanner off; the JavaScript scanner then reads the same fields", () => {
    const m = base[0]![0]!;
    const payload = JSON.stringify(JSON.stringify(m.body));
    const program = `
      const { scanUplinkFast, uplinkWasmAvailable } = await import(${JSON.stringify(`${process.cwd()}/dist/src/gateway/uplink-wasm.js`)});
      const sc = scanUplinkFast("tts", Buffer.from(${payload}));
      console.log(JSON.stringify({ wasm: uplinkWasmAvailable(), fCnt: sc?.fCnt, timeMs: sc?.timeMs }));
    `;
    const run = (env: Record<string, string>) => {
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", program], {
        encoding: "utf8",
        timeout: 30_000,
        env: { ...process.env, ...env },
      });
      expect(r.stderr).toBe("");
      return JSON.parse(r.stdout.trim()) as { wasm: boolean; fCnt: number; timeMs: number };
    };
    const reference = scanned(scanUplinkBytes("tts", Buffer.from(JSON.stringify(m.body))))!;
    const js = run({ PARKIR_KERNEL: "js" });
    const wasm = run({ PARKIR_KERNEL: "" });
    expect(js.wasm).toBe(false);
    expect(wasm.wasm).toBe(true);
    for (const r of [js, wasm]) expect([r.fCnt, r.timeMs]).toEqual([reference.fCnt, reference.timeMs]);
  });
});

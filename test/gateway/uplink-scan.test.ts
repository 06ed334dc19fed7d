/**
 * The uplink scanner against JSON.parse: for any message, parseMessage (scanner first) and parseMessageJson
 * (JSON.parse only) give the same events, health and refusals (reason, message, device).
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  fleetMessages,
  ParkirMessageError,
  parseMessage,
  parseMessageJson,
  scanUplink,
  UPLINK_RADIO_GATEWAYS_MAX,
} from "../../src/gateway/index.js";
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

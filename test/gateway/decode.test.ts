import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { loadCityFile } from "../../src/catalog/index.js";
import {
  boschTps110,
  DecoderRegistry,
  decodeObject,
  defaultDecoders,
  encodeSensorPayload,
  fleetMessages,
  nwaveNps405,
  ParkirMessageError,
  parseMessage,
  publishFleet,
  topicMatches,
} from "../../src/gateway/index.js";
import { generateTrace } from "../../src/generate/index.js";
import { seedPath } from "../../src/paths.js";
import { city, cx, NOW } from "./fixtures.js";

const enc = (o: unknown) => Buffer.from(JSON.stringify(o));
const reason = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof ParkirMessageError) return e.reason;
    throw e;
  }
  return "accepted";
};

function tts(over: Record<string, unknown> = {}, up: Record<string, unknown> = {}) {
  return {
    end_device_ids: {
      device_id: "plu-001-s01",
      application_ids: { application_id: "palu" },
      dev_eui: "70B3D5E0C0001001",
      dev_addr: "26000000",
    },
    received_at: "2026-11-30T00:59:00.123456789Z",
    uplink_message: {
      f_port: 1,
      f_cnt: 42,
      frm_payload: Buffer.of(1).toString("base64"),
      rx_metadata: [
        { gateway_ids: { gateway_id: "a" }, rssi: -90, snr: 3 },
        { rssi: -80, snr: 7 },
      ],
      ...up,
    },
    ...over,
  };
}

describe("payload decoders", () => {
  test("Nwave NPS405: status, heartbeat (battery, temperature, hardware flags), startup; short and unknown ports", () => {
    expect(nwaveNps405.decode(Uint8Array.of(0x81), 1)).toEqual({ eventType: "park_start", occupied: true });
    expect(nwaveNps405.decode(Uint8Array.of(0x80), 1)).toEqual({ eventType: "park_end", occupied: false });
    expect(nwaveNps405.decode(Uint8Array.of(0x01, 250, 0xf6), 2)).toEqual({
      eventType: "scheduled_report",
      occupied: true,
      health: { hardwareOk: true, batteryV: 3.5, temperatureC: 5 },
    });
    expect(nwaveNps405.decode(Uint8Array.of(0x04, 0, 0), 2).health?.hardwareOk).toBe(false);
    expect(nwaveNps405.decode(Uint8Array.of(1, 4, 2, 7, 1), 3)).toEqual({
      eventType: "scheduled_report",
      occupied: true,
      health: { firmware: "1.4.2", resetCause: 7 },
    });
    expect(reason(() => nwaveNps405.decode(Uint8Array.of(1, 2), 2))).toBe("short-payload");
    expect(reason(() => nwaveNps405.decode(new Uint8Array(0), 1))).toBe("short-payload");
    expect(reason(() => nwaveNps405.decode(Uint8Array.of(1), 9))).toBe("unknown-port");
  });
  test("Bosch TPS110: status, heartbeat with and without temperature, startup", () => {
    expect(boschTps110.decode(Uint8Array.of(1), 1)).toEqual({ eventType: "park_start", occupied: true });
    expect(boschTps110.decode(Uint8Array.of(0), 2)).toEqual({
      eventType: "scheduled_report",
      occupied: false,
    });
    expect(boschTps110.decode(Uint8Array.of(1, 0xfe), 2).health).toEqual({ temperatureC: -2 });
    const startup = new Uint8Array(17);
    startup.set([0, 39, 1, 3, 1], 12);
    expect(boschTps110.decode(startup, 3)).toEqual({
      eventType: "scheduled_report",
      occupied: true,
      health: { firmware: "0.39.1", resetCause: 3 },
    });
    expect(reason(() => boschTps110.decode(new Uint8Array(16), 3))).toBe("short-payload");
    expect(reason(() => boschTps110.decode(Uint8Array.of(1), 4))).toBe("unknown-port");
  });
  test("any byte string on any port decodes or is refused with a reason, never another error", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), fc.integer({ min: 0, max: 255 }), (bytes, port) => {
        for (const d of [nwaveNps405, boschTps110]) {
          const r = reason(() => d.decode(bytes, port));
          expect(["accepted", "short-payload", "unknown-port"]).toContain(r);
        }
      }),
    );
  });
  test("the fleet's payload bytes decode back to the event they came from", () => {
    for (const model of ["nwave-nps405", "bosch-tps110"]) {
      const d = defaultDecoders().get(model)!;
      for (const [type, occupied] of [
        ["park_start", true],
        ["park_end", false],
        ["scheduled_report", true],
        ["scheduled_report", false],
      ] as const) {
        const p = encodeSensorPayload(model, { event_id: "x", event_type: type, event_time: 0, occupied })!;
        const got = d.decode(p.bytes, p.fPort);
        expect(got.eventType).toBe(type);
        expect(got.occupied).toBe(occupied);
      }
    }
  });
  test("decoded_payload / object: occupancy in several spellings, type, health; no occupancy is refused", () => {
    expect(decodeObject({ occupied: true })).toEqual({ eventType: "park_start", occupied: true });
    expect(decodeObject({ parking_status: "free", type: "status" }).eventType).toBe("park_end");
    expect(decodeObject({ occupancy: 1, type: "heartbeat", battery: 3.4, temperature: 21 })).toEqual({
      eventType: "scheduled_report",
      occupied: true,
      health: { batteryV: 3.4, temperatureC: 21 },
    });
    expect(reason(() => decodeObject({ battery: 3 }))).toBe("bad-payload");
    expect(reason(() => decodeObject([1]))).toBe("bad-payload");
    expect(reason(() => decodeObject({ occupied: true, type: "alarm" }))).toBe("bad-payload");
  });
  test("a registered decoder reads a model the catalogue names; the registry is immutable", () => {
    const base = defaultDecoders();
    const more = base.with("my-sensor", { decode: (b) => ({ eventType: b[0] ? "park_start" : "park_end" }) });
    expect(base.get("my-sensor")).toBeUndefined();
    expect(more.models).toEqual(["nwave-nps405", "bosch-tps110", "my-sensor"]);
    expect(() => new DecoderRegistry().with("x", {} as never)).toThrow(TypeError);
  });
});

describe("messages to events", () => {
  test("The Things Stack uplink, with and without @tenant: frame counter as sequence, stable event id, health", () => {
    for (const topic of ["v3/palu/devices/plu-001-s01/up", "v3/palu@ttn/devices/plu-001-s01/up"]) {
      const m = parseMessage(topic, enc(tts()), cx);
      expect(m.source).toBe("tts");
      expect(m.events).toEqual([
        {
          event_id: `lw:70B3D5E0C0001001:42:${Date.parse("2026-11-30T00:59:00.123Z")}`,
          event_type: "park_start",
          event_time: Date.parse("2026-11-30T00:59:00.123Z"),
          data_source_device_id: "PLU-001-S01",
          sequence_number: 42,
        },
      ]);
    }
    // f_cnt 0 and f_port omitted are absent, not invalid (The Things Stack omits zero values).
    const zero = tts({}, { f_cnt: undefined });
    expect(parseMessage("v3/palu/devices/x/up", enc(zero), cx).events[0]?.sequence_number).toBe(0);
    expect(reason(() => parseMessage("v3/palu/devices/x/up", enc(tts({}, { f_port: undefined })), cx))).toBe(
      "unknown-port",
    );
    // A heartbeat carries health with the best radio figures.
    const hb = tts({}, { f_port: 2, frm_payload: Buffer.of(0, 250, 40).toString("base64") });
    const h = parseMessage("v3/palu/devices/x/up", enc(hb), cx);
    expect(h.events[0]).toMatchObject({ event_type: "scheduled_report", occupied: false });
    expect(h.health).toMatchObject({
      device: "PLU-001-S01",
      batteryV: 3.5,
      temperatureC: 30,
      rssi: -80,
      snr: 7,
    });
  });
  test("ChirpStack v4 uplink event, and decoded payloads used when the model has no decoder", () => {
    const body = {
      deduplicationId: "d",
      time: "2026-11-30T00:59:00Z",
      deviceInfo: { devEui: "70b3d5e0c0002001" },
      fCnt: 7,
      fPort: 1,
      data: "AA==",
    };
    const m = parseMessage("application/abc/device/70b3d5e0c0002001/event/up", enc(body), cx);
    expect(m.source).toBe("chirpstack");
    expect(m.events[0]).toMatchObject({
      event_type: "park_end",
      data_source_device_id: "PLU-002-S01",
      sequence_number: 7,
    });
    const plain = loadCityFile(seedPath("palu", "city.json"));
    const noModel = { ...cx, decoders: new DecoderRegistry(), city: plain };
    expect(
      reason(() => parseMessage("application/abc/device/70b3d5e0c0002001/event/up", enc(body), noModel)),
    ).toBe("unknown-model");
    const withObject = { ...body, object: { occupied: true } };
    expect(
      parseMessage("application/abc/device/70b3d5e0c0002001/event/up", enc(withObject), noModel).events[0]
        ?.event_type,
    ).toBe("park_start");
  });
  test("plain CDS events: one or an array; bad events in an array cost only themselves", () => {
    const good = {
      event_id: "c1",
      event_type: "manual_count",
      event_time: NOW,
      curb_zone_id: "PLU-100",
      vehicle_type: "motorcycle",
      vehicle_count: 3,
    };
    expect(parseMessage("parkir/palu/in/events", enc(good), cx).events).toEqual([good]);
    const m = parseMessage(
      "parkir/palu/in/events",
      enc([
        good,
        { event_id: "c2" },
        { ...good, event_id: "c3", curb_zone_id: "NOPE" },
        { ...good, event_id: "c4" },
      ]),
      cx,
    );
    expect(m.events.map((e) => e.event_id)).toEqual(["c1", "c4"]);
    expect(m.refused.map((e) => e.reason)).toEqual(["bad-event", "unknown-device"]);
  });
  test("every kind of bad message is refused with its own reason", () => {
    const t = "v3/palu/devices/x/up";
    expect(reason(() => parseMessage("somewhere/else", enc(tts()), cx))).toBe("unknown-topic");
    expect(reason(() => parseMessage(t, Buffer.from("{not json"), cx))).toBe("bad-json");
    expect(reason(() => parseMessage(t, Buffer.from([0xff, 0xfe]), cx))).toBe("bad-json");
    expect(reason(() => parseMessage(t, enc({ hello: 1 }), cx))).toBe("bad-uplink");
    expect(reason(() => parseMessage(t, enc(tts({}, { frm_payload: "@@@" })), cx))).toBe("bad-base64");
    const stranger = tts();
    stranger.end_device_ids.dev_eui = "0000000000000001";
    expect(reason(() => parseMessage(t, enc(stranger), cx))).toBe("unknown-device");
    expect(reason(() => parseMessage(t, enc(tts({}, { f_port: 7 })), cx))).toBe("unknown-port");
    expect(reason(() => parseMessage(t, enc(tts({}, { f_port: 2 })), cx))).toBe("short-payload");
    expect(reason(() => parseMessage(t, enc(tts({ received_at: "2030-01-01T00:00:00Z" })), cx))).toBe(
      "clock-skew",
    );
    expect(reason(() => parseMessage(t, enc(tts({ received_at: "yesterday" })), cx))).toBe("bad-uplink");
    expect(reason(() => parseMessage(t, enc(tts({}, { f_cnt: -1 })), cx))).toBe("bad-uplink");
  });
  test("random bytes on any topic are refused with a reason, never another error", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          "v3/a/devices/b/up",
          "application/a/device/70b3d5e0c0001001/event/up",
          "parkir/palu/in/events",
          "x",
        ),
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.json().map((j) => Buffer.from(j)),
        ),
        (topic, bytes) => {
          try {
            parseMessage(topic, bytes, cx);
          } catch (e) {
            expect(e).toBeInstanceOf(ParkirMessageError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
  test("MQTT topic filters", () => {
    expect(topicMatches("a/+/c", "a/b/c")).toBe(true);
    expect(topicMatches("a/#", "a/b/c")).toBe(true);
    expect(topicMatches("a/+", "a/b/c")).toBe(false);
    expect(topicMatches("a/b", "a/b")).toBe(true);
    expect(topicMatches("a/b/c", "a/b")).toBe(false);
  });
  test("a Palu trace as fleet messages reads back to the same events (ids aside) in both uplink formats", () => {
    const events = generateTrace(city, { seed: 3, startMs: NOW - 3_600_000, hours: 1 });
    for (const format of ["tts", "chirpstack"] as const) {
      const msgs = fleetMessages(city, events, { format });
      expect(msgs).toHaveLength(events.length);
      const back = msgs.flatMap((m) => parseMessage(m.topic, m.payload, { ...cx, nowMs: NOW }).events);
      expect(back).toHaveLength(events.length);
      back.forEach((b, i) => {
        const e = events[i]!;
        expect(b.event_type).toBe(e.event_type);
        expect(Number(b.event_time)).toBe(Number(e.event_time));
        if (b.event_id.startsWith("lw:")) {
          expect(b.sequence_number).toBe(e.sequence_number);
          expect(b.data_source_device_id).toBe(e.data_source_device_id);
        } else expect(b).toEqual(e);
      });
      expect(
        msgs.filter((m) => m.topic.startsWith(format === "tts" ? "v3/" : "application/")).length,
      ).toBeGreaterThan(100);
    }
  });
});

describe("publishFleet", () => {
  test("returns how many messages it handed to the client, with or without onPublished, and stops when aborted", async () => {
    const sent: string[] = [];
    const client = {
      publishAsync: async (topic: string) => {
        sent.push(topic);
      },
    } as unknown as Parameters<typeof publishFleet>[0];
    const messages = Array.from({ length: 600 }, (_, i) => ({
      topic: `t/${i}`,
      payload: Buffer.from("x"),
      timeMs: 0,
    }));
    expect(await publishFleet(client, messages)).toBe(600);
    let seen = 0;
    expect(await publishFleet(client, messages, { onPublished: (n) => (seen = n) })).toBe(600);
    expect(seen).toBe(600);
    const abort = new AbortController();
    const n = await publishFleet(client, messages, {
      signal: abort.signal,
      onPublished: (k) => k === 300 && abort.abort(),
    });
    expect(n).toBe(300);
    expect(sent.length).toBe(1500);
  });
});

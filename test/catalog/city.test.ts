import { describe, expect, test } from "vitest";
import { DETECTION, loadCity, NONE, VEHICLE_CODES, vehicleCode } from "../../src/catalog/index.js";
import { ParkirConfigError } from "../../src/errors/index.js";
import { tinyCity } from "../helpers.js";

test("dense indices, devices and per-class tables", () => {
  const city = tinyCity();
  expect([city.zoneCount, city.bayCount, city.deviceCount]).toEqual([2, 3, 4]);
  expect(city.zoneIndex("Z2")).toBe(1);
  expect(city.bayIndex("Z1-B3")).toBe(2);
  expect(city.deviceIndex("S1")).toBe(0);
  expect(city.deviceIndex("GATE-1")).toBe(3);
  expect(city.deviceBay[3]).toBe(NONE);
  expect(city.deviceZone[3]).toBe(1);
  expect(city.zoneIndex("nope")).toBe(NONE);
  const car = vehicleCode("car");
  const moto = vehicleCode("motorcycle");
  // Capacity defaults to the sensed bays; declared capacity is kept.
  expect(city.capacity[0 * VEHICLE_CODES + car]).toBe(3);
  expect(city.capacity[0 * VEHICLE_CODES + moto]).toBe(30);
  expect(city.detection[0 * VEHICLE_CODES + car]).toBe(DETECTION.singleSpaceDetection);
  expect(city.detection[0 * VEHICLE_CODES + moto]).toBe(DETECTION.manual);
  expect(city.detection[1 * VEHICLE_CODES + car]).toBe(DETECTION.balancing);
});

test("the catalogue hash changes with any id", () => {
  const a = tinyCity();
  const doc = JSON.parse(JSON.stringify(a.zones));
  doc[0].bays[1].id = "Z1-B2x";
  const b = loadCity({ id: "tiny", name: "Tiny", timeZone: "Asia/Makassar", currency: "IDR", zones: doc });
  expect(b.catalogHash).not.toBe(a.catalogHash);
});

test("every problem is reported with its JSON path", () => {
  const bad = {
    id: "x",
    name: "X",
    timeZone: "Mars/Olympus",
    currency: "rupiah",
    zones: [
      {
        id: "Z",
        name: "a",
        location: { lat: 91, lon: 0 },
        street: "on",
        zoneClass: "A",
        detection: ["baySensors"],
        capacity: {},
        bays: [{ id: "B", vehicleType: "car", sensorId: "S" }],
      },
      {
        id: "Z",
        name: "b",
        location: { lat: 0, lon: 0 },
        street: "sideways",
        zoneClass: "A",
        detection: [],
        capacity: { car: -1 },
      },
    ],
  };
  try {
    loadCity(bad);
    expect.unreachable();
  } catch (e) {
    expect(e).toBeInstanceOf(ParkirConfigError);
    const paths = (e as ParkirConfigError).issues.map((i) => i.path).sort();
    expect(paths).toEqual([
      "currency",
      "timeZone",
      "zones[0].location.lat",
      "zones[1].capacity.car",
      "zones[1].detection",
      "zones[1].street",
    ]);
  }
});

test("semantic problems: duplicate ids, capacity below the sensed bays, detection that does not match", () => {
  const zone = (id: string, extra: object) => ({
    id,
    name: id,
    location: { lat: 0, lon: 0 },
    street: "on",
    zoneClass: "A",
    detection: ["baySensors"],
    capacity: {},
    ...extra,
  });
  try {
    loadCity({
      id: "x",
      name: "X",
      timeZone: "UTC",
      currency: "IDR",
      zones: [
        zone("Z", {
          bays: [
            { id: "B", vehicleType: "car", sensorId: "S" },
            { id: "B", vehicleType: "car", sensorId: "S" },
          ],
          capacity: { car: 1 },
        }),
        zone("Z", { detection: ["attendantCounts"], bays: [{ id: "C", vehicleType: "car", sensorId: "T" }] }),
      ],
    });
    expect.unreachable();
  } catch (e) {
    const issues = (e as ParkirConfigError).issues;
    expect(issues.map((i) => i.path)).toEqual([
      "zones[0].bays[1].id",
      "zones[0].bays[1].sensorId",
      "zones[0].capacity.car",
      "zones[1].id",
      "zones[1].detection",
    ]);
  }
});

test("the catalogue hash covers structure too: a bay moved to another zone, a class or a capacity changed", () => {
  const a = tinyCity();
  const variants: ((zones: ReturnType<typeof JSON.parse>) => void)[] = [
    // Z1's last bay moves to the start of Z2: ids and their order are the same.
    (z) => {
      const moved = z[0].bays.pop();
      z[1].bays = [moved];
      z[1].detection.push("baySensors");
    },
    (z) => {
      z[0].bays[1].vehicleType = "motorcycle";
    },
    (z) => {
      z[1].capacity.car = 51;
    },
    (z) => {
      z[0].detection = ["baySensors"];
    },
  ];
  for (const change of variants) {
    const zones = JSON.parse(JSON.stringify(a.zones));
    change(zones);
    const b = loadCity({ id: "tiny", name: "Tiny", timeZone: "Asia/Makassar", currency: "IDR", zones });
    expect(b.catalogHash).not.toBe(a.catalogHash);
  }
  const same = loadCity(
    JSON.parse(
      JSON.stringify({
        id: "tiny",
        name: "Tiny",
        timeZone: "Asia/Makassar",
        currency: "IDR",
        synthetic: true,
        zones: a.zones,
      }),
    ),
  );
  expect(same.catalogHash).toBe(a.catalogHash);
});

test("a catalogue with 20,000 invalid zones lists the first 20 problems and counts the rest", () => {
  const zones = Array.from({ length: 20_000 }, (_, i) => ({ id: `Z${i}`, name: "" }));
  let error: unknown;
  try {
    loadCity({ id: "x", name: "X", timeZone: "Asia/Makassar", currency: "IDR", zones });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ParkirConfigError);
  const e = error as ParkirConfigError;
  expect(e.issues.length).toBeGreaterThan(20_000);
  expect(e.message.length).toBeLessThan(4000);
  expect(e.message).toMatch(new RegExp(`… and ${e.issues.length - 20} more$`));
}, 60_000);

describe("device EUIs and sensor models", () => {
  const doc = (bays: unknown[], gates: unknown[] = []) => ({
    id: "t",
    name: "T",
    timeZone: "Asia/Makassar",
    currency: "IDR",
    zones: [
      {
        id: "Z1",
        name: "Z",
        location: { lat: 0, lon: 0 },
        street: "on",
        zoneClass: "A",
        detection: gates.length > 0 ? ["baySensors", "gateCounters"] : ["baySensors"],
        capacity: {},
        bays,
        gates,
      },
    ],
  });
  test("a device EUI finds its device in any case, and names its model; catalogues without EUIs stay valid", () => {
    const city = loadCity(
      doc(
        [
          { id: "B1", vehicleType: "car", sensorId: "S1", devEui: "70b3d5e0c0001001", model: "nwave-nps405" },
          { id: "B2", vehicleType: "car", sensorId: "S2" },
        ],
        [{ id: "G1", deviceId: "GC1", devEui: "00000000000000AA", model: "my-counter" }],
      ),
    );
    expect(city.deviceIndexByEui("70B3D5E0C0001001")).toBe(0);
    expect(city.deviceIndexByEui("70b3d5e0c0001001")).toBe(0);
    expect(city.deviceModel(0)).toBe("nwave-nps405");
    expect(city.deviceModel(1)).toBeUndefined();
    expect(city.deviceIndexByEui("00000000000000aa")).toBe(2);
    expect(city.deviceModel(2)).toBe("my-counter");
    expect(city.deviceIndexByEui("0000000000000001")).toBe(NONE);
    const plain = loadCity(doc([{ id: "B1", vehicleType: "car", sensorId: "S1" }]));
    // EUIs do not enter the catalogue hash: batches and checkpoints stay valid when EUIs are added.
    const withEui = loadCity(
      doc([{ id: "B1", vehicleType: "car", sensorId: "S1", devEui: "0000000000000001" }]),
    );
    expect(withEui.catalogHash).toBe(plain.catalogHash);
  });
  test("duplicate or malformed EUIs and bad model names are refused with their paths", () => {
    expect(() =>
      loadCity(
        doc([
          { id: "B1", vehicleType: "car", sensorId: "S1", devEui: "0000000000000001" },
          { id: "B2", vehicleType: "car", sensorId: "S2", devEui: "0000000000000001" },
        ]),
      ),
    ).toThrow(/zones\[0\]\.bays\[1\]\.devEui: duplicate device EUI/);
    expect(() => loadCity(doc([{ id: "B1", vehicleType: "car", sensorId: "S1", devEui: "12345" }]))).toThrow(
      /zones\[0\]\.bays\[0\]\.devEui/,
    );
    expect(() =>
      loadCity(doc([{ id: "B1", vehicleType: "car", sensorId: "S1", model: "Bad Model" }])),
    ).toThrow(/zones\[0\]\.bays\[0\]\.model/);
  });
});

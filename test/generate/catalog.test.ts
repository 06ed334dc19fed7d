import { readFileSync, writeFileSync } from "node:fs";
import { expect, test } from "vitest";
import { loadCity } from "../../src/catalog/index.js";
import {
  onPaluLand,
  PALU_STREETS,
  paluCatalog,
  paluCatalogJson,
  ZONE_KIND_LABELS,
  zoneKindOf,
} from "../../src/generate/index.js";
import { PALU_PATH, paluCity } from "./fixtures.js";

test("the committed seeds/palu/city.json is exactly the script's output", () => {
  const expected = paluCatalogJson();
  // Regenerate with: PARKIR_UPDATE_SEEDS=1 npx vitest run test/generate
  if (process.env.PARKIR_UPDATE_SEEDS === "1") writeFileSync(PALU_PATH, expected);
  expect(readFileSync(PALU_PATH, "utf8")).toBe(expected);
});

test("the script is deterministic and its seed matters", () => {
  expect(paluCatalogJson()).toBe(paluCatalogJson());
  expect(paluCatalogJson(7)).not.toBe(paluCatalogJson());
  expect(() => loadCity(paluCatalog(7))).not.toThrow();
});

test("Palu: 200 points, 50 with car bay sensors, 150 counted by attendants, a few gated lots", () => {
  const city = paluCity();
  expect(city.id).toBe("palu");
  expect(city.timeZone).toBe("Asia/Makassar");
  expect(city.currency).toBe("IDR");
  expect(city.synthetic).toBe(true);
  expect(city.zoneCount).toBe(200);
  expect(city.zones.map((z) => z.id)).toEqual(
    Array.from({ length: 200 }, (_, i) => `PLU-${String(i + 1).padStart(3, "0")}`),
  );
  const digital = city.zones.filter((z) => z.detection.includes("baySensors"));
  const attendant = city.zones.filter((z) => !z.detection.includes("baySensors"));
  expect(digital).toHaveLength(50);
  expect(attendant).toHaveLength(150);
  for (const z of digital) {
    expect(z.detection).toEqual(["baySensors", "attendantCounts"]);
    expect(z.bays.length).toBeGreaterThanOrEqual(4);
    expect(z.bays.length).toBeLessThanOrEqual(20);
    expect(z.bays.every((b) => b.vehicleType === "car")).toBe(true);
    expect(z.capacity.car).toBe(z.bays.length);
    expect(z.capacity.motorcycle).toBeGreaterThanOrEqual(20);
    expect(z.capacity.motorcycle).toBeLessThanOrEqual(120);
    expect(z.capacity.motorcycle!).toBeGreaterThan(z.capacity.car!);
    z.bays.forEach((b, i) => {
      const n = String(i + 1).padStart(2, "0");
      const point = Number(z.id.slice(4));
      expect(b).toEqual({
        id: `${z.id}-B${n}`,
        vehicleType: "car",
        sensorId: `${z.id}-S${n}`,
        devEui: `70B3D5E0C0${point.toString(16).toUpperCase().padStart(3, "0")}${(i + 1).toString(16).toUpperCase().padStart(3, "0")}`,
        model: point % 2 === 1 ? "nwave-nps405" : "bosch-tps110",
      });
    });
  }
  const gated = attendant.filter((z) => z.detection.includes("gateCounters"));
  expect(gated.length).toBeGreaterThanOrEqual(3);
  expect(gated.length).toBeLessThanOrEqual(15);
  for (const z of gated) {
    expect(z.detection).toEqual(["gateCounters", "attendantCounts"]);
    expect(z.street).toBe("off");
    expect(z.gates.length).toBeGreaterThan(0);
  }
  for (const z of attendant.filter((z) => !z.detection.includes("gateCounters"))) {
    expect(z.detection).toEqual(["attendantCounts"]);
    expect(z.bays).toEqual([]);
  }
  const motorcycles = city.zones.reduce((n, z) => n + (z.capacity.motorcycle ?? 0), 0);
  const cars = city.zones.reduce((n, z) => n + (z.capacity.car ?? 0), 0);
  expect(motorcycles).toBeGreaterThan(3 * cars);
});

test("every point is on land in Palu, named by its kind of place and a Palu street", () => {
  const labels = new Set(Object.values(ZONE_KIND_LABELS));
  const classes = new Set<string>();
  const kinds = new Set<string>();
  for (const z of paluCity().zones) {
    expect(z.location.lat).toBeGreaterThanOrEqual(-0.95);
    expect(z.location.lat).toBeLessThanOrEqual(-0.84);
    expect(z.location.lon).toBeGreaterThanOrEqual(119.83);
    expect(z.location.lon).toBeLessThanOrEqual(119.91);
    expect(onPaluLand(z.location.lat, z.location.lon, 0.001), `${z.id} ${JSON.stringify(z.location)}`).toBe(
      true,
    );
    const [label, place] = z.name.split(" - ") as [string, string];
    expect(labels.has(label.replace(/ lot$/, "")), z.name).toBe(true);
    expect(
      place === undefined
        ? false
        : /^Talise front #\d+$/.test(place) || PALU_STREETS.some((s) => place.startsWith(`${s} #`)),
      z.name,
    ).toBe(true);
    kinds.add(zoneKindOf(z));
    classes.add(z.zoneClass);
  }
  expect([...classes].sort()).toEqual(["A", "B", "C"]);
  expect(kinds.size).toBe(Object.keys(ZONE_KIND_LABELS).length);
});

test("zoneKindOf reads the first word and falls back by street type", () => {
  expect(zoneKindOf({ name: "Mosque - Jl. Kartini #1", street: "on" })).toBe("mosque");
  expect(zoneKindOf({ name: "MALL lot - x", street: "off" })).toBe("mall");
  expect(zoneKindOf({ name: "Jl. Satu", street: "on" })).toBe("shops");
  expect(zoneKindOf({ name: "Lot Dua", street: "off" })).toBe("mall");
});

/**
 * The catalogue document's validation (validateCityDocument, loadCity's first step): a valid document comes back
 * with its defaults and unchanged input; one bad value anywhere is reported at its own JSON path and nowhere else.
 */
import fc from "fast-check";
import { expect, test } from "vitest";
import { loadCity } from "../../src/catalog/city.js";
import { CAPACITY_CLASSES, DETECTION_METHODS, validateCityDocument } from "../../src/catalog/index.js";
import { ParkirConfigError } from "../../src/errors/index.js";
import { paluCatalog } from "../../src/generate/index.js";

const id = fc.stringMatching(/^[!-~]{1,16}$/);
const hex = fc.stringMatching(/^[0-9A-Fa-f]{16}$/);
const device = fc.record(
  { devEui: hex, model: fc.constantFrom("nwave-nps405", "bosch-tps110", "x.y_z-1") },
  {
    requiredKeys: [],
  },
);
const bay = fc
  .tuple(fc.record({ id, vehicleType: fc.constantFrom(...CAPACITY_CLASSES), sensorId: id }), device)
  .map(([b, d]) => ({ ...b, ...d }));
const gate = fc.tuple(fc.record({ id, deviceId: id }), device).map(([g, d]) => ({ ...g, ...d }));
const zone = fc.record(
  {
    id,
    name: fc.string({ minLength: 1, maxLength: 30 }),
    location: fc.record({
      lat: fc.double({ min: -90, max: 90, noNaN: true }),
      lon: fc.double({ min: -180, max: 180, noNaN: true }),
    }),
    street: fc.constantFrom("on", "off"),
    zoneClass: id,
    detection: fc.uniqueArray(fc.constantFrom(...DETECTION_METHODS), { minLength: 1 }),
    capacity: fc.record(
      Object.fromEntries(CAPACITY_CLASSES.map((c) => [c, fc.integer({ min: 0, max: 100_000 })])),
      { requiredKeys: [] },
    ),
    bays: fc.array(bay, { maxLength: 4 }),
    gates: fc.array(gate, { maxLength: 2 }),
  },
  { requiredKeys: ["id", "name", "location", "street", "zoneClass", "detection", "capacity"] },
);
const city = fc.record(
  {
    id,
    name: fc.string({ minLength: 1, maxLength: 30 }),
    // Canonical names, and names only a formatter knows (UTC, an alias).
    timeZone: fc.constantFrom("Asia/Makassar", "Asia/Jakarta", "UTC", "Asia/Calcutta", "Europe/Berlin"),
    currency: fc.constantFrom("IDR", "USD"),
    synthetic: fc.boolean(),
    note: fc.string(),
    zones: fc.array(zone, { minLength: 1, maxLength: 4 }),
  },
  { requiredKeys: ["id", "name", "timeZone", "currency", "zones"] },
);

/** Every leaf of a JSON value (scalars, empty arrays and objects) with its path as the validator writes it. */
function leaves(v: unknown, path = ""): string[] {
  if (Array.isArray(v)) return v.length === 0 ? [path] : v.flatMap((x, i) => leaves(x, `${path}[${i}]`));
  if (typeof v === "object" && v !== null) {
    const keys = Object.keys(v);
    if (keys.length === 0) return [path];
    return keys.flatMap((k) => leaves((v as Record<string, unknown>)[k], path === "" ? k : `${path}.${k}`));
  }
  return [path];
}

/** A copy of `doc` with the value at `path` replaced. */
function replaced(doc: unknown, path: string, value: unknown): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  const steps = [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : m[1]!,
  );
  let at: Record<string | number, unknown> = copy;
  for (const s of steps.slice(0, -1)) at = at[s] as Record<string | number, unknown>;
  at[steps.at(-1)!] = value;
  return copy;
}

const within = (p: string, root: string) =>
  p === root || p.startsWith(`${root}.`) || p.startsWith(`${root}[`);

test("the Palu catalogue is valid and comes back equal; its input is not changed", () => {
  const doc = paluCatalog();
  const before = structuredClone(doc);
  const r = validateCityDocument(doc);
  expect(r.ok).toBe(true);
  if (r.ok) expect(r.doc).toEqual(doc);
  expect(doc).toEqual(before);
});

test("property: a valid document passes, with defaults filled in and its input unchanged", () => {
  fc.assert(
    fc.property(city, (doc) => {
      const before = structuredClone(doc);
      const r = validateCityDocument(doc);
      expect(r).toMatchObject({ ok: true });
      if (!r.ok) return;
      expect(r.doc).toEqual({
        synthetic: false,
        ...doc,
        zones: doc.zones.map((z) => ({ bays: [], gates: [], ...z })),
      });
      expect(doc).toEqual(before);
    }),
    { numRuns: 200 },
  );
});

test("property: one bad value anywhere is reported at its path and nowhere else; loadCity throws it", () => {
  // null, an array and an unexpected object are invalid for every leaf: each field is a string, number, boolean,
  // non-empty array of names or object of known keys.
  const bad = fc.constantFrom<unknown>(null, [[]], { "!": 1 });
  fc.assert(
    fc.property(city, fc.nat(), bad, (doc, pick, value) => {
      const paths = leaves(doc);
      const path = paths[pick % paths.length]!;
      const broken = replaced(doc, path, value);
      const before = structuredClone(broken);
      const r = validateCityDocument(broken);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.issues.length).toBeGreaterThan(0);
      expect(r.issues.filter((i) => !within(i.path, path))).toEqual([]);
      expect(broken).toEqual(before);
      let thrown: unknown;
      try {
        loadCity(broken);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(ParkirConfigError);
      expect((thrown as ParkirConfigError).issues).toEqual(r.issues);
    }),
    { numRuns: 300 },
  );
});

test("property: an unknown field is reported at its own path", () => {
  fc.assert(
    fc.property(city, fc.nat(), fc.stringMatching(/^x[a-z]{0,6}$/), (doc, pick, key) => {
      const objects = [
        "",
        ...doc.zones.flatMap((z, i) => [
          `zones[${i}]`,
          `zones[${i}].location`,
          `zones[${i}].capacity`,
          ...(z.bays ?? []).map((_, j) => `zones[${i}].bays[${j}]`),
        ]),
      ];
      const at = objects[pick % objects.length]!;
      const broken = structuredClone(doc) as Record<string, unknown>;
      const target =
        at === ""
          ? broken
          : (at
              .split(/\.|(?=\[)/)
              .reduce<unknown>(
                (o, s) =>
                  s.startsWith("[")
                    ? (o as unknown[])[Number(s.slice(1, -1))]
                    : (o as Record<string, unknown>)[s],
                broken,
              ) as Record<string, unknown>);
      target[key] = 1;
      const r = validateCityDocument(broken);
      expect(r).toEqual({
        ok: false,
        issues: [{ path: at === "" ? key : `${at}.${key}`, message: "unknown field" }],
      });
    }),
    { numRuns: 200 },
  );
});

test("type, range and form problems each name the rule", () => {
  const r = validateCityDocument({
    id: "",
    name: "x".repeat(201),
    timeZone: "Mars/Olympus",
    currency: "idr",
    synthetic: "yes",
    zones: [
      {
        id: "has space",
        name: "Z",
        location: { lat: 0, lon: 181 },
        street: "on",
        zoneClass: "A",
        detection: ["baySensors", "sonar"],
        capacity: { car: 1.5 },
        bays: [{ id: "B", vehicleType: "truck", sensorId: "S", devEui: "12", model: "Bad Model" }],
      },
    ],
  });
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
    "id: must not be empty",
    "name: must be at most 200 characters",
    "timeZone: must be an IANA time zone such as Asia/Makassar",
    "currency: must be an ISO 4217 code such as IDR",
    "synthetic: expected a boolean, got string",
    "zones[0].id: must be printable ASCII without spaces",
    "zones[0].location.lon: must be between -180 and 180",
    'zones[0].detection[1]: must be one of "baySensors", "gateCounters", "attendantCounts", "payments"',
    "zones[0].capacity.car: must be an integer",
    `zones[0].bays[0].vehicleType: must be one of ${CAPACITY_CLASSES.map((c) => JSON.stringify(c)).join(", ")}`,
    "zones[0].bays[0].devEui: must be a LoRaWAN device EUI: 16 hex digits",
    "zones[0].bays[0].model: must be a decoder name: lower-case letters, digits, . _ -",
  ]);
  expect(validateCityDocument([]).ok).toBe(false);
  expect(validateCityDocument({ id: "x", name: "X", timeZone: "UTC", currency: "IDR", zones: [] })).toEqual({
    ok: false,
    issues: [{ path: "zones", message: "a city needs at least one zone" }],
  });
});

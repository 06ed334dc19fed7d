/**
 * Builds the synthetic Palu seed catalogue (seeds/palu/city.json) from a fixed seed: 200 parking
 * points, 50 with car bay sensors, 150 counted by attendants (8 of them off-street lots with gate
 * counters). A test proves the committed JSON equals this script's output.
 */
import type { CityDocument, ZoneDocument } from "../catalog/schema.js";
import { Prng } from "./prng.js";
import { ZONE_KIND_LABELS, type ZoneKind } from "./zone-kinds.js";

/** Seed of the committed Palu catalogue. */
export const PALU_CATALOG_SEED = 20_261_130;

/** Street names used in zone names (positions along them are synthetic). The first twelve are central. */
export const PALU_STREETS = [
  "Jl. Sam Ratulangi",
  "Jl. Hasanuddin",
  "Jl. Gajah Mada",
  "Jl. Wolter Monginsidi",
  "Jl. Sudirman",
  "Jl. Imam Bonjol",
  "Jl. Moh. Hatta",
  "Jl. Kartini",
  "Jl. Diponegoro",
  "Jl. Juanda",
  "Jl. Cut Meutia",
  "Jl. Dewi Sartika",
  "Jl. Emmy Saelan",
  "Jl. Basuki Rahmat",
  "Jl. Danau Poso",
  "Jl. Yos Sudarso",
  "Jl. Veteran",
  "Jl. Towua",
  "Jl. Setia Budi",
  "Jl. I Gusti Ngurah Rai",
  "Jl. Raja Moili",
  "Jl. Mawar",
] as const;

const CENTRAL_STREETS = 12;
/** Synthetic city centre (the commercial core south of Palu Bay). */
const CENTRE = { lat: -0.892, lon: 119.862 } as const;
/** Bounding box of the city points. */
const BOX = { latMin: -0.95, latMax: -0.84, lonMin: 119.83, lonMax: 119.91 } as const;
/** South tip of the bay: north of this latitude only the east shore is used. */
const BAY_TIP_LAT = -0.878;
const KM_PER_DEG = 111.32;

/** Longitude of the bay's east shore at a latitude north of the bay tip (a straight-line approximation). */
function eastShoreLon(lat: number): number {
  return 119.855 + (lat - BAY_TIP_LAT) * 0.45;
}

/** Whether a point is on land inside the box, at least `marginDeg` east of the bay shore. */
export function onPaluLand(lat: number, lon: number, marginDeg = 0.002): boolean {
  if (lat < BOX.latMin || lat > BOX.latMax || lon < BOX.lonMin || lon > BOX.lonMax) return false;
  return lat <= BAY_TIP_LAT || lon >= eastShoreLon(lat) + marginDeg;
}

function distanceKm(lat: number, lon: number): number {
  const dy = (lat - CENTRE.lat) * KM_PER_DEG;
  const dx = (lon - CENTRE.lon) * KM_PER_DEG * Math.cos((CENTRE.lat * Math.PI) / 180);
  return Math.sqrt(dx * dx + dy * dy);
}

/** How a point is observed and what sort of lot it is. */
type Group = "digital" | "attendant" | "marketLot" | "gatedLot";

interface Plan {
  readonly group: Group;
  readonly kind: ZoneKind;
}

function plans(group: Group, counts: Partial<Record<ZoneKind, number>>): Plan[] {
  const out: Plan[] = [];
  for (const [kind, n] of Object.entries(counts) as [ZoneKind, number][]) {
    for (let i = 0; i < n; i++) out.push({ group, kind });
  }
  return out;
}

function shuffle<T>(rng: Prng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  }
  return items;
}

function round5(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/**
 * The Palu seed catalogue document (deterministic for a seed).
 *
 * @example
 * const city = loadCity(paluCatalog()); // 200 zones, 50 with bay sensors
 */
export function paluCatalog(seed = PALU_CATALOG_SEED): CityDocument {
  const rng = new Prng(seed);
  const digital = shuffle(
    rng,
    plans("digital", { shops: 22, market: 6, office: 8, hospital: 6, school: 4, beach: 4 }),
  );
  const attendant = shuffle(rng, [
    ...plans("attendant", {
      shops: 52,
      market: 10,
      office: 16,
      hospital: 6,
      school: 22,
      mosque: 16,
      church: 6,
      beach: 10,
    }),
    ...plans("marketLot", { market: 4 }),
    ...plans("gatedLot", { mall: 6, hospital: 2 }),
  ]);

  // One synthetic anchor per street; points on a street scatter around it.
  const anchors = PALU_STREETS.map((_, i) => {
    const central = i < CENTRAL_STREETS;
    for (;;) {
      const lat = rng.uniform(BOX.latMin, BOX.latMax);
      const lon = rng.uniform(BOX.lonMin, BOX.lonMax);
      const d = distanceKm(lat, lon);
      if (onPaluLand(lat, lon, 0.004) && (central ? d < 1.8 : d > 1.5 && d < 6)) return { lat, lon };
    }
  });

  const nameCounts = new Map<string, number>();
  const zones: ZoneDocument[] = [...digital, ...attendant].map((plan, i) => {
    const id = `PLU-${pad(i + 1, 3)}`;
    let street: string;
    let lat: number;
    let lon: number;
    if (plan.kind === "beach") {
      // Talise beach front: a strip along the bay's east shore.
      street = "Talise front";
      lat = rng.uniform(BAY_TIP_LAT + 0.002, -0.85);
      lon = eastShoreLon(lat) + rng.uniform(0.0012, 0.004);
    } else {
      const s = plan.group === "digital" ? rng.int(CENTRAL_STREETS) : rng.int(PALU_STREETS.length);
      street = PALU_STREETS[s]!;
      const a = anchors[s]!;
      lat = a.lat;
      lon = a.lon;
      for (let t = 0; t < 100; t++) {
        const la = a.lat + 0.0035 * rng.normal();
        const lo = a.lon + 0.0035 * rng.normal();
        if (onPaluLand(la, lo)) {
          lat = la;
          lon = lo;
          break;
        }
      }
    }
    const d = distanceKm(lat, lon);
    const zoneClass = d < 1.6 ? "A" : d < 3.5 ? "B" : "C";
    const lot = plan.group === "marketLot" || plan.group === "gatedLot";
    const label = `${ZONE_KIND_LABELS[plan.kind]}${lot ? " lot" : ""} - ${street}`;
    const n = (nameCounts.get(label) ?? 0) + 1;
    nameCounts.set(label, n);
    return {
      id,
      name: `${label} #${n}`,
      location: { lat: round5(lat), lon: round5(lon) },
      street: lot ? "off" : "on",
      zoneClass,
      ...equipment(rng, id, plan),
    };
  });

  return {
    id: "palu",
    name: "Palu",
    timeZone: "Asia/Makassar",
    currency: "IDR",
    synthetic: true,
    note:
      "Synthetic seed data for parkir, not a survey: the parking points, coordinates, capacities, bays, sensors " +
      "and gates are made up to be plausible for Palu, Central Sulawesi. Street names are Palu street names; " +
      "which street a point lies on and where is made up. The first word of a zone name is the kind of place " +
      "(Market, Shops, Office, Hospital, School, Mosque, Church, Beach, Mall) that sets its demand curve in the " +
      "trace generator. Generated by src/generate/palu-catalog.ts.",
    zones,
  };
}

type Equipment = Pick<ZoneDocument, "detection" | "capacity" | "bays" | "gates">;

function equipment(rng: Prng, id: string, plan: Plan): Equipment {
  const clamp = (x: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.round(x)));
  switch (plan.group) {
    case "digital": {
      const [lo, hi] = DIGITAL_CAR_BAYS[plan.kind] ?? [6, 20];
      const cars = rng.intBetween(lo, hi);
      const motorcycles = clamp(cars * rng.uniform(3, 8), 20, 120);
      const bays = [];
      const point = Number(id.slice(4));
      for (let b = 1; b <= cars; b++) {
        bays.push({
          id: `${id}-B${pad(b, 2)}`,
          vehicleType: "car" as const,
          sensorId: `${id}-S${pad(b, 2)}`,
          devEui: paluDevEui(point, b),
          model: paluSensorModel(point),
        });
      }
      return {
        detection: ["baySensors", "attendantCounts"],
        capacity: { motorcycle: motorcycles, car: cars },
        bays,
        gates: [],
      };
    }
    case "attendant": {
      const cars = rng.intBetween(2, 15);
      const motorcycles =
        plan.kind === "school"
          ? rng.intBetween(40, 120)
          : clamp(cars * rng.uniform(3, 8) + rng.int(10), 10, 100);
      const capacity =
        plan.kind === "market"
          ? { motorcycle: motorcycles, car: cars, heavy: rng.intBetween(1, 3) }
          : { motorcycle: motorcycles, car: cars };
      return { detection: ["attendantCounts"], capacity, bays: [], gates: [] };
    }
    case "marketLot":
      return {
        detection: ["attendantCounts"],
        capacity: {
          motorcycle: rng.intBetween(80, 200),
          car: rng.intBetween(15, 40),
          heavy: rng.intBetween(3, 6),
        },
        bays: [],
        gates: [],
      };
    case "gatedLot": {
      const mall = plan.kind === "mall";
      const gateCount = mall ? rng.intBetween(2, 3) : 2;
      const gates = [];
      for (let g = 1; g <= gateCount; g++) gates.push({ id: `${id}-G${g}`, deviceId: `${id}-GC${g}` });
      return {
        detection: ["gateCounters", "attendantCounts"],
        capacity: mall
          ? { motorcycle: rng.intBetween(200, 500), car: rng.intBetween(80, 250) }
          : { motorcycle: rng.intBetween(100, 250), car: rng.intBetween(40, 100) },
        bays: [],
        gates,
      };
    }
  }
}

/**
 * The made-up LoRaWAN device EUI of bay sensor `bay` at point `point` (PLU-nnn): a fixed prefix, then the
 * point and bay numbers in hex. Derived, not drawn, so adding EUIs left every other seeded value unchanged.
 *
 * @example paluDevEui(1, 2) // "70B3D5E0C0001002"
 */
export function paluDevEui(point: number, bay: number): string {
  return `70B3D5E0C0${point.toString(16).toUpperCase().padStart(3, "0")}${bay.toString(16).toUpperCase().padStart(3, "0")}`;
}

/** The sensor model of the seed's digital points: Nwave NPS405 at odd points, Bosch TPS110 at even ones. */
export function paluSensorModel(point: number): "nwave-nps405" | "bosch-tps110" {
  return point % 2 === 1 ? "nwave-nps405" : "bosch-tps110";
}

/** Car bays with sensors by kind for the digital points [min, max]. */
const DIGITAL_CAR_BAYS: Partial<Record<ZoneKind, readonly [number, number]>> = {
  shops: [6, 20],
  market: [8, 20],
  office: [4, 12],
  hospital: [8, 20],
  school: [4, 10],
  beach: [6, 16],
};

/**
 * The Palu catalogue as the exact text committed in seeds/palu/city.json (2-space JSON, final newline).
 */
export function paluCatalogJson(seed = PALU_CATALOG_SEED): string {
  return `${JSON.stringify(paluCatalog(seed), null, 2)}\n`;
}

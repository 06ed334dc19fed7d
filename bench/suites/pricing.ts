/**
 * Pricing suites.
 *
 * `pricing`: bills the same stays under three tariffs — Palu's flat per-visit fee, an hourly tariff
 * and a Jakarta-style progressive tariff with day/night bands, grace, daily cap and rounding — with
 * the batch billing kernel (`billBatch`, typed arrays) and with the one-stay-at-a-time `quote` API a
 * caller without batches would use. Cases of one tariff must bill the stays they share identically, and every
 * timed run returns a checksum of those bills, checked against the reference.
 *
 * `pricing-controller`: one SFpark-style step-controller pass over 10,000 zones × 2 classes with
 * `controllerPass`, next to the object-per-slot loop a user would write; both must set the same
 * prices, and every timed pass must change the same slots.
 */
import { loadCity, VEHICLE_CODES, vehicleCode, vehicleName } from "../../src/catalog/index.js";
import { paluCatalog } from "../../src/generate/index.js";
import {
  billBatch,
  CONTROLLER_PARAM,
  CONTROLLER_RATIO,
  type ControllerArrays,
  compileTariffs,
  controllerPass,
  createControllerArrays,
  loadPolicy,
  quote,
  type TariffTable,
} from "../../src/pricing/index.js";
import { WasmBilling } from "../../src/pricing/wasm-billing.js";
import { kernelBuilt, SharedArena, wasmSupported } from "../../src/runtime/index.js";
import { createRng } from "../fixtures/prng.js";
import { BENCH_SEED, PALU_DAY_MS } from "../fixtures/workload.js";
import type { CaseSpec, Profile, SuiteDefinition } from "../harness.js";

/** Stays billed per operation, per profile. */
export const STAY_COUNTS: Readonly<Record<Profile, number>> = { full: 200_000, quick: 40_000, tiny: 300 };
/** Stays quoted one by one per operation (quote() is far slower, so it gets a prefix of the stays). */
export const QUOTE_COUNTS: Readonly<Record<Profile, number>> = { full: 20_000, quick: 2_000, tiny: 50 };
/** Zones × classes of the controller pass (the size in every profile but tiny). */
export const CONTROLLER_ZONES: Readonly<Record<Profile, number>> = { full: 10_000, quick: 10_000, tiny: 100 };

const HOUR_MS = 3_600_000;

/** Shared policy parts: IDR, rounding up to Rp500. */
function policy(id: string, tariffs: unknown[], bands: unknown[] = []): unknown {
  return { id, name: id, currency: "IDR", rounding: { stepMinor: 500, rule: "up" }, bands, tariffs };
}

/** The three benchmark tariffs as policy documents. */
export const TARIFFS = {
  /** Palu: Rp2,000 per motorcycle visit, Rp4,000 per car visit. */
  flat: policy("flat", [
    { id: "moto", vehicleTypes: ["motorcycle"], rates: [{ perVisitMinor: 2000 }] },
    { id: "car", vehicleTypes: ["car", "three_wheeler", "heavy"], rates: [{ perVisitMinor: 4000 }] },
  ]),
  /** Per started hour. */
  hourly: policy("hourly", [
    {
      id: "moto",
      vehicleTypes: ["motorcycle"],
      rates: [{ tiers: [{ fromMinutes: 0, unitMinutes: 60, amountMinor: 2000 }] }],
    },
    {
      id: "car",
      vehicleTypes: ["car", "three_wheeler", "heavy"],
      rates: [{ tiers: [{ fromMinutes: 0, unitMinutes: 60, amountMinor: 5000 }] }],
    },
  ]),
  /** Jakarta-style: progressive hourly tiers by day, cheaper flat-ish nights, 5 min grace, daily cap. */
  progressive: policy(
    "progressive",
    [
      {
        id: "moto",
        vehicleTypes: ["motorcycle"],
        graceMinutes: 5,
        dailyCapMinor: 20_000,
        rates: [
          {
            band: "day",
            tiers: [
              { fromMinutes: 0, unitMinutes: 60, amountMinor: 2000 },
              { fromMinutes: 60, unitMinutes: 60, amountMinor: 3000 },
              { fromMinutes: 180, unitMinutes: 60, amountMinor: 4000 },
            ],
          },
          { band: "night", tiers: [{ fromMinutes: 0, unitMinutes: 120, amountMinor: 1000 }] },
        ],
      },
      {
        id: "car",
        vehicleTypes: ["car", "three_wheeler", "heavy"],
        graceMinutes: 5,
        dailyCapMinor: 90_000,
        rates: [
          {
            band: "day",
            tiers: [
              { fromMinutes: 0, unitMinutes: 60, amountMinor: 5000 },
              { fromMinutes: 60, unitMinutes: 60, amountMinor: 7000 },
              { fromMinutes: 180, unitMinutes: 30, amountMinor: 6000 },
            ],
          },
          { band: "night", tiers: [{ fromMinutes: 0, unitMinutes: 60, amountMinor: 2000 }] },
        ],
      },
    ],
    [
      { id: "day", timeOfDayStart: "07:00", timeOfDayEnd: "22:00" },
      { id: "night", timeOfDayStart: "22:00", timeOfDayEnd: "07:00" },
    ],
  ),
} as const;

/** Names of the benchmark tariffs. */
export type TariffName = keyof typeof TARIFFS;

/** Stays as parallel typed arrays over a city. */
export interface Stays {
  readonly startsMs: Float64Array;
  readonly endsMs: Float64Array;
  readonly zones: Uint32Array;
  readonly vehicles: Uint8Array;
}

/**
 * Seeded stays over the Palu catalogue's zones: arrivals spread over one week from 2026-11-30 local
 * midnight, stays from 1 min to about 12 h (most under 2 h), motorcycles and cars where the zone has
 * capacity for them.
 */
export function synthStays(count: number, seed: number, zoneCount: number, capacity: Uint32Array): Stays {
  const rng = createRng(seed);
  const stays: Stays = {
    startsMs: new Float64Array(count),
    endsMs: new Float64Array(count),
    zones: new Uint32Array(count),
    vehicles: new Uint8Array(count),
  };
  const moto = vehicleCode("motorcycle");
  const car = vehicleCode("car");
  for (let i = 0; i < count; i++) {
    const zone = rng.int(zoneCount);
    let code = rng.next() < 0.75 ? moto : car;
    if (capacity[zone * VEHICLE_CODES + code] === 0) code = code === moto ? car : moto;
    const start = PALU_DAY_MS + Math.floor(rng.next() * 7 * 24 * HOUR_MS);
    // Exponential stays (mean 50 min), at least 1 min, at most 12 h.
    const dwell = Math.min(12 * HOUR_MS, 60_000 + Math.floor(-Math.log(1 - rng.next()) * 50 * 60_000));
    stays.startsMs[i] = start;
    stays.endsMs[i] = start + dwell;
    stays.zones[i] = zone;
    stays.vehicles[i] = code;
  }
  return stays;
}

/** What every pricing run is checked by: the stays compared (the first quotedStays) and a checksum of their bills. */
export interface BillsCheck {
  readonly stays: number;
  readonly checksum: number;
}

/** The check of the first `m` bills (position-weighted sum of integer amounts: exact in doubles). */
export function billsCheck(bills: Float64Array, m: number): BillsCheck {
  let sum = 0;
  for (let i = 0; i < m; i++) sum += bills[i]! * ((i % 7) + 1);
  return { stays: m, checksum: sum };
}

/** Bills the first `out.length` stays with one quote() each. */
function billWithQuotes(table: TariffTable, stays: Stays, out: Float64Array): Float64Array {
  const zones = table.city.zones;
  for (let i = 0; i < out.length; i++) {
    out[i] = quote(table, {
      zone: zones[stays.zones[i]!]!.id,
      vehicleType: vehicleName(stays.vehicles[i]!),
      startMs: stays.startsMs[i]!,
      endMs: stays.endsMs[i]!,
    }).amount;
  }
  return out;
}

/** The `pricing` suite. Baseline `flat-js`; cases of one tariff are checked against each other. */
export const pricingSuite: SuiteDefinition = {
  name: "pricing",
  summary: "quotes/s: billBatch (JS, wasm) vs one quote() per stay, flat / hourly / progressive tariffs",
  build({ profile }) {
    const city = loadCity(paluCatalog());
    const n = STAY_COUNTS[profile];
    const m = QUOTE_COUNTS[profile];
    const stays = synthStays(n, BENCH_SEED, city.zoneCount, city.capacity);
    const cases: CaseSpec[] = [];
    const wasm = wasmSupported() && kernelBuilt("billing");
    // One shared memory for the wasm cases: every tariff's table plus its own rows (filled once).
    const arena = wasm ? new SharedArena({ initialBytes: 64 * n + (4 << 20) }) : null;
    for (const name of Object.keys(TARIFFS) as TariffName[]) {
      const table = compileTariffs(city, loadPolicy(TARIFFS[name]));
      const out = new Float64Array(n);
      const batch = () => {
        billBatch(table, stays.startsMs, stays.endsMs, stays.zones, stays.vehicles, out);
        return out;
      };
      const quotes = new Float64Array(m);
      cases.push(
        {
          name: `${name}-js`,
          eventsPerOp: n,
          group: name,
          extra: { note: "billBatch over typed arrays (quotes = stays billed)" },
          fn: () => billsCheck(batch(), m),
          // Compared on the stays both cases bill.
          result: () => Float64Array.from(batch().subarray(0, m)),
        },
        {
          name: `${name}-quote`,
          eventsPerOp: m,
          group: name,
          extra: { note: "quote() per stay (first quotedStays stays): validation, breakdown lines" },
          fn: () => billsCheck(billWithQuotes(table, stays, quotes), m),
          result: () => Float64Array.from(billWithQuotes(table, stays, quotes)),
        },
      );
      if (arena !== null) {
        const billing = new WasmBilling(arena, compileTariffs(city, loadPolicy(TARIFFS[name])));
        const rows = billing.rows(n);
        rows.startsMs.set(stays.startsMs);
        rows.endsMs.set(stays.endsMs);
        rows.zones.set(stays.zones);
        rows.vehicles.set(stays.vehicles);
        const run = () => {
          billing.billBatch(rows.startsMs, rows.endsMs, rows.zones, rows.vehicles, rows.out);
          return rows.out;
        };
        cases.push({
          name: `${name}-wasm`,
          eventsPerOp: n,
          group: name,
          extra: { note: "runtime WasmBilling, rows already in shared memory (zero copy)" },
          fn: () => billsCheck(run(), m),
          result: () => Float64Array.from(run().subarray(0, m)),
        });
      }
    }
    return {
      name: "pricing",
      workload: {
        description:
          "Seeded stays over the Palu catalogue's zones (one week, exponential stays of mean 50 min), billed in IDR with rounding to Rp500",
        seed: BENCH_SEED,
        sizes: { stays: n, quotedStays: m, zones: city.zoneCount },
      },
      baseline: "flat-js",
      digest: (bills) => billsCheck(bills as Float64Array, m),
      cases,
    };
  },
};

/** SFpark-style step rule in IDR: +Rp500 at ≥ 80 % (4/5), −Rp500 below 60 % (3/5), Rp1,000–20,000, step 500. */
const STEP = {
  lower: [3, 5] as const,
  upper: [4, 5] as const,
  stepMinor: 500,
  loMinor: 1000,
  hiMinor: 20_000,
  roundStep: 500,
} as const;

/** Period inputs of one controller pass: what the occupancy windows accumulated per slot (bay-ms). */
interface PeriodInputs {
  readonly occMs: Float64Array;
  readonly knownOccMs: Float64Array;
  readonly knownMs: Float64Array;
  readonly capacityMs: Float64Array;
  readonly price: Int32Array;
}

function periodInputs(slots: number, seed: number): PeriodInputs {
  const rng = createRng(seed);
  const p: PeriodInputs = {
    occMs: new Float64Array(slots),
    knownOccMs: new Float64Array(slots),
    knownMs: new Float64Array(slots),
    capacityMs: new Float64Array(slots),
    price: new Int32Array(slots),
  };
  const periodMs = 3 * HOUR_MS;
  for (let i = 0; i < slots; i++) {
    const capacity = 1 + rng.int(20);
    const known = Math.round((0.5 + 0.5 * rng.next()) * capacity * periodMs);
    p.capacityMs[i] = capacity * periodMs;
    p.knownMs[i] = known;
    p.knownOccMs[i] = rng.next() < 0.05 ? 0 : known; // 5 % of slots saw no usable window
    p.occMs[i] = Math.round(rng.next() * p.knownOccMs[i]!);
    p.price[i] = STEP.loMinor + STEP.roundStep * rng.int((STEP.hiMinor - STEP.loMinor) / STEP.roundStep + 1);
  }
  return p;
}

function resetArrays(a: ControllerArrays, p: PeriodInputs): void {
  a.occMs.set(p.occMs);
  a.knownOccMs.set(p.knownOccMs);
  a.knownMs.set(p.knownMs);
  a.capacityMs.set(p.capacityMs);
  a.price.set(p.price);
  a.lastChangeMs.fill(Number.NEGATIVE_INFINITY);
}

/** What every controller run is checked by: prices changed and a checksum of the changed slots. */
interface ChangedCheck {
  readonly changed: number;
  readonly checksum: number;
}

/** One slot as a user would model it without typed arrays. */
interface SlotObject {
  occMs: number;
  knownOccMs: number;
  knownMs: number;
  capacityMs: number;
  price: number;
  lastChangeMs: number;
}

function objectPass(slots: SlotObject[], effectiveMs: number, changed: number[]): number[] {
  changed.length = 0;
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    const w = s.knownOccMs;
    const occSum = s.occMs;
    s.occMs = 0;
    s.knownOccMs = 0;
    s.knownMs = 0;
    s.capacityMs = 0;
    if (!(w > 0)) continue;
    // Exact as the engine: occ/w ≥ n/d ⇔ occ·d ≥ n·w (products below 2^53 here).
    let next = s.price;
    if (occSum * STEP.upper[1] >= STEP.upper[0] * w) next += STEP.stepMinor;
    else if (occSum * STEP.lower[1] < STEP.lower[0] * w) next -= STEP.stepMinor;
    next = Math.max(STEP.loMinor, Math.min(STEP.hiMinor, next));
    if (next !== s.price) {
      s.price = next;
      s.lastChangeMs = effectiveMs;
      changed.push(i);
    }
  }
  return changed;
}

/** The `pricing-controller` suite. Baseline `js` (controllerPass). */
export const pricingControllerSuite: SuiteDefinition = {
  name: "pricing-controller",
  summary: "one step-controller pass over 10,000 zones × 2 classes: controllerPass vs objects per slot",
  build({ profile }) {
    const slots = CONTROLLER_ZONES[profile] * 2;
    const inputs = periodInputs(slots, BENCH_SEED);
    const a = createControllerArrays(slots, 1);
    const P = CONTROLLER_PARAM;
    const R = CONTROLLER_RATIO;
    a.ratios.set(STEP.lower, R.lower);
    a.ratios.set(STEP.upper, R.upper);
    a.ratios.set([-1, 1], R.lower2);
    a.ratios.set([2, 1], R.upper2);
    a.ratios.set([0, 1], R.minCoverage);
    a.params[P.step] = STEP.stepMinor;
    a.params[P.step2] = 0;
    a.params[P.minIntervalMs] = 0;
    a.params[P.roundStep] = STEP.roundStep;
    a.params[P.type] = 0;
    a.lo.fill(STEP.loMinor);
    a.hi.fill(STEP.hiMinor);
    a.base.set(inputs.price);
    const outIdx = new Uint32Array(slots);
    const effectiveMs = PALU_DAY_MS + 12 * HOUR_MS;
    const runArrays = () => {
      resetArrays(a, inputs);
      return controllerPass(a, 0, slots, effectiveMs, outIdx);
    };
    // What every run returns: how many prices changed and a checksum of which (O(changed), inside the timing).
    const changedCheck = (count: number, at: (i: number) => number): ChangedCheck => {
      let sum = 0;
      for (let i = 0; i < count; i++) sum += at(i) * ((i % 7) + 1);
      return { changed: count, checksum: sum };
    };
    const objects: SlotObject[] = [];
    for (let i = 0; i < slots; i++)
      objects.push({ occMs: 0, knownOccMs: 0, knownMs: 0, capacityMs: 0, price: 0, lastChangeMs: 0 });
    const changed: number[] = [];
    const runObjects = () => {
      for (let i = 0; i < slots; i++) {
        const o = objects[i]!;
        o.occMs = inputs.occMs[i]!;
        o.knownOccMs = inputs.knownOccMs[i]!;
        o.knownMs = inputs.knownMs[i]!;
        o.capacityMs = inputs.capacityMs[i]!;
        o.price = inputs.price[i]!;
        o.lastChangeMs = Number.NEGATIVE_INFINITY;
      }
      return objectPass(objects, effectiveMs, changed);
    };
    const cases: CaseSpec[] = [
      {
        name: "js",
        eventsPerOp: slots,
        extra: { note: "controllerPass over typed arrays (includes re-loading the period's inputs)" },
        fn: () => changedCheck(runArrays(), (i) => outIdx[i]!),
        result: () => {
          const count = runArrays();
          return { changed: Array.from(outIdx.subarray(0, count)), prices: Array.from(a.price) };
        },
      },
      {
        name: "plain-objects",
        eventsPerOp: slots,
        extra: { note: "hand-written loop over one object per slot (same inputs re-loaded)" },
        fn: () => {
          const list = runObjects();
          return changedCheck(list.length, (i) => list[i]!);
        },
        result: () => {
          const list = [...runObjects()];
          return { changed: list, prices: objects.map((o) => o.price) };
        },
      },
    ];
    return {
      name: "pricing-controller",
      workload: {
        description:
          "Seeded per-slot occupied/known bay-ms sums of one 3 h period; SFpark-style step rule in IDR",
        seed: BENCH_SEED,
        sizes: { zones: slots / 2, classes: 2, slots },
      },
      baseline: "js",
      digest: (r) => {
        const { changed } = r as { changed: number[] };
        return changedCheck(changed.length, (i) => changed[i]!);
      },
      cases,
    };
  },
};

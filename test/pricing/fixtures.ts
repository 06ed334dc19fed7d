/** Tiny cities and policies for pricing tests (no dependency on the Palu seed). */
import { type City, loadCity } from "../../src/catalog/index.js";
import { ParkirConfigError } from "../../src/errors/index.js";
import { compileTariffs, loadPolicy, type TariffTable } from "../../src/pricing/index.js";

/** A city with three zones: A1 (class A, bay sensors), A2 (class A), B1 (class B); `cars` car bays each. */
export function pricingCity(timeZone = "Asia/Makassar", currency = "IDR", cars = 4): City {
  const zone = (id: string, zoneClass: string, sensors: boolean) => ({
    id,
    name: id,
    location: { lat: -0.89, lon: 119.86 },
    street: "on",
    zoneClass,
    detection: sensors ? ["baySensors"] : ["attendantCounts"],
    capacity: { motorcycle: 20, car: cars },
    bays: sensors
      ? [1, 2, 3, 4].map((i) => ({ id: `${id}-B${i}`, vehicleType: "car", sensorId: `${id}-S${i}` }))
      : [],
  });
  return loadCity({
    id: cars === 4 ? "pricing-test" : `pricing-test-${cars}`,
    name: "Pricing test",
    timeZone,
    currency,
    synthetic: true,
    zones: [zone("A1", "A", true), zone("A2", "A", false), zone("B1", "B", false)],
  });
}

/** A base policy document; tests override parts of it. */
export function basePolicy(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: "test",
    name: "Test policy",
    currency: "IDR",
    rounding: { stepMinor: 500, rule: "up" },
    tariffs: [
      {
        id: "moto",
        vehicleTypes: ["motorcycle"],
        rates: [{ perVisitMinor: 2000 }],
      },
      {
        id: "car",
        vehicleTypes: ["car"],
        rates: [{ perVisitMinor: 4000 }],
      },
    ],
    ...over,
  };
}

/** ms of a local ISO time. */
export const at = (iso: string): number => Date.parse(iso);

/** Compiles a policy document (base + overrides) against a city. */
export function tableOf(
  over: Record<string, unknown>,
  city: City = pricingCity(),
  variant?: string,
): TariffTable {
  return compileTariffs(city, loadPolicy(basePolicy(over), variant === undefined ? {} : { variant }));
}

/** The issues of the ParkirConfigError `fn` throws (fails when it does not throw one). */
export function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ParkirConfigError) return [...e.issues];
    throw e;
  }
  throw new Error("expected a ParkirConfigError");
}

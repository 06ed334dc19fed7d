/** Every benchmark suite, in the order `npm run bench` runs them (limit first: others are reported against it). */
import type { SuiteDefinition } from "../harness.js";
import { e2eSuite } from "./e2e.js";
import { engineSuite } from "./engine.js";
import { footprintSuite } from "./footprint.js";
import { gatewaySuite } from "./gateway.js";
import { limitSuite } from "./limit.js";
import { natsSuite } from "./nats.js";
import { occupancySuite } from "./occupancy.js";
import { pricingControllerSuite, pricingSuite } from "./pricing.js";
import { wasmBillingSuite, wasmMemreadSuite, wasmOccupancySuite, wasmWorkersSuite } from "./runtime.js";
import { uplinksSuite } from "./uplinks.js";
import { windowCloseSuite } from "./window.js";
import { wireEncodeSuite, wireSuite } from "./wire.js";

/** All suites in run order. */
export const SUITES: readonly SuiteDefinition[] = [
  limitSuite,
  wasmMemreadSuite,
  wasmBillingSuite,
  wireSuite,
  wireEncodeSuite,
  occupancySuite,
  wasmOccupancySuite,
  windowCloseSuite,
  engineSuite,
  e2eSuite,
  uplinksSuite,
  wasmWorkersSuite,
  pricingSuite,
  pricingControllerSuite,
  footprintSuite,
  gatewaySuite,
  natsSuite,
];

export {
  e2eSuite,
  engineSuite,
  footprintSuite,
  gatewaySuite,
  limitSuite,
  natsSuite,
  occupancySuite,
  pricingControllerSuite,
  pricingSuite,
  uplinksSuite,
  wasmBillingSuite,
  wasmMemreadSuite,
  wasmOccupancySuite,
  wasmWorkersSuite,
  windowCloseSuite,
  wireEncodeSuite,
  wireSuite,
};

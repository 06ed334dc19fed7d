/**
 * parkir: real-time parking occupancy and demand-responsive tariffs from parking-sensor events.
 * This file re-exports the public API and nothing else.
 */
export * from "./catalog/index.js";
export * from "./errors/index.js";
export * from "./gateway/index.js";
export * from "./generate/index.js";
export * from "./occupancy/index.js";
export { packageRoot, packageVersion, seedPath } from "./paths.js";
export * from "./pricing/index.js";
export * from "./runtime/index.js";
export * from "./wire/index.js";

/**
 * parkir: real-time parking occupancy and demand-responsive tariffs from parking-sensor events.
 * This file re-exports the public API and nothing else. Scale-out on NATS JetStream is its own entry,
 * `parkir/scale`, so that importing `parkir` loads (and type-checks) none of the NATS client.
 */
export * from "./catalog/index.js";
export * from "./errors/index.js";
export * from "./gateway/index.js";
export * from "./generate/index.js";
export * from "./occupancy/index.js";
export * from "./opendata/index.js";
export { packageRoot, packageVersion, seedPath } from "./paths.js";
export * from "./pricing/index.js";
export * from "./report/index.js";
export * from "./runtime/index.js";
export * from "./wire/index.js";

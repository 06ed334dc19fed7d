/** Synthetic data: the Palu seed catalogue and deterministic event traces with realistic faults. */
export { arrivalRates, DEMAND, type DemandProfile, meanDwellMs, targetOccupancy } from "./demand.js";
export { type LocalSlots, localSlots } from "./local-time.js";
export {
  DEFAULT_FAULTS,
  type FaultOptions,
  NO_FAULTS,
  type ResolvedTraceOptions,
  resolveTraceOptions,
  TRACE_HOURS_MAX,
  type TraceOptions,
} from "./options.js";
export {
  onPaluLand,
  PALU_CATALOG_SEED,
  PALU_STREETS,
  paluCatalog,
  paluCatalogJson,
  paluDevEui,
  paluSensorModel,
} from "./palu-catalog.js";
export { Prng } from "./prng.js";
export { generateTrace, TraceReport } from "./trace.js";
export { ZONE_KIND_LABELS, ZONE_KINDS, type ZoneKind, zoneKindOf } from "./zone-kinds.js";

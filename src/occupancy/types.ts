/**
 * Output records of the occupancy engine. These shapes are a public contract: the replay CLI prints
 * them as JSON Lines and the pricing controllers consume them.
 */
import type { DetectionName } from "../catalog/city.js";
import type { VehicleType } from "../catalog/vehicles.js";

/** Occupancy of one zone and vehicle class over one closed tumbling window. */
export interface WindowRecord {
  readonly type: "occupancy";
  /** Zone id. */
  readonly zone: string;
  /** Vehicle class. */
  readonly vehicleType: VehicleType;
  /** Window start, ms since the epoch (inclusive; aligned to the epoch). */
  readonly windowStart: number;
  /** Window end, ms since the epoch (exclusive). */
  readonly windowEnd: number;
  /** Occupied-bay-ms / known-bay-ms in [0, 1]; null when coverage is below the minimum. */
  readonly occupancy: number | null;
  /** Known-bay-ms / (capacity × window length) in [0, 1]. */
  readonly coverage: number;
  /** park_start events whose event time falls in the window. */
  readonly arrivals: number;
  /** park_end events whose event time falls in the window. */
  readonly departures: number;
  /** Most bays occupied at once during the window. */
  readonly peakOccupied: number;
  /** Mean length of stays that ended in the window and whose start is known; null when none. */
  readonly meanDwellMs: number | null;
  /** How the figure was observed (FIWARE occupancyDetectionType). */
  readonly detection: DetectionName;
  /** Confidence in [0, 1]: 1 for sensed bays, decaying with the age of an attendant count. */
  readonly confidence: number;
}

/** All records of one closed window (every zone and class), emitted together. */
export interface WindowBatch {
  /** Window start, ms since the epoch. */
  readonly windowStart: number;
  /** Window end, ms since the epoch. */
  readonly windowEnd: number;
  /** Rows ordered by zone index, then vehicle class code. */
  readonly records: readonly WindowRecord[];
  /**
   * The same rows as typed-array columns (row i of every column is records[i]). Present on batches from the
   * engine, where `records` is built lazily from them on first access: read the columns on hot paths.
   */
  readonly columns?: WindowColumns;
  /**
   * Indices of the rows (of `records` and `columns`), ascending, whose figures differ from the previous window's
   * (any column; NaN equals NaN) or that counted arrivals or departures; every row in the first window an engine
   * closes (also after a restore). Every row not listed has exactly the previous window's figures, so a consumer
   * can publish only what changed, or sum arrivals and departures over these rows alone. Present on batches from
   * the occupancy engines (single and sharded), valid as long as `columns` (see reuseWindowBuffers).
   */
  readonly changedRows?: Uint32Array;
}

/**
 * The rows of one closed window as columns. Nullable figures are NaN where the record has null.
 * Row order: zone index, then vehicle class code; only zone-classes with capacity > 0 have a row.
 * Read-only: `zone`, `vehicle` and `capacity` are the same arrays in every window of one engine, and with
 * reuseWindowBuffers the engine writes only the changed rows into a reused set.
 */
export interface WindowColumns {
  /** Number of rows. */
  readonly length: number;
  /** Dense zone index (the record's `zone` is `city.zones[zone].id`). */
  readonly zone: Uint32Array;
  /** Vehicle class code. */
  readonly vehicle: Uint8Array;
  /** Occupied-bay-ms / known-bay-ms; NaN when coverage is below the minimum or nothing was known. */
  readonly occupancy: Float64Array;
  /** Known-bay-ms / (capacity × window length). */
  readonly coverage: Float64Array;
  /** Arrivals counted in the window. */
  readonly arrivals: Uint32Array;
  /** Departures counted in the window. */
  readonly departures: Uint32Array;
  /** Most vehicles present at once. */
  readonly peakOccupied: Uint32Array;
  /** Mean dwell of stays that ended in the window with a known start, rounded to ms; NaN when none. */
  readonly meanDwellMs: Float64Array;
  /** Detection method used (DETECTION code). */
  readonly detection: Uint8Array;
  /** Confidence in [0, 1]. */
  readonly confidence: Float64Array;
  /** Capacity of the zone and class. */
  readonly capacity: Uint32Array;
  /** Occupied-bay-ms integrated over the window (exact integer). */
  readonly occupiedBayMs: Float64Array;
  /** Known-bay-ms integrated over the window (exact integer). */
  readonly knownBayMs: Float64Array;
  /** Vehicles the gate balance had to clamp away in the window (balancing rows; 0 elsewhere). */
  readonly driftVehicles: Float64Array;
}

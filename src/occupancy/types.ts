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
}

/**
 * Demand-responsive pricing programmes as published, for `"preset"` in a policy controller. Money is
 * in the programme's own minor units (US or Canadian cents, per hour); a policy scales it to its own
 * currency with the controller's explicit `scale` field (policy minor units per preset minor unit)
 * and rounds to its step. Facts from the project's design notes (DESIGN.md §4); values marked
 * "assumed" are not in those notes and should be checked before being quoted as the city's own.
 */

/** A step-controller preset: occupancy band, step, bounds and cadence. */
export interface StepPreset {
  /** Programme name. */
  readonly name: string;
  /** Currency of the money fields (minor units per hour). */
  readonly currency: "USD" | "CAD";
  /** Below this mean occupancy the price goes down. */
  readonly lower: number;
  /** At or above this mean occupancy the price goes up. */
  readonly upper: number;
  /** Price change per decision, preset minor units. */
  readonly stepMinor: number;
  /** Lowest price, preset minor units. */
  readonly minMinor: number;
  /** Highest price, preset minor units. */
  readonly maxMinor: number;
  /** Length of the occupancy period each decision looks at. */
  readonly every: string;
  /** Shortest time between two changes of one price. */
  readonly minInterval: string;
  /** Where each value comes from. */
  readonly source: string;
}

/**
 * San Francisco SFpark (citywide since 2017): per block and time band, +$0.25 when occupancy
 * ≥ 80 %, −$0.25 below 60 %, hold between; rates between $0.50 and $10/h; at most one change per
 * 28 days (DESIGN.md §4).
 */
export const SFPARK: StepPreset = Object.freeze({
  name: "sfpark",
  currency: "USD",
  lower: 0.6,
  upper: 0.8,
  stepMinor: 25,
  minMinor: 50,
  maxMinor: 1000,
  every: "28d",
  minInterval: "28d",
  source: "DESIGN.md §4: SFpark ±$0.25 at 80 %/60 %, $0.50–$10/h, one change per 28 days",
});

/**
 * Seattle: target band 70–85 %, ±$0.50 steps, annual review (DESIGN.md §4). The $0.50–$5.00/h
 * bounds are assumed.
 */
export const SEATTLE: StepPreset = Object.freeze({
  name: "seattle",
  currency: "USD",
  lower: 0.7,
  upper: 0.85,
  stepMinor: 50,
  minMinor: 50,
  maxMinor: 500,
  every: "365d",
  minInterval: "365d",
  source: "DESIGN.md §4: Seattle 70–85 %, ±$0.50, annual review; bounds $0.50–$5.00 assumed",
});

/**
 * Los Angeles Express Park: $0.50–$6/h, 70–90 % target, changes every 4–6 weeks (DESIGN.md §4;
 * 4 weeks used). The $0.50 step is assumed.
 */
export const LOS_ANGELES: StepPreset = Object.freeze({
  name: "losAngeles",
  currency: "USD",
  lower: 0.7,
  upper: 0.9,
  stepMinor: 50,
  minMinor: 50,
  maxMinor: 600,
  every: "28d",
  minInterval: "28d",
  source: "DESIGN.md §4: LA Express Park $0.50–$6, 70–90 %, 4–6 week steps; $0.50 step assumed",
});

/**
 * Calgary: ±$0.25 at 80 % / 50 % (DESIGN.md §4); rates were frozen by policy in 2016, which is why
 * freezes exist. The quarterly cadence and the $1.00–$5.00/h bounds are assumed.
 */
export const CALGARY: StepPreset = Object.freeze({
  name: "calgary",
  currency: "CAD",
  lower: 0.5,
  upper: 0.8,
  stepMinor: 25,
  minMinor: 100,
  maxMinor: 500,
  every: "91d",
  minInterval: "91d",
  source: "DESIGN.md §4: Calgary ±$0.25 at 80 %/50 %; cadence and bounds assumed",
});

/** Every preset by the name used in policy documents. */
export const PRESETS: Readonly<Record<"sfpark" | "seattle" | "losAngeles" | "calgary", StepPreset>> =
  Object.freeze({ sfpark: SFPARK, seattle: SEATTLE, losAngeles: LOS_ANGELES, calgary: CALGARY });

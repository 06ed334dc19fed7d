/** Batch billing: many stays over typed arrays, the nightly-reconciliation hot path. */
import { type Issue, ParkirConfigError } from "../errors/index.js";
import { type BatchBillReport, billKernel } from "./kernel.js";
import type { PriceBook } from "./pricebook.js";
import type { Assurance } from "./quote.js";
import type { TariffTable } from "./table.js";

/** Options of `billBatch`. */
export interface BillBatchOptions {
  /** Price-assurance mode. Default "locked". */
  readonly assurance?: Assurance;
  /** Dynamic price history. Default: none (the published tariff). */
  readonly prices?: PriceBook | null;
}

/**
 * Bills stays given as parallel typed arrays: row i is vehicle code `vehicles[i]` (wire codes, see
 * VEHICLE_TYPES) in zone index `zones[i]` (the city's dense zone index) from `startsMs[i]` to
 * `endsMs[i]`. Writes each amount (minor units; -1 for an invalid row) to `out[i]`. Amounts equal
 * `quote(...).amount` for the same stay. No allocation per row; Intl is only called to extend the
 * table's timeline to new days.
 *
 * @throws ParkirConfigError when the arrays have different lengths or the price book was made for another table.
 * @example
 * const out = new Float64Array(n);
 * billBatch(table, starts, ends, zones, vehicles, out, { assurance: "locked" });
 */
export function billBatch(
  table: TariffTable,
  startsMs: Float64Array,
  endsMs: Float64Array,
  zones: Uint32Array,
  vehicles: Uint8Array,
  out: Float64Array | Int32Array,
  options: BillBatchOptions = {},
): BatchBillReport {
  checkBillBatch(table, startsMs, endsMs, zones, vehicles, out, options);
  const p = options.prices && options.prices.size > 0 ? options.prices.flatten() : null;
  return billKernel(
    table,
    p,
    startsMs,
    endsMs,
    zones,
    vehicles,
    out,
    (options.assurance ?? "locked") === "locked",
  );
}

/**
 * Checks the arguments of a batch billing call (every array as long as `startsMs`, a price book made for
 * this table); shared by billBatch and the wasm billing kernel so both refuse the same input.
 *
 * @throws ParkirConfigError listing every problem.
 */
export function checkBillBatch(
  table: TariffTable,
  startsMs: Float64Array,
  endsMs: Float64Array,
  zones: Uint32Array,
  vehicles: Uint8Array,
  out: Float64Array | Int32Array,
  options: BillBatchOptions,
): void {
  const n = startsMs.length;
  const issues: Issue[] = [];
  for (const [name, a] of [
    ["endsMs", endsMs],
    ["zones", zones],
    ["vehicles", vehicles],
    ["out", out],
  ] as const) {
    if (a.length !== n) issues.push({ path: name, message: `has ${a.length} rows; startsMs has ${n}` });
  }
  if (options.prices && options.prices.slots !== table.priceSlots)
    issues.push({
      path: "prices",
      message: `price book has ${options.prices.slots} slots; this table needs ${table.priceSlots}`,
    });
  if (issues.length > 0) throw new ParkirConfigError("billing batch", issues);
}

/**
 * What every benchmark does with the result of an ingest call: the batches it feeds are valid, so a batch
 * refused (or events refused by the clock-skew guard) means the run would time less work than it reports.
 */

/** The counts of an ingest result that mean "not all of this batch was taken in". */
interface Refusals {
  readonly rejected: number;
  readonly clockSkew: number;
  readonly error?: Error;
}

/**
 * Returns `result` unchanged; throws when it is an engine's ingest result that refused anything. Results of
 * peers that return nothing pass.
 *
 * @throws Error naming what was refused.
 */
export function admitted<T>(result: T): T {
  const r = result as Partial<Refusals> | undefined;
  if (
    r !== undefined &&
    r !== null &&
    typeof r === "object" &&
    ((r.rejected ?? 0) > 0 || (r.clockSkew ?? 0) > 0)
  ) {
    throw new Error(
      `a benchmark batch was refused: ${r.error?.message ?? `${r.clockSkew} events too far from the rest in time`}`,
    );
  }
  return result;
}

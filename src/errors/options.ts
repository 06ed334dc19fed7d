/** Checks of the numeric options public functions take (not part of the package's exports). */
import { ParkirConfigError } from "./index.js";

/**
 * `value` when it is a whole number in `[min, max]`, else a ParkirConfigError naming the option: the check every
 * numeric option of a public function gets at its boundary.
 *
 * @example wholeNumberOption("replay options", "batchEvents", options.batchEvents ?? 4096)
 * @throws ParkirConfigError `invalid <what>: <name>: must be a whole number from <min> to <max>, got <value>`
 */
export function wholeNumberOption(
  what: string,
  name: string,
  value: unknown,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= min && value <= max) return value;
  const shown = typeof value === "number" || typeof value === "string" ? JSON.stringify(value) : typeof value;
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
  throw new ParkirConfigError(what, [
    { path: name, message: `must be a whole number, ${range}; got ${shown}` },
  ]);
}

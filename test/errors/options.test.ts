import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ParkirConfigError, ParkirError } from "../../src/errors/index.js";
import { wholeNumberOption } from "../../src/errors/options.js";

describe("wholeNumberOption", () => {
  test("returns exactly the whole numbers in [min, max] and refuses everything else with a ParkirConfigError naming the option", () => {
    const value = fc.oneof(
      fc.integer({ min: -50, max: 50 }),
      fc.double({ noDefaultInfinity: false }),
      fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, -0, Number.NaN),
      fc.string(),
      fc.constantFrom(null, undefined, true, {}, [3], 5n),
    );
    fc.assert(
      fc.property(value, fc.integer({ min: -20, max: 20 }), fc.nat(30), (v, min, span) => {
        const max = min + span;
        const ok = typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max;
        if (ok) {
          expect(wholeNumberOption("test options", "n", v, min, max)).toBe(v);
          return;
        }
        try {
          wholeNumberOption("test options", "n", v, min, max);
          expect.unreachable(`accepted ${String(v)}`);
        } catch (e) {
          expect(e).toBeInstanceOf(ParkirConfigError);
          expect(e).toBeInstanceOf(ParkirError);
          const err = e as ParkirConfigError;
          expect(err.issues).toHaveLength(1);
          expect(err.issues[0]!.path).toBe("n");
          expect(err.message).toMatch(
            new RegExp(`^invalid test options: n: must be a whole number, from ${min} to ${max}; got `),
          );
        }
      }),
      { numRuns: 500 },
    );
  });

  test("without a maximum, says the least value", () => {
    expect(() => wholeNumberOption("reader options", "batchEvents", 0)).toThrow(
      "invalid reader options: batchEvents: must be a whole number, 1 or more; got 0",
    );
    expect(wholeNumberOption("reader options", "batchEvents", 4096)).toBe(4096);
  });
});

/**
 * The wasm JSON Lines scanner's two builds (SIMD and scalar) write the same records for the same bytes, and
 * every record marks its line's newline; which lines the reader's records vouch for is checked against
 * JSON.parse + encodeEventBatches in jsonl-parse.test.ts.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { simdSupported } from "../../src/runtime/wasm.js";
import { toJsonLines } from "../../src/wire/index.js";
import {
  REC_NL,
  REC_OK,
  REC_SEEN,
  REC_START,
  REC_STRIDE,
  WasmLineScanner,
  wasmScannerAvailable,
} from "../../src/wire/jsonl-wasm.js";
import { arbEvent } from "../helpers.js";

const enc = new TextEncoder();
const VEHICLES = ["car", "motorcycle", "2", "4"];

/** Lines of random events (valid, or with bytes spliced in anywhere), newline-terminated or not at the end. */
const input = fc
  .tuple(
    fc.array(arbEvent(), { maxLength: 20 }),
    fc.array(
      fc.tuple(fc.nat(), fc.constantFrom(0x22, 0x5c, 0x0a, 0x20, 0x09, 0x0d, 0x7f, 0xc3, 0x31, 0x7d)),
      {
        maxLength: 4,
      },
    ),
    fc.boolean(),
  )
  .map(([events, splices, cut]) => {
    const bytes = [...enc.encode(toJsonLines(events))];
    for (const [at, b] of splices) bytes.splice(at % (bytes.length + 1), 0, b);
    if (cut && bytes.length > 0) bytes.pop();
    return Uint8Array.from(bytes);
  });

describe.runIf(wasmScannerAvailable())("wasm JSON Lines scanner", () => {
  test("the SIMD build is chosen where SIMD runs; the scalar build on request", () => {
    expect(new WasmLineScanner(VEHICLES).variant).toBe(simdSupported() ? "jsonl_simd" : "jsonl");
    expect(new WasmLineScanner(VEHICLES, false).variant).toBe("jsonl");
  });

  test("SIMD and scalar builds write the same records; each ends at its line's newline", () => {
    const simd = new WasmLineScanner(VEHICLES);
    const scalar = new WasmLineScanner(VEHICLES, false);
    let vouched = 0;
    fc.assert(
      fc.property(input, fc.nat(), (bytes, from) => {
        const start = bytes.length === 0 ? 0 : from % bytes.length;
        const n = simd.scan(bytes, start);
        expect(scalar.scan(bytes, start)).toBe(n);
        const lines = bytes.subarray(start).reduce((c, b) => c + (b === 0x0a ? 1 : 0), 0);
        expect(n).toBe(lines);
        let at = 0;
        for (let r = 0; r < n; r++) {
          const a = simd.records.subarray(r * REC_STRIDE, (r + 1) * REC_STRIDE);
          const b = scalar.records.subarray(r * REC_STRIDE, (r + 1) * REC_STRIDE);
          expect(a[REC_START]).toBe(at);
          expect(bytes[start + a[REC_NL]!]).toBe(0x0a);
          expect(bytes.subarray(start + at, start + a[REC_NL]!).includes(0x0a)).toBe(false);
          expect(a[REC_OK]).toBe(b[REC_OK]);
          if (a[REC_OK] === 1) {
            vouched++;
            expect(a[REC_SEEN]).toBe(b[REC_SEEN]);
            expect([...a]).toEqual([...b]);
          }
          at = a[REC_NL]! + 1;
        }
      }),
      { numRuns: 300 },
    );
    expect(vouched).toBeGreaterThan(100);
  });
});

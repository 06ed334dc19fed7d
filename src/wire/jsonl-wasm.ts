/**
 * The wasm JSON Lines scanner (wasm/jsonl.ts) from the reader's side: a memory of its own holding the token
 * tables (keys, event types, vehicle names, laid out once here), a window of input bytes and one record per
 * line. `scan` copies the bytes once, the kernel reads every complete line of them and writes its record; the
 * reader (jsonl-parse.ts) takes each vouched record as its fast path would have read the line, and reads every
 * other line itself.
 */
import {
  compileKernelSync,
  instantiateKernel,
  kernelBuilt,
  simdSupported,
  wasmSupported,
} from "../runtime/wasm.js";
import { EVENT_KEYS } from "./jsonl.js";
import { EVENT_TYPES } from "./kinds.js";

/** Record layout, in i32 slots (the same numbers as wasm/jsonl.ts). */
export const REC_STRIDE = 32;
export const REC_START = 0;
export const REC_NL = 1;
export const REC_OK = 2;
export const REC_SEEN = 3;
export const REC_KIND = 4;
export const REC_VEHICLE = 5;
export const REC_OCCUPIED = 6;
export const REC_SEQ = 7;
export const REC_COUNT = 8;
export const REC_COST = 9;
export const REC_ID = 10;
export const REC_ZONE = 12;
export const REC_SPACE = 14;
export const REC_DEVICE = 16;
export const REC_SESSION = 18;
export const REC_ZONE_HASH = 20;
export const REC_SPACE_HASH = 21;
export const REC_DEVICE_HASH = 22;
export const REC_ID_FNV = 23;
export const REC_SESSION_FNV = 24;
/** The f64 time sits at i32 slot 26 (f64 index 13 of a record). */
export const REC_TIME_F64 = 13;

/** Bytes of input the kernel reads per call. */
export const SCAN_INPUT_BYTES = 1 << 20;
/** Records per call. */
export const SCAN_RECORDS_MAX = 8192;

const TABLES_BYTES = 4096;
const INPUT_AT = TABLES_BYTES;
const RECORDS_AT = INPUT_AT + SCAN_INPUT_BYTES + 64;
const MEMORY_BYTES = RECORDS_AT + SCAN_RECORDS_MAX * REC_STRIDE * 4;

interface Exports {
  scanLines(
    input: number,
    length: number,
    records: number,
    max: number,
    keys: number,
    types: number,
    vehicles: number,
    follow: number,
  ): number;
}

/** Whether the scanner can run here (shared-memory wasm and build/jsonl.wasm present). */
export function wasmScannerAvailable(): boolean {
  return wasmSupported() && kernelBuilt("jsonl");
}

/** One reader's scanner: its own small memory (~2.1 MiB) and kernel instance. */
export class WasmLineScanner {
  /** The records of the last scan (i32 slots; REC_*). */
  readonly records: Int32Array;
  /** The same records as f64 (the time at REC_TIME_F64). */
  readonly times: Float64Array;
  /** Which build runs: "jsonl_simd" where the engine validates SIMD, else the scalar "jsonl". */
  readonly variant: "jsonl" | "jsonl_simd";
  private readonly bytes: Uint8Array;
  private readonly kernel: Exports;
  private readonly keys: number;
  private readonly types: number;
  private readonly vehicles: number;
  private readonly follow: number;

  /**
   * @param vehicleNames Vehicle names in the order whose index the records hold.
   * @param simd Use the SIMD build where it runs (default true; false: the scalar build).
   */
  constructor(vehicleNames: readonly string[], simd = true) {
    const pages = Math.ceil(MEMORY_BYTES / 65_536);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    this.variant = simd && simdSupported() && kernelBuilt("jsonl_simd") ? "jsonl_simd" : "jsonl";
    this.kernel = instantiateKernel<Exports>(compileKernelSync(this.variant), memory);
    this.bytes = new Uint8Array(memory.buffer);
    this.records = new Int32Array(memory.buffer, RECORDS_AT, SCAN_RECORDS_MAX * REC_STRIDE);
    this.times = new Float64Array(memory.buffer, RECORDS_AT, (SCAN_RECORDS_MAX * REC_STRIDE) / 2);
    let at = 0;
    const table = (names: readonly string[]): number => {
      const head = at;
      const dv = new DataView(memory.buffer);
      dv.setInt32(head, names.length, true);
      at = head + 4 + names.length * 8;
      names.forEach((name, t) => {
        dv.setInt32(head + 4 + t * 8, at, true);
        dv.setInt32(head + 8 + t * 8, name.length, true);
        for (let i = 0; i < name.length; i++) this.bytes[at++] = name.charCodeAt(i);
      });
      at = (at + 7) & ~7;
      if (at > TABLES_BYTES) throw new RangeError("jsonl scanner: token tables too large");
      return head;
    };
    this.keys = table(EVENT_KEYS);
    this.types = table(EVENT_TYPES);
    this.vehicles = table(vehicleNames);
    // Guesses: each key's successor on the line before (EVENT_KEYS order to start), the first key, the last type.
    this.follow = at;
    for (let k = 0; k < EVENT_KEYS.length; k++) this.bytes[at + k] = (k + 1) % EVENT_KEYS.length;
    this.bytes[at + EVENT_KEYS.length] = 0;
    this.bytes[at + EVENT_KEYS.length + 1] = 0;
    if (at + 16 > TABLES_BYTES) throw new RangeError("jsonl scanner: token tables too large");
  }

  /**
   * Copies `buf[start, …)` (at most SCAN_INPUT_BYTES) into the kernel's memory and scans its complete lines:
   * the number of records written (0 when no newline is in the window). Offsets in records are from `start`.
   */
  scan(buf: Uint8Array, start: number): number {
    const n = Math.min(buf.length - start, SCAN_INPUT_BYTES);
    if (n <= 0) return 0;
    // Source and copy share their alignment mod 8, so the copy into shared memory runs word by word.
    const at = INPUT_AT + ((buf.byteOffset + start) & 7);
    this.bytes.set(buf.subarray(start, start + n), at);
    return this.kernel.scanLines(
      at,
      n,
      RECORDS_AT,
      SCAN_RECORDS_MAX,
      this.keys,
      this.types,
      this.vehicles,
      this.follow,
    );
  }
}

/**
 * The uplink scanner in WebAssembly (`wasm/uplink_simd.ts`): the JavaScript scanner of `uplink-scan.ts`, the
 * reference, ported to AssemblyScript with strings skipped 16 bytes at a time by 128-bit SIMD. It accepts the
 * same messages and finds the same fields; where it cannot run (no WebAssembly SIMD or shared memory, the kernel
 * not built, a message longer than UPLINK_WASM_MESSAGE_MAX) the JavaScript scanner reads the message.
 *
 * The kernel runs in a memory of its own, one per thread (three 64 KiB pages): the field names and their table at
 * fixed places, written once, then each message, copied in, with the results before it; the third page keeps the
 * objects it skipped last, by member, so the same bytes in the next message are skipped in one compare. Positions
 * it reports are the same in the caller's bytes, which the rest of the path (EUI lookup, time, payload) reads.
 */
import { isUtf8 } from "node:buffer";
import { NONE } from "../catalog/index.js";
import { defaultKernel } from "../runtime/kernel.js";
import { compileKernelSync, instantiateKernel, kernelBuilt, simdSupported } from "../runtime/wasm.js";
import type { EuiIndex } from "./eui-index.js";
import { type ScannedUplink, scanUplinkBytes } from "./uplink-scan.js";

/** Where things are in the kernel's memory (keep in step with wasm/uplink_simd.ts; a test compares them). */
export const UPLINK_WASM_LAYOUT = { KEYS: 0, FIELDS: 512, OUT: 3584, MSG: 3712, MEMO: 131072 } as const;

/** The kinds of object the kernel reads fields of (TTS_TOP... in wasm/uplink_simd.ts, uplink-scan.ts's). */
export const UPLINK_WASM_LEVELS = {
  TTS_TOP: 0,
  TTS_IDS: 1,
  TTS_UP: 2,
  CS_TOP: 3,
  CS_INFO: 4,
  RADIO_GW: 5,
} as const;

/** Result slots: i32 or u32 at OUT + 4 * O_*, f64 at OUT + 8 * F_* (same note). */
export const UPLINK_WASM_SLOTS = {
  O_SEEN: 0,
  O_EUI_S: 1,
  O_EUI_E: 2,
  O_DATA_S: 3,
  O_DATA_E: 4,
  O_DEC_S: 5,
  O_DEC_E: 6,
  O_TIME_S: 7,
  O_TIME_E: 8,
  O_NEED_UTF8: 9,
  O_GW_SEEN: 10,
  O_EUI_HI: 11,
  O_EUI_LO: 12,
  O_EUI_OK: 13,
  O_FCNT: 14,
  O_FPORT: 15,
  O_NEST: 16,
  O_TTS: 17,
  F_RSSI: 10,
  F_SNR: 11,
  F_NUM: 12,
  F_GW_RSSI: 13,
  F_GW_SNR: 14,
  F_TIME: 15,
} as const;

/** The field names the kernel compares keys with, in its slot order (K_* in wasm/uplink_simd.ts). */
export const UPLINK_WASM_KEYS = [
  "end_device_ids",
  "dev_eui",
  "uplink_message",
  "f_cnt",
  "f_port",
  "frm_payload",
  "decoded_payload",
  "rx_metadata",
  "received_at",
  "deviceInfo",
  "devEui",
  "fCnt",
  "fPort",
  "data",
  "object",
  "time",
  "rxInfo",
  "rssi",
  "snr",
] as const;

/** The fields read in each kind of object (the reference's `field`). */
const FIELDS_READ: Readonly<
  Record<keyof typeof UPLINK_WASM_LEVELS, readonly (typeof UPLINK_WASM_KEYS)[number][]>
> = {
  TTS_TOP: ["end_device_ids", "uplink_message", "received_at"],
  TTS_IDS: ["dev_eui"],
  TTS_UP: ["f_cnt", "f_port", "frm_payload", "rx_metadata", "decoded_payload"],
  CS_TOP: ["deviceInfo", "fCnt", "fPort", "data", "object", "rxInfo", "time"],
  CS_INFO: ["devEui"],
  RADIO_GW: ["rssi", "snr"],
};

/** The kernel's FIELDS table (see wasm/uplink_simd.ts). */
export function uplinkFieldTable(): Uint8Array {
  const t = new Uint8Array(UPLINK_WASM_LAYOUT.OUT - UPLINK_WASM_LAYOUT.FIELDS);
  for (const [level, keys] of Object.entries(FIELDS_READ)) {
    for (const key of keys) {
      const at =
        (UPLINK_WASM_LEVELS[level as keyof typeof UPLINK_WASM_LEVELS] << 9) |
        (key.length << 5) |
        (key.charCodeAt(0) & 31);
      if (t[at] !== 0) throw new Error(`uplink field table: ${key} shares a slot`);
      t[at] = UPLINK_WASM_KEYS.indexOf(key) + 1;
    }
  }
  return t;
}

/** Pages of the kernel's memory: the message in the first two, the kept values (MEMO) in the third. */
const PAGES = 3;
/** Room the kernel needs after a message: the 0 it writes and a 16-byte load from there. */
const TAIL = 32;
/** Longest message the wasm scanner reads (longer ones go to the JavaScript scanner); the gateway refuses more than 64 KiB. */
export const UPLINK_WASM_MESSAGE_MAX = UPLINK_WASM_LAYOUT.MEMO - UPLINK_WASM_LAYOUT.MSG - TAIL;

interface UplinkExports {
  scanUplink(tts: number, len: number, utf8: number): number;
}

const { MSG, OUT } = UPLINK_WASM_LAYOUT;
const S = UPLINK_WASM_SLOTS;
const O = OUT >> 2;
const F = OUT >> 3;

/** The wasm scanner of this thread, and what it read last. */
class WasmUplinkScanner implements ScannedUplink {
  buf: Uint8Array = new Uint8Array(0);
  devEuiS = -1;
  devEuiE = -1;
  fCnt = 0;
  fPort = 0;
  dataS = -1;
  dataE = -1;
  decS = -1;
  decE = -1;
  timeMs = Number.NaN;
  rssi = Number.NEGATIVE_INFINITY;
  snr = Number.NEGATIVE_INFINITY;
  private readonly kernel: UplinkExports;
  private readonly u8: Uint8Array;
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;
  private readonly f64: Float64Array;

  constructor() {
    const memory = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES });
    this.kernel = instantiateKernel<UplinkExports>(compileKernelSync("uplink_simd"), memory);
    const sab = memory.buffer;
    this.u8 = new Uint8Array(sab);
    this.i32 = new Int32Array(sab);
    this.u32 = new Uint32Array(sab);
    this.f64 = new Float64Array(sab);
    this.u8.set(uplinkFieldTable(), UPLINK_WASM_LAYOUT.FIELDS);
    UPLINK_WASM_KEYS.forEach((k, slot) => {
      for (let c = 0; c < k.length; c++) this.u8[UPLINK_WASM_LAYOUT.KEYS + 16 * slot + c] = k.charCodeAt(c);
    });
  }

  /** Scans `payload` (at most UPLINK_WASM_MESSAGE_MAX bytes); undefined when the reference would give up. */
  scan(source: "tts" | "chirpstack", payload: Uint8Array): ScannedUplink | undefined {
    const len = payload.length;
    const tts = source === "tts" ? 1 : 0;
    this.u8.set(payload, MSG);
    if (this.kernel.scanUplink(tts, len, 0) === 0) {
      // A non-ASCII byte in a string: the message is read again once it is known to be UTF-8.
      if (this.i32[O + S.O_NEED_UTF8] === 0 || !isUtf8(payload)) return undefined;
      if (this.kernel.scanUplink(tts, len, 1) === 0) return undefined;
    }
    const i32 = this.i32;
    const f64 = this.f64;
    this.buf = payload;
    this.timeMs = f64[F + S.F_TIME]!;
    this.devEuiS = i32[O + S.O_EUI_S]!;
    this.devEuiE = i32[O + S.O_EUI_E]!;
    this.dataS = i32[O + S.O_DATA_S]!;
    this.dataE = i32[O + S.O_DATA_E]!;
    this.decS = i32[O + S.O_DEC_S]!;
    this.decE = i32[O + S.O_DEC_E]!;
    // Read as u32: small integers, as JSON.parse gives them.
    this.fCnt = this.u32[O + S.O_FCNT]!;
    this.fPort = this.u32[O + S.O_FPORT]!;
    this.rssi = f64[F + S.F_RSSI]!;
    this.snr = f64[F + S.F_SNR]!;
    return this;
  }

  deviceIndex(euis: EuiIndex): number {
    const i32 = this.i32;
    return i32[O + S.O_EUI_OK] === 1 ? euis.findHalves(i32[O + S.O_EUI_HI]!, i32[O + S.O_EUI_LO]!) : NONE;
  }
}

/** This thread's wasm scanner; null where it cannot run; undefined until first asked. */
let wasm: WasmUplinkScanner | null | undefined;

/**
 * The wasm scanner, loaded on first use; null where WebAssembly SIMD or the built kernel is missing, or when
 * $PARKIR_KERNEL says "js".
 */
function wasmScanner(): WasmUplinkScanner | null {
  if (wasm === undefined) {
    try {
      const off = defaultKernel() === "js" || !simdSupported() || !kernelBuilt("uplink_simd");
      wasm = off ? null : new WasmUplinkScanner();
    } catch {
      wasm = null;
    }
  }
  return wasm;
}

/** Whether the wasm uplink scanner runs in this thread (else `scanUplinkFast` is the JavaScript scanner). */
export function uplinkWasmAvailable(): boolean {
  return wasmScanner() !== null;
}

/**
 * Scans an uplink with the wasm scanner where it runs and the message fits, else with the JavaScript one: the
 * same result either way (positions into `payload`, valid until the next scan), undefined when the message is
 * not one the scanner fully understands.
 */
export function scanUplinkFast(source: "tts" | "chirpstack", payload: Uint8Array): ScannedUplink | undefined {
  const w = wasm === undefined ? wasmScanner() : wasm;
  if (w !== null && payload.length <= UPLINK_WASM_MESSAGE_MAX) return w.scan(source, payload);
  return scanUplinkBytes(source, payload);
}

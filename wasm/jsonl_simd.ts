// JSON Lines scanner, SIMD build: wasm/jsonl.ts compiled with 128-bit SIMD (ASC_FEATURE_SIMD), which finds a
// string's end 16 bytes at a time. Same contract and records; the loader uses it only where the engine
// validates SIMD, and falls back to jsonl.wasm otherwise.
export { scanLines } from "./jsonl";

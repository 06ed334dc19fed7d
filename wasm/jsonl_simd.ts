// JSON Lines reader kernel, SIMD build: wasm/jsonl.ts compiled with 128-bit SIMD (ASC_FEATURE_SIMD), which finds
// a string's end 16 bytes at a time. Same contract and output; the loader uses it only where SIMD validates, and
// falls back to jsonl.wasm otherwise.
export { readLines, writeBatch } from "./jsonl";

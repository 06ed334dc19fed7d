/**
 * Worker entry used when parkir runs from its TypeScript sources (tests under vitest): registers
 * dev-hooks.mjs so this thread can load .ts, then serves worker.ts. A worker starts a few hundred
 * milliseconds slower than with the compiled dist/src/runtime/worker.js, which is what runs
 * everywhere else. Not part of the package.
 */
import { register } from "node:module";

register(new URL("./dev-hooks.mjs", import.meta.url));
const { default: run } = await import(new URL("./worker.ts", import.meta.url).href);

export default run;

/**
 * zod, loaded at the first validation rather than at import: importing parkir does not pay for it (about
 * 90 ms of module loading on a gateway-class machine). Schemas are built on first use with `lazySchema`.
 * zod is loaded through its CommonJS build, one instance for every parkir schema.
 */
import { createRequire } from "node:module";
import type * as Zod from "zod";

/** The `z` namespace of zod. */
export type Z = typeof Zod.z;

let loaded: Z | undefined;

/** zod's `z`, required on first call. */
export function zod(): Z {
  loaded ??= (createRequire(import.meta.url)("zod") as typeof Zod).z;
  return loaded;
}

/** A function returning what `build(z)` returns, built once, at its first call. */
export function lazySchema<T>(build: (z: Z) => T): () => T {
  let built: { readonly value: T } | undefined;
  return () => {
    built ??= { value: build(zod()) };
    return built.value;
  };
}

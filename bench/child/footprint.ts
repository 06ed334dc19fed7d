/**
 * Child: builds one bay model for N bays in a fresh heap and prints its retained memory.
 * Usage: node --expose-gc footprint.js <model> <bays> <seed>; model is `city` (parkir's loadCity),
 * `engine` (the city plus a new OccupancyEngine with the JS reference kernel: per-bay state and window
 * accumulators), `engine-wasm` (the same with the wasm kernel: its state moved into a shared memory) or
 * `plain-map` (what a user would write: a Map of bay id to a plain object with its state).
 */
import { type CityDocument, loadCity } from "../../src/catalog/index.js";
import { OccupancyEngine } from "../../src/occupancy/index.js";
import { scaleCity, syntheticCityDoc } from "../fixtures/city.js";

/** What the footprint child prints. */
export interface FootprintReport {
  readonly model: string;
  readonly bays: number;
  /** Time to build the model from the document, ms. */
  readonly buildMs: number;
  /** Retained V8 heap after GC, bytes. */
  readonly heapUsedBytes: number;
  /** Retained memory outside the heap (typed arrays), bytes. */
  readonly externalBytes: number;
  /** Growth of the resident set, bytes (noisy: freed pages are not always returned). */
  readonly rssBytes: number;
  /**
   * Engine models: heap + external bytes the engine alone retains, measured in this process after the
   * city was built (so nothing of the city is counted). Absent for other models.
   */
  readonly stateBytes?: number;
  /** Engine models: growth of the resident set while the engine was built (counts a wasm memory's pages). */
  readonly stateRssBytes?: number;
}

/** The hand-written alternative: one object per bay, keyed by id, plus a sensor index. */
export function buildPlainMap(doc: CityDocument): {
  bays: Map<string, object>;
  sensors: Map<string, string>;
} {
  const bays = new Map<string, object>();
  const sensors = new Map<string, string>();
  for (const z of doc.zones) {
    for (const b of z.bays) {
      bays.set(b.id, {
        id: b.id,
        zone: z.id,
        vehicleType: b.vehicleType,
        sensorId: b.sensorId,
        state: "unknown",
        sinceMs: 0,
      });
      sensors.set(b.sensorId, b.id);
    }
  }
  return { bays, sensors };
}

/**
 * Lets the current job end, then collects twice. V8 keeps WeakRef targets created during a job alive until
 * the job ends, so a collection in the same synchronous run can leave megabytes of garbage counted.
 */
async function gc(): Promise<void> {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error("run with --expose-gc");
  await new Promise((resolve) => setImmediate(resolve));
  g();
  g();
}

async function main(): Promise<void> {
  const [model = "city", baysArg = "100000", seedArg = "1"] = process.argv.slice(2);
  const bays = Number(baysArg);
  const seed = Number(seedArg);
  await gc();
  const before = process.memoryUsage();
  // The document is made after `before` and dropped before `after`: only what the model keeps counts.
  let doc: CityDocument | null = scaleCity(syntheticCityDoc({ zones: 100, baysPerZone: 20, seed }), bays);
  // A JSON round trip stands for a document read from a file: nothing shared with the generator.
  doc = JSON.parse(JSON.stringify(doc)) as CityDocument;
  const t0 = performance.now();
  let held: unknown;
  let stateBytes: number | undefined;
  let stateRssBytes: number | undefined;
  if (model === "city") held = loadCity(doc);
  else if (model === "engine" || model === "engine-wasm") {
    const city = loadCity(doc);
    await gc();
    const mid = process.memoryUsage();
    const engine = new OccupancyEngine(city, { kernel: model === "engine" ? "js" : "wasm" });
    await gc();
    const end = process.memoryUsage();
    // JS kernel: the engine's typed arrays are external memory. wasm kernel: they are allocated in the
    // kernel's shared memory (counted as allocated, like the JS ones, not as the memory's reserved size).
    const arena = (engine as unknown as { k: { arena?: { usedBytes: number } } }).k.arena;
    stateBytes =
      arena === undefined
        ? end.heapUsed + end.external - (mid.heapUsed + mid.external)
        : end.heapUsed - mid.heapUsed + arena.usedBytes;
    stateRssBytes = end.rss - mid.rss;
    held = { city, engine };
  } else if (model === "plain-map") held = buildPlainMap(doc);
  else throw new Error(`unknown model ${model}`);
  const buildMs = performance.now() - t0;
  doc = null;
  await gc();
  const after = process.memoryUsage();
  const report: FootprintReport = {
    model,
    bays,
    buildMs,
    heapUsedBytes: after.heapUsed - before.heapUsed,
    externalBytes: after.external - before.external,
    rssBytes: after.rss - before.rss,
    ...(stateBytes === undefined ? {} : { stateBytes, stateRssBytes }),
  };
  if (held === undefined) throw new Error("nothing built");
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});

/**
 * The engine as an RxJS operator: batches in, one WindowBatch per closed window out.
 */
import type { OperatorFunction } from "rxjs";
import type { City } from "../catalog/city.js";
import { observable } from "../rx.js";
import type { EventBatchView } from "../wire/view.js";
import { OccupancyEngine } from "./engine.js";
import type { OccupancyOptions } from "./options.js";
import type { IngestResult } from "./reports.js";
import type { WindowBatch } from "./types.js";

/** Options of the `occupancy` operator: engine options plus hooks to see what each batch did. */
export interface OccupancyOperatorOptions extends OccupancyOptions {
  /** Called after each batch with its counts (rejected batches and events refused for clock skew included). */
  readonly onIngest?: (result: IngestResult) => void;
  /** Called once with the engine, on subscription (to read counters, take checkpoints, watch late$/health$). */
  readonly onEngine?: (engine: OccupancyEngine) => void;
}

/**
 * Runs an OccupancyEngine over a stream of FlatBuffers batches. Emits one WindowBatch per closed window
 * (never per event); on completion of the source the engine is closed, so every window ending at or before
 * the newest event time is emitted, then the output completes. Rejected batches emit nothing (see onIngest).
 *
 * @example
 * batches$.pipe(occupancy(city, { windowMs: 300_000 })).subscribe((w) => publish(w.records));
 */
export function occupancy(
  city: City,
  options: OccupancyOperatorOptions = {},
): OperatorFunction<Uint8Array | EventBatchView, WindowBatch> {
  const { onIngest, onEngine, ...engineOptions } = options;
  return (source) =>
    observable<WindowBatch>((subscriber) => {
      const engine = new OccupancyEngine(city, engineOptions);
      const inner = engine.windows$.subscribe((w) => subscriber.next(w));
      onEngine?.(engine);
      const sub = source.subscribe({
        next(batch) {
          try {
            const result = engine.ingest(batch);
            onIngest?.(result);
          } catch (e) {
            subscriber.error(e);
          }
        },
        error(e) {
          subscriber.error(e);
        },
        complete() {
          try {
            engine.close();
            subscriber.complete();
          } catch (e) {
            subscriber.error(e);
          }
        },
      });
      return () => {
        sub.unsubscribe();
        inner.unsubscribe();
      };
    });
}

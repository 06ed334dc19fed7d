/** The flatbuffers Builder's EventBatch of encoder rows: the reference the hand-written BatchWriter is held to. */
import { Builder } from "flatbuffers";
import type { Rows } from "../../src/wire/encode.js";
import { Event } from "../../src/wire/generated/event.js";
import { EventBatch } from "../../src/wire/generated/event-batch.js";
import { BATCH_IDENTIFIER } from "../../src/wire/layout.js";

/** The batch as the generated FlatBuffers code builds it (the reference). */
export function builderBatch(rows: Rows, cityId: string, hash: number, keepIds: boolean): Uint8Array {
  const n = rows.length;
  let base = Number.POSITIVE_INFINITY;
  for (let k = 0; k < n; k++) base = Math.min(base, rows.timeMs[k]!);
  if (n === 0) base = 0;
  const b = new Builder(16);
  const str = (t: string | Uint8Array) => b.createString(t);
  const cityOff = b.createString(cityId);
  const idsOff = keepIds ? EventBatch.createEventIdsVector(b, rows.id.map(str)) : 0;
  let notesOff = 0;
  if (rows.notes) {
    const empty = b.createString("");
    notesOff = EventBatch.createAnnotationsVector(
      b,
      rows.note.map((t) => (t === "" ? empty : str(t))),
    );
  }
  EventBatch.startEventsVector(b, n);
  for (let k = n - 1; k >= 0; k--) {
    Event.createEvent(
      b,
      rows.timeMs[k]! - base,
      rows.target[k]!,
      rows.seq[k]!,
      rows.value[k]!,
      rows.kind[k]!,
      rows.vehicle[k]!,
      rows.flags[k]!,
      0,
      rows.device[k]!,
    );
  }
  const eventsOff = b.endVector();
  EventBatch.startEventBatch(b);
  EventBatch.addBaseTimeMs(b, base);
  EventBatch.addCity(b, cityOff);
  EventBatch.addCatalogHash(b, hash);
  EventBatch.addEvents(b, eventsOff);
  if (keepIds) EventBatch.addEventIds(b, idsOff);
  if (notesOff !== 0) EventBatch.addAnnotations(b, notesOff);
  b.finish(EventBatch.endEventBatch(b), BATCH_IDENTIFIER);
  return b.asUint8Array().slice();
}

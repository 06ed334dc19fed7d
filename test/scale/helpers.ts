/** Shared by the scale tests: a Palu trace cut into partition batches, and reading a whole stream back. */
import type { JetStreamClient } from "@nats-io/jetstream";
import { loadCityFile } from "../../src/catalog/city.js";
import { generateTrace } from "../../src/generate/trace.js";
import { seedPath } from "../../src/paths.js";
import type { CdsEvent } from "../../src/wire/events.js";

/** The Palu catalogue. */
export const palu = loadCityFile(seedPath("palu/city.json"));
/** Monday midnight in Palu. */
export const START_MS = Date.parse("2026-11-30T00:00:00+08:00");

/** A generated Palu trace (seed 1, default faults: duplicates, reordering, late events, lost sensors). */
export function paluTrace(hours: number, fromHour = 0): CdsEvent[] {
  return generateTrace(palu, { seed: 1, startMs: START_MS + fromHour * 3_600_000, hours });
}

/** One stored message. */
export interface Stored {
  readonly seq: number;
  readonly subject: string;
  readonly msgId: string;
  readonly text: string;
}

/** Every message of `stream` (bounded: at most `max`). */
export async function readStream(js: JetStreamClient, stream: string, max = 1_000_000): Promise<Stored[]> {
  const jsm = await js.jetstreamManager();
  const total = (await jsm.streams.info(stream)).state.messages;
  const out: Stored[] = [];
  if (total === 0) return out;
  const c = await js.consumers.get(stream);
  while (out.length < Math.min(total, max)) {
    const msgs = await c.fetch({ max_messages: 1000, expires: 2000 });
    let got = 0;
    for await (const m of msgs) {
      got++;
      out.push({
        seq: m.seq,
        subject: m.subject,
        msgId: m.headers?.get("Nats-Msg-Id") ?? "",
        text: m.string(),
      });
      if (m.info.pending === 0) break;
    }
    if (got === 0) break;
  }
  return out;
}

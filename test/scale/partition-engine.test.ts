/**
 * Producer batching and the partition engine without a server: every event lands in its zone's partition
 * exactly once and in order, and a partition continued from a checkpoint (the takeover path) publishes
 * exactly what an uninterrupted one does.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NONE } from "../../src/catalog/city.js";
import { seedPath } from "../../src/paths.js";
import { loadPolicyFile } from "../../src/pricing/policy.js";
import { ParkirScaleError } from "../../src/scale/errors.js";
import { runPartitionsLocally } from "../../src/scale/local.js";
import { partitionOf } from "../../src/scale/partition.js";
import { PartitionEngine, type PartitionOutput } from "../../src/scale/partition-engine.js";
import { eventZone, PartitionReport, partitionBatches } from "../../src/scale/producer.js";
import { decodeCheckpointRecord } from "../../src/scale/record.js";
import { decodeEvents } from "../../src/wire/decode.js";
import { type CdsEvent, parseEventLines } from "../../src/wire/events.js";
import { palu, paluTrace } from "./helpers.js";

const sample = parseEventLines(readFileSync(seedPath("palu/sample-1h.jsonl"), "utf8")).events;

describe("partitionBatches", () => {
  const pick = fc
    .uniqueArray(fc.nat({ max: sample.length - 1 }), { maxLength: 400 })
    .map((ix) => ix.sort((a, b) => a - b).map((i) => sample[i]!));
  const stranger: CdsEvent = {
    event_id: "x-1",
    event_type: "manual_count",
    event_time: 1_796_000_000_000,
    curb_zone_id: "NOT-A-ZONE",
    vehicle_count: 3,
  };
  it("puts each event in its zone's partition exactly once, in order, batches within the bound; unknown zones and invalid events counted", () => {
    fc.assert(
      fc.property(
        pick,
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 64 }),
        fc.boolean(),
        (events, n, size, withStranger) => {
          const notAnEvent = { event_id: "bad" } as unknown as CdsEvent;
          const input = withStranger ? [...events, stranger, notAnEvent] : events;
          const report = new PartitionReport();
          const batches = partitionBatches(palu, input, n, size, report);
          expect(report.unknownZone).toBe(withStranger ? 1 : 0);
          expect(report.invalid).toBe(withStranger ? 1 : 0);
          const got: CdsEvent[][] = Array.from({ length: n }, () => []);
          for (const b of batches) {
            expect(b.events).toBeLessThanOrEqual(size);
            const decoded = decodeEvents(b.bytes, palu);
            expect(decoded.length).toBe(b.events);
            for (const e of decoded)
              expect(partitionOf(palu.zones[eventZone(e, palu)]!.id, n)).toBe(b.partition);
            got[b.partition]!.push(...decoded);
          }
          for (let p = 0; p < n; p++) {
            const want = events.filter((e) => partitionOf(palu.zones[eventZone(e, palu)]!.id, n) === p);
            expect(got[p]!.map((e) => e.event_id)).toEqual(want.map((e) => e.event_id));
          }
          // Message ids depend on the bytes only: the same input gives the same ids.
          expect(partitionBatches(palu, input, n, size).map((b) => b.msgId)).toEqual(
            batches.map((b) => b.msgId),
          );
        },
      ),
      { numRuns: 60 },
    );
  });
  it("resolves every sample event's zone", () => {
    for (const e of sample) expect(eventZone(e, palu)).not.toBe(NONE);
  });
  it("refuses a batch size outside [1, 16384]", () => {
    expect(() => partitionBatches(palu, sample, 6, 0)).toThrow(ParkirScaleError);
    expect(() => partitionBatches(palu, sample, 6, 16_385)).toThrow(ParkirScaleError);
  });
});

describe("PartitionEngine", () => {
  const policy = loadPolicyFile(seedPath("palu/policy.json"), { variant: "dynamic" });
  const PARTITIONS = 3;
  const batches = partitionBatches(palu, paluTrace(5, 7), PARTITIONS, 128);
  const whole = runPartitionsLocally(palu, batches, PARTITIONS, { policy });

  it("publishes only its own zones' rows, tariffs of a window before the window", () => {
    expect([...whole.outputs.values()].some((o) => o.kind === "tariff")).toBe(true);
    for (const o of whole.outputs.values()) {
      const p = Number(o.msgId.split(".")[2]);
      for (const line of o.payload.trimEnd().split("\n")) {
        const r = JSON.parse(line) as { zone: string };
        expect(partitionOf(r.zone, PARTITIONS)).toBe(p);
      }
    }
  });

  it("continued from a checkpoint at a random message (pricing rebuilt from its published windows), publishes exactly the same", () => {
    fc.assert(
      fc.property(fc.nat({ max: batches.length }), (cut) => {
        const engines = Array.from({ length: PARTITIONS }, (_, p) =>
          PartitionEngine.create(palu, p, PARTITIONS, { policy }),
        );
        const published = new Map<string, PartitionOutput>();
        const keep = (outs: readonly PartitionOutput[]) => {
          // JetStream keeps the first message of an id within its duplicate window and drops the others.
          for (const o of outs) if (!published.has(o.msgId)) published.set(o.msgId, o);
        };
        for (let i = 0; i < cut; i++) keep(engines[batches[i]!.partition]!.ingest(batches[i]!.bytes).outputs);
        // Takeover of every partition: checkpoint, restore, rebuild pricing from the published windows.
        const restored = engines.map((e, p) => {
          const record = decodeCheckpointRecord(e.checkpoint(0));
          const next = PartitionEngine.restore(palu, record, p, PARTITIONS, { policy });
          for (const o of [...published.values()].filter(
            (x) => x.kind === "window" && x.msgId.split(".")[2] === String(p),
          ))
            if (o.windowStart <= (record.header.lastWindowStart ?? Number.NEGATIVE_INFINITY))
              next.replayWindow(o.payload);
          return next;
        });
        for (let i = cut; i < batches.length; i++)
          keep(restored[batches[i]!.partition]!.ingest(batches[i]!.bytes).outputs);
        expect(published.size).toBe(whole.outputs.size);
        for (const [id, o] of whole.outputs) expect(published.get(id)?.payload, id).toBe(o.payload);
      }),
      { numRuns: 6 },
    );
  }, 60_000);

  it("refuses a record of another partition or partition count", () => {
    const record = decodeCheckpointRecord(PartitionEngine.create(palu, 1, 3).checkpoint(7));
    expect(() => PartitionEngine.restore(palu, record, 2, 3)).toThrow(ParkirScaleError);
    expect(() => PartitionEngine.restore(palu, record, 1, 4)).toThrow(ParkirScaleError);
    expect(PartitionEngine.restore(palu, record, 1, 3).partition).toBe(1);
    expect(() => PartitionEngine.create(palu, 3, 3)).toThrow(ParkirScaleError);
  });
});

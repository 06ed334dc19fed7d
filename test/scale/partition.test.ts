/** The partition function, fair shares, names and checkpoint records: properties, without a server. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ParkirScaleError } from "../../src/scale/errors.js";
import { fairShare, probeOrder } from "../../src/scale/leases.js";
import { scaleNames } from "../../src/scale/names.js";
import { checkPartitions, PARTITIONS_MAX, partitionOf, zonePartitions } from "../../src/scale/partition.js";
import { decodeCheckpointRecord, encodeCheckpointRecord } from "../../src/scale/record.js";
import { palu } from "./helpers.js";

describe("partitionOf", () => {
  it("maps every zone into [0, n), the same way every time, and zonePartitions agrees", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: PARTITIONS_MAX }), (zone, n) => {
        const p = partitionOf(zone, n);
        expect(Number.isInteger(p) && p >= 0 && p < n).toBe(true);
        expect(partitionOf(zone, n)).toBe(p);
      }),
    );
    for (const n of [1, 2, 3, 6, 7, 64]) {
      const zp = zonePartitions(palu, n);
      for (let i = 0; i < palu.zoneCount; i++) expect(zp[i]).toBe(partitionOf(palu.zones[i]!.id, n));
    }
  });

  it("spreads Palu's zones over six partitions (none empty, none with more than a third)", () => {
    const counts = new Array(6).fill(0);
    for (const p of zonePartitions(palu, 6)) counts[p]++;
    for (const c of counts) expect(c).toBeGreaterThan(0);
    for (const c of counts) expect(c).toBeLessThanOrEqual(Math.ceil(palu.zoneCount / 3));
  });

  it("refuses partition counts outside [1, PARTITIONS_MAX] with a ParkirScaleError", () => {
    for (const n of [0, -1, 1.5, Number.NaN, PARTITIONS_MAX + 1]) {
      expect(() => checkPartitions(n)).toThrow(ParkirScaleError);
      expect(() => partitionOf("PLU-001", n)).toThrow(ParkirScaleError);
    }
  });
});

describe("fairShare", () => {
  const ids = fc.uniqueArray(fc.stringMatching(/^[a-z0-9-]{1,8}$/), { minLength: 1, maxLength: 20 });
  it("gives every member ⌊n/m⌋ or ⌈n/m⌉ and the shares add up to n", () => {
    fc.assert(
      fc.property(ids, fc.integer({ min: 1, max: PARTITIONS_MAX }), (members, n) => {
        const shares = members.map((m) => fairShare(members, m, n));
        expect(shares.reduce((a, b) => a + b, 0)).toBe(n);
        for (const s of shares) {
          expect(s).toBeGreaterThanOrEqual(Math.floor(n / members.length));
          expect(s).toBeLessThanOrEqual(Math.ceil(n / members.length));
        }
      }),
    );
  });
  it("counts a worker not yet registered as one more member", () => {
    fc.assert(
      fc.property(ids, fc.integer({ min: 1, max: 64 }), (members, n) => {
        const self = "zzzzzzzzz-new";
        expect(fairShare(members, self, n)).toBe(fairShare([...members, self], self, n));
      }),
    );
  });
  it("probeOrder is a permutation of the partitions", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 256 }), (id, n) => {
        expect([...probeOrder(id, n)].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
    );
  });
});

describe("scaleNames", () => {
  it("names subjects, streams and buckets of a city", () => {
    const n = scaleNames("palu");
    expect([n.eventSubject(3), n.windowSubject(0), n.tariffSubject(5)]).toEqual([
      "parkir.palu.events.3",
      "parkir.palu.windows.0",
      "parkir.palu.tariffs.5",
    ]);
    expect([n.eventsStream, n.outputsStream, n.checkpointBucket, n.leaseBucket]).toEqual([
      "PARKIR_PALU_EVENTS",
      "PARKIR_PALU_OUT",
      "parkir_palu_checkpoints",
      "parkir_palu_leases",
    ]);
  });
  it("refuses ids NATS cannot carry in a subject", () => {
    for (const bad of ["", "a.b", "a b", "a*", ">", "x".repeat(65)]) {
      expect(() => scaleNames(bad)).toThrow(ParkirScaleError);
      expect(() => scaleNames("palu", bad)).toThrow(ParkirScaleError);
    }
  });
});

describe("checkpoint records", () => {
  const header = fc.record({
    city: fc.string({ maxLength: 30 }),
    catalogHash: fc.nat(),
    partition: fc.nat({ max: 1023 }),
    partitions: fc.integer({ min: 1, max: 1024 }),
    seq: fc.maxSafeNat(),
    lastWindowStart: fc.option(fc.integer({ min: 0, max: 2 ** 45 }), { nil: null }),
    events: fc.maxSafeNat(),
  });
  it("round-trip: header and engine bytes come back equal, the bytes 8-byte aligned", () => {
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 2000 }), (h, engine) => {
        const back = decodeCheckpointRecord(encodeCheckpointRecord(h, engine));
        expect(back.header).toEqual(h);
        expect(back.engine).toEqual(engine);
        expect(back.engine.byteOffset % 8).toBe(0);
      }),
    );
  });
  it("refuses anything else with a ParkirScaleError, never another error", () => {
    const valid = encodeCheckpointRecord(
      { city: "palu", catalogHash: 1, partition: 0, partitions: 6, seq: 5, lastWindowStart: null, events: 9 },
      new Uint8Array(16),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.tuple(fc.nat({ max: valid.length - 1 }), fc.nat({ max: 255 })).map(([i, b]) => {
            const m = valid.slice();
            m[i] = b;
            return m;
          }),
          fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
        ),
        (bytes) => {
          try {
            decodeCheckpointRecord(bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(ParkirScaleError);
          }
        },
      ),
    );
  });
});

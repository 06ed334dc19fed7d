import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PAGE_BYTES, ParkirRuntimeError, RESERVED_BYTES, SharedArena } from "../../src/runtime/index.js";

describe("SharedArena", () => {
  it("hands out aligned, disjoint regions after the reserved page", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(5000), fc.constantFrom(1, 4, 8, 64, 256)), { minLength: 1, maxLength: 30 }),
        (requests) => {
          const arena = new SharedArena({ initialBytes: 2 * PAGE_BYTES, maximumBytes: 64 * PAGE_BYTES });
          let end = RESERVED_BYTES;
          for (const [bytes, align] of requests) {
            const at = arena.alloc(bytes, align);
            expect(at % align).toBe(0);
            expect(at).toBeGreaterThanOrEqual(end);
            end = at + bytes;
            expect(arena.byteLength).toBeGreaterThanOrEqual(end);
          }
          expect(arena.usedBytes).toBe(end);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("prefault grows the memory past the allocation point without moving it or changing contents", () => {
    const arena = new SharedArena({ initialBytes: 2 * PAGE_BYTES, maximumBytes: 16 * PAGE_BYTES });
    const a = arena.alloc(64);
    arena.u32()[a >> 2] = 7;
    const top = arena.usedBytes;
    arena.prefault(5 * PAGE_BYTES);
    expect(arena.usedBytes).toBe(top);
    expect(arena.byteLength).toBeGreaterThanOrEqual(top + 5 * PAGE_BYTES);
    expect(arena.u32()[a >> 2]).toBe(7);
    expect(
      arena
        .u8()
        .subarray(top, top + 5 * PAGE_BYTES)
        .every((x) => x === 0),
    ).toBe(true);
    expect(() => arena.prefault(64 * PAGE_BYTES)).toThrow(ParkirRuntimeError);
    expect(() => arena.prefault(-1)).toThrow(RangeError);
  });

  it("re-creates views when the memory grows and keeps their contents", () => {
    const arena = new SharedArena({ initialBytes: 2 * PAGE_BYTES, maximumBytes: 16 * PAGE_BYTES });
    const a = arena.alloc(64);
    arena.u32()[a >> 2] = 0xdeadbeef;
    const before = arena.u32();
    expect(before.byteLength).toBe(2 * PAGE_BYTES);
    const b = arena.alloc(5 * PAGE_BYTES);
    const after = arena.u32();
    expect(after).not.toBe(before);
    expect(after.byteLength).toBe(arena.byteLength);
    expect(arena.byteLength).toBeGreaterThanOrEqual(b + 5 * PAGE_BYTES);
    expect(after[a >> 2]).toBe(0xdeadbeef);
    expect(arena.f64().byteLength).toBe(arena.byteLength);
    expect(arena.u8().byteLength).toBe(arena.byteLength);
    expect(arena.u32()).toBe(after); // cached while the size is unchanged
  });

  it("refuses to grow past its maximum with a typed error, leaving state unchanged", () => {
    const arena = new SharedArena({ initialBytes: 2 * PAGE_BYTES, maximumBytes: 4 * PAGE_BYTES });
    const used = arena.usedBytes;
    const err = (() => {
      try {
        arena.alloc(4 * PAGE_BYTES);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ParkirRuntimeError);
    expect((err as ParkirRuntimeError).reason).toBe("memory-exhausted");
    expect(arena.usedBytes).toBe(used);
    expect(arena.alloc(PAGE_BYTES)).toBe(RESERVED_BYTES);
  });

  it("recycles scratch space with mark/release", () => {
    const arena = new SharedArena({ initialBytes: 4 * PAGE_BYTES });
    const m = arena.mark();
    const x = arena.alloc(1000);
    arena.release(m);
    expect(arena.alloc(1000)).toBe(x);
    expect(() => arena.release(0)).toThrow(RangeError);
  });

  it("knows which views lie in its memory, also after growth", () => {
    const arena = new SharedArena({ initialBytes: 2 * PAGE_BYTES, maximumBytes: 16 * PAGE_BYTES });
    const early = new Uint8Array(arena.memory.buffer, 0, 16);
    arena.alloc(4 * PAGE_BYTES);
    expect(arena.owns(early)).toBe(true);
    expect(arena.owns(arena.u8().subarray(8, 24))).toBe(true);
    expect(arena.owns(new Uint8Array(16))).toBe(false);
  });

  it("rejects bad sizes and alignments", () => {
    const arena = new SharedArena({ initialBytes: 2 * PAGE_BYTES });
    expect(() => arena.alloc(-1)).toThrow(RangeError);
    expect(() => arena.alloc(8, 3)).toThrow(RangeError);
    expect(() => new SharedArena({ initialBytes: 8 * PAGE_BYTES, maximumBytes: 4 * PAGE_BYTES })).toThrow(
      RangeError,
    );
  });
});

/** The gateway's small parts on their own: the re-delivery pre-filter and the rate-limited log. */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { RateLimitedLog } from "../../src/gateway/log-limit.js";
import { RecentIds } from "../../src/gateway/recent-ids.js";

describe("RecentIds", () => {
  test("holds exactly the last max distinct ids, oldest first, and a restore from list() equals it", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 12 }).map(String), { maxLength: 80 }),
        (max, ids) => {
          const r = new RecentIds(max);
          const model: string[] = [];
          for (const id of ids) {
            r.add(id);
            if (model.includes(id)) continue;
            model.push(id);
            if (model.length > max) model.shift();
            expect(r.list()).toEqual(model);
          }
          for (let k = 0; k <= 12; k++) expect(r.has(String(k))).toBe(model.includes(String(k)));
          const restored = new RecentIds(max);
          for (const id of r.list()) restored.add(id);
          expect(restored.list()).toEqual(model);
        },
      ),
    );
  });
});

describe("RateLimitedLog", () => {
  test("at most perMinute lines per key and minute; the rest counted and reported when the key's next minute starts", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.record({ key: fc.constantFrom("a", "b"), dt: fc.integer({ min: 0, max: 40_000 }) }), {
          maxLength: 60,
        }),
        (per, steps) => {
          let now = 0;
          const out: string[] = [];
          const log = new RateLimitedLog(
            (l) => out.push(l),
            () => now,
            per,
          );
          const model = new Map<string, { start: number; n: number; dropped: number }>();
          const want: string[] = [];
          let dropped = 0;
          steps.forEach(({ key, dt }, i) => {
            now += dt;
            let w = model.get(key);
            if (w === undefined || now - w.start >= 60_000) {
              if (w !== undefined && w.dropped > 0)
                want.push(`${w.dropped} more '${key}' lines suppressed in the last minute`);
              w = { start: now, n: 0, dropped: 0 };
              model.set(key, w);
            }
            if (w.n < per) {
              w.n++;
              want.push(`line ${i}`);
            } else {
              w.dropped++;
              dropped++;
            }
            log.line(key, `line ${i}`);
          });
          expect(out).toEqual(want);
          expect(log.suppressed).toBe(dropped);
        },
      ),
    );
  });
});

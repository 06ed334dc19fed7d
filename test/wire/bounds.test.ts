/** Input bounds of the wire layer: impossible dates, the time range, line and frame sizes, garbage. */
import fc from "fast-check";
import { expect, test } from "vitest";
import { ParkirWireError } from "../../src/errors/index.js";
import {
  type CdsEvent,
  EVENT_TIME_MS_MAX,
  encodeEvents,
  eventIssues,
  parseEventLines,
  parseEventTime,
  readFrames,
  scanFrames,
  toJsonLines,
  viewBatch,
  writeFrames,
} from "../../src/wire/index.js";
import { T0_MS, tinyCity } from "../helpers.js";

const city = tinyCity();
const event = (event_time: number | string): CdsEvent => ({
  event_id: "e",
  event_type: "park_start",
  event_time,
  curb_space_id: "Z1-B1",
});

test("impossible calendar dates and times are refused with the field named, never rolled over", () => {
  for (const bad of [
    "2026-02-30T09:00:00Z",
    "2026-02-29T09:00:00Z",
    "2026-04-31T09:00:00+08:00",
    "2026-13-01T09:00:00Z",
    "2026-00-10T09:00:00Z",
    "2026-11-30T24:00:00Z",
    "2026-11-30T09:60:00Z",
    "2026-11-30T09:00:60Z",
    "2026-11-30T09:00:00+24:00",
  ]) {
    expect(parseEventTime(bad), bad).toBeNaN();
    const issues = eventIssues(event(bad));
    expect(
      issues.map((i) => i.path),
      bad,
    ).toEqual(["event_time"]);
  }
  expect(eventIssues(event("2026-02-30T09:00:00Z"))[0]!.message).toMatch(/2026-02-30 is not a calendar date/);
  expect(parseEventTime("2028-02-29T09:00:00Z")).toBe(Date.parse("2028-02-29T09:00:00Z"));
  expect(parseEventTime("2000-02-29T23:59:59.999+08:00")).toBe(Date.parse("2000-02-29T23:59:59.999+08:00"));
  expect(parseEventTime("1900-02-29T00:00:00Z")).toBeNaN();
});

test("every time the parser accepts encodes to a batch the verifier accepts (convert output reads back)", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.integer({ min: EVENT_TIME_MS_MAX - 10_000_000, max: 8.64e15 }),
        fc.integer({ min: 0, max: 8.64e15 }),
      ),
      (t) => {
        if (Number.isNaN(parseEventTime(t))) {
          expect(t).toBeGreaterThan(EVENT_TIME_MS_MAX);
          return;
        }
        const view = viewBatch(encodeEvents([event(t)], city), city);
        expect(view.timeMs(0)).toBe(t);
      },
    ),
    { numRuns: 2000 },
  );
  expect(parseEventTime(8.64e15)).toBeNaN();
  expect(viewBatch(encodeEvents([event(EVENT_TIME_MS_MAX)], city), city).timeMs(0)).toBe(EVENT_TIME_MS_MAX);
});

test("a JSON line longer than maxLineBytes (UTF-8 bytes) is refused unparsed; the lines around it are kept", () => {
  const good = toJsonLines([event(T0_MS)]);
  const huge = `{"event_id":"${"x".repeat(200_000)}"}\n`;
  const parsed = parseEventLines(good + huge + good);
  expect(parsed.events).toHaveLength(2);
  expect(parsed.invalid).toBe(1);
  expect(parsed.errors[0]!.line).toBe(2);
  expect(parsed.errors[0]!.message).toMatch(/bytes is longer than maxLineBytes \(65536\)/);
  expect(parseEventLines(good + huge, { maxLineBytes: 300_000 }).errors[0]!.message).toMatch(/event_id/);
  // Bytes, not characters: 30,000 three-byte characters (and a four-byte one) are over 90,000 bytes.
  const wide = `{"event_id":"${"€".repeat(30_000)}🚗"}`;
  const n = new TextEncoder().encode(wide).length;
  expect(wide.length).toBeLessThan(65_536);
  expect(parseEventLines(wide).errors[0]!.message).toContain(
    `line of ${n} bytes is longer than maxLineBytes`,
  );
});

test("binary input stops JSON Lines parsing at the first NUL with one error; errors beyond errorsMax are counted", () => {
  const good = toJsonLines([event(T0_MS)]);
  const parsed = parseEventLines(`${good}\u0000\u0000\u0000\n${"garbage\n".repeat(1000)}`);
  expect(parsed.events).toHaveLength(1);
  expect(parsed.invalid).toBe(1);
  expect(parsed.stopped?.line).toBe(2);
  expect(parsed.stopped?.message).toMatch(/not JSON Lines; stopped reading here/);
  const many = parseEventLines("garbage\n".repeat(5000), { errorsMax: 10 });
  expect(many.invalid).toBe(5000);
  expect(many.errors).toHaveLength(10);
});

test("frames: garbage after valid frames stops reading at once with one clear error; the good frames are kept", () => {
  const a = encodeEvents([event(T0_MS)], city);
  const b = encodeEvents([event(T0_MS + 1000)], city);
  const framed = writeFrames([a, b]);
  const zeros = new Uint8Array(framed.byteLength + (4 << 20));
  zeros.set(framed);
  const scanned = scanFrames(zeros);
  expect(scanned.frames).toHaveLength(2);
  expect(scanned.error).toBeInstanceOf(ParkirWireError);
  expect(scanned.error!.offset).toBe(framed.byteLength);
  expect(scanned.error!.message).toMatch(
    /frame 3: frame of 0 bytes cannot hold a batch; stopped reading here/,
  );
  expect(() => readFrames(zeros)).toThrow(ParkirWireError);
  // A length beyond the cap, and a frame that is not a batch, end reading too.
  const big = new Uint8Array(16);
  new DataView(big.buffer).setUint32(0, 1 << 20, true);
  expect(scanFrames(big, 1 << 16).error!.reason).toBe("too-large");
  const other = writeFrames([new Uint8Array(64).fill(7)]);
  expect(scanFrames(other).error!.reason).toBe("bad-identifier");
  expect(scanFrames(framed)).toEqual({ frames: readFrames(framed) });
});

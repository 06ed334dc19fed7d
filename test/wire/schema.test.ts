import { execFileSync, spawnSync } from "node:child_process";
import { Builder, ByteBuffer } from "flatbuffers";
import { expect, test } from "vitest";
import { Event } from "../../src/wire/generated/event.js";
import { EventBatch } from "../../src/wire/generated/event-batch.js";
import * as L from "../../src/wire/layout.js";

const hasFlatc = spawnSync("flatc", ["--version"]).status === 0;

test.skipIf(!hasFlatc)("committed generated code is what flatc makes of parkir.fbs (npm run gen)", () => {
  const out = execFileSync("node", ["src/wire/schema/gen.mjs", "--check"], { encoding: "utf8" });
  expect(out).toMatch(/current/);
});

test("layout.ts offsets agree with the flatc-generated Event accessors", () => {
  expect(Event.sizeOf()).toBe(L.EVENT_STRIDE);
  const b = new Builder(64);
  EventBatch.startEventsVector(b, 1);
  Event.createEvent(b, 0x01020304, 0x05060708, 0x090a0b0c, -2, 9, 3, 5, 0, 0x11121314);
  const vec = b.endVector();
  EventBatch.startEventBatch(b);
  EventBatch.addEvents(b, vec);
  b.finish(EventBatch.endEventBatch(b), L.BATCH_IDENTIFIER);
  const bytes = b.asUint8Array().slice();
  const batch = EventBatch.getRootAsEventBatch(new ByteBuffer(bytes));
  const ev = batch.events(0)!;
  const dv = new DataView(bytes.buffer);
  const at = ev.bb_pos;
  expect(dv.getUint32(at + L.EV_TIME_MS, true)).toBe(ev.timeMs());
  expect(dv.getUint32(at + L.EV_TARGET, true)).toBe(ev.target());
  expect(dv.getUint32(at + L.EV_SEQ, true)).toBe(ev.seq());
  expect(dv.getInt32(at + L.EV_VALUE, true)).toBe(ev.value());
  expect(dv.getUint8(at + L.EV_KIND)).toBe(ev.kind());
  expect(dv.getUint8(at + L.EV_VEHICLE)).toBe(ev.vehicle());
  expect(dv.getUint8(at + L.EV_FLAGS)).toBe(ev.flags());
  expect(dv.getUint8(at + L.EV_RESERVED)).toBe(ev.reserved());
  expect(dv.getUint32(at + L.EV_DEVICE, true)).toBe(ev.device());
  expect(at % 8).toBe(0);
});

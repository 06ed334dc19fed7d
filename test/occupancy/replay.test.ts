/** `parkir replay`: output format, determinism, input formats, bad input. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, expect, test, vi } from "vitest";
import { CliError } from "../../src/cli/errors.js";
import { register, replayBytes, runReplay } from "../../src/cli/replay.js";
import { type CdsEvent, encodeEventBatches, writeFrames } from "../../src/wire/index.js";
import { bayEvent, MIN, T0, testCity } from "./fixtures.js";

const city = testCity();

function files(lines: string) {
  const dir = mkdtempSync(join(tmpdir(), "parkir-replay-"));
  const cityPath = join(dir, "city.json");
  writeFileSync(
    cityPath,
    JSON.stringify({
      id: city.id,
      name: city.name,
      timeZone: city.timeZone,
      currency: city.currency,
      synthetic: true,
      zones: city.zones,
    }),
  );
  const eventsPath = join(dir, "events.jsonl");
  writeFileSync(eventsPath, lines);
  return { dir, cityPath, eventsPath };
}

const events: CdsEvent[] = [
  ...["A1", "A2", "A3", "A4"].map((b) =>
    bayEvent("scheduled_report", b, T0, { occupied: false, sequence_number: 1 }),
  ),
  bayEvent("park_start", "A1", T0 + 1 * MIN, { sequence_number: 2 }),
  bayEvent("park_start", "A1", T0 + 1 * MIN, { sequence_number: 2 }), // retransmission
  bayEvent("park_start", "A2", T0 + 2 * MIN, { sequence_number: 2 }),
  bayEvent("park_end", "A1", T0 + 3 * MIN, { sequence_number: 3 }),
  bayEvent("scheduled_report", "A3", T0 + 9 * MIN, { occupied: false, sequence_number: 2 }),
  bayEvent("park_end", "A2", T0 + 4 * MIN, { sequence_number: 3 }), // late: watermark is 7 min
  { event_id: "u", event_type: "park_start", event_time: T0 + 9 * MIN, curb_space_id: "NOPE" },
];
const jsonl = `${events.map((e) => JSON.stringify(e)).join("\n")}\nnot json\n{"event_id":"x"}\n`;

afterEach(() => vi.restoreAllMocks());

function capture(f: (write: (t: string) => void, warn: (m: string) => void) => void) {
  let out = "";
  const warnings: string[] = [];
  f(
    (t) => {
      out += t;
    },
    (m) => warnings.push(m),
  );
  return { out, warnings };
}

test("prints one line per window, zone and class in the documented key order, then the summary", () => {
  const f = files(jsonl);
  const { out, warnings } = capture((write, warn) => runReplay(f, {}, write, { warn }));
  const lines = out.trimEnd().split("\n");
  expect(lines).toHaveLength(6 + 1); // one window [0, 5) × 6 rows, summary
  expect(lines[0]).toBe(
    `{"type":"occupancy","zone":"A","vehicleType":"car","windowStart":${T0},"windowEnd":${T0 + 5 * MIN},` +
      `"occupancy":0.25,"coverage":1,"arrivals":2,"departures":1,"peakOccupied":2,"meanDwellMs":120000,"detection":"singleSpaceDetection"}`,
  );
  expect(lines[1]).toBe(
    `{"type":"occupancy","zone":"B","vehicleType":"motorcycle","windowStart":${T0},"windowEnd":${T0 + 5 * MIN},` +
      `"occupancy":null,"coverage":0,"arrivals":0,"departures":0,"peakOccupied":0,"meanDwellMs":null,"detection":"manual"}`,
  );
  expect(JSON.parse(lines[6]!)).toEqual({
    type: "summary",
    accepted: 8,
    duplicate: 1,
    late: 1,
    unknownBay: 1,
    clockSkew: 0,
    rejected: 2,
  });
  expect(lines[6]).toBe(
    '{"type":"summary","accepted":8,"duplicate":1,"late":1,"unknownBay":1,"clockSkew":0,"rejected":2}',
  );
  expect(warnings.join("\n")).toMatch(/line 12/);
  expect(warnings.join("\n")).toMatch(/line 13/);
  expect(warnings.join("\n")).toMatch(/NOPE/);
});

test("output is byte-identical across runs, batch sizes and input formats", () => {
  const f = files(jsonl);
  const a = capture((write, warn) => runReplay(f, {}, write, { warn })).out;
  const b = capture((write, warn) => runReplay(f, {}, write, { warn })).out;
  expect(b).toBe(a);
  const c = capture((write, warn) =>
    replayBytes(city, new TextEncoder().encode(jsonl), { batchEvents: 1 }, write, { warn }),
  ).out;
  expect(c).toBe(a);
  // Frames: the same valid events (unknown ids are dropped by the encoder either way).
  const valid = events.filter((e) => e.curb_space_id !== "NOPE");
  const fb = writeFrames(encodeEventBatches(valid, city, 3));
  const fbPath = join(f.dir, "events.fb");
  writeFileSync(fbPath, fb);
  const d = capture((write, warn) =>
    runReplay({ cityPath: f.cityPath, eventsPath: fbPath }, {}, write, { warn }),
  ).out;
  const body = (s: string) => s.trimEnd().split("\n").slice(0, -1).join("\n");
  expect(body(d)).toBe(body(a));
});

test("options change the windows; hooks add lines after each window", () => {
  const f = files(jsonl);
  const { out } = capture((write, warn) =>
    runReplay(f, { windowMs: 10 * MIN, allowedLatenessMs: 0, minCoverage: 1 }, write, {
      warn,
      onWindows: (w) => [`{"type":"tariff","windowStart":${w.windowStart}}`],
    }),
  );
  const lines = out.trimEnd().split("\n");
  expect(lines).toHaveLength(0 + 1); // the window [0, 10) does not end before the last event (9 min)
  const g = capture((write, warn) =>
    runReplay(f, { windowMs: MIN, allowedLatenessMs: 0 }, write, {
      warn,
      onWindows: (w) => [`{"type":"tariff","windowStart":${w.windowStart}}`],
    }),
  ).out;
  const types = g
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l).type as string);
  expect(types.filter((t) => t === "tariff")).toHaveLength(9);
  expect(types.slice(0, 7)).toEqual([
    "occupancy",
    "occupancy",
    "occupancy",
    "occupancy",
    "occupancy",
    "occupancy",
    "tariff",
  ]);
});

test("bad options and files are CLI errors", () => {
  const f = files(jsonl);
  expect(() => runReplay(f, { windowMs: 10 * MIN, sensorTimeoutMs: MIN }, () => {})).toThrow(CliError);
  const bad = join(f.dir, "bad.fb");
  writeFileSync(bad, "hello");
  expect(() => runReplay({ cityPath: f.cityPath, eventsPath: bad }, {}, () => {})).toThrow(CliError);
});

test("the command parses durations and ratios", async () => {
  const f = files(jsonl);
  let out = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  const program = new Command("parkir").exitOverride();
  register(program);
  program.commands[0]!.exitOverride();
  await program.parseAsync(
    [
      "replay",
      "--city",
      f.cityPath,
      "--events",
      f.eventsPath,
      "--window",
      "1m",
      "--lateness",
      "0s",
      "--min-coverage",
      "0.9",
    ],
    {
      from: "user",
    },
  );
  expect(out.trimEnd().split("\n")).toHaveLength(9 * 6 + 1);
  await expect(
    program.parseAsync(["replay", "--city", f.cityPath, "--events", f.eventsPath, "--window", "5 minutes"], {
      from: "user",
    }),
  ).rejects.toThrow(/duration/);
  await expect(
    program.parseAsync(["replay", "--city", f.cityPath, "--events", f.eventsPath, "--min-coverage", "2"], {
      from: "user",
    }),
  ).rejects.toThrow(/between 0 and 1/);
});

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { CliError } from "../../src/cli/errors.js";
import { register } from "../../src/cli/quote.js";

let out = "";
beforeEach(() => {
  out = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

const dir = mkdtempSync(join(tmpdir(), "parkir-quote-"));
const cityFile = join(dir, "city.json");
writeFileSync(
  cityFile,
  JSON.stringify({
    id: "c",
    name: "C",
    timeZone: "Asia/Makassar",
    currency: "IDR",
    zones: [
      {
        id: "PLU-001",
        name: "Market",
        location: { lat: -0.89, lon: 119.86 },
        street: "on",
        zoneClass: "A",
        detection: ["baySensors", "attendantCounts"],
        capacity: { motorcycle: 10 },
        bays: [{ id: "B1", vehicleType: "car", sensorId: "S1" }],
      },
    ],
  }),
);

async function run(...args: string[]): Promise<void> {
  const program = new Command("parkir").exitOverride();
  register(program);
  for (const c of program.commands) c.exitOverride().configureOutput({ writeErr: () => {} });
  await program.parseAsync(args, { from: "user" });
}

const base = ["quote", "--city", cityFile, "--policy", "seeds/palu/policy.json", "--zone", "PLU-001"];

test("prints the quote as JSON: flat and dynamic Palu policies", async () => {
  await run(
    ...base,
    "--vehicle",
    "car",
    "--start",
    "2026-11-30T09:00:00+08:00",
    "--end",
    "2026-11-30T10:30:00+08:00",
  );
  expect(JSON.parse(out)).toMatchObject({ amount: 4000, currency: "IDR", breakdown: [{ amount: 4000 }] });
  out = "";
  await run(
    ...base,
    "--variant",
    "dynamic",
    "--vehicle",
    "car",
    "--start",
    "2026-11-30T09:00:00+08:00",
    "--end",
    "2026-11-30T10:30:00+08:00",
    "--assurance",
    "integrated",
  );
  expect(JSON.parse(out)).toMatchObject({ amount: 6000, assurance: "integrated" });
});

test("bad arguments fail with a clear message", async () => {
  await expect(
    run(
      ...base,
      "--vehicle",
      "bicycle",
      "--start",
      "2026-11-30T09:00:00+08:00",
      "--end",
      "2026-11-30T10:00:00+08:00",
    ),
  ).rejects.toThrow(/vehicle class/);
  await expect(
    run(...base, "--vehicle", "car", "--start", "noon", "--end", "2026-11-30T10:00:00+08:00"),
  ).rejects.toThrow(/ISO-8601/);
  await expect(
    run(
      "quote",
      "--city",
      cityFile,
      "--policy",
      "seeds/palu/policy.json",
      "--zone",
      "X",
      "--vehicle",
      "car",
      "--start",
      "2026-11-30T09:00:00+08:00",
      "--end",
      "2026-11-30T10:00:00+08:00",
    ),
  ).rejects.toThrow(new CliError("--zone: unknown zone X"));
  await expect(
    run(
      ...base,
      "--variant",
      "nope",
      "--vehicle",
      "car",
      "--start",
      "2026-11-30T09:00:00+08:00",
      "--end",
      "2026-11-30T10:00:00+08:00",
    ),
  ).rejects.toThrow(/no variant "nope"/);
  await expect(
    run(
      ...base,
      "--vehicle",
      "car",
      "--start",
      "2026-11-30T09:00:00+08:00",
      "--end",
      "2026-11-30T08:00:00+08:00",
    ),
  ).rejects.toThrow(/--end must not be before --start/);
});

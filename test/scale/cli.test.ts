/** `parkir worker` and `parkir publish` refuse bad usage and an unreachable server with clear messages. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { main } from "../../src/cli/main.js";
import { freePort } from "../../src/scale/nats-server.js";

let err = "";
beforeEach(() => {
  err = "";
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    return true;
  });
  process.exitCode = undefined;
});
afterEach(() => {
  vi.restoreAllMocks();
});

test("bad options exit 2 before connecting", async () => {
  expect(await main(["worker", "--nats", "not a url", "--partitions", "6"])).toBe(2);
  expect(err).toMatch(/must be a NATS URL/);
  err = "";
  expect(await main(["worker", "--nats", "nats://127.0.0.1:1", "--partitions", "0"])).toBe(2);
  err = "";
  const empty = join(mkdtempSync(join(tmpdir(), "parkir-cli-")), "empty.jsonl");
  writeFileSync(empty, "");
  expect(await main(["publish", "--nats", "nats://127.0.0.1:1", "--partitions", "2000", empty])).toBe(2);
  expect(err).toMatch(/partitions must be an integer in \[1, 1024\]/);
  err = "";
  expect(
    await main(["worker", "--nats", "nats://127.0.0.1:1", "--partitions", "3", "--variant", "dynamic"]),
  ).toBe(2);
  expect(err).toMatch(/--variant needs --policy/);
});

test("a server nobody listens on: exit 1, one line, no stack trace", async () => {
  const url = `nats://127.0.0.1:${await freePort()}`;
  expect(await main(["worker", "--nats", url, "--partitions", "3"])).toBe(1);
  expect(err).toMatch(/^parkir: cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+/);
  expect(err).not.toMatch(/\n\s+at /);
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { runGateway } from "../../examples/gateway.js";
import { generateTrace, loadCityFile, seedPath } from "../../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "parkir-gateway-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the gateway example resumes after a crash with the output of a run that never stopped", () => {
  const city = loadCityFile(seedPath("palu", "city.json"));
  const events = generateTrace(city, {
    seed: 11,
    startMs: Date.parse("2026-11-30T07:00:00+08:00"),
    hours: 3,
  });
  const lines = events.map((e) => JSON.stringify(e));
  lines.splice(1500, 0, "{not json", '{"event_type":"park_start"}'); // bad lines are reported and skipped
  const input = join(dir, "events.jsonl");
  writeFileSync(input, `${lines.join("\n")}\n`);
  const quiet = { batchLines: 500, commitEvery: 3, log: () => undefined };

  const whole = runGateway({ ...quiet, input, stateDir: join(dir, "a"), output: join(dir, "a.jsonl") });
  expect(whole.finished).toBe(true);
  expect(whole.badLines).toBe(2);
  expect(whole.windows).toBeGreaterThan(30);

  // Crash after 8 batches: 6 are committed, 2 are not (their output lines must go).
  const b = { ...quiet, input, stateDir: join(dir, "b"), output: join(dir, "b.jsonl") };
  const first = runGateway({ ...b, crashAfterBatches: 8 });
  expect(first.finished).toBe(false);
  const logged: string[] = [];
  const second = runGateway({ ...b, log: (l) => logged.push(l) });
  expect(second.resumedFromLine).toBe(6 * 500);
  expect(logged[0]).toMatch(/^restored at input line 3000, output \d+ bytes$/);
  expect(second.finished).toBe(true);
  expect(readFileSync(join(dir, "b.jsonl"), "utf8")).toBe(readFileSync(join(dir, "a.jsonl"), "utf8"));

  // A third start finds the input consumed: nothing new, the output unchanged.
  const third = runGateway(b);
  expect(third.batches).toBe(0);
  expect(readFileSync(join(dir, "b.jsonl"), "utf8")).toBe(readFileSync(join(dir, "a.jsonl"), "utf8"));
});

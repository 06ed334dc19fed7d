/**
 * The gateway in process, without a broker: messages fed with ingestMessage, a "crash" is abandoning a gateway
 * after its log is written (its timers set far out so it never acts again), then a new gateway on the same
 * directory. Output must equal an uninterrupted run's; bad state and short outputs give one clear error.
 */
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { loadCityFile } from "../../src/catalog/index.js";
import { encodeState, readState } from "../../src/gateway/files.js";
import {
  createGateway,
  type FleetMessage,
  fleetMessages,
  type Gateway,
  type GatewayOptions,
  ParkirStateError,
} from "../../src/gateway/index.js";
import { generateTrace } from "../../src/generate/index.js";
import { seedPath } from "../../src/paths.js";
import { loadPolicyFile } from "../../src/pricing/index.js";

const city = loadCityFile(seedPath("palu", "city.json"));
const START = Date.parse("2026-11-30T07:00:00+08:00");
const NOW = START + 3 * 3_600_000;
const events = generateTrace(city, { seed: 5, startMs: START, hours: 2 });
const messages = fleetMessages(city, events, { format: "tts" });
/** The Palu policy's dynamic variant: hourly step controllers on the 50 sensed points. */
const policy = loadPolicyFile(seedPath("palu", "policy.json"), { variant: "dynamic" });
const root = mkdtempSync(join(tmpdir(), "parkir-gw-resume-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const NEVER = 2_000_000_000; // timers that do not fire during a test: checkpoints are taken by hand

function options(stateDir: string, extra: Partial<GatewayOptions> = {}): GatewayOptions {
  return {
    city,
    stateDir,
    clock: () => NOW,
    engine: { idleAdvanceMs: 0 },
    checkpointIntervalMs: NEVER,
    tickMs: NEVER,
    log: () => undefined,
    ...extra,
  };
}

const turn = () => new Promise((r) => setImmediate(r));

async function feed(gw: Gateway, msgs: readonly FleetMessage[]): Promise<void> {
  for (let i = 0; i < msgs.length; i++) {
    gw.ingestMessage(msgs[i]!.topic, msgs[i]!.payload);
    if (i % 500 === 499) await turn();
  }
  await turn();
  await turn();
}

async function uninterrupted(): Promise<string> {
  const dir = join(root, `whole-${dirs++}`);
  const gw = createGateway(options(dir, { policy }));
  await gw.start();
  await feed(gw, messages);
  await gw.stop();
  expectedDecisions = readFileSync(join(dir, "decisions.jsonl"), "utf8");
  return readFileSync(join(dir, "windows.jsonl"), "utf8");
}

let expected: string;
let expectedDecisions: string;

describe("gateway resume (in process)", () => {
  test("an uninterrupted run closes windows and counts every event once", async () => {
    expected = await uninterrupted();
    expect(expected.split("\n").length).toBeGreaterThan(1000);
    const decisions = expectedDecisions;
    expect(decisions.split("\n").length).toBeGreaterThan(50);
    expect(await uninterrupted()).toBe(expected); // deterministic
    expect(expectedDecisions).toBe(decisions);
  });

  test("crashes at random moments, with checkpoints at random moments, end in the uninterrupted output", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: messages.length - 1 }), { minLength: 1, maxLength: 4 }),
        fc.uniqueArray(fc.integer({ min: 1, max: messages.length - 1 }), { maxLength: 4 }),
        fc.integer({ min: 0, max: 40 }),
        async (crashes, checkpoints, redeliver) => {
          const dir = join(root, `crash-${dirs++}`);
          const cuts = [...crashes].sort((a, b) => a - b);
          let from = 0;
          for (const cut of [...cuts, messages.length]) {
            const gw = createGateway(options(dir, { policy }));
            await gw.start();
            // The broker re-delivers what was in flight at the crash: the same messages again.
            const again = messages.slice(Math.max(0, from - redeliver), cut);
            const marks = checkpoints.filter((c) => c > from && c <= cut).map((c) => c - from);
            let done = 0;
            for (const m of [...marks, again.length]) {
              await feed(gw, again.slice(done, m));
              done = m;
              if (done < again.length) gw.checkpoint();
            }
            if (cut === messages.length) await gw.stop(); // else abandoned: a crash after the log was written
            from = cut;
          }
          expect(readFileSync(join(dir, "windows.jsonl"), "utf8")).toBe(expected);
          // Pricing state is in the same checkpoint: tariff decisions after the crashes equal the uninterrupted ones.
          expect(readFileSync(join(dir, "decisions.jsonl"), "utf8")).toBe(expectedDecisions);
        },
      ),
      { numRuns: 6 },
    );
  }, 120_000);

  test("an empty or corrupt state file, or an output shorter than committed, gives one clear error", async () => {
    const dir = join(root, `bad-${dirs++}`);
    const gw = createGateway(options(dir));
    await gw.start();
    await feed(gw, messages.slice(0, 3000));
    await gw.stop();
    const state = join(dir, "state.bin");
    const good = readFileSync(state);

    truncateSync(join(dir, "windows.jsonl"), 10);
    await expect(createGateway(options(dir)).start()).rejects.toThrow(
      /windows\.jsonl has 10 bytes but \d+ were committed: it was cut short or replaced outside parkir/,
    );
    rmSync(join(dir, "windows.jsonl"));
    await expect(createGateway(options(dir)).start()).rejects.toBeInstanceOf(ParkirStateError);

    const dir2 = join(root, `bad-${dirs++}`);
    for (const [bytes, what] of [
      [Buffer.alloc(0), "it is empty"],
      [good.subarray(0, 12), "cut short"],
      [Buffer.concat([good.subarray(0, 100), Buffer.from("x"), good.subarray(101)]), "checksum mismatch"],
      [Buffer.from("not a state file at all, just text"), "wrong magic"],
    ] as const) {
      rmSync(dir2, { recursive: true, force: true });
      const g = createGateway(options(dir2));
      await g.start();
      await g.stop();
      writeFileSync(join(dir2, "state.bin"), bytes);
      const err = await createGateway(options(dir2))
        .start()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ParkirStateError);
      expect((err as Error).message).toContain(what);
      expect((err as Error).message).toMatch(/Restore the state directory from a backup, or move .* aside/);
    }
  });

  test("pricing state of another policy, or a damaged pricing section, is refused with one clear error", async () => {
    const dir = join(root, `pricing-${dirs++}`);
    const gw = createGateway(options(dir, { policy }));
    await gw.start();
    await feed(gw, messages.slice(0, 6000));
    await gw.stop();
    expect(gw.pricing!.decisions.length).toBeGreaterThan(0);
    expect(gw.counters.decisions).toBe(gw.pricing!.decisions.length);
    const statePath = join(dir, "state.bin");
    const saved = readState(statePath)!;
    expect(saved.pricing).toBeDefined();

    // Another policy (the flat base policy has no controllers): refused, the message says what to do.
    const flat = loadPolicyFile(seedPath("palu", "policy.json"));
    const err = await createGateway(options(dir, { policy: flat }))
      .start()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParkirStateError);
    expect((err as Error).message).toMatch(/pricing state in .* cannot be restored: .*another city, policy/);
    expect((err as Error).message).toMatch(/restore the ones it was written with/);

    // A pricing section that passes the file's checksum but is not a pricing checkpoint.
    const good = readFileSync(statePath);
    const { walSegment, outputs, ttsLastMs, recentIds, rejected } = saved.header;
    const header = { walSegment, outputs, ttsLastMs, recentIds, rejected };
    const damaged = saved.pricing!.slice();
    damaged[damaged.length - 2] = 0x7b; // "{" inside the JSON's tail
    writeFileSync(statePath, encodeState(header, saved.checkpoint, damaged));
    const err2 = await createGateway(options(dir, { policy }))
      .start()
      .catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(ParkirStateError);
    expect((err2 as Error).message).toMatch(/pricing state .* cannot be restored: bad-string.*not JSON/);

    // A version 1 state file (no pricing section) is still read: pricing starts from the published prices.
    const v1 = encodeState(header, saved.checkpoint);
    new DataView(v1.buffer).setUint32(4, 1, true);
    writeFileSync(statePath, v1);
    const lines: string[] = [];
    const g1 = createGateway(options(dir, { policy, log: (l) => lines.push(l) }));
    await g1.start();
    await g1.stop();
    expect(lines.join("\n")).toMatch(/holds no pricing state/);
    writeFileSync(statePath, good);
  });

  test("bad messages are counted per reason and dead-lettered raw; good ones around them are kept", async () => {
    const dir = join(root, `dead-${dirs++}`);
    const gw = createGateway(options(dir, { messageBytesMax: 4096 }));
    const seen: string[] = [];
    gw.rejections$.subscribe((r) => seen.push(r.reason));
    await gw.start();
    const t = "v3/palu/devices/x/up";
    gw.ingestMessage(t, Buffer.from("{oops"));
    gw.ingestMessage("not/a/pattern", Buffer.from("{}"));
    gw.ingestMessage(t, Buffer.alloc(10 * 1024 * 1024, 0x20));
    await feed(gw, messages.slice(0, 500));
    await gw.stop();
    expect(gw.counters.rejected["bad-json"]).toBe(1);
    expect(gw.counters.rejected["unknown-topic"]).toBe(1);
    expect(gw.counters.rejected["too-large"]).toBe(1);
    expect(seen).toEqual(["bad-json", "unknown-topic", "too-large"]);
    expect(gw.counters.events + gw.counters.redelivered).toBe(500); // the trace repeats a few events on purpose
    const dead = readFileSync(join(dir, "dead-letter.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(dead.map((d) => d.reason)).toEqual(["bad-json", "unknown-topic", "too-large"]);
    expect(Buffer.from(dead[0].payload, "base64").toString()).toBe("{oops");
    expect(dead[2].bytes).toBe(10 * 1024 * 1024);
    expect(Buffer.from(dead[2].payload, "base64").byteLength).toBe(65_536); // raw, but bounded
  });
});

import { Piscina } from "piscina";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  compileKernelSync,
  KernelPool,
  ParkirRuntimeError,
  ParkirWorkerError,
  SharedArena,
  sumU32Js,
  workerPath,
} from "../../src/runtime/index.js";
import { TEST_HOOKS_ENV } from "../../src/runtime/protocol.js";

// Under vitest, workers run src/runtime/worker.ts through dev-worker.cjs and dev-worker.mjs (see paths.ts).
process.env[TEST_HOOKS_ENV] = "1";

const WORDS = 1 << 20; // 4 MiB per sum: about a millisecond of work per task

describe("KernelPool", () => {
  const arena = new SharedArena({ initialBytes: 8 << 20 });
  const data = arena.alloc(4 * WORDS);
  const flags = arena.alloc(64);
  const words = arena.u32().subarray(data >> 2, (data >> 2) + WORDS);
  for (let i = 0; i < WORDS; i++) words[i] = Math.imul(i, 2654435761) >>> 0;
  const expected = sumU32Js(words);
  let kp: KernelPool;

  beforeAll(() => {
    expect(workerPath()).toMatch(/src[\\/]runtime[\\/]dev-worker\.cjs$/);
    kp = new KernelPool(arena, { threads: 2 });
    kp.provide("memread", compileKernelSync("memread"));
    kp.provide("memread_simd", compileKernelSync("memread_simd"));
  });
  afterAll(async () => {
    await kp.close();
  });

  it("runs the wasm kernel in workers over the shared memory", async () => {
    const sums = await Promise.all(
      [true, false, true, false].map((simd) => kp.run("sum", { ptr: data, count: WORDS, simd })),
    );
    expect(sums).toEqual([expected, expected, expected, expected]);
    expect(kp.pending).toBe(0);
  });

  it("retries a task once when its worker dies, and the pool replaces the worker", async () => {
    const flag = new Int32Array(arena.memory.buffer, flags, 1);
    flag[0] = 0;
    const before = kp.stats.retried;
    await expect(kp.run("testHook", { how: "exit-once", flag: flags })).resolves.toBe(0);
    expect(kp.stats.retried).toBe(before + 1);
    expect(await kp.run("sum", { ptr: data, count: WORDS, simd: true })).toBe(expected);
  });

  it("reports a task whose worker dies on every attempt as a crashed ParkirWorkerError", async () => {
    const err = await kp.run("testHook", { how: "exit", flag: flags }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParkirWorkerError);
    expect((err as ParkirWorkerError).crashed).toBe(true);
    expect((err as ParkirWorkerError).attempts).toBe(2);
    const sums = await Promise.all(
      [0, 1, 2].map(() => kp.run("sum", { ptr: data, count: WORDS, simd: true })),
    );
    expect(sums).toEqual([expected, expected, expected]);
  });

  it("does not retry a task that throws, nor a non-idempotent task whose worker dies", async () => {
    const thrown = await kp.run("testHook", { how: "throw", flag: flags }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(ParkirWorkerError);
    expect((thrown as ParkirWorkerError).crashed).toBe(false);
    expect((thrown as ParkirWorkerError).attempts).toBe(1);
    new Int32Array(arena.memory.buffer, flags, 1)[0] = 0;
    const once = await kp
      .run("testHook", { how: "exit-once", flag: flags }, { idempotent: false })
      .catch((e: unknown) => e);
    expect(once).toBeInstanceOf(ParkirWorkerError);
    expect((once as ParkirWorkerError).attempts).toBe(1);
  });

  it("survives workers killed mid-stream: every task of the stream completes with the right result", async () => {
    const flag = new Int32Array(arena.memory.buffer, flags, 1);
    flag[0] = 0;
    const retried = kp.stats.retried;
    const stream: Promise<number>[] = [];
    for (let i = 0; i < 12; i++) {
      if (i === 4) stream.push(kp.run("testHook", { how: "block-once", flag: flags }).then(() => expected));
      stream.push(kp.run("sum", { ptr: data, count: WORDS, simd: i % 2 === 0 }));
    }
    // Wait until a worker is inside the blocking task, then kill every worker.
    const waited = Atomics.waitAsync(flag, 0, 0, 10_000);
    if (waited.async) await waited.value;
    expect(flag[0]).toBe(1);
    await Promise.all(kp.pool.threads.map((w) => w.terminate()));
    expect(await Promise.all(stream)).toEqual(new Array(13).fill(expected));
    expect(kp.stats.retried).toBeGreaterThan(retried);
    expect(kp.pending).toBe(0);
  });

  it("bounds what is outstanding: extra callers wait for a slot, none is lost", async () => {
    const n = kp.maxOutstanding * 2;
    const all = await Promise.all(
      Array.from({ length: n }, () => kp.run("sum", { ptr: data, count: 1024, simd: false })),
    );
    expect(all).toEqual(new Array(n).fill(sumU32Js(words.subarray(0, 1024))));
  });

  it("refuses callers that do not await once 4 × maxOutstanding already wait", async () => {
    const small = new KernelPool(arena, { threads: 1, maxQueue: 0 });
    small.provide("memread", compileKernelSync("memread"));
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < 1 + 4 * small.maxOutstanding; i++)
      runs.push(small.run("sum", { ptr: data, count: 16, simd: false }));
    await expect(small.run("sum", { ptr: data, count: 16, simd: false })).rejects.toMatchObject({
      reason: "queue-full",
    });
    await Promise.all(runs);
    await small.close();
    await expect(small.run("ping", null)).rejects.toBeInstanceOf(ParkirRuntimeError);
  });

  it("stateful: a task queued for a worker that dies while starting fails as a crash instead of waiting forever, and the next task gets a new worker", async () => {
    // piscina starts no replacement for a worker that dies before it is ready, and leaves the task queued for
    // it; a stateful KernelPool fails every unsettled task when a worker exits.
    const own = new Piscina({ filename: workerPath(), minThreads: 1, maxThreads: 1 });
    const shard = new KernelPool(arena, { pool: own, retries: 0, stateful: true });
    const bounded = <T>(p: Promise<T>) =>
      Promise.race([
        p,
        new Promise<never>((_, no) => setTimeout(() => no(new Error("hung")), 15_000).unref()),
      ]);
    try {
      expect(typeof (await shard.run("ping", null))).toBe("number");
      await own.threads[0]!.terminate(); // piscina starts a replacement when it sees the exit
      const queued = shard.run("ping", null, { idempotent: false });
      for (const w of own.threads) void w.terminate(); // the replacement, still starting
      const err = await bounded(queued).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ParkirWorkerError);
      expect((err as ParkirWorkerError).crashed).toBe(true);
      expect(typeof (await bounded(shard.run("ping", null)))).toBe("number");
      expect(shard.pending).toBe(0);
    } finally {
      await shard.close();
      await own.destroy();
    }
  }, 30_000);

  it("absorbs and counts the pool's error events (a reply after its worker's exit), which unheard would crash the process", async () => {
    const own = new Piscina({ filename: workerPath(), minThreads: 1, maxThreads: 1 });
    const mine = new KernelPool(arena, { pool: own });
    try {
      // What piscina emits when a killed worker's reply arrives after its exit already failed the task.
      expect(() =>
        own.emit("error", new Error("Unexpected message from Worker: { taskId: 7 }")),
      ).not.toThrow();
      expect(mine.stats.poolErrors).toBe(1);
      expect(typeof (await mine.run("ping", null))).toBe("number");
    } finally {
      await mine.close();
      await own.destroy();
    }
    expect(own.listenerCount("error")).toBe(0);
  });

  it("runs on a caller's own Piscina instance and leaves it open on close", async () => {
    const own = new Piscina({ minThreads: 1, maxThreads: 1 });
    const mine = new KernelPool(arena, { pool: own });
    mine.provide("memread_simd", compileKernelSync("memread_simd"));
    expect(await mine.run("sum", { ptr: data, count: WORDS, simd: true })).toBe(expected);
    await mine.close();
    expect(
      typeof (await own.run(
        { op: "ping", args: null, arena: { id: arena.id, memory: arena.memory }, modules: {} },
        { filename: workerPath() },
      )),
    ).toBe("object");
    await own.destroy();
  });
});

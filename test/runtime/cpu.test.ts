/** threadCpuMs: the calling thread's CPU time, from the best source the platform has; threadCpuMsOf: another thread's. */
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { threadCpuMs, threadCpuMsOf, threadCpuSource, threadTaskId } from "../../src/runtime/index.js";

describe("threadCpuMs", () => {
  it("reads a finite, never decreasing time where the platform tells one", () => {
    const source = threadCpuSource();
    if (process.platform === "linux") expect(source).not.toBe("none");
    if (source === "none") {
      expect(threadCpuMs()).toBeNaN();
      return;
    }
    let last = threadCpuMs();
    expect(Number.isFinite(last)).toBe(true);
    expect(last).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < 50; i++) {
      let x = 0;
      for (let k = 0; k < 10_000; k++) x += Math.sqrt(k);
      expect(x).toBeGreaterThan(0);
      const now = threadCpuMs();
      expect(now).toBeGreaterThanOrEqual(last);
      last = now;
    }
  });
});

describe("threadCpuMsOf", () => {
  it("reads a worker thread's CPU time from another thread: never below what the worker reads itself", async () => {
    const self = threadTaskId();
    if (process.platform !== "linux" || self === null) {
      expect(threadCpuMsOf(1)).toBeNaN();
      return;
    }
    expect(Number.isSafeInteger(self)).toBe(true);
    // The calling thread, read by id, is a finite time too.
    expect(Number.isFinite(threadCpuMsOf(self))).toBe(true);
    expect(threadCpuMsOf(0)).toBeNaN();
    const source = `
      const { parentPort } = require("node:worker_threads");
      const { readlinkSync, readFileSync } = require("node:fs");
      const own = () => Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1e6;
      parentPort.postMessage(Number(readlinkSync("/proc/thread-self").split("/").pop()));
      parentPort.on("message", (n) => {
        const c0 = own();
        let x = 0;
        for (let i = 0; i < n; i++) x = (x * 31 + i) | 0;
        parentPort.postMessage({ inside: own() - c0, x });
      });`;
    const worker = new Worker(source, { eval: true });
    try {
      const id = await new Promise<number>((resolve) => worker.once("message", resolve));
      expect(id).not.toBe(self);
      let inside = 0;
      const before = threadCpuMsOf(id);
      expect(Number.isFinite(before)).toBe(true);
      for (let k = 0; k < 20; k++) {
        worker.postMessage(2_000_000);
        const r = await new Promise<{ inside: number }>((resolve) => worker.once("message", resolve));
        inside += r.inside;
        // Let the worker go back to waiting, so its run time is up to date.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const outside = threadCpuMsOf(id) - before;
      expect(outside).toBeGreaterThan(0);
      expect(outside).toBeGreaterThanOrEqual(inside);
    } finally {
      await worker.terminate();
    }
  });
});

/** threadCpuMs: the calling thread's CPU time, from the best source the platform has. */
import { describe, expect, it } from "vitest";
import { threadCpuMs, threadCpuSource } from "../../src/runtime/index.js";

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

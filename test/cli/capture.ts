/** Captures what the in-process CLI writes to standard output and standard error, per test. */
import { afterEach, beforeEach, vi } from "vitest";

/** What a test's CLI run wrote; `out` and `err` are reset before each test and may be reset by hand. */
export interface Captured {
  out: string;
  err: string;
}

/** Registers hooks that replace process.stdout/stderr writes with capture for every test of the file. */
export function captureOutput(): Captured {
  const captured: Captured = { out: "", err: "" };
  beforeEach(() => {
    captured.out = "";
    captured.err = "";
    vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
      captured.out += String(s);
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => {
      captured.err += String(s);
      return true;
    });
    process.exitCode = undefined;
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return captured;
}

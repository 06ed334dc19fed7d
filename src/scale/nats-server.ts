/**
 * Starts Debian's nats-server with JetStream on a free loopback port with a temporary store, for tests,
 * benchmarks and local trials (docs/SCALE-OUT.md). Not part of the package's public API.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ParkirScaleError } from "./errors.js";

/** Path of the server binary (the NATS_SERVER environment variable overrides it). */
export const NATS_SERVER_BIN = process.env.NATS_SERVER ?? "/usr/sbin/nats-server";

/** A running server. */
export interface NatsServer {
  readonly url: string;
  readonly pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 3 s) and removes its store. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts nats-server -js on a free loopback port; resolves once it accepts clients. */
export async function startNatsServer(): Promise<NatsServer> {
  if (!existsSync(NATS_SERVER_BIN))
    throw new ParkirScaleError(
      `${NATS_SERVER_BIN} not found: install Debian's nats-server (apt-get install nats-server)`,
    );
  const dir = mkdtempSync(join(tmpdir(), "parkir-nats-"));
  const port = await freePort();
  const child: ChildProcess = spawn(
    NATS_SERVER_BIN,
    ["-js", "-sd", dir, "-a", "127.0.0.1", "-p", String(port)],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let log = "";
  child.stderr?.on("data", (d: Buffer) => {
    if (log.length < 100_000) log += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 200; i++) {
    if (log.includes("Server is ready")) return { url: `nats://127.0.0.1:${port}`, pid: child.pid!, stop };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new ParkirScaleError(`nats-server did not start:\n${log}`);
}

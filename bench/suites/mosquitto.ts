/** Starts Debian's mosquitto on a free loopback port with a temporary directory; stops it by its pid (bench and tests). */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where Debian installs mosquitto. */
export const MOSQUITTO = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"].find((p) => existsSync(p));

/** A running broker. */
export interface Broker {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  /** Kills it at once (for process exit, where nothing asynchronous runs). */
  killNow(): void;
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const a = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return typeof a === "object" && a !== null ? a.port : 0;
}

/**
 * Starts mosquitto with a persistent-session friendly configuration: queues without limit for a client that is
 * away (the gateway's restarts), up to `inflight` unacknowledged messages per client.
 */
export async function startMosquitto(inflight = 100): Promise<Broker> {
  if (MOSQUITTO === undefined) throw new Error("mosquitto is not installed (apt-get install mosquitto)");
  const dir = mkdtempSync(join(tmpdir(), "parkir-mosquitto-"));
  const port = await freePort();
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "persistence false",
      `max_inflight_messages ${inflight}`,
      "max_queued_messages 0",
      "max_queued_bytes 0",
      "log_dest stderr",
      "log_type error",
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(MOSQUITTO, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  // Never outlive this process (a test runner may end its worker before an afterAll hook completes).
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", onExit);
  child.once("exit", () => process.off("exit", onExit));
  let err = "";
  child.stderr?.on("data", (d) => {
    err += String(d);
  });
  // A broker never keeps its owner's process alive by itself (the exit handler above ends it).
  child.unref();
  (child.stderr as import("node:net").Socket | null)?.unref();
  // Wait (bounded) until it accepts connections.
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, "127.0.0.1", () => {
        s.destroy();
        r(true);
      });
      s.on("error", () => r(false));
    });
    if (ok) break;
    if (i > 100 || child.exitCode !== null) {
      child.kill("SIGKILL");
      throw new Error(`mosquitto did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    killNow() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
    async stop() {
      if (child.exitCode === null && child.pid !== undefined) {
        const exited = new Promise((r) => child.once("exit", r));
        process.kill(child.pid, "SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) process.kill(child.pid, "SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * CPU time of the calling thread (main thread or worker), for the figures that say how much of a core a
 * thread used: wall time on a shared machine counts time the thread waited for a core, CPU time does not.
 */

import { readFileSync, readlinkSync } from "node:fs";

/** Where threadCpuMs reads the time from (first that works on this platform). */
export type ThreadCpuSource = "threadCpuUsage" | "schedstat" | "stat" | "none";

/** Clock ticks per second of /proc times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

type ThreadCpuUsage = () => { user: number; system: number };

let source: ThreadCpuSource | undefined;

/**
 * CPU time of the calling thread so far, ms; NaN where the platform does not tell. Node's
 * `process.threadCpuUsage` (Node ≥ 23.9) where present, else Linux's `/proc/thread-self/schedstat`
 * (nanoseconds on a core), else `/proc/thread-self/stat` (10 ms ticks).
 *
 * @example
 * const c0 = threadCpuMs(); work(); const cpu = threadCpuMs() - c0;
 */
export function threadCpuMs(): number {
  if (source === undefined) source = probe();
  switch (source) {
    case "threadCpuUsage": {
      const u = (process as unknown as { threadCpuUsage: ThreadCpuUsage }).threadCpuUsage();
      return (u.user + u.system) / 1000;
    }
    case "schedstat":
      return schedstatMs() ?? Number.NaN;
    case "stat":
      return statMs() ?? Number.NaN;
    default:
      return Number.NaN;
  }
}

/** Which source threadCpuMs uses on this platform. */
export function threadCpuSource(): ThreadCpuSource {
  if (source === undefined) source = probe();
  return source;
}

function probe(): ThreadCpuSource {
  if (typeof (process as { threadCpuUsage?: unknown }).threadCpuUsage === "function") return "threadCpuUsage";
  if (schedstatMs() !== null) return "schedstat";
  if (statMs() !== null) return "stat";
  return "none";
}

/** First field of schedstat: ns the thread ran on a core. */
function schedstatMs(): number | null {
  try {
    const ns = Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ", 1)[0]);
    return Number.isFinite(ns) ? ns / 1e6 : null;
  } catch {
    return null;
  }
}

/** utime + stime of the thread's stat, in ticks. */
function statMs(): number | null {
  try {
    const text = readFileSync("/proc/thread-self/stat", "utf8");
    // Fields after the command name (which may hold spaces) start at field 3: utime is field 14, stime 15.
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(f[11]) + Number(f[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / USER_HZ : null;
  } catch {
    return null;
  }
}

/**
 * The calling thread's id in the process (Linux task id, from `/proc/thread-self`), for threadCpuMsOf from
 * another thread; null where there is none.
 */
export function threadTaskId(): number | null {
  try {
    const id = Number(readlinkSync("/proc/thread-self").split("/").pop());
    return Number.isSafeInteger(id) && id > 0 ? id : null;
  } catch {
    return null;
  }
}

/**
 * CPU time so far of thread `taskId` of this process (see threadTaskId), ms, read from another thread; NaN
 * where the platform does not tell. Exact while that thread waits (its run time is brought up to date when it
 * stops running): the way to time a worker's tasks. The calling thread's own schedstat lags by up to a
 * scheduler tick while it runs, so timing a few-millisecond task from inside it undercounts by about half a
 * tick per task.
 */
export function threadCpuMsOf(taskId: number): number {
  try {
    const ns = Number(readFileSync(`/proc/self/task/${taskId}/schedstat`, "utf8").split(" ", 1)[0]);
    return Number.isFinite(ns) ? ns / 1e6 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

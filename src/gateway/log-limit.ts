/**
 * Log lines rate-limited per reason: at most `perMinute` lines of one key per minute of the clock; the rest are
 * counted, and the count is logged when the key's next minute starts. Bounded by the number of keys (the
 * gateway's fixed reasons).
 */
export class RateLimitedLog {
  private readonly windows = new Map<string, { start: number; n: number; suppressed: number }>();
  /** Lines suppressed so far. */
  suppressed = 0;

  constructor(
    private readonly log: (line: string) => void,
    private readonly clock: () => number,
    private readonly perMinute: number,
  ) {}

  /** Logs `line` unless `key` already had `perMinute` lines in its current minute. */
  line(key: string, line: string): void {
    const now = this.clock();
    let w = this.windows.get(key);
    if (w === undefined || now - w.start >= 60_000) {
      if (w !== undefined && w.suppressed > 0)
        this.log(`${w.suppressed} more '${key}' lines suppressed in the last minute`);
      w = { start: now, n: 0, suppressed: 0 };
      this.windows.set(key, w);
    }
    if (w.n < this.perMinute) {
      w.n++;
      this.log(line);
    } else {
      w.suppressed++;
      this.suppressed++;
    }
  }
}

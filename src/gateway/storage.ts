/**
 * Backfill from The Things Stack's Storage Integration: its MQTT server delivers at QoS 0 and keeps nothing for
 * a client that is away, so after a restart the uplinks of the gap are fetched over HTTP
 * (`GET /api/v3/as/applications/{app}/packages/storage/uplink_message?after=…&limit=…`, newline-delimited
 * `{"result": <uplink>}`) and fed through the same path as live ones; de-duplication drops any seen before.
 */

/** Where and how to fetch stored uplinks. */
export interface StorageOptions {
  /** Base URL of the cluster, e.g. "https://eu1.cloud.thethings.network". */
  readonly baseUrl: string;
  /** Application id. */
  readonly application: string;
  /** API key with the application's traffic-read right. Never logged. */
  readonly apiKey: string;
  /** Uplinks per request. Default 1000. */
  readonly limit?: number;
  /** Most requests per backfill (bounds its run time). Default 1000. */
  readonly pagesMax?: number;
  /** Start this long before the newest uplink seen, in case the last ones were still in flight. Default 60 000. */
  readonly overlapMs?: number;
  /** Time-out per request, ms. Default 30 000. */
  readonly timeoutMs?: number;
}

/** One stored uplink, as its topic and body would be on MQTT. */
export interface StoredUplink {
  readonly topic: string;
  readonly payload: Uint8Array;
}

/**
 * Fetches every stored uplink after `afterMs`, page by page, calling `onUplink` for each in order.
 *
 * @returns the number of uplinks fetched.
 * @throws Error when a request fails (HTTP status or network): the caller logs it and goes live anyway.
 */
export async function backfillStorage(
  o: StorageOptions,
  afterMs: number,
  onUplink: (u: StoredUplink) => void,
): Promise<number> {
  const limit = o.limit ?? 1000;
  const pagesMax = o.pagesMax ?? 1000;
  let after = new Date(Math.max(0, afterMs - (o.overlapMs ?? 60_000))).toISOString();
  let total = 0;
  const base = o.baseUrl.replace(/\/+$/, "");
  const app = encodeURIComponent(o.application);
  for (let page = 0; page < pagesMax; page++) {
    const url = `${base}/api/v3/as/applications/${app}/packages/storage/uplink_message?after=${encodeURIComponent(after)}&limit=${limit}`;
    const res = await fetch(url, {
      headers: { Accept: "text/event-stream", Authorization: `Bearer ${o.apiKey}` },
      signal: AbortSignal.timeout(o.timeoutMs ?? 30_000),
    });
    if (!res.ok)
      throw new Error(`storage integration answered HTTP ${res.status} for ${base} (${o.application})`);
    const text = await res.text();
    let n = 0;
    let newest = after;
    for (let line of text.split("\n")) {
      line = line.trim();
      if (line.startsWith("data:")) line = line.slice(5).trim();
      if (line === "") continue;
      let result: unknown;
      try {
        result = (JSON.parse(line) as { result?: unknown }).result;
      } catch {
        continue; // counted as bad JSON would need the raw message; a broken line is skipped
      }
      if (typeof result !== "object" || result === null) continue;
      const r = result as { end_device_ids?: { device_id?: unknown }; received_at?: unknown };
      const device = typeof r.end_device_ids?.device_id === "string" ? r.end_device_ids.device_id : "unknown";
      if (typeof r.received_at === "string" && r.received_at > newest) newest = r.received_at;
      onUplink({
        topic: `v3/${o.application}/devices/${device}/up`,
        payload: Buffer.from(JSON.stringify(result), "utf8"),
      });
      n++;
    }
    total += n;
    if (n < limit || newest === after) break;
    after = newest;
  }
  return total;
}

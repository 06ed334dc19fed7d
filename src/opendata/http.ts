/**
 * The HTTP face of the open-data hub: a plain node:http request handler `(req, res) => void` that a
 * host mounts on its own server (node:http, or any framework that hands out Node's req/res). Read-only
 * (GET, HEAD, OPTIONS), ETag and Last-Modified with 304s, gzip, CORS for reading, RFC 9457 problem
 * documents for bad parameters, limits on pages and spans, Server-Sent Events for live updates.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { gzip } from "node:zlib";
import { packageRoot } from "../paths.js";
import {
  CDS_CSV,
  CDS_JSON,
  cdsAggregates,
  cdsEvents,
  curbPolicies,
  curbZones,
  type FeedContext,
} from "./cds.js";
import { dashboardSeries, dashboardState } from "./dashboard-api.js";
import { dcatCatalog } from "./dcat.js";
import { decisionsCsv, occupancyCsv, pointsCsv } from "./downloads.js";
import { geojsonPoints } from "./geojson.js";
import type { OpenDataHub } from "./hub.js";
import { ngsiEntities } from "./ngsi.js";
import { DEFAULT_LIMITS, type FeedLimits, Params, ParkirParamError } from "./params.js";
import type { Publication } from "./publication.js";

/** Options of the handler. */
export interface OpenDataHandlerOptions {
  /** Absolute base URL for links (e.g. "https://data.palukota.go.id/parkir"). Default: from the Host header. */
  readonly baseUrl?: string;
  /** Path prefix the host mounts the handler under (e.g. "/opendata"). Default "". */
  readonly prefix?: string;
  /** Publication decisions (default: the hub's). */
  readonly publication?: Publication;
  /** Page and span limits. Default DEFAULT_LIMITS. */
  readonly limits?: Partial<FeedLimits>;
  /** Serve the dashboard at `/` and its assets. Default true. */
  readonly dashboard?: boolean;
  /** Seconds between SSE keep-alive comments. Default 15. */
  readonly sseKeepAliveS?: number;
}

/** A response before encoding. */
interface Body {
  readonly status?: number;
  readonly type: string;
  readonly body: string | Buffer;
  /** Last-Modified, ms (default: the hub's data time). */
  readonly modifiedMs?: number;
  /** Cache-Control max-age, s. Default 0 (revalidate: the ETag makes that cheap). */
  readonly maxAgeS?: number;
}

const GZIP_MIN_BYTES = 1024;
const URL_MAX = 4096;

/** Static dashboard files: URL path → [file under src/dashboard or a package's file, content type]. */
function assetTable(): Map<string, () => { path: string; type: string }> {
  const dash = (f: string, type: string) => () => ({
    path: join(packageRoot(), "src", "dashboard", f),
    type,
  });
  const req = createRequire(import.meta.url);
  const mod = (spec: string, type: string) => () => ({ path: req.resolve(spec), type });
  return new Map([
    ["/", dash("index.html", "text/html; charset=utf-8")],
    ["/dashboard/app.js", dash("app.js", "text/javascript; charset=utf-8")],
    ["/dashboard/style.css", dash("style.css", "text/css; charset=utf-8")],
    ["/dashboard/uplot.js", mod("uplot/dist/uPlot.iife.min.js", "text/javascript; charset=utf-8")],
    ["/dashboard/uplot.css", mod("uplot/dist/uPlot.min.css", "text/css; charset=utf-8")],
  ]);
}

/**
 * Creates the request handler. Every route is read-only; nothing changes hub or engine state.
 *
 * @example
 * const hub = createOpenDataHub({ city, engine, pricing });
 * http.createServer(createOpenDataHandler(hub)).listen(8080, "127.0.0.1");
 */
export function createOpenDataHandler(
  hub: OpenDataHub,
  options: OpenDataHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const limits: FeedLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const prefix = (options.prefix ?? "").replace(/\/+$/, "");
  const publication = options.publication ?? hub.publication;
  const assets = options.dashboard === false ? new Map() : assetTable();
  const assetCache = new Map<string, { body: Buffer; type: string }>();
  const startedMs = Date.now();
  const keepAliveMs = (options.sseKeepAliveS ?? 15) * 1000;

  const json = (v: unknown, type = "application/json"): Body => ({ type, body: JSON.stringify(v) });
  type Route = (ctx: FeedContext, q: URLSearchParams, m: RegExpExecArray) => Body;
  const routes: [RegExp, Route][] = [
    [/^\/curbs\/zones$/, (c, q) => json(curbZones(c, q), CDS_JSON)],
    [/^\/curbs\/policies$/, (c, q) => json(curbPolicies(c, q), CDS_JSON)],
    [/^\/events\/events$/, (c, q) => json(cdsEvents(c, q).body, CDS_JSON)],
    [/^\/metrics\/aggregates$/, (c, q) => ({ type: CDS_CSV, body: cdsAggregates(c, q) })],
    [/^\/ngsi-ld\/v1\/entities$/, (c, q) => json(ngsiEntities(c, q).body, "application/ld+json")],
    [/^\/geojson\/points$/, (c, q) => json(geojsonPoints(c, q), "application/geo+json")],
    [/^\/catalog$/, (c, q) => noParams(q, () => json(dcatCatalog(c), "application/ld+json"))],
    [/^\/downloads\/parking-points\.csv$/, (c, q) => noParams(q, () => csvBody(pointsCsv(c)))],
    [
      /^\/downloads\/occupancy-hourly-(\d{4}-\d{2}-\d{2})\.csv$/,
      (c, q, m) => noParams(q, () => csvBody(occupancyCsv(c, dateOf(m[1]!)))),
    ],
    [
      /^\/downloads\/tariff-decisions-(\d{4}-\d{2}-\d{2})\.csv$/,
      (c, q, m) => noParams(q, () => csvBody(decisionsCsv(c, dateOf(m[1]!)))),
    ],
    [/^\/api\/state$/, (c, q) => json(dashboardState(c, q))],
    [
      /^\/api\/zones\/([^/]{1,128})\/series$/,
      (c, q, m) => json(dashboardSeries(c, q, decodeURIComponent(m[1]!))),
    ],
  ];

  return (req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      // Never a stack trace at a user: a bug costs this request only.
      if (!res.headersSent)
        problem(
          res,
          500,
          "internal",
          "Internal Server Error",
          (e as Error).message ?? "error",
          req.url ?? "",
        );
      else res.destroy();
    }
  };

  function handle(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Access-Control-Expose-Headers", "ETag, Last-Modified, Link");
    res.setHeader("X-Content-Type-Options", "nosniff");
    const method = req.method ?? "GET";
    const raw = req.url ?? "/";
    if (raw.length > URL_MAX) {
      problem(res, 414, "uri-too-long", "URI Too Long", `at most ${URL_MAX} characters`, raw.slice(0, 100));
      return;
    }
    if (method === "OPTIONS") {
      res.writeHead(204, {
        "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
        "Access-Control-Allow-Headers": "Accept, If-None-Match, If-Modified-Since, Last-Event-ID",
        "Access-Control-Max-Age": "86400",
      });
      res.end();
      return;
    }
    if (method !== "GET" && method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD, OPTIONS");
      problem(res, 405, "read-only", "Method Not Allowed", "the open-data API is read-only", raw);
      return;
    }
    let url: URL;
    try {
      url = new URL(raw, "http://localhost");
    } catch {
      problem(res, 400, "bad-url", "Bad Request", "the request target is not a URL", "");
      return;
    }
    let path = url.pathname;
    if (prefix !== "") {
      if (path !== prefix && !path.startsWith(`${prefix}/`)) {
        notFound(res, path);
        return;
      }
      path = path.slice(prefix.length) || "/";
    }
    const ctx: FeedContext = { hub, publication, baseUrl: baseUrlOf(req), limits };
    if (path === "/api/stream") {
      sse(req, res);
      return;
    }
    const asset = assets.get(path);
    if (asset !== undefined) {
      let a = assetCache.get(path);
      if (a === undefined) {
        const { path: file, type } = asset();
        a = { body: readFileSync(file), type };
        assetCache.set(path, a);
      }
      send(req, res, { type: a.type, body: a.body, modifiedMs: startedMs, maxAgeS: 300 });
      return;
    }
    for (const [re, route] of routes) {
      const m = re.exec(path);
      if (m === null) continue;
      const wants =
        path === "/metrics/aggregates"
          ? CDS_CSV
          : path.startsWith("/curbs/") || path.startsWith("/events/")
            ? CDS_JSON
            : null;
      if (wants !== null && !accepts(req.headers.accept, wants)) {
        problem(res, 406, "not-acceptable", "Not Acceptable", `this endpoint returns ${wants}`, path);
        return;
      }
      let body: Body;
      try {
        body = route(ctx, url.searchParams, m);
      } catch (e) {
        if (!(e instanceof ParkirParamError)) throw e;
        problem(res, 400, "bad-parameter", "Bad Request", e.message, path, { parameter: e.parameter });
        return;
      }
      send(req, res, body);
      return;
    }
    notFound(res, path);
  }

  function baseUrlOf(req: IncomingMessage): string {
    if (options.baseUrl !== undefined) return options.baseUrl.replace(/\/+$/, "");
    const host = req.headers.host;
    const safe = host !== undefined && /^[A-Za-z0-9.\-:[\]]{1,255}$/.test(host) ? host : "localhost";
    return `http://${safe}${prefix}`;
  }

  function send(req: IncomingMessage, res: ServerResponse, b: Body): void {
    const bytes = typeof b.body === "string" ? Buffer.from(b.body, "utf8") : b.body;
    const etag = `W/"${createHash("sha1").update(bytes).digest("base64url").slice(0, 27)}"`;
    const modifiedMs = b.modifiedMs ?? (Number.isFinite(hub.updatedAtMs) ? hub.updatedAtMs : startedMs);
    const lastModified = new Date(Math.floor(modifiedMs / 1000) * 1000).toUTCString();
    res.setHeader("ETag", etag);
    res.setHeader("Last-Modified", lastModified);
    res.setHeader("Cache-Control", `public, max-age=${b.maxAgeS ?? 0}, must-revalidate`);
    res.setHeader("Vary", "Accept-Encoding");
    if (notModified(req, etag, modifiedMs)) {
      res.writeHead(304);
      res.end();
      return;
    }
    res.setHeader("Content-Type", b.type);
    const wantsGzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    if (!wantsGzip || bytes.length < GZIP_MIN_BYTES) {
      res.writeHead(b.status ?? 200, { "Content-Length": bytes.length });
      res.end(req.method === "HEAD" ? undefined : bytes);
      return;
    }
    gzip(bytes, (err, zipped) => {
      if (err) {
        res.writeHead(b.status ?? 200, { "Content-Length": bytes.length });
        res.end(req.method === "HEAD" ? undefined : bytes);
        return;
      }
      res.writeHead(b.status ?? 200, { "Content-Encoding": "gzip", "Content-Length": zipped.length });
      res.end(req.method === "HEAD" ? undefined : zipped);
    });
  }

  function sse(req: IncomingMessage, res: ServerResponse): void {
    const write = (event: string, data: unknown) =>
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const stop = hub.subscribe((u) => write("update", u));
    if (stop === null) {
      problem(
        res,
        503,
        "too-many-streams",
        "Service Unavailable",
        "too many live streams open",
        "/api/stream",
      );
      return;
    }
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache",
      Connection: "keep-alive",
    });
    res.write("retry: 5000\n\n");
    write("hello", { version: hub.version, atMs: Number.isFinite(hub.updatedAtMs) ? hub.updatedAtMs : null });
    const timer = setInterval(() => res.write(": keep-alive\n\n"), keepAliveMs);
    timer.unref();
    const end = () => {
      clearInterval(timer);
      stop();
    };
    req.on("close", end);
    res.on("error", end);
  }
}

function noParams(q: URLSearchParams, build: () => Body): Body {
  new Params(q, []);
  return build();
}

function csvBody(text: string): Body {
  return { type: "text/csv; charset=utf-8; header=present", body: text };
}

function dateOf(s: string): string {
  if (Number.isNaN(Date.parse(`${s}T00:00:00Z`)))
    throw new ParkirParamError("date", "must be a date YYYY-MM-DD");
  return s;
}

/**
 * Whether an Accept header admits a CDS media type. CDS asks for 406 when Accept lacks it; plain
 * `application/json` / `text/csv` and wildcards are admitted too, so browsers and curl get data.
 */
function accepts(accept: string | undefined, type: string): boolean {
  if (accept === undefined || accept.trim() === "") return true;
  const ok =
    type === CDS_CSV
      ? /application\/vnd\.cds\+csv|text\/csv|text\/\*|\*\/\*/
      : /application\/vnd\.cds\+json|application\/json|application\/\*|\*\/\*/;
  return ok.test(accept);
}

function notModified(req: IncomingMessage, etag: string, modifiedMs: number): boolean {
  const inm = req.headers["if-none-match"];
  if (inm !== undefined) {
    const tags = inm.split(",").map((t) => t.trim().replace(/^W\//, ""));
    return tags.includes("*") || tags.includes(etag.replace(/^W\//, ""));
  }
  const ims = req.headers["if-modified-since"];
  if (ims !== undefined) {
    const t = Date.parse(ims);
    return Number.isFinite(t) && Math.floor(modifiedMs / 1000) * 1000 <= t;
  }
  return false;
}

function notFound(res: ServerResponse, path: string): void {
  problem(res, 404, "not-found", "Not Found", `no resource at ${path.slice(0, 200)}`, path.slice(0, 200));
}

/** Writes an RFC 9457 problem document. */
function problem(
  res: ServerResponse,
  status: number,
  kind: string,
  title: string,
  detail: string,
  instance: string,
  extra: Record<string, unknown> = {},
): void {
  // RFC 9457 members, plus CDS's error members (error, error_description) for CDS clients.
  const body = JSON.stringify({
    type: `urn:parkir:problem:${kind}`,
    title,
    status,
    detail,
    instance,
    ...extra,
    error: kind,
    error_description: detail,
  });
  res.writeHead(status, {
    "Content-Type": "application/problem+json",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}

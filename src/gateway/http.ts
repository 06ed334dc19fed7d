/**
 * The gateway's HTTP server (node:http): `/healthz` answers the gateway's status and counters as JSON (200 while
 * running, 503 otherwise). Other handlers (open data, dashboards) mount on the same server with `handlers`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Gateway } from "./gateway.js";

/** Answers a request and returns true, or returns false to let the next handler try. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/** Options of startHttpServer. */
export interface HttpServerOptions {
  readonly port: number;
  /** Default "127.0.0.1" (put a reverse proxy in front to expose it). */
  readonly host?: string;
  /** Tried in order after /healthz. */
  readonly handlers?: readonly HttpHandler[];
}

/** Starts the server; resolves once it listens. Close it with `server.close()`. */
export async function startHttpServer(gateway: Gateway, o: HttpServerOptions): Promise<Server> {
  const handlers = o.handlers ?? [];
  const server = createServer((req, res) => {
    void route(gateway, handlers, req, res);
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.maxHeadersCount = 50;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host ?? "127.0.0.1", () => resolve());
  });
  return server;
}

async function route(
  gateway: Gateway,
  handlers: readonly HttpHandler[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz" && (req.method === "GET" || req.method === "HEAD")) {
      const s = gateway.status();
      res.writeHead(s.status === "running" ? 200 : 503, {
        "content-type": "application/json; charset=utf-8",
        "cache-control": "no-store",
      });
      res.end(req.method === "HEAD" ? undefined : JSON.stringify(s));
      return;
    }
    for (const h of handlers) if (await h(req, res)) return;
    res.writeHead(404, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify({ error: "not found" }));
  } catch {
    if (!res.headersSent) res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify({ error: "internal error" }));
  }
}

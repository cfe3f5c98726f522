import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "@checkernet/runtime";
import type { Metrics } from "../metrics/index.ts";
import { HttpError, sendJson } from "./http.ts";
import { type Route, Router } from "./router.ts";
import { type NodeStatus, statusRoutes } from "./status.ts";

export type { Route } from "./router.ts";
export { fetchStatus, type NodeStatus } from "./status.ts";

export interface StatusApiComponents {
  logger: Logger;
  metrics: Metrics;
  getStatus(): Promise<NodeStatus> | NodeStatus;
  /** Stored reward leaves per epoch (`GET /rewards`, read by `checker rewards` / `claim` while the node holds the database). */
  getRewards?(): Promise<unknown>;
  /**
   * More route groups (dashboard, events, reports, explain, ...): each file
   * under src/api/ exports a `...Routes(components): Route[]` that node.ts
   * passes here.
   */
  routes?: readonly Route[];
}

export interface StatusApiInit {
  /** Loopback by default: the API is for the operator, not the internet. */
  host?: string;
  /** 0 picks a free port (tests). */
  port: number;
}

/**
 * The local HTTP API: a small GET-only router over route groups
 * (`GET /status`, `/rewards`, `/metrics` here; the rest from
 * `components.routes`). Read-only; anything else is 404/405. A route that
 * throws HttpError answers its status and message; anything else is a 500.
 */
export class StatusApi {
  private readonly components: StatusApiComponents;
  private readonly init: StatusApiInit;
  private readonly router = new Router();
  private server: Server | undefined;

  constructor(components: StatusApiComponents, init: StatusApiInit) {
    this.components = components;
    this.init = init;
    this.router.add(statusRoutes(components));
    this.router.add(components.routes ?? []);
  }

  /** Registers more routes (before or after start). */
  addRoutes(routes: readonly Route[]): void {
    this.router.add(routes);
  }

  async start(): Promise<void> {
    if (this.server !== undefined) return;
    const server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (e instanceof HttpError) {
          if (!res.headersSent) sendJson(res, e.status, { error: e.message });
          else res.destroy();
          return;
        }
        this.components.logger.error({ err: e, url: req.url }, "status API request failed");
        if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
        else res.destroy();
      });
    });
    // Slow or idle clients must not pin sockets (an event stream's response is not limited by these).
    server.requestTimeout = 10_000;
    server.headersTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.init.port, this.init.host ?? "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The bound address, e.g. `http://127.0.0.1:9701`. */
  url(): string {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    if (addr == null) throw new Error("status API is not listening");
    return `http://${addr.address}:${addr.port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      sendJson(res, 405, { error: "method not allowed" });
      return;
    }
    // The host part is irrelevant (loopback only); URL needs one to parse the path and query.
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const route = this.router.match(url.pathname);
    if (route === undefined) {
      sendJson(res, 404, { error: "not found", paths: this.router.paths() });
      return;
    }
    await route.handler({ req, res, url, rest: route.rest });
  }
}

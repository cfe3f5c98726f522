import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics/index.ts";

/** What `GET /status` returns. Bigints are rendered as decimal strings. */
export interface NodeStatus {
  version: string;
  peerId: string;
  /** BLS operator public key, or null while the keystore is locked. */
  operatorPublicKey: string | null;
  listen: string[];
  peers: { count: number; ids: string[] };
  epoch: { current: string; genesisMs: number; epochSeconds: number };
  gossip: { topics: string[]; accepted: number; rejected: number; ignored: number };
  attestations: { seen: number; lastOwn: { epoch: string; provider: string; result: number }[] };
  /** Reports of recent epochs still gathering co-signatures or being submitted. */
  pendingReports: number;
  /** The aggregation half: whether it runs, who pays, this node's last ranking, recent report records. */
  reports: {
    aggregator: boolean;
    /** EVM account that submits (null: co-signs only). */
    submitter: string | null;
    role: { epoch: string; rank: number | null; leader: string | null; candidates: number } | null;
    recent: {
      epoch: string;
      role: string;
      status: string;
      txHash: string | null;
      gasUsed: string | null;
      signers: number | null;
      error: string | null;
    }[];
  };
  /** Chain connectivity as last observed (the chain client lands later). */
  chain: { rpcUrl: string; connected: boolean | null; lastError: string | null };
  uptimeSeconds: number;
}

export interface StatusApiComponents {
  logger: Logger;
  metrics: Metrics;
  getStatus(): Promise<NodeStatus> | NodeStatus;
  /** Stored reward leaves per epoch (`GET /rewards`, read by `checker rewards` / `claim` while the node holds the database). */
  getRewards?(): Promise<unknown>;
}

export interface StatusApiInit {
  /** Loopback by default: the API is for the operator, not the internet. */
  host?: string;
  /** 0 picks a free port (tests). */
  port: number;
}

/**
 * The local HTTP API: `GET /status` (JSON) and `GET /metrics` (Prometheus
 * text format). Read-only; anything else is 404/405.
 */
export class StatusApi {
  private readonly components: StatusApiComponents;
  private readonly init: StatusApiInit;
  private server: Server | undefined;

  constructor(components: StatusApiComponents, init: StatusApiInit) {
    this.components = components;
    this.init = init;
  }

  async start(): Promise<void> {
    if (this.server !== undefined) return;
    const server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        this.components.logger.error({ err: e, url: req.url }, "status API request failed");
        if (!res.headersSent) send(res, 500, "application/json", JSON.stringify({ error: "internal error" }));
        else res.destroy();
      });
    });
    // Slow or idle clients must not pin sockets.
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
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, "application/json", JSON.stringify({ error: "method not allowed" }), {
        allow: "GET, HEAD",
      });
      return;
    }
    if (path === "/status") {
      const status = await this.components.getStatus();
      send(
        res,
        200,
        "application/json",
        JSON.stringify(status, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
      );
      return;
    }
    if (path === "/rewards" && this.components.getRewards !== undefined) {
      const rewards = await this.components.getRewards();
      send(
        res,
        200,
        "application/json",
        JSON.stringify(rewards, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
      );
      return;
    }
    if (path === "/metrics") {
      const { registry } = this.components.metrics;
      send(res, 200, registry.contentType, await registry.metrics());
      return;
    }
    send(
      res,
      404,
      "application/json",
      JSON.stringify({ error: "not found", paths: ["/status", "/metrics"] }),
    );
  }
}

function send(
  res: ServerResponse,
  code: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(code, { "content-type": type, "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Reads `/status` from a running node (used by `checker status`). */
export async function fetchStatus(baseUrl: string, timeoutMs = 5_000): Promise<NodeStatus> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/status`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new Error(
      `cannot reach the node's status API at ${baseUrl}: ${(e as Error).message} (is \`checker start\` running?)`,
    );
  }
  if (!res.ok) throw new Error(`status API at ${baseUrl} answered HTTP ${res.status}`);
  return (await res.json()) as NodeStatus;
}

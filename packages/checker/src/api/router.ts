import type { IncomingMessage, ServerResponse } from "node:http";

interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The parsed request URL (query parameters in `url.searchParams`). */
  url: URL;
  /** For a prefix route (`/reports/*`): what follows the prefix (`"12"` for `/reports/12`); "" otherwise. */
  rest: string;
}

export type RouteHandler = (ctx: RouteContext) => Promise<void> | void;

/**
 * One read-only endpoint: an exact path (`/status`) or a prefix ending in
 * `/*` (`/reports/*` matches `/reports/12`, not `/reports`).
 */
export interface Route {
  path: string;
  handler: RouteHandler;
}

/**
 * GET routing for the local API. Each route group (status, dashboard,
 * events, reports, explain, ...) is a file returning `Route[]`; the server
 * only dispatches. Exact paths win over prefixes; the longest prefix wins.
 */
export class Router {
  private readonly exact = new Map<string, RouteHandler>();
  private readonly prefixes: { prefix: string; handler: RouteHandler }[] = [];

  add(routes: readonly Route[]): void {
    for (const r of routes) {
      if (!r.path.startsWith("/")) throw new Error(`route path must start with "/": ${r.path}`);
      if (this.paths().includes(r.path)) throw new Error(`route ${r.path} is registered twice`);
      if (r.path.endsWith("/*")) {
        this.prefixes.push({ prefix: r.path.slice(0, -1), handler: r.handler });
        this.prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
      } else {
        this.exact.set(r.path, r.handler);
      }
    }
  }

  match(path: string): { handler: RouteHandler; rest: string } | undefined {
    const handler = this.exact.get(path);
    if (handler !== undefined) return { handler, rest: "" };
    const p = this.prefixes.find((x) => path.startsWith(x.prefix) && path.length > x.prefix.length);
    return p === undefined ? undefined : { handler: p.handler, rest: path.slice(p.prefix.length) };
  }

  paths(): string[] {
    return [...this.exact.keys(), ...this.prefixes.map((p) => `${p.prefix}*`)].sort();
  }
}

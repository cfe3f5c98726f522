import { createLogger } from "@checkernet/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { AlertCode, type AlertInputs, computeAlerts } from "../../../src/api/alerts.ts";
import { dashboardPage, dashboardRoutes } from "../../../src/api/dashboard.ts";
import { eventsRoutes } from "../../../src/api/events.ts";
import { HttpError, sendJson } from "../../../src/api/http.ts";
import { natStatus } from "../../../src/api/nodeHealth.ts";
import { Router } from "../../../src/api/router.ts";
import { type NodeStatus, StatusApi } from "../../../src/api/server.ts";
import { createMetrics } from "../../../src/metrics/index.ts";

const apis: StatusApi[] = [];
afterEach(async () => {
  await Promise.all(apis.splice(0).map((a) => a.stop()));
});

/** A started API whose status counts the snapshots it served. */
async function startApi(extra: ConstructorParameters<typeof StatusApi>[0]["routes"] = []) {
  let served = 0;
  const getStatus = () => ({ uptimeSeconds: ++served }) as unknown as NodeStatus;
  const api = new StatusApi(
    {
      logger: createLogger({ level: "silent" }),
      metrics: createMetrics(),
      getStatus,
      routes: [...dashboardRoutes(), ...eventsRoutes({ getStatus, intervalMs: 50 }), ...extra],
    },
    { port: 0 },
  );
  await api.start();
  apis.push(api);
  return api;
}

describe("router", () => {
  it("matches exact paths before prefixes, the longest prefix first, and refuses duplicates", () => {
    const r = new Router();
    const h = (name: string) => () => {
      void name;
    };
    const exact = h("exact");
    const short = h("short");
    const long = h("long");
    r.add([
      { path: "/reports", handler: exact },
      { path: "/reports/*", handler: short },
      { path: "/reports/latest/*", handler: long },
    ]);
    expect(r.match("/reports")?.handler).toBe(exact);
    expect(r.match("/reports/12")).toEqual({ handler: short, rest: "12" });
    expect(r.match("/reports/latest/x")).toEqual({ handler: long, rest: "x" });
    expect(r.match("/reports/")).toBeUndefined();
    expect(r.match("/nope")).toBeUndefined();
    expect(() => r.add([{ path: "/reports", handler: exact }])).toThrow(/twice/);
    expect(() => r.add([{ path: "status", handler: exact }])).toThrow(/start with/);
  });

  it("answers 404 with the known paths, 405 for other methods, a route's HttpError with its status", async () => {
    const api = await startApi([
      {
        path: "/refuse",
        handler: () => {
          throw new HttpError(400, "bad epoch");
        },
      },
      {
        path: "/echo/*",
        handler: ({ res, rest, url }) => sendJson(res, 200, { rest, q: url.searchParams.get("q") }),
      },
    ]);
    const missing = await fetch(`${api.url()}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { paths: string[] }).paths).toEqual(
      expect.arrayContaining(["/", "/events", "/metrics", "/status", "/refuse", "/echo/*"]),
    );
    const post = await fetch(`${api.url()}/status`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    const refused = await fetch(`${api.url()}/refuse`);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: "bad epoch" });
    expect(await (await fetch(`${api.url()}/echo/7?q=x`)).json()).toEqual({ rest: "7", q: "x" });
  });
});

describe("dashboard page", () => {
  it("is one self-contained page: styles and script inline, nothing loaded from elsewhere", async () => {
    const api = await startApi();
    const res = await fetch(`${api.url()}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toBe(dashboardPage());
    expect(html).not.toMatch(/__STYLES__|__SCRIPT__/);
    // No external script, stylesheet, font or image: every src/href is local.
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(\s*["']?https?:/i);
    for (const m of html.matchAll(/(?:src|href)="([^"]*)"/g)) expect(m[1]).toMatch(/^\/[a-z]*$/);
    for (const id of [
      "alerts",
      "epoch",
      "peers",
      "nat",
      "seats",
      "attestations",
      "reports",
      "rewards-chart",
      "explain",
    ]) {
      expect(html).toContain(`data-testid="${id}"`);
    }
    expect(html).toContain('new EventSource("/events")');
  });
});

describe("GET /events", () => {
  it("streams one status snapshot per interval as Server-Sent Events", async () => {
    const api = await startApi();
    const res = await fetch(`${api.url()}/events`);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const events: number[] = [];
    while (events.length < 3) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      const blocks = text.split("\n\n");
      text = blocks.pop() ?? "";
      for (const b of blocks) {
        const data = /^event: status\ndata: (.*)$/m.exec(b);
        if (data !== null) events.push((JSON.parse(data[1]!) as { uptimeSeconds: number }).uptimeSeconds);
      }
    }
    await reader.cancel();
    expect(events.length).toBe(3);
    // Fresh snapshots, in order.
    expect(events[1]).toBeGreaterThan(events[0]!);
    expect(events[2]).toBeGreaterThan(events[1]!);
  });

  it("stops pushing when the client goes away, and stop() ends open streams", async () => {
    const api = await startApi();
    const res = await fetch(`${api.url()}/events`);
    const reader = res.body!.getReader();
    await reader.read();
    await api.stop();
    // The stream ends instead of hanging.
    for (;;) {
      const r = await reader.read().catch(() => ({ done: true }));
      if (r.done) break;
    }
  });
});

describe("alerts", () => {
  const healthy: AlertInputs = {
    chain: { configured: true, connected: true, lastError: null, rpcUrl: "http://127.0.0.1:8545" },
    peers: 3,
    meshPeers: 2,
    warmedUp: true,
    operator: { address: "0x1", hasKey: true, registered: true, keyMatches: true, licenses: 2 },
    reports: [{ epoch: "4", status: "submitted", error: null }],
  };
  const codes = (i: Partial<AlertInputs>) => computeAlerts({ ...healthy, ...i }).map((a) => a.code);

  it("raises nothing for a healthy node, nor for unknowns", () => {
    expect(codes({})).toEqual([]);
    expect(
      codes({
        chain: { ...healthy.chain, connected: null },
        operator: { ...healthy.operator, registered: null, keyMatches: null, licenses: null },
      }),
    ).toEqual([]);
  });

  it("names each problem", () => {
    expect(codes({ chain: { ...healthy.chain, connected: false, lastError: "ECONNREFUSED" } })).toEqual([
      AlertCode.RPC_DOWN,
    ]);
    expect(codes({ meshPeers: 0 })).toEqual([AlertCode.NOT_IN_MESH]);
    expect(codes({ peers: 0, meshPeers: 0 })).toEqual([AlertCode.NO_PEERS]);
    expect(codes({ meshPeers: 0, warmedUp: false })).toEqual([]);
    expect(
      codes({ operator: { ...healthy.operator, registered: false, keyMatches: null, licenses: 0 } }),
    ).toEqual([AlertCode.KEY_NOT_REGISTERED]);
    expect(codes({ operator: { ...healthy.operator, keyMatches: false } })).toEqual([AlertCode.KEY_MISMATCH]);
    expect(
      codes({ unopenedSlashes: [{ epoch: 7n, provider: "0x00000000000000000000000000000000000000aa" }] }),
    ).toEqual([AlertCode.SLASH_UNOPENED]);
    expect(codes({ leavesUnavailable: [7n] })).toEqual([AlertCode.REPORT_LEAVES_UNAVAILABLE]);
    expect(codes({ operator: { ...healthy.operator, licenses: 0 } })).toEqual([
      AlertCode.LICENSE_NOT_DELEGATED,
    ]);
    expect(codes({ operator: { ...healthy.operator, hasKey: false } })).toEqual([AlertCode.NO_OPERATOR_KEY]);
    expect(codes({ reports: [{ epoch: "5", status: "failed", error: "quorum not reached" }] })).toEqual([
      AlertCode.REPORT_FAILED,
    ]);
    // The epoch the node started in: its report failing is expected (too few co-signers), so no alert;
    // from the first epoch the node ran whole, a failure alerts.
    const started = [{ epoch: "5", status: "failed", error: "quorum not reached" }];
    expect(codes({ reports: started, firstFullEpoch: 6n })).toEqual([]);
    expect(codes({ reports: started, firstFullEpoch: 5n })).toEqual([AlertCode.REPORT_FAILED]);
    const rpc = computeAlerts({
      ...healthy,
      chain: { ...healthy.chain, connected: false, lastError: "timeout" },
    });
    expect(rpc[0]?.message).toContain("http://127.0.0.1:8545");
    expect(rpc[0]?.severity).toBe("critical");
  });
});

describe("NAT status", () => {
  it("tells public, relayed, private and disabled apart", () => {
    expect(natStatus(true, ["/ip4/127.0.0.1/tcp/1", "/ip4/192.168.1.2/tcp/1"]).reachability).toBe("private");
    expect(natStatus(true, ["/ip4/127.0.0.1/tcp/1", "/ip4/1.2.3.4/tcp/1/p2p-circuit"]).reachability).toBe(
      "relayed",
    );
    const pub = natStatus(true, ["/ip4/127.0.0.1/tcp/1", "/ip4/8.8.8.8/tcp/4001"]);
    expect(pub).toEqual({
      enabled: true,
      reachability: "public",
      publicAddresses: ["/ip4/8.8.8.8/tcp/4001"],
    });
    expect(natStatus(false, ["/ip4/8.8.8.8/tcp/4001"]).reachability).toBe("disabled");
    expect(natStatus(true, ["/ip6/::1/tcp/1", "/ip6/fe80::1/tcp/1"]).reachability).toBe("private");
  });
});

import { createPublicClient, TimeoutError } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { AlertCode, computeAlerts } from "../../../src/api/alerts.ts";
import { ChainHealth, RpcOutcome } from "../../../src/chain/chainHealth.ts";
import { CHAIN_RPC_LIMITS, type ChainRpcLimits, chainTransport } from "../../../src/chain/transport.ts";
import { type RpcTestServer, refusedUrl, startRpcServer } from "../../utils/rpcServer.ts";

// Real HTTP servers on 127.0.0.1, viem's real http transport. Bounds are generous: a shared 2-core
// machine runs timers late, so each deadline is checked for "not before" tightly and "not long after"
// loosely (a second run of a timed-out attempt would add a whole timeoutMs, which the bounds exclude).
const SLACK_MS = 3_000;

/** Answers eth_blockNumber; reverts everything else, as a node answering a failing eth_call. */
const chainLike = async ({ method }: { method: string }) => {
  if (method === "eth_blockNumber") return "0x2a";
  throw Object.assign(new Error("execution reverted"), { code: 3, data: "0x" });
};

const servers: RpcTestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(mode: RpcTestServer["mode"]) {
  const s = await startRpcServer(chainLike, mode);
  servers.push(s);
  return s;
}

function client(url: string, health: ChainHealth, limits?: Partial<ChainRpcLimits>) {
  return createPublicClient({ transport: chainTransport(url, { health, ...(limits ? { limits } : {}) }) });
}

function newHealth(stallAfterMs: number = CHAIN_RPC_LIMITS.timeoutMs) {
  return new ChainHealth({ stallAfterMs });
}

/** How long `call` takes to settle, and its error. */
async function timed(call: Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const t0 = performance.now();
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { ms: performance.now() - t0, error };
}

function alertsOf(health: ChainHealth, rpcUrl: string) {
  const s = health.status();
  return computeAlerts({
    chain: { configured: true, rpcUrl, ...s, nowMs: Date.now() },
    peers: 3,
    meshPeers: 2,
    warmedUp: true,
    operator: { address: "0x1", hasKey: true, registered: true, keyMatches: true, licenses: 1 },
    reports: [],
  });
}

describe("chain RPC deadlines (chainTransport + ChainHealth)", () => {
  it("a hung RPC (accepts, never answers) fails a call in one timeoutMs, not retried; connected turns false and RPC_DOWN fires", async () => {
    const rpc = await server("answer");
    const health = newHealth();
    const c = client(rpc.url, health);
    expect(await c.getBlockNumber()).toBe(42n);
    expect(health.status().connected).toBe(true);
    expect(alertsOf(health, rpc.url)).toEqual([]);

    rpc.mode = "hang";
    const before = rpc.requests;
    const { ms, error } = await timed(c.getBlockNumber({ cacheTime: 0 }));
    expect(error).toBeInstanceOf(TimeoutError);
    // viem's defaults took 4 x 10 s + backoff (about 41 s) here.
    expect(ms).toBeGreaterThanOrEqual(CHAIN_RPC_LIMITS.timeoutMs - 50);
    expect(ms).toBeLessThan(CHAIN_RPC_LIMITS.timeoutMs + SLACK_MS);
    expect(rpc.requests - before).toBe(1);
    const s = health.status();
    expect(s.connected).toBe(false);
    expect(s.lastError).toMatch(/timed out/);
    const alerts = alertsOf(health, rpc.url);
    expect(alerts.map((a) => a.code)).toEqual([AlertCode.RPC_DOWN]);
    expect(alerts[0]?.message).toContain(rpc.url);
    expect(alerts[0]?.message).toMatch(/timed out.*last answer \d+ s ago/);

    // The chain is back: the next answer clears it.
    rpc.mode = "answer";
    expect(await c.getBlockNumber({ cacheTime: 0 })).toBe(42n);
    expect(health.status()).toMatchObject({ connected: true, lastError: null });
    expect(alertsOf(health, rpc.url)).toEqual([]);
  });

  it("takes the RPC for down one deadline into a call that hangs, before the call itself gives up", async () => {
    const rpc = await server("hang");
    const health = newHealth(400);
    const c = client(rpc.url, health, { timeoutMs: 8_000 });
    const call = timed(c.getBlockNumber());
    expect(health.status().connected).toBeNull();
    const t0 = Date.now();
    while (health.status().connected !== false && Date.now() - t0 < 5_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const seenAfter = Date.now() - t0;
    expect(health.status()).toMatchObject({
      connected: false,
      lastError: expect.stringMatching(/no answer for/),
    });
    expect(seenAfter).toBeGreaterThanOrEqual(350);
    expect(seenAfter).toBeLessThan(400 + SLACK_MS);
    await rpc.close();
    await call;
  });

  it("a refused connection fails fast (one retry after retryDelayMs) and names ECONNREFUSED", async () => {
    const url = await refusedUrl();
    const health = newHealth();
    const { ms, error } = await timed(client(url, health).getBlockNumber());
    expect(error).toBeDefined();
    expect(ms).toBeGreaterThanOrEqual(CHAIN_RPC_LIMITS.retryDelayMs - 50);
    expect(ms).toBeLessThan(CHAIN_RPC_LIMITS.retryDelayMs + SLACK_MS);
    expect(health.status()).toMatchObject({
      connected: false,
      lastError: expect.stringMatching(/ECONNREFUSED/),
    });
    expect(alertsOf(health, url).map((a) => a.code)).toEqual([AlertCode.RPC_DOWN]);
  });

  it("a connection reset is retried once, then the RPC is down", async () => {
    const rpc = await server("reset");
    const health = newHealth();
    const { error } = await timed(client(rpc.url, health).getBlockNumber());
    expect(error).toBeDefined();
    expect(rpc.requests).toBe(1 + CHAIN_RPC_LIMITS.retryCount);
    expect(health.status().connected).toBe(false);
  });

  it("a JSON-RPC error (a revert) is an answer: the RPC stays connected and the call is not retried", async () => {
    const rpc = await server("answer");
    const health = newHealth();
    const c = client(rpc.url, health);
    const { error } = await timed(c.call({ to: "0x0000000000000000000000000000000000000001", data: "0x" }));
    expect(error).toBeDefined();
    expect(rpc.requests).toBe(1);
    expect(health.status()).toMatchObject({ connected: true, lastError: null });
  });
});

describe("ChainHealth", () => {
  it("counts a call's failure only if it was sent after the RPC's last answer", () => {
    let now = 1_000;
    const health = new ChainHealth({ stallAfterMs: 5_000, now: () => now });
    expect(health.status().connected).toBeNull();
    const straggler = health.begin(); // sent while the RPC was dark
    now += 2_000;
    const fresh = health.begin();
    now += 100;
    health.end(fresh, RpcOutcome.ANSWERED); // the RPC is back
    expect(health.status()).toMatchObject({ connected: true, lastAnswerMs: 3_100 });
    now += 3_000;
    health.end(straggler, RpcOutcome.NO_ANSWER, new Error("timed out")); // its deadline, after the answer
    expect(health.status().connected).toBe(true);
    const next = health.begin();
    now += 10;
    health.end(
      next,
      RpcOutcome.NO_ANSWER,
      Object.assign(new Error("fetch failed"), { code: "ECONNREFUSED" }),
    );
    expect(health.status()).toMatchObject({
      connected: false,
      lastError: expect.stringMatching(/ECONNREFUSED/),
    });
    const aborted = health.begin();
    health.end(aborted, RpcOutcome.ABORTED);
    expect(health.status().connected).toBe(false);
  });

  it("is down while a call sent after the last answer waits stallAfterMs, up again with an answer", () => {
    let now = 0;
    const health = new ChainHealth({ stallAfterMs: 5_000, now: () => now });
    health.end(health.begin(), RpcOutcome.ANSWERED);
    const hung = health.begin();
    now += 4_999;
    expect(health.status().connected).toBe(true);
    now += 1;
    expect(health.status()).toMatchObject({
      connected: false,
      lastError: "no answer for 5 s (a call is still waiting)",
    });
    health.end(health.begin(), RpcOutcome.ANSWERED);
    expect(health.status().connected).toBe(true);
    health.end(hung, RpcOutcome.NO_ANSWER, new Error("timed out"));
    expect(health.status().connected).toBe(true);
  });

  it("is down when one of two calls sent together is answered just before the RPC stops and the other hangs", () => {
    // A refresh's two first calls leave at the same moment; the RPC answers one and stops. The answer
    // must not hide the other's hang (it did: the outage then showed 20 s late, after a backoff).
    let now = 0;
    const health = new ChainHealth({ stallAfterMs: 5_000, now: () => now });
    const answered = health.begin();
    const hung = health.begin();
    now += 30;
    health.end(answered, RpcOutcome.ANSWERED);
    now += 4_969;
    expect(health.status().connected).toBe(true);
    now += 1;
    expect(health.status()).toMatchObject({
      connected: false,
      lastError: "no answer for 5 s (a call is still waiting)",
    });
    health.end(hung, RpcOutcome.NO_ANSWER, new Error("timed out"));
    expect(health.status()).toMatchObject({ connected: false, lastAnswerMs: 30 });
    // A call sent afterwards and answered: up again.
    now += 1_000;
    health.end(health.begin(), RpcOutcome.ANSWERED);
    expect(health.status().connected).toBe(true);
  });
});

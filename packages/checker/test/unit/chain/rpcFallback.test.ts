import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { epochReportsAbi } from "@checkernet/contracts/generated/index";
import { createPublicClient } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectChain, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import { deployFixture, type Fixture } from "../../../../contracts/test/helpers/fixture.ts";
import { ChainHealth } from "../../../src/chain/chainHealth.ts";
import { CHAIN_RPC_LIMITS, chainTransport } from "../../../src/chain/transport.ts";
import { loadConfig } from "../../../src/config.ts";
import { type RpcTestServer, refusedUrl, startRpcServer } from "../../utils/rpcServer.ts";

// The network file's rpcUrls after the first are fail-over endpoints: a call the first URL does not
// answer goes to the next one, with the same deadlines. The second URL here is a real EDR chain served
// over HTTP; the first is dead (connection refused) or hung (accepts, never answers).

let chain: TestChain;
let fx: Fixture;
let live: RpcTestServer;
let hung: RpcTestServer;

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain);
  live = await startRpcServer((call) => chain.publicClient.request(call as never));
  hung = await startRpcServer(async () => null, "hang");
}, 60_000);

afterAll(async () => {
  await live?.close();
  await hung?.close();
});

const readEpoch = (c: ReturnType<typeof createPublicClient>) =>
  c.readContract({
    address: fx.deployment.contracts.epochReports,
    abi: epochReportsAbi,
    functionName: "currentEpoch",
  });

describe("chainTransport fail-over (the network file's other RPC URLs)", () => {
  it("a dead first URL: calls go to the second (a real EDR node), and the chain stays connected", async () => {
    const dead = await refusedUrl();
    const health = new ChainHealth({ stallAfterMs: CHAIN_RPC_LIMITS.timeoutMs });
    const alone = createPublicClient({ transport: chainTransport(dead) });
    // Without the fallback the same call fails: the rule under test is the fail-over.
    await expect(alone.getBlockNumber()).rejects.toThrow();

    const c = createPublicClient({ transport: chainTransport(dead, { health, fallbacks: [live.url] }) });
    const before = live.requests;
    expect(await c.getChainId()).toBe(fx.deployment.chainId);
    expect(await readEpoch(c)).toBe(await fx.c.reports.read.currentEpoch());
    expect(live.requests - before).toBeGreaterThanOrEqual(2);
    expect(health.status().connected).toBe(true);
  });

  it("a hung first URL: the call moves on after one timeoutMs, not viem's 41 s", async () => {
    const c = createPublicClient({
      transport: chainTransport(hung.url, { fallbacks: [live.url], limits: { timeoutMs: 500 } }),
    });
    const t0 = performance.now();
    expect(await c.getBlockNumber({ cacheTime: 0 })).toBe(await chain.publicClient.getBlockNumber());
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(500 + 3_000);
  });

  it("a network file with two rpcUrls: the node's config keeps the second as its fallback", async () => {
    const dir = mkdtempSync(join(tmpdir(), "checker-rpc-fallback-"));
    const file = join(dir, "network.json");
    const c = fx.deployment.contracts;
    writeFileSync(
      file,
      JSON.stringify({
        format: "checkernet-network/1",
        name: "fallback-test",
        chainId: String(fx.deployment.chainId),
        rpcUrls: ["http://127.0.0.1:1", live.url],
        contracts: {
          epochReports: c.epochReports,
          checkerRegistry: c.checkerRegistry,
          providerRegistry: c.providerRegistry,
          rewards: c.rewards,
          checkerLicense: c.checkerLicense,
          slashing: c.slashing,
          fraudProofs: c.fraudProofs,
        },
        genesisTime: Number(fx.deployment.genesisTime),
        epochSeconds: Number(fx.deployment.epochSeconds),
        bootstrap: [],
      }),
    );
    const cfg = loadConfig({ network: file, env: {}, flags: { dataDir: dir } });
    expect(cfg.rpcUrl).toBe("http://127.0.0.1:1");
    expect(cfg.rpcFallbackUrls).toEqual([live.url]);
    const client = createPublicClient({
      transport: chainTransport(cfg.rpcUrl, { fallbacks: cfg.rpcFallbackUrls }),
    });
    expect(await readEpoch(client)).toBe(await fx.c.reports.read.currentEpoch());
  });
});

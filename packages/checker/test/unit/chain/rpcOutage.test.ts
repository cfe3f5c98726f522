import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@checkernet/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectChain, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import { deployFixture, type Fixture, setupCheckers } from "../../../../contracts/test/helpers/fixture.ts";
import { AlertCode } from "../../../src/api/alerts.ts";
import type { NodeStatus } from "../../../src/api/status.ts";
import { CHAIN_RPC_LIMITS } from "../../../src/chain/transport.ts";
import { loadConfig } from "../../../src/config.ts";
import { CheckerNode } from "../../../src/node.ts";
import { type RpcTestServer, startRpcServer } from "../../utils/rpcServer.ts";
import { waitFor } from "../../utils/waitFor.ts";

// A checker node built from its config (its own viem clients, chainTransport, ChainHealth) talks to a
// real Hardhat EDR chain through an HTTP server on 127.0.0.1 that the test can make hang, as the
// devnet's outage drill stopped the chain process (issue 14).

/** The devnet's epoch: the RPC_DOWN alert must be up within one (the chain refresh runs every 5 s). */
const DEVNET_EPOCH_MS = 20_000;

let chain: TestChain;
let fx: Fixture;
let rpc: RpcTestServer;
const silent = createLogger({ level: "silent", pretty: false });

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain);
  await setupCheckers(fx, 1, 1);
  // Each call is answered by the in-process EDR network, as `hardhat node` would over HTTP.
  rpc = await startRpcServer((call) => chain.publicClient.request(call as never));
});

afterAll(async () => {
  await rpc?.close();
});

async function startNode(): Promise<{ node: CheckerNode; createMs: number }> {
  const c = fx.deployment.contracts;
  const config = loadConfig({
    env: {},
    flags: {
      dataDir: mkdtempSync(join(tmpdir(), "checker-rpc-outage-")),
      listen: ["/ip4/127.0.0.1/tcp/0"],
      apiPort: 0,
      dht: false,
      nat: false,
      rpcUrl: rpc.url,
      chainId: String(fx.deployment.chainId),
      verifyingContract: c.epochReports,
      checkerRegistry: c.checkerRegistry,
      providerRegistry: c.providerRegistry,
    },
  });
  const t0 = performance.now();
  const node = await CheckerNode.create({ config, logger: silent });
  const createMs = performance.now() - t0;
  await node.start();
  return { node, createMs };
}

const rpcDown = (s: NodeStatus) => s.alerts.some((a) => a.code === AlertCode.RPC_DOWN);

describe("chain outage (a checker node on Hardhat's EDR behind an HTTP RPC that stops answering)", () => {
  it("says RPC_DOWN within one epoch of the RPC hanging, with connected false, and clears it when the chain answers again", async () => {
    rpc.mode = "answer";
    const { node } = await startNode();
    try {
      await waitFor(async () => (await node.status()).chain.connected === true, "the first refresh", 20_000);
      let status = await node.status();
      expect(rpcDown(status)).toBe(false);
      expect(status.chain.lastError).toBeNull();
      expect(status.chain.lastAnswerMs).toBeGreaterThan(0);

      // The chain process stops: connections are accepted, nothing is answered.
      rpc.mode = "hang";
      const dark = performance.now();
      await waitFor(async () => rpcDown(await node.status()), "RPC_DOWN", DEVNET_EPOCH_MS + 10_000);
      const detectedMs = performance.now() - dark;
      status = await node.status();
      expect(status.chain.connected).toBe(false);
      expect(status.chain.lastError).toMatch(/timed out|no answer/);
      expect(status.alerts.find((a) => a.code === AlertCode.RPC_DOWN)?.message).toContain(rpc.url);
      // Next refresh (5 s) plus one deadline: well within the devnet's 20 s epoch.
      expect(detectedMs).toBeLessThan(DEVNET_EPOCH_MS);
      console.log(`RPC_DOWN ${Math.round(detectedMs)} ms after the RPC went dark`);

      // It answers again: the alert clears with the next refresh (backoff capped at 15 s).
      rpc.mode = "answer";
      const back = performance.now();
      await waitFor(async () => !rpcDown(await node.status()), "RPC_DOWN to clear", 30_000);
      const clearedMs = performance.now() - back;
      status = await node.status();
      expect(status.chain).toMatchObject({ connected: true, lastError: null });
      expect(clearedMs).toBeLessThan(15_000 + CHAIN_RPC_LIMITS.timeoutMs + 5_000);
      console.log(`RPC_DOWN cleared ${Math.round(clearedMs)} ms after the RPC answered again`);
    } finally {
      rpc.mode = "answer";
      await node.stop();
    }
  }, 120_000);

  it("a node started against a hung RPC starts within the RPC deadline and shows RPC_DOWN until the chain answers", async () => {
    rpc.mode = "hang";
    let node: CheckerNode | undefined;
    try {
      const started = await startNode();
      node = started.node;
      // The epoch clock read (two calls in parallel) gives up after one deadline; viem's defaults: ~41 s.
      expect(started.createMs).toBeLessThan(CHAIN_RPC_LIMITS.timeoutMs + 10_000);
      console.log(`created against a hung RPC in ${Math.round(started.createMs)} ms`);
      const status = await node.status();
      expect(status.chain.connected).toBe(false);
      expect(rpcDown(status)).toBe(true);
      rpc.mode = "answer";
      const n = node;
      await waitFor(async () => !rpcDown(await n.status()), "RPC_DOWN to clear", 30_000);
      expect((await n.status()).chain.connected).toBe(true);
    } finally {
      rpc.mode = "answer";
      await node?.stop();
    }
  }, 120_000);
});

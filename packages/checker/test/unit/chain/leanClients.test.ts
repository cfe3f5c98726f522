import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkerLicenseAbi, epochReportsAbi } from "@checkernet/contracts/generated/index";
import { createClient, defineChain, http, publicActions, walletActions } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectChain, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import { deployFixture, type Fixture } from "../../../../contracts/test/helpers/fixture.ts";
import { LEAN_CLIENT_METHODS, leanPublicClient, leanWalletClient } from "../../../src/chain/leanClients.ts";
import { type RpcTestServer, startRpcServer } from "../../utils/rpcServer.ts";

const SRC = join(import.meta.dirname, "../../../src");

/** Every `.name(` call in the checker's sources whose name is one of `methods`. */
function calledIn(methods: readonly string[]): Set<string> {
  const called = new Set<string>();
  const files = readdirSync(SRC, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  for (const file of files) {
    const text = readFileSync(join(SRC, file), "utf8");
    for (const m of text.matchAll(/\.(\w+)\(/g)) if (methods.includes(m[1]!)) called.add(m[1]!);
  }
  return called;
}

describe("lean chain clients", () => {
  it("have every viem client method the checker's sources call", () => {
    // Any action viem's decorated clients have, called as a method anywhere in the node: the lean
    // clients must have it, or that call fails at run time (the node's only clients are these).
    const bare = createClient({ transport: http("http://127.0.0.1:1") });
    const publicMethods = Object.keys(publicActions(bare));
    const walletMethods = Object.keys(walletActions(bare));
    const lean = new Set([...LEAN_CLIENT_METHODS.public, ...LEAN_CLIENT_METHODS.wallet]);
    const called = calledIn([...publicMethods, ...walletMethods]);
    expect(called.size).toBeGreaterThan(5);
    expect([...called].filter((m) => !lean.has(m)).sort()).toEqual([]);
  });

  describe("on a real chain over HTTP", () => {
    let chain: TestChain;
    let fx: Fixture;
    let rpc: RpcTestServer;
    beforeAll(async () => {
      chain = await connectChain();
      fx = await deployFixture(chain);
      rpc = await startRpcServer((call) => chain.publicClient.request(call as never));
    }, 60_000);
    afterAll(async () => {
      await rpc?.close();
    });

    it("read, simulate, write and wait as viem's decorated clients do", async () => {
      const transport = http(rpc.url);
      const reader = leanPublicClient({ transport });
      const chainId = await reader.getChainId();
      expect(chainId).toBe(await chain.publicClient.getChainId());
      expect(await reader.getBlockNumber()).toBe(await chain.publicClient.getBlockNumber());
      const reports = fx.deployment.contracts.epochReports;
      expect(
        await reader.readContract({ address: reports, abi: epochReportsAbi, functionName: "epochSeconds" }),
      ).toBe(
        await chain.publicClient.readContract({
          address: reports,
          abi: epochReportsAbi,
          functionName: "epochSeconds",
        }),
      );

      // Hardhat's first account (the deployer, the license's owner): its well-known test key.
      const account = privateKeyToAccount(
        "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
      );
      expect(account.address.toLowerCase()).toBe(chain.wallets[0]!.account.address.toLowerCase());
      const wallet = leanWalletClient({
        account,
        chain: defineChain({
          id: chainId,
          name: "test",
          nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
          rpcUrls: { default: { http: [rpc.url] } },
        }),
        transport,
      });
      const license = { address: fx.deployment.contracts.checkerLicense, abi: checkerLicenseAbi } as const;
      const before = await reader.readContract({ ...license, functionName: "totalSupply" });
      const { request } = await reader.simulateContract({
        ...license,
        account,
        functionName: "mintBatch",
        args: [account.address, 3n],
      });
      const hash = await wallet.writeContract(request);
      const receipt = await reader.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      expect(receipt.status).toBe("success");
      expect(await reader.readContract({ ...license, functionName: "totalSupply" })).toBe(before + 3n);
      expect(await reader.getTransactionCount({ address: account.address })).toBeGreaterThan(0);
    }, 60_000);
  });
});

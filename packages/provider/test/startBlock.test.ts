import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, createWalletClient, custom, type Hex, type PublicClient, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { beforeAll, describe, expect, it } from "vitest";
import { type ProviderChain, readDeployment } from "../src/chain/client.ts";
import { ChainError } from "../src/chain/errors.ts";
import { openSlashes } from "../src/chain/openSlashes.ts";
import { deployedNetwork } from "./utils/chain.ts";

/**
 * `provider status` finds open slashes by scanning SlashOpened: from the deployment's first block (the
 * deployment file's startBlock), not from block 0, which on a long-lived chain is millions of blocks of
 * nothing (and more than many RPCs allow one eth_getLogs to cover).
 */
describe("event scans start at the deployment's startBlock", () => {
  let network: Awaited<ReturnType<typeof deployedNetwork>>;
  let file: string;

  beforeAll(async () => {
    network = await deployedNetwork();
    const dir = await mkdtemp(join(tmpdir(), "provider-start-block-"));
    file = join(dir, "deployment.json");
    await writeFile(
      file,
      JSON.stringify(network.deployment, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
    );
  });

  it("readDeployment keeps startBlock, openSlashes sends it as eth_getLogs' fromBlock", async () => {
    const contracts = await readDeployment(file);
    expect(network.deployment.startBlock).toBeGreaterThan(0n);
    expect(contracts.startBlock).toBe(network.deployment.startBlock);
    const logQueries: { fromBlock?: Hex }[] = [];
    const transport = custom({
      request: (args: { method: string; params?: unknown }) => {
        if (args.method === "eth_getLogs") logQueries.push((args.params as { fromBlock?: Hex }[])[0] ?? {});
        return network.publicClient.request(args as never);
      },
    });
    const account = privateKeyToAccount(generatePrivateKey());
    const chain: ProviderChain = {
      publicClient: createPublicClient({ transport }) as PublicClient,
      walletClient: createWalletClient({ account, transport }),
      account,
      contracts,
    };
    expect((await openSlashes(chain)).slashes).toEqual([]);
    expect(logQueries.map((q) => q.fromBlock)).toEqual([toHex(network.deployment.startBlock)]);
  });

  it("refuses a malformed startBlock by name; an older file without one scans from 0", async () => {
    const dir = await mkdtemp(join(tmpdir(), "provider-start-block-bad-"));
    const bad = join(dir, "bad.json");
    await writeFile(bad, JSON.stringify({ contracts: network.deployment.contracts, startBlock: "soon" }));
    const err = await readDeployment(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChainError);
    expect((err as Error).message).toMatch(/has startBlock "soon"; expected a block number/);
    const old = join(dir, "old.json");
    await writeFile(old, JSON.stringify({ contracts: network.deployment.contracts }));
    expect((await readDeployment(old)).startBlock).toBeUndefined();
  });
});

import { answerKeyAddress, signAnswerKey } from "@checkernet/protocol/fraud/answerSigning";
import { createLogger } from "@checkernet/runtime";
import type { PublicClient } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { beforeAll, describe, expect, it } from "vitest";
import {
  connectChain,
  isolateTests,
  mined,
  type TestChain,
} from "../../../../contracts/test/helpers/chain.ts";
import {
  deployFixture,
  type Fixture,
  goToEpoch,
  revealSeed,
  setupCheckers,
} from "../../../../contracts/test/helpers/fixture.ts";
import { getEpochInputs } from "../../../src/chain/actions/getEpochInputs.ts";
import { ChainDirectory } from "../../../src/chain/chainDirectory.ts";
import { registerProvider } from "../../utils/chain.ts";
import { type Backend, type LaggingRpc, laggingRpc, selectorOf } from "../../utils/laggingRpc.ts";

/**
 * Review3 P1-5: a node marks what it reads final (a checking set, a seed read ahead) by the chain's epoch,
 * and held it for ever. The epoch came from one call and the values from later calls at "latest", so behind
 * a load-balanced RPC whose backends differ by a block or two they could come from a backend still before
 * a change the epoch says is already counted: that node held a set (or a seed) no other node held. The
 * rule: every read that makes a value final is at the block the epoch was read at. The RPC here is the real
 * EDR chain behind a model balancer (laggingRpc): a fresh backend at the head, a stale one at an older block.
 */
let chain: TestChain;
let fx: Fixture;
const silent = createLogger({ level: "silent", pretty: false });
/** Requests whose backend every schedule of the exhaustive test chooses (2^FIRST schedules, each tail). */
const FIRST = 6;

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain);
});

isolateTests(() => chain);

function directoryOn(client: PublicClient): ChainDirectory {
  const c = fx.deployment.contracts;
  return new ChainDirectory(
    { publicClient: client, logger: silent },
    {
      addresses: {
        checkerRegistry: c.checkerRegistry,
        providerRegistry: c.providerRegistry,
        epochReports: c.epochReports,
      },
    },
  );
}

/**
 * A provider in every set from epoch 1 unstakes in epoch 2's last block before epoch 3 (counting from 4);
 * the chain is then in 3, where the set of 4 is final and lacks it. Returns it and the block before its
 * unstake: the stale backend's head.
 */
async function unstakeBeforeTheBoundary(): Promise<{ leaving: `0x${string}`; staleHead: bigint }> {
  await setupCheckers(fx, 2, 1);
  const leaving = await registerProvider(chain, fx, 0, 0n);
  await goToEpoch(fx, 2n);
  const staleHead = await chain.publicClient.getBlockNumber();
  await mined(chain, fx.as(chain.wallets[10]!).providers.write.requestUnstake([1n]));
  await goToEpoch(fx, 3n);
  expect(await fx.c.providers.read.isActiveAt([leaving, 3n])).toBe(true);
  expect(await fx.c.providers.read.isActiveAt([leaving, 4n])).toBe(false);
  return { leaving, staleHead };
}

/** Reads epoch 4's set on demand and in a refresh, whatever fails (an error is a read that did not happen). */
async function readUnder(dir: ChainDirectory): Promise<void> {
  await dir.ensureEpoch(4n);
  await dir.refresh().catch(() => undefined);
}

describe("reads that make a value final are pinned to one block (review3 P1-5)", () => {
  it("the epoch from a fresh backend and the set from a stale one: the set is not held final", async () => {
    const { leaving, staleHead } = await unstakeBeforeTheBoundary();
    // The review's case: currentEpoch reaches the backend in epoch 3, everything else the one still in 2.
    const rpc = laggingRpc(chain, staleHead, (r) =>
      r.selector === selectorOf("currentEpoch()") ? "fresh" : "stale",
    );
    const dir = directoryOn(rpc.client);
    await readUnder(dir);
    expect(rpc.answered.stale).toBeGreaterThan(0);
    // The lag is over: a set held final stays as it was read; any other is read again.
    rpc.route = () => "fresh";
    await readUnder(dir);
    expect(dir.hasProvider(leaving, 3n)).toBe(true);
    expect(dir.hasProvider(leaving, 4n)).toBe(false);
    expect(dir.providers(4n)).toEqual([]);
  });

  it(`whichever backend answers each of the first ${FIRST} requests, no node holds a wrong set`, async () => {
    const { leaving, staleHead } = await unstakeBeforeTheBoundary();
    const wrong: string[] = [];
    for (const tail of ["fresh", "stale"] as const) {
      for (let mask = 0; mask < 2 ** FIRST; mask++) {
        const route: LaggingRpc["route"] = ({ index }) =>
          index >= FIRST ? tail : (mask >> index) & 1 ? "stale" : ("fresh" as Backend);
        const rpc = laggingRpc(chain, staleHead, route);
        const dir = directoryOn(rpc.client);
        await readUnder(dir);
        rpc.route = () => "fresh";
        await readUnder(dir);
        if (dir.hasProvider(leaving, 4n) || !dir.hasProvider(leaving, 3n))
          wrong.push(`${mask.toString(2).padStart(FIRST, "0")}+${tail}`);
      }
    }
    expect(wrong, `schedules (first requests stale = 1, then the tail) that held a wrong set`).toEqual([]);
  }, 240_000);

  it("a registration the RPC's logs left out is read before a set is held final", async () => {
    await setupCheckers(fx, 2, 1);
    await goToEpoch(fx, 2n);
    const rpc = laggingRpc(chain, 0n, () => "fresh");
    const dir = directoryOn(rpc.client);
    await dir.refresh();
    // Registered and staked in epoch 2: in the sets from 4, final once the chain is in 3.
    rpc.staleHead = await chain.publicClient.getBlockNumber();
    const joining = await registerProvider(chain, fx, 1, 0n);
    await goToEpoch(fx, 3n);
    expect(await fx.c.providers.read.isActiveAt([joining, 4n])).toBe(true);
    // The logs come from the stale backend (the range clamped to its head: no error, no log), the rest fresh.
    rpc.route = (r) => (r.method === "eth_getLogs" ? "stale" : "fresh");
    await dir.refresh().catch(() => undefined);
    rpc.route = () => "fresh";
    await dir.refresh();
    expect(dir.hasProvider(joining, 4n)).toBe(true);
    expect(dir.providers(4n).map((p) => p.address)).toEqual([joining]);
  });

  it("a seed read ahead is revealed at the block it is read at, not the fallback of a backend before the reveal", async () => {
    await setupCheckers(fx, 2, 1);
    await goToEpoch(fx, 1n);
    const staleHead = await chain.publicClient.getBlockNumber();
    const fallback = await fx.c.reports.read.seedOf([2n]);
    await revealSeed(fx, 2n);
    const revealed = await fx.c.reports.read.seedOf([2n]);
    expect(revealed).not.toBe(fallback);
    const rpc = laggingRpc(chain, staleHead, (r) =>
      r.selector === selectorOf("isSeedRevealed(uint64)") ? "fresh" : "stale",
    );
    const dir = directoryOn(rpc.client);
    await dir.refresh().catch(() => undefined);
    rpc.route = () => "fresh";
    await dir.refresh();
    expect(dir.seed(2n)).toBe(revealed);
    await goToEpoch(fx, 2n);
    await dir.refresh();
    expect(dir.seed(2n)).toBe(revealed);
  });

  it("a started epoch's answer key is read at the block whose epoch says it started, before it is kept", async () => {
    const provider = await registerProvider(chain, fx, 0, 0n);
    await goToEpoch(fx, 2n);
    const staleHead = await chain.publicClient.getBlockNumber();
    // Set in epoch 2: it signs from 2 + activationDelayEpochs = 4.
    const key = generatePrivateKey();
    const answerKey = answerKeyAddress(key);
    const domain = {
      chainId: BigInt(await chain.publicClient.getChainId()),
      verifyingContract: fx.deployment.contracts.providerRegistry,
    };
    const pop = signAnswerKey(key, domain, { provider, answerKey });
    await mined(chain, fx.as(chain.wallets[10]!).providers.write.setAnswerKey([answerKey, pop]));
    await goToEpoch(fx, 4n);
    const rpc = laggingRpc(chain, staleHead, () => "fresh");
    const dir = directoryOn(rpc.client);
    await dir.refresh();
    // The key's read reaches the backend still in epoch 2: no key there.
    rpc.route = (r) => (r.selector === selectorOf("answerKeyAt(address,uint64)") ? "stale" : "fresh");
    await dir.answerKeyAt(provider, 4n);
    rpc.route = () => "fresh";
    expect(await dir.answerKeyAt(provider, 4n)).toEqual({ key: answerKey, ...domain });
  });

  it("a report's stakes are read at one block whose epoch makes them final, or not at all", async () => {
    const { leaving, staleHead } = await unstakeBeforeTheBoundary();
    const { providerRegistry, checkerRegistry } = fx.deployment.contracts;
    const read = (client: PublicClient) =>
      getEpochInputs(client, {
        checkerRegistry,
        providerRegistry,
        epoch: 4n,
        providers: [leaving],
        snapshots: { licenseIdsAt: async () => new Map() },
      });
    // Every call at the stale backend's head (epoch 2): stakes of 4 are not final there.
    await expect(read(laggingRpc(chain, staleHead, () => "stale").client)).rejects.toThrow(/not final/);
    // The block from the fresh backend, the stakes from the stale one: it does not have that block.
    const split = laggingRpc(chain, staleHead, (r) => (r.method === "eth_blockNumber" ? "fresh" : "stale"));
    await expect(read(split.client)).rejects.toThrow(/CHAIN_ACTION_ERROR_RPC/);
    const { stakes } = await read(laggingRpc(chain, staleHead, () => "fresh").client);
    expect(stakes.get(leaving)).toBe(await fx.c.providers.read.stakeAt([leaving, 4n]));
  });
});

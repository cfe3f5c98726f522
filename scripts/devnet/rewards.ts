import { epochReportsAbi, rewardsAbi, rewardTokenAbi } from "@checkernet/contracts";
import { Beneficiary, type RewardLeaf } from "@checkernet/protocol/merkle/leaves";
import { buildRewardsTree, rewardProof } from "@checkernet/protocol/merkle/trees";
import type { Address, Hex } from "viem";
import type { Wallet } from "./chain.ts";
import type { DevnetHandle } from "./index.ts";
import { checkerApiUrl } from "./nodes.ts";

/** One epoch's reward leaves as a checker stored them, checked against the root on-chain. */
export interface EpochRewards {
  epoch: bigint;
  rewardsRoot: Hex;
  leaves: RewardLeaf[];
  /** Which checker's API served them. */
  from: string;
}

interface ApiRewards {
  epoch: string;
  rewardsRoot: Hex;
  rewards: { beneficiary: number; id: string; amount: string }[];
}

/**
 * The reward leaves of every landed report, from the checkers' `GET /rewards`
 * (the aggregator and every co-signer store them). Leaves whose tree does not
 * rebuild the root on-chain are ignored: a checker's API is not trusted.
 */
export function collectRewards(handle: DevnetHandle): Promise<EpochRewards[]> {
  return rewardsFromApis(
    handle,
    handle.checkers.map((c) => ({ name: c.name, url: checkerApiUrl(c) })),
  );
}

/** collectRewards over any checkers' status APIs (`url`: the base URL), in-process nodes' too. */
export async function rewardsFromApis(
  net: Pick<DevnetHandle, "chain" | "deployment">,
  apis: readonly { name: string; url: string }[],
): Promise<EpochRewards[]> {
  const out = new Map<string, EpochRewards>();
  for (const c of apis) {
    let body: ApiRewards[];
    try {
      const res = await fetch(`${c.url}/rewards`, {
        signal: AbortSignal.timeout(5_000),
      });
      if (!res.ok) continue;
      body = (await res.json()) as ApiRewards[];
    } catch {
      continue;
    }
    for (const r of body) {
      if (out.has(r.epoch) || r.rewards.length === 0) continue;
      const leaves = r.rewards.map((l) => ({
        beneficiary: l.beneficiary as Beneficiary,
        id: BigInt(l.id),
        amount: BigInt(l.amount),
      }));
      const [root] = await net.chain.publicClient.readContract({
        address: net.deployment.contracts.epochReports,
        abi: epochReportsAbi,
        functionName: "rewardsOf",
        args: [BigInt(r.epoch)],
      });
      if (buildRewardsTree(leaves).root.toLowerCase() !== root.toLowerCase()) continue;
      out.set(r.epoch, { epoch: BigInt(r.epoch), rewardsRoot: root, leaves, from: c.name });
    }
  }
  return [...out.values()].sort((a, b) => Number(a.epoch - b.epoch));
}

export async function tokenBalance(handle: DevnetHandle, who: Address): Promise<bigint> {
  return handle.chain.publicClient.readContract({
    address: handle.deployment.contracts.rewardToken,
    abi: rewardTokenAbi,
    functionName: "balanceOf",
    args: [who],
  });
}

/** Claims one leaf with a proof built from the epoch's leaves; returns the gas used. */
export async function claimReward(
  handle: DevnetHandle,
  wallet: Wallet,
  epoch: EpochRewards,
  leaf: RewardLeaf,
): Promise<bigint> {
  const proof = rewardProof(buildRewardsTree(epoch.leaves), leaf.beneficiary, leaf.id);
  const hash = await wallet.writeContract({
    address: handle.deployment.contracts.rewards,
    abi: rewardsAbi,
    functionName: "claim",
    args: [epoch.epoch, { beneficiary: leaf.beneficiary, id: leaf.id, amount: leaf.amount }, proof],
  });
  const receipt = await handle.chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 100 });
  if (receipt.status !== "success") throw new Error(`claim of epoch ${epoch.epoch} reverted (${hash})`);
  return receipt.gasUsed;
}

export { Beneficiary };

import { checkerLicenseAbi, rewardsAbi } from "@checkernet/contracts/generated/index";
import type { RewardLeaf } from "@checkernet/protocol/merkle/leaves";
import type { Account, Address, Chain, Hash, Hex, PublicClient, Transport, WalletClient } from "viem";
import { getAddress } from "viem";
import { ChainActionError, ChainActionErrorCode, toChainActionError } from "./errors.ts";

export interface RewardClaim {
  epoch: bigint;
  leaf: RewardLeaf;
  proof: Hex[];
}

export interface ClaimRewardsParameters {
  rewards: Address;
  /** Checked before sending: license rewards are paid to the license owner, who must be the sender. */
  checkerLicense?: Address;
  claims: readonly RewardClaim[];
}

export interface ClaimRewardsReturnType {
  hash: Hash;
  gasUsed: bigint;
  /** Σ leaf amounts claimed. */
  amount: bigint;
}

/**
 * Claims reward leaves with their Merkle proofs: `claim` for one, `claimMany`
 * for several, in one transaction.
 *
 * @example
 * const { hash, amount } = await claimRewards(publicClient, walletClient, {
 *   rewards, checkerLicense, claims: [{ epoch: 3n, leaf, proof }],
 * });
 */
export async function claimRewards(
  publicClient: PublicClient,
  walletClient: WalletClient<Transport, Chain | undefined, Account>,
  params: ClaimRewardsParameters,
): Promise<ClaimRewardsReturnType> {
  if (params.claims.length === 0) {
    throw new ChainActionError(ChainActionErrorCode.NOTHING_TO_DO, "nothing to claim");
  }
  const me = getAddress(walletClient.account.address);
  if (params.checkerLicense !== undefined) {
    for (const c of params.claims) {
      if (c.leaf.beneficiary !== 1) continue;
      let owner: Address;
      try {
        owner = await publicClient.readContract({
          address: params.checkerLicense,
          abi: checkerLicenseAbi,
          functionName: "ownerOf",
          args: [c.leaf.id],
        });
      } catch (e) {
        throw toChainActionError(e, "ownerOf");
      }
      if (getAddress(owner) !== me) {
        throw new ChainActionError(
          ChainActionErrorCode.NOT_OWNER,
          `license ${c.leaf.id} is owned by ${owner}, not by the sender ${me}`,
          { licenseId: String(c.leaf.id), owner, sender: me },
        );
      }
    }
  }
  const toArgs = (c: RewardClaim) => ({
    epoch: c.epoch,
    leaf: { beneficiary: c.leaf.beneficiary, id: c.leaf.id, amount: c.leaf.amount },
    proof: c.proof,
  });
  let hash: Hash;
  try {
    const common = {
      address: params.rewards,
      abi: rewardsAbi,
      chain: walletClient.chain ?? null,
      account: walletClient.account,
    } as const;
    const [first] = params.claims;
    hash =
      params.claims.length === 1 && first !== undefined
        ? await walletClient.writeContract({
            ...common,
            functionName: "claim",
            args: [first.epoch, toArgs(first).leaf, first.proof],
          })
        : await walletClient.writeContract({
            ...common,
            functionName: "claimMany",
            args: [params.claims.map(toArgs)],
          });
  } catch (e) {
    throw toChainActionError(e, "claim");
  }
  let receipt: Awaited<ReturnType<PublicClient["waitForTransactionReceipt"]>>;
  try {
    receipt = await publicClient.waitForTransactionReceipt({ hash });
  } catch (e) {
    throw toChainActionError(e, "claim receipt");
  }
  if (receipt.status !== "success") {
    throw new ChainActionError(ChainActionErrorCode.FAILED, "claim transaction failed", { hash });
  }
  return { hash, gasUsed: receipt.gasUsed, amount: params.claims.reduce((s, c) => s + c.leaf.amount, 0n) };
}

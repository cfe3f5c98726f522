import { checkerLicenseAbi, rewardsAbi } from "@checkernet/contracts/generated/index";
import type { RewardLeaf } from "@checkernet/protocol/merkle/leaves";
import { type Address, getAddress, type PublicClient } from "viem";
import { toChainActionError } from "./errors.ts";

export interface GetClaimStatusParameters {
  rewards: Address;
  checkerLicense: Address;
  epoch: bigint;
  leaf: RewardLeaf;
}

export interface GetClaimStatusReturnType {
  claimed: boolean;
  /** Who the leaf pays now: the license owner, or the provider address. */
  recipient: Address;
}

/**
 * Whether a reward leaf was claimed, and who it pays (license rewards go to
 * the license's owner at claim time).
 *
 * @example
 * const { claimed, recipient } = await getClaimStatus(publicClient, { rewards, checkerLicense, epoch, leaf });
 */
export async function getClaimStatus(
  client: PublicClient,
  params: GetClaimStatusParameters,
): Promise<GetClaimStatusReturnType> {
  try {
    const claimed = await client.readContract({
      address: params.rewards,
      abi: rewardsAbi,
      functionName: "isClaimed",
      args: [params.epoch, params.leaf.beneficiary, params.leaf.id],
    });
    const recipient =
      params.leaf.beneficiary === 1
        ? await client.readContract({
            address: params.checkerLicense,
            abi: checkerLicenseAbi,
            functionName: "ownerOf",
            args: [params.leaf.id],
          })
        : (`0x${params.leaf.id.toString(16).padStart(40, "0")}` as Address);
    return { claimed, recipient: getAddress(recipient) };
  } catch (e) {
    throw toChainActionError(e, "claim status");
  }
}

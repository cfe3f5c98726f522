import { rewardsAbi } from "@checkernet/contracts/generated/index";
import type { RewardLeaf } from "@checkernet/protocol/merkle/leaves";
import { type Address, getAddress, type Hex, type PublicClient } from "viem";
import { ChainActionErrorCode, toChainActionError } from "./errors.ts";

export interface SimulateClaimParameters {
  rewards: Address;
  epoch: bigint;
  leaf: RewardLeaf;
  proof: readonly Hex[];
  /** Any account: claims pay the beneficiary whoever sends them. */
  account: Address;
}

/** What the Rewards contract would do with the claim now. */
export type SimulateClaimReturnType =
  | { status: "claimable"; amount: bigint; recipient: Address }
  | { status: "claimed" | "forfeited" | "invalid-proof" | "not-reported"; amount: 0n; recipient: null }
  /**
   * A license reward before its epoch's penalties are final (Rewards.RewardsLocked): claimable from
   * `unlockEpoch`, unless a re-check overturns a failure its operator signed by then (forfeited).
   */
  | { status: "locked"; amount: 0n; recipient: null; unlockEpoch: bigint };

/**
 * Asks the contract itself whether a reward leaf is claimable, with an
 * eth_call of `claim` (nothing is sent): the on-chain claimable amount that
 * explanations are compared with.
 *
 * @example
 * const r = await simulateClaim(publicClient, { rewards, epoch: 3n, leaf, proof, account });
 * if (r.status === "claimable") console.log(r.amount, "to", r.recipient);
 */
export async function simulateClaim(
  client: PublicClient,
  params: SimulateClaimParameters,
): Promise<SimulateClaimReturnType> {
  try {
    const { result } = await client.simulateContract({
      address: params.rewards,
      abi: rewardsAbi,
      functionName: "claim",
      args: [
        params.epoch,
        { beneficiary: params.leaf.beneficiary, id: params.leaf.id, amount: params.leaf.amount },
        [...params.proof],
      ],
      account: params.account,
    });
    return { status: "claimable", amount: params.leaf.amount, recipient: getAddress(result) };
  } catch (e) {
    const err = toChainActionError(e, "claim simulation");
    if (err.code === ChainActionErrorCode.LOCKED) {
      const args = (err.details.args ?? []) as readonly unknown[];
      return { status: "locked", amount: 0n, recipient: null, unlockEpoch: BigInt(String(args[2] ?? 0)) };
    }
    const status =
      err.code === ChainActionErrorCode.ALREADY_CLAIMED
        ? "claimed"
        : err.code === ChainActionErrorCode.FORFEITED
          ? "forfeited"
          : err.code === ChainActionErrorCode.INVALID_PROOF
            ? "invalid-proof"
            : err.details.revert === "RewardsUnknownEpoch"
              ? "not-reported"
              : undefined;
    if (status === undefined) throw err;
    return { status, amount: 0n, recipient: null };
  }
}

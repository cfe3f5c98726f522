import { slashingAbi } from "@checkernet/contracts/generated/index";
import type { Address, Hash, PublicClient } from "viem";
import { ChainActionError, ChainActionErrorCode, toChainActionError } from "../chain/actions/errors.ts";
import { waitForReceipt } from "../chain/actions/receipt.ts";
import type { SubmitterWallet } from "./leader/submitOnce.ts";

/** The Slashing calls that close a slash whose window has passed; anyone may send them. */
export type SlashSettlement = "executeSlash" | "expireContest";

/** What a settlement revert means: someone else closed the slash (done), or it is not due yet on chain (retry). */
export const SETTLED_BY_OTHER_REVERTS: readonly string[] = ["SlashingInvalidStatus"];
export const NOT_DUE_YET_REVERTS: readonly string[] = [
  "SlashingContestWindowOpen",
  "SlashingRecheckDeadlineNotPassed",
];

/**
 * Sends `Slashing.executeSlash(slashId)` or `expireContest(slashId)` and waits for its receipt. A revert
 * throws a ChainActionError whose `details.revert` names the contract error (the keeper classifies it).
 */
export async function sendSlashSettlement(
  publicClient: PublicClient,
  wallet: SubmitterWallet,
  slashing: Address,
  functionName: SlashSettlement,
  slashId: bigint,
): Promise<{ hash: Hash; gasUsed: bigint }> {
  let hash: Hash;
  try {
    hash = await wallet.writeContract({
      address: slashing,
      abi: slashingAbi,
      functionName,
      args: [slashId],
      chain: wallet.chain ?? null,
      account: wallet.account,
    });
  } catch (e) {
    throw toChainActionError(e, functionName);
  }
  const receipt = await waitForReceipt(publicClient, hash, functionName);
  if (receipt.status !== "success") {
    throw new ChainActionError(ChainActionErrorCode.FAILED, `${functionName} transaction failed`, { hash });
  }
  return { hash, gasUsed: receipt.gasUsed };
}

/** Sends `Slashing.penalizeAccusers(slashId, accusers, from, to)`: one page of an overturned slash's long list. */
export async function sendPenalizePage(
  publicClient: PublicClient,
  wallet: SubmitterWallet,
  slashing: Address,
  page: { slashId: bigint; accusers: readonly Address[]; from: bigint; to: bigint },
): Promise<{ hash: Hash; gasUsed: bigint }> {
  let hash: Hash;
  try {
    hash = await wallet.writeContract({
      address: slashing,
      abi: slashingAbi,
      functionName: "penalizeAccusers",
      args: [page.slashId, page.accusers, page.from, page.to],
      chain: wallet.chain ?? null,
      account: wallet.account,
    });
  } catch (e) {
    throw toChainActionError(e, "penalizeAccusers");
  }
  const receipt = await waitForReceipt(publicClient, hash, "penalizeAccusers");
  if (receipt.status !== "success") {
    throw new ChainActionError(ChainActionErrorCode.FAILED, "penalizeAccusers transaction failed", { hash });
  }
  return { hash, gasUsed: receipt.gasUsed };
}

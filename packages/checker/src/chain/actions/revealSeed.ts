import { epochReportsAbi } from "@checkernet/contracts/generated/index";
import type { Account, Address, Chain, Hash, Hex, PublicClient, Transport, WalletClient } from "viem";
import { ChainActionError, ChainActionErrorCode, toChainActionError } from "./errors.ts";
import { waitForReceipt } from "./receipt.ts";

export interface RevealSeedParameters {
  epochReports: Address;
  /** The epoch whose seed is revealed (the one after the proposer's epoch). */
  epoch: bigint;
  /** The proposer's BLS signature over `seedRevealMessage(epoch)`, as the 256-byte EIP-2537 G2 point. */
  signature: Hex;
}

export interface RevealSeedReturnType {
  hash: Hash;
  gasUsed: bigint;
  blockNumber: bigint;
}

/**
 * Sends `EpochReports.revealSeed(epoch, signature)` and waits for the receipt.
 * viem estimates gas first, so a reveal the contract would refuse fails here
 * with the custom error's name and costs nothing.
 *
 * @example
 * const { hash } = await revealSeed(publicClient, walletClient, { epochReports, epoch: 8n, signature });
 */
export async function revealSeed(
  publicClient: PublicClient,
  walletClient: WalletClient<Transport, Chain | undefined, Account>,
  params: RevealSeedParameters,
): Promise<RevealSeedReturnType> {
  let hash: Hash;
  try {
    hash = await walletClient.writeContract({
      address: params.epochReports,
      abi: epochReportsAbi,
      functionName: "revealSeed",
      args: [params.epoch, params.signature],
      chain: walletClient.chain ?? null,
      account: walletClient.account,
    });
  } catch (e) {
    throw toChainActionError(e, "revealSeed");
  }
  const receipt = await waitForReceipt(publicClient, hash, "revealSeed");
  if (receipt.status !== "success") {
    throw new ChainActionError(ChainActionErrorCode.FAILED, "revealSeed transaction failed", { hash });
  }
  return { hash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber };
}

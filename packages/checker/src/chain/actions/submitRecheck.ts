import { slashingAbi } from "@checkernet/contracts/generated/index";
import type { RecheckHeader } from "@checkernet/contracts/recheck";
import type { Account, Address, Chain, Hash, Hex, PublicClient, Transport, WalletClient } from "viem";
import { ChainActionError, ChainActionErrorCode, toChainActionError } from "./errors.ts";
import { waitForReceipt } from "./receipt.ts";

export interface SubmitRecheckParameters {
  slashing: Address;
  header: RecheckHeader;
  /** Bit i set ⇔ seat i of the slash's re-check committee signed. */
  signerBitfield: bigint;
  /** The aggregate BLS signature as the 256-byte EIP-2537 G2 point. */
  aggregateSignature: Hex;
  /** Fixes the account nonce, so that a resend after a lost RPC answer can never be mined twice. */
  nonce?: number;
  /** Called with the hash once the node accepted the transaction. */
  onSent?: (hash: Hash) => void | Promise<void>;
}

export interface SubmitRecheckReturnType {
  hash: Hash;
  gasUsed: bigint;
  blockNumber: bigint;
}

/**
 * Sends `Slashing.submitRecheck(header, signerBitfield, aggregateSignature)`
 * and waits for the receipt. viem estimates gas first, so a header the
 * contract would refuse fails here with the custom error's name.
 *
 * @example
 * const { hash } = await submitRecheck(publicClient, walletClient, {
 *   slashing, header, signerBitfield, aggregateSignature,
 * });
 */
export async function submitRecheck(
  publicClient: PublicClient,
  walletClient: WalletClient<Transport, Chain | undefined, Account>,
  params: SubmitRecheckParameters,
): Promise<SubmitRecheckReturnType> {
  let hash: Hash;
  try {
    hash = await walletClient.writeContract({
      address: params.slashing,
      abi: slashingAbi,
      functionName: "submitRecheck",
      args: [params.header, params.signerBitfield, params.aggregateSignature],
      chain: walletClient.chain ?? null,
      account: walletClient.account,
      ...(params.nonce === undefined ? {} : { nonce: params.nonce }),
    });
  } catch (e) {
    throw toChainActionError(e, "submitRecheck");
  }
  await params.onSent?.(hash);
  const receipt = await waitForReceipt(publicClient, hash, "submitRecheck");
  if (receipt.status !== "success") {
    throw new ChainActionError(ChainActionErrorCode.FAILED, "submitRecheck transaction failed", { hash });
  }
  return { hash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber };
}

import { epochReportsAbi } from "@checkernet/contracts/generated/index";
import type { ReportHeader } from "@checkernet/protocol/types";
import type { Account, Address, Chain, Hash, Hex, PublicClient, Transport, WalletClient } from "viem";
import { ChainActionError, ChainActionErrorCode, toChainActionError } from "./errors.ts";
import { waitForReceipt } from "./receipt.ts";

export interface SubmitReportParameters {
  epochReports: Address;
  header: ReportHeader;
  /** Bit i set ⇔ seat i of the epoch's report committee signed. */
  signerBitfield: bigint;
  /** The aggregate BLS signature as the 256-byte EIP-2537 G2 point. */
  aggregateSignature: Hex;
  /**
   * Fixes the account nonce: a resend after a lost RPC answer reuses it, so at
   * most one of the two transactions can ever be mined.
   */
  nonce?: number;
  /** Called with the hash as soon as the node accepted the transaction (before it is mined). */
  onSent?: (hash: Hash) => void | Promise<void>;
  /**
   * The longest wait for the receipt (receiptTimeoutMs(epochSeconds): one epoch, at most viem's 180 s);
   * past it the send fails with CHAIN_ACTION_ERROR_RECEIPT_TIMEOUT, retriable with the same nonce.
   */
  receiptTimeoutMs?: number;
}

export interface SubmitReportReturnType {
  hash: Hash;
  gasUsed: bigint;
  blockNumber: bigint;
}

/**
 * Sends `EpochReports.submitReport(header, signerBitfield, aggregateSignature)`
 * and waits for the receipt. viem estimates gas first, so a report the
 * contract would refuse fails here with the custom error's name and costs
 * nothing.
 *
 * @example
 * const { hash, gasUsed } = await submitReport(publicClient, walletClient, {
 *   epochReports, header, signerBitfield, aggregateSignature,
 * });
 */
export async function submitReport(
  publicClient: PublicClient,
  walletClient: WalletClient<Transport, Chain | undefined, Account>,
  params: SubmitReportParameters,
): Promise<SubmitReportReturnType> {
  let hash: Hash;
  try {
    hash = await walletClient.writeContract({
      address: params.epochReports,
      abi: epochReportsAbi,
      functionName: "submitReport",
      args: [params.header, params.signerBitfield, params.aggregateSignature],
      chain: walletClient.chain ?? null,
      account: walletClient.account,
      ...(params.nonce === undefined ? {} : { nonce: params.nonce }),
    });
  } catch (e) {
    throw toChainActionError(e, "submitReport");
  }
  await params.onSent?.(hash);
  const receipt = await waitForReceipt(publicClient, hash, "submitReport", params.receiptTimeoutMs);
  if (receipt.status !== "success") {
    throw new ChainActionError(ChainActionErrorCode.FAILED, "submitReport transaction failed", { hash });
  }
  return { hash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber };
}

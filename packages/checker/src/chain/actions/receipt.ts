import {
  type Hash,
  type PublicClient,
  type TransactionReceipt,
  WaitForTransactionReceiptTimeoutError,
} from "viem";
import { ChainActionError, ChainActionErrorCode, toChainActionError } from "./errors.ts";

/** Bounds of a wait for a transaction's receipt; each says where its number comes from. */
export const RECEIPT_LIMITS = {
  /**
   * viem's own default (180 s), kept as the ceiling: past it a transaction that has not been mined is
   * stuck (underpriced, dropped), not slow.
   */
  maxMs: 180_000,
  /** Floor: a block or two on any chain this runs on (Hardhat mines at once, an L2 in 0.25–2 s). */
  minMs: 5_000,
} as const;

/**
 * How long a duty waits for the receipt of a transaction sent for an epoch: one epoch at most. Rounds
 * run one at a time over one wallet, so a longer wait would hold the next epoch's round, and a report
 * mined later than that is no longer the epoch's own (the next epoch's late pass sends it again with
 * the same nonce). 20 s on the devnet, 180 s (viem's default) with 15-minute epochs.
 */
export function receiptTimeoutMs(epochSeconds: number): number {
  return Math.min(RECEIPT_LIMITS.maxMs, Math.max(RECEIPT_LIMITS.minMs, epochSeconds * 1000));
}

/**
 * Waits for `hash`'s receipt for at most `timeoutMs`. No receipt in time throws ChainActionError
 * `CHAIN_ACTION_ERROR_RECEIPT_TIMEOUT` (retriable: the transaction may still be mined, so a retry reads
 * the chain first and reuses the nonce); an RPC fault throws `CHAIN_ACTION_ERROR_RPC`.
 */
export async function waitForReceipt(
  publicClient: PublicClient,
  hash: Hash,
  action: string,
  timeoutMs: number = RECEIPT_LIMITS.maxMs,
): Promise<TransactionReceipt> {
  try {
    return await publicClient.waitForTransactionReceipt({ hash, timeout: timeoutMs });
  } catch (e) {
    if (e instanceof WaitForTransactionReceiptTimeoutError) {
      throw new ChainActionError(
        ChainActionErrorCode.RECEIPT_TIMEOUT,
        `${action}: transaction ${hash} not mined within ${Math.round(timeoutMs / 1000)} s`,
        { hash, timeoutMs },
      );
    }
    throw toChainActionError(e, `${action} receipt`);
  }
}

import { type Logger, sleep } from "@checkernet/runtime";
import type { Account, Chain, Hash, PublicClient, TransactionReceipt, Transport, WalletClient } from "viem";
import { sendInTurn } from "../../chain/accountSendQueue.ts";
import { ChainActionError, ChainActionErrorCode } from "../../chain/actions/errors.ts";

export type SubmitterWallet = WalletClient<Transport, Chain | undefined, Account>;

/** What a contract revert means for a submission. */
export const RevertClass = {
  /** The chain's clock trails ours: the same signed submission is sent again once it has caught up. */
  TOO_EARLY: "too-early",
  /** Another leader's submission landed first: the protocol working, nothing left to do. */
  ALREADY_SUBMITTED: "already-submitted",
  /** The deadline passed: nothing left to do. */
  TOO_LATE: "too-late",
  /** The submission can never pass (it contradicts the chain's state): nothing left to do. */
  INVALID: "invalid",
  /** Refused as signed (signatures, quorum): a fresh round may pass. */
  REFUSED: "refused",
} as const;
export type RevertClass = (typeof RevertClass)[keyof typeof RevertClass];

/** Whether a revert of this class ends the duty's work on the round (no fresh round can help). */
export function isFinalRevert(revert: RevertClass): boolean {
  return revert !== RevertClass.REFUSED && revert !== RevertClass.TOO_EARLY;
}

/** The fields of a duty's db record the send-once loop keeps. */
export interface SubmitRecord {
  nonce?: number;
  txHash?: Hash;
  error?: string;
}

/**
 * How a round ended: `sent` (our transaction landed now), `landed` (the chain
 * holds a result already, `ours` when our earlier transaction put it there),
 * `refused` (a revert, with its class), `gave-up` (RPC errors past the
 * attempts, or stopped).
 */
export type SubmitOutcome =
  | { kind: "sent" }
  | { kind: "landed"; ours: boolean }
  | { kind: "refused"; revert: RevertClass }
  | { kind: "gave-up" };

/** The duty's side of one submission. */
export interface SubmitHooks<R extends SubmitRecord> {
  /** Log fields naming the round, and the chain action's name for the retry log. */
  logFields: Record<string, unknown>;
  action: string;
  write(record: R): Promise<void>;
  /** Whether the chain already holds a result for the round (read before every send). */
  landed(): Promise<boolean>;
  /** Sends the signed submission with this nonce; `onSent` records the hash once the node accepts it. */
  send(nonce: number, onSent: (hash: Hash) => Promise<void>): Promise<{ hash: Hash; gasUsed: bigint }>;
  /** Names a revert's class from the contract's custom error. */
  classify(revert: string | undefined): RevertClass;
  /** How long to wait before resending a submission refused as too early. */
  tooEarlyWaitMs(error: ChainActionError): number;
  /** The record, and the duty's log line, for each way a round ends. */
  onLanded(record: R, ownReceipt: TransactionReceipt | undefined): R;
  onSent(record: R, sent: { hash: Hash; gasUsed: bigint }): R;
  onTooEarly(record: R, error: Error, retry: number, waitMs: number): R;
  onRefused(record: R, error: Error, revert: RevertClass): R;
}

export interface SubmitOptions {
  publicClient: PublicClient;
  wallet: SubmitterWallet;
  logger: Logger;
  /** Attempts on RPC errors (default 5), backing off from retryBaseMs (default 500 ms) doubling. */
  attempts?: number;
  retryBaseMs?: number;
  signal?: AbortSignal;
}

/** Resends of a submission the contract found too early, beyond the RPC retries. */
const MAX_EARLY_RETRIES = 10;

/**
 * Sends a signed submission, never twice: the chain is read before every
 * attempt (a landed result ends the loop), one nonce, fixed in the record
 * before the first send, serves every resend, and the hash is recorded as soon
 * as the node accepts the transaction. Reverts are classified, not retried,
 * except a too-early one, sent again (bounded: a clock far off is a fault).
 */
export async function submitOnce<R extends SubmitRecord>(
  record: R,
  hooks: SubmitHooks<R>,
  options: SubmitOptions,
): Promise<{ record: R; outcome: SubmitOutcome }> {
  const { publicClient, wallet, logger, signal } = options;
  const attempts = options.attempts ?? 5;
  let delay = options.retryBaseMs ?? 500;
  let r = record;
  let early = 0;
  const write = async (next: R) => {
    r = next;
    await hooks.write(r);
  };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      if (await hooks.landed()) {
        const receipt =
          r.txHash === undefined
            ? undefined
            : await publicClient.getTransactionReceipt({ hash: r.txHash }).catch(() => undefined);
        const ours = receipt?.status === "success";
        await write(hooks.onLanded(r, ours ? receipt : undefined));
        return { record: r, outcome: { kind: "landed", ours } };
      }
      // The nonce is fixed, and the transaction sent, in the account's send turn: no other duty's
      // transaction takes the nonce in between (chain/accountSendQueue.ts).
      const sent = await sendInTurn(wallet, publicClient, async (nextNonce) => {
        if (r.nonce !== undefined && (await nonceUsed(publicClient, wallet, r.nonce))) {
          // Nothing landed, yet the chain has mined a transaction with our nonce: our send of it failed
          // before the RPC took it and another duty's transaction has it now (or ours was mined and failed).
          const { nonce: _used, txHash: _notOurs, ...rest } = r;
          r = rest as R;
        }
        if (r.nonce === undefined) await write({ ...r, nonce: await nextNonce() });
        return hooks.send(r.nonce as number, (hash) => write({ ...r, txHash: hash }));
      });
      await write(hooks.onSent(r, sent));
      return { record: r, outcome: { kind: "sent" } };
    } catch (e) {
      const err = e as Error;
      const revert = hooks.classify(e instanceof ChainActionError ? (e.details.revert as string) : undefined);
      if (
        e instanceof ChainActionError &&
        revert === RevertClass.TOO_EARLY &&
        early < MAX_EARLY_RETRIES &&
        signal?.aborted !== true
      ) {
        early++;
        attempt--;
        const waitMs = hooks.tooEarlyWaitMs(e);
        r = hooks.onTooEarly(r, err, early, waitMs);
        await sleep(waitMs, signal);
        continue;
      }
      if (e instanceof ChainActionError && e.code === ChainActionErrorCode.REVERTED) {
        await write(hooks.onRefused(r, err, revert));
        return { record: r, outcome: { kind: "refused", revert } };
      }
      logger.warn({ ...hooks.logFields, attempt, err: err.message }, `${hooks.action} failed; retrying`);
      await write({ ...r, error: err.message });
      if (attempt < attempts) await sleep(delay, signal);
      delay *= 2;
      if (signal?.aborted === true) break;
    }
  }
  await write(r);
  return { record: r, outcome: { kind: "gave-up" } };
}

/** Whether the chain has mined a transaction of the wallet's account with `nonce`. */
async function nonceUsed(
  publicClient: PublicClient,
  wallet: SubmitterWallet,
  nonce: number,
): Promise<boolean> {
  const mined = await publicClient.getTransactionCount({
    address: wallet.account.address,
    blockTag: "latest",
  });
  return mined > nonce;
}

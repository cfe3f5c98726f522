import { rewardTokenAbi } from "@checkernet/contracts/generated/index";
import type { Address, Hash } from "viem";
import type { ProviderChain } from "./client.ts";
import { ChainError, ChainErrorCode, toChainError } from "./errors.ts";

/**
 * Sends one transaction and waits for its receipt: every provider action
 * returns only once its transaction has landed.
 *
 * @throws ChainError REVERTED, or what toChainError makes of the failure; `action` names it
 */
export async function sendTransaction(
  chain: ProviderChain,
  action: string,
  write: () => Promise<Hash>,
): Promise<Hash> {
  try {
    const hash = await write();
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success")
      throw new ChainError(ChainErrorCode.REVERTED, `${action} reverted`, { hash });
    return hash;
  } catch (err) {
    throw toChainError(err, action);
  }
}

/** Lets `spender` (the registry for stake, Slashing for a contest bond) take `amount` of the reward token. */
export function approveRewardToken(
  chain: ProviderChain,
  action: string,
  spender: Address,
  amount: bigint,
): Promise<Hash> {
  return sendTransaction(chain, action, () =>
    chain.walletClient.writeContract({
      address: chain.contracts.rewardToken,
      abi: rewardTokenAbi,
      functionName: "approve",
      args: [spender, amount],
      chain: null,
    }),
  );
}

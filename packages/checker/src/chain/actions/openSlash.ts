import { slashingAbi } from "@checkernet/contracts/generated/index";
import type { ResultLeaf } from "@checkernet/protocol/merkle/leaves";
import type { Account, Address, Chain, Hash, Hex, PublicClient, Transport, WalletClient } from "viem";
import { ChainActionError, ChainActionErrorCode, toChainActionError } from "./errors.ts";
import { waitForReceipt } from "./receipt.ts";

export interface OpenSlashParameters {
  slashing: Address;
  /** The epoch whose landed report holds the FAIL leaf. */
  epoch: bigint;
  /** The provider's result leaf (verdict FAIL, slashAmount > 0). */
  leaf: ResultLeaf;
  /** Its proof against the epoch's on-chain results root. */
  proof: Hex[];
}

export interface OpenSlashReturnType {
  /** null when somebody else had opened it already (the contract's SlashingAlreadyOpened). */
  slashId: bigint | null;
  hash: Hash | null;
  gasUsed: bigint;
}

/**
 * Sends `Slashing.openSlash(epoch, leaf, proof)`: turns a FAIL verdict of a
 * landed report into a pending slash with its contest window. Anyone may call
 * it; the submitting aggregator does, right after its report lands. A slash
 * that is already open is not an error: the result says so with a null id.
 *
 * @example
 * const { slashId } = await openSlash(publicClient, walletClient, { slashing, epoch, leaf, proof });
 */
export async function openSlash(
  publicClient: PublicClient,
  walletClient: WalletClient<Transport, Chain | undefined, Account>,
  params: OpenSlashParameters,
): Promise<OpenSlashReturnType> {
  const existing = await publicClient
    .readContract({
      address: params.slashing,
      abi: slashingAbi,
      functionName: "slashIdOf",
      args: [params.epoch, params.leaf.provider],
    })
    .catch((e: unknown) => {
      throw toChainActionError(e, "slashIdOf");
    });
  if (existing !== 0n) return { slashId: null, hash: null, gasUsed: 0n };
  let hash: Hash;
  try {
    hash = await walletClient.writeContract({
      address: params.slashing,
      abi: slashingAbi,
      functionName: "openSlash",
      args: [params.epoch, params.leaf, params.proof],
      chain: walletClient.chain ?? null,
      account: walletClient.account,
    });
  } catch (e) {
    const err = toChainActionError(e, "openSlash");
    // Opened by someone else, or the provider was fraud-slashed for the epoch (one punishment per epoch).
    const revert = err.code === ChainActionErrorCode.REVERTED ? err.details.revert : undefined;
    if (revert === "SlashingAlreadyOpened" || revert === "SlashingAlreadyPunished") {
      return { slashId: null, hash: null, gasUsed: 0n };
    }
    throw err;
  }
  const receipt = await waitForReceipt(publicClient, hash, "openSlash");
  if (receipt.status !== "success") {
    throw new ChainActionError(ChainActionErrorCode.FAILED, "openSlash transaction failed", { hash });
  }
  const slashId = await publicClient.readContract({
    address: params.slashing,
    abi: slashingAbi,
    functionName: "slashIdOf",
    args: [params.epoch, params.leaf.provider],
  });
  return { slashId, hash, gasUsed: receipt.gasUsed };
}

import { providerRegistryAbi } from "@checkernet/contracts/generated/index";
import type { TranscriptAnswerKey } from "@checkernet/protocol/challenges/transcript";
import { answerKeyAddress, signAnswerKey } from "@checkernet/protocol/fraud/answerSigning";
import { type Address, getAddress, type Hash, type Hex, zeroAddress } from "viem";
import type { ProviderChain } from "./client.ts";
import { toChainError } from "./errors.ts";
import { sendTransaction } from "./send.ts";

export interface AnswerKeyRegistration {
  answerKey: Address;
  /** The setAnswerKey transaction; null when the registry already had this key as the latest one. */
  tx: Hash | null;
  /** The first epoch the key signs for (the registry's activation delay after the change). */
  fromEpoch: bigint;
}

/**
 * Registers the answer key in ProviderRegistry with its proof of possession:
 * `setAnswerKey(key, sig)` where `sig` is the key's EIP-712 `AnswerKey(provider, answerKey)`
 * signature under {name "checkernet", version "1", chainId, ProviderRegistry}
 * (docs/protocol/fraud-proofs.md). Skipped when the registry's latest key is
 * already this one. The key signs from the returned epoch on; until then
 * checkers judge the provider without a key.
 */
export async function registerAnswerKey(
  chain: ProviderChain,
  answerPrivateKey: Hex,
): Promise<AnswerKeyRegistration> {
  const answerKey = answerKeyAddress(answerPrivateKey);
  const registry = { address: chain.contracts.providerRegistry, abi: providerRegistryAbi } as const;
  let latest: readonly [Address, bigint];
  let chainId: number;
  try {
    [latest, chainId] = await Promise.all([
      chain.publicClient.readContract({
        ...registry,
        functionName: "latestAnswerKey",
        args: [chain.account.address],
      }),
      chain.publicClient.getChainId(),
    ]);
  } catch (err) {
    throw toChainError(err, "setAnswerKey");
  }
  if (latest[0] === answerKey) return { answerKey, tx: null, fromEpoch: latest[1] };
  const domain = { chainId, verifyingContract: chain.contracts.providerRegistry };
  const signature = signAnswerKey(answerPrivateKey, domain, { provider: chain.account.address, answerKey });
  const tx = await sendTransaction(chain, "setAnswerKey", () =>
    chain.walletClient.writeContract({
      ...registry,
      functionName: "setAnswerKey",
      args: [answerKey, signature],
      chain: null,
    }),
  );
  const [, fromEpoch] = await chain.publicClient.readContract({
    ...registry,
    functionName: "latestAnswerKey",
    args: [chain.account.address],
  });
  return { answerKey, tx, fromEpoch };
}

/**
 * The provider's answer key for `epoch` (ProviderRegistry.answerKeyAt) with its signing domain, null when
 * it had none: what an honest checker writes into the transcript header (`provider evidence` compares).
 */
export async function answerKeyAt(
  chain: ProviderChain,
  epoch: bigint,
  chainId: bigint,
): Promise<TranscriptAnswerKey | null> {
  const registry = chain.contracts.providerRegistry;
  let key: Address;
  try {
    key = await chain.publicClient.readContract({
      address: registry,
      abi: providerRegistryAbi,
      functionName: "answerKeyAt",
      args: [chain.account.address, epoch],
    });
  } catch (err) {
    throw toChainError(err, "answerKeyAt");
  }
  return key === zeroAddress ? null : { key: getAddress(key), chainId, verifyingContract: registry };
}

import { providerRegistryAbi } from "@checkernet/contracts/generated/index";
import { type Address, BaseError, HttpRequestError, TimeoutError } from "viem";
import type { ProviderChain } from "./client.ts";

/**
 * Which epochs' checking sets hold a provider, as `provider status` shows it (docs/provider.md): the sets
 * (ProviderRegistry.isActiveAt) of the chain's epoch through the entry delay + 1 ahead. A change made in
 * epoch c reaches the sets from c + max(activationDelayEpochs, 2) when it enters and from c + 2 when it
 * leaves, but a leave while an entry is pending only from the epoch after that entry's (at most
 * c + max(activationDelayEpochs, 2) + 1), so every change already made shows within that window.
 */
export interface CheckingSets {
  /** The chain's epoch. */
  epoch: bigint;
  /** Whether the set of `epoch` holds the provider (it is checked, and paid, this epoch). */
  now: boolean;
  /** Whether the set of `epoch + 1` holds it. */
  next: boolean;
  /** The first epoch of the window whose set holds it; null when none does (not staked, or left). */
  from: bigint | null;
  /**
   * The last epoch checked from `from` on when a leave is already counted (an unstake or a slash under
   * the minimum during c: c + 1); null when it stays in every set to the window's end, or is in none.
   */
  until: bigint | null;
}

/**
 * Reads the window's sets in one eth_call: viem's deployless multicall (Multicall3's code run as the call's
 * own creation code; no Multicall3 needs to be deployed, and the devnet has none), 56 isActiveAt calls at
 * the production delay of 54 (they were one eth_call each). An RPC that refuses a call without a `to` gets
 * them one call each, concurrently; one that does not answer at all fails the read at once.
 */
export async function readCheckingSets(chain: ProviderChain, address: Address): Promise<CheckingSets> {
  const registry = { address: chain.contracts.providerRegistry, abi: providerRegistryAbi } as const;
  const [epoch, delay] = await Promise.all([
    chain.publicClient.readContract({ ...registry, functionName: "currentEpoch" }),
    chain.publicClient.readContract({ ...registry, functionName: "activationDelayEpochs" }),
  ]);
  const window = Array.from({ length: Number(delay > 2n ? delay : 2n) + 2 }, (_, i) => epoch + BigInt(i));
  const calls = window.map((e) => ({ ...registry, functionName: "isActiveAt", args: [address, e] }) as const);
  let held: boolean[];
  try {
    held = await chain.publicClient.multicall({
      contracts: calls,
      allowFailure: false,
      deployless: true,
      batchSize: 0,
    });
  } catch (e) {
    if (isNoAnswer(e)) throw e;
    held = await Promise.all(calls.map((c) => chain.publicClient.readContract(c)));
  }
  return checkingWindow(window, held);
}

/** The window's answers as `provider status` shows them. */
function checkingWindow(window: readonly bigint[], held: readonly boolean[]): CheckingSets {
  const first = held.indexOf(true);
  const gap = first < 0 ? -1 : held.indexOf(false, first);
  return {
    epoch: window[0]!,
    now: held[0] === true,
    next: held[1] === true,
    from: first < 0 ? null : window[first]!,
    until: gap < 0 ? null : window[gap]! - 1n,
  };
}

/** viem's "no response": a timeout, or a failed or non-JSON-RPC HTTP exchange (not a refusal). */
function isNoAnswer(error: unknown): boolean {
  return (
    error instanceof BaseError &&
    error.walk((e) => e instanceof TimeoutError || e instanceof HttpRequestError) !== null
  );
}

import { providerRegistryAbi } from "@checkernet/contracts/generated/index";
import { type Address, getAddress, type PublicClient } from "viem";
import { multicallOrEach } from "./multicallOrEach.ts";

/**
 * `isActiveAt` calls per deployless multicall: each answer is a word plus its framing (~200 bytes), far below
 * EIP-170's cap on the created code (getProviders.ts says why that caps a deployless answer).
 */
const PAGE = 96;

export interface GetCheckingSetParameters {
  providerRegistry: Address;
  /** The epoch whose checking set is read. */
  epoch: bigint;
  /** Every registered provider (getProviders): the set is the ones among them active as of the epoch's start. */
  providers: readonly Address[];
  /**
   * The block every page is read at: the one the chain's epoch was read at, so that the set is the chain's
   * at one block and is final exactly when that epoch says so (review3 P1-5).
   */
  blockNumber: bigint;
}

/**
 * The checking set of `epoch` (packages/protocol/src/checkingSet.ts): the providers among `providers` that
 * ProviderRegistry.isActiveAt counts for the epoch at `blockNumber`, one multicall a page of 96 (100
 * providers: 2 eth_calls). Throws what the RPC threw (a backend that lacks the block answers an error).
 *
 * @example
 * const set = await getCheckingSet(publicClient, { providerRegistry, epoch, providers, blockNumber });
 */
export async function getCheckingSet(
  client: PublicClient,
  params: GetCheckingSetParameters,
): Promise<Set<Address>> {
  const registry = { address: params.providerRegistry, abi: providerRegistryAbi } as const;
  const at = { blockNumber: params.blockNumber };
  const out = new Set<Address>();
  for (let start = 0; start < params.providers.length; start += PAGE) {
    const page = params.providers.slice(start, start + PAGE).map((p) => getAddress(p));
    const active = await multicallOrEach<boolean>(
      client,
      page.map((p) => ({ ...registry, functionName: "isActiveAt", args: [p, params.epoch] }) as const),
      (i) =>
        client.readContract({
          ...registry,
          functionName: "isActiveAt",
          args: [page[i]!, params.epoch],
          ...at,
        }),
      at,
    );
    for (const [i, p] of page.entries()) if (active[i] === true) out.add(p);
  }
  return out;
}

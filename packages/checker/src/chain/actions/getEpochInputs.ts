import { checkerRegistryAbi, providerRegistryAbi } from "@checkernet/contracts/generated/index";
import { type Address, getAddress, type PublicClient } from "viem";
import { toChainActionError } from "./errors.ts";

export interface GetEpochInputsParameters {
  checkerRegistry: Address;
  providerRegistry: Address;
  /** The reported epoch: licenses are read from its snapshot. */
  epoch: bigint;
  /** Providers whose stake is needed (the report's providers). */
  providers: readonly Address[];
}

export interface GetEpochInputsReturnType {
  /** Operator → license ids counting for it in the epoch's snapshot (`licenseAt(epoch, i)`). */
  licensesByChecker: Map<Address, bigint[]>;
  /** Provider → stake. */
  stakes: Map<Address, bigint>;
}

/**
 * What buildReport needs from the chain besides attestations: the license
 * ids counting for each operator in the epoch's snapshot and every reported
 * provider's stake. The snapshot of an epoch never changes once the epoch has
 * begun, so the aggregator and each co-signer read the same licenses whenever
 * they build, and build the same report.
 *
 * @example
 * const { licensesByChecker, stakes } = await getEpochInputs(publicClient, { checkerRegistry, providerRegistry, epoch, providers });
 */
export async function getEpochInputs(
  client: PublicClient,
  params: GetEpochInputsParameters,
): Promise<GetEpochInputsReturnType> {
  try {
    const registry = { address: params.checkerRegistry, abi: checkerRegistryAbi } as const;
    const count = await client.readContract({
      ...registry,
      functionName: "licenseCountAt",
      args: [params.epoch],
    });
    const licensesByChecker = new Map<Address, bigint[]>();
    for (let i = 0n; i < count; i++) {
      const [licenseId, operator] = await client.readContract({
        ...registry,
        functionName: "licenseAt",
        args: [params.epoch, i],
      });
      const a = getAddress(operator);
      const list = licensesByChecker.get(a) ?? [];
      list.push(licenseId);
      licensesByChecker.set(a, list);
    }
    const stakes = new Map<Address, bigint>();
    for (const p of params.providers) {
      const stake = await client.readContract({
        address: params.providerRegistry,
        abi: providerRegistryAbi,
        functionName: "stakeOf",
        args: [p],
      });
      stakes.set(getAddress(p), stake);
    }
    return { licensesByChecker, stakes };
  } catch (e) {
    throw toChainActionError(e, "epoch inputs");
  }
}

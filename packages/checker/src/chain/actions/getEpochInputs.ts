import { providerRegistryAbi } from "@checkernet/contracts/generated/index";
import { type Address, getAddress, type PublicClient } from "viem";
import { toChainActionError } from "./errors.ts";
import { getSnapshotLicenses } from "./getSnapshotLicenses.ts";

export interface GetEpochInputsParameters {
  checkerRegistry: Address;
  providerRegistry: Address;
  /** The reported epoch: licenses are read from its snapshot. */
  epoch: bigint;
  /** Providers whose stake is needed (the report's providers). */
  providers: readonly Address[];
}

export interface GetEpochInputsReturnType {
  /** Operator → license ids counting for it in the epoch's snapshot, in seat order (getSnapshotLicenses). */
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
    const licensesByChecker = new Map<Address, bigint[]>();
    const licenses = await getSnapshotLicenses(client, {
      checkerRegistry: params.checkerRegistry,
      epoch: params.epoch,
    });
    for (const { licenseId, operator } of licenses) {
      const list = licensesByChecker.get(operator) ?? [];
      list.push(licenseId);
      licensesByChecker.set(operator, list);
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

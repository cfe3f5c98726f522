import { providerRegistryAbi } from "@checkernet/contracts/generated/index";
import { isCheckingSetFinal } from "@checkernet/protocol/checkingSet";
import { type Address, getAddress, type PublicClient } from "viem";
import type { SnapshotLicenseIds } from "../snapshotLicenseIds.ts";
import { toChainActionError } from "./errors.ts";
import { getSnapshotLicenses } from "./getSnapshotLicenses.ts";
import { multicallOrEach } from "./multicallOrEach.ts";

/**
 * Stakes per deployless multicall: each answer is a word plus its (success, bytes) framing, ~200 bytes,
 * so a page stays far below EIP-170's 24,576-byte cap on the created code (getProviders.ts says why that
 * caps a deployless answer). 100 providers: 2 calls, not 100.
 */
const STAKE_PAGE = 64;

export interface GetEpochInputsParameters {
  checkerRegistry: Address;
  providerRegistry: Address;
  /** The reported epoch: licenses are read from its snapshot. */
  epoch: bigint;
  /** Providers whose stake is needed (the report's providers). */
  providers: readonly Address[];
  /** Where the epoch's final snapshot is held already (the node's ChainDirectory); read from the chain without. */
  snapshots?: SnapshotLicenseIds;
}

export interface GetEpochInputsReturnType {
  /** Operator → license ids counting for it in the epoch's snapshot, in seat order (getSnapshotLicenses). */
  licensesByChecker: ReadonlyMap<Address, readonly bigint[]>;
  /** Provider → its stake at the epoch's start (ProviderRegistry.stakeAt). */
  stakes: Map<Address, bigint>;
}

/**
 * What buildReport needs from the chain besides attestations: the license
 * ids counting for each operator in the epoch's snapshot and every reported
 * provider's stake as of the epoch's start (`stakeAt`, the stake its checking
 * set counts). Neither changes once the epoch has begun, so the aggregator and
 * each co-signer read the same licenses and stakes whenever they build (a stake
 * or a slash landing between two builds does not split them, and a stake added
 * after the epoch buys no larger share of its rewards), and build the same report; a node takes them from its
 * directory's copy (`snapshots`) rather than reading the pages again at every
 * build (4 pages of ~33 KiB for 1,000 licenses). Stakes are read in pages of
 * multicalls.
 *
 * @example
 * const { licensesByChecker, stakes } = await getEpochInputs(publicClient, { checkerRegistry, providerRegistry, epoch, providers });
 */
export async function getEpochInputs(
  client: PublicClient,
  params: GetEpochInputsParameters,
): Promise<GetEpochInputsReturnType> {
  try {
    const licensesByChecker =
      (await params.snapshots?.licenseIdsAt(params.epoch)) ?? (await readLicenseIds(client, params));
    const stakes = await readStakes(client, params);
    return { licensesByChecker, stakes };
  } catch (e) {
    throw toChainActionError(e, "epoch inputs");
  }
}

/**
 * Every provider's stakeAt(epoch), all pages at one block at which the chain's epoch makes them final
 * (isCheckingSetFinal: stakeAt(e) is final with the set of e): pages read at "latest" behind a load-balanced
 * RPC could each come from a backend at another block, and one still before e - 1 could answer a stake that
 * later changed (review3 P1-5). Throws where the chain at the block is not that far yet.
 */
async function readStakes(
  client: PublicClient,
  params: GetEpochInputsParameters,
): Promise<Map<Address, bigint>> {
  const stakes = new Map<Address, bigint>();
  if (params.providers.length === 0) return stakes;
  const registry = { address: params.providerRegistry, abi: providerRegistryAbi } as const;
  const at = { blockNumber: await client.getBlockNumber({ cacheTime: 0 }) };
  const chainEpoch = await client.readContract({ ...registry, functionName: "currentEpoch", ...at });
  if (!isCheckingSetFinal(params.epoch, chainEpoch)) {
    throw new Error(
      `the chain is in epoch ${chainEpoch} at block ${at.blockNumber}: stakes of epoch ${params.epoch} are not final yet`,
    );
  }
  for (let start = 0; start < params.providers.length; start += STAKE_PAGE) {
    const page = params.providers.slice(start, start + STAKE_PAGE).map((p) => getAddress(p));
    const values = await multicallOrEach<bigint>(
      client,
      page.map((p) => ({ ...registry, functionName: "stakeAt", args: [p, params.epoch] }) as const),
      (i) =>
        client.readContract({ ...registry, functionName: "stakeAt", args: [page[i]!, params.epoch], ...at }),
      at,
    );
    for (const [i, p] of page.entries()) stakes.set(p, values[i]!);
  }
  return stakes;
}

async function readLicenseIds(
  client: PublicClient,
  params: GetEpochInputsParameters,
): Promise<Map<Address, bigint[]>> {
  const out = new Map<Address, bigint[]>();
  const licenses = await getSnapshotLicenses(client, {
    checkerRegistry: params.checkerRegistry,
    epoch: params.epoch,
  });
  for (const { licenseId, operator } of licenses) {
    const list = out.get(operator);
    if (list === undefined) out.set(operator, [licenseId]);
    else list.push(licenseId);
  }
  return out;
}

import { checkerRegistryAbi } from "@checkernet/contracts/generated/index";
import { type Address, getAddress, type PublicClient } from "viem";

/**
 * Licenses per `licensesAt` call. A page of 256 costs 1.7 M gas on EDR (~6,600 a license: its seat's
 * checkpoint trace, cold, and its key pointer's owner), far below any RPC's eth_call cap (Hardhat's block
 * gas limit; 50 M on hosted RPCs), and 1,000 licenses are 4 calls (manyLicenses.test.ts checks both).
 */
const SNAPSHOT_PAGE = 256n;

export interface GetSnapshotLicensesParameters {
  checkerRegistry: Address;
  epoch: bigint;
  /** The block every call reads at (the one whose effectiveEpochOfChange says the snapshot is final); the latest without it. */
  blockNumber?: bigint;
}

interface SnapshotLicense {
  licenseId: bigint;
  operator: Address;
}

/**
 * The licenses of `epoch`'s snapshot in seat order, each with the operator it
 * counts for: `licenseCountAt(epoch)` and then its pages of `licensesAt`,
 * concurrently. One call a license (`licenseAt`) made a node with 1,000
 * licenses send thousands of eth_calls an epoch; the devnet's RPC fell behind
 * and reports stopped (issue 15). A snapshot of an epoch that has begun never
 * changes, so the pages agree whenever they are read. Throws what the RPC
 * threw (callers classify it: ChainDirectory's refresh, getEpochInputs).
 *
 * @example
 * const licenses = await getSnapshotLicenses(publicClient, { checkerRegistry, epoch: 12n });
 */
export async function getSnapshotLicenses(
  client: PublicClient,
  params: GetSnapshotLicensesParameters,
): Promise<SnapshotLicense[]> {
  const registry = { address: params.checkerRegistry, abi: checkerRegistryAbi } as const;
  const at = params.blockNumber === undefined ? {} : { blockNumber: params.blockNumber };
  const count = await client.readContract({
    ...registry,
    functionName: "licenseCountAt",
    args: [params.epoch],
    ...at,
  });
  const pages: Promise<readonly [readonly bigint[], readonly Address[]]>[] = [];
  for (let start = 0n; start < count; start += SNAPSHOT_PAGE) {
    pages.push(
      client.readContract({
        ...registry,
        functionName: "licensesAt",
        args: [params.epoch, start, SNAPSHOT_PAGE],
        ...at,
      }),
    );
  }
  const out: SnapshotLicense[] = [];
  for (const [ids, operators] of await Promise.all(pages)) {
    for (const [i, licenseId] of ids.entries()) out.push({ licenseId, operator: getAddress(operators[i]!) });
  }
  if (BigInt(out.length) !== count) {
    throw new Error(`snapshot of epoch ${params.epoch} has ${count} licenses; its pages held ${out.length}`);
  }
  return out;
}

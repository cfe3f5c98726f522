import { checkerRegistryAbi } from "@checkernet/contracts/generated/index";
import { g1FromEip2537 } from "@checkernet/protocol/bls/index";
import { type Address, getAddress, hexToBytes, type PublicClient } from "viem";
import type { SnapshotLicenseIds } from "../snapshotLicenseIds.ts";
import { toChainActionError } from "./errors.ts";
import { getSnapshotLicenses } from "./getSnapshotLicenses.ts";

export interface GetOperatorStandingParameters {
  checkerRegistry: Address;
  operator: Address;
  /**
   * The operator's license ids in an epoch's snapshot, from an earlier read: reused when that epoch is still
   * the current one (its snapshot is final once it has begun), so the snapshot's pages are not read again.
   */
  known?: { epoch: bigint; licenseIds: readonly bigint[] };
  /** Where the epoch's final snapshot is held already (the node's ChainDirectory): its ids are taken from there. */
  snapshots?: SnapshotLicenseIds;
}

export interface GetOperatorStandingReturnType {
  registered: boolean;
  /** The registered BLS key, compressed G1 (48 bytes); null when unregistered or undecodable. */
  publicKey: Uint8Array | null;
  /** The epoch whose snapshot `weight` and `licenseIds` come from: the current one (1 before genesis). */
  epoch: bigint;
  /** Licenses counting for the operator in that epoch's snapshot (its sortition weight now). */
  weight: number;
  /** Their ids, ascending. */
  licenseIds: bigint[];
  /**
   * Licenses delegated to the operator, including those that count only from a later epoch (a delegation
   * takes effect an activation delay after it lands) and without those whose undelegation is still pending.
   */
  delegated: number;
}

/**
 * How the CheckerRegistry sees one operator: registered or not, its key, the
 * licenses counting for it in the current epoch's snapshot, and those
 * delegated to it (the dashboard's alerts and rewards chart).
 *
 * @example
 * const { registered, licenseIds } = await getOperatorStanding(publicClient, { checkerRegistry, operator });
 */
export async function getOperatorStanding(
  client: PublicClient,
  params: GetOperatorStandingParameters,
): Promise<GetOperatorStandingReturnType> {
  const registry = { address: params.checkerRegistry, abi: checkerRegistryAbi } as const;
  const operator = getAddress(params.operator);
  try {
    const info = await client.readContract({ ...registry, functionName: "operatorInfo", args: [operator] });
    let publicKey: Uint8Array | null = null;
    if (info.registered) {
      try {
        publicKey = g1FromEip2537(hexToBytes(info.publicKey));
      } catch {
        publicKey = null;
      }
    }
    const current = await client.readContract({ ...registry, functionName: "currentEpoch" });
    const epoch = current > 1n ? current : 1n;
    const weight = Number(
      await client.readContract({ ...registry, functionName: "weightAt", args: [operator, epoch] }),
    );
    const licenseIds: bigint[] = [];
    // Final once the epoch has begun; before genesis (epoch 0) epoch 1's launch set may still change.
    const held =
      current === 0n
        ? undefined
        : params.known?.epoch === epoch
          ? params.known.licenseIds
          : weight > 0
            ? (await params.snapshots?.licenseIdsAt(epoch))?.get(operator)
            : undefined;
    if (weight > 0 && held !== undefined && held.length === weight) {
      licenseIds.push(...held);
    } else if (weight > 0) {
      // The snapshot in pages (a few calls for 1,000 licenses): this runs every few seconds while /status is
      // polled, and one licenseAt call a license kept an operator with 1,000 of them busy (issue 15).
      const seats = await getSnapshotLicenses(client, { checkerRegistry: params.checkerRegistry, epoch });
      for (const s of seats) if (s.operator === operator) licenseIds.push(s.licenseId);
    }
    licenseIds.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      registered: info.registered,
      publicKey,
      epoch,
      weight,
      licenseIds,
      delegated: Number(info.weight),
    };
  } catch (e) {
    throw toChainActionError(e, "operator standing");
  }
}

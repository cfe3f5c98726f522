import type { PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { type Address, type PublicClient, zeroAddress } from "viem";
import { getOperatorPeerId } from "../../chain/actions/getOperatorPeerId.ts";
import type { KeyDirectory } from "../../validation/keyDirectory.ts";

/**
 * The operators of a committee, each once, in the order of their first seat. A
 * zero address is a seat left empty (its draws kept landing on jailed
 * operators): nobody signs it.
 */
export function committeeOperators(seats: readonly Address[]): Address[] {
  return [...new Set(seats)].filter((o) => o !== zeroAddress);
}

/**
 * A member's registered key as the directory holds it: from the committee
 * epoch's snapshot, else the latest one (a member of a period's committee may
 * hold no license in a later epoch of the period).
 */
export function snapshotPublicKey(
  keys: KeyDirectory,
  operator: Address,
  epoch: bigint,
): Uint8Array | undefined {
  return keys.getChecker(operator, epoch)?.publicKey ?? keys.getChecker(operator)?.publicKey;
}

/** A member's libp2p peer id, as its operator registered it. */
export async function operatorPeer(
  publicClient: PublicClient,
  checkerRegistry: Address,
  operator: Address,
): Promise<PeerId> {
  const peerId = await getOperatorPeerId(publicClient, { checkerRegistry, operator });
  if (peerId === null) throw new Error("no usable peer id registered");
  return peerIdFromString(peerId);
}

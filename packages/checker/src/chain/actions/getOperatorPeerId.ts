import { checkerRegistryAbi } from "@checkernet/contracts/generated/index";
import { type Address, hexToBytes, type PublicClient } from "viem";
import { peerIdFromBytes } from "../providerRecord.ts";
import { toChainActionError } from "./errors.ts";

export interface GetOperatorPeerIdParameters {
  checkerRegistry: Address;
  operator: Address;
}

/** The operator's registered libp2p peer id, or null when it registered none that decodes. */
export type GetOperatorPeerIdReturnType = string | null;

/**
 * Reads the libp2p peer id an operator registered (the aggregator dials it
 * for a co-signature).
 *
 * @example
 * const peerId = await getOperatorPeerId(publicClient, { checkerRegistry, operator });
 */
export async function getOperatorPeerId(
  client: PublicClient,
  params: GetOperatorPeerIdParameters,
): Promise<GetOperatorPeerIdReturnType> {
  let raw: `0x${string}`;
  try {
    const info = await client.readContract({
      address: params.checkerRegistry,
      abi: checkerRegistryAbi,
      functionName: "operatorInfo",
      args: [params.operator],
    });
    raw = info.peerId;
  } catch (e) {
    throw toChainActionError(e, "operatorInfo");
  }
  try {
    return peerIdFromBytes(hexToBytes(raw));
  } catch {
    return null;
  }
}

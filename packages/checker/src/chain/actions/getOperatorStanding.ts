import { checkerRegistryAbi } from "@checkernet/contracts/generated/index";
import { g1FromEip2537 } from "@checkernet/protocol/bls/index";
import { type Address, getAddress, hexToBytes, type PublicClient } from "viem";
import { type ChainActionError, toChainActionError } from "./errors.ts";

export interface GetOperatorStandingParameters {
  checkerRegistry: Address;
  operator: Address;
}

export interface GetOperatorStandingReturnType {
  registered: boolean;
  /** The registered BLS key, compressed G1 (48 bytes); null when unregistered or undecodable. */
  publicKey: Uint8Array | null;
  /** Licenses delegated to the operator now (its sortition weight). */
  weight: number;
  /** Their ids, ascending. */
  licenseIds: bigint[];
}

export type GetOperatorStandingErrorType = ChainActionError;

/**
 * How the CheckerRegistry sees one operator: registered or not, its key, and
 * the licenses delegated to it (the dashboard's alerts and rewards chart).
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
    const weight = Number(info.weight);
    const licenseIds: bigint[] = [];
    if (weight > 0) {
      const count = await client.readContract({ ...registry, functionName: "activeLicenseCount" });
      for (let i = 0n; i < count && licenseIds.length < weight; i++) {
        const [licenseId, holder] = await client.readContract({
          ...registry,
          functionName: "activeLicenseAt",
          args: [i],
        });
        if (getAddress(holder) === operator) licenseIds.push(licenseId);
      }
    }
    licenseIds.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return { registered: info.registered, publicKey, weight, licenseIds };
  } catch (e) {
    throw toChainActionError(e, "operator standing");
  }
}

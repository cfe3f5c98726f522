import { checkerLicenseAbi, checkerRegistryAbi } from "@checkernet/contracts/generated/index";
import { type Address, getAddress, type PublicClient, zeroAddress } from "viem";
import { toChainActionError } from "./errors.ts";

export interface GetLicensesParameters {
  checkerLicense: Address;
  checkerRegistry: Address;
  /** Only licenses this address owns (all minted licenses when absent). */
  owner?: Address;
}

interface LicenseInfo {
  licenseId: bigint;
  owner: Address;
  /** The operator it is delegated to now, or null. */
  operator: Address | null;
  /** The operator's weight (licenses delegated to it), 0 when not delegated. */
  operatorWeight: bigint;
  /** First epoch the license may be delegated again (0: never undelegated). */
  redelegableEpoch: bigint;
  /** Undelegated and still inside its cool-down. */
  coolingDown: boolean;
}

export interface GetLicensesReturnType {
  currentEpoch: bigint;
  licenses: LicenseInfo[];
}

/**
 * Lists licenses with their delegation and cool-down state. The license
 * contract is a plain ERC-721 (no enumeration), so this walks ids 1..totalSupply;
 * a few hundred licenses cost a few hundred cheap reads.
 *
 * @example
 * const { licenses } = await getLicenses(publicClient, { checkerLicense, checkerRegistry, owner: "0x…" });
 */
export async function getLicenses(
  client: PublicClient,
  params: GetLicensesParameters,
): Promise<GetLicensesReturnType> {
  const license = { address: params.checkerLicense, abi: checkerLicenseAbi } as const;
  try {
    const [total, currentEpoch] = await Promise.all([
      client.readContract({ ...license, functionName: "totalSupply" }),
      client.readContract({ ...license, functionName: "currentEpoch" }),
    ]);
    const want = params.owner === undefined ? undefined : getAddress(params.owner);
    const licenses: LicenseInfo[] = [];
    const weights = new Map<Address, bigint>();
    for (let id = 1n; id <= total; id++) {
      const owner = getAddress(
        await client.readContract({ ...license, functionName: "ownerOf", args: [id] }),
      );
      if (want !== undefined && owner !== want) continue;
      const [operatorRaw, redelegableEpoch] = await Promise.all([
        client.readContract({ ...license, functionName: "operatorOf", args: [id] }),
        client.readContract({ ...license, functionName: "redelegableEpoch", args: [id] }),
      ]);
      const operator = operatorRaw === zeroAddress ? null : getAddress(operatorRaw);
      let operatorWeight = 0n;
      if (operator !== null) {
        operatorWeight =
          weights.get(operator) ??
          (await client.readContract({
            address: params.checkerRegistry,
            abi: checkerRegistryAbi,
            functionName: "weightOf",
            args: [operator],
          }));
        weights.set(operator, operatorWeight);
      }
      licenses.push({
        licenseId: id,
        owner,
        operator,
        operatorWeight,
        redelegableEpoch: BigInt(redelegableEpoch),
        coolingDown: operator === null && BigInt(redelegableEpoch) > BigInt(currentEpoch),
      });
    }
    return { currentEpoch: BigInt(currentEpoch), licenses };
  } catch (e) {
    throw toChainActionError(e, "license list");
  }
}

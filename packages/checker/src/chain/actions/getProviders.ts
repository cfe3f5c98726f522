import { providerRegistryAbi } from "@checkernet/contracts/generated/index";
import { type Address, getAddress, type Hex, type PublicClient } from "viem";
import { multicallOrEach } from "./multicallOrEach.ts";

/**
 * Pages of the provider list's multicalls. ProviderRegistry has no paged view and no Multicall3 is
 * deployed on the devnet, so the reads go through viem's deployless multicall: one eth_call that runs
 * Multicall3's bytecode as the call's own (creation) code and calls the registry from it. Its answer
 * comes back as the created code, so it must stay under EIP-170's 24,576 bytes ("trying to deploy a
 * contract whose code is too large" on EDR). With the registry's longest fields (a 128-byte peer id,
 * 64-byte model and region) an address is 160 bytes of answer and a `providerInfo` ~900, so a page of 16
 * entries is at most ~15.4 KiB (providerList.test.ts reads such a page). Where the
 * RPC refuses a deployless call, a page is read one call per read, as before.
 */
export const PROVIDER_PAGES = { addresses: 96, entries: 16 } as const;

export interface GetProvidersParameters {
  providerRegistry: Address;
  /** The block to read at (every call of the read at the same one); the latest without it. */
  blockNumber?: bigint;
}

/**
 * A registered provider and its registry entry, whatever its stake: which epochs check it is its
 * checking set's matter (getCheckingSet), not the live state's.
 */
export interface RegisteredProvider {
  address: Address;
  info: { peerId: Hex; gpuModel: string; vramMiB: number; region: string };
}

/**
 * The registered providers in registration order: `providerCount`, then one
 * multicall of `providerAt` a page of 96, then one of `providerInfo` a page
 * of 16 (pages concurrently), so that 100 providers cost 9 eth_calls (one call per read made it 301, every refresh, every 5 s;
 * issue 15). Throws what the RPC threw (ChainDirectory's refresh keeps its
 * previous view).
 *
 * @example
 * const providers = await getProviders(publicClient, { providerRegistry });
 */
export async function getProviders(
  client: PublicClient,
  params: GetProvidersParameters,
): Promise<RegisteredProvider[]> {
  const at = params.blockNumber === undefined ? {} : { blockNumber: params.blockNumber };
  const registry = { address: params.providerRegistry, abi: providerRegistryAbi } as const;
  const count = Number(await client.readContract({ ...registry, functionName: "providerCount", ...at }));
  const indexPages: Promise<Address[]>[] = [];
  for (let start = 0; start < count; start += PROVIDER_PAGES.addresses) {
    const indices = range(start, Math.min(count, start + PROVIDER_PAGES.addresses)).map(BigInt);
    indexPages.push(
      multicallOrEach(
        client,
        indices.map((i) => ({ ...registry, functionName: "providerAt", args: [i] }) as const),
        (i) => client.readContract({ ...registry, functionName: "providerAt", args: [indices[i]!], ...at }),
        at,
      ),
    );
  }
  const addresses = (await Promise.all(indexPages)).flat().map((a) => getAddress(a));
  const entryPages: Promise<RegisteredProvider[]>[] = [];
  for (let start = 0; start < addresses.length; start += PROVIDER_PAGES.entries) {
    entryPages.push(
      readEntries(client, registry, addresses.slice(start, start + PROVIDER_PAGES.entries), at),
    );
  }
  return (await Promise.all(entryPages)).flat();
}

type Registry = { address: Address; abi: typeof providerRegistryAbi };

async function readEntries(
  client: PublicClient,
  registry: Registry,
  addresses: Address[],
  at: { blockNumber?: bigint },
): Promise<RegisteredProvider[]> {
  const entries = await multicallOrEach<RegisteredProvider["info"]>(
    client,
    addresses.map((address) => ({ ...registry, functionName: "providerInfo", args: [address] }) as const),
    (i) => client.readContract({ ...registry, functionName: "providerInfo", args: [addresses[i]!], ...at }),
    at,
  );
  return addresses.map((address, i) => ({ address, info: entries[i]! }));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

import {
  createPublicClient,
  custom,
  type EIP1193RequestFn,
  type PublicClient,
  toFunctionSelector,
} from "viem";
import type { TestChain } from "../../../contracts/test/helpers/chain.ts";

export interface CountedRpc {
  /** A public client whose every request goes to the EDR chain, with no retries. */
  client: PublicClient;
  /** How many eth_calls of `signature` (e.g. "reportOf(uint64)") the client has made. */
  calls(signature: string): number;
}

/**
 * A public client over the test's EDR chain that counts its eth_calls by function selector, for tests
 * that assert how often a service reads the chain. `during(selector)`, when given, runs inside each
 * eth_call before it is forwarded (a test moves the clock or the chain while a read is in flight).
 */
export function countedRpc(chain: TestChain, during?: (selector: string) => Promise<void>): CountedRpc {
  const bySelector = new Map<string, number>();
  const request = (async (args: { method: string; params?: unknown }) => {
    const data = (args.params as [{ data?: string }] | undefined)?.[0]?.data;
    if (args.method === "eth_call" && data !== undefined) {
      const selector = data.slice(0, 10);
      bySelector.set(selector, (bySelector.get(selector) ?? 0) + 1);
      await during?.(selector);
    }
    return chain.publicClient.request(args as never);
  }) as EIP1193RequestFn;
  return {
    client: createPublicClient({ transport: custom({ request }, { retryCount: 0 }) }) as PublicClient,
    calls: (signature) => bySelector.get(toFunctionSelector(signature)) ?? 0,
  };
}

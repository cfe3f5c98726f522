import type { ContractFunctionParameters, PublicClient } from "viem";
import { isNoAnswer } from "../chainHealth.ts";

/**
 * Calls below which a page is read one call each: a deployless multicall's request carries Multicall3's
 * creation code (11.2 KB of hex), more than 8 single calls of ~0.7 KB each way send and receive.
 */
const DEPLOYLESS_MIN_CALLS = 8;

/**
 * One deployless multicall (one call each below DEPLOYLESS_MIN_CALLS); where the RPC answers it with an error (it refuses calls without a `to`,
 * say), each call on its own, the answers in the same order. An RPC that does not answer at all
 * (timeout, HTTP failure) fails the read at once: hundreds of single calls would only wait longer.
 */
export async function multicallOrEach<T>(
  client: PublicClient,
  contracts: readonly ContractFunctionParameters[],
  one: (i: number) => Promise<T>,
  at: { blockNumber?: bigint } = {},
): Promise<T[]> {
  if (contracts.length < DEPLOYLESS_MIN_CALLS) return each(contracts.length, one);
  try {
    return (await client.multicall({
      contracts,
      allowFailure: false,
      deployless: true,
      batchSize: 0,
      ...(at.blockNumber === undefined ? {} : { blockNumber: at.blockNumber }),
    })) as T[];
  } catch (e) {
    if (isNoAnswer(e)) throw e;
    return each(contracts.length, one);
  }
}

async function each<T>(count: number, one: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(await one(i));
  return out;
}

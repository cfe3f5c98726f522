import {
  createPublicClient,
  custom,
  type EIP1193RequestFn,
  numberToHex,
  type PublicClient,
  RpcRequestError,
  toFunctionSelector,
} from "viem";
import type { TestChain } from "../../../contracts/test/helpers/chain.ts";

/** Which backend of the load balancer answers a request. */
export type Backend = "fresh" | "stale";

/** What the balancer sees of a request when it picks a backend. */
interface RoutedRequest {
  /** The request's position among this client's requests, from 0. */
  index: number;
  method: string;
  /** An eth_call's function selector. */
  selector?: string;
}

export interface LaggingRpc {
  client: PublicClient;
  /** Picks the backend of each later request (the test switches it, e.g. to all-fresh once the lag is over). */
  route: (request: RoutedRequest) => Backend;
  /** The stale backend's head (the test may move it). */
  staleHead: bigint;
  /** Requests answered by each backend so far. */
  answered: Record<Backend, number>;
}

/** The function selector of `signature` (e.g. "currentEpoch()"), for routing by call. */
export const selectorOf = (signature: string): string => toFunctionSelector(signature);

/**
 * A public client behind a model load-balanced RPC over the test's one EDR chain: two backends, "fresh" at
 * the chain's head and "stale" still at block `staleHead` (rpc.staleHead), each request routed by `route`. The stale
 * backend answers as a node at that block does: eth_blockNumber is `staleHead`, an eth_call at "latest"
 * runs at `staleHead`, one at a block it has not seen fails as geth's "header not found", and eth_getLogs
 * returns the logs up to `staleHead` (a range past its head, clamped: the worst case, logs silently
 * missing). It is the real chain at a real older block, as a backend a block or two behind answers.
 */
export function laggingRpc(chain: TestChain, staleHead: bigint, route: LaggingRpc["route"]): LaggingRpc {
  let index = 0;
  const rpc: LaggingRpc = { client: undefined as never, route, staleHead, answered: { fresh: 0, stale: 0 } };
  const request = (async (args: { method: string; params?: unknown[] }) => {
    const params = args.params ?? [];
    const data = (params[0] as { data?: string } | undefined)?.data;
    const backend = rpc.route({
      index: index++,
      method: args.method,
      ...(args.method === "eth_call" && data !== undefined ? { selector: data.slice(0, 10) } : {}),
    });
    rpc.answered[backend]++;
    const forward = (p: unknown[]) => chain.publicClient.request({ method: args.method, params: p } as never);
    if (backend === "fresh") return forward(params);
    const staleHead = rpc.staleHead;
    switch (args.method) {
      case "eth_blockNumber":
        return numberToHex(staleHead);
      case "eth_call":
        return forward([params[0], atStale(params[1], staleHead)]);
      case "eth_getLogs": {
        const filter = params[0] as { fromBlock?: string; toBlock?: string };
        const from = filter.fromBlock === undefined ? staleHead : BigInt(filter.fromBlock);
        if (from > staleHead) return [];
        const to =
          filter.toBlock === undefined || filter.toBlock === "latest" ? staleHead : BigInt(filter.toBlock);
        return forward([{ ...filter, toBlock: numberToHex(to < staleHead ? to : staleHead) }]);
      }
      default:
        return forward(params);
    }
  }) as EIP1193RequestFn;
  rpc.client = createPublicClient({ transport: custom({ request }, { retryCount: 0 }) }) as PublicClient;
  return rpc;
}

/** A block tag as the stale backend reads it: "latest" is its head, a later block one it does not have. */
function atStale(tag: unknown, staleHead: bigint): string {
  if (tag === undefined || tag === "latest" || tag === "pending") return numberToHex(staleHead);
  if (typeof tag === "string" && tag.startsWith("0x") && BigInt(tag) > staleHead) {
    throw new RpcRequestError({
      body: { method: "eth_call" },
      url: "http://stale-backend.invalid",
      error: { code: -32000, message: "header not found" },
    });
  }
  return tag as string;
}

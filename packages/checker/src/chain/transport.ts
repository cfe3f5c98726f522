import { sleep } from "@checkernet/runtime";
import { BaseError, type EIP1193RequestFn, fallback, http, RpcRequestError, type Transport } from "viem";
import { type ChainHealth, isRpcTimeout, RpcOutcome, rpcOutcomeOf } from "./chainHealth.ts";

/**
 * Deadlines of every JSON-RPC call the checker makes; each says where its
 * number comes from. viem's defaults (10 s per attempt, 3 retries with
 * backoff) let one call to a stopped RPC hang 41 s: in the devnet's outage
 * drill (issue 14) the checking duty waited on one seed read past its
 * give-up time, two 20 s epochs went unreported and /status still said
 * connected.
 */
export const CHAIN_RPC_LIMITS = {
  /**
   * Per attempt, the response body included. Hardhat answers eth_call on
   * loopback in milliseconds and a hosted RPC within 1-2 s at its p99; 5 s
   * leaves a busy 2-core devnet machine its margin and is a quarter of a 20 s
   * devnet epoch (production epochs are 15 min). Also how long a call may
   * wait before ChainHealth takes the RPC for down.
   */
  timeoutMs: 5_000,
  /**
   * Retries of a call that failed fast (connection refused or reset, such as a
   * keep-alive socket the server closed; HTTP 5xx) or was rate limited (HTTP
   * 429, JSON-RPC -32005, as viem retries them). A timeout is never
   * retried: the RPC that let one attempt hang lets the next hang too. So a
   * call ends within timeoutMs + retryDelayMs + timeoutMs at worst, and a hung
   * RPC fails a call in timeoutMs.
   */
  retryCount: 1,
  /** Before the retry: a restarting RPC or a proxy's brief 502 gets a moment. */
  retryDelayMs: 250,
} as const;

export type ChainRpcLimits = { [K in keyof typeof CHAIN_RPC_LIMITS]: number };

/**
 * viem's http transport with the checker's deadlines (CHAIN_RPC_LIMITS), over
 * `url` and then, when it does not answer, each of `fallbacks` in turn, and
 * each call's outcome recorded in `health` (answered, or no answer) so that
 * /status and the RPC_DOWN alert tell the truth. A JSON-RPC error (a revert,
 * say) is an answer: the RPC is there.
 *
 * @example
 * const health = new ChainHealth({ stallAfterMs: CHAIN_RPC_LIMITS.timeoutMs });
 * const client = createPublicClient({ transport: chainTransport("http://127.0.0.1:8545", { health }) });
 * await client.getBlockNumber(); // throws TimeoutError after 5 s on a hung RPC
 * health.status().connected; // false
 */
export function chainTransport(
  url: string,
  init: { health?: ChainHealth; limits?: Partial<ChainRpcLimits>; fallbacks?: readonly string[] } = {},
): Transport {
  const limits: ChainRpcLimits = { ...CHAIN_RPC_LIMITS, ...init.limits };
  const { health } = init;
  // viem retries nothing: the loop below decides, so a timeout is not retried.
  const one = (u: string) => http(u, { timeout: limits.timeoutMs, retryCount: 0 });
  const fallbacks = (init.fallbacks ?? []).filter((u) => u !== url);
  // The network file's other RPC URLs, in order: a call the first one does not answer (refused, reset,
  // HTTP 5xx, or no answer within timeoutMs) goes to the next, each with the same deadline. A JSON-RPC
  // error (a revert) is an answer and goes nowhere else. ChainHealth sees the call's end result only.
  const inner =
    fallbacks.length === 0
      ? one(url)
      : fallback([one(url), ...fallbacks.map(one)], { retryCount: 0, rank: false });
  return (params) => {
    const transport = inner(params);
    const request = (async (args, options) => {
      // A caller's own count wins: viem sends transactions with retryCount 0.
      const retries = options?.retryCount ?? limits.retryCount;
      const id = health?.begin();
      for (let attempt = 0; ; attempt++) {
        try {
          const result = await transport.request(args, { ...options, retryCount: 0 });
          if (id !== undefined) health?.end(id, RpcOutcome.ANSWERED);
          return result;
        } catch (e) {
          const outcome = rpcOutcomeOf(e);
          const retry =
            ((outcome === RpcOutcome.NO_ANSWER && !isRpcTimeout(e)) || isRateLimited(e)) &&
            attempt < retries &&
            options?.signal?.aborted !== true;
          if (!retry) {
            if (id !== undefined) health?.end(id, outcome, e);
            throw e;
          }
          await sleep(limits.retryDelayMs, options?.signal ?? undefined);
        }
      }
    }) as EIP1193RequestFn;
    return { ...transport, request };
  };
}

/** JSON-RPC codes of "too many requests": -32005 (EIP-1474), 429 and QuickNode's -32007 in a 200 body. */
const RATE_LIMIT_CODES = new Set([-32005, -32007, 429]);

/** The RPC answered "slow down": worth one retry after the delay, as viem would. */
function isRateLimited(error: unknown): boolean {
  if (!(error instanceof BaseError)) return false;
  const rpc = error.walk((e) => e instanceof RpcRequestError) as RpcRequestError | null;
  return rpc !== null && (rpc.status === 429 || RATE_LIMIT_CODES.has(rpc.code));
}

import type { Address, PublicClient } from "viem";
import { getProviders, type RegisteredProvider } from "./actions/getProviders.ts";
import { isNoAnswer } from "./chainHealth.ts";

/**
 * Blocks of ProviderRegistry logs one check may span. A refresh every 5 s spans a few blocks; after a long
 * outage the list is read whole instead (hosted RPCs cap eth_getLogs ranges at 1,000-10,000 blocks).
 */
const MAX_LOG_BLOCKS = 1_000n;
/**
 * The list is read whole at least this often whatever the logs say, so an RPC that lost a log (a reorg
 * past the block the list was read at) cannot keep a stale list longer: a few minutes, against Ethereum's
 * ~13 min to finality; at 100 providers a whole read is ~220 KiB of answers.
 */
const MAX_AGE_MS = 5 * 60_000;

/**
 * The registered provider list, read whole (getProviders) only when it may have changed: every change of
 * ProviderRegistry's state (register, update, stake, unstake, withdraw, slash, answer key) emits a log from
 * the registry, so a refresh that finds no log of the registry since the block the list was read at keeps
 * the list. (Which of them an epoch checks is its checking set, read apart: getCheckingSet.) That is an eth_blockNumber and an
 * eth_getLogs over a few blocks instead of `providerCount` and two deployless multicalls (each carrying
 * Multicall3's 11 KB of creation code; at 100 providers ~220 KiB of answers) every 5 s (issue 15). The
 * list is also read whole every MAX_AGE_MS.
 */
export class ProviderListReader {
  private readonly client: PublicClient;
  private readonly providerRegistry: Address;
  private readonly nowMs: () => number;
  private held: { providers: RegisteredProvider[]; atBlock: bigint; readAtMs: number } | undefined;

  constructor(client: PublicClient, providerRegistry: Address, nowMs: () => number = Date.now) {
    this.client = client;
    this.providerRegistry = providerRegistry;
    this.nowMs = nowMs;
  }

  /** The list as of the latest block: the same array as the last call while nothing changed. Throws what the RPC threw. */
  async read(): Promise<RegisteredProvider[]> {
    const latest = await this.client.getBlockNumber({ cacheTime: 0 });
    const held = this.held;
    const fresh = held !== undefined && this.nowMs() - held.readAtMs < MAX_AGE_MS;
    if (held !== undefined && fresh && latest - held.atBlock <= MAX_LOG_BLOCKS) {
      if (latest <= held.atBlock || !(await this.changedSince(held.atBlock, latest))) {
        if (latest > held.atBlock) held.atBlock = latest;
        return held.providers;
      }
    }
    const providers = await getProviders(this.client, {
      providerRegistry: this.providerRegistry,
      blockNumber: latest,
    });
    this.held = { providers, atBlock: latest, readAtMs: this.nowMs() };
    return providers;
  }

  /** Whether the registry logged anything in (from, to]; true where the RPC refuses the query. */
  private async changedSince(from: bigint, to: bigint): Promise<boolean> {
    try {
      const logs = await this.client.getLogs({
        address: this.providerRegistry,
        fromBlock: from + 1n,
        toBlock: to,
      });
      return logs.length > 0;
    } catch (e) {
      if (isNoAnswer(e)) throw e;
      return true;
    }
  }
}

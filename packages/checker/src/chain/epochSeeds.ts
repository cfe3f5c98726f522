import { epochReportsAbi } from "@checkernet/contracts/generated/index";
import type { Logger } from "@checkernet/runtime";
import { type Address, type Hex, type PublicClient, zeroHash } from "viem";

/**
 * Seeds cached before the current epoch: the gossip window looks 2 epochs back. One ahead, once revealed:
 * the seed of epoch e is final when its proposer has revealed it (isSeedRevealed, during e - 1) or else
 * once e has started (then it is derived from the last reveal), so only a revealed one is read ahead.
 * Reading it ahead means an RPC outage over e's first seconds does not leave e unchecked (issue 14).
 */
const SEEDS_BACK = 3n;

/** A block to read at: every read that decides a seed is final and the seed itself at the same one. */
interface AtBlock {
  blockNumber: bigint;
}

/**
 * The epoch seeds a node holds (EpochReports.seedOf), each kept for ever once final. Whether a seed is final
 * (revealed, or its epoch started) and the seed are read at one block: behind a load-balanced RPC whose
 * backends differ by a block, `isSeedRevealed(e)` from one backend and `seedOf(e)` from another still
 * before the reveal gave the fallback seed, held for ever as e's (review3 P1-5).
 */
export class EpochSeeds {
  private readonly client: PublicClient;
  private readonly reports: { address: Address; abi: typeof epochReportsAbi };
  private readonly logger: Logger;
  private seeds = new Map<bigint, Hex>();
  /** In-flight ensure reads, one per epoch however many callers wait. */
  private readonly reads = new Map<bigint, Promise<Hex | undefined>>();

  constructor(client: PublicClient, epochReports: Address, logger: Logger) {
    this.client = client;
    this.reports = { address: epochReports, abi: epochReportsAbi };
    this.logger = logger;
  }

  get(epoch: bigint): Hex | undefined {
    return this.seeds.get(epoch);
  }

  /** The seed of `epoch`: held, or read once the chain's clock has reached it; undefined before, or when the RPC fails. */
  async ensure(epoch: bigint): Promise<Hex | undefined> {
    const known = this.seeds.get(epoch);
    if (known !== undefined) return known;
    let pending = this.reads.get(epoch);
    if (pending === undefined) {
      pending = this.readStarted(epoch).finally(() => this.reads.delete(epoch));
      this.reads.set(epoch, pending);
    }
    return pending;
  }

  /**
   * The seeds of the SEEDS_BACK epochs before `current` up to it, and of the next one once revealed, all at
   * `at` (the block `current` was read at). Held ones are not read again. Keep them with `keep`.
   */
  async read(current: bigint, at: AtBlock): Promise<Map<bigint, Hex>> {
    const out = new Map<bigint, Hex>();
    const from = current > SEEDS_BACK ? current - SEEDS_BACK : 1n;
    for (let e = from; e <= current; e++) {
      const known = this.seeds.get(e);
      if (known !== undefined) {
        out.set(e, known);
        continue;
      }
      const seed = await this.client.readContract({
        ...this.reports,
        functionName: "seedOf",
        args: [e],
        ...at,
      });
      if (seed !== zeroHash) out.set(e, seed);
    }
    const next = current + 1n;
    const ahead = this.seeds.get(next);
    if (ahead !== undefined) {
      out.set(next, ahead);
    } else if (
      await this.client.readContract({ ...this.reports, functionName: "isSeedRevealed", args: [next], ...at })
    ) {
      // Revealed at `at`: final, the same value everyone reads once `next` begins.
      out.set(
        next,
        await this.client.readContract({ ...this.reports, functionName: "seedOf", args: [next], ...at }),
      );
    }
    return out;
  }

  /** Holds `seeds` (a refresh's read), with the ones `ensure` read meanwhile for epochs past them. */
  keep(seeds: Map<bigint, Hex>): void {
    const newest = [...seeds.keys()].reduce((a, b) => (b > a ? b : a), 0n);
    for (const [e, seed] of this.seeds) if (e > newest) seeds.set(e, seed);
    this.seeds = seeds;
  }

  private async readStarted(epoch: bigint): Promise<Hex | undefined> {
    try {
      const at = { blockNumber: await this.client.getBlockNumber({ cacheTime: 0 }) };
      const current = await this.client.readContract({
        ...this.reports,
        functionName: "currentEpoch",
        ...at,
      });
      if (current < epoch) return undefined;
      const seed = await this.client.readContract({
        ...this.reports,
        functionName: "seedOf",
        args: [epoch],
        ...at,
      });
      if (seed === zeroHash) return undefined;
      // A refresh may have replaced the map meanwhile; both hold the same final value.
      this.seeds.set(epoch, seed);
      return seed;
    } catch (e) {
      this.logger.debug({ epoch: String(epoch), err: (e as Error).message }, "seed read failed");
      return undefined;
    }
  }
}

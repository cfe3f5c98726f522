import { providerRegistryAbi } from "@checkernet/contracts/generated/index";
import { type Address, getAddress, type Log, type PublicClient, parseEventLogs } from "viem";
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
 * Blocks each refresh reads the logs of again behind the last one. A backend behind the head answers an
 * eth_getLogs range past its head with the logs up to its head, no error (review5 L2); what it left out is
 * read by the next refresh, unless that backend is this far behind. Logs already applied are skipped.
 */
const LOG_OVERLAP_BLOCKS = 32n;

/** Where a log sits in the chain's order (block, then index in the block). */
const positionOf = (log: Log): bigint => ((log.blockNumber ?? 0n) << 32n) | BigInt(log.logIndex ?? 0);

/** What the reader holds: the list as of `atBlock`, and the logs of the overlap it applied. */
interface HeldList {
  providers: RegisteredProvider[];
  atBlock: bigint;
  readAtMs: number;
  completeAt: bigint;
  /** The newest log applied (a whole read: the end of its block). */
  lastPosition: bigint;
  /** Positions of the logs applied in the last LOG_OVERLAP_BLOCKS blocks: a re-read skips them. */
  applied: Set<bigint>;
}

/** The registered provider list as of a block. */
export interface ProviderListView {
  /** Every registered provider in registration order: the same array while no entry changed. */
  providers: RegisteredProvider[];
  /**
   * Moves whenever the registry logged anything (a stake, an unstake, a slash too): a checking set that is
   * not final yet, read at an older one, may have changed.
   */
  registryVersion: number;
  /** The latest block by which the list is known to hold every registration: the block of its last whole read. */
  completeAt: bigint;
}

/**
 * The registered provider list, kept from the registry's logs: ProviderRegistered and ProviderUpdated carry
 * the whole entry (peer id, GPU model, VRAM, region), so a refresh that finds them appends or replaces those
 * entries from the logs alone, and one that finds only other logs (stake, unstake, answer key, slash: none
 * changes an entry) keeps the list. Before, any log made every node read every entry again: one address
 * calling update() once a block, or zero-stake registrations, kept every node reading N entries at every
 * refresh (review3 P1-9). A refresh is an eth_blockNumber and an eth_getLogs over the blocks since the last
 * one and LOG_OVERLAP_BLOCKS before (what a backend behind the head left out); the list is read whole
 * (getProviders) at the first read, after an outage longer than MAX_LOG_BLOCKS, where the RPC refuses the
 * logs, every MAX_AGE_MS, and where a checking set is read from a list that lacks a member the registry had
 * at the set's block (`complete`). Which of them an epoch checks is its checking set, read apart
 * (getCheckingSet).
 */
export class ProviderListReader {
  private readonly client: PublicClient;
  private readonly providerRegistry: Address;
  private readonly nowMs: () => number;
  private held: HeldList | undefined;
  private registryVersion = 0;
  /** Reads one at a time: two applying the same logs would list a registration twice. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(client: PublicClient, providerRegistry: Address, nowMs: () => number = Date.now) {
    this.client = client;
    this.providerRegistry = providerRegistry;
    this.nowMs = nowMs;
  }

  /**
   * The list as of `atBlock` (the latest block without it) or a later block: everyone registered by
   * `atBlock`. Throws what the RPC threw.
   */
  read(atBlock?: bigint): Promise<ProviderListView> {
    const next = this.queue.then(() => this.readNow(atBlock));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * `view` where it holds everyone the registry had registered at `atBlock`, else the list read whole at
   * `atBlock`: an RPC backend that answered the logs from behind that block left a registration out, and a
   * checking set read from it would lack that provider for ever. Checked by members, not counts (review5
   * L2): the list holds as many entries as the registry's providerCount there and the last of them is the
   * registry's providerAt(count - 1) there (entries are in registration order, so a registration left out
   * before it moves a later one into its place). Two calls; none where the list was read whole at that
   * block or later.
   */
  async complete(view: ProviderListView, atBlock: bigint): Promise<ProviderListView> {
    if (view.completeAt >= atBlock) return view;
    const registry = { address: this.providerRegistry, abi: providerRegistryAbi } as const;
    const count = await this.client.readContract({
      ...registry,
      functionName: "providerCount",
      blockNumber: atBlock,
    });
    if (count === 0n) return view;
    if (BigInt(view.providers.length) >= count) {
      const last = await this.client.readContract({
        ...registry,
        functionName: "providerAt",
        args: [count - 1n],
        blockNumber: atBlock,
      });
      if (view.providers[Number(count - 1n)]?.address === getAddress(last)) return view;
    }
    const next = this.queue.then(() => this.readWhole(atBlock));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async readNow(atBlock: bigint | undefined): Promise<ProviderListView> {
    const latest = atBlock ?? (await this.client.getBlockNumber({ cacheTime: 0 }));
    const held = this.held;
    const fresh = held !== undefined && this.nowMs() - held.readAtMs < MAX_AGE_MS;
    if (held !== undefined && fresh) {
      if (latest <= held.atBlock) return this.view();
      const overlap = held.atBlock - LOG_OVERLAP_BLOCKS;
      const from = overlap > held.completeAt ? overlap : held.completeAt;
      const logs = latest - from <= MAX_LOG_BLOCKS ? await this.logsIn(from, latest) : undefined;
      if (logs !== undefined && this.apply(held, logs)) {
        held.atBlock = latest;
        for (const position of held.applied)
          if (position >> 32n <= latest - LOG_OVERLAP_BLOCKS) held.applied.delete(position);
        return this.view();
      }
    }
    return this.readWhole(latest);
  }

  private async readWhole(atBlock: bigint): Promise<ProviderListView> {
    const providers = await getProviders(this.client, {
      providerRegistry: this.providerRegistry,
      blockNumber: atBlock,
    });
    this.held = {
      providers,
      atBlock,
      readAtMs: this.nowMs(),
      completeAt: atBlock,
      lastPosition: ((atBlock + 1n) << 32n) - 1n,
      applied: new Set(),
    };
    this.registryVersion++;
    return this.view();
  }

  private view(): ProviderListView {
    return {
      providers: this.held?.providers ?? [],
      registryVersion: this.registryVersion,
      completeAt: this.held?.completeAt ?? -1n,
    };
  }

  /**
   * Registrations append, updates replace an entry (in log order); any log not applied before moves the
   * version. False, applying nothing, where a log not applied before is older than one that was: an earlier
   * answer left it out and a later one was applied past it, so the list is read whole instead.
   */
  private apply(held: HeldList, all: Log[]): boolean {
    const logs = all.filter((log) => !held.applied.has(positionOf(log)));
    if (logs.length === 0) return true;
    if (logs.some((log) => positionOf(log) <= held.lastPosition)) return false;
    for (const log of logs) held.applied.add(positionOf(log));
    held.lastPosition = positionOf(logs[logs.length - 1]!);
    this.registryVersion++;
    const entries = parseEventLogs({
      abi: providerRegistryAbi,
      logs,
      eventName: ["ProviderRegistered", "ProviderUpdated"],
    });
    if (entries.length === 0) return true;
    const providers = [...held.providers];
    const index = new Map(providers.map((p, i) => [p.address, i]));
    for (const { args } of entries) {
      const address = getAddress(args.provider);
      const entry = {
        address,
        info: { peerId: args.peerId, gpuModel: args.gpuModel, vramMiB: args.vramMiB, region: args.region },
      };
      const at = index.get(address);
      if (at === undefined) index.set(address, providers.push(entry) - 1);
      else providers[at] = entry;
    }
    held.providers = providers;
    return true;
  }

  /** The registry's logs in (from, to]; undefined where the RPC refuses the query (the list is read whole). */
  private async logsIn(from: bigint, to: bigint): Promise<Log[] | undefined> {
    try {
      return await this.client.getLogs({ address: this.providerRegistry, fromBlock: from + 1n, toBlock: to });
    } catch (e) {
      if (isNoAnswer(e)) throw e;
      return undefined;
    }
  }
}

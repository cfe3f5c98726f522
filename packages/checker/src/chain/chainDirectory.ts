import {
  checkerRegistryAbi,
  epochReportsAbi,
  providerRegistryAbi,
} from "@checkernet/contracts/generated/index";
import { g1FromEip2537 } from "@checkernet/protocol/bls/index";
import type { TranscriptAnswerKey } from "@checkernet/protocol/challenges/transcript";
import { isCheckingSetFinal } from "@checkernet/protocol/checkingSet";
import type { Logger } from "@checkernet/runtime";
import { type Address, getAddress, type Hex, hexToBytes, type PublicClient, zeroAddress } from "viem";
import type { CheckerRecord, KeyDirectory } from "../validation/keyDirectory.ts";
import type { ProviderDirectory, ProviderEntry } from "../validation/providerDirectory.ts";
import type { EpochContext } from "../validation/sortition.ts";
import { getCheckingSet } from "./actions/getCheckingSet.ts";
import type { RegisteredProvider } from "./actions/getProviders.ts";
import { getSnapshotLicenses } from "./actions/getSnapshotLicenses.ts";
import { type ChainHealth, isNoAnswer } from "./chainHealth.ts";
import { EpochSeeds } from "./epochSeeds.ts";
import { ProviderListReader, type ProviderListView } from "./providerList.ts";
import { toProviderRecord } from "./providerRecord.ts";
import { REFRESH_LIMITS, refreshIntervalMs } from "./refreshInterval.ts";
import { type SnapshotLicenseIds, sharedIds } from "./snapshotLicenseIds.ts";

/** Polling limits; each says where its number comes from. */
const CHAIN_LIMITS = {
  /**
   * Backoff after a failed refresh doubles up to this (the RPC going away must not be hammered). A failed
   * refresh costs its first two calls (they fail together), so 15 s is light on any RPC; it bounds how long
   * the view (providers, seeds) and /status's `connected` lag the RPC's return when no duty reads the
   * chain meanwhile: within one 20 s devnet epoch (it was 60 s, three of them; issue 14).
   */
  maxBackoffMs: 15_000,
  /**
   * License snapshots kept before the current epoch (gossip looks 2 back, a re-check committee or a late
   * report a few more); older ones are read again on demand (ensureEpoch).
   */
  snapshotsBack: 8n,
} as const;

export interface ChainAddresses {
  checkerRegistry: Address;
  providerRegistry: Address;
  epochReports: Address;
}

export interface ChainStatus {
  /**
   * Whether the RPC answers: with a ChainHealth, as every call through it found (false while the last
   * call got no answer or one waits past its deadline); without one, as the last refresh found.
   */
  connected: boolean | null;
  /** Why the RPC is taken for down, or why the last refresh failed. */
  lastError: string | null;
  /** When the RPC last answered (the last successful refresh without a ChainHealth). */
  lastAnswerMs: number | null;
  lastRefreshMs: number | null;
  /** The chain's epoch at the last refresh. */
  epoch: string | null;
  /** Operators with licenses in that epoch's snapshot. */
  checkers: number;
  providers: number;
}

/**
 * One epoch's checking set (packages/protocol/src/checkingSet.ts): the providers ProviderRegistry counts
 * active as of the epoch's start. Final once the epoch has begun on the chain: a stake, unstake or slash
 * mid-epoch changes the next epoch's set, never this one, so a node that read it before such a change and
 * one that read it after hold the same set (issue 14: a node that dropped a provider slashed mid-epoch
 * REJECTed the attestations the others made of it and refused every report holding them).
 */
interface CheckingSet {
  members: ReadonlySet<Address>;
  final: boolean;
  /** The registered list it was read from. */
  readFrom: readonly RegisteredProvider[];
  /** The chain's epoch and the registry's version (ProviderListView) it was read at: a provisional set holds while both do. */
  chainEpoch: bigint;
  registryVersion: number;
  /** providers(epoch)'s answer and the registered list it was made from (the same array while neither changes). */
  listed?: { from: readonly ProviderEntry[]; records: readonly ProviderEntry[] };
}

/** One epoch's license snapshot as the checker uses it. */
interface LicenseSnapshot {
  checkers: Map<Address, CheckerRecord>;
  total: number;
  /**
   * Each operator's license ids, in seat order (operators without a usable key too): what a report's
   * license leaves and the standing's ids are built from, so that nothing reads the snapshot's pages again.
   */
  licenseIds: ReadonlyMap<Address, readonly bigint[]>;
  /** Read when the epoch was already before `effectiveEpochOfChange`: it never changes again. */
  final: boolean;
}

/**
 * Registry and epoch state read from the contracts with viem: per-epoch
 * license snapshots (CheckerRegistry.licenseCountAt / licensesAt: each
 * operator's weight in that epoch, with its BLS key), providers with their
 * peer id, GPU class, VRAM and region (ProviderRegistry), and epoch seeds
 * (EpochReports). A refresh reads the snapshots of the current and the next
 * epoch (the next one is already fixed on-chain, so the directory holds it
 * before the boundary), providers and seeds; a failed one keeps what it had,
 * backs off, and shows in `status()`.
 */
export class ChainDirectory implements KeyDirectory, ProviderDirectory, EpochContext, SnapshotLicenseIds {
  private readonly client: PublicClient;
  private readonly addresses: ChainAddresses;
  private readonly logger: Logger;
  private readonly health: ChainHealth | undefined;
  /** Why the last refresh failed although the RPC answered (a revert, an undecodable value); null after one that did not. */
  private answeredRefreshError: string | null = null;
  private snapshots = new Map<bigint, LicenseSnapshot>();
  /** In-flight ensureEpoch reads, one per epoch. */
  private readonly snapshotReads = new Map<bigint, Promise<boolean>>();
  /** The chain's epoch at the last refresh (0 before any). */
  private current = 0n;
  /** The block the last refresh read at (its chain epoch is `current`). */
  private currentAt: bigint | undefined;
  /** Every registered provider, whatever its stake or entry (UnusableProvider); the checking sets pick from it. */
  private registered: ProviderEntry[] = [];
  private readonly providerReader: ProviderListReader;
  /** The registry's list `registered` was made from: the same one again needs no new records. */
  private providersReadFrom: readonly RegisteredProvider[] | undefined;
  /** Checking sets by epoch: the current one and those ensureEpoch read (older ones for late reports). */
  private checkingSets = new Map<bigint, CheckingSet>();
  /** In-flight reads of checking sets, one per epoch. */
  private readonly checkingSetReads = new Map<bigint, Promise<CheckingSet>>();
  private readonly seeds: EpochSeeds;
  /** answerKeyAt(provider, epoch) of started epochs (final: a key change takes effect a delay later). */
  private readonly answerKeys = new Map<string, TranscriptAnswerKey | null>();
  private chainId: bigint | undefined;
  private timer: NodeJS.Timeout | undefined;
  private backoffMs: number = REFRESH_LIMITS.minMs;
  /** The contracts' epoch length (read once, immutable): sizes the refresh interval. */
  private epochSeconds: number | undefined;
  private readonly state: ChainStatus = {
    connected: null,
    lastError: null,
    lastAnswerMs: null,
    lastRefreshMs: null,
    epoch: null,
    checkers: 0,
    providers: 0,
  };

  constructor(
    components: {
      publicClient: PublicClient;
      logger: Logger;
      /** Fed by the client's transport (chainTransport); without it, `connected` is the last refresh's. */
      health?: ChainHealth;
    },
    init: { addresses: ChainAddresses },
  ) {
    this.client = components.publicClient;
    this.logger = components.logger;
    this.health = components.health;
    this.addresses = init.addresses;
    this.providerReader = new ProviderListReader(this.client, init.addresses.providerRegistry);
    this.seeds = new EpochSeeds(this.client, init.addresses.epochReports, this.logger);
  }

  start(): void {
    if (this.timer !== undefined) return;
    const loop = async () => {
      const ok = await this.refresh().then(
        () => true,
        () => false,
      );
      if (ok) await this.readEpochSeconds();
      const every = refreshIntervalMs(this.epochSeconds);
      this.backoffMs = ok ? every : Math.min(this.backoffMs * 2, Math.max(every, CHAIN_LIMITS.maxBackoffMs));
      if (this.timer !== undefined) this.timer = setTimeout(loop, this.backoffMs);
    };
    this.timer = setTimeout(loop, 0);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Reads the epoch length once; until it is read the refresh keeps the shortest interval. */
  private async readEpochSeconds(): Promise<void> {
    if (this.epochSeconds !== undefined) return;
    const reports = { address: this.addresses.epochReports, abi: epochReportsAbi } as const;
    this.epochSeconds = await this.client.readContract({ ...reports, functionName: "epochSeconds" }).then(
      (s) => Number(s),
      () => undefined,
    );
  }

  status(): ChainStatus {
    const own = { ...this.state };
    const health = this.health?.status();
    if (health === undefined || health.connected === null) return own;
    return {
      ...own,
      connected: health.connected,
      // Down: why no call gets an answer. Up: a refresh may still fail on what the RPC answered.
      lastError: health.connected ? this.answeredRefreshError : health.lastError,
      lastAnswerMs: health.lastAnswerMs,
    };
  }

  /**
   * Reads a fresh view, every call at one block: what it holds final (snapshots, checking sets, seeds) is
   * final by the chain's epoch at that block, which a read at "latest" from another backend of a
   * load-balanced RPC could not promise (review3 P1-5). Throws (and records the error) when the RPC fails.
   */
  async refresh(): Promise<void> {
    try {
      const reports = { address: this.addresses.epochReports, abi: epochReportsAbi } as const;
      const registry = { address: this.addresses.checkerRegistry, abi: checkerRegistryAbi } as const;
      const at = { blockNumber: await this.client.getBlockNumber({ cacheTime: 0 }) };
      const current = await this.client.readContract({ ...reports, functionName: "currentEpoch", ...at });
      // The current epoch's snapshot and the next one (fixed already once epoch 1 has begun); before
      // genesis, the launch set of epoch 1. Held final ones are not read again, nor is the registry's
      // effectiveEpochOfChange (what tells a final one) while every one is held.
      const keyCache = new Map<Address, Uint8Array | null>();
      const snapshots = new Map<bigint, LicenseSnapshot>();
      const first = current > 1n ? current : 1n;
      let changesFrom: bigint | undefined;
      for (let e = first; e <= current + 1n; e++) {
        const held = this.snapshots.get(e);
        if (held?.final !== true)
          changesFrom ??= await this.client.readContract({
            ...registry,
            functionName: "effectiveEpochOfChange",
            ...at,
          });
        const snap =
          held?.final === true ? held : await this.readSnapshot(e, changesFrom as bigint, keyCache, at);
        snapshots.set(e, snap);
        // A final snapshot is kept at once: a refresh that fails later (providers, seeds) loses nothing
        // of it, and ensureEpoch finds it (issue 15: failed refreshes that started over left none).
        if (snap.final) this.snapshots.set(e, snap);
      }
      const list = await this.providerReader.read(at.blockNumber);
      const registered = list.providers;
      const providers = this.recordsOf(registered);
      // The current epoch's checking set and, provisionally, the next one's: held when the RPC is down
      // at the next epoch's start, so its attestations are still judged and kept (as its snapshot and seed).
      const sets = new Map<bigint, CheckingSet>();
      for (const e of [first, first + 1n])
        sets.set(e, this.heldSet(e, current, list) ?? (await this.readCheckingSet(e, current, list, at)));
      const seeds = await this.seeds.read(current, at);
      // Older snapshots stay for late attestations, reports and re-checks.
      for (const [e, snap] of this.snapshots) {
        if (!snapshots.has(e) && e + CHAIN_LIMITS.snapshotsBack >= current) snapshots.set(e, snap);
      }
      this.snapshots = snapshots;
      this.current = current;
      this.currentAt = at.blockNumber;
      this.registered = providers;
      this.providersReadFrom = registered;
      // Older sets stay for late attestations and reports, as the snapshots do.
      for (const [e, set] of this.checkingSets)
        if (!sets.has(e) && e + CHAIN_LIMITS.snapshotsBack >= current) sets.set(e, set);
      this.checkingSets = sets;
      // Keep seeds ensureSeed read while this view was taken (epochs it had not reached yet).
      this.seeds.keep(seeds);
      this.answeredRefreshError = null;
      Object.assign(this.state, {
        connected: true,
        lastError: null,
        lastAnswerMs: Date.now(),
        lastRefreshMs: Date.now(),
        epoch: String(current),
        checkers: this.snapshotOf(undefined)?.checkers.size ?? 0,
        providers: this.providers().length,
      });
    } catch (e) {
      const message = (e as { shortMessage?: string }).shortMessage ?? (e as Error).message;
      Object.assign(this.state, { connected: false, lastError: message });
      if (!isNoAnswer(e)) this.answeredRefreshError = message;
      this.logger.warn({ err: message }, "chain refresh failed; keeping the last view");
      throw e;
    }
  }

  /** The snapshot of `epoch`; without one, of the chain's epoch at the last refresh (epoch 1 before genesis). */
  private snapshotOf(epoch: bigint | undefined): LicenseSnapshot | undefined {
    const e = epoch ?? (this.current > 1n ? this.current : 1n);
    return this.snapshots.get(e);
  }

  // --- KeyDirectory
  getChecker(address: Address, epoch?: bigint): CheckerRecord | undefined {
    return this.snapshotOf(epoch)?.checkers.get(getAddress(address));
  }
  /** Whether the provider is in the checking set of `epoch` (held after ensureEpoch(epoch)). */
  hasProvider(address: Address, epoch: bigint): boolean {
    return this.checkingSets.get(epoch)?.members.has(getAddress(address)) ?? false;
  }
  totalLicenses(epoch?: bigint): number {
    return this.snapshotOf(epoch)?.total ?? 0;
  }

  /** Loads the epoch's license snapshot and checking set where either is not held final yet. */
  async ensureEpoch(epoch: bigint): Promise<boolean> {
    if (epoch < 1n) return false;
    const [snapshot, set] = await Promise.all([this.ensureSnapshot(epoch), this.ensureCheckingSet(epoch)]);
    return snapshot && set;
  }

  private async ensureSnapshot(epoch: bigint): Promise<boolean> {
    if (this.snapshots.get(epoch)?.final === true) return true;
    let pending = this.snapshotReads.get(epoch);
    if (pending === undefined) {
      pending = (async () => {
        try {
          const at = { blockNumber: await this.client.getBlockNumber({ cacheTime: 0 }) };
          const changesFrom = await this.client.readContract({
            address: this.addresses.checkerRegistry,
            abi: checkerRegistryAbi,
            functionName: "effectiveEpochOfChange",
            ...at,
          });
          this.snapshots.set(epoch, await this.readSnapshot(epoch, changesFrom, new Map(), at));
          return true;
        } catch (e) {
          this.logger.debug({ epoch: String(epoch), err: (e as Error).message }, "snapshot read failed");
          return this.snapshots.has(epoch);
        }
      })().finally(() => this.snapshotReads.delete(epoch));
      this.snapshotReads.set(epoch, pending);
    }
    return pending;
  }

  /** The checking set of `epoch` read from the chain where it is not held final; false when it cannot be read. */
  private async ensureCheckingSet(epoch: bigint): Promise<boolean> {
    if (this.checkingSets.get(epoch)?.final === true) return true;
    let pending = this.checkingSetReads.get(epoch);
    if (pending === undefined) {
      pending = (async () => {
        // The chain's epoch, the list and the set at one block (review3 P1-5: see readCheckingSet).
        const at = { blockNumber: await this.client.getBlockNumber({ cacheTime: 0 }) };
        const chainEpoch = await this.client.readContract({
          address: this.addresses.epochReports,
          abi: epochReportsAbi,
          functionName: "currentEpoch",
          ...at,
        });
        const list = await this.providerReader.read(at.blockNumber);
        return (
          this.heldSet(epoch, chainEpoch, list) ?? (await this.readCheckingSet(epoch, chainEpoch, list, at))
        );
      })().finally(() => this.checkingSetReads.delete(epoch));
      this.checkingSetReads.set(epoch, pending);
    }
    try {
      this.checkingSets.set(epoch, await pending);
      return true;
    } catch (e) {
      this.logger.debug({ epoch: String(epoch), err: (e as Error).message }, "checking set read failed");
      return this.checkingSets.has(epoch);
    }
  }

  // --- SnapshotLicenseIds
  async licenseIdsAt(epoch: bigint): Promise<ReadonlyMap<Address, readonly bigint[]> | undefined> {
    if (!(await this.ensureEpoch(epoch))) return undefined;
    const snap = this.snapshots.get(epoch);
    return snap?.final === true ? snap.licenseIds : undefined;
  }

  // --- ProviderDirectory
  /**
   * Every member of the checking set of `epoch` (held after ensureEpoch(epoch)), in registration order; none
   * for an epoch not held (never another epoch's set: the caller abstains or waits); without an epoch, those
   * of the chain's epoch at the last refresh. The same array while nothing changed.
   *
   * Who is listed is the set alone, final once the epoch began, never the entries' live fields: a member
   * whose entry cannot be used is listed as an UnusableProvider (its committees FAIL it), so every node seats
   * on the same members, builds the same report, and an update() flipping an entry mid-epoch splits neither
   * (review3 P1-1). Each member's fields are the latest read (a new peer id reaches the runs at once).
   */
  providers(epoch?: bigint): readonly ProviderEntry[] {
    const set = this.checkingSets.get(epoch ?? (this.current > 1n ? this.current : 1n));
    if (set === undefined) return [];
    if (set.listed?.from !== this.registered) {
      const latest = new Map(this.registered.map((p) => [p.address, p]));
      set.listed = {
        from: this.registered,
        // The set was read from its own list: a member a later list lacks (none: providers never leave the
        // registry) would still be listed, with the fields that list had.
        records: set.readFrom
          .filter((p) => set.members.has(p.address))
          .map((p) => latest.get(p.address) ?? toProviderRecord(p.address, p.info)),
      };
    }
    return set.listed.records;
  }

  /** A registered provider's entry, in a checking set or not (a re-check of one that left it). */
  registeredProvider(address: Address): ProviderEntry | undefined {
    const wanted = getAddress(address);
    return this.registered.find((p) => p.address === wanted);
  }

  /**
   * ProviderRegistry.answerKeyAt(provider, epoch) with the signing domain (chain id, ProviderRegistry);
   * undefined when the provider has none or the RPC fails (the run is then judged without the signature
   * rule, as for a provider without a key). Cached once the epoch has started: its key is fixed by then.
   */
  async answerKeyAt(provider: Address, epoch: bigint): Promise<TranscriptAnswerKey | undefined> {
    const id = `${getAddress(provider)}/${epoch}`;
    const cached = this.answerKeys.get(id);
    if (cached !== undefined) return cached ?? undefined;
    // A started epoch's key is read at the last refresh's block, whose chain epoch says it has started
    // (at "latest" a backend still before e could answer a key that changes at e; review3 P1-5).
    const final = epoch <= this.current && this.currentAt !== undefined;
    try {
      const [key, chainId] = await Promise.all([
        this.client.readContract({
          address: this.addresses.providerRegistry,
          abi: providerRegistryAbi,
          functionName: "answerKeyAt",
          args: [getAddress(provider), epoch],
          ...(final ? { blockNumber: this.currentAt } : {}),
        }),
        this.chainId ?? this.client.getChainId().then(BigInt),
      ]);
      this.chainId = chainId;
      const answer =
        key === zeroAddress
          ? null
          : { key: getAddress(key), chainId, verifyingContract: this.addresses.providerRegistry };
      if (final) {
        if (this.answerKeys.size > 4096) this.answerKeys.clear();
        this.answerKeys.set(id, answer);
      }
      return answer ?? undefined;
    } catch (e) {
      this.logger.warn({ provider, epoch: String(epoch), err: (e as Error).message }, "answerKeyAt failed");
      return undefined;
    }
  }

  // --- EpochContext
  seed(epoch: bigint): Hex | undefined {
    return this.seeds.get(epoch);
  }

  ensureSeed(epoch: bigint): Promise<Hex | undefined> {
    return this.seeds.ensure(epoch);
  }

  /**
   * The license snapshot of `epoch`: licenseCountAt(epoch) seats read in pages (getSnapshotLicenses: a
   * few calls for 1,000 licenses, not one each), each counting one for its operator, and each operator's
   * registered key (one call an operator). `changesFrom` is effectiveEpochOfChange() read before it: a
   * snapshot of an earlier epoch is final. Every call at `at`, the block `changesFrom` was read at.
   */
  private async readSnapshot(
    epoch: bigint,
    changesFrom: bigint,
    keyCache: Map<Address, Uint8Array | null>,
    at: { blockNumber: bigint },
  ): Promise<LicenseSnapshot> {
    const seats = await getSnapshotLicenses(this.client, {
      checkerRegistry: this.addresses.checkerRegistry,
      epoch,
      blockNumber: at.blockNumber,
    });
    const ids = new Map<Address, bigint[]>();
    for (const { operator, licenseId } of seats) {
      const list = ids.get(operator);
      if (list === undefined) ids.set(operator, [licenseId]);
      else list.push(licenseId);
    }
    const checkers = new Map<Address, CheckerRecord>();
    for (const [address, { length: licenses }] of ids) {
      let key = keyCache.get(address);
      if (key === undefined) {
        key = await this.readKey(address, at);
        keyCache.set(address, key);
      }
      if (key !== null) checkers.set(address, { address, publicKey: key, licenses });
    }
    // Neighbouring epochs mostly hold the same ids: keep one copy of each list (a few KiB a snapshot).
    const neighbours = [this.snapshots.get(epoch - 1n), this.snapshots.get(epoch + 1n)];
    const licenseIds = sharedIds(
      ids,
      neighbours.flatMap((n) => (n === undefined ? [] : [n.licenseIds])),
    );
    return { checkers, total: seats.length, licenseIds, final: epoch < changesFrom };
  }

  /** The operator's registered key, compressed; null when it has none (exited) or it does not decode. */
  private async readKey(address: Address, at: { blockNumber: bigint }): Promise<Uint8Array | null> {
    const raw = await this.client.readContract({
      address: this.addresses.checkerRegistry,
      abi: checkerRegistryAbi,
      functionName: "publicKeyOf",
      args: [address],
      ...at,
    });
    if (raw === "0x") return null;
    try {
      return g1FromEip2537(hexToBytes(raw));
    } catch (e) {
      this.logger.warn(
        { operator: address, err: (e as Error).message },
        "registered key does not decode; ignored",
      );
      return null;
    }
  }

  /**
   * The held set of `epoch` where it still holds: final, or provisional but read at the same registry
   * version (nothing logged since) in the same chain epoch.
   */
  private heldSet(epoch: bigint, chainEpoch: bigint, list: ProviderListView): CheckingSet | undefined {
    const held = this.checkingSets.get(epoch);
    if (held === undefined) return undefined;
    const same = held.registryVersion === list.registryVersion && held.chainEpoch === chainEpoch;
    return held.final || same ? held : undefined;
  }

  /**
   * The checking set of `epoch` among the registered providers, read at `at`, the block whose chain epoch
   * is `chainEpoch`: final where that epoch makes it so. Every page at that block, from a list holding
   * everyone registered by it (ProviderListReader.complete): pages read at "latest" behind a load-balanced
   * RPC could come from a backend still before an unstake of e - 2's last block while the epoch came from
   * one already in e - 1, and that node held a set the others did not for ever (review3 P1-5).
   */
  private async readCheckingSet(
    epoch: bigint,
    chainEpoch: bigint,
    list: ProviderListView,
    at: { blockNumber: bigint },
  ): Promise<CheckingSet> {
    const { providers: registered } = await this.providerReader.complete(list, at.blockNumber);
    const members = await getCheckingSet(this.client, {
      providerRegistry: this.addresses.providerRegistry,
      epoch,
      providers: registered.map((p) => p.address),
      blockNumber: at.blockNumber,
    });
    const final = isCheckingSetFinal(epoch, chainEpoch);
    return { members, final, readFrom: registered, chainEpoch, registryVersion: list.registryVersion };
  }

  /**
   * The entries of the registered providers, usable or not (the checking duty logs an unusable member once
   * an epoch); the last ones while the registry logged no change (ProviderListReader).
   */
  private recordsOf(registered: readonly RegisteredProvider[]): ProviderEntry[] {
    if (registered === this.providersReadFrom) return this.registered;
    return registered.map(({ address, info }) => toProviderRecord(address, info));
  }
}

import {
  checkerRegistryAbi,
  epochReportsAbi,
  providerRegistryAbi,
} from "@checkernet/contracts/generated/index";
import { g1FromEip2537 } from "@checkernet/protocol/bls/index";
import { GPU_CLASSES, gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import { regionById } from "@checkernet/protocol/challenges/regions";
import type { TranscriptAnswerKey } from "@checkernet/protocol/challenges/transcript";
import type { Logger } from "@checkernet/runtime";
import { peerIdFromMultihash, peerIdFromString } from "@libp2p/peer-id";
import {
  type Address,
  getAddress,
  type Hex,
  hexToBytes,
  type PublicClient,
  zeroAddress,
  zeroHash,
} from "viem";
import type { CheckerRecord, KeyDirectory } from "../validation/keyDirectory.ts";
import type { ProviderDirectory, ProviderRecord } from "../validation/providerDirectory.ts";
import type { EpochContext } from "../validation/sortition.ts";
import type { ActiveProvider } from "./actions/getProviders.ts";
import { getSnapshotLicenses } from "./actions/getSnapshotLicenses.ts";
import { type ChainHealth, isNoAnswer } from "./chainHealth.ts";
import { ProviderListReader } from "./providerList.ts";
import { type SnapshotLicenseIds, sharedIds } from "./snapshotLicenseIds.ts";

/** Polling limits; each says where its number comes from. */
const CHAIN_LIMITS = {
  /**
   * Providers and seeds are refreshed this often. License snapshots change only at epoch boundaries and are
   * read once each (a snapshot of an epoch before `effectiveEpochOfChange` never changes again), so a
   * refresh costs a handful of calls.
   */
  refreshMs: 5_000,
  /**
   * Backoff after a failed refresh doubles up to this (the RPC going away must not be hammered). A failed
   * refresh costs its first two calls (they fail together), so 15 s is light on any RPC; it bounds how long
   * the view (providers, seeds) and /status's `connected` lag the RPC's return when no duty reads the
   * chain meanwhile: within one 20 s devnet epoch (it was 60 s, three of them; issue 14).
   */
  maxBackoffMs: 15_000,
  /**
   * Seeds cached before the current epoch: the gossip window looks 2 epochs back. One ahead, once revealed:
   * the seed of epoch e is final when its proposer has revealed it (isSeedRevealed, during e - 1) or else
   * once e has started (then it is derived from the last reveal), so only a revealed one is read ahead.
   * Reading it ahead means an RPC outage over e's first seconds does not leave e unchecked (issue 14).
   */
  seedsBack: 3n,
  /**
   * License snapshots kept before the current epoch (gossip looks 2 back, a re-check committee or a late
   * report a few more); older ones are read again on demand (ensureEpoch).
   */
  snapshotsBack: 8n,
  /**
   * Epochs a provider stays known (hasProvider) after it was last listed active. A provider whose stake
   * falls under the minimum mid-epoch (a slash landing) leaves the registry's list at once, and each node
   * sees that at its next refresh: a node that dropped it REJECTed the attestations the others had made
   * of it in that epoch and refused every report holding them, late ones too, so the epoch's report and
   * rewards were lost (a 40-epoch devnet run, epoch 13). Its attestations stay valid while their report
   * may still land: the epoch itself and `reportLatenessEpochs` (2) after it.
   */
  providersGraceEpochs: 3n,
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
  private providerList: ProviderRecord[] = [];
  private readonly providerReader: ProviderListReader;
  /** The registry's list `providerList` was made from: the same one again needs no new records. */
  private providersReadFrom: readonly ActiveProvider[] | undefined;
  private providerSet = new Set<Address>();
  /** Each provider listed active in a recent refresh, with the chain epoch of the last one (providersGraceEpochs). */
  private readonly listedAt = new Map<Address, bigint>();
  private seeds = new Map<bigint, Hex>();
  /** In-flight ensureSeed reads, one per epoch however many callers wait. */
  private readonly seedReads = new Map<bigint, Promise<Hex | undefined>>();
  /** answerKeyAt(provider, epoch) of started epochs (final: a key change takes effect a delay later). */
  private readonly answerKeys = new Map<string, TranscriptAnswerKey | null>();
  private chainId: bigint | undefined;
  private timer: NodeJS.Timeout | undefined;
  private backoffMs: number = CHAIN_LIMITS.refreshMs;
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
  }

  start(): void {
    if (this.timer !== undefined) return;
    const loop = async () => {
      const ok = await this.refresh().then(
        () => true,
        () => false,
      );
      this.backoffMs = ok ? CHAIN_LIMITS.refreshMs : Math.min(this.backoffMs * 2, CHAIN_LIMITS.maxBackoffMs);
      if (this.timer !== undefined) this.timer = setTimeout(loop, this.backoffMs);
    };
    this.timer = setTimeout(loop, 0);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
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

  /** Reads a fresh view. Throws (and records the error) when the RPC fails. */
  async refresh(): Promise<void> {
    try {
      const reports = { address: this.addresses.epochReports, abi: epochReportsAbi } as const;
      const registry = { address: this.addresses.checkerRegistry, abi: checkerRegistryAbi } as const;
      const current = await this.client.readContract({ ...reports, functionName: "currentEpoch" });
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
          });
        const snap =
          held?.final === true ? held : await this.readSnapshot(e, changesFrom as bigint, keyCache);
        snapshots.set(e, snap);
        // A final snapshot is kept at once: a refresh that fails later (providers, seeds) loses nothing
        // of it, and ensureEpoch finds it (issue 15: failed refreshes that started over left none).
        if (snap.final) this.snapshots.set(e, snap);
      }
      const providers = await this.readProviders();
      const seeds = await this.readSeeds(current);
      // Older snapshots stay for late attestations, reports and re-checks.
      for (const [e, snap] of this.snapshots) {
        if (!snapshots.has(e) && e + CHAIN_LIMITS.snapshotsBack >= current) snapshots.set(e, snap);
      }
      this.snapshots = snapshots;
      this.current = current;
      this.providerList = providers;
      this.providerSet = new Set(providers.map((p) => p.address));
      for (const p of providers) this.listedAt.set(p.address, current);
      for (const [address, epoch] of this.listedAt)
        if (epoch + CHAIN_LIMITS.providersGraceEpochs < current) this.listedAt.delete(address);
      // Keep seeds ensureSeed read while this view was taken (epochs it had not reached yet).
      const newest = [...seeds.keys()].reduce((a, b) => (b > a ? b : a), 0n);
      for (const [e, seed] of this.seeds) if (e > newest) seeds.set(e, seed);
      this.seeds = seeds;
      this.answeredRefreshError = null;
      Object.assign(this.state, {
        connected: true,
        lastError: null,
        lastAnswerMs: Date.now(),
        lastRefreshMs: Date.now(),
        epoch: String(current),
        checkers: this.snapshotOf(undefined)?.checkers.size ?? 0,
        providers: providers.length,
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
  /** Listed active now, or in a refresh of the last providersGraceEpochs epochs (a slash may just have deactivated it). */
  hasProvider(address: Address): boolean {
    const a = getAddress(address);
    return this.providerSet.has(a) || this.listedAt.has(a);
  }
  totalLicenses(epoch?: bigint): number {
    return this.snapshotOf(epoch)?.total ?? 0;
  }

  async ensureEpoch(epoch: bigint): Promise<boolean> {
    if (epoch < 1n) return false;
    if (this.snapshots.get(epoch)?.final === true) return true;
    let pending = this.snapshotReads.get(epoch);
    if (pending === undefined) {
      pending = (async () => {
        try {
          const changesFrom = await this.client.readContract({
            address: this.addresses.checkerRegistry,
            abi: checkerRegistryAbi,
            functionName: "effectiveEpochOfChange",
          });
          this.snapshots.set(epoch, await this.readSnapshot(epoch, changesFrom, new Map()));
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

  // --- SnapshotLicenseIds
  async licenseIdsAt(epoch: bigint): Promise<ReadonlyMap<Address, readonly bigint[]> | undefined> {
    if (!(await this.ensureEpoch(epoch))) return undefined;
    const snap = this.snapshots.get(epoch);
    return snap?.final === true ? snap.licenseIds : undefined;
  }

  // --- ProviderDirectory
  providers(): readonly ProviderRecord[] {
    return this.providerList;
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
    try {
      const [key, chainId] = await Promise.all([
        this.client.readContract({
          address: this.addresses.providerRegistry,
          abi: providerRegistryAbi,
          functionName: "answerKeyAt",
          args: [getAddress(provider), epoch],
        }),
        this.chainId ?? this.client.getChainId().then(BigInt),
      ]);
      this.chainId = chainId;
      const answer =
        key === zeroAddress
          ? null
          : { key: getAddress(key), chainId, verifyingContract: this.addresses.providerRegistry };
      if (epoch <= this.current) {
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

  /**
   * The license snapshot of `epoch`: licenseCountAt(epoch) seats read in pages (getSnapshotLicenses: a
   * few calls for 1,000 licenses, not one each), each counting one for its operator, and each operator's
   * registered key (one call an operator). `changesFrom` is effectiveEpochOfChange() read before it: a
   * snapshot of an earlier epoch is final.
   */
  private async readSnapshot(
    epoch: bigint,
    changesFrom: bigint,
    keyCache: Map<Address, Uint8Array | null>,
  ): Promise<LicenseSnapshot> {
    const seats = await getSnapshotLicenses(this.client, {
      checkerRegistry: this.addresses.checkerRegistry,
      epoch,
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
        key = await this.readKey(address);
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
  private async readKey(address: Address): Promise<Uint8Array | null> {
    const raw = await this.client.readContract({
      address: this.addresses.checkerRegistry,
      abi: checkerRegistryAbi,
      functionName: "publicKeyOf",
      args: [address],
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

  /** The usable providers; the last list while the registry logged no change (ProviderListReader). */
  private async readProviders(): Promise<ProviderRecord[]> {
    const active = await this.providerReader.read();
    if (active === this.providersReadFrom) return this.providerList;
    const out: ProviderRecord[] = [];
    for (const { address, info } of active) {
      const record = toProviderRecord(address, info);
      if (typeof record === "string") {
        this.logger.warn(
          { provider: address, reason: record },
          "provider registry entry not usable; skipped",
        );
        continue;
      }
      out.push(record);
    }
    this.providersReadFrom = active;
    return out;
  }

  async ensureSeed(epoch: bigint): Promise<Hex | undefined> {
    const known = this.seeds.get(epoch);
    if (known !== undefined) return known;
    let pending = this.seedReads.get(epoch);
    if (pending === undefined) {
      pending = this.readStartedSeed(epoch).finally(() => this.seedReads.delete(epoch));
      this.seedReads.set(epoch, pending);
    }
    return pending;
  }

  /** seedOf(epoch) once the chain's clock has reached `epoch`; undefined before, or when the RPC fails. */
  private async readStartedSeed(epoch: bigint): Promise<Hex | undefined> {
    const reports = { address: this.addresses.epochReports, abi: epochReportsAbi } as const;
    try {
      const current = await this.client.readContract({ ...reports, functionName: "currentEpoch" });
      if (current < epoch) return undefined;
      const seed = await this.client.readContract({ ...reports, functionName: "seedOf", args: [epoch] });
      if (seed === zeroHash) return undefined;
      // A refresh may have replaced the map meanwhile; both hold the same final value.
      this.seeds.set(epoch, seed);
      return seed;
    } catch (e) {
      this.logger.debug({ epoch: String(epoch), err: (e as Error).message }, "seed read failed");
      return undefined;
    }
  }

  private async readSeeds(current: bigint): Promise<Map<bigint, Hex>> {
    const reports = { address: this.addresses.epochReports, abi: epochReportsAbi } as const;
    const out = new Map<bigint, Hex>();
    const from = current > CHAIN_LIMITS.seedsBack ? current - CHAIN_LIMITS.seedsBack : 1n;
    for (let e = from; e <= current; e++) {
      const known = this.seeds.get(e);
      if (known !== undefined) {
        out.set(e, known);
        continue;
      }
      const seed = await this.client.readContract({ ...reports, functionName: "seedOf", args: [e] });
      if (seed !== zeroHash) out.set(e, seed);
    }
    const next = current + 1n;
    const ahead = this.seeds.get(next);
    if (ahead !== undefined) {
      out.set(next, ahead);
    } else if (await this.client.readContract({ ...reports, functionName: "isSeedRevealed", args: [next] })) {
      // Revealed: final, the same value everyone reads once `next` begins.
      out.set(next, await this.client.readContract({ ...reports, functionName: "seedOf", args: [next] }));
    }
    return out;
  }
}

/** A registry entry as the checker needs it, or why it cannot be used. */
function toProviderRecord(
  address: Address,
  info: { peerId: Hex; gpuModel: string; vramMiB: number; region: string },
): ProviderRecord | string {
  let peerId: string;
  try {
    peerId = peerIdFromBytes(hexToBytes(info.peerId));
  } catch (e) {
    return `peer id does not decode: ${(e as Error).message}`;
  }
  const cls = gpuClassOf(info.gpuModel);
  if (cls === undefined) return `unknown GPU model ${JSON.stringify(info.gpuModel)}`;
  let region: number;
  try {
    region = regionById(info.region).code;
  } catch {
    return `unknown region ${JSON.stringify(info.region)}`;
  }
  return {
    address,
    peerId,
    multiaddrs: [],
    classId: cls,
    region,
    vramBytes: info.vramMiB * 2 ** 20,
    // TODO(chain): the dataset salt is the epoch seed the provider filled from; until the registry records it, the zero salt.
    vramSalt: zeroHash,
  };
}

/** GPU class code from a registry model string: a class id ("h100-pcie") or a class model name, case-insensitive. */
export function gpuClassOf(model: string): number | undefined {
  const m = model.trim().toLowerCase();
  try {
    return gpuClass(m).code;
  } catch {
    return GPU_CLASSES.find(
      (c) => c.model.toLowerCase() === m || c.id.replace(/-/g, "") === m.replace(/-/g, ""),
    )?.code;
  }
}

/** A libp2p peer id from its multihash bytes (identity or sha2-256; single-byte code and length). */
export function peerIdFromBytes(bytes: Uint8Array): string {
  // The provider agent registers the UTF-8 text of the base58btc peer id (docs/provider.md);
  // operators register the binary multihash. Both name the same peer.
  if (bytes.length > 0 && bytes.every((b) => BASE58_BYTES.has(b))) {
    return peerIdFromString(new TextDecoder().decode(bytes)).toString();
  }
  if (bytes.length < 2) throw new Error("multihash too short");
  const code = bytes[0]!;
  const size = bytes[1]!;
  if ((code !== 0x00 && code !== 0x12) || bytes.length !== size + 2)
    throw new Error("not an identity or sha2-256 multihash");
  const digest = bytes.subarray(2);
  return peerIdFromMultihash({ code, size, digest, bytes } as never).toString();
}

const BASE58_BYTES = new Set(
  [..."123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"].map((c) => c.charCodeAt(0)),
);

import {
  checkerRegistryAbi,
  epochReportsAbi,
  providerRegistryAbi,
} from "@checkernet/contracts/generated/index";
import { g1FromEip2537 } from "@checkernet/protocol/bls/index";
import { GPU_CLASSES, gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import { regionById } from "@checkernet/protocol/challenges/regions";
import { peerIdFromMultihash, peerIdFromString } from "@libp2p/peer-id";
import { type Address, getAddress, type Hex, hexToBytes, type PublicClient, zeroHash } from "viem";
import type { Logger } from "../logger.ts";
import type { CheckerRecord, KeyDirectory } from "./keyDirectory.ts";
import type { ProviderDirectory, ProviderRecord } from "./providerDirectory.ts";
import type { EpochContext } from "./sortition.ts";

/** Polling limits; each says where its number comes from. */
export const CHAIN_LIMITS = {
  /** Registry snapshots are refreshed this often: registrations take effect at epoch boundaries, so a few seconds is plenty. */
  refreshMs: 5_000,
  /** Backoff after a failed refresh doubles up to this (the RPC going away must not be hammered). */
  maxBackoffMs: 60_000,
  /**
   * Seeds cached before the current epoch: the gossip window looks 2 epochs back. None ahead: a
   * seed is final only once its epoch has started (a report landing late in epoch e rewrites
   * seedOf(e + 1)), so a seed read ahead could differ from everyone else's (ensureSeed reads it then).
   */
  seedsBack: 3n,
} as const;

export interface ChainAddresses {
  checkerRegistry: Address;
  providerRegistry: Address;
  epochReports: Address;
}

export interface ChainStatus {
  connected: boolean | null;
  lastError: string | null;
  lastRefreshMs: number | null;
  checkers: number;
  providers: number;
}

/**
 * Registry and epoch state read from the contracts with viem: operators with
 * their BLS keys and license weight (CheckerRegistry), providers with their
 * peer id, GPU class, VRAM and region (ProviderRegistry), and epoch seeds
 * (EpochReports). Snapshots are replaced whole after a successful refresh; a
 * failed one keeps the last snapshot, backs off, and shows in `status()`.
 */
export class ChainDirectory implements KeyDirectory, ProviderDirectory, EpochContext {
  private readonly client: PublicClient;
  private readonly addresses: ChainAddresses;
  private readonly logger: Logger;
  private checkers = new Map<Address, CheckerRecord>();
  private providerList: ProviderRecord[] = [];
  private providerSet = new Set<Address>();
  private seeds = new Map<bigint, Hex>();
  /** In-flight ensureSeed reads, one per epoch however many callers wait. */
  private readonly seedReads = new Map<bigint, Promise<Hex | undefined>>();
  private total = 0;
  private timer: NodeJS.Timeout | undefined;
  private backoffMs: number = CHAIN_LIMITS.refreshMs;
  private readonly state: ChainStatus = {
    connected: null,
    lastError: null,
    lastRefreshMs: null,
    checkers: 0,
    providers: 0,
  };

  constructor(
    components: { publicClient: PublicClient; logger: Logger },
    init: { addresses: ChainAddresses },
  ) {
    this.client = components.publicClient;
    this.logger = components.logger;
    this.addresses = init.addresses;
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
    return { ...this.state };
  }

  /** Reads a fresh snapshot. Throws (and records the error) when the RPC fails. */
  async refresh(): Promise<void> {
    try {
      const [checkers, total] = await this.readCheckers();
      const providers = await this.readProviders();
      const seeds = await this.readSeeds();
      this.checkers = checkers;
      this.total = total;
      this.providerList = providers;
      this.providerSet = new Set(providers.map((p) => p.address));
      // Keep seeds ensureSeed read while this snapshot was taken (epochs it had not reached yet).
      const newest = [...seeds.keys()].reduce((a, b) => (b > a ? b : a), 0n);
      for (const [e, seed] of this.seeds) if (e > newest) seeds.set(e, seed);
      this.seeds = seeds;
      Object.assign(this.state, {
        connected: true,
        lastError: null,
        lastRefreshMs: Date.now(),
        checkers: checkers.size,
        providers: providers.length,
      });
    } catch (e) {
      const message = (e as { shortMessage?: string }).shortMessage ?? (e as Error).message;
      Object.assign(this.state, { connected: false, lastError: message });
      this.logger.warn({ err: message }, "chain refresh failed; keeping the last snapshot");
      throw e;
    }
  }

  // --- KeyDirectory
  getChecker(address: Address): CheckerRecord | undefined {
    return this.checkers.get(getAddress(address));
  }
  hasProvider(address: Address): boolean {
    return this.providerSet.has(getAddress(address));
  }
  totalLicenses(): number {
    return this.total;
  }

  // --- ProviderDirectory
  providers(): readonly ProviderRecord[] {
    return this.providerList;
  }

  // --- EpochContext
  seed(epoch: bigint): Hex | undefined {
    return this.seeds.get(epoch);
  }

  private async readCheckers(): Promise<[Map<Address, CheckerRecord>, number]> {
    const registry = { address: this.addresses.checkerRegistry, abi: checkerRegistryAbi } as const;
    const count = await this.client.readContract({ ...registry, functionName: "activeLicenseCount" });
    const weights = new Map<Address, number>();
    for (let i = 0n; i < count; i++) {
      const [, operator] = await this.client.readContract({
        ...registry,
        functionName: "activeLicenseAt",
        args: [i],
      });
      const a = getAddress(operator);
      weights.set(a, (weights.get(a) ?? 0) + 1);
    }
    const out = new Map<Address, CheckerRecord>();
    for (const [address, licenses] of weights) {
      const raw = await this.client.readContract({
        ...registry,
        functionName: "publicKeyOf",
        args: [address],
      });
      try {
        out.set(address, { address, publicKey: g1FromEip2537(hexToBytes(raw)), licenses });
      } catch (e) {
        this.logger.warn(
          { operator: address, err: (e as Error).message },
          "registered key does not decode; ignored",
        );
      }
    }
    return [out, Number(count)];
  }

  private async readProviders(): Promise<ProviderRecord[]> {
    const reg = { address: this.addresses.providerRegistry, abi: providerRegistryAbi } as const;
    const count = await this.client.readContract({ ...reg, functionName: "providerCount" });
    const out: ProviderRecord[] = [];
    for (let i = 0n; i < count; i++) {
      const address = getAddress(
        await this.client.readContract({ ...reg, functionName: "providerAt", args: [i] }),
      );
      if (!(await this.client.readContract({ ...reg, functionName: "isActive", args: [address] }))) continue;
      const info = await this.client.readContract({ ...reg, functionName: "providerInfo", args: [address] });
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

  private async readSeeds(): Promise<Map<bigint, Hex>> {
    const reports = { address: this.addresses.epochReports, abi: epochReportsAbi } as const;
    const current = await this.client.readContract({ ...reports, functionName: "currentEpoch" });
    const out = new Map<bigint, Hex>();
    const from = current > CHAIN_LIMITS.seedsBack ? current - CHAIN_LIMITS.seedsBack : 1n;
    for (let e = from; e <= current; e++) {
      const seed = await this.client.readContract({ ...reports, functionName: "seedOf", args: [e] });
      if (seed !== zeroHash) out.set(e, seed);
    }
    return out;
  }
}

/** A registry entry as the checker needs it, or why it cannot be used. */
export function toProviderRecord(
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

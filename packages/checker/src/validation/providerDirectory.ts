import type { TranscriptAnswerKey } from "@checkernet/protocol/challenges/transcript";
import { type Address, getAddress, type Hex } from "viem";

/** What the checker needs to know about one registered provider. */
export interface ProviderRecord {
  address: Address;
  /** Registered libp2p peer id (base58btc); the challenge stream is authenticated against it. */
  peerId: string;
  /** Known addresses of the peer (multiaddr strings, with or without /p2p/); may be empty when the DHT finds it. */
  multiaddrs: string[];
  /** Claimed GPU class code (gpu-classes.ts) and region code (regions.ts). */
  classId: number;
  region: number;
  /** Claimed VRAM, bytes (sets the VRAM walk's block count). */
  vramBytes: number;
  /** Salt of the provider's VRAM dataset (the epoch seed it filled its memory from). */
  vramSalt: Hex;
  /** A static directory's answer key (tests, devnets without a chain); the chain directory reads it per epoch. */
  answer?: TranscriptAnswerKey;
}

/** Which field of a registry entry the checker cannot use, and why (chain/providerRecord.ts). */
export interface UnusableEntry {
  field: "peerId" | "gpuModel" | "region";
  reason: string;
}

/**
 * A provider whose registry entry cannot be challenged (a peer id that does not decode, a GPU model or region
 * no checker knows). A member of a checking set all the same: its committees attest TIMEOUT without a run
 * instead of skipping it, so it is never left to whoever chooses to attest it (review3 P1-1, issue 14).
 */
export interface UnusableProvider {
  address: Address;
  unusable: UnusableEntry;
}

/** A provider as the directory holds it: challengeable, or not (UnusableProvider). */
export type ProviderEntry = ProviderRecord | UnusableProvider;

export function isUnusable(p: ProviderEntry): p is UnusableProvider {
  return "unusable" in p;
}

/** Registered providers (fed by the chain client; a static list in tests and devnets until then). */
export interface ProviderDirectory {
  /**
   * Every member of the checking set of `epoch` (packages/protocol/src/checkingSet.ts; the chain directory
   * holds it after ensureEpoch(epoch); none for an epoch it does not hold), whatever its registry entry says
   * (one it cannot use is an UnusableProvider); without an epoch, those of the current epoch.
   */
  providers(epoch?: bigint): readonly ProviderEntry[];
  /**
   * A registered provider by address, whether in a checking set now or not: a re-check runs on the accused
   * provider even after it unstaked (issue 14), and FAILs it when its entry is no longer usable.
   */
  registeredProvider(address: Address): ProviderEntry | undefined;
  /**
   * The provider's answer key for `epoch` (ProviderRegistry.answerKeyAt) with its signing domain; undefined
   * when it has none (judged without the signature rule) or the directory cannot tell.
   */
  answerKeyAt?(provider: Address, epoch: bigint): Promise<TranscriptAnswerKey | undefined>;
}

export class StaticProviderDirectory implements ProviderDirectory {
  private readonly list: ProviderEntry[];
  constructor(list: readonly ProviderEntry[] = []) {
    this.list = list.map((p) => ({ ...p, address: getAddress(p.address) }));
  }
  providers(_epoch?: bigint): readonly ProviderEntry[] {
    return this.list;
  }
  registeredProvider(address: Address): ProviderEntry | undefined {
    return this.list.find((p) => p.address === getAddress(address));
  }
  async answerKeyAt(provider: Address): Promise<TranscriptAnswerKey | undefined> {
    const p = this.registeredProvider(provider);
    return p === undefined || isUnusable(p) ? undefined : p.answer;
  }
}

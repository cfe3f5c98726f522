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

/** Registered providers (fed by the chain client; a static list in tests and devnets until then). */
export interface ProviderDirectory {
  /**
   * The providers checked in `epoch` (its checking set, packages/protocol/src/checkingSet.ts; the chain
   * directory holds it after ensureEpoch(epoch); none for an epoch it does not hold); without one, those of
   * the current epoch.
   */
  providers(epoch?: bigint): readonly ProviderRecord[];
  /**
   * A registered provider by address, whether in a checking set now or not: a re-check runs on the accused
   * provider even after it unstaked (issue 14).
   */
  registeredProvider(address: Address): ProviderRecord | undefined;
  /**
   * The provider's answer key for `epoch` (ProviderRegistry.answerKeyAt) with its signing domain; undefined
   * when it has none (judged without the signature rule) or the directory cannot tell.
   */
  answerKeyAt?(provider: Address, epoch: bigint): Promise<TranscriptAnswerKey | undefined>;
}

export class StaticProviderDirectory implements ProviderDirectory {
  private readonly list: ProviderRecord[];
  constructor(list: readonly ProviderRecord[] = []) {
    this.list = list.map((p) => ({ ...p, address: getAddress(p.address) }));
  }
  providers(_epoch?: bigint): readonly ProviderRecord[] {
    return this.list;
  }
  registeredProvider(address: Address): ProviderRecord | undefined {
    return this.list.find((p) => p.address === getAddress(address));
  }
  async answerKeyAt(provider: Address): Promise<TranscriptAnswerKey | undefined> {
    return this.list.find((p) => p.address === getAddress(provider))?.answer;
  }
}

import type { ProtocolParams } from "@checkernet/protocol/params";
import type { Logger } from "@checkernet/runtime";
import type { PrivateKey } from "@libp2p/interface";
import type { PublicClient } from "viem";
import type { CheckerConfig } from "../config.ts";
import type { SubmitterWallet } from "../duties/aggregatorDuty.ts";
import type { RecheckInit } from "../duties/recheckDuty.ts";
import type { KeyDirectory } from "../validation/keyDirectory.ts";
import type { ProviderDirectory } from "../validation/providerDirectory.ts";
import type { EpochContext } from "../validation/sortition.ts";

/** What CheckerNode.create() takes: the config plus what tests and embedders may pass in instead. */
export interface CheckerNodeOptions {
  config: CheckerConfig;
  logger: Logger;
  /** The unlocked BLS operator key; the node runs read-only without it. */
  operatorSecretKey?: Uint8Array;
  /** Registered checkers and providers (the chain client feeds it; a static map until then). */
  keys?: KeyDirectory;
  /** Epoch seeds (the chain client feeds it). */
  epochs?: EpochContext;
  /** Registered providers (the chain client feeds it). */
  providers?: ProviderDirectory;
  /** Protocol parameters (the chain's; defaults otherwise). */
  params?: ProtocolParams;
  peerKey?: PrivateKey;
  /**
   * A viem public client for the chain; built from config.rpcUrl when the
   * registry addresses are configured and none is given (tests pass Hardhat's).
   */
  publicClient?: PublicClient;
  /**
   * Pays for report submissions; built from config.txPrivateKey / txKeyFile
   * when none is given (tests pass Hardhat's wallet clients).
   */
  walletClient?: SubmitterWallet;
  /** Aggregation timing overrides (defaults: fractions of the publish phase). */
  aggregator?: { collectDelayMs?: number; backupTimeoutMs?: number };
  /** Re-check timing and rule overrides (duties/recheckDuty.ts; defaults from the epoch's phases). */
  recheck?: Pick<RecheckInit, "collectDelayMs" | "backupTimeoutMs" | "pollMs" | "rules">;
  /** Allows loopback/LAN addresses in the DHT (devnets and tests). */
  allowPrivateAddresses?: boolean;
  heartbeatIntervalMs?: number;
}

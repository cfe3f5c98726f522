import type { BlsBackend } from "@checkernet/protocol/bls/backend";
import type { ProtocolParams } from "@checkernet/protocol/params";
import type { RecheckRules, SignedRecheckResult } from "@checkernet/protocol/recheck";
import type { NetworkDomain } from "@checkernet/protocol/types";
import type { Logger } from "@checkernet/runtime";
import type { PeerId } from "@libp2p/interface";
import type { Address, PublicClient } from "viem";
import type { EpochClock } from "../chain/clock.ts";
import type { ChallengeClient } from "../challenges/client.ts";
import type { CheckerDb } from "../db/checkerDb.ts";
import type { CheckerFaults } from "../faults/faults.ts";
import type { RecheckCosignRequest } from "../network/reqresp/recheck.ts";
import type { KeyDirectory } from "../validation/keyDirectory.ts";
import type { ProviderDirectory } from "../validation/providerDirectory.ts";
import type { SubmitterWallet } from "./leader/submitOnce.ts";

// The re-check duty's inputs, apart from the duty so that its plugin can name them without importing the duty.

export interface RecheckComponents {
  clock: EpochClock;
  keys: KeyDirectory;
  providers: ProviderDirectory;
  client: ChallengeClient;
  db: CheckerDb;
  bls: BlsBackend;
  logger: Logger;
  publicClient: PublicClient;
  /** Pays for submitRecheck; without it the node re-checks and co-signs but never leads. */
  walletClient?: SubmitterWallet;
  requestResult(peer: PeerId, slashId: bigint, timeoutMs: number): Promise<SignedRecheckResult>;
  requestCosign(peer: PeerId, request: RecheckCosignRequest, timeoutMs: number): Promise<Uint8Array>;
  /** Makes the provider's addresses known to libp2p before dialing. */
  addPeerAddresses?(peerId: string, multiaddrs: string[]): Promise<void>;
  /**
   * The node's equivocation book (validation/equivocations.ts): a checker barred from leading an epoch's
   * report (EquivocationBook.barredFromLeading) leads no re-check in that epoch either.
   */
  equivocations?: { barredFromLeading(epoch: bigint): ReadonlySet<string> };
}

export interface RecheckInit {
  operator: Address;
  secretKey: Uint8Array;
  domain: NetworkDomain;
  params: ProtocolParams;
  addresses: { slashing: Address; epochReports: Address; checkerRegistry: Address };
  rules?: RecheckRules;
  faults?: CheckerFaults;
  /**
   * How often RecheckRequested logs and open re-checks are polled (each poll reads the block number and
   * new logs); default a quarter of the backup step, at least 2 s (turnPollMs).
   */
  pollMs?: number;
  /**
   * Wait after the re-check epoch starts before the leader collects results:
   * the members' challenge runs. Default: the epoch's checking phase.
   */
  collectDelayMs?: number;
  /** Each backup leader steps in this much after the one before it. Default: a fifth of the publish phase. */
  backupTimeoutMs?: number;
  /** Submission attempts on RPC errors (default 5), backing off from retryBaseMs (default 500 ms) doubling. */
  submitAttempts?: number;
  retryBaseMs?: number;
  /** Blocks per log query (default 5000), so a long-idle node never asks an RPC for an unbounded range. */
  logChunkBlocks?: bigint;
}

import type { BlsBackend } from "@checkernet/protocol/bls/backend";
import type { ProtocolParams } from "@checkernet/protocol/params";
import type { NetworkDomain, SignedAttestation } from "@checkernet/protocol/types";
import type { Logger } from "@checkernet/runtime";
import type { PeerId } from "@libp2p/interface";
import type { Address, PublicClient } from "viem";
import type { EpochClock } from "../chain/clock.ts";
import type { SnapshotLicenseIds } from "../chain/snapshotLicenseIds.ts";
import type { CheckerDb } from "../db/checkerDb.ts";
import type { CosignRequest } from "../network/reqresp/cosign.ts";
import type { KeyDirectory } from "../validation/keyDirectory.ts";
import type { ProviderDirectory } from "../validation/providerDirectory.ts";
import type { EpochContext } from "../validation/sortition.ts";
import type { SubmitterWallet } from "./leader/submitOnce.ts";

// The aggregator duty's inputs, apart from the duty so that its plugin can name them without importing the duty.

interface AggregatorAddresses {
  epochReports: Address;
  checkerRegistry: Address;
  providerRegistry: Address;
  /** When set, the submitter opens the pending slashes of its report's FAIL leaves (Slashing.openSlash). */
  slashing?: Address;
}

/** What a conflicting pair is reported to: the equivocation book (validation/equivocations.ts). */
export interface EquivocationSink {
  /** Checkers this node holds equivocation evidence against for `epoch` (lower-case addresses). */
  equivocators(epoch: bigint): ReadonlySet<string>;
  /** Checkers left out of `epoch`'s aggregator ranking: evidence for it or a recent epoch before it. */
  barredFromLeading?(epoch: bigint): ReadonlySet<string>;
  /** A valid attestation that conflicts with a held one: stores and gossips the pair. */
  onConflict(held: SignedAttestation, other: SignedAttestation): Promise<void>;
}

/** Fetches the epoch's attestations this node lacks from peers, through the gossip rules (duties/attestationSync.ts). */
export interface AttestationSyncer {
  /** Never throws; bounded by `deadlineMs` (the syncer's default when absent). */
  syncEpoch(epoch: bigint, options?: { deadlineMs?: number }): Promise<unknown>;
}

export interface AggregatorComponents {
  clock: EpochClock;
  epochs: EpochContext;
  keys: KeyDirectory;
  providers: ProviderDirectory;
  db: CheckerDb;
  bls: BlsBackend;
  logger: Logger;
  publicClient: PublicClient;
  /** Equivocators to leave out, and where a conflict a co-sign request shows goes (validation/equivocations.ts). */
  equivocations?: EquivocationSink;
  /** The license snapshots the node holds (its ChainDirectory): a report's license ids come from there, not the chain. */
  snapshots?: SnapshotLicenseIds;
  /** Pays for submitReport; without it the node co-signs but never aggregates. */
  walletClient?: SubmitterWallet;
  /**
   * Asks a committee member for its co-signature (the cosign protocol's
   * client); `timeoutMs` is the backup step, so one silent member cannot
   * hold the leader past the moment its first backup steps in.
   */
  requestCosign(peer: PeerId, request: CosignRequest, timeoutMs: number): Promise<Uint8Array>;
  /**
   * Attestation sync (docs/protocol/attestation-sync.md): run before the node ranks and leads a
   * round, and before it judges a co-sign request that names attestations it lacks.
   */
  attestationSync?: AttestationSyncer;
}

export interface AggregatorInit {
  operator: Address;
  secretKey: Uint8Array;
  domain: NetworkDomain;
  params: ProtocolParams;
  addresses: AggregatorAddresses;
  /**
   * Gossip grace after the publish phase opens before the leader builds:
   * attestations published at publishStart need a moment to reach everyone.
   * Default: a fifth of the publish phase.
   */
  collectDelayMs?: number;
  /** Each backup waits this much longer than the one before it. Default: a fifth of the publish phase. */
  backupTimeoutMs?: number;
  /** Submission attempts on RPC errors (default 5), backing off from retryBaseMs (default 500 ms) doubling. */
  submitAttempts?: number;
  retryBaseMs?: number;
  /** Longest wait before resending a report the chain found too early (default: one epoch). */
  earlyRetryMaxMs?: number;
  /** The member's rule's maxUnseen (cosigner.ts COSIGN_TOLERANCE, 1,024 by default); tests lower it. */
  cosignMaxUnseen?: number;
}

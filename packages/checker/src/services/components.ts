import type { BlsBackend } from "@checkernet/protocol/bls/index";
import type { ProtocolParams } from "@checkernet/protocol/params";
import type { NetworkDomain } from "@checkernet/protocol/types";
import type { Logger } from "@checkernet/runtime";
import type { Address, Hex, PublicClient } from "viem";
import type { ChainDirectory } from "../chain/chainDirectory.ts";
import type { EpochClock } from "../chain/clock.ts";
import type { ChallengeClient } from "../challenges/client.ts";
import type { WorkerTranscriptEvaluator } from "../challenges/evaluator.ts";
import type { CheckerConfig } from "../config.ts";
import type { CheckerDb } from "../db/checkerDb.ts";
import type { SubmitterWallet } from "../duties/aggregatorDuty.ts";
import type { CheckerFaults } from "../faults/faults.ts";
import type { Metrics } from "../metrics/index.ts";
import type { CheckerHost } from "../network/host.ts";
import type { BlsBatchVerifier } from "../validation/bls/batchVerifier.ts";
import type { EquivocationBook } from "../validation/equivocations.ts";
import type { KeyDirectory } from "../validation/keyDirectory.ts";
import type { ProviderDirectory } from "../validation/providerDirectory.ts";
import type { SeenAttestations } from "../validation/seenCache.ts";
import type { EpochContext } from "../validation/sortition.ts";

/** The chain connection; present when the registry addresses are configured. */
export interface ChainComponents {
  publicClient: PublicClient;
  /** The chain client: registered operators, keys, licenses, providers and epoch seeds. */
  directory: ChainDirectory;
  contracts: { checkerRegistry: Address; providerRegistry: Address; epochReports: Address };
}

/** Who this node signs for; present with an unlocked operator key and a configured operator address. */
export interface OperatorIdentity {
  address: Address;
  secretKey: Uint8Array;
}

/**
 * What the node's services are built from, each built once per node
 * (services/buildComponents.ts). Optional parts are undefined when their
 * configuration is absent, and the services that need them are then not built.
 */
export interface NodeComponents {
  config: CheckerConfig;
  logger: Logger;
  metrics: Metrics;
  host: CheckerHost;
  db: CheckerDb;
  bls: BlsBackend;
  verifier: BlsBatchVerifier;
  clock: EpochClock;
  domain: NetworkDomain;
  params: ProtocolParams;
  seen: SeenAttestations;
  /** Equivocation evidence: stored, gossiped, and the equivocators left out of aggregation. */
  equivocations: EquivocationBook;
  /** One directory and one seed source, shared by gossip validation and the duties. */
  keys: KeyDirectory;
  epochs: EpochContext;
  providers: ProviderDirectory;
  /** Challenge transcripts are evaluated on a worker thread (evaluator.ts says why). */
  evaluator: WorkerTranscriptEvaluator;
  /** The one challenge client: the checking and the re-check duties run their challenges with it. */
  challenges: ChallengeClient;
  faults: CheckerFaults;
  /** Pays for report, re-check and seed transactions; absent without txPrivateKey / txKeyFile. */
  walletClient: SubmitterWallet | undefined;
  chain: ChainComponents | undefined;
  operator: OperatorIdentity | undefined;
  /** The operator key's BLS public key (status, standing); null without a key. */
  operatorPublicKey: Hex | null;
  /** Adds a registered peer's addresses (from the chain) to the peer store; unparsable ones are skipped. */
  addPeerAddresses(peerId: string, addrs: readonly string[]): Promise<void>;
}

/** What the duties that read the chain and sign for the operator share; `service` names their log lines. */
export function chainDutyComponents(c: NodeComponents, chain: ChainComponents, service: string) {
  return {
    clock: c.clock,
    keys: c.keys,
    providers: c.providers,
    db: c.db,
    bls: c.bls,
    logger: c.logger.child({ service }),
    publicClient: chain.publicClient,
    ...(c.walletClient === undefined ? {} : { walletClient: c.walletClient }),
  };
}

/** Who the aggregator and re-check duties sign as, and under which domain and parameters. */
export function operatorInit(c: NodeComponents, operator: OperatorIdentity) {
  return { operator: operator.address, secretKey: operator.secretKey, domain: c.domain, params: c.params };
}

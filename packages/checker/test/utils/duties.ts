import type { BlsBackend } from "@checkernet/protocol/bls/backend";
import type { ProtocolParams } from "@checkernet/protocol/params";
import type { Logger } from "@checkernet/runtime";
import type { Checker, Fixture } from "../../../contracts/test/helpers/fixture.ts";
import type { ChainDirectory } from "../../src/chain/chainDirectory.ts";
import type { EpochClock } from "../../src/chain/clock.ts";
import type { CheckerDb } from "../../src/db/checkerDb.ts";
import { AggregatorDuty, type SubmitterWallet } from "../../src/duties/aggregatorDuty.ts";
import type { AggregatorInit, EquivocationSink } from "../../src/duties/aggregatorTypes.ts";
import type { Metrics } from "../../src/metrics/index.ts";
import type { CheckerHost } from "../../src/network/host.ts";
import { requestCosign } from "../../src/network/reqresp/cosign.ts";
import type { AttestationValidationContext } from "../../src/validation/attestation.ts";
import { BlsBatchVerifier } from "../../src/validation/bls/batchVerifier.ts";
import { EquivocationBook } from "../../src/validation/equivocations.ts";
import { SeenAttestations } from "../../src/validation/seenCache.ts";
import { dutyAddresses } from "./chain.ts";

/** What a test node's AggregatorDuty runs over: one checker of the fixture and the node's parts. */
export interface TestDutyNode {
  fx: Fixture;
  checker: Checker;
  /** The node's view of the chain: its epochs, keys and providers. */
  directory: ChainDirectory;
  clock: EpochClock;
  db: CheckerDb;
  bls: BlsBackend;
  logger: Logger;
  params: ProtocolParams;
  /** Asks committee members for co-signatures over this host; without one the checker reaches no other member. */
  host?: CheckerHost;
  /** Pays for submitReport (default: the checker's own wallet). */
  walletClient?: SubmitterWallet;
  /** The node's equivocation book (validation/equivocations.ts), when the test runs one. */
  equivocations?: EquivocationSink;
}

/** The timings a test shortens so that backups, retries and resends happen within the test. */
type DutyTimings = Pick<AggregatorInit, "backupTimeoutMs" | "retryBaseMs" | "earlyRetryMaxMs">;

/** The AggregatorDuty a node of `node.checker` runs, over the fixture's deployment. */
export function aggregatorDuty(node: TestDutyNode, timings: DutyTimings = {}): AggregatorDuty {
  const { fx, checker, directory, host } = node;
  return new AggregatorDuty(
    {
      clock: node.clock,
      epochs: directory,
      keys: directory,
      providers: directory,
      db: node.db,
      bls: node.bls,
      logger: node.logger,
      publicClient: fx.chain.publicClient,
      walletClient: node.walletClient ?? checker.wallet,
      ...(node.equivocations === undefined ? {} : { equivocations: node.equivocations }),
      requestCosign:
        host === undefined
          ? () => Promise.reject(new Error("no other member"))
          : (peer, request, timeoutMs) => requestCosign(host, peer, request, { timeoutMs }),
    },
    {
      operator: checker.address,
      secretKey: checker.key.secretKey,
      domain: fx.domain,
      params: node.params,
      addresses: dutyAddresses(fx),
      ...timings,
    },
  );
}

/**
 * A node's equivocation book and its attestation topic's validation context (services/gossip.ts
 * attestationValidation) over the node's parts: the deployment's domain, keys and epochs, a fresh seen cache
 * and BLS verifier, conflicts handed to the book.
 */
export function gossipValidation(
  node: Pick<TestDutyNode, "fx" | "directory" | "clock" | "db" | "bls" | "logger" | "params">,
  metrics: Metrics,
): { book: EquivocationBook; validation: AttestationValidationContext } {
  const { fx, directory, clock, db, bls, logger } = node;
  const book = new EquivocationBook({ db, keys: directory, bls, domain: fx.domain, clock, logger, metrics });
  return {
    book,
    validation: {
      domain: fx.domain,
      clock,
      keys: directory,
      seen: new SeenAttestations(),
      verifier: new BlsBatchVerifier({ backend: bls, metrics }),
      committeeSize: node.params.committeeSize,
      epochs: directory,
      verifiedVrf: new Set(),
      onConflict: (signed) => void book.onGossipConflict(signed),
    },
  };
}

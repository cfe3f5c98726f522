import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * Every metric the node exports, on its own registry (never prom-client's
 * global one, so several nodes can live in one test process). Each has a HELP
 * text; labels only ever hold error codes and other bounded values.
 */
export interface Metrics {
  registry: Registry;
  gossipValidationResult: Counter<"topic" | "result">;
  gossipValidationError: Counter<"topic" | "code">;
  gossipValidationSeconds: Histogram<"topic">;
  /** New peer identities refused at the handshake by the inbound identity budget (network/identityBudget.ts). */
  identitiesRefused: Counter<"reason">;
  blsBatchSets: Histogram;
  blsBatchRetries: Counter;
  blsSignatureSets: Counter<"result">;
  challengeRuns: Counter<"kind" | "result">;
  challengeSeconds: Histogram<"kind">;
  peers: Gauge;
  dbWrites: Counter<"kind">;
  slashingProtectionRefusals: Counter;
  /** Epochs this node was the seed proposer of, by outcome (duties/seedDuty.ts). */
  seedReveals: Counter<"result">;
  /** Matmul fraud proofs this node built and what came of them (duties/fraudProofDuty.ts). */
  fraudProofs: Counter<"result">;
  /** Slash keeper transactions (duties/slashKeeper.ts): open, executeSlash, expireContest, by outcome. */
  slashKeeperActions: Counter<"action" | "outcome">;
  /** Slashable FAIL leaves this node holds that are still unopened an epoch after their report landed. */
  slashesUnopened: Gauge;
  /** Equivocation evidence this node stored, by how it found it (validation/equivocations.ts). */
  equivocations: Counter<"source">;
  /** Epochs of the last 64 that closed without a report on chain (reports/unreportedEpochs.ts). */
  unreportedEpochs: Gauge;
  /** Epochs found closed without a report, since start. */
  unreportedEpochsTotal: Counter;
  /** Active alerts (value 1 each), computed at scrape time from `alertSource`. */
  alerts: Gauge<"code" | "severity">;
  /** Where `alerts` reads them: the node sets it to its /status alerts. */
  alertSource: { read?: () => Promise<readonly { code: string; severity: string }[]> };
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics === true)
    // prom-client's default names already start with process_ or nodejs_:
    // checker_process_resident_memory_bytes, checker_nodejs_eventloop_lag_p99_seconds.
    collectDefaultMetrics({ register: registry, prefix: "checker_" });
  const registers = [registry];
  const alertSource: Metrics["alertSource"] = {};
  return {
    registry,
    gossipValidationResult: new Counter({
      name: "checker_gossip_validation_result_total",
      help: "Gossip messages by validation outcome (accept, ignore, reject) per topic",
      labelNames: ["topic", "result"],
      registers,
    }),
    gossipValidationError: new Counter({
      name: "checker_gossip_validation_error_total",
      help: "Gossip messages refused, by topic and error code (AttestationErrorCode)",
      labelNames: ["topic", "code"],
      registers,
    }),
    gossipValidationSeconds: new Histogram({
      name: "checker_gossip_validation_seconds",
      help: "Time to validate one gossip message, signature batching included",
      labelNames: ["topic"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    identitiesRefused: new Counter({
      name: "checker_identities_refused_total",
      help: "New inbound peer identities refused after the handshake, by the budget that was spent: ip (the address's), prefix (its /24 or /48's, once the table of addresses is full), overflow (one shared, once the prefixes' is too)",
      labelNames: ["reason"],
      registers,
    }),
    blsBatchSets: new Histogram({
      name: "checker_bls_batch_sets",
      help: "Signature sets per batch verification",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers,
    }),
    blsBatchRetries: new Counter({
      name: "checker_bls_batch_retries_total",
      help: "Batches that failed and were re-checked one signature at a time",
      registers,
    }),
    blsSignatureSets: new Counter({
      name: "checker_bls_signature_sets_total",
      help: "Signature sets verified through the batching queue, by result (valid, invalid)",
      labelNames: ["result"],
      registers,
    }),
    challengeRuns: new Counter({
      name: "checker_challenge_runs_total",
      help: "Challenge runs against providers, by challenge kind and result (pass, fail, timeout; abstained: failed on time alone while this checker's own event loop was stalled, so not attested; retried: late only, so run once more and the second run attested)",
      labelNames: ["kind", "result"],
      registers,
    }),
    challengeSeconds: new Histogram({
      name: "checker_challenge_seconds",
      help: "Wall time of one challenge run, by challenge kind",
      labelNames: ["kind"],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30],
      registers,
    }),
    peers: new Gauge({ name: "checker_peers", help: "Connected libp2p peers", registers }),
    equivocations: new Counter({
      name: "checker_equivocations_total",
      help: "Equivocation evidence stored (two valid attestations by one checker for one epoch and provider), by source: gossip-conflict, cosign-conflict, evidence-topic",
      labelNames: ["source"],
      registers,
    }),
    unreportedEpochs: new Gauge({
      name: "checker_unreported_epochs",
      help: "Epochs of the last 64 that this node attested in and whose report never landed: the contract's lateness window (reportLatenessEpochs) closed with reportOf(epoch) empty, so their rewards are lost",
      registers,
    }),
    unreportedEpochsTotal: new Counter({
      name: "checker_unreported_epochs_total",
      help: "Epochs found closed without a report on chain (their lateness window over), since this node started",
      registers,
    }),
    alerts: new Gauge({
      name: "checker_alerts",
      help: "Active alerts (1 per alert), by code and severity, as /status reports them (computed at scrape time)",
      labelNames: ["code", "severity"],
      registers,
      async collect() {
        const read = alertSource.read;
        if (read === undefined) return;
        // A failed read keeps the last values rather than reporting "no alerts".
        const list = await read().catch(() => undefined);
        if (list === undefined) return;
        this.reset();
        for (const a of list) this.set({ code: a.code, severity: a.severity }, 1);
      },
    }),
    alertSource,
    dbWrites: new Counter({
      name: "checker_db_writes_total",
      help: "Atomic batches written to the node database, by record kind",
      labelNames: ["kind"],
      registers,
    }),
    slashingProtectionRefusals: new Counter({
      name: "checker_slashing_protection_refusals_total",
      help: "Requests to sign a second, different attestation for one (epoch, provider), refused",
      registers,
    }),
    seedReveals: new Counter({
      name: "checker_seed_reveals_total",
      help: "Epochs this node was the seed proposer of, by outcome (revealed, already_revealed, missed, no_wallet, failed)",
      labelNames: ["result"],
      registers,
    }),
    fraudProofs: new Counter({
      name: "checker_fraud_proofs_total",
      help: "Matmul fraud proofs: built from a wrong signed row, then landed, already-slashed, rejected, expired, or retry (an RPC error)",
      labelNames: ["result"],
      registers,
    }),
    slashKeeperActions: new Counter({
      name: "checker_slash_keeper_actions_total",
      help: "Slash keeper actions (open, executeSlash, expireContest) by outcome: sent, done-by-other, not-due (the chain's time is behind), failed (retried)",
      labelNames: ["action", "outcome"],
      registers,
    }),
    slashesUnopened: new Gauge({
      name: "checker_slashes_unopened",
      help: "Slashable FAIL leaves this node holds still unopened an epoch after their report landed (the keeper keeps trying until the contest window closes)",
      registers,
    }),
  };
}

import { getAddress } from "viem";
import { computeAlerts } from "../api/alerts.ts";
import { challengeCounts, meshPeerCount, natStatus } from "../api/nodeHealth.ts";
import type { NodeStatus } from "../api/server.ts";
import type { OperatorStandingWatch } from "../chain/operatorStanding.ts";
import { ZERO_ADDRESS } from "../config.ts";
import type { AggregatorDuty } from "../duties/aggregatorDuty.ts";
import type { CheckingDuty } from "../duties/checkingDuty.ts";
import { type FraudProofDuty, fraudProofCounts } from "../duties/fraudProofDuty.ts";
import type { SeedDuty } from "../duties/seedDuty.ts";
import type { SlashKeeper } from "../duties/slashKeeper.ts";
import { ReportStatus } from "../reports/aggregatorRecords.ts";
import { UNREPORTED_LIMITS, UnreportedEpochs } from "../reports/unreportedEpochs.ts";
import type { ChainComponents, NodeComponents } from "./components.ts";
import { recentReportSummaries } from "./reportSummaries.ts";

const NODE_VERSION = "0.1.0";

/** The services the status reads from; each is absent when the node did not build it. */
export interface StatusSources {
  duty: CheckingDuty | undefined;
  aggregator: AggregatorDuty | undefined;
  seeds: SeedDuty | undefined;
  fraudProofs: FraudProofDuty | undefined;
  standing: OperatorStandingWatch | undefined;
  /** Epochs closed without a report (reports/unreportedEpochs.ts); present with a chain. */
  unreported?: UnreportedEpochs | undefined;
  /** Opens and executes slashes; present with a wallet and the Slashing address (SLASH_UNOPENED). */
  slashKeeper?: SlashKeeper | undefined;
  startedAt: number;
}

/** Watches for epochs that closed without a report (/status `reports.unreported`, EPOCH_UNREPORTED); with a chain. */
export function createUnreportedWatch(c: NodeComponents, chain: ChainComponents): UnreportedEpochs {
  return new UnreportedEpochs(
    {
      db: c.db,
      publicClient: chain.publicClient,
      clock: c.clock,
      logger: c.logger.child({ service: "reports" }),
      metrics: c.metrics,
    },
    { epochReports: chain.contracts.epochReports },
  );
}

/** What `GET /status` shows (and what the alerts gauge and `checker status` read). */
export async function readNodeStatus(c: NodeComponents, s: StatusSources): Promise<NodeStatus> {
  const results = (await c.metrics.gossipValidationResult.get()).values;
  const count = (r: string) => results.filter((v) => v.labels.result === r).reduce((a, v) => a + v.value, 0);
  const peers = c.host.getPeers().map(String);
  const recent = await recentReportSummaries(c.db, c.clock.currentEpoch());
  const nowMs = c.clock.nowMs();
  const { epoch, phase } = c.clock.phase(nowMs);
  let nextPhaseInMs: number | null = null;
  if (epoch > 0n) {
    const b = c.clock.bounds(epoch);
    nextPhaseInMs = (nowMs < b.publishStartMs ? b.publishStartMs : b.endMs) - nowMs;
  }
  const topics = c.host.services.pubsub.getTopics();
  const meshPeers = meshPeerCount(c.host.services.pubsub, topics);
  const standing = s.standing?.get() ?? {
    registered: null,
    keyMatches: null,
    licenses: null,
    licenseIds: [],
    delegated: null,
  };
  const chainStatus = c.chain?.directory.status();
  const chain = {
    rpcUrl: c.config.rpcUrl,
    connected: chainStatus?.connected ?? null,
    lastError: chainStatus?.lastError ?? null,
    lastAnswerMs: chainStatus?.lastAnswerMs ?? null,
  };
  const lastDuty = s.duty?.lastResult;
  const uptimeSeconds = Math.round((Date.now() - s.startedAt) / 1000);
  // Shown as before these fields were optional: the zero address when no operator is configured.
  const operatorAddress = c.config.operatorAddress ?? ZERO_ADDRESS;
  const submitter = c.walletClient === undefined ? null : getAddress(c.walletClient.account.address);
  const unreported = s.unreported?.unreported() ?? [];
  return {
    version: NODE_VERSION,
    peerId: c.host.peerId.toString(),
    operatorPublicKey: c.operatorPublicKey,
    listen: c.host.getMultiaddrs().map(String),
    peers: {
      count: peers.length,
      ids: peers,
      connections: c.host.getConnections().map((conn) => ({
        peer: conn.remotePeer.toString(),
        addr: conn.remoteAddr.toString(),
        direction: conn.direction,
        limited: conn.limits !== undefined,
      })),
    },
    nat: natStatus(c.config.nat, c.host.getMultiaddrs().map(String)),
    epoch: {
      current: epoch.toString(),
      genesisMs: c.clock.genesisMs,
      epochSeconds: c.clock.epochSeconds,
      phase,
      nextPhaseInMs,
    },
    gossip: {
      topics,
      accepted: count("accept"),
      rejected: count("reject"),
      ignored: count("ignore"),
      meshPeers,
      equivocations: c.equivocations.count(),
    },
    seats: {
      epoch: lastDuty?.epoch.toString() ?? null,
      total: (lastDuty?.seats ?? []).reduce((a, s) => a + s.seats, 0),
      providers: (lastDuty?.seats ?? []).map((s) => ({ provider: s.provider, seats: s.seats })),
    },
    attestations: {
      seen: c.seen.size,
      lastOwn: (lastDuty?.attestations ?? []).map((s) => ({
        epoch: s.attestation.epoch.toString(),
        provider: s.attestation.provider,
        result: s.attestation.result,
      })),
      skipped: (lastDuty?.skipped ?? []).map((s) => ({ provider: s.provider, reason: s.reason })),
    },
    challenges: await challengeCounts(c.metrics),
    pendingReports: recent.filter(
      (r) => r.status === ReportStatus.PENDING || r.status === ReportStatus.SUBMITTING,
    ).length,
    reports: {
      aggregator: s.aggregator !== undefined,
      submitter,
      role: s.aggregator?.lastRole ?? null,
      unreported: unreported.map(String),
      recent,
    },
    operator: {
      address: operatorAddress,
      registered: standing.registered,
      keyMatches: standing.keyMatches,
      licenses: standing.licenses,
      licenseIds: standing.licenseIds.map(String),
      delegated: standing.delegated,
    },
    seeds: {
      revealed: s.seeds?.revealed ?? 0,
      last:
        s.seeds?.lastResult === undefined
          ? null
          : {
              epoch: String(s.seeds.lastResult.epoch),
              seedEpoch: String(s.seeds.lastResult.epoch + 1n),
              outcome: s.seeds.lastResult.outcome,
            },
    },
    fraudProofs: {
      ...(await fraudProofCounts(c.db)),
      submitting: s.fraudProofs !== undefined && c.walletClient !== undefined,
    },
    chain,
    alerts: computeAlerts({
      chain: { ...chain, configured: c.chain !== undefined, nowMs: Date.now() },
      peers: peers.length,
      meshPeers,
      // The mesh forms within a few heartbeats of the first connections.
      warmedUp: uptimeSeconds >= 30,
      operator: {
        address: operatorAddress,
        hasKey: c.operatorPublicKey !== null,
        registered: standing.registered,
        keyMatches: standing.keyMatches,
        licenses: standing.licenses,
        delegated: standing.delegated,
      },
      reports: recent.slice(0, 3),
      unreported: { epochs: unreported, current: epoch, alertEpochs: UNREPORTED_LIMITS.alertEpochs },
      firstFullEpoch: c.clock.phase(s.startedAt).epoch + 1n,
      unopenedSlashes: s.slashKeeper?.unopened() ?? [],
      leavesUnavailable: s.slashKeeper?.leavesUnavailable() ?? [],
    }),
    uptimeSeconds,
  };
}

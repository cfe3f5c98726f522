import { epochReportsAbi } from "@checkernet/contracts/generated/index";
import { type BlsBackend, loadBlsBackend } from "@checkernet/protocol/bls/index";
import { DEFAULT_PARAMS, type ProtocolParams } from "@checkernet/protocol/params";
import type { NetworkDomain } from "@checkernet/protocol/types";
import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import {
  type Address,
  bytesToHex,
  createPublicClient,
  createWalletClient,
  defineChain,
  getAddress,
  http,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { computeAlerts } from "./api/alerts.ts";
import { dashboardRoutes } from "./api/dashboard.ts";
import { eventsRoutes } from "./api/events.ts";
import { explainRoutes } from "./api/explain.ts";
import { HistoryReader, historyRoutes } from "./api/history.ts";
import { challengeCounts, meshPeerCount, natStatus } from "./api/nodeHealth.ts";
import { reportsRoutes } from "./api/reports.ts";
import { type NodeStatus, StatusApi } from "./api/server.ts";
import { BlsBatchVerifier } from "./validation/bls/batchVerifier.ts";
import { ChainDirectory } from "./chain/chainDirectory.ts";
import { EpochClock } from "./chain/clock.ts";
import type { KeyDirectory } from "./validation/keyDirectory.ts";
import { StaticKeyDirectory } from "./validation/keyDirectory.ts";
import { OperatorStandingWatch } from "./chain/operatorStanding.ts";
import { type ProviderDirectory, StaticProviderDirectory } from "./validation/providerDirectory.ts";
import { SeenAttestations } from "./validation/seenCache.ts";
import { type EpochContext, StaticEpochSeeds } from "./validation/sortition.ts";
import { ChallengeClient } from "./challenges/client.ts";
import { WorkerTranscriptEvaluator } from "./challenges/evaluator.ts";
import { storedRewardsFromDb } from "./rewards/licenseRewards.ts";
import { type CheckerConfig, txKeyOf } from "./config.ts";
import { CheckerDb } from "./db/checkerDb.ts";
import { AggregatorDuty, type SubmitterWallet } from "./duties/aggregatorDuty.ts";
import { ReportStatus, readReportRecord, summarize } from "./duties/aggregatorRecords.ts";
import { CheckingDuty } from "./duties/checkingDuty.ts";
import { RecheckDuty, type RecheckInit } from "./duties/recheckDuty.ts";
import { ReportSync } from "./duties/reportSync.ts";
import { SeedDuty } from "./duties/seedDuty.ts";
import { parseCheckerFaults } from "./faults/faults.ts";
import { loadOrCreatePeerKey } from "./keys/store.ts";
import type { Logger } from "@checkernet/runtime";
import { createMetrics, type Metrics } from "./metrics/index.ts";
import { AttestationGossip } from "./network/gossip/attestations.ts";
import { type CheckerHost, createHost } from "./network/host.ts";
import { handleCosign, requestCosign } from "./network/reqresp/cosign.ts";
import { handleEvidence } from "./network/reqresp/evidence.ts";
import { handleRecheck, requestRecheckCosign, requestRecheckResult } from "./network/reqresp/recheck.ts";
import { fetchReport, handleReports } from "./network/reqresp/reports.ts";

export const NODE_VERSION = "0.1.0";

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

/**
 * One checker node: the services of this package assembled over shared
 * components, started in dependency order and stopped in reverse. The chain
 * client, the epoch loop (challenges -> attestations) and the aggregator plug
 * in here as they land.
 */
export class CheckerNode {
  readonly config: CheckerConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly host: CheckerHost;
  readonly db: CheckerDb;
  readonly gossip: AttestationGossip;
  readonly api: StatusApi | undefined;
  /** Fetches and verifies the reports of epochs this node holds no leaves of; present with a chain. */
  readonly reportSync: ReportSync | undefined;
  readonly clock: EpochClock;
  readonly domain: NetworkDomain;
  /** The chain client; present when the contract addresses are configured. */
  readonly chain: ChainDirectory | undefined;
  /** The epoch checking duty; present when an operator key and address are configured. */
  readonly duty: CheckingDuty | undefined;
  /**
   * Aggregation and co-signing; present when the chain, an operator key and
   * address are configured. It submits only with a wallet (txPrivateKey).
   */
  readonly aggregator: AggregatorDuty | undefined;
  /**
   * Re-checks of contested slashes; present when the chain (with the Slashing
   * address), an operator key and address are configured. It leads and
   * submits only with a wallet.
   */
  readonly recheck: RecheckDuty | undefined;
  /**
   * Reveals the next epoch's seed in the epochs this operator is the seed
   * proposer of; present when the chain, an operator key and address are
   * configured. It sends only with a wallet.
   */
  readonly seeds: SeedDuty | undefined;
  private readonly submitter: Address | null;
  private readonly params: ProtocolParams;
  /** Registration and delegated licenses of the operator (alerts, rewards); present with a chain and an operator. */
  private readonly standing: OperatorStandingWatch | undefined;
  private readonly verifier: BlsBatchVerifier;
  /** Challenge transcripts are evaluated on a worker thread (evaluator.ts says why). */
  private readonly evaluator: WorkerTranscriptEvaluator;
  private readonly seen: SeenAttestations;
  private readonly operatorPublicKey: string | null;
  private readonly startedAt = Date.now();
  private started = false;

  private constructor(fields: {
    options: CheckerNodeOptions;
    metrics: Metrics;
    host: CheckerHost;
    db: CheckerDb;
    verifier: BlsBatchVerifier;
    bls: BlsBackend;
    chain: ChainDirectory | undefined;
    genesis: { genesisMs: number; epochSeconds: number } | undefined;
    operatorPublicKey: string | null;
    publicClient: PublicClient | undefined;
    walletClient: SubmitterWallet | undefined;
  }) {
    const { options } = fields;
    this.config = options.config;
    this.logger = options.logger;
    this.metrics = fields.metrics;
    this.host = fields.host;
    this.db = fields.db;
    this.verifier = fields.verifier;
    this.operatorPublicKey = fields.operatorPublicKey;
    this.chain = fields.chain;
    this.domain = { chainId: this.config.chainId, verifyingContract: this.config.verifyingContract };
    this.clock = new EpochClock({
      genesisMs: fields.genesis?.genesisMs ?? this.config.genesisMs,
      epochSeconds: fields.genesis?.epochSeconds ?? this.config.epochSeconds,
      checkingPhaseBps: (options.params ?? DEFAULT_PARAMS).checkingPhaseBps,
    });
    this.seen = new SeenAttestations();
    // One directory and one seed source shared by gossip validation and the duty.
    const params = options.params ?? DEFAULT_PARAMS;
    this.params = params;
    const keys = options.keys ?? this.chain ?? new StaticKeyDirectory();
    const epochs = options.epochs ?? this.chain ?? new StaticEpochSeeds();
    this.gossip = new AttestationGossip(
      {
        host: this.host,
        logger: this.logger.child({ service: "gossip" }),
        metrics: this.metrics,
        validation: {
          domain: this.domain,
          clock: this.clock,
          keys,
          seen: this.seen,
          verifier: this.verifier,
          committeeSize: params.committeeSize,
          epochs,
          verifiedVrf: new Set(),
        },
      },
      {
        onAttestation: (att) => {
          this.db.putAttestation(att.signed).catch((e: unknown) => {
            this.logger.error({ err: e }, "failed to store a gossip attestation");
          });
        },
      },
    );
    this.evaluator = new WorkerTranscriptEvaluator(params, this.logger.child({ service: "challenges" }));
    const faults = parseCheckerFaults(this.config.faults);
    if (faults.lieFail.size > 0) {
      this.logger.warn(
        { lieFail: [...faults.lieFail] },
        "FAULT MODE lie-fail: this checker attests FAIL for these providers whatever it measures (tests and demos only)",
      );
    }
    this.duty =
      options.operatorSecretKey === undefined || /^0x0{40}$/.test(this.config.operatorAddress)
        ? undefined
        : new CheckingDuty(
            {
              clock: this.clock,
              epochs,
              keys,
              providers: options.providers ?? this.chain ?? new StaticProviderDirectory(),
              client: new ChallengeClient(
                {
                  host: this.host,
                  logger: this.logger.child({ service: "challenges" }),
                  metrics: this.metrics,
                  evaluator: this.evaluator,
                },
                { params, checkerRegion: this.config.region },
              ),
              db: this.db,
              bls: fields.bls,
              logger: this.logger.child({ service: "duty" }),
              publish: (s, root) => this.gossip.publish(s, root),
              addPeerAddresses: (peerId, addrs) => this.addPeerAddresses(peerId, addrs),
            },
            {
              checker: this.config.operatorAddress,
              secretKey: options.operatorSecretKey,
              domain: this.domain,
              params,
              faults,
            },
          );
    this.submitter =
      fields.walletClient === undefined ? null : getAddress(fields.walletClient.account.address);
    this.aggregator =
      this.duty === undefined ||
      this.chain === undefined ||
      fields.publicClient === undefined ||
      options.operatorSecretKey === undefined
        ? undefined
        : new AggregatorDuty(
            {
              clock: this.clock,
              epochs,
              keys,
              providers: options.providers ?? this.chain,
              db: this.db,
              bls: fields.bls,
              logger: this.logger.child({ service: "aggregator" }),
              publicClient: fields.publicClient,
              ...(fields.walletClient === undefined ? {} : { walletClient: fields.walletClient }),
              requestCosign: (peer, request, timeoutMs) =>
                requestCosign(this.host, peer, request, { timeoutMs }),
            },
            {
              operator: this.config.operatorAddress,
              secretKey: options.operatorSecretKey,
              domain: this.domain,
              params,
              addresses: {
                epochReports: this.config.verifyingContract,
                checkerRegistry: this.config.checkerRegistry,
                providerRegistry: this.config.providerRegistry,
                slashing: this.config.slashingContract,
              },
              ...options.aggregator,
            },
          );
    this.recheck =
      this.duty === undefined ||
      this.chain === undefined ||
      fields.publicClient === undefined ||
      options.operatorSecretKey === undefined ||
      /^0x0{40}$/.test(this.config.slashingContract)
        ? undefined
        : new RecheckDuty(
            {
              clock: this.clock,
              keys,
              providers: options.providers ?? this.chain,
              client: new ChallengeClient(
                {
                  host: this.host,
                  logger: this.logger.child({ service: "recheck" }),
                  metrics: this.metrics,
                  evaluator: this.evaluator,
                },
                { params, checkerRegion: this.config.region },
              ),
              db: this.db,
              bls: fields.bls,
              logger: this.logger.child({ service: "recheck" }),
              publicClient: fields.publicClient,
              ...(fields.walletClient === undefined ? {} : { walletClient: fields.walletClient }),
              requestResult: (peer, slashId, timeoutMs) =>
                requestRecheckResult(this.host, peer, slashId, { timeoutMs }),
              requestCosign: (peer, request, timeoutMs) =>
                requestRecheckCosign(this.host, peer, request, { timeoutMs }),
              addPeerAddresses: (peerId, addrs) => this.addPeerAddresses(peerId, addrs),
            },
            {
              operator: this.config.operatorAddress,
              secretKey: options.operatorSecretKey,
              domain: this.domain,
              params,
              addresses: {
                slashing: this.config.slashingContract,
                epochReports: this.config.verifyingContract,
                checkerRegistry: this.config.checkerRegistry,
              },
              faults,
              ...options.recheck,
            },
          );
    this.seeds =
      this.duty === undefined ||
      this.chain === undefined ||
      fields.publicClient === undefined ||
      options.operatorSecretKey === undefined
        ? undefined
        : new SeedDuty(
            {
              clock: this.clock,
              bls: fields.bls,
              logger: this.logger.child({ service: "seed" }),
              publicClient: fields.publicClient,
              metrics: this.metrics,
              ...(fields.walletClient === undefined ? {} : { walletClient: fields.walletClient }),
            },
            {
              operator: this.config.operatorAddress,
              secretKey: options.operatorSecretKey,
              domain: this.domain,
              epochReports: this.config.verifyingContract,
            },
          );
    this.standing =
      fields.publicClient === undefined || /^0x0{40}$/.test(this.config.operatorAddress)
        ? undefined
        : new OperatorStandingWatch(
            { publicClient: fields.publicClient, logger: this.logger.child({ service: "standing" }) },
            {
              checkerRegistry: this.config.checkerRegistry,
              operator: this.config.operatorAddress,
              ownPublicKey: fields.operatorPublicKey,
            },
          );
    this.reportSync =
      fields.publicClient === undefined
        ? undefined
        : new ReportSync(
            {
              db: this.db,
              publicClient: fields.publicClient,
              logger: this.logger.child({ service: "reports" }),
              peers: () => this.host.getPeers().map(String),
              fetchReport: (peer, epoch) => fetchReport(this.host, peerIdFromString(peer), epoch),
              currentEpoch: () => this.clock.currentEpoch(),
            },
            {
              epochReports: this.config.verifyingContract,
              // Twice per epoch: a landed report is mirrored well before the next one.
              intervalMs: Math.max(1_000, (this.clock.epochSeconds * 1_000) / 2),
              lookbackEpochs: 16,
            },
          );
    const recordOf = (epoch: bigint) =>
      this.reportSync === undefined
        ? readReportRecord(this.db, epoch)
        : this.reportSync.ensure(epoch).then((r) => r.record);
    const getStatus = () => this.status();
    // apiPort 0 turns the API off (config.ts).
    this.api =
      this.config.apiPort === 0
        ? undefined
        : new StatusApi(
            {
              logger: this.logger.child({ service: "api" }),
              metrics: this.metrics,
              getStatus,
              getRewards: () => storedRewardsFromDb(this.db, this.clock.currentEpoch()),
              routes: [
                ...dashboardRoutes(),
                ...eventsRoutes({ getStatus }),
                ...reportsRoutes({ db: this.db, currentEpoch: () => this.clock.currentEpoch(), recordOf }),
                ...(fields.publicClient === undefined || /^0x0{40}$/.test(this.config.rewardsContract)
                  ? []
                  : explainRoutes({
                      publicClient: fields.publicClient,
                      contracts: {
                        epochReports: this.config.verifyingContract,
                        rewards: this.config.rewardsContract,
                      },
                      recordOf,
                    })),
                ...historyRoutes(
                  fields.publicClient === undefined ||
                    this.standing === undefined ||
                    /^0x0{40}$/.test(this.config.rewardsContract) ||
                    /^0x0{40}$/.test(this.config.checkerLicense)
                    ? undefined
                    : new HistoryReader(
                        { publicClient: fields.publicClient, db: this.db, clock: this.clock },
                        {
                          operator: this.config.operatorAddress,
                          contracts: {
                            epochReports: this.config.verifyingContract,
                            rewards: this.config.rewardsContract,
                            checkerLicense: this.config.checkerLicense,
                            ...(/^0x0{40}$/.test(this.config.slashingContract)
                              ? {}
                              : { slashing: this.config.slashingContract }),
                          },
                        },
                      ),
                ),
              ],
            },
            { host: this.config.apiHost, port: this.config.apiPort },
          );
  }

  /** Adds a registered peer's addresses (from the chain) to the peer store; unparsable ones are skipped. */
  private async addPeerAddresses(peerId: string, addrs: readonly string[]): Promise<void> {
    const parsed = addrs.flatMap((a) => {
      try {
        return [multiaddr(a)];
      } catch {
        return [];
      }
    });
    if (parsed.length > 0) await this.host.peerStore.merge(peerIdFromString(peerId), { multiaddrs: parsed });
  }

  /** Opens the database and builds the host (not started). */
  static async create(options: CheckerNodeOptions): Promise<CheckerNode> {
    const { config } = options;
    const metrics = createMetrics({ defaultMetrics: true });
    const bls = await loadBlsBackend("auto");
    const peerKey = options.peerKey ?? (await loadOrCreatePeerKey(config.dataDir));
    const db = await CheckerDb.open({ dataDir: config.dataDir, metrics });
    try {
      const host = await createHost({
        privateKey: peerKey,
        listen: config.listen,
        bootstrap: config.bootstrap,
        mdns: config.mdns,
        dht: config.dht,
        nat: config.nat,
        relayServer: config.relayServer,
        ...(options.allowPrivateAddresses === true
          ? { allowPrivateAddresses: true, allow: ["/ip4/127.0.0.0/ipcidr/8"] }
          : {}),
        ...(options.heartbeatIntervalMs === undefined
          ? {}
          : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
        start: false,
      });
      const operatorPublicKey =
        options.operatorSecretKey === undefined ? null : bytesToHex(bls.publicKey(options.operatorSecretKey));
      const zero = /^0x0{40}$/;
      let chain: ChainDirectory | undefined;
      let genesis: { genesisMs: number; epochSeconds: number } | undefined;
      let publicClient: PublicClient | undefined;
      let walletClient: SubmitterWallet | undefined = options.walletClient;
      if (!zero.test(config.checkerRegistry) && !zero.test(config.providerRegistry)) {
        publicClient =
          options.publicClient ?? (createPublicClient({ transport: http(config.rpcUrl) }) as PublicClient);
        const txKey = walletClient === undefined ? txKeyOf(config) : undefined;
        if (txKey !== undefined) {
          walletClient = createWalletClient({
            account: privateKeyToAccount(txKey),
            chain: defineChain({
              id: Number(config.chainId),
              name: "checkernet",
              nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
              rpcUrls: { default: { http: [config.rpcUrl] } },
            }),
            transport: http(config.rpcUrl),
          });
        }
        chain = new ChainDirectory(
          { publicClient, logger: options.logger.child({ service: "chain" }) },
          {
            addresses: {
              checkerRegistry: config.checkerRegistry,
              providerRegistry: config.providerRegistry,
              epochReports: config.verifyingContract,
            },
          },
        );
        // The contracts' clock wins over the config; an unreachable RPC at start keeps the config's.
        try {
          const reports = { address: config.verifyingContract, abi: epochReportsAbi } as const;
          const [g, len] = await Promise.all([
            publicClient.readContract({ ...reports, functionName: "genesisTime" }),
            publicClient.readContract({ ...reports, functionName: "epochSeconds" }),
          ]);
          genesis = { genesisMs: Number(g) * 1000, epochSeconds: Number(len) };
        } catch (e) {
          options.logger.warn(
            { err: (e as Error).message },
            "cannot read the epoch clock from the chain; using the config's",
          );
        }
      }
      return new CheckerNode({
        options,
        metrics,
        host,
        db,
        verifier: new BlsBatchVerifier({ backend: bls, metrics }),
        bls,
        chain,
        genesis,
        operatorPublicKey,
        publicClient,
        walletClient,
      });
    } catch (e) {
      await db.close();
      throw e;
    }
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.host.start();
    if (this.chain !== undefined) {
      // The first snapshot before any validation; failures are retried by the loop and shown in status.
      await this.chain.refresh().catch(() => undefined);
      this.chain.start();
    }
    this.metrics.alertSource.read = async () => (await this.status()).alerts;
    const updatePeers = () => this.metrics.peers.set(this.host.getPeers().length);
    this.host.addEventListener("connection:open", updatePeers);
    this.host.addEventListener("connection:close", updatePeers);
    this.gossip.start();
    if (this.duty !== undefined) {
      // The evaluator's worker starts (and loads its code) now rather than in the first epoch's runs.
      this.evaluator.warm();
      await handleEvidence(this.host, {
        db: this.db,
        checker: this.config.operatorAddress,
        logger: this.logger,
      });
      this.duty.start();
    }
    if (this.aggregator !== undefined) {
      const aggregator = this.aggregator;
      await handleCosign(this.host, {
        logger: this.logger.child({ service: "cosign" }),
        onRequest: (request) => aggregator.cosign(request),
      });
      aggregator.start();
    }
    if (this.recheck !== undefined) {
      const recheck = this.recheck;
      await handleRecheck(this.host, {
        logger: this.logger.child({ service: "recheck" }),
        onResult: (slashId) => recheck.resultFor(slashId),
        onCosign: (request) => recheck.cosign(request),
      });
      recheck.start();
    }
    this.seeds?.start();
    await handleReports(this.host, { db: this.db, logger: this.logger.child({ service: "reports" }) });
    this.reportSync?.start();
    await this.api?.start();
    this.started = true;
    this.logger.info(
      {
        peerId: this.host.peerId.toString(),
        listen: this.host.getMultiaddrs().map(String),
        api: this.api?.url(),
      },
      "checker node started",
    );
  }

  /** Graceful: stop taking work, flush signature batches, close the network, then the database. */
  async stop(): Promise<void> {
    if (!this.started) {
      await this.db.close();
      return;
    }
    this.started = false;
    await this.api?.stop();
    await this.reportSync?.stop();
    await this.aggregator?.stop();
    await this.recheck?.stop();
    await this.seeds?.stop();
    await this.duty?.stop();
    await this.evaluator.close();
    this.chain?.stop();
    this.gossip.stop();
    this.verifier.stop();
    await this.host.stop();
    await this.db.close();
    this.logger.info("checker node stopped");
  }

  /** Report records of the last few epochs, newest first (a corrupt one is skipped, not fatal to status). */
  private async recentReports() {
    const out = [];
    const current = this.clock.currentEpoch();
    for (let e = current; e >= 1n && e + 8n > current; e--) {
      const r = await readReportRecord(this.db, e).catch(() => undefined);
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  async status(): Promise<NodeStatus> {
    const results = (await this.metrics.gossipValidationResult.get()).values;
    const count = (r: string) =>
      results.filter((v) => v.labels.result === r).reduce((a, v) => a + v.value, 0);
    const peers = this.host.getPeers().map(String);
    const reports = await this.recentReports();
    const recent = reports.map(summarize);
    const nowMs = this.clock.nowMs();
    const { epoch, phase } = this.clock.phase(nowMs);
    let nextPhaseInMs: number | null = null;
    if (epoch > 0n) {
      const b = this.clock.bounds(epoch);
      nextPhaseInMs = (nowMs < b.publishStartMs ? b.publishStartMs : b.endMs) - nowMs;
    }
    const topics = this.host.services.pubsub.getTopics();
    const meshPeers = meshPeerCount(this.host.services.pubsub, topics);
    const standing = this.standing?.get() ?? {
      registered: null,
      keyMatches: null,
      licenses: null,
      licenseIds: [],
      delegated: null,
    };
    const chain = {
      rpcUrl: this.config.rpcUrl,
      connected: this.chain?.status().connected ?? null,
      lastError: this.chain?.status().lastError ?? null,
    };
    const lastDuty = this.duty?.lastResult;
    const uptimeSeconds = Math.round((Date.now() - this.startedAt) / 1000);
    return {
      version: NODE_VERSION,
      peerId: this.host.peerId.toString(),
      operatorPublicKey: this.operatorPublicKey,
      listen: this.host.getMultiaddrs().map(String),
      peers: { count: peers.length, ids: peers },
      nat: natStatus(this.config.nat, this.host.getMultiaddrs().map(String)),
      epoch: {
        current: epoch.toString(),
        genesisMs: this.clock.genesisMs,
        epochSeconds: this.clock.epochSeconds,
        phase,
        nextPhaseInMs,
      },
      gossip: {
        topics,
        accepted: count("accept"),
        rejected: count("reject"),
        ignored: count("ignore"),
        meshPeers,
      },
      seats: {
        epoch: lastDuty?.epoch.toString() ?? null,
        total: (lastDuty?.seats ?? []).reduce((a, s) => a + s.seats, 0),
        providers: (lastDuty?.seats ?? []).map((s) => ({ provider: s.provider, seats: s.seats })),
      },
      attestations: {
        seen: this.seen.size,
        lastOwn: (lastDuty?.attestations ?? []).map((s) => ({
          epoch: s.attestation.epoch.toString(),
          provider: s.attestation.provider,
          result: s.attestation.result,
        })),
        skipped: (lastDuty?.skipped ?? []).map((s) => ({ provider: s.provider, reason: s.reason })),
      },
      challenges: await challengeCounts(this.metrics),
      pendingReports: reports.filter(
        (r) => r.status === ReportStatus.PENDING || r.status === ReportStatus.SUBMITTING,
      ).length,
      reports: {
        aggregator: this.aggregator !== undefined,
        submitter: this.submitter,
        role: this.aggregator?.lastRole ?? null,
        recent,
      },
      operator: {
        address: this.config.operatorAddress,
        registered: standing.registered,
        keyMatches: standing.keyMatches,
        licenses: standing.licenses,
        licenseIds: standing.licenseIds.map(String),
        delegated: standing.delegated,
      },
      seeds: {
        revealed: this.seeds?.revealed ?? 0,
        last:
          this.seeds?.lastResult === undefined
            ? null
            : {
                epoch: String(this.seeds.lastResult.epoch),
                seedEpoch: String(this.seeds.lastResult.epoch + 1n),
                outcome: this.seeds.lastResult.outcome,
              },
      },
      chain,
      alerts: computeAlerts({
        chain: { ...chain, configured: this.chain !== undefined },
        peers: peers.length,
        meshPeers,
        // The mesh forms within a few heartbeats of the first connections.
        warmedUp: uptimeSeconds >= 30,
        operator: {
          address: this.config.operatorAddress,
          hasKey: this.operatorPublicKey !== null,
          registered: standing.registered,
          keyMatches: standing.keyMatches,
          licenses: standing.licenses,
          delegated: standing.delegated,
        },
        reports: recent.slice(0, 3),
      }),
      uptimeSeconds,
    };
  }
}

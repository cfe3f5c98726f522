import type { NetworkDomain } from "@checkernet/protocol/types";
import type { Logger } from "@checkernet/runtime";
import type { NodeStatus, StatusApi } from "./api/server.ts";
import type { ChainDirectory } from "./chain/chainDirectory.ts";
import type { EpochClock } from "./chain/clock.ts";
import type { CheckerConfig } from "./config.ts";
import type { CheckerDb } from "./db/checkerDb.ts";
import type { AggregatorDuty } from "./duties/aggregatorDuty.ts";
import type { CheckingDuty } from "./duties/checkingDuty.ts";
import type { FraudProofDuty } from "./duties/fraudProofDuty.ts";
import type { RecheckDuty } from "./duties/recheckDuty.ts";
import type { ReportSync } from "./duties/reportSync.ts";
import type { SeedDuty } from "./duties/seedDuty.ts";
import type { Metrics } from "./metrics/index.ts";
import type { AttestationGossip } from "./network/gossip/attestations.ts";
import type { CheckerHost } from "./network/host.ts";
import { AggregationService } from "./services/aggregation.ts";
import { createStatusApi } from "./services/api.ts";
import { AttestationSyncService } from "./services/attestationSync.ts";
import { buildComponents } from "./services/buildComponents.ts";
import { CheckingService } from "./services/checking.ts";
import type { NodeComponents } from "./services/components.ts";
import { DbPruneService } from "./services/dbPrune.ts";
import { createEquivocationDuty } from "./services/equivocations.ts";
import { createFraudProofDuty } from "./services/fraudProofs.ts";
import { createGossip } from "./services/gossip.ts";
import { NodeMetricsService } from "./services/metrics.ts";
import { ChainService, HostService } from "./services/network.ts";
import type { CheckerNodeOptions } from "./services/nodeOptions.ts";
import { createUnreportedWatch, readNodeStatus } from "./services/nodeStatus.ts";
import { RecheckService } from "./services/recheck.ts";
import { createReportSync, ReportServingService } from "./services/reports.ts";
import { createSeedDuty } from "./services/seed.ts";
import type { NodeService } from "./services/service.ts";
import { createSlashKeeper } from "./services/slashKeeper.ts";
import { createStandingWatch } from "./services/standing.ts";

export type { CheckerNodeOptions } from "./services/nodeOptions.ts";

/**
 * One checker node: components built once (services/buildComponents.ts), the
 * services whose configuration is present built over them, started in order
 * and stopped in reverse. Each service registers its own protocol handlers,
 * routes and timers in start() and removes them in stop().
 */
export class CheckerNode {
  readonly config: CheckerConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly host: CheckerHost;
  readonly db: CheckerDb;
  readonly gossip: AttestationGossip;
  readonly clock: EpochClock;
  readonly domain: NetworkDomain;
  /** The local HTTP API; absent when apiPort is 0. */
  readonly api: StatusApi | undefined;
  /** Fetches and verifies the reports of epochs this node holds no leaves of; present with a chain. */
  readonly reportSync: ReportSync | undefined;
  /** The chain client; present when the registry addresses are configured. */
  readonly chain: ChainDirectory | undefined;
  /** The epoch checking duty; present when an operator key and address are configured. */
  readonly duty: CheckingDuty | undefined;
  /** Aggregation and co-signing; present with a chain and an operator. It submits only with a wallet. */
  readonly aggregator: AggregatorDuty | undefined;
  /** Re-checks of contested slashes; present with a chain, the Slashing address and an operator. */
  readonly recheck: RecheckDuty | undefined;
  /** Seed reveals in the epochs this operator proposes; present with a chain and an operator. */
  readonly seeds: SeedDuty | undefined;
  /** Submits the fraud proofs the checking duty stores; present with a chain and the FraudProofs address. */
  readonly fraudProofs: FraudProofDuty | undefined;
  private readonly components: NodeComponents;
  /** In start order. */
  private readonly services: NodeService[];
  private readonly getStatus: () => Promise<NodeStatus>;
  private started = false;

  private constructor(components: NodeComponents, options: CheckerNodeOptions) {
    const c = components;
    this.components = c;
    this.config = c.config;
    this.logger = c.logger;
    this.metrics = c.metrics;
    this.host = c.host;
    this.db = c.db;
    this.clock = c.clock;
    this.domain = c.domain;
    this.chain = c.chain?.directory;
    this.gossip = createGossip(c);
    const { chain, operator } = c;
    const slashing = c.config.slashingContract;
    const checking = operator === undefined ? undefined : new CheckingService(c, operator, this.gossip);
    const withOperatorChain = chain !== undefined && operator !== undefined;
    const attestationSync = new AttestationSyncService(c);
    const aggregation = withOperatorChain
      ? new AggregationService(c, chain, operator, options.aggregator, attestationSync.sync)
      : undefined;
    const recheck =
      withOperatorChain && slashing !== undefined
        ? new RecheckService(c, chain, operator, slashing, options.recheck)
        : undefined;
    this.seeds = withOperatorChain ? createSeedDuty(c, chain, operator) : undefined;
    this.reportSync = chain === undefined ? undefined : createReportSync(c, chain);
    // Whoever submitted a report, every node that submits opens its FAIL leaves and executes the slashes.
    const slashKeeper =
      chain !== undefined &&
      aggregation !== undefined &&
      slashing !== undefined &&
      c.walletClient !== undefined &&
      this.reportSync !== undefined
        ? createSlashKeeper(c, chain, aggregation.aggregator, slashing, c.walletClient, this.reportSync)
        : undefined;
    const fraudProofs = c.config.fraudProofsContract;
    this.fraudProofs =
      chain !== undefined && fraudProofs !== undefined
        ? createFraudProofDuty(c, chain, fraudProofs)
        : undefined;
    // Equivocation evidence goes to Slashing.slashEquivocation (docs/protocol/equivocation.md).
    const equivocations =
      chain !== undefined && slashing !== undefined ? createEquivocationDuty(c, chain, slashing) : undefined;
    const operatorAddress = c.config.operatorAddress;
    const standing =
      chain === undefined || operatorAddress === undefined
        ? undefined
        : createStandingWatch(c, chain, operatorAddress);
    const unreported = chain === undefined ? undefined : createUnreportedWatch(c, chain);
    this.duty = checking?.duty;
    this.aggregator = aggregation?.aggregator;
    this.recheck = recheck?.recheck;
    const startedAt = Date.now();
    this.getStatus = () =>
      readNodeStatus(c, {
        duty: this.duty,
        aggregator: this.aggregator,
        seeds: this.seeds,
        fraudProofs: this.fraudProofs,
        standing,
        unreported,
        slashKeeper,
        startedAt,
      });
    this.api = c.config.apiPort === 0 ? undefined : createStatusApi(c, this.getStatus, this.reportSync);
    const inStartOrder: (NodeService | undefined)[] = [
      new HostService(c),
      new ChainService(c),
      new NodeMetricsService(c, this.getStatus),
      this.gossip,
      attestationSync,
      checking,
      aggregation,
      recheck,
      this.seeds,
      this.fraudProofs,
      slashKeeper,
      equivocations,
      new ReportServingService(c),
      this.reportSync,
      unreported,
      // Once an epoch, the db keeps the epochs whose evidence can still be asked for (services/dbPrune.ts).
      new DbPruneService({
        db: c.db,
        clock: c.clock,
        params: c.params,
        logger: c.logger.child({ service: "db" }),
      }),
      this.api,
    ];
    this.services = inStartOrder.filter((s) => s !== undefined);
  }

  /** Opens the database, builds the host (not started) and connects to the chain when configured. */
  static async create(options: CheckerNodeOptions): Promise<CheckerNode> {
    return new CheckerNode(await buildComponents(options), options);
  }

  async start(): Promise<void> {
    if (this.started) return;
    // BLS checks of gossip run on a worker thread that loads blst when it starts: now, not in epoch 1.
    void this.components.verifier.warm();
    for (const service of this.services) await service.start();
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
    for (const service of [...this.services].reverse()) await service.stop();
    await this.components.evaluator.close();
    this.components.verifier.stop();
    await this.db.close();
    this.logger.info("checker node stopped");
  }

  async status(): Promise<NodeStatus> {
    return this.getStatus();
  }
}

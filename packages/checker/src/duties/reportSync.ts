import { verifyPublishedReport } from "@checkernet/protocol/explain";
import type { Logger } from "@checkernet/runtime";
import type { PublishedReportWithTx } from "@checkernet/wire";
import type { Address, PublicClient } from "viem";
import { type GetReportReturnType, getReport } from "../chain/actions/getReport.ts";
import type { CheckerDb } from "../db/checkerDb.ts";
import {
  type ReportRecord,
  ReportRole,
  ReportStatus,
  readReportRecord,
  writeReportRecord,
} from "../reports/aggregatorRecords.ts";
import { findCosignedReport } from "../reports/cosignedReports.ts";

/**
 * Keeps a verified copy of every landed epoch report, so every node can
 * serve and explain every epoch: for each reported epoch this node holds no
 * leaves of (it was not on the committee, or was offline), ask peers over
 * `/checkernet/reports/1.0.0`, check the answer against
 * `EpochReports.reportOf(epoch)` and store it. The on-chain roots are the
 * only trust anchor; a peer's answer that does not match is dropped and the
 * next peer is asked.
 */
export interface ReportSyncComponents {
  db: CheckerDb;
  publicClient: PublicClient;
  logger: Logger;
  /** Peers to ask, best first (connected checkers). */
  peers(): readonly string[];
  fetchReport(peer: string, epoch: bigint): Promise<PublishedReportWithTx>;
  currentEpoch(): bigint;
}

export interface ReportSyncInit {
  epochReports: Address;
  /** How often the background pass runs. */
  intervalMs: number;
  /** Epochs before the current one the background pass checks; older ones are fetched on demand. */
  lookbackEpochs: number;
  /** How deep a landed report's block must be before it is kept without re-reading (default REPORT_FINALITY_BLOCKS). */
  finalityBlocks?: number;
  /** How long an epoch no peer could serve is answered UNAVAILABLE before peers are asked again (default UNAVAILABLE_RETRY_MS). */
  unavailableRetryMs?: number;
}

/**
 * How long ensure() answers UNAVAILABLE from memory after every peer failed it: the slash keeper asks on each
 * look (every few seconds) for an epoch whose landed leaves it lacks, and asking every peer that often is load
 * for nothing; a minute is a small share of the contest window (epochs), in which the leaves are still of use.
 */
const UNAVAILABLE_RETRY_MS = 60_000;

/**
 * Blocks on top of a report's before the sync stops re-reading it: a reorg can undo the block a report
 * landed in (the epoch then has no report, or another one), and one deeper than this is taken as final.
 * 12 blocks are 12 s on the devnet (a block a second), 24 s on a 2 s chain: a landed report costs a few more
 * reads until then. A chain that reorgs deeper needs a larger value.
 */
export const REPORT_FINALITY_BLOCKS = 12;

export const ReportSyncOutcome = {
  /** The node already held leaves matching the chain. */
  HELD: "held",
  FETCHED: "fetched",
  /**
   * A report this node co-signed, not the epoch's first, landed: its leaves, kept under its roots when the node
   * signed (reports/cosignedReports.ts), are now the epoch's record.
   */
  COSIGNED: "cosigned",
  /** No report landed for the epoch. */
  NOT_REPORTED: "not-reported",
  /** Every peer was asked; none had leaves that match the chain. */
  UNAVAILABLE: "unavailable",
} as const;
export type ReportSyncOutcome = (typeof ReportSyncOutcome)[keyof typeof ReportSyncOutcome];

/** Statuses in which the aggregator still owns the record; sync never overwrites those. */
const IN_FLIGHT: readonly string[] = [ReportStatus.PENDING, ReportStatus.SUBMITTING];

export class ReportSync {
  private readonly components: ReportSyncComponents;
  private readonly init: ReportSyncInit;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private readonly inFlight = new Map<
    bigint,
    Promise<{ outcome: ReportSyncOutcome; record?: ReportRecord }>
  >();
  /**
   * Landed reports that are final: EpochReports takes one report per epoch and never changes it
   * (EpochReportsAlreadyReported), so `reportOf` is read again only for epochs with none yet, or with one
   * not yet `finalityBlocks` deep, which a reorg can still undo. Before, every pass re-read the whole
   * lookback (8 reads an epoch on the devnet, issue 15). Epochs that fell out of the lookback are dropped on
   * the next pass; one fetched on demand stays until then.
   */
  private readonly landed = new Map<bigint, NonNullable<GetReportReturnType>>();
  /** When every peer last failed an epoch (ensure answers UNAVAILABLE from memory until unavailableRetryMs passed). */
  private readonly unavailableAt = new Map<bigint, number>();
  /** Peer answers refused for not matching the chain (a lying or buggy peer), for /status and tests. */
  rejected = 0;

  constructor(components: ReportSyncComponents, init: ReportSyncInit) {
    this.components = components;
    this.init = init;
  }

  start(): void {
    if (this.timer !== undefined) return;
    const tick = () => {
      this.running = this.syncRecent()
        .catch((e: unknown) => this.components.logger.debug({ err: e }, "report sync pass failed"))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.init.intervalMs);
        });
    };
    this.timer = setTimeout(tick, this.init.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One background pass over the recent epochs. */
  async syncRecent(): Promise<void> {
    const current = this.components.currentEpoch();
    const from = current > BigInt(this.init.lookbackEpochs) ? current - BigInt(this.init.lookbackEpochs) : 1n;
    for (const epoch of this.landed.keys()) if (epoch < from) this.landed.delete(epoch);
    for (const epoch of this.unavailableAt.keys()) if (epoch < from) this.unavailableAt.delete(epoch);
    for (let e = from; e < current; e++) await this.ensure(e);
  }

  /**
   * Makes sure the node holds `epoch`'s leaves matching the chain, fetching
   * them from peers when it does not. Concurrent calls for one epoch share
   * one fetch.
   *
   * @throws ChainActionError RPC when the chain cannot be read
   */
  ensure(epoch: bigint): Promise<{ outcome: ReportSyncOutcome; record?: ReportRecord }> {
    const running = this.inFlight.get(epoch);
    if (running !== undefined) return running;
    const p = this.ensureOnce(epoch).finally(() => this.inFlight.delete(epoch));
    this.inFlight.set(epoch, p);
    return p;
  }

  private async ensureOnce(epoch: bigint): Promise<{ outcome: ReportSyncOutcome; record?: ReportRecord }> {
    const { db, logger } = this.components;
    const onChain = await this.landedReport(epoch);
    if (onChain === null) return { outcome: ReportSyncOutcome.NOT_REPORTED };
    const existing = await readReportRecord(db, epoch).catch(() => undefined);
    if (existing !== undefined && matches(existing, onChain)) {
      return { outcome: ReportSyncOutcome.HELD, record: existing };
    }
    if (existing !== undefined && IN_FLIGHT.includes(existing.status)) {
      return { outcome: ReportSyncOutcome.UNAVAILABLE };
    }
    // The epoch's record holds the first report this node co-signed; a later one it signed may be what landed.
    const cosigned = await findCosignedReport(db, epoch, onChain).catch(() => undefined);
    if (cosigned !== undefined && matches(cosigned, onChain)) {
      await writeReportRecord(db, cosigned);
      logger.info({ epoch: String(epoch) }, "landed report found among the ones this node co-signed");
      return { outcome: ReportSyncOutcome.COSIGNED, record: cosigned };
    }
    const failedAt = this.unavailableAt.get(epoch);
    if (
      failedAt !== undefined &&
      Date.now() - failedAt < (this.init.unavailableRetryMs ?? UNAVAILABLE_RETRY_MS)
    ) {
      return { outcome: ReportSyncOutcome.UNAVAILABLE };
    }
    const fetched = await this.fetchFromPeers(epoch, onChain);
    if (fetched.outcome === ReportSyncOutcome.UNAVAILABLE) this.unavailableAt.set(epoch, Date.now());
    else this.unavailableAt.delete(epoch);
    return fetched;
  }

  /** Asks each peer for the epoch's leaves until one's match the chain. */
  private async fetchFromPeers(
    epoch: bigint,
    onChain: NonNullable<GetReportReturnType>,
  ): Promise<{ outcome: ReportSyncOutcome; record?: ReportRecord }> {
    const { db, logger } = this.components;
    for (const peer of this.components.peers()) {
      let report: PublishedReportWithTx;
      try {
        report = await this.components.fetchReport(peer, epoch);
      } catch (e) {
        logger.debug({ epoch: String(epoch), peer, err: (e as Error).message }, "peer has no usable report");
        continue;
      }
      try {
        verifyPublishedReport(report, onChain);
        checkHeaderTotals(report, onChain);
      } catch (e) {
        this.rejected++;
        logger.warn(
          { epoch: String(epoch), peer, err: (e as Error).message },
          "peer's report does not match the chain",
        );
        continue;
      }
      const record: ReportRecord = {
        epoch,
        role: ReportRole.FETCHED,
        status: ReportStatus.REPORTED_BY_OTHER,
        header: report.header,
        results: report.results,
        rewards: report.rewards,
        ...(report.inputs === undefined ? {} : { inputs: report.inputs }),
        ...(report.txHash === null ? {} : { txHash: report.txHash }),
        ...(report.gasUsed === null ? {} : { gasUsed: report.gasUsed }),
        updatedMs: Date.now(),
      };
      // Re-read: the aggregator may have written meanwhile; its record wins.
      const now = await readReportRecord(db, epoch).catch(() => undefined);
      if (now !== undefined && (matches(now, onChain) || IN_FLIGHT.includes(now.status))) {
        return { outcome: ReportSyncOutcome.HELD, record: now };
      }
      await writeReportRecord(db, record);
      logger.info({ epoch: String(epoch), peer }, "report fetched and verified against the chain");
      return { outcome: ReportSyncOutcome.FETCHED, record };
    }
    return { outcome: ReportSyncOutcome.UNAVAILABLE };
  }

  /** The epoch's report on the chain (null: none landed yet), read until it is final. */
  private async landedReport(epoch: bigint): Promise<GetReportReturnType> {
    const known = this.landed.get(epoch);
    if (known !== undefined) return known;
    const onChain = await getReport(this.components.publicClient, {
      epochReports: this.init.epochReports,
      epoch,
    });
    if (onChain !== null && (await this.isFinal(epoch, onChain))) this.landed.set(epoch, onChain);
    return onChain;
  }

  /**
   * Whether the report is at least `finalityBlocks` deep: the chain held the same one `finalityBlocks`
   * blocks below its head. A failed read says no (the report is read again on the next pass).
   */
  private async isFinal(epoch: bigint, onChain: NonNullable<GetReportReturnType>): Promise<boolean> {
    const { publicClient, logger } = this.components;
    const depth = BigInt(this.init.finalityBlocks ?? REPORT_FINALITY_BLOCKS);
    try {
      const head = await publicClient.getBlockNumber({ cacheTime: 0 });
      if (head < depth) return false;
      const deep = await getReport(publicClient, {
        epochReports: this.init.epochReports,
        epoch,
        blockNumber: head - depth,
      });
      return deep !== null && sameReport(deep, onChain);
    } catch (e) {
      logger.debug({ epoch: String(epoch), err: (e as Error).message }, "report finality not read");
      return false;
    }
  }
}

function sameReport(a: NonNullable<GetReportReturnType>, b: NonNullable<GetReportReturnType>): boolean {
  return (
    a.resultsRoot.toLowerCase() === b.resultsRoot.toLowerCase() &&
    a.rewardsRoot.toLowerCase() === b.rewardsRoot.toLowerCase() &&
    a.totalRewards === b.totalRewards &&
    a.submittedAt === b.submittedAt
  );
}

/**
 * The roots commit to the leaves only: the header's total and counts are
 * checked against the chain and the leaves here, so a peer cannot pass off
 * a header that lies about them (verifyPublishedReport checks them only when
 * the report carries its inputs).
 */
function checkHeaderTotals(report: PublishedReportWithTx, onChain: { totalRewards: bigint }): void {
  const h = report.header;
  const attestations = report.results.reduce((s, r) => s + r.attestations, 0);
  for (const [field, published, expected] of [
    ["totalRewards", h.totalRewards, onChain.totalRewards],
    ["providerCount", h.providerCount, report.results.length],
    ["attestationCount", h.attestationCount, attestations],
  ] as const) {
    if (published !== expected) {
      throw new Error(`published header.${field} is ${published}, expected ${expected}`);
    }
  }
}

function matches(r: ReportRecord, onChain: { resultsRoot: string; rewardsRoot: string }): boolean {
  return (
    typeof r.header.resultsRoot === "string" &&
    typeof r.header.rewardsRoot === "string" &&
    r.header.resultsRoot.toLowerCase() === onChain.resultsRoot.toLowerCase() &&
    r.header.rewardsRoot.toLowerCase() === onChain.rewardsRoot.toLowerCase() &&
    (r.results.length > 0 || r.header.providerCount === 0)
  );
}

import { epochReportsAbi } from "@checkernet/contracts/generated/index";
import type { Logger } from "@checkernet/runtime";
import type { Address, PublicClient } from "viem";
import { getReport } from "../chain/actions/getReport.ts";
import type { EpochClock } from "../chain/clock.ts";
import type { CheckerDb } from "../db/checkerDb.ts";
import type { Metrics } from "../metrics/index.ts";

/** Bounds of the unreported-epochs watch; each says where its number comes from. */
export const UNREPORTED_LIMITS = {
  /**
   * Epochs back the watch looks (and /status lists): the equivocation book's memory, 16 hours of
   * 15-minute epochs. Older losses are history, in the chain's own record.
   */
  lookbackEpochs: 64n,
  /**
   * After the last second the contract accepts an epoch's report (the end of epoch e +
   * reportLatenessEpochs on the node's clock), the wait before the watch reads reportOf(e): a chain
   * whose clock trails ours by up to this much may still take a report in that second.
   */
  graceMs: 5_000,
  /** The alert (EPOCH_UNREPORTED) stays up while an unreported epoch is this many epochs old or newer. */
  alertEpochs: 16n,
} as const;

export interface UnreportedEpochsComponents {
  db: CheckerDb;
  publicClient: PublicClient;
  clock: EpochClock;
  logger: Logger;
  metrics?: Metrics;
}

export interface UnreportedEpochsInit {
  epochReports: Address;
  /** How often a pass runs (default: a quarter epoch, at least 1 s). */
  intervalMs?: number;
}

/**
 * Which epochs closed without a report (issue 14: an RPC outage lost two epochs' rewards and nobody
 * was told). An epoch e is unreported once the contract no longer takes its report (the end of epoch
 * e + reportLatenessEpochs, plus UNREPORTED_LIMITS.graceMs) while `reportOf(e)` is empty and this
 * node holds attestations of e (it took part: there was something to report). That verdict is final,
 * so each epoch costs one chain read; a pass whose read fails (RPC down) stops and the next pass
 * resumes. /status lists the epochs (`reports.unreported`), `checker_unreported_epochs` counts them,
 * and the EPOCH_UNREPORTED alert shows the recent ones (api/alerts.ts).
 */
export class UnreportedEpochs {
  private readonly c: UnreportedEpochsComponents;
  private readonly init: UnreportedEpochsInit;
  /** Final verdicts by epoch: true = closed without a report. */
  private readonly verdicts = new Map<bigint, boolean>();
  private latenessEpochs: bigint | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(components: UnreportedEpochsComponents, init: UnreportedEpochsInit) {
    this.c = components;
    this.init = init;
  }

  start(): void {
    if (this.timer !== undefined) return;
    const interval = this.init.intervalMs ?? Math.max(1_000, (this.c.clock.epochSeconds * 1_000) / 4);
    const tick = () => {
      this.running = this.check()
        .catch((e) => this.c.logger.debug({ err: (e as Error).message }, "unreported-epochs pass failed"))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, interval);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Epochs of the lookback that closed without a report, oldest first. */
  unreported(): bigint[] {
    const from = this.firstWatched();
    return [...this.verdicts]
      .filter(([e, lost]) => lost && e >= from)
      .map(([e]) => e)
      .sort((a, b) => (a < b ? -1 : 1));
  }

  /** One pass: decides every epoch whose window has closed since the last pass. */
  async check(): Promise<void> {
    const { publicClient, clock, db } = this.c;
    const epochReports = this.init.epochReports;
    this.latenessEpochs ??= await publicClient.readContract({
      address: epochReports,
      abi: epochReportsAbi,
      functionName: "reportLatenessEpochs",
    });
    const lateness = this.latenessEpochs;
    const nowMs = clock.nowMs();
    for (let e = this.firstWatched(); e + lateness < clock.currentEpoch(); e++) {
      if (this.verdicts.has(e)) continue;
      if (nowMs < clock.bounds(e + lateness).endMs + UNREPORTED_LIMITS.graceMs) break;
      if ((await db.attestationsOfEpoch(e)).length === 0) {
        this.verdicts.set(e, false);
        continue;
      }
      const lost = (await getReport(publicClient, { epochReports, epoch: e })) === null;
      this.verdicts.set(e, lost);
      if (lost) {
        this.c.metrics?.unreportedEpochsTotal.inc();
        this.c.logger.warn(
          { epoch: String(e), lastAcceptedEpoch: String(e + lateness) },
          "epoch unreported: its report did not land before the contract's lateness window closed; its rewards are lost",
        );
      }
    }
    for (const e of this.verdicts.keys()) if (e < this.firstWatched()) this.verdicts.delete(e);
    this.c.metrics?.unreportedEpochs.set(this.unreported().length);
  }

  private firstWatched(): bigint {
    const current = this.c.clock.currentEpoch();
    return current > UNREPORTED_LIMITS.lookbackEpochs ? current - UNREPORTED_LIMITS.lookbackEpochs : 1n;
  }
}

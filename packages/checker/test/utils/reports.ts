import type { ResultLeaf, RewardLeaf } from "@checkernet/protocol/merkle/leaves";
import { buildResultsTree, buildRewardsTree } from "@checkernet/protocol/merkle/trees";
import type { Hex } from "viem";
import { type Fixture, type PublishedEpoch, publishEpoch } from "../../../contracts/test/helpers/fixture.ts";
import type { CheckerDb } from "../../src/db/checkerDb.ts";
import {
  type ReportRecord,
  ReportRole,
  ReportStatus,
  writeReportRecord,
} from "../../src/reports/aggregatorRecords.ts";

/** What a report says beyond its leaves: the header's roots and provider count follow from the leaves. */
interface ReportContent {
  epoch: bigint;
  seed: Hex;
  results: ResultLeaf[];
  rewards: RewardLeaf[];
  totalRewards: bigint;
  attestationCount: number;
}

/** The record an aggregator keeps of a report it submitted, with a header consistent with its leaves. */
export function submittedReport(report: ReportContent): ReportRecord {
  const { epoch, results, rewards } = report;
  return {
    epoch,
    role: ReportRole.AGGREGATOR,
    status: ReportStatus.SUBMITTED,
    header: {
      epoch,
      seed: report.seed,
      resultsRoot: buildResultsTree(results).root as Hex,
      rewardsRoot: buildRewardsTree(rewards).root as Hex,
      totalRewards: report.totalRewards,
      providerCount: results.length,
      attestationCount: report.attestationCount,
    },
    results,
    rewards,
    updatedMs: 0,
  };
}

/**
 * Lands `epoch`'s report paying these reward leaves on the fixture's chain and stores it in `db` as the
 * record of the aggregator that submitted it, as a node's aggregator duty would.
 */
export async function publishAsAggregator(
  fx: Fixture,
  db: CheckerDb,
  epoch: bigint,
  rewards: RewardLeaf[],
): Promise<PublishedEpoch> {
  const published = await publishEpoch(fx, epoch, { rewards });
  await writeReportRecord(db, {
    epoch,
    role: ReportRole.AGGREGATOR,
    status: ReportStatus.SUBMITTED,
    header: published.header,
    results: [],
    rewards,
    updatedMs: 0,
  });
  return published;
}

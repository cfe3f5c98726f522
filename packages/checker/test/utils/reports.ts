import type { ResultLeaf, RewardLeaf } from "@checkernet/protocol/merkle/leaves";
import { buildResultsTree, buildRewardsTree } from "@checkernet/protocol/merkle/trees";
import type { Hex } from "viem";
import { type ReportRecord, ReportRole, ReportStatus } from "../../src/reports/aggregatorRecords.ts";

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

import type { PublishedReportWithTx } from "@checkernet/wire";
import type { ReportRecord } from "./aggregatorRecords.ts";

/** The published form (@checkernet/wire's publishedReport.ts) of a report record this node holds. */
export function publishedReportOf(record: ReportRecord): PublishedReportWithTx {
  return {
    header: record.header,
    results: record.results,
    rewards: record.rewards,
    ...(record.inputs === undefined ? {} : { inputs: record.inputs }),
    txHash: record.txHash ?? null,
    gasUsed: record.gasUsed ?? null,
  };
}

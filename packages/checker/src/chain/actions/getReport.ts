import { epochReportsAbi } from "@checkernet/contracts/generated/index";
import type { Address, Hex, PublicClient } from "viem";
import { toChainActionError } from "./errors.ts";

export interface GetReportParameters {
  /** The EpochReports contract. */
  epochReports: Address;
  epoch: bigint;
  /** Read at this block (default: the latest). */
  blockNumber?: bigint;
}

/** The on-chain report of an epoch, or null when none landed. */
export type GetReportReturnType = {
  resultsRoot: Hex;
  rewardsRoot: Hex;
  totalRewards: bigint;
  submittedAt: bigint;
} | null;

/**
 * Reads `reportOf(epoch)`; a zero `submittedAt` means no report yet. Backups
 * call this before sending so that an epoch is never reported twice.
 *
 * @example
 * const report = await getReport(publicClient, { epochReports, epoch: 7n });
 * if (report !== null) console.log("already reported at", report.submittedAt);
 */
export async function getReport(
  client: PublicClient,
  params: GetReportParameters,
): Promise<GetReportReturnType> {
  try {
    const r = await client.readContract({
      address: params.epochReports,
      abi: epochReportsAbi,
      functionName: "reportOf",
      args: [params.epoch],
      ...(params.blockNumber === undefined ? {} : { blockNumber: params.blockNumber }),
    });
    if (r.submittedAt === 0n) return null;
    return {
      resultsRoot: r.resultsRoot,
      rewardsRoot: r.rewardsRoot,
      totalRewards: r.totalRewards,
      submittedAt: r.submittedAt,
    };
  } catch (e) {
    throw toChainActionError(e, "reportOf");
  }
}

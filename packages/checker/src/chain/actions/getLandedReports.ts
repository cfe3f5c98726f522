import { epochReportsAbi } from "@checkernet/contracts/generated/index";
import type { Address, Hash, Hex, PublicClient } from "viem";
import { toChainActionError } from "./errors.ts";

export interface GetLandedReportsParameters {
  epochReports: Address;
  fromBlock: bigint;
  toBlock: bigint;
}

/** One report that landed, as its ReportSubmitted event and transaction receipt show it. */
export interface LandedReport {
  epoch: bigint;
  rewardsRoot: Hex;
  totalRewards: bigint;
  providerCount: number;
  attestationCount: number;
  txHash: Hash;
  blockNumber: bigint;
  /** Gas of the whole submitReport transaction. */
  gasUsed: bigint;
}

/**
 * Reports that landed in a block range, with the gas their transactions used
 * (one receipt read per report).
 *
 * @example
 * const landed = await getLandedReports(publicClient, { epochReports, fromBlock: 0n, toBlock: latest });
 */
export async function getLandedReports(
  client: PublicClient,
  params: GetLandedReportsParameters,
): Promise<LandedReport[]> {
  try {
    const logs = await client.getContractEvents({
      address: params.epochReports,
      abi: epochReportsAbi,
      eventName: "ReportSubmitted",
      fromBlock: params.fromBlock,
      toBlock: params.toBlock,
    });
    const out: LandedReport[] = [];
    for (const log of logs) {
      const receipt = await client.getTransactionReceipt({ hash: log.transactionHash });
      const a = log.args;
      out.push({
        epoch: BigInt(a.epoch ?? 0n),
        rewardsRoot: a.rewardsRoot as Hex,
        totalRewards: a.totalRewards ?? 0n,
        providerCount: Number(a.providerCount ?? 0),
        attestationCount: Number(a.attestationCount ?? 0),
        txHash: log.transactionHash,
        blockNumber: log.blockNumber,
        gasUsed: receipt.gasUsed,
      });
    }
    return out;
  } catch (e) {
    throw toChainActionError(e, "ReportSubmitted logs");
  }
}

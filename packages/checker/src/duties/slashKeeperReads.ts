import { epochReportsAbi, slashingAbi } from "@checkernet/contracts/generated/index";
import type { ResultLeaf } from "@checkernet/protocol/merkle/leaves";
import type { Account, Address, Hex, PublicClient } from "viem";
import { toChainActionError } from "../chain/actions/errors.ts";
import { getReport } from "../chain/actions/getReport.ts";

/** openSlash reverts that end a leaf for good: the window closed on chain, or it was opened or punished. */
const OPENING_ENDED_REVERTS: readonly string[] = [
  "SlashingOpenWindowClosed",
  "SlashingAlreadyOpened",
  "SlashingAlreadyPunished",
];

/** An epoch's landed report as one block of the chain shows it. */
export interface LandedReport {
  resultsRoot: Hex;
  /** The epoch it landed in: the opening window runs to landedEpoch + contestWindowEpochs. */
  landedEpoch: bigint;
}

/**
 * `reportOf(epoch)` and `landedEpochOf(epoch)` at one block (`blockNumber`), as chain/epochSeeds.ts reads a
 * seed: behind a load-balanced RPC, two calls at "latest" can be answered by backends a block apart, and a
 * landedEpochOf of 0 from the one still before the landing read as a window long closed (review5 M3). Null
 * when the report has not landed at that block (landedEpochOf 0 included): the next look reads again.
 */
export async function readLandedReport(
  client: PublicClient,
  epochReports: Address,
  epoch: bigint,
  blockNumber: bigint,
): Promise<LandedReport | null> {
  const report = await getReport(client, { epochReports, epoch, blockNumber });
  if (report === null) return null;
  const landedEpoch = await client.readContract({
    address: epochReports,
    abi: epochReportsAbi,
    functionName: "landedEpochOf",
    args: [epoch],
    blockNumber,
  });
  return landedEpoch === 0n ? null : { resultsRoot: report.resultsRoot, landedEpoch };
}

/**
 * Whether the chain says a leaf has nothing left to open: openSlash's estimate (no transaction) reverts
 * with its window closed, or with the slash opened or the provider fraud-slashed meanwhile. The keeper asks
 * this when its clock says the window passed, and gives a leaf up only on this answer, never on the clock
 * alone; a failed read is "not ended" (asked again on the next look).
 */
export async function openingEnded(
  client: PublicClient,
  account: Account,
  slashing: Address,
  opening: { epoch: bigint; leaf: ResultLeaf; proof: Hex[] },
): Promise<boolean> {
  try {
    await client.estimateContractGas({
      address: slashing,
      abi: slashingAbi,
      functionName: "openSlash",
      args: [opening.epoch, opening.leaf, opening.proof],
      account,
    });
    return false;
  } catch (e) {
    const revert = toChainActionError(e, "openSlash").details.revert;
    return typeof revert === "string" && OPENING_ENDED_REVERTS.includes(revert);
  }
}

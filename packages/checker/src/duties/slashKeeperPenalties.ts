import { slashingAbi } from "@checkernet/contracts/generated/index";
import { type Address, encodeAbiParameters, keccak256, type PublicClient } from "viem";
import type { CheckerDb } from "../db/checkerDb.ts";
import { readReportRecord } from "../reports/aggregatorRecords.ts";
import type { SubmitterWallet } from "./leader/submitOnce.ts";
import { sendPenalizePage } from "./slashKeeperTx.ts";

/** Accuser lists up to this length are penalized by the re-check itself (Slashing.MAX_INLINE_ACCUSERS). */
const MAX_INLINE_ACCUSERS = 64;
/** Accusers jailed per penalizeAccusers transaction: one inline list's worth, whose gas a re-check already pays. */
const PAGE = 64;

export interface PenaltyContext {
  db: CheckerDb;
  publicClient: PublicClient;
  walletClient: SubmitterWallet;
  slashing: Address;
}

/** What is left of an overturned slash's penalties: nothing (done, or not ours to page), or pages to send. */
export type PenaltyWork = { kind: "none" } | { kind: "pages"; epoch: bigint; accusers: Address[] };

/**
 * The accusers of a slash that a re-check overturned and that the contract did not penalize inline (a list
 * longer than MAX_INLINE_ACCUSERS): read from the leaf this node stored for the accused epoch, checked
 * against the hash the contest committed to. "none" for a slash not overturned, a short list, or a leaf
 * this node does not hold.
 */
export async function penaltyWork(ctx: PenaltyContext, slashId: bigint): Promise<PenaltyWork> {
  const read = { address: ctx.slashing, abi: slashingAbi } as const;
  if (!(await ctx.publicClient.readContract({ ...read, functionName: "isOverturned", args: [slashId] })))
    return { kind: "none" };
  const slash = await ctx.publicClient.readContract({ ...read, functionName: "slashOf", args: [slashId] });
  const record = await readReportRecord(ctx.db, slash.epoch).catch(() => undefined);
  const leaf = record?.results.find((l) => l.provider.toLowerCase() === slash.provider.toLowerCase());
  if (leaf === undefined || leaf.accusers.length <= MAX_INLINE_ACCUSERS) return { kind: "none" };
  const accusers = [...leaf.accusers];
  const hash = await ctx.publicClient.readContract({
    ...read,
    functionName: "accusersHashOf",
    args: [slashId],
  });
  if (keccak256(encodeAbiParameters([{ type: "address[]" }], [accusers])) !== hash) return { kind: "none" };
  return { kind: "pages", epoch: slash.epoch, accusers };
}

/**
 * Sends penalizeAccusers for each page of 64 accusers with one not yet penalized for the accused epoch
 * (isPenalized; a page another node sent is skipped). Returns the pages sent; throws on a failed send (the
 * keeper retries on its next look).
 */
export async function penalizePages(
  ctx: PenaltyContext,
  slashId: bigint,
  work: Extract<PenaltyWork, { kind: "pages" }>,
): Promise<{ pages: number; gasUsed: bigint }> {
  let pages = 0;
  let gasUsed = 0n;
  for (let from = 0; from < work.accusers.length; from += PAGE) {
    const to = Math.min(from + PAGE, work.accusers.length);
    let done = true;
    for (const accuser of work.accusers.slice(from, to)) {
      const penalized = await ctx.publicClient.readContract({
        address: ctx.slashing,
        abi: slashingAbi,
        functionName: "isPenalized",
        args: [accuser, work.epoch],
      });
      if (!penalized) {
        done = false;
        break;
      }
    }
    if (done) continue;
    const sent = await sendPenalizePage(ctx.publicClient, ctx.walletClient, ctx.slashing, {
      slashId,
      accusers: work.accusers,
      from: BigInt(from),
      to: BigInt(to),
    });
    pages++;
    gasUsed += sent.gasUsed;
  }
  return { pages, gasUsed };
}

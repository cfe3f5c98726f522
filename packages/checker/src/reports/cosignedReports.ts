import type { CheckerDb } from "../db/checkerDb.ts";
import { decodeReportRecord, encodeReportRecord, type ReportRecord } from "./aggregatorRecords.ts";

/**
 * Every report a member co-signed, per (epoch, results root, rewards root) (docs/protocol/cosign.md, "What a
 * member keeps"). The epoch's report record holds only the first one; a member may sign several valid roots of
 * one epoch (a backup's, a late round's, or an attacker's second request), and whichever of them lands, this
 * node must hold its leaves to open its FAIL verdicts and serve its reward proofs (review5 H1).
 */

type Roots = { resultsRoot: string; rewardsRoot: string };

/** The requester of a report whose asking peer is not known (an in-process call). */
const UNKNOWN_REQUESTER = "-";

const rootsKey = (r: Roots) => `${r.resultsRoot.toLowerCase()}/${r.rewardsRoot.toLowerCase()}`;

/** Stores a co-signed report under its roots and the peer that asked (its libp2p peer id). */
export async function writeCosignedReport(
  db: CheckerDb,
  record: ReportRecord,
  requester: string | undefined,
): Promise<void> {
  await db.putCosignedReport(
    record.epoch,
    rootsKey(record.header),
    requester ?? UNKNOWN_REQUESTER,
    encodeReportRecord(record),
  );
}

/** The roots co-signed for `epoch` and who asked for each: what the member's cap counts (cosigner.ts). */
export async function cosignedRoots(
  db: CheckerDb,
  epoch: bigint,
): Promise<{ roots: string; requester: string | undefined }[]> {
  return (await db.cosignedRootsOf(epoch)).map((r) => ({
    roots: r.roots,
    requester: r.requester === UNKNOWN_REQUESTER ? undefined : r.requester,
  }));
}

/** Whether a report with these roots was co-signed for `epoch`, as `cosignedRoots` lists them. */
export function signedRoots(listed: readonly { roots: string }[], roots: Roots): boolean {
  return listed.some((r) => r.roots === rootsKey(roots));
}

/** The report co-signed for `epoch` with these roots, if this node signed one. */
export async function findCosignedReport(
  db: CheckerDb,
  epoch: bigint,
  roots: Roots,
): Promise<ReportRecord | undefined> {
  const raw = await db.getCosignedReport(epoch, rootsKey(roots));
  return raw === undefined ? undefined : decodeReportRecord(epoch, raw);
}

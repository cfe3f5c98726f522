import type { ReportInputs } from "@checkernet/protocol/explain";
import type { ResultLeaf, RewardLeaf } from "@checkernet/protocol/merkle/leaves";
import type { ReportHeader } from "@checkernet/protocol/types";
import type { Hash, Hex } from "viem";
import type { CheckerDb } from "../db/checkerDb.ts";
import { CorruptRecordError } from "../db/errors.ts";

/** What this node did about an epoch's report. */
export const ReportRole = {
  /** Elected aggregator (rank 0). */
  AGGREGATOR: "aggregator",
  /** A ranked backup that stepped in. */
  BACKUP: "backup",
  /** Co-signed someone else's report (and rebuilt its leaves). */
  COSIGNER: "cosigner",
  /** Fetched from a peer (`/checkernet/reports/1.0.0`) and verified against the on-chain roots. */
  FETCHED: "fetched",
} as const;
export type ReportRole = (typeof ReportRole)[keyof typeof ReportRole];

export const ReportStatus = {
  /** Built, gathering co-signatures. */
  PENDING: "pending",
  /** Quorum reached; the transaction is being sent (nonce fixed in the record). */
  SUBMITTING: "submitting",
  /** Our transaction landed. */
  SUBMITTED: "submitted",
  /** Someone else's report landed first; ours was never sent (or was refused). */
  REPORTED_BY_OTHER: "reported-by-other",
  /** Co-signed; the aggregator submits. */
  COSIGNED: "cosigned",
  /** Gave up (quorum not reached, refused by the contract); `error` says why. */
  FAILED: "failed",
  /**
   * The round ended without a report on chain for a reason a later epoch may not share (the RPC was
   * down, every send failed); `error` says which. Retried late while the contract accepts the epoch
   * (AggregatorDuty.reportLate).
   */
  UNREPORTED: "unreported",
} as const;
export type ReportStatus = (typeof ReportStatus)[keyof typeof ReportStatus];

/**
 * The per-epoch report record, stored under the epoch in CheckerDb's reports
 * sublevel: the header with the full leaves (served later for evidence and
 * reward proofs) and the submission state that makes double submission
 * impossible across restarts.
 */
export interface ReportRecord {
  epoch: bigint;
  role: ReportRole;
  status: ReportStatus;
  header: ReportHeader;
  results: ResultLeaf[];
  rewards: RewardLeaf[];
  /** What the leaves were computed from (stakes, seats, licenses, parameters): lets anyone recompute every number. */
  inputs?: ReportInputs;
  signerBitfield?: bigint;
  /** The 256-byte EIP-2537 aggregate signature, kept so a restart resends the same transaction. */
  aggregateSignature?: Hex;
  signers?: number;
  nonce?: number;
  txHash?: Hash;
  gasUsed?: bigint;
  error?: string;
  /** Set when the round that built the record ran after the epoch, as a late report (AggregatorDuty.reportLate). */
  late?: boolean;
  updatedMs: number;
}

const BIG = "__bigint:";

function replacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? `${BIG}${value}` : value;
}
function reviver(_key: string, value: unknown): unknown {
  return typeof value === "string" && value.startsWith(BIG) ? BigInt(value.slice(BIG.length)) : value;
}

export function encodeReportRecord(r: ReportRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(r, replacer));
}

export function decodeReportRecord(epoch: bigint, raw: Uint8Array): ReportRecord {
  try {
    const r = JSON.parse(new TextDecoder().decode(raw), reviver) as ReportRecord;
    if (r.epoch !== epoch || typeof r.status !== "string" || !Array.isArray(r.rewards)) {
      throw new Error("fields have the wrong shape");
    }
    return r;
  } catch (e) {
    throw new CorruptRecordError("report", String(epoch), (e as Error).message);
  }
}

export async function readReportRecord(db: CheckerDb, epoch: bigint): Promise<ReportRecord | undefined> {
  const raw = await db.getReport(epoch);
  return raw === undefined ? undefined : decodeReportRecord(epoch, raw);
}

export async function writeReportRecord(db: CheckerDb, record: ReportRecord): Promise<void> {
  await db.putReport(record.epoch, encodeReportRecord({ ...record, updatedMs: Date.now() }));
}

/** Every stored record from epoch 1 to `lastEpoch` (the reports sublevel is keyed by epoch). */
export async function readReportRecords(db: CheckerDb, lastEpoch: bigint): Promise<ReportRecord[]> {
  const out: ReportRecord[] = [];
  for (let e = 1n; e <= lastEpoch; e++) {
    const r = await readReportRecord(db, e);
    if (r !== undefined) out.push(r);
  }
  return out;
}

/** Statuses after which nothing is left to do for the epoch: a report landed (ours or another's). */
export const LANDED_STATUSES: readonly ReportStatus[] = [
  ReportStatus.SUBMITTED,
  ReportStatus.REPORTED_BY_OTHER,
];

/** The status API's view of a record. */
export interface ReportSummary {
  epoch: string;
  role: ReportRole;
  status: ReportStatus;
  txHash: Hex | null;
  gasUsed: string | null;
  signers: number | null;
  error: string | null;
}

export function summarize(r: ReportRecord): ReportSummary {
  return {
    epoch: String(r.epoch),
    role: r.role,
    status: r.status,
    txHash: r.txHash ?? null,
    gasUsed: r.gasUsed === undefined ? null : String(r.gasUsed),
    signers: r.signers ?? null,
    error: r.error ?? null,
  };
}

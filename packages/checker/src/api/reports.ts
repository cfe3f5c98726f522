import { publishedReportToJson } from "@checkernet/wire";
import type { CheckerDb } from "../db/checkerDb.ts";
import { type ReportRecord, readReportRecords } from "../reports/aggregatorRecords.ts";
import { publishedReportOf } from "../reports/publishedReport.ts";
import { HttpError, sendJson } from "./http.ts";
import type { Route } from "./router.ts";

/** One entry of `GET /reports` (README.md, "HTTP API"). Bigints are decimal strings. */
interface ReportListEntry {
  epoch: string;
  role: string;
  status: string;
  resultsRoot: string | null;
  rewardsRoot: string | null;
  totalRewards: string | null;
  providerCount: number | null;
  attestationCount: number | null;
  txHash: string | null;
  gasUsed: string | null;
  signers: number | null;
  /** Whether the record carries the inputs `/explain` needs. */
  explainable: boolean;
}

export interface ReportsRouteComponents {
  db: CheckerDb;
  currentEpoch(): bigint;
  /** The verified record of an epoch, fetched from peers when this node holds none (ReportSync.ensure). */
  recordOf(epoch: bigint): Promise<ReportRecord | undefined>;
}

/** Most epochs `GET /reports` lists (newest first). */
const MAX_LISTED_REPORTS = 1_000;

function entry(r: ReportRecord): ReportListEntry {
  const h = r.header as Partial<ReportRecord["header"]>;
  return {
    epoch: String(r.epoch),
    role: r.role,
    status: r.status,
    resultsRoot: h.resultsRoot ?? null,
    rewardsRoot: h.rewardsRoot ?? null,
    totalRewards: h.totalRewards === undefined ? null : String(h.totalRewards),
    providerCount: h.providerCount ?? null,
    attestationCount: h.attestationCount ?? null,
    txHash: r.txHash ?? null,
    gasUsed: r.gasUsed === undefined ? null : String(r.gasUsed),
    signers: r.signers ?? null,
    explainable: r.inputs !== undefined,
  };
}

/**
 * `GET /reports`: the report records this node holds, newest first.
 * `GET /reports/<epoch>`: one epoch's published report (header, every result
 * and reward leaf, the inputs), fetched from peers and verified against the
 * chain when this node holds none; 404 when no verified copy exists.
 */
export function reportsRoutes(c: ReportsRouteComponents): Route[] {
  return [
    {
      path: "/reports",
      handler: async ({ res }) => {
        const records = await readReportRecords(c.db, c.currentEpoch());
        sendJson(res, 200, records.reverse().slice(0, MAX_LISTED_REPORTS).map(entry));
      },
    },
    {
      path: "/reports/*",
      handler: async ({ res, rest }) => {
        if (!/^[1-9]\d{0,19}$/.test(rest) || BigInt(rest) >= 1n << 64n) {
          throw new HttpError(400, `not an epoch: ${rest.slice(0, 40)}`);
        }
        const record = await c.recordOf(BigInt(rest));
        if (record === undefined || typeof record.header.resultsRoot !== "string") {
          throw new HttpError(404, `no verified report for epoch ${rest}`);
        }
        sendJson(res, 200, {
          ...publishedReportToJson(publishedReportOf(record)),
          role: record.role,
          status: record.status,
        });
      },
    },
  ];
}

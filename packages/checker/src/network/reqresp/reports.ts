import type { Logger } from "@checkernet/runtime";
import {
  decodeEpochRequest,
  decodeRequest,
  type Frame,
  publishedReportToJson,
  REPORTS_LIMITS,
  REPORTS_PROTOCOL,
  ReportsFrameType,
  serveOnce,
} from "@checkernet/wire";
import type { CheckerDb } from "../../db/checkerDb.ts";
import { readReportRecord } from "../../reports/aggregatorRecords.ts";
import { publishedReportOf } from "../../reports/publishedReport.ts";
import type { CheckerHost } from "../host.ts";

/**
 * The server half of `/checkernet/reports/1.0.0` (the protocol, its codec
 * and the client `fetchReport` are in @checkernet/wire): every report record
 * this node holds, read from its database.
 */
/** Serves every report record this node holds (built, co-signed or fetched and verified). */
export async function handleReports(
  host: CheckerHost,
  components: { db: CheckerDb; logger: Logger },
): Promise<void> {
  await serveOnce(
    host,
    {
      protocol: REPORTS_PROTOCOL,
      what: "reports",
      request: { [ReportsFrameType.REPORTS_REQUEST]: REPORTS_LIMITS.requestBytes },
      limits: REPORTS_LIMITS,
    },
    (frame) => answerReport(frame.body, components.db),
    components.logger,
  );
}

async function answerReport(body: Uint8Array, db: CheckerDb): Promise<Frame> {
  const epoch = decodeRequest(decodeEpochRequest, body);
  const record = await readReportRecord(db, epoch).catch(() => undefined);
  // A record without leaves (reported by another before we built anything) has nothing to serve.
  if (record === undefined || record.header.resultsRoot === undefined) {
    throw new Error(`no report for epoch ${epoch}`);
  }
  const json = new TextEncoder().encode(JSON.stringify(publishedReportToJson(publishedReportOf(record))));
  if (json.length > REPORTS_LIMITS.maxResponseBytes) throw new Error("report too large to serve");
  return { type: ReportsFrameType.REPORTS_RESPONSE, body: json };
}

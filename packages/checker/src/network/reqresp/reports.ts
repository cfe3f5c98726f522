import type { Logger } from "@checkernet/runtime";
import {
  decodeEpochRequest,
  FrameReader,
  type FrameType,
  publishedReportToJson,
  REPORTS_LIMITS,
  REPORTS_PROTOCOL,
  ReportsFrameType,
  writeFrame,
} from "@checkernet/wire";
import type { Stream } from "@libp2p/interface";
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
  await host.handle(
    REPORTS_PROTOCOL,
    (stream) => {
      serveReport(stream, components).catch((e: unknown) => {
        components.logger.debug({ err: e }, "reports request failed");
        stream.abort(e as Error);
      });
    },
    { maxInboundStreams: REPORTS_LIMITS.maxInboundStreams },
  );
}

async function serveReport(stream: Stream, c: { db: CheckerDb }): Promise<void> {
  const frame = await new FrameReader(stream).read(
    { [ReportsFrameType.REPORTS_REQUEST]: REPORTS_LIMITS.requestBytes },
    Date.now() + REPORTS_LIMITS.requestTimeoutMs,
  );
  // One request per stream: whatever else the peer sends is dropped, not buffered until it closes.
  await stream.closeRead();
  const deadline = Date.now() + REPORTS_LIMITS.responseTimeoutMs;
  const refuse = (reason: string) =>
    writeFrame(stream, 0x7f as FrameType, new TextEncoder().encode(reason).subarray(0, 256), deadline);
  let epoch: bigint | undefined;
  try {
    epoch = decodeEpochRequest(frame.body);
  } catch (e) {
    await refuse(`malformed request: ${(e as Error).message}`);
  }
  if (epoch !== undefined) {
    const record = await readReportRecord(c.db, epoch).catch(() => undefined);
    // A record without leaves (reported by another before we built anything) has nothing to serve.
    if (record === undefined || record.header.resultsRoot === undefined) {
      await refuse(`no report for epoch ${epoch}`);
    } else {
      const body = new TextEncoder().encode(JSON.stringify(publishedReportToJson(publishedReportOf(record))));
      if (body.length > REPORTS_LIMITS.maxResponseBytes) await refuse("report too large to serve");
      else await writeFrame(stream, ReportsFrameType.REPORTS_RESPONSE, body, deadline);
    }
  }
  await stream.close({ signal: AbortSignal.timeout(REPORTS_LIMITS.requestTimeoutMs) });
}

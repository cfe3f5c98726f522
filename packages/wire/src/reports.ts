import type { PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { WirePackageError } from "./errors.ts";
import type { FrameType } from "./framing.ts";
import { type PublishedReportWithTx, parsePublishedReport } from "./publishedReport.ts";
import { type Dialer, type RequestFailure, requestOnce } from "./requestOnce.ts";

/**
 * `/checkernet/reports/1.0.0`: anyone asks a checker for the full report of
 * an epoch it holds (header, every result and reward leaf, the inputs they
 * were computed from). Framing as the challenge protocol
 * (framing.ts): one REPORTS_REQUEST frame whose body is the
 * epoch as 8 bytes big-endian, one REPORTS_RESPONSE frame with the report's
 * JSON (publishedReport.ts) or an ERROR frame, stream closed. The answer is
 * untrusted: the caller checks it against the on-chain roots
 * (`verifyPublishedReport`) before storing or serving it.
 */
export const REPORTS_PROTOCOL = "/checkernet/reports/1.0.0";

/** Frame type bytes (0x50 block; framing.ts lists 0x01–0x32, cosign.ts 0x40–0x41). */
export const ReportsFrameType = {
  REPORTS_REQUEST: 0x50 as FrameType,
  REPORTS_RESPONSE: 0x51 as FrameType,
} as const;

export const REPORTS_LIMITS = {
  /** The request is the 8-byte epoch. */
  requestBytes: 8,
  /**
   * 16 MiB: a report of 512 providers with full committees is ~1 MB of JSON, so this leaves a 16× margin
   * while capping what a lying peer can make us buffer.
   */
  maxResponseBytes: 16 * 1024 * 1024,
  requestTimeoutMs: 5_000,
  /** 16 MiB over a slow laptop uplink (~2 MB/s). */
  responseTimeoutMs: 15_000,
  /** Reports are read from disk and serialized: a few at a time per connection. */
  maxInboundStreams: 4,
} as const;

export const ReportsFetchErrorCode = {
  /** The peer has no report for the epoch (ERROR frame). */
  NOT_FOUND: "REPORTS_ERROR_NOT_FOUND",
  /** No answer in time, or the stream failed. */
  UNREACHABLE: "REPORTS_ERROR_UNREACHABLE",
  /** The answer is not a well-formed report of the asked epoch. */
  INVALID: "REPORTS_ERROR_INVALID",
} as const;
export type ReportsFetchErrorCode = (typeof ReportsFetchErrorCode)[keyof typeof ReportsFetchErrorCode];

export class ReportsFetchError extends WirePackageError<ReportsFetchErrorCode> {
  override name = "ReportsFetchError";
}

export function encodeEpochRequest(epoch: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, epoch);
  return out;
}

export function decodeEpochRequest(body: Uint8Array): bigint {
  if (body.length !== 8) throw new Error(`request has ${body.length} bytes, expected 8`);
  const epoch = new DataView(body.buffer, body.byteOffset, 8).getBigUint64(0);
  if (epoch === 0n) throw new Error("epoch 0 has no report");
  return epoch;
}

/**
 * Fetches `peer`'s report of `epoch`, parsed strictly. The caller verifies it
 * against the chain before trusting any number in it.
 *
 * @throws ReportsFetchError NOT_FOUND, UNREACHABLE, INVALID
 */
export async function fetchReport(
  host: Dialer,
  peer: PeerId | Multiaddr,
  epoch: bigint,
  options: { timeoutMs?: number } = {},
): Promise<PublishedReportWithTx> {
  const body = await requestOnce(
    host,
    peer,
    {
      protocol: REPORTS_PROTOCOL,
      what: "reports",
      request: { type: ReportsFrameType.REPORTS_REQUEST, body: encodeEpochRequest(epoch) },
      answer: { type: ReportsFrameType.REPORTS_RESPONSE, maxBytes: REPORTS_LIMITS.maxResponseBytes },
      timeoutMs: options.timeoutMs ?? REPORTS_LIMITS.responseTimeoutMs,
    },
    (failure, message) => new ReportsFetchError(REPORTS_FAILURE_CODES[failure], message),
  );
  let report: PublishedReportWithTx;
  try {
    report = parsePublishedReport(JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body)));
  } catch (e) {
    throw new ReportsFetchError(
      ReportsFetchErrorCode.INVALID,
      `report does not parse: ${(e as Error).message}`,
    );
  }
  if (report.header.epoch !== epoch) {
    throw new ReportsFetchError(
      ReportsFetchErrorCode.INVALID,
      `asked for epoch ${epoch}, got epoch ${report.header.epoch}`,
    );
  }
  return report;
}

/** An ERROR frame means the peer holds no report of the epoch. */
const REPORTS_FAILURE_CODES: Record<RequestFailure, ReportsFetchErrorCode> = {
  unreachable: ReportsFetchErrorCode.UNREACHABLE,
  refused: ReportsFetchErrorCode.NOT_FOUND,
  invalid: ReportsFetchErrorCode.INVALID,
};

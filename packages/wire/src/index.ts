/** The stream protocols' shared wire layer (README.md): framing, one-shot requests, evidence and reports. */
export {
  ADMIT_BODY_BYTES,
  ADMITTED_BODY_BYTES,
  type Admit,
  type AdmittedRequestType,
  decodeAdmit,
  decodeAdmitted,
  encodeAdmit,
  encodeAdmitted,
} from "./admission.ts";
export { WireError, WireErrorCode } from "./errors.ts";
export {
  EVIDENCE_LIMITS,
  EVIDENCE_PROTOCOL,
  type Evidence,
  EvidenceError,
  EvidenceErrorCode,
  type EvidenceRequest,
  evidenceNoRunCodec,
  evidenceRequestCodec,
  evidenceResponseCodec,
  fetchEvidence,
  type NoRunReason,
  noRunMessage,
} from "./evidence.ts";
export { type Expect, FrameReader, writeFrame } from "./frameReader.ts";
export { FrameStream } from "./frameStream.ts";
export {
  CHALLENGE_PROTOCOL,
  CHALLENGE_PROTOCOL_1_0,
  encodeFrame,
  encodeVarint,
  errorBody,
  FRAMING_LIMITS,
  type Frame,
  FrameType,
  typedPayload,
} from "./framing.ts";
export {
  PUBLISHED_REPORT_LIMITS,
  PublishedReportError,
  type PublishedReportWithTx,
  parsePublishedReport,
  publishedReportToJson,
} from "./publishedReport.ts";
export {
  decodeEpochRequest,
  encodeEpochRequest,
  fetchReport,
  REPORTS_LIMITS,
  REPORTS_PROTOCOL,
  ReportsFetchError,
  ReportsFetchErrorCode,
  ReportsFrameType,
} from "./reports.ts";
export { type Dialer, RequestFailure, requestOnce } from "./requestOnce.ts";
export { decodeRequest, serveOnce } from "./serveOnce.ts";

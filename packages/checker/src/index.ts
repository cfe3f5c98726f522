/**
 * The checker node's public surface: what the devnet scripts, the end-to-end
 * tests and the provider's interop tests drive. Everything else in src/ is
 * internal to the node.
 */
export { EpochClock } from "./chain/clock.ts";
export { protocolParamsOnChain } from "./chain/protocolParams.ts";
export { ChallengeClient } from "./challenges/client.ts";
export { loadConfig } from "./config.ts";
export { CheckerDb } from "./db/checkerDb.ts";
export { unlockOperatorKey } from "./keys/store.ts";
export { type CheckerHost, createHost } from "./network/host.ts";
export { handleReports } from "./network/reqresp/reports.ts";
export { NETWORK_FORMAT, type NetworkDefinition, networkDefinition } from "./networkDefinition.ts";
export { CheckerNode } from "./node.ts";
export {
  type ReportRecord,
  ReportRole,
  ReportStatus,
  readReportRecord,
  writeReportRecord,
} from "./reports/aggregatorRecords.ts";

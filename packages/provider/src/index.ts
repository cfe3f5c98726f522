/**
 * The provider agent: serves the challenge protocol, registers and stakes.
 * The simulator's real-mesh runs and the end-to-end tests start providers
 * through `runProvider`, with a fault mode from `parseFaultMode`. Framing and
 * the evidence and reports clients are @checkernet/wire's, the worker pool
 * @checkernet/runtime's.
 */

export type { ComputeBackend, MatmulJob, VramDataset } from "./backend/backend.ts";
export { BackendError, BackendErrorCode, CpuBackend, type CpuBackendOptions } from "./backend/cpu.ts";
export {
  type ProviderStatus,
  providerStatus,
  type RegisterParameters,
  registerProvider,
  requestUnstake,
  stakeTokens,
  withdrawUnbonded,
} from "./chain/actions.ts";
export { type AnswerKeyRegistration, registerAnswerKey } from "./chain/answerKey.ts";
export {
  connectProviderChain,
  type ProviderChain,
  type ProviderContracts,
  readDeployment,
} from "./chain/client.ts";
export {
  type ContestOutcome,
  type ContestParameters,
  type ContestReceipt,
  contestOutcome,
  contestSlash,
  followContest,
} from "./chain/contest.ts";
export { ChainError, ChainErrorCode } from "./chain/errors.ts";
export { readLeafFile } from "./chain/leafFile.ts";
export { fetchResultLeaf, readReportRoots } from "./evidence/reportLeaf.ts";
export {
  applyFault,
  type FaultOptions,
  type FaultRuntime,
  SlowBackend,
  selects,
  WrongResultsBackend,
} from "./faults/faults.ts";
export {
  type EpochSchedule,
  FAULT_MODE_SYNTAX,
  type FaultMode,
  FaultModeError,
  FaultModeErrorCode,
  formatFaultMode,
  isOfflineEpoch,
  parseFaultMode,
} from "./faults/mode.ts";
export { WrongRowsBackend } from "./faults/wrongRows.ts";
export { createProviderHost, type ProviderHostOptions } from "./host.ts";
export {
  initProviderKeys,
  KEY_FILE,
  KeyFileError,
  KeyFileErrorCode,
  loadProviderKeys,
  type ProviderKeys,
} from "./keys.ts";
export { type AnswerSigner, answerSigner } from "./serve/answerSigner.ts";
export { DEFAULT_SERVE_LIMITS, type ServeLimits } from "./serve/limits.ts";
export { ServeError, ServeErrorCode } from "./serve/messages.ts";
export { type RunningProvider, type RunProviderOptions, runProvider } from "./serve/run.ts";
export { ChallengeServer, type ChallengeServerOptions, type ServeStats } from "./serve/server.ts";
export { honestBehaviour, honestSession, type ServeBehaviour, type ServeSession } from "./serve/session.ts";

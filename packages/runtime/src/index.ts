/** Process utilities shared by the checker node and the provider agent (README.md). */
export { createLogger, type Logger, type LoggerOptions } from "./logger.ts";
export { LOOP_STALL_LIMITS, type LoopStall, LoopStallMonitor } from "./loopStalls.ts";
export { sleep } from "./sleep.ts";
export {
  defaultPoolSize,
  type TaskReply,
  type TaskRequest,
  WorkerPool,
  WorkerPoolError,
  WorkerPoolErrorCode,
} from "./workerPool.ts";

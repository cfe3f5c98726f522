import {
  type ChallengeTranscript,
  evaluateTranscript,
  type RunOutcome,
} from "@checkernet/protocol/challenges/transcript";
import type { ProtocolParams } from "@checkernet/protocol/params";
import { type Logger, WorkerPool, WorkerPoolError, WorkerPoolErrorCode } from "@checkernet/runtime";
import { CheckerError } from "../errors.ts";
import type { WorkerModules } from "./workerModules.ts";

/**
 * Turns a finished run's transcript into its outcome (`evaluateTranscript`).
 *
 * Evaluating a VRAM run regenerates up to 17 dataset blocks of 256 KiB (0.2
 * to 0.7 s of keccak in JavaScript, seconds on a loaded laptop). Done on the
 * event loop, that pause lands inside the other runs still in flight: their
 * answers sit unread while their deadline timers fire first, so an honest
 * provider is timed out for the checker's own stall. The node therefore
 * evaluates in a worker thread; the result is the same function of the same
 * transcript either way.
 */
export interface TranscriptEvaluator {
  evaluate(transcript: ChallengeTranscript): Promise<RunOutcome>;
  close(): Promise<void>;
}

/** Evaluates on the caller's thread: tests, tools, and the fallback of the worker evaluator. */
export function inlineEvaluator(params: ProtocolParams): TranscriptEvaluator {
  return {
    evaluate: async (transcript) => evaluateTranscript(transcript, params),
    close: async () => undefined,
  };
}

/** What each evaluator worker starts with (evaluator-worker.ts). */
export interface EvaluatorWorkerData {
  params: ProtocolParams;
  /** False loads viem whole in the worker (comparisons); otherwise its slim stand-in (workerModules.ts). */
  slimViem?: boolean;
}

/** An error `evaluateTranscript` threw in the worker, with its name and code kept. */
export class EvaluationError extends CheckerError {
  readonly code: string | undefined;

  constructor(error: { name: string; message: string; code?: string }) {
    super(error.message);
    this.name = error.name;
    this.code = error.code;
  }
}

/** Worker deaths in a row after which the evaluator stays on the event loop for good. */
const MAX_WORKER_FAILURES = 3;

/**
 * One worker thread (a WorkerPool of one), started on first use. A run is
 * never lost to the worker: when it dies, cannot start (a Node without type
 * stripping), is busy beyond the pool's queue or is closed, the transcript is
 * evaluated inline; after MAX_WORKER_FAILURES deaths in a row the evaluator
 * stops trying and evaluates inline.
 */
export class WorkerTranscriptEvaluator implements TranscriptEvaluator {
  readonly #params: ProtocolParams;
  readonly #logger: Logger | undefined;
  readonly #inline: TranscriptEvaluator;
  #pool: WorkerPool | undefined;
  #failures = 0;
  #closed = false;

  readonly #slimViem: boolean;

  constructor(params: ProtocolParams, logger?: Logger, options: { slimViem?: boolean } = {}) {
    this.#params = params;
    this.#logger = logger;
    this.#slimViem = options.slimViem ?? true;
    this.#inline = inlineEvaluator(params);
  }

  /** True while evaluations go to a worker thread (false after repeated worker failures). */
  get offThread(): boolean {
    return this.#failures < MAX_WORKER_FAILURES;
  }

  /**
   * Starts the worker thread now (it loads the protocol's challenge code when it starts), so that the
   * node's first epoch does not pay for it while its challenges run; the node calls it at start.
   */
  warm(): void {
    if (this.#closed || !this.offThread) return;
    this.#pool ??= new WorkerPool(new URL("./evaluator-worker.ts", import.meta.url), {
      size: 1,
      workerData: { params: this.#params, slimViem: this.#slimViem } satisfies EvaluatorWorkerData,
    });
  }

  /** The modules the worker thread loaded (starting it if needed); undefined when it is not running. */
  async workerModules(): Promise<WorkerModules | undefined> {
    this.warm();
    return this.#pool?.run<WorkerModules>("modules", null);
  }

  async evaluate(transcript: ChallengeTranscript): Promise<RunOutcome> {
    if (this.#closed || !this.offThread) return this.#inline.evaluate(transcript);
    this.warm();
    if (this.#pool === undefined) return this.#inline.evaluate(transcript);
    try {
      const outcome = await this.#pool.run<RunOutcome>("evaluate", transcript);
      this.#failures = 0;
      return outcome;
    } catch (e) {
      if (!(e instanceof WorkerPoolError)) throw e;
      if (e.code === WorkerPoolErrorCode.TASK_FAILED) {
        // evaluateTranscript itself refused the transcript: the same answer inline.
        throw new EvaluationError(e.details.cause as { name: string; message: string; code?: string });
      }
      if (e.code === WorkerPoolErrorCode.WORKER_DIED) {
        this.#failures++;
        this.#logger?.warn(
          { why: e.message, failures: this.#failures, inlineFromNowOn: !this.offThread },
          "transcript evaluator worker died; evaluating the run on the event loop",
        );
        if (!this.offThread) await this.#closePool();
      }
      return this.#inline.evaluate(transcript);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#closePool();
  }

  async #closePool(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.close();
  }
}

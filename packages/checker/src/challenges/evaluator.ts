import {
  type ChallengeTranscript,
  evaluateTranscript,
  type RunOutcome,
} from "@checkernet/protocol/challenges/transcript";
import { vramFraudProofFromTranscript } from "@checkernet/protocol/fraud/fromTranscript";
import type { VramFraudProof } from "@checkernet/protocol/fraud/vramFraud";
import type { ProtocolParams } from "@checkernet/protocol/params";
import { type Logger, WorkerPoolError, WorkerPoolErrorCode } from "@checkernet/runtime";
import { CheckerError } from "../errors.ts";
import { ComputeWorker } from "./computeWorker.ts";
import type { VramFraudSearch } from "./vramFraudSearch.ts";
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
  /** The run's VRAM fraud proof, searched off the event loop; absent: the caller searches inline. */
  vramFraudProof?(transcript: ChallengeTranscript): Promise<VramFraudProof | null>;
  close(): Promise<void>;
}

/** Evaluates on the caller's thread: tests, tools, and the fallback of the worker evaluator. */
export function inlineEvaluator(params: ProtocolParams): TranscriptEvaluator {
  return {
    evaluate: async (transcript) => evaluateTranscript(transcript, params),
    close: async () => undefined,
  };
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

/** How long one slice of a VRAM fraud-proof search may hold the worker thread (vramFraudSearch.ts). */
const FRAUD_SLICE_MS = 50;

/**
 * Evaluates on the node's worker thread (computeWorker.ts, shared with the BLS batch verifier; its own
 * when none is passed), started on first use. A run is never lost to the worker: when it dies, cannot
 * start (a Node without type stripping), is busy beyond its queue or is closed, the transcript is
 * evaluated inline; after MAX_WORKER_FAILURES deaths in a row the evaluator stops trying and evaluates
 * inline.
 */
export class WorkerTranscriptEvaluator implements TranscriptEvaluator {
  readonly #logger: Logger | undefined;
  readonly #inline: TranscriptEvaluator;
  readonly #worker: ComputeWorker;
  #failures = 0;
  #closed = false;

  constructor(
    params: ProtocolParams,
    logger?: Logger,
    options: { slimViem?: boolean; worker?: ComputeWorker } = {},
  ) {
    this.#logger = logger;
    this.#inline = inlineEvaluator(params);
    this.#worker = (
      options.worker ??
      new ComputeWorker({ params, slimViem: options.slimViem ?? true, blsPreference: "auto" })
    ).acquire();
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
    this.#worker.start();
  }

  /** The modules the worker thread loaded (starting it if needed); undefined when it is not running. */
  async workerModules(): Promise<WorkerModules | undefined> {
    if (this.#closed || !this.offThread) return undefined;
    return this.#worker.run<WorkerModules>("bulk", "modules", null);
  }

  async evaluate(transcript: ChallengeTranscript): Promise<RunOutcome> {
    if (this.#closed || !this.offThread) return this.#inline.evaluate(transcript);
    try {
      const outcome = await this.#worker.run<RunOutcome>("bulk", "evaluate", transcript);
      this.#failures = 0;
      return outcome;
    } catch (e) {
      this.#onWorkerError(e);
      return this.#inline.evaluate(transcript);
    }
  }

  /**
   * The VRAM fraud proof of a run (`vramFraudProofFromTranscript`), searched on the worker thread in
   * slices of FRAUD_SLICE_MS so BLS batches go between them; inline when the worker is not used.
   */
  async vramFraudProof(transcript: ChallengeTranscript): Promise<VramFraudProof | null> {
    let from = 0;
    while (!this.#closed && this.offThread) {
      let slice: VramFraudSearch;
      try {
        slice = await this.#worker.run<VramFraudSearch>("bulk", "vramFraudProof", {
          transcript,
          from,
          budgetMs: FRAUD_SLICE_MS,
        });
      } catch (e) {
        this.#onWorkerError(e);
        break;
      }
      if (slice.done) return slice.proof;
      from = slice.next;
    }
    return vramFraudProofFromTranscript(transcript);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#worker.release();
  }

  /** Rethrows what is not the worker's failure; counts deaths; leaves the caller to work inline. */
  #onWorkerError(e: unknown): void {
    if (!(e instanceof WorkerPoolError)) throw e;
    if (e.code === WorkerPoolErrorCode.TASK_FAILED) {
      // The protocol itself refused the transcript: the same answer inline.
      throw new EvaluationError(e.details.cause as { name: string; message: string; code?: string });
    }
    if (e.code === WorkerPoolErrorCode.WORKER_DIED) {
      this.#failures++;
      this.#logger?.warn(
        { why: e.message, failures: this.#failures, inlineFromNowOn: !this.offThread },
        "compute worker died; evaluating the run on the event loop",
      );
    }
  }
}

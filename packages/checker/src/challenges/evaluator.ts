import { Worker } from "node:worker_threads";
import {
  type ChallengeTranscript,
  evaluateTranscript,
  type RunOutcome,
} from "@checkernet/protocol/challenges/transcript";
import type { ProtocolParams } from "@checkernet/protocol/params";
import type { Logger } from "../logger.ts";

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

/** Messages between WorkerTranscriptEvaluator and evaluator-worker.ts. */
export interface EvaluatorWorkerData {
  params: ProtocolParams;
}
export interface EvaluateRequest {
  id: number;
  transcript: ChallengeTranscript;
}
export type EvaluateReply =
  | { id: number; ok: true; outcome: RunOutcome }
  | {
      id: number;
      ok: false;
      error: { name: string; message: string; code?: string; details?: Record<string, unknown> };
    };

/** An error `evaluateTranscript` threw in the worker, with its name, code and details kept. */
export class EvaluationError extends Error {
  readonly code: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(error: { name: string; message: string; code?: string; details?: Record<string, unknown> }) {
    super(error.message);
    this.name = error.name;
    this.code = error.code;
    this.details = error.details ?? {};
  }
}

interface Pending {
  transcript: ChallengeTranscript;
  resolve(outcome: RunOutcome): void;
  reject(err: Error): void;
}

/** Worker failures in a row after which the evaluator stays on the event loop for good. */
const MAX_WORKER_FAILURES = 3;

/**
 * One worker thread, started on first use. A worker that dies (or cannot
 * start, as on a Node without type stripping) does not lose a run: its
 * pending transcripts are evaluated inline, and after MAX_WORKER_FAILURES
 * failures in a row the evaluator stops trying and evaluates inline.
 */
export class WorkerTranscriptEvaluator implements TranscriptEvaluator {
  readonly #params: ProtocolParams;
  readonly #logger: Logger | undefined;
  readonly #inline: TranscriptEvaluator;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  #nextId = 1;
  #failures = 0;
  #closed = false;

  constructor(params: ProtocolParams, logger?: Logger) {
    this.#params = params;
    this.#logger = logger;
    this.#inline = inlineEvaluator(params);
  }

  /** True while evaluations go to a worker thread (false after repeated worker failures). */
  get offThread(): boolean {
    return this.#failures < MAX_WORKER_FAILURES;
  }

  evaluate(transcript: ChallengeTranscript): Promise<RunOutcome> {
    if (this.#closed || !this.offThread) return this.#inline.evaluate(transcript);
    const worker = this.#ensureWorker();
    const id = this.#nextId++;
    return new Promise<RunOutcome>((resolve, reject) => {
      this.#pending.set(id, { transcript, resolve, reject });
      // A busy worker keeps the process alive until its answer is in.
      worker.ref();
      worker.postMessage({ id, transcript } satisfies EvaluateRequest);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    // Runs still being evaluated finish on this thread rather than fail.
    this.#drainInline("the evaluator closed");
    await worker?.terminate();
  }

  #ensureWorker(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(new URL("./evaluator-worker.ts", import.meta.url), {
      workerData: { params: this.#params } satisfies EvaluatorWorkerData,
    });
    worker.unref();
    worker.on("message", (reply: EvaluateReply) => {
      const pending = this.#pending.get(reply.id);
      if (pending === undefined) return;
      this.#pending.delete(reply.id);
      this.#failures = 0;
      if (this.#pending.size === 0) worker.unref();
      if (reply.ok) pending.resolve(reply.outcome);
      else pending.reject(new EvaluationError(reply.error));
    });
    const onDeath = (why: string): void => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#failures++;
      this.#logger?.warn(
        { why, failures: this.#failures, inlineFromNowOn: !this.offThread },
        "transcript evaluator worker stopped; evaluating its runs on the event loop",
      );
      this.#drainInline(why);
    };
    worker.on("error", (err) => onDeath(err.message));
    worker.on("exit", (code) => onDeath(`exit code ${code}`));
    this.#worker = worker;
    return worker;
  }

  #drainInline(why: string): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) {
      this.#inline.evaluate(p.transcript).then(p.resolve, (e: unknown) => {
        p.reject(e instanceof Error ? e : new Error(`${String(e)} (${why})`));
      });
    }
  }
}

import type { BlsBackend, SignatureSet } from "@checkernet/protocol/bls/backend";
import { DEFAULT_PARAMS } from "@checkernet/protocol/params";
import { WorkerPoolError, WorkerPoolErrorCode } from "@checkernet/runtime";
import { ComputeWorker } from "../../challenges/computeWorker.ts";
import type { Metrics } from "../../metrics/index.ts";
import { checkSetsYielding, verifySet } from "./checkSets.ts";

/**
 * Batching limits, after Lodestar's `chain/bls/multithread` (it batches up to
 * 128 sets, waiting at most 100 ms). A laptop sees far fewer messages, so the
 * wait is shorter: latency matters more than peak throughput here.
 */
const BLS_BATCH_LIMITS = {
  /** Flush when this many sets are waiting. */
  maxSets: 32,
  /** Flush when the oldest set has waited this long. */
  maxWaitMs: 20,
  /** Batches waiting for the worker; beyond, a batch is checked on the event loop (the validation budget keeps this rare). */
  maxQueuedBatches: 64,
  /** Worker failures in a row after which batches are checked on the event loop for good. */
  maxWorkerFailures: 3,
  /**
   * A batch the worker thread has not started within this time (it is evaluating a transcript, one
   * task of 0.5-1 s for a VRAM run: computeWorker.ts) is checked on the event loop instead, so a
   * gossip validation never waits on an evaluation for longer than this.
   */
  maxWorkerWaitMs: 150,
} as const;

export interface BatchVerifierOptions {
  backend: BlsBackend;
  maxSets?: number;
  maxWaitMs?: number;
  /** How long a batch may wait for the worker thread before it is checked on the event loop (BLS_BATCH_LIMITS). */
  maxWorkerWaitMs?: number;
  metrics?: Metrics;
  /**
   * Check batches on a worker thread (challenges/compute-worker.ts, loading the same backend), off
   * the event loop, so a flood of bad signatures cannot delay latency pings and challenge IO.
   */
  offThread?: boolean;
  /** The node's worker thread, shared with the transcript evaluator; with `offThread` and none, its own. */
  worker?: ComputeWorker;
}

/** Checks one signature set; resolves false for an invalid or malformed set, never rejects. */
export interface SignatureVerifier {
  verify(set: SignatureSet): Promise<boolean>;
}

/** A verifier that checks each set at once, for callers that validate one item after another. */
export function directVerifier(backend: BlsBackend): SignatureVerifier {
  return { verify: async (set) => verifySet(backend, set) };
}

interface Job {
  set: SignatureSet;
  resolve(valid: boolean): void;
}

/**
 * Collects signature sets from concurrent validations and checks them in one
 * random-linear-combination batch (`BlsBackend.verifyBatch`). A failed batch is
 * re-checked set by set, so one bad signature never fails its neighbours. With
 * `offThread`, batches are checked on a worker thread; if the worker fails,
 * on the event loop.
 */
export class BlsBatchVerifier implements SignatureVerifier {
  private readonly backend: BlsBackend;
  private readonly maxSets: number;
  private readonly maxWaitMs: number;
  private readonly maxWorkerWaitMs: number;
  private readonly metrics: Metrics | undefined;
  private readonly worker: ComputeWorker | undefined;
  private workerFailures = 0;
  private queue: Job[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private released = false;

  constructor(options: BatchVerifierOptions) {
    this.backend = options.backend;
    this.maxSets = options.maxSets ?? BLS_BATCH_LIMITS.maxSets;
    this.maxWaitMs = options.maxWaitMs ?? BLS_BATCH_LIMITS.maxWaitMs;
    this.maxWorkerWaitMs = options.maxWorkerWaitMs ?? BLS_BATCH_LIMITS.maxWorkerWaitMs;
    this.metrics = options.metrics;
    this.worker =
      options.offThread === true
        ? (
            options.worker ??
            new ComputeWorker({
              params: DEFAULT_PARAMS,
              // "auto": blst where its native module loads in a worker thread, noble (same bytes) otherwise.
              blsPreference: this.backend.name === "noble" ? "noble" : "auto",
            })
          ).acquire()
        : undefined;
  }

  /**
   * Starts the worker thread now and has it load its BLS backend (an empty batch answers only once
   * it has), so that the first epoch's attestations do not wait for it: cold, that takes 0.5-0.7 s
   * on an idle 2-core machine and seconds with every devnet process starting at once on a busy one,
   * long enough for every node to build epoch 1's report from its own attestations alone (the
   * busy-core e2e). The node calls it at start. Resolves true once the worker has answered, false
   * when batches run on the event loop (not off-thread, or the worker failed to start).
   */
  warm(): Promise<boolean> {
    const worker = this.workerInUse();
    if (worker === undefined) return Promise.resolve(false);
    return worker.run<boolean>("bls", "ready", null).then(
      () => true,
      () => {
        this.workerFailures++;
        return false;
      },
    );
  }

  /** Resolves true when the set's signature is valid; never rejects. */
  verify(set: SignatureSet): Promise<boolean> {
    if (this.stopped) return Promise.resolve(verifySet(this.backend, set));
    return new Promise<boolean>((resolve) => {
      this.queue.push({ set, resolve });
      if (this.queue.length >= this.maxSets) this.flush();
      else if (this.timer === undefined) this.timer = setTimeout(() => this.flush(), this.maxWaitMs);
    });
  }

  /** Verifies what is queued and stops batching (later calls verify one by one, on the event loop). */
  stop(): void {
    this.flush();
    if (this.stopped) return;
    this.stopped = true;
    // Batches already with the worker finish first; closing it now would fail them.
    setTimeout(() => this.releaseWorker(), 1_000).unref();
  }

  private flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const jobs = this.queue;
    this.queue = [];
    if (jobs.length === 0) return;
    this.metrics?.blsBatchSets.observe(jobs.length);
    const worker = this.workerInUse();
    if (worker === undefined || worker.queued("bls") >= BLS_BATCH_LIMITS.maxQueuedBatches) {
      this.checkOnLoop(jobs);
      return;
    }
    worker
      .run<boolean[]>(
        "bls",
        "verify",
        jobs.map((j) => j.set),
        { maxWaitMs: this.maxWorkerWaitMs },
      )
      .then((results) => {
        this.workerFailures = 0;
        this.settle(jobs, results);
      })
      .catch((e: unknown) => {
        // Busy past maxWorkerWaitMs, or closed: not the worker's failure.
        const busy =
          e instanceof WorkerPoolError &&
          (e.code === WorkerPoolErrorCode.QUEUE_FULL || e.code === WorkerPoolErrorCode.CLOSED);
        if (!busy) this.workerFailures++;
        this.checkOnLoop(jobs);
      });
  }

  /** Checks a batch on the event loop, a few sets at a time (checkSetsYielding), so challenge IO keeps its timing. */
  private checkOnLoop(jobs: readonly Job[]): void {
    void checkSetsYielding(
      this.backend,
      jobs.map((j) => j.set),
    ).then((results) => this.settle(jobs, results));
  }

  /** The worker thread, when batches go to it; undefined when they run on the event loop. */
  private workerInUse(): ComputeWorker | undefined {
    if (this.worker === undefined || this.stopped || this.worker.closed) return undefined;
    if (this.workerFailures >= BLS_BATCH_LIMITS.maxWorkerFailures) {
      this.releaseWorker();
      return undefined;
    }
    return this.worker;
  }

  /** Gives up this verifier's share of the worker thread (the thread ends when no user is left). */
  private releaseWorker(): void {
    if (this.released || this.worker === undefined) return;
    this.released = true;
    void this.worker.release();
  }

  private settle(jobs: readonly Job[], results: readonly boolean[]): void {
    const invalid = results.filter((v) => !v).length;
    if (invalid > 0 && jobs.length > 1) this.metrics?.blsBatchRetries.inc();
    if (jobs.length - invalid > 0)
      this.metrics?.blsSignatureSets.inc({ result: "valid" }, jobs.length - invalid);
    if (invalid > 0) this.metrics?.blsSignatureSets.inc({ result: "invalid" }, invalid);
    jobs.forEach((job, i) => {
      job.resolve(results[i] === true);
    });
  }
}

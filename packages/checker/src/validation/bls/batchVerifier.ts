import type { BlsBackend, SignatureSet } from "@checkernet/protocol/bls/backend";
import { WorkerPool } from "@checkernet/runtime";
import type { Metrics } from "../../metrics/index.ts";
import { checkSets, verifySet } from "./checkSets.ts";

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
} as const;

export interface BatchVerifierOptions {
  backend: BlsBackend;
  maxSets?: number;
  maxWaitMs?: number;
  metrics?: Metrics;
  /**
   * Check batches on a worker thread (validation/bls/blsWorker.ts, loading the same backend), off
   * the event loop, so a flood of bad signatures cannot delay latency pings and challenge IO.
   */
  offThread?: boolean;
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
  private readonly metrics: Metrics | undefined;
  private readonly offThread: boolean;
  private pool: WorkerPool | undefined;
  private workerFailures = 0;
  private queue: Job[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(options: BatchVerifierOptions) {
    this.backend = options.backend;
    this.maxSets = options.maxSets ?? BLS_BATCH_LIMITS.maxSets;
    this.maxWaitMs = options.maxWaitMs ?? BLS_BATCH_LIMITS.maxWaitMs;
    this.metrics = options.metrics;
    this.offThread = options.offThread === true;
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
    const pool = this.workerPool();
    if (pool === undefined) return Promise.resolve(false);
    return pool.run<boolean[]>("verify", []).then(
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
    this.stopped = true;
    const pool = this.pool;
    this.pool = undefined;
    // Batches already with the worker finish first; close() would fail them.
    if (pool !== undefined) setTimeout(() => void pool.close(), 1_000).unref();
  }

  private flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const jobs = this.queue;
    this.queue = [];
    if (jobs.length === 0) return;
    this.metrics?.blsBatchSets.observe(jobs.length);
    const pool = this.workerPool();
    if (pool === undefined || pool.queued >= BLS_BATCH_LIMITS.maxQueuedBatches) {
      this.settle(
        jobs,
        checkSets(
          this.backend,
          jobs.map((j) => j.set),
        ),
      );
      return;
    }
    pool
      .run<boolean[]>(
        "verify",
        jobs.map((j) => j.set),
      )
      .then((results) => {
        this.workerFailures = 0;
        this.settle(jobs, results);
      })
      .catch(() => {
        this.workerFailures++;
        this.settle(
          jobs,
          checkSets(
            this.backend,
            jobs.map((j) => j.set),
          ),
        );
      });
  }

  /** The worker pool, started on first use; undefined when batches run on the event loop. */
  private workerPool(): WorkerPool | undefined {
    if (!this.offThread || this.stopped) return undefined;
    if (this.workerFailures >= BLS_BATCH_LIMITS.maxWorkerFailures) {
      const pool = this.pool;
      this.pool = undefined;
      void pool?.close();
      return undefined;
    }
    this.pool ??= new WorkerPool(new URL("./blsWorker.ts", import.meta.url), {
      size: 1,
      maxQueue: BLS_BATCH_LIMITS.maxQueuedBatches,
      // "auto": blst where its native module loads in a worker thread, noble (same bytes) otherwise.
      workerData: { preference: this.backend.name === "noble" ? "noble" : "auto" },
    });
    return this.pool;
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

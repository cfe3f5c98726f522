import type { BlsBackend, SignatureSet } from "@checkernet/protocol/bls/backend";
import type { Metrics } from "../../metrics/index.ts";

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
} as const;

export interface BatchVerifierOptions {
  backend: BlsBackend;
  maxSets?: number;
  maxWaitMs?: number;
  metrics?: Metrics;
}

/** Checks one signature set; resolves false for an invalid or malformed set, never rejects. */
export interface SignatureVerifier {
  verify(set: SignatureSet): Promise<boolean>;
}

/** A verifier that checks each set at once, for callers that validate one item after another. */
export function directVerifier(backend: BlsBackend): SignatureVerifier {
  return { verify: async (set) => verifySet(backend, set) };
}

function verifySet(backend: BlsBackend, set: SignatureSet): boolean {
  try {
    return backend.verify(set.publicKey, set.message, set.signature);
  } catch {
    return false;
  }
}

interface Job {
  set: SignatureSet;
  resolve(valid: boolean): void;
}

/**
 * Collects signature sets from concurrent validations and checks them in one
 * random-linear-combination batch (`BlsBackend.verifyBatch`). A failed batch is
 * re-checked set by set, so one bad signature never fails its neighbours.
 */
export class BlsBatchVerifier implements SignatureVerifier {
  private readonly backend: BlsBackend;
  private readonly maxSets: number;
  private readonly maxWaitMs: number;
  private readonly metrics: Metrics | undefined;
  private queue: Job[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(options: BatchVerifierOptions) {
    this.backend = options.backend;
    this.maxSets = options.maxSets ?? BLS_BATCH_LIMITS.maxSets;
    this.maxWaitMs = options.maxWaitMs ?? BLS_BATCH_LIMITS.maxWaitMs;
    this.metrics = options.metrics;
  }

  /** Resolves true when the set's signature is valid; never rejects. */
  verify(set: SignatureSet): Promise<boolean> {
    if (this.stopped) return Promise.resolve(this.verifyOne(set));
    return new Promise<boolean>((resolve) => {
      this.queue.push({ set, resolve });
      if (this.queue.length >= this.maxSets) this.flush();
      else if (this.timer === undefined) this.timer = setTimeout(() => this.flush(), this.maxWaitMs);
    });
  }

  /** Verifies what is queued and stops batching (later calls verify one by one). */
  stop(): void {
    this.stopped = true;
    this.flush();
  }

  private flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const jobs = this.queue;
    this.queue = [];
    if (jobs.length === 0) return;
    this.metrics?.blsBatchSets.observe(jobs.length);
    let allValid = false;
    try {
      allValid =
        jobs.length === 1 ? this.verifyOne(jobs[0]!.set) : this.backend.verifyBatch(jobs.map((j) => j.set));
    } catch {
      allValid = false;
    }
    if (allValid) {
      this.metrics?.blsSignatureSets.inc({ result: "valid" }, jobs.length);
      for (const job of jobs) job.resolve(true);
      return;
    }
    if (jobs.length > 1) this.metrics?.blsBatchRetries.inc();
    for (const job of jobs) {
      const valid = jobs.length === 1 ? false : this.verifyOne(job.set);
      this.metrics?.blsSignatureSets.inc({ result: valid ? "valid" : "invalid" });
      job.resolve(valid);
    }
  }

  private verifyOne(set: SignatureSet): boolean {
    return verifySet(this.backend, set);
  }
}

import { Worker } from "node:worker_threads";
import type { BlsBackendPreference } from "@checkernet/protocol/bls/index";
import type { ProtocolParams } from "@checkernet/protocol/params";
import { type TaskReply, type TaskRequest, WorkerPoolError, WorkerPoolErrorCode } from "@checkernet/runtime";

/**
 * The node's one worker thread (compute-worker.ts), shared by the transcript evaluator (evaluator.ts),
 * the BLS batch verifier (validation/bls/batchVerifier.ts) and the fraud-proof keeper. Each V8 isolate
 * costs ~12 MiB of RSS bare; the node used to run two threads, one for the evaluator and one for BLS
 * batches (docs/footprint.md).
 *
 * One task runs at a time, from two queues: "bls" tasks (signature batches, which gossip validation
 * waits on) always go before "bulk" ones (transcript evaluations, fraud-proof slices), so a batch waits
 * at most for the bulk task already running. Bulk work that can be long is cut into slices
 * (vramFraudSearch.ts); an evaluation is one task (0.5-1 s for a VRAM run on this 2-core VM), and a
 * batch that would wait behind it past its `maxWaitMs` is handed back (QUEUE_FULL) for its caller to
 * check on the event loop. A thread that dies fails its task (WORKER_DIED) and the next task starts a
 * new one. The thread is started by `warm()` or the first task, and keeps no process alive while idle.
 */
export interface ComputeWorkerData {
  params: ProtocolParams;
  /** False loads viem whole in the thread (comparisons); otherwise its slim stand-in (workerModules.ts). */
  slimViem?: boolean;
  /** The BLS backend the thread loads for "verify": "auto" takes blst where it loads, noble otherwise. */
  blsPreference: BlsBackendPreference;
}

type ComputeLane = "bls" | "bulk";

interface Pending {
  lane: ComputeLane;
  task: TaskRequest;
  timer: NodeJS.Timeout | undefined;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** Tasks waiting per lane; beyond, a task is refused at once (QUEUE_FULL). */
const MAX_QUEUED = 64;

export class ComputeWorker {
  readonly #data: ComputeWorkerData;
  readonly #queues: Record<ComputeLane, Pending[]> = { bls: [], bulk: [] };
  #worker: Worker | undefined;
  #running: Pending | undefined;
  #nextId = 1;
  #users = 0;
  #closed = false;

  constructor(data: ComputeWorkerData) {
    this.#data = data;
  }

  /** The lane of the task running now, if any. */
  get running(): ComputeLane | undefined {
    return this.#running?.lane;
  }

  queued(lane: ComputeLane): number {
    return this.#queues[lane].length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Counts one more user; the thread ends when every user has called `release()`. */
  acquire(): this {
    this.#users++;
    return this;
  }

  /** One user is done with the thread; the last one closes it (what is queued or running is refused: CLOSED). */
  async release(): Promise<void> {
    this.#users = Math.max(0, this.#users - 1);
    if (this.#users === 0) await this.close();
  }

  /** Starts the thread now (it loads the protocol's challenge code as it starts). */
  start(): void {
    if (!this.#closed) this.#worker ??= this.#spawn();
  }

  /**
   * Runs `op` on the thread. With `maxWaitMs`, a task still queued after that time while the thread runs
   * a bulk task is taken off the queue and refused with QUEUE_FULL (the BLS verifier then checks its batch
   * on the event loop); one queued behind tasks of its own lane keeps its place.
   */
  run<T>(lane: ComputeLane, op: string, args: unknown, options: { maxWaitMs?: number } = {}): Promise<T> {
    if (this.#closed)
      return Promise.reject(
        new WorkerPoolError(WorkerPoolErrorCode.CLOSED, "compute worker is closed", { op }),
      );
    const queue = this.#queues[lane];
    if (queue.length >= MAX_QUEUED) {
      return Promise.reject(
        new WorkerPoolError(WorkerPoolErrorCode.QUEUE_FULL, "compute queue is full", {
          op,
          lane,
          maxQueue: MAX_QUEUED,
        }),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = {
        lane,
        task: { id: this.#nextId++, op, args },
        timer: undefined,
        resolve: resolve as (v: unknown) => void,
        reject,
      };
      if (options.maxWaitMs !== undefined) {
        pending.timer = setTimeout(() => {
          const at = queue.indexOf(pending);
          // Only a bulk task holds it up this long: behind other batches it keeps its place.
          if (at === -1 || this.#running?.lane !== "bulk") return;
          queue.splice(at, 1);
          reject(
            new WorkerPoolError(
              WorkerPoolErrorCode.QUEUE_FULL,
              `compute worker busy for ${options.maxWaitMs} ms`,
              {
                op,
                lane,
                waitedMs: options.maxWaitMs,
              },
            ),
          );
        }, options.maxWaitMs);
        pending.timer.unref();
      }
      queue.push(pending);
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = (p: Pending) =>
      p.reject(new WorkerPoolError(WorkerPoolErrorCode.CLOSED, "compute worker closed", { op: p.task.op }));
    for (const lane of ["bls", "bulk"] as const) {
      for (const p of this.#queues[lane].splice(0)) {
        clearTimeout(p.timer);
        closed(p);
      }
    }
    const running = this.#running;
    this.#running = undefined;
    if (running !== undefined) closed(running);
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  #spawn(): Worker {
    const worker = new Worker(new URL("./compute-worker.ts", import.meta.url), { workerData: this.#data });
    // An idle thread must not keep the process alive.
    worker.unref();
    worker.on("message", (reply: TaskReply) => {
      const pending = this.#running;
      if (worker !== this.#worker || pending === undefined || pending.task.id !== reply.id) return;
      this.#running = undefined;
      worker.unref();
      if (reply.ok) pending.resolve(reply.value);
      else
        pending.reject(
          new WorkerPoolError(
            WorkerPoolErrorCode.TASK_FAILED,
            `${pending.task.op} failed: ${reply.error.message}`,
            {
              op: pending.task.op,
              cause: reply.error,
            },
          ),
        );
      this.#dispatch();
    });
    const onDeath = (why: string): void => {
      if (worker !== this.#worker) return;
      this.#worker = undefined;
      const pending = this.#running;
      this.#running = undefined;
      pending?.reject(
        new WorkerPoolError(
          WorkerPoolErrorCode.WORKER_DIED,
          `worker died during ${pending.task.op}: ${why}`,
          {
            op: pending.task.op,
          },
        ),
      );
      this.#dispatch();
    };
    worker.on("error", (err) => onDeath(err.message));
    worker.on("exit", (code) => onDeath(`exit code ${code}`));
    return worker;
  }

  #dispatch(): void {
    if (this.#closed || this.#running !== undefined) return;
    const pending = this.#queues.bls.shift() ?? this.#queues.bulk.shift();
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    this.#worker ??= this.#spawn();
    this.#running = pending;
    // A busy thread keeps the process alive until its answer is in.
    this.#worker.ref();
    this.#worker.postMessage(pending.task);
  }
}

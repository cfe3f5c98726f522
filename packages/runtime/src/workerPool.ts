import { availableParallelism } from "node:os";
import { type Transferable, Worker } from "node:worker_threads";
import { ProtocolError } from "@checkernet/protocol/errors";

export const WorkerPoolErrorCode = {
  CLOSED: "WORKER_POOL_ERROR_CLOSED",
  QUEUE_FULL: "WORKER_POOL_ERROR_QUEUE_FULL",
  TASK_FAILED: "WORKER_POOL_ERROR_TASK_FAILED",
  WORKER_DIED: "WORKER_POOL_ERROR_WORKER_DIED",
} as const;
export type WorkerPoolErrorCode = (typeof WorkerPoolErrorCode)[keyof typeof WorkerPoolErrorCode];

export class WorkerPoolError extends ProtocolError<WorkerPoolErrorCode> {
  override name = "WorkerPoolError";
}

/** Messages between the pool and its workers. */
export interface TaskRequest {
  id: number;
  op: string;
  args: unknown;
}
export type TaskReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } };

interface Pending {
  task: TaskRequest;
  transfer: Transferable[];
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  busy: Pending | undefined;
}

/**
 * Default pool size: every core but one, so the event loop (latency pings,
 * stream I/O) keeps a core of its own; at least one worker.
 */
export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * A fixed pool of worker threads running one module, FIFO queue, one task per
 * worker at a time. A worker that dies fails its task and is replaced, so one
 * bad input cannot take the compute down. The provider's CPU backend and the
 * checker's transcript evaluator both run on it; the worker module answers
 * each TaskRequest with one TaskReply.
 */
export class WorkerPool {
  readonly size: number;
  readonly #url: URL;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  readonly #maxQueue: number;
  readonly #workerData: unknown;
  #nextId = 1;
  #closed = false;

  constructor(url: URL, options: { size?: number; maxQueue?: number; workerData?: unknown } = {}) {
    this.#url = url;
    this.#workerData = options.workerData;
    this.size = Math.max(1, Math.floor(options.size ?? defaultPoolSize()));
    // Beyond this the provider is overloaded anyway; refusing fast beats timing out late.
    this.#maxQueue = options.maxQueue ?? 64;
    for (let i = 0; i < this.size; i++) this.#slots.push(this.#spawn());
  }

  get queued(): number {
    return this.#queue.length;
  }

  run<T>(op: string, args: unknown, transfer: Transferable[] = []): Promise<T> {
    if (this.#closed)
      return Promise.reject(new WorkerPoolError(WorkerPoolErrorCode.CLOSED, "worker pool is closed", { op }));
    if (this.#queue.length >= this.#maxQueue) {
      return Promise.reject(
        new WorkerPoolError(WorkerPoolErrorCode.QUEUE_FULL, "compute queue is full", {
          op,
          maxQueue: this.#maxQueue,
        }),
      );
    }
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        task: { id: this.#nextId++, op, args },
        transfer,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const p of this.#queue.splice(0))
      p.reject(new WorkerPoolError(WorkerPoolErrorCode.CLOSED, "worker pool closed", { op: p.task.op }));
    await Promise.all(
      this.#slots.map(async (slot) => {
        slot.busy?.reject(
          new WorkerPoolError(WorkerPoolErrorCode.CLOSED, "worker pool closed", { op: slot.busy.task.op }),
        );
        slot.busy = undefined;
        await slot.worker.terminate();
      }),
    );
  }

  #spawn(): Slot {
    const worker = new Worker(this.#url, { workerData: this.#workerData });
    const slot: Slot = { worker, busy: undefined };
    // Idle workers must not keep the process alive.
    worker.unref();
    worker.on("message", (reply: TaskReply) => {
      const pending = slot.busy;
      if (pending === undefined || pending.task.id !== reply.id) return;
      slot.busy = undefined;
      worker.unref();
      if (reply.ok) pending.resolve(reply.value);
      else {
        const err = new WorkerPoolError(
          WorkerPoolErrorCode.TASK_FAILED,
          `${pending.task.op} failed: ${reply.error.message}`,
          {
            op: pending.task.op,
            cause: reply.error,
          },
        );
        pending.reject(err);
      }
      this.#dispatch();
    });
    const onDeath = (why: string): void => {
      const index = this.#slots.indexOf(slot);
      if (index === -1) return;
      const pending = slot.busy;
      slot.busy = undefined;
      pending?.reject(
        new WorkerPoolError(
          WorkerPoolErrorCode.WORKER_DIED,
          `worker died during ${pending.task.op}: ${why}`,
          { op: pending.task.op },
        ),
      );
      if (this.#closed) return;
      this.#slots[index] = this.#spawn();
      this.#dispatch();
    };
    worker.on("error", (err) => onDeath(err.message));
    worker.on("exit", (code) => onDeath(`exit code ${code}`));
    return slot;
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (slot.busy !== undefined) continue;
      const pending = this.#queue.shift() as Pending;
      slot.busy = pending;
      // A busy worker keeps the process alive until its answer is in.
      slot.worker.ref();
      slot.worker.postMessage(pending.task, pending.transfer);
    }
  }
}

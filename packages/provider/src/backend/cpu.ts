import { type MatmulRows, openRows } from "@checkernet/protocol/challenges/matmul";
import type { VramRequest, VramResponse } from "@checkernet/protocol/challenges/vram";
import { defaultPoolSize, WorkerPool } from "@checkernet/runtime";
import type { Hex } from "viem";
import { ProviderError } from "../errors.ts";
import type { ComputeBackend, MatmulJob, VramDataset } from "./backend.ts";
import type { MatmulTaskArgs, MatmulTaskResult, VramFillArgs, VramWalkArgs } from "./cpu-worker.ts";

export const BackendErrorCode = {
  RELEASED: "BACKEND_ERROR_RELEASED",
  MEMORY_LIMIT: "BACKEND_ERROR_MEMORY_LIMIT",
  NOT_RESIDENT: "BACKEND_ERROR_NOT_RESIDENT",
} as const;
export type BackendErrorCode = (typeof BackendErrorCode)[keyof typeof BackendErrorCode];

export class BackendError extends ProviderError<BackendErrorCode> {
  override name = "BackendError";
}

export interface CpuBackendOptions {
  /** Worker threads; default every core but one (at least one). */
  workers?: number;
  /** Largest VRAM dataset held, bytes: the claimed memory. Default 64 MiB. */
  maxVramBytes?: number;
  /**
   * Runs on this backend's worker threads instead of its own (`workers` is then ignored): an agent that
   * serves several registered providers (serve/agent.ts) keeps one pool, and each provider its own VRAM
   * dataset. The owner warms and closes the pool.
   */
  shareWorkersOf?: CpuBackend;
}

/**
 * The reference backend: the protocol's own solvers, run in worker threads so
 * the event loop stays free for pings and stream I/O. Slow (it is the
 * `cpu-reference` GPU class), but exact, and the model for a GPU backend:
 * compute off-thread, keep the result, hand out only the opened rows.
 *
 * The VRAM dataset lives in one SharedArrayBuffer that every worker sees, so
 * filling it is split across workers and any worker can run a walk.
 */
export class CpuBackend implements ComputeBackend {
  readonly name = "cpu-reference";
  readonly maxVramBytes: number;
  readonly #pool: WorkerPool;
  readonly #ownsPool: boolean;
  #vram: { dataset: VramDataset; memory: SharedArrayBuffer } | undefined;
  #preparing: { key: string; done: Promise<void> } | undefined;

  constructor(options: CpuBackendOptions = {}) {
    this.#ownsPool = options.shareWorkersOf === undefined;
    this.#pool =
      options.shareWorkersOf === undefined
        ? new WorkerPool(new URL("./cpu-worker.ts", import.meta.url), {
            size: options.workers ?? defaultPoolSize(),
          })
        : options.shareWorkersOf.#pool;
    this.maxVramBytes = options.maxVramBytes ?? 64 * 2 ** 20;
  }

  get workers(): number {
    return this.#pool.size;
  }

  /**
   * Runs a small matmul and VRAM fill on every worker, so that module loading
   * and JIT warm-up are not billed to the first checker's deadline.
   */
  async warmUp(): Promise<void> {
    if (!this.#ownsPool) return;
    const seed = `0x${"00".repeat(32)}` as const;
    const memory = new SharedArrayBuffer(1024);
    await Promise.all(
      Array.from({ length: this.#pool.size }, async () => {
        await this.#pool.run("matmul", { seed, n: 64 } satisfies MatmulTaskArgs);
        await this.#pool.run("vramFill", {
          seed,
          blockSize: 1024,
          from: 0,
          to: 1,
          memory,
        } satisfies VramFillArgs);
      }),
    );
  }

  async matmul(seed: Hex, n: number): Promise<MatmulJob> {
    const args: MatmulTaskArgs = { seed, n };
    const out = await this.#pool.run<MatmulTaskResult>("matmul", args);
    let held: { c: Int32Array; tree: { leafCount: number; nodes: Uint8Array; root: Hex } } | undefined = {
      c: out.c,
      tree: { leafCount: out.leafCount, nodes: out.nodes, root: out.root },
    };
    return {
      commitment: out.root,
      elapsedMs: out.elapsedMs,
      open: async (rows: readonly number[]): Promise<MatmulRows> => {
        if (held === undefined)
          throw new BackendError(BackendErrorCode.RELEASED, "matmul job already released");
        // Slicing rows and reading log2(n) proof nodes takes microseconds: no need for a worker.
        return openRows(held.tree, held.c, rows);
      },
      release: () => {
        held = undefined;
      },
    };
  }

  async vramPrepare(dataset: VramDataset): Promise<void> {
    const key = datasetKey(dataset);
    if (this.#vram !== undefined && datasetKey(this.#vram.dataset) === key) return;
    if (this.#preparing?.key === key) return this.#preparing.done;
    const bytes = dataset.blockCount * dataset.blockSize;
    if (!(bytes <= this.maxVramBytes)) {
      throw new BackendError(
        BackendErrorCode.MEMORY_LIMIT,
        `a dataset of ${bytes} bytes is above the ${this.maxVramBytes} held`,
        {
          bytes,
          maxVramBytes: this.maxVramBytes,
        },
      );
    }
    const done = (async () => {
      const memory = new SharedArrayBuffer(bytes);
      const per = Math.ceil(dataset.blockCount / this.#pool.size);
      const fills: Promise<unknown>[] = [];
      for (let from = 0; from < dataset.blockCount; from += per) {
        const args: VramFillArgs = {
          seed: dataset.seed,
          blockSize: dataset.blockSize,
          from,
          to: Math.min(dataset.blockCount, from + per),
          memory,
        };
        fills.push(this.#pool.run("vramFill", args));
      }
      await Promise.all(fills);
      this.#vram = { dataset: { ...dataset }, memory };
    })();
    this.#preparing = { key, done };
    try {
      await done;
    } finally {
      if (this.#preparing?.done === done) this.#preparing = undefined;
    }
  }

  vramResident(): VramDataset | undefined {
    return this.#vram === undefined ? undefined : { ...this.#vram.dataset };
  }

  async vramWalk(request: VramRequest): Promise<VramResponse> {
    const vram = this.#vram;
    if (vram === undefined || datasetKey(vram.dataset) !== datasetKey(request)) {
      throw new BackendError(BackendErrorCode.NOT_RESIDENT, "the asked VRAM dataset is not resident", {
        seed: request.seed,
      });
    }
    const args: VramWalkArgs = { request, memory: vram.memory };
    return this.#pool.run<VramResponse>("vramWalk", args);
  }

  async close(): Promise<void> {
    this.#vram = undefined;
    if (this.#ownsPool) await this.#pool.close();
  }
}

function datasetKey(d: VramDataset): string {
  return `${d.seed.toLowerCase()}/${d.blockCount}/${d.blockSize}`;
}

import type { MatmulRows } from "@checkernet/protocol/challenges/matmul";
import type { VramRequest, VramResponse } from "@checkernet/protocol/challenges/vram";
import type { Hex } from "viem";

/**
 * Where a provider's challenge work runs. The protocol handlers only ever see
 * this interface, so a GPU backend (CUDA through a native addon, or a sidecar
 * process) can replace the CPU reference one without touching them.
 *
 * Every method must leave the event loop free: a latency ping has to be
 * answered while a matmul is in flight.
 */
export interface ComputeBackend {
  /** Short name for logs and `provider status` (e.g. "cpu-reference"). */
  readonly name: string;
  /** Loads and warms up whatever the backend runs on (kernels, workers, JIT), before the first challenge. */
  warmUp(): Promise<void>;
  /**
   * Computes the seeded int8 product of the matmul challenge and commits to
   * its rows. The result stays held until `release()` (or until the job is
   * garbage collected): only the rows the checker opens leave the backend.
   */
  matmul(seed: Hex, n: number, options?: { signal?: AbortSignal }): Promise<MatmulJob>;
  /**
   * Fills memory with the dataset's blocks (generateVramBlock) and keeps them
   * resident until the next `vramPrepare` or `close`; the previous dataset is
   * dropped only once the new one is complete. Idempotent for the same dataset.
   */
  vramPrepare(dataset: VramDataset, options?: { signal?: AbortSignal }): Promise<void>;
  /** The dataset now resident, if any. */
  vramResident(): VramDataset | undefined;
  /** Runs a checker's walk over the resident dataset (answerVram); the caller checks the request names it. */
  vramWalk(request: VramRequest, options?: { signal?: AbortSignal }): Promise<VramResponse>;
  close(): Promise<void>;
}

/** A computed and committed matmul result, waiting for the checker's row choice. */
export interface MatmulJob {
  /** The commitment sent to the checker (Merkle root of the result rows). */
  readonly commitment: Hex;
  /** Milliseconds the backend spent computing, as reported in the commit message. */
  readonly elapsedMs: number;
  /** Rows with their Merkle proofs, for the row indices the checker chose (validated by the caller). */
  open(rows: readonly number[]): Promise<MatmulRows>;
  /** Frees the result; later `open` calls fail. */
  release(): void;
}

/** A VRAM dataset: `blockCount` blocks of `blockSize` bytes from `seed` (vramDatasetSeed). */
export interface VramDataset {
  seed: Hex;
  blockCount: number;
  blockSize: number;
}

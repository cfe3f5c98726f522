import { commitRows, type MatmulRows, openRows } from "@checkernet/protocol/challenges/matmul";
import { cheaterSaving } from "@checkernet/protocol/challenges/matmul-detection";
import type { VramRequest, VramResponse } from "@checkernet/protocol/challenges/vram";
import type { Hex } from "viem";
import type { ComputeBackend, MatmulJob, VramDataset } from "../backend/backend.ts";

/**
 * `wrong-rows:<f>`: the product is computed honestly, then ⌈f·n⌉ rows
 * (at least one, chosen at random per challenge) are made wrong in every
 * entry, and the provider commits to that C through the honest path (row
 * tree, answer-key signature) and opens it consistently. Only a checker that
 * samples one of those rows sees it, and with the provider's signature it is
 * a fraud proof.
 *
 * Every entry, not one: this stands for the cheater that skips those rows'
 * n² multiply-accumulates (the only reason to cheat is to save work), and
 * such a row has no right entry. The checker recomputes 16 sampled entries of
 * an opened row (matmul-sampling.ts), so a row wrong in a single entry, which
 * saves nothing, would be seen only in 16 of n opened rows (1/16 at the
 * devnet's n = 256) and the devnet's fraud-proof e2e would wait epochs for it.
 * Latency and VRAM answers stay honest. The corrupted C is recommitted on
 * the main thread (a CPU-reference n = 256 takes milliseconds).
 */
export class WrongRowsBackend implements ComputeBackend {
  readonly name: string;
  readonly #inner: ComputeBackend;
  readonly #fraction: number;
  readonly #random: () => number;

  constructor(inner: ComputeBackend, fraction: number, random: () => number = Math.random) {
    this.#inner = inner;
    this.#fraction = fraction;
    this.#random = random;
    this.name = `${inner.name}+wrong-rows:${fraction}`;
  }

  warmUp(): Promise<void> {
    return this.#inner.warmUp();
  }

  async matmul(seed: Hex, n: number, options?: { signal?: AbortSignal }): Promise<MatmulJob> {
    const job = await this.#inner.matmul(seed, n, options);
    const started = performance.now();
    const all = await job.open(Array.from({ length: n }, (_, i) => i));
    job.release();
    const c = new Int32Array(n * n);
    all.rows.forEach((row, i) => {
      c.set(row, i * n);
    });
    for (const i of this.wrongRowsOf(n)) {
      for (let at = i * n; at < (i + 1) * n; at++) c[at] = (c[at] as number) + 1;
    }
    const { root, tree } = commitRows(c, n);
    let held: { c: Int32Array; tree: typeof tree } | undefined = { c, tree };
    return {
      commitment: root,
      elapsedMs: job.elapsedMs + (performance.now() - started),
      open: async (rows: readonly number[]): Promise<MatmulRows> => {
        if (held === undefined) throw new Error("matmul job already released");
        return openRows(held.tree, held.c, rows);
      },
      release: () => {
        held = undefined;
      },
    };
  }

  /**
   * ⌈f·n⌉ distinct rows (none when f ≤ 0), drawn uniformly: the cheater that the protocol's detection odds
   * and the simulator assume (cheaterSaving, whole rows wrong), so the devnet's faulty provider is the one
   * they model (rounding made 4 rows of 4.4, a cheater saving less work than it was judged by).
   */
  wrongRowsOf(n: number): number[] {
    const count = this.#fraction <= 0 ? 0 : cheaterSaving(n, Math.min(1, this.#fraction), n).wrongRows;
    const rows = Array.from({ length: n }, (_, i) => i);
    for (let k = 0; k < count; k++) {
      const pick = k + Math.floor(this.#random() * (n - k));
      [rows[k], rows[pick]] = [rows[pick] as number, rows[k] as number];
    }
    return rows.slice(0, count);
  }

  vramPrepare(dataset: VramDataset, options?: { signal?: AbortSignal }): Promise<void> {
    return this.#inner.vramPrepare(dataset, options);
  }
  vramResident(): VramDataset | undefined {
    return this.#inner.vramResident();
  }
  vramWalk(request: VramRequest, options?: { signal?: AbortSignal }): Promise<VramResponse> {
    return this.#inner.vramWalk(request, options);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

/**
 * The protocol's VRAM fraud-proof search (`searchVramFraudProof`) with a time budget per slice, so the
 * node's worker thread can answer BLS batches between slices (computeWorker.ts): each walk step costs one
 * block regeneration (256 KiB of keccak, 30-60 ms on a laptop) and a signature recovery, and a walk has up
 * to 4,096 steps. The worker imports this module lazily, on its first search.
 */

import type { ChallengeTranscript } from "@checkernet/protocol/challenges/transcript";
import {
  searchVramFraudProof as searchSlice,
  type VramFraudSearch,
} from "@checkernet/protocol/fraud/fromTranscript";

export type { VramFraudSearch };

/** Checks walk steps from `from` on and stops after the step that passes `budgetMs` (at least one step). */
export function searchVramFraudProof(
  transcript: ChallengeTranscript,
  from: number,
  budgetMs: number,
): VramFraudSearch {
  const until = performance.now() + budgetMs;
  return searchSlice(transcript, from, () => performance.now() >= until);
}

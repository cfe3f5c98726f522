/**
 * The search behind a VRAM fraud proof (`vramFraudProofFromTranscript`), cut into slices so the node's
 * worker thread can answer BLS batches between them (computeWorker.ts): each walk step costs one block
 * regeneration (256 KiB of keccak, 30-60 ms on a laptop) and a signature recovery, and a walk has up to
 * 4,096 steps. Same steps, same checks, same answer as the protocol's function, which the fraud-proof
 * keeper still calls when no worker runs.
 */
import {
  type ChallengeTranscript,
  runTranscriptAnswers,
  TranscriptMessageType,
} from "@checkernet/protocol/challenges/transcript";
import { vramResponseCodec } from "@checkernet/protocol/challenges/vram";
import { FraudReasonCode } from "@checkernet/protocol/fraud/common";
import {
  buildVramFraudProof,
  type VramFraudProof,
  verifyVramFraudProof,
} from "@checkernet/protocol/fraud/vramFraud";
import { ChallengeKind } from "@checkernet/protocol/types";
import { hexToBytes } from "viem";

/** Where a slice of the search ended: with its answer, or at the step the next slice starts from. */
export type VramFraudSearch = { done: true; proof: VramFraudProof | null } | { done: false; next: number };

/**
 * Checks walk steps from `from` on, as `vramFraudProofFromTranscript` does (the first wrong step under a
 * valid signature is the proof; any other refusal than an honest digest ends the search with none), and
 * stops after the step that passes `budgetMs` (at least one step a slice).
 */
export function searchVramFraudProof(
  transcript: ChallengeTranscript,
  from: number,
  budgetMs: number,
): VramFraudSearch {
  const none = { done: true, proof: null } as const;
  const answer = transcript.answer;
  if (transcript.kind !== ChallengeKind.VRAM || answer === undefined) return none;
  const signatureMsg = transcript.messages.find((m) => m.type === TranscriptMessageType.RUN_SIGNATURE);
  const responseMsg = transcript.messages.find((m) => m.type === TranscriptMessageType.VRAM_RESPONSE);
  if (!signatureMsg || !responseMsg) return none;
  try {
    const steps = vramResponseCodec.decode(hexToBytes(responseMsg.payload)).digests.length;
    const messages = runTranscriptAnswers(transcript);
    const signed = {
      epoch: transcript.epoch,
      provider: transcript.provider,
      checker: transcript.checker,
      seed: transcript.seed,
      signature: signatureMsg.payload,
    };
    const context = {
      answerKey: answer.key,
      domain: { chainId: answer.chainId, verifyingContract: answer.verifyingContract },
    };
    const until = performance.now() + budgetMs;
    for (let t = from; t < steps; t++) {
      const proof = buildVramFraudProof(signed, messages, t);
      const verdict = verifyVramFraudProof(proof, context);
      if (verdict.valid) return { done: true, proof };
      if (verdict.reason !== FraudReasonCode.HONEST_DIGEST) return none;
      if (performance.now() >= until && t + 1 < steps) return { done: false, next: t + 1 };
    }
    return none;
  } catch {
    return none;
  }
}

import type { ChallengeTranscript } from "@checkernet/protocol/challenges/transcript";
import {
  matmulFraudProofFromTranscript,
  vramFraudProofFromTranscript,
} from "@checkernet/protocol/fraud/fromTranscript";
import { verifyMatmulFraudProof } from "@checkernet/protocol/fraud/matmulFraud";
import { verifyVramFraudProof } from "@checkernet/protocol/fraud/vramFraud";
import type { ProtocolParams } from "@checkernet/protocol/params";

/**
 * What `provider evidence` says about a transcript that carries a signed
 * wrong answer: the fraud proof anyone can build from it (a matmul entry
 * under the signed commitment, slashable on chain; a VRAM step under the
 * signed run transcript, off chain evidence), with the claimed and the
 * recomputed value.
 */
export type FraudProofSummary =
  | {
      kind: "matmul";
      epoch: bigint;
      row: number;
      column: number;
      claimed: string;
      recomputed: string;
      message: string;
    }
  | {
      kind: "vram";
      epoch: bigint;
      step: number;
      block: number;
      claimed: string;
      recomputed: string;
      message: string;
    };

/** The fraud proof the transcript holds, or undefined (no answer key, nothing signed wrong). */
export function signedWrongAnswer(
  t: ChallengeTranscript,
  params: ProtocolParams,
): FraudProofSummary | undefined {
  const answer = t.answer;
  if (answer === undefined) return undefined;
  const context = {
    answerKey: answer.key,
    domain: { chainId: answer.chainId, verifyingContract: answer.verifyingContract },
  };
  const matmul = matmulFraudProofFromTranscript(t, params);
  if (matmul !== null) {
    const v = verifyMatmulFraudProof(matmul, context);
    if (v.valid) {
      return {
        kind: "matmul",
        epoch: matmul.epoch,
        row: matmul.i,
        column: matmul.j,
        claimed: String(v.claimed),
        recomputed: String(v.expected),
        message: `signed wrong matmul entry C[${matmul.i}][${matmul.j}]: a fraud proof, slashable on chain (FraudProofs)`,
      };
    }
  }
  const vram = vramFraudProofFromTranscript(t);
  if (vram !== null) {
    const v = verifyVramFraudProof(vram, context);
    if (v.valid) {
      return {
        kind: "vram",
        epoch: vram.epoch,
        step: v.step,
        block: v.index,
        claimed: v.claimed,
        recomputed: v.expected,
        message: `signed wrong VRAM digest at step ${v.step}: a fraud proof, verified off chain`,
      };
    }
  }
  return undefined;
}

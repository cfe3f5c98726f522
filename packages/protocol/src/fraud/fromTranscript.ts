import { hexToBytes } from "viem";
import {
  entryProofFromRow,
  matmulCommitCodec,
  matmulRequestCodec,
  matmulRowsCodec,
  openedRowCount,
  sampleRows,
  wrongSampledEntry,
} from "../challenges/matmul.ts";
import {
  type ChallengeTranscript,
  runSeeds,
  runTranscriptAnswers,
  TranscriptMessageType,
} from "../challenges/transcript.ts";
import { vramResponseCodec } from "../challenges/vram.ts";
import type { ProtocolParams } from "../params.ts";
import { ChallengeKind } from "../types.ts";
import { FraudReasonCode } from "./common.ts";
import { buildMatmulFraudProof, type MatmulFraudProof, verifyMatmulFraudProof } from "./matmulFraud.ts";
import { buildVramFraudProof, type VramFraudProof, verifyVramFraudProof } from "./vramFraud.ts";

/**
 * The matmul fraud proof a checker can build from its own run: the first
 * opened row with a wrong sampled entry (verifyMatmul's WRONG_ROW rule,
 * `wrongSampledEntry`: the same columns, drawn from the run's sampling
 * randomness and the root), that entry, its chunk path (rebuilt from the
 * opened row) and the row's path as the provider sent it, under the
 * provider's signed commitment. Null when the run holds none: not a MATMUL
 * run, no answer key in the header, an unsigned or undecodable commitment,
 * no opened rows, every sampled entry right, or a wrong row whose path does
 * not lead to the root (that run FAILs on BAD_PROOF, but proves nothing
 * about a committed entry). Costs what verifyMatmul's entry check costs: no
 * generation of B. A
 * returned proof has passed `verifyMatmulFraudProof` against the header's
 * answer key, so it is valid wherever that key is the registry's for the epoch.
 */
export function matmulFraudProofFromTranscript(
  transcript: ChallengeTranscript,
  params: Pick<ProtocolParams, "matmulSampledRows">,
): MatmulFraudProof | null {
  const answer = transcript.answer;
  if (transcript.kind !== ChallengeKind.MATMUL || answer === undefined) return null;
  const first = (type: TranscriptMessageType) => transcript.messages.find((m) => m.type === type);
  const requestMsg = first(TranscriptMessageType.MATMUL_REQUEST);
  const commitMsg = first(TranscriptMessageType.MATMUL_COMMIT);
  const rowsMsg = first(TranscriptMessageType.MATMUL_ROWS);
  if (!requestMsg || !commitMsg || !rowsMsg) return null;
  try {
    const request = matmulRequestCodec.decode(hexToBytes(requestMsg.payload));
    const commit = matmulCommitCodec.decode(hexToBytes(commitMsg.payload));
    if (commit.signature === undefined || commit.signature.length <= 2) return null;
    const { n } = request;
    const count = openedRowCount(n, params);
    const randomness = runSeeds(transcript.seed).sample;
    const rows = sampleRows(randomness, commit.root, n, count);
    const openings = matmulRowsCodec(n, count).decode(hexToBytes(rowsMsg.payload));
    const signed = {
      epoch: transcript.epoch,
      provider: transcript.provider,
      checker: request.checker,
      seed: request.seed,
      classId: request.classId,
      n,
      root: commit.root,
      signature: commit.signature,
    };
    const context = {
      answerKey: answer.key,
      domain: { chainId: answer.chainId, verifyingContract: answer.verifyingContract },
    };
    const sample = { seed: request.seed, randomness, root: commit.root, n };
    for (const [k, i] of rows.entries()) {
      const row = openings.rows[k] as Int32Array;
      const wrong = wrongSampledEntry(sample, i, row);
      if (wrong === null) continue;
      const j = wrong.column;
      const proof = buildMatmulFraudProof(signed, i, j, entryProofFromRow(row, j, openings.proofs[k] ?? []));
      if (verifyMatmulFraudProof(proof, context).valid) return proof;
    }
    return null;
  } catch {
    // A message that does not decode is a FAIL of its own (MALFORMED_MESSAGE), not a fraud proof.
    return null;
  }
}

/**
 * The VRAM fraud proof a checker can build from its own run: the first wrong
 * step of the walk under the provider's RunTranscript signature (recorded as
 * RUN_SIGNATURE) over the run's signed messages (runTranscriptAnswers). Null
 * when the run holds none: not a VRAM run, no answer key in the header, no
 * or an invalid run signature, or every step right. A returned proof has
 * passed `verifyVramFraudProof` against the header's answer key. Costs one
 * block generation per step checked, up to the first wrong one.
 */
export function vramFraudProofFromTranscript(transcript: ChallengeTranscript): VramFraudProof | null {
  const search = searchVramFraudProof(transcript);
  return search.done ? search.proof : null;
}

/** Where a slice of the search ended: with its answer, or at the step the next slice starts from. */
export type VramFraudSearch = { done: true; proof: VramFraudProof | null } | { done: false; next: number };

/**
 * The search behind `vramFraudProofFromTranscript`, in slices: checks walk steps from `from` on (the
 * first wrong step under a valid signature is the proof; any refusal other than an honest digest ends
 * the search with none) and, when `stop()` says so after a step, returns the step to resume from. A
 * worker thread uses it to answer BLS batches between slices (checker's computeWorker).
 */
export function searchVramFraudProof(
  transcript: ChallengeTranscript,
  from = 0,
  stop: () => boolean = () => false,
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
    for (let t = from; t < steps; t++) {
      const proof = buildVramFraudProof(signed, messages, t);
      const verdict = verifyVramFraudProof(proof, context);
      if (verdict.valid) return { done: true, proof };
      if (verdict.reason !== FraudReasonCode.HONEST_DIGEST) return none;
      if (t + 1 < steps && stop()) return { done: false, next: t + 1 };
    }
    return none;
  } catch {
    return none;
  }
}

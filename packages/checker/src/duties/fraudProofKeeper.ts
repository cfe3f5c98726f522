import { ReasonCode } from "@checkernet/protocol/challenges/common";
import type { ChallengeTranscript } from "@checkernet/protocol/challenges/transcript";
import {
  matmulFraudProofFromTranscript,
  vramFraudProofFromTranscript,
} from "@checkernet/protocol/fraud/fromTranscript";
import { encodeMatmulFraudProof, type MatmulFraudProof } from "@checkernet/protocol/fraud/matmulFraud";
import type { ProtocolParams } from "@checkernet/protocol/params";
import type { Logger } from "@checkernet/runtime";
import { bytesToHex } from "viem";
import type { TranscriptEvaluator } from "../challenges/evaluator.ts";
import type { CheckerDb, FraudProofRecord } from "../db/checkerDb.ts";
import type { Metrics } from "../metrics/index.ts";

/** The record a built proof is stored as: pending, never sent (FraudProofDuty sends it). */
export function pendingFraudProof(proof: MatmulFraudProof): FraudProofRecord {
  return {
    epoch: proof.epoch,
    provider: proof.provider,
    proof: encodeMatmulFraudProof(proof),
    status: "pending",
    attempts: 0,
    tx: null,
    error: null,
  };
}

/** What building and storing a run's fraud proof needs. */
interface FraudProofKeeperComponents {
  db: CheckerDb;
  logger: Logger;
  metrics?: Metrics;
  /**
   * The challenge client: its evaluator searches a VRAM fraud proof on the node's worker thread (one
   * block regenerated per walk step: 5 % of the main thread's CPU at 1,000 licenses when it ran here,
   * docs/footprint.md); without one, the search runs here.
   */
  client?: { readonly evaluator: TranscriptEvaluator };
}

/**
 * Keeps the fraud proof of a FAILed run, whether a regular check or a re-check ran it (the signed answers are
 * the same): a wrong opened row under the provider's signed commitment (matmulFraudProofFromTranscript) is
 * stored, one per (provider, epoch of the run), for the fraud-proof duty to submit to FraudProofs; a wrong
 * digest under a valid run signature (vramFraudProofFromTranscript) is stored next to them as off-chain
 * evidence. A failure here is logged and never costs the run's attestation or re-check result.
 */
export async function keepFraudProof(
  components: FraudProofKeeperComponents,
  params: ProtocolParams,
  transcript: ChallengeTranscript,
  reasons: readonly { code: string }[],
  origin: "check" | "recheck" = "check",
): Promise<void> {
  if (transcript.answer !== undefined && reasons.some((r) => r.code === ReasonCode.WRONG_DIGEST)) {
    await keepVramFraudProof(components, transcript, origin);
    return;
  }
  if (transcript.answer === undefined || !reasons.some((r) => r.code === ReasonCode.WRONG_ROW)) return;
  const { db, logger, metrics } = components;
  try {
    const proof = matmulFraudProofFromTranscript(transcript, params);
    if (proof === null) return;
    const stored = await db.putFraudProof(pendingFraudProof(proof));
    if (!stored) return;
    metrics?.fraudProofs.inc({ result: "built" });
    logger.warn(
      { epoch: String(proof.epoch), provider: proof.provider, row: proof.i, column: proof.j, origin },
      "fraud proof built: a wrong entry under the provider's signed commitment",
    );
  } catch (e) {
    logger.error({ err: e, provider: transcript.provider, origin }, "building the fraud proof failed");
  }
}

/**
 * VRAM proof searches per node database and (provider, epoch), chained: a run that fails while another
 * run's search for the same pair is going waits for it, and searches only if that one stored nothing.
 */
const vramSearches = new WeakMap<CheckerDb, Map<string, Promise<void>>>();

/**
 * The VRAM fraud proof of a run with a wrong digest under a valid run signature, one per (provider, epoch).
 * The search regenerates one block per walk step up to the wrong one, so it runs only while no proof for
 * the pair is stored: with 1,000 licenses a node runs most of a faulty provider's challenges of an epoch,
 * and each searched again before (docs/footprint.md).
 */
async function keepVramFraudProof(
  components: FraudProofKeeperComponents,
  transcript: ChallengeTranscript,
  origin: "check" | "recheck",
): Promise<void> {
  let searches = vramSearches.get(components.db);
  if (searches === undefined) {
    searches = new Map();
    vramSearches.set(components.db, searches);
  }
  const key = `${transcript.epoch}/${transcript.provider.toLowerCase()}`;
  const next = (searches.get(key) ?? Promise.resolve()).then(() =>
    searchAndKeepVramFraudProof(components, transcript, origin),
  );
  searches.set(key, next);
  try {
    await next;
  } finally {
    if (searches.get(key) === next) searches.delete(key);
  }
}

async function searchAndKeepVramFraudProof(
  components: FraudProofKeeperComponents,
  transcript: ChallengeTranscript,
  origin: "check" | "recheck",
): Promise<void> {
  const { db, logger } = components;
  try {
    if ((await db.getVramFraudProof(transcript.epoch, transcript.provider)) !== undefined) return;
    const search = components.client?.evaluator.vramFraudProof;
    const proof =
      search === undefined
        ? vramFraudProofFromTranscript(transcript)
        : await search.call(components.client?.evaluator, transcript);
    if (proof === null) return;
    const json = JSON.stringify({
      ...proof,
      epoch: proof.epoch.toString(),
      messages: proof.messages.map((m) => ({
        type: m.type,
        payload: typeof m.payload === "string" ? m.payload : bytesToHex(m.payload),
      })),
    });
    if (!(await db.putVramFraudProof({ epoch: proof.epoch, provider: proof.provider, proof: json }))) return;
    logger.warn(
      { epoch: String(proof.epoch), provider: proof.provider, step: proof.step, origin },
      "VRAM fraud proof built: a wrong digest under the provider's signed run transcript",
    );
  } catch (e) {
    logger.error({ err: e, provider: transcript.provider, origin }, "building the VRAM fraud proof failed");
  }
}

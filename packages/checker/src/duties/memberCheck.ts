import { combineResults, type Reason, ReasonCode } from "@checkernet/protocol/challenges/common";
import { challengeSizesFor, gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import type { TranscriptAnswerKey } from "@checkernet/protocol/challenges/transcript";
import { vramBlockCount, vramDatasetSeed } from "@checkernet/protocol/challenges/vram";
import type { ProtocolParams } from "@checkernet/protocol/params";
import type { ChallengeKind, CheckResult } from "@checkernet/protocol/types";
import { type NoRunReason, noRunMessage } from "@checkernet/wire";
import { type Address, type Hex, zeroHash } from "viem";
import type { ChallengeTask } from "../challenges/client.ts";
import type { ProviderRecord, UnusableProvider } from "../validation/providerDirectory.ts";

/**
 * What a committee member does with one member of a checking set, in a regular check (checkingDuty.ts) and
 * in a re-check (recheckDuty.ts) alike: a provider with a usable entry gets a run sized to its claimed
 * class; one whose entry cannot be used gets a TIMEOUT without a run.
 */

/** The run of `p` in `run.epoch`: the class-sized workload (challengeSizesFor) and its VRAM dataset. */
export function challengeTaskFor(
  p: ProviderRecord,
  params: ProtocolParams,
  run: {
    epoch: bigint;
    checker: Address;
    kind: ChallengeKind;
    seed: Hex;
    /** ProviderRegistry.answerKeyAt for the run's epoch; undefined where it has none. */
    answerKey: TranscriptAnswerKey | undefined;
  },
): ChallengeTask {
  const sizes = challengeSizesFor(p.classId, params);
  const blockSize = params.vramBlockSize;
  return {
    epoch: run.epoch,
    provider: p.address,
    checker: run.checker,
    kind: run.kind,
    seed: run.seed,
    classId: p.classId,
    claimedRegion: p.region,
    matmulN: sizes.matmulN,
    vram: {
      datasetSeed: vramDatasetSeed(p.address, p.vramSalt),
      blockSize,
      blockCount: vramBlockCount(p.vramBytes || gpuClass(p.classId).vramBytes, blockSize, params),
      steps: sizes.vramWalkSteps,
    },
    ...(run.answerKey === undefined ? {} : { answerKey: run.answerKey }),
  };
}

/**
 * Stands for the transcript of a check that had no run: zero, which no transcript hashes to. An evidence
 * request for it is answered with the attestation and the kept noRunReason instead (EVIDENCE_NO_RUN).
 */
export const NO_TRANSCRIPT: Hex = zeroHash;

/**
 * The outcome attested for a member whose registry entry cannot be challenged: TIMEOUT (UNUSABLE_REGISTRY_ENTRY
 * is an availability reason), no timings, no transcript. A provider that cannot be dialed or has no GPU class
 * cannot serve a check, the same as one that never answers; attesting it lets an honest committee's quorum
 * decide its verdict (and slash it: TIMEOUT fails as FAIL does), where skipping it left the verdict to whoever
 * attested it anyway (review3 P1-1, issue 14). Not FAIL: "this node could not use the entry" is also what an
 * honest node of an older release says of a class or region added after it (review4 M1), and a re-check that
 * overturns the verdict jails only FAIL attesters (docs/protocol/recheck.md, "Who is penalized").
 */
export function unusableEntryOutcome(p: UnusableProvider): {
  result: CheckResult;
  p50Us: number;
  p95Us: number;
  throughput: bigint;
  transcriptHash: Hex;
  reason: Reason;
} {
  const reason: Reason = {
    code: ReasonCode.UNUSABLE_REGISTRY_ENTRY,
    message: `registry entry not usable (${p.unusable.field}): ${p.unusable.reason}`,
  };
  return {
    result: combineResults([reason]),
    p50Us: 0,
    p95Us: 0,
    throughput: 0n,
    transcriptHash: NO_TRANSCRIPT,
    reason,
  };
}

/** What a node keeps, and serves as evidence, for a TIMEOUT without a run: the reason code, the unusable field, why. */
export function noRunReason(p: UnusableProvider): NoRunReason {
  const { reason } = unusableEntryOutcome(p);
  return { code: reason.code, field: p.unusable.field, message: noRunMessage(reason.message) };
}

import { bytesToHex, getAddress, type Hex, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { ReasonCode } from "../../src/challenges/common.ts";
import { gpuClass } from "../../src/challenges/gpu-classes.ts";
import { answerPing, pingCodec, pingSchedule, pongCodec } from "../../src/challenges/latency.ts";
import { regionById } from "../../src/challenges/regions.ts";
import {
  decodeRunSignature,
  RUN_SIGN_MAX_PONGS,
  runSignedMessages,
  runSignRequestCodec,
} from "../../src/challenges/run-signature.ts";
import {
  type ChallengeTranscript,
  challengeKindForEpoch,
  evaluateTranscript,
  receivedPongs,
  runSeeds,
  runTranscriptAnswers,
  TranscriptMessageType as T,
  TRANSCRIPT_VERSION,
  type TranscriptMessage,
  transcriptCodec,
  workloadMessages,
} from "../../src/challenges/transcript.ts";
import {
  answerVram,
  generateVramBlock,
  vramRequestCodec,
  vramResponseCodec,
} from "../../src/challenges/vram.ts";
import { DecodeError } from "../../src/errors.ts";
import { answersHash, signRunTranscript } from "../../src/fraud/answerSigning.ts";
import { vramFraudProofFromTranscript } from "../../src/fraud/fromTranscript.ts";
import { verifyVramFraudProof } from "../../src/fraud/vramFraud.ts";
import { withParams } from "../../src/params.ts";
import { ChallengeKind, CheckResult } from "../../src/types.ts";
import { ANSWER, CHECKER, DOMAIN, KEY, OTHER_KEY, PROVIDER } from "./helpers.ts";

const params = withParams({ pingCount: 4 });
const SEED: Hex = `0x${"6d".repeat(32)}`;
const DATASET = { seed: `0x${"7a".repeat(32)}` as Hex, blockSize: 4096, blockCount: 8 };

interface VramRun {
  /** Pings whose pong never arrives. */
  lost?: number[];
  /** Walk steps answered wrongly (from there on the walk chains on the wrong digest). */
  wrongStep?: number;
  /** Run signature key; null: none recorded. */
  runSignWith?: Hex | null;
  /** What the provider signs over instead of the checker's list (a disagreement). */
  providerPongs?: number[];
}

/** A VRAM run as an honest checker records it, the provider signing at the end as client.ts asks. */
function vramRun(run: VramRun = {}): ChallengeTranscript {
  const seeds = runSeeds(SEED);
  const messages: TranscriptMessage[] = [];
  let now = 0;
  for (const ping of pingSchedule(seeds.latency, params)) {
    now = Math.max(now, ping.sendAtMs * 1000);
    messages.push({ type: T.PING, atUs: now, payload: bytesToHex(pingCodec.encode(ping)) });
    now += 2_000;
    if (run.lost?.includes(ping.seq)) continue;
    messages.push({ type: T.PONG, atUs: now, payload: bytesToHex(pongCodec.encode(answerPing(ping))) });
  }
  const request = { ...DATASET, nonce: seeds.vramNonce, steps: 16 };
  const requestBytes = vramRequestCodec.encode(request);
  messages.push({ type: T.VRAM_REQUEST, atUs: now, payload: bytesToHex(requestBytes) });
  let response = answerVram(request, (i) => generateVramBlock(DATASET.seed, i, DATASET.blockSize));
  if (run.wrongStep !== undefined) {
    const digests = [...response.digests];
    digests[run.wrongStep] = `0x${"ee".repeat(32)}`;
    response = { digests };
  }
  const responseBytes = vramResponseCodec.encode(response);
  now += 5_000;
  messages.push({ type: T.VRAM_RESPONSE, atUs: now, payload: bytesToHex(responseBytes) });
  const t: ChallengeTranscript = {
    version: TRANSCRIPT_VERSION,
    epoch: 9n,
    provider: PROVIDER,
    checker: CHECKER,
    kind: ChallengeKind.VRAM,
    checkerRegion: regionById("local").code,
    claimedRegion: regionById("local").code,
    classId: gpuClass("cpu-reference").code,
    seed: SEED,
    answer: ANSWER,
    messages,
  };
  const key = run.runSignWith === undefined ? KEY : run.runSignWith;
  if (key !== null) {
    // The provider's side (handlers/runSignature.ts): the pongs RUN_SIGN names and its own stream's bytes.
    const signed = runSignedMessages(seeds.latency, run.providerPongs ?? receivedPongs(t), [
      { type: T.VRAM_REQUEST, payload: requestBytes },
      { type: T.VRAM_RESPONSE, payload: responseBytes },
    ]);
    const signature = signRunTranscript(key, DOMAIN, {
      epoch: 9n,
      provider: PROVIDER,
      checker: CHECKER,
      seed: SEED,
      answersHash: answersHash(signed),
    });
    messages.push({ type: T.RUN_SIGNATURE, atUs: now + 1_000, payload: signature });
  }
  return t;
}

const codes = (t: ChallengeTranscript) => evaluateTranscript(t, params).reasons.map((r) => r.code);

describe("run signatures (RunTranscript at the end of a run)", () => {
  it("passes a run signed by the header's answer key, and survives the transcript codec", () => {
    const t = vramRun();
    expect(evaluateTranscript(t, params).result).toBe(CheckResult.PASS);
    expect(transcriptCodec.decode(transcriptCodec.encode(t))).toEqual(t);
  });

  it("covers only the pongs received: a lost ping leaves the run signable", () => {
    const t = vramRun({ lost: [1] });
    expect(receivedPongs(t)).toEqual([0, 2, 3]);
    expect(codes(t)).not.toContain(ReasonCode.BAD_ANSWER_SIGNATURE);
    expect(codes(t)).not.toContain(ReasonCode.UNSIGNED_ANSWER);
    // Signed over a different list (the provider counting the lost pong): the signature does not verify.
    expect(codes(vramRun({ lost: [1], providerPongs: [0, 1, 2, 3] }))).toContain(
      ReasonCode.BAD_ANSWER_SIGNATURE,
    );
  });

  it("fails a missing or foreign run signature when the header names an answer key", () => {
    expect(codes(vramRun({ runSignWith: null }))).toEqual([ReasonCode.UNSIGNED_ANSWER]);
    expect(codes(vramRun({ runSignWith: OTHER_KEY }))).toEqual([ReasonCode.BAD_ANSWER_SIGNATURE]);
    const { answer: _, ...keyless } = vramRun({ runSignWith: null });
    expect(evaluateTranscript(keyless, params).result).toBe(CheckResult.PASS);
  });

  it("asks no signature of a run cut short before its last answer", () => {
    const t = vramRun({ runSignWith: null });
    const cut = { ...t, messages: t.messages.filter((m) => m.type !== T.VRAM_RESPONSE) };
    expect(codes(cut)).not.toContain(ReasonCode.UNSIGNED_ANSWER);
  });

  it("orders the signed list as fraud-proofs.md says: pings, then the workload", () => {
    const t = vramRun({ lost: [2] });
    const list = runTranscriptAnswers(t);
    expect(list.map((m) => m.type)).toEqual([1, 2, 1, 2, 1, 2, T.VRAM_REQUEST, T.VRAM_RESPONSE]);
    expect(workloadMessages(t)).toHaveLength(2);
  });

  it("leaves no scheduled run pings-only: every run has a workload whose signature binds its pongs", () => {
    // fraud-proofs.md "Latency-only runs": challengeKindForEpoch draws MATMUL or VRAM, never LATENCY, so the
    // RunTranscript signature at the workload's end covers every received PING/PONG of every scheduled run.
    const kinds = new Set<number>();
    for (let k = 0; k < 2_000; k++) {
      const seed = keccak256(toHex(`kind seed ${k}`));
      const provider = getAddress(keccak256(toHex(`kind provider ${k}`)).slice(0, 42));
      for (const shareBps of [0, 5_000, 10_000]) {
        kinds.add(challengeKindForEpoch(seed, provider, BigInt(k), { matmulShareBps: shareBps }));
      }
    }
    expect([...kinds].sort()).toEqual([ChallengeKind.MATMUL, ChallengeKind.VRAM].sort());
    // And the signed list of a scheduled run holds its pongs: a pong the provider did not sign fails the run.
    const t = vramRun();
    expect(runTranscriptAnswers(t).filter((m) => m.type === T.PONG)).toHaveLength(params.pingCount);
    expect(codes(vramRun({ providerPongs: [0, 1] }))).toContain(ReasonCode.BAD_ANSWER_SIGNATURE);
  });

  it("turns a wrong digest under a valid run signature into a VRAM fraud proof", () => {
    const t = vramRun({ wrongStep: 3 });
    expect(codes(t)).not.toContain(ReasonCode.BAD_ANSWER_SIGNATURE);
    const proof = vramFraudProofFromTranscript(t);
    expect(proof).not.toBeNull();
    expect(proof!.step).toBe(3);
    const verdict = verifyVramFraudProof(proof!, { answerKey: ANSWER.key, domain: DOMAIN });
    expect(verdict.valid).toBe(true);
    expect(vramFraudProofFromTranscript(vramRun())).toBeNull();
    expect(vramFraudProofFromTranscript(vramRun({ wrongStep: 3, runSignWith: OTHER_KEY }))).toBeNull();
  });

  it("bounds RUN_SIGN and RUN_SIGNATURE", () => {
    const request = { seed: SEED, epoch: 9n, checker: CHECKER, pongs: [0, 2, 5] };
    expect(runSignRequestCodec.decode(runSignRequestCodec.encode(request))).toEqual(request);
    const many = { ...request, pongs: Array.from({ length: RUN_SIGN_MAX_PONGS + 1 }, (_, i) => i) };
    expect(() => runSignRequestCodec.encode(many)).toThrow(DecodeError);
    const unsorted = { ...request, pongs: [2, 1] };
    expect(() => runSignRequestCodec.decode(runSignRequestCodec.encode(unsorted))).toThrow(DecodeError);
    expect(() => decodeRunSignature(new Uint8Array(64))).toThrow(DecodeError);
    expect(decodeRunSignature(new Uint8Array(65))).toHaveLength(65);
  });
});

import { gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import { answerPing, pingCodec, pingSchedule, pongCodec } from "@checkernet/protocol/challenges/latency";
import { regionById } from "@checkernet/protocol/challenges/regions";
import {
  type ChallengeTranscript,
  runSeeds,
  runTranscriptAnswers,
  TranscriptMessageType as T,
  TRANSCRIPT_VERSION,
} from "@checkernet/protocol/challenges/transcript";
import {
  answerVram,
  generateVramBlock,
  vramRequestCodec,
  vramResponseCodec,
} from "@checkernet/protocol/challenges/vram";
import { answerKeyAddress, answersHash, signRunTranscript } from "@checkernet/protocol/fraud/answerSigning";
import { withParams } from "@checkernet/protocol/params";
import { ChallengeKind } from "@checkernet/protocol/types";
import { bytesToHex, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { signedWrongAnswer } from "../src/evidence/fraudSummary.ts";

const KEY: Hex = `0x${"4d".repeat(32)}`;
const DOMAIN = { chainId: 31337n, verifyingContract: "0x00000000000000000000000000000000000000a1" as const };
const params = withParams({ pingCount: 2 });
const SEED: Hex = `0x${"6e".repeat(32)}`;

/** A signed VRAM run whose walk is wrong at `wrongStep` (none: honest). */
function vramTranscript(wrongStep?: number): ChallengeTranscript {
  const seeds = runSeeds(SEED);
  const messages: ChallengeTranscript["messages"] = [];
  for (const ping of pingSchedule(seeds.latency, params)) {
    messages.push({ type: T.PING, atUs: ping.sendAtMs * 1000, payload: bytesToHex(pingCodec.encode(ping)) });
    const pong = bytesToHex(pongCodec.encode(answerPing(ping)));
    messages.push({ type: T.PONG, atUs: ping.sendAtMs * 1000 + 500, payload: pong });
  }
  const at = (messages.at(-1)?.atUs ?? 0) + 1000;
  const request = {
    seed: `0x${"7b".repeat(32)}` as Hex,
    blockSize: 4096,
    blockCount: 4,
    nonce: seeds.vramNonce,
    steps: 6,
  };
  const response = answerVram(request, (i) => generateVramBlock(request.seed, i, request.blockSize));
  if (wrongStep !== undefined) response.digests[wrongStep] = `0x${"ab".repeat(32)}`;
  messages.push({ type: T.VRAM_REQUEST, atUs: at, payload: bytesToHex(vramRequestCodec.encode(request)) });
  messages.push({
    type: T.VRAM_RESPONSE,
    atUs: at + 1,
    payload: bytesToHex(vramResponseCodec.encode(response)),
  });
  const t: ChallengeTranscript = {
    version: TRANSCRIPT_VERSION,
    epoch: 4n,
    provider: "0x00000000000000000000000000000000000000b2",
    checker: "0x00000000000000000000000000000000000000c1",
    kind: ChallengeKind.VRAM,
    checkerRegion: regionById("local").code,
    claimedRegion: regionById("local").code,
    classId: gpuClass("cpu-reference").code,
    seed: SEED,
    answer: { key: answerKeyAddress(KEY), ...DOMAIN },
    messages,
  };
  const signature = signRunTranscript(KEY, DOMAIN, {
    epoch: t.epoch,
    provider: t.provider,
    checker: t.checker,
    seed: SEED,
    answersHash: answersHash(runTranscriptAnswers(t)),
  });
  messages.push({ type: T.RUN_SIGNATURE, atUs: at + 2, payload: signature });
  return t;
}

describe("provider evidence: signed wrong answers", () => {
  it("summarises the VRAM fraud proof of a signed wrong walk", () => {
    const summary = signedWrongAnswer(vramTranscript(2), params);
    expect(summary).toMatchObject({ kind: "vram", epoch: 4n, step: 2, claimed: `0x${"ab".repeat(32)}` });
    expect(summary?.recomputed).not.toBe(summary?.claimed);
  });

  it("says nothing of an honest run or one without an answer key", () => {
    expect(signedWrongAnswer(vramTranscript(), params)).toBeUndefined();
    const { answer: _, ...keyless } = vramTranscript(2);
    expect(signedWrongAnswer(keyless, params)).toBeUndefined();
  });
});

import { gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import { answerPing, pingCodec, pingSchedule, pongCodec } from "@checkernet/protocol/challenges/latency";
import { regionById } from "@checkernet/protocol/challenges/regions";
import {
  type ChallengeTranscript,
  runSeeds,
  runTranscriptAnswers,
  TranscriptMessageType as T,
  type TranscriptMessage,
} from "@checkernet/protocol/challenges/transcript";
import {
  answerVram,
  generateVramBlock,
  vramDatasetSeed,
  vramRequestCodec,
  vramResponseCodec,
} from "@checkernet/protocol/challenges/vram";
import { answerKeyAddress, answersHash, signRunTranscript } from "@checkernet/protocol/fraud/answerSigning";
import { withParams } from "@checkernet/protocol/params";
import { ChallengeKind } from "@checkernet/protocol/types";
import { type Address, bytesToHex, type Hex } from "viem";

export const VRAM_RUN_PROVIDER: Address = "0x1111111111111111111111111111111111111111";
const VRAM_RUN_CHECKER: Address = "0x2222222222222222222222222222222222222222";
/** A GPU class's sampling on the devnet's blocks: 17 blocks of 256 KiB regenerated per evaluation. */
export const vramRunParams = withParams({ vramSampledBlocks: 16 });
const BLOCK_SIZE = 262_144;
const BLOCK_COUNT = 24;
const VRAM_RUN_STEPS = 64;

/** The provider's answer key and the domain it signs its runs under. */
export interface VramRunSigner {
  key: Hex;
  domain: { chainId: bigint; verifyingContract: Address };
}

/**
 * A VRAM run of epoch 3 as the client records it: pings answered in 2 ms, a 64-step walk over 24 blocks of
 * 256 KiB answered in 5 ms. Digests from step `wrongFrom` on are zeros (a walk that stopped reading memory
 * there; 0: every digest wrong). With `signer`, the transcript names its answer key and ends with the
 * provider's signature over the run. `blockSize` (default 256 KiB) scales the checker's regeneration.
 */
export function vramRun(
  runSeed: Hex,
  options: { wrongFrom?: number; signer?: VramRunSigner; blockSize?: number } = {},
): ChallengeTranscript {
  const { wrongFrom = VRAM_RUN_STEPS, signer, blockSize = BLOCK_SIZE } = options;
  const seeds = runSeeds(runSeed);
  const messages: TranscriptMessage[] = [];
  let now = 0;
  for (const ping of pingSchedule(seeds.latency, vramRunParams)) {
    now = Math.max(now, ping.sendAtMs * 1000);
    messages.push({ type: T.PING, atUs: now, payload: bytesToHex(pingCodec.encode(ping)) });
    now += 2_000;
    messages.push({ type: T.PONG, atUs: now, payload: bytesToHex(pongCodec.encode(answerPing(ping))) });
  }
  const dataset = vramDatasetSeed(VRAM_RUN_PROVIDER, `0x${"aa".repeat(32)}`);
  const request = {
    seed: dataset,
    blockSize,
    blockCount: BLOCK_COUNT,
    nonce: seeds.vramNonce,
    steps: VRAM_RUN_STEPS,
  };
  messages.push({ type: T.VRAM_REQUEST, atUs: now, payload: bytesToHex(vramRequestCodec.encode(request)) });
  const blocks = new Map<number, Uint8Array>();
  const response = answerVram(request, (i) => {
    const b = blocks.get(i) ?? generateVramBlock(dataset, i, blockSize);
    blocks.set(i, b);
    return b;
  });
  response.digests = response.digests.map((d, t) => (t < wrongFrom ? d : (`0x${"00".repeat(32)}` as Hex)));
  now += 5_000;
  messages.push({
    type: T.VRAM_RESPONSE,
    atUs: now,
    payload: bytesToHex(vramResponseCodec.encode(response)),
  });
  const transcript: ChallengeTranscript = {
    version: 2,
    epoch: 3n,
    provider: VRAM_RUN_PROVIDER,
    checker: VRAM_RUN_CHECKER,
    kind: ChallengeKind.VRAM,
    checkerRegion: regionById("local").code,
    claimedRegion: regionById("local").code,
    classId: gpuClass("cpu-reference").code,
    seed: runSeed,
    ...(signer === undefined ? {} : { answer: { key: answerKeyAddress(signer.key), ...signer.domain } }),
    messages,
  };
  if (signer === undefined) return transcript;
  const signature = signRunTranscript(signer.key, signer.domain, {
    epoch: transcript.epoch,
    provider: VRAM_RUN_PROVIDER,
    checker: VRAM_RUN_CHECKER,
    seed: runSeed,
    answersHash: answersHash(runTranscriptAnswers(transcript)),
  });
  return {
    ...transcript,
    messages: [...messages, { type: T.RUN_SIGNATURE, atUs: now + 1_000, payload: signature }],
  };
}

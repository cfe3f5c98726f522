import { bytesToHex, getAddress, type Hex, hexToBytes, isAddress, isHex } from "viem";
import { checkInteger } from "../challenges/common.ts";
import { TranscriptMessageType } from "../challenges/transcript.ts";
import {
  regenerateVramBlock,
  type VramRequest,
  type VramResponse,
  vramRequestCodec,
  vramResponseCodec,
  vramStepDigest,
  vramStepIndex,
} from "../challenges/vram.ts";
import {
  type AnswerMessage,
  answersHash,
  type RunTranscriptMessage,
  recoverRunTranscriptSigner,
} from "./answerSigning.ts";
import { type FraudProofContext, FraudReasonCode, type FraudVerdict, reject } from "./common.ts";

/**
 * A VRAM fraud proof: a signed run transcript whose VramResponse holds a
 * digest that is not keccak256(nonce_t ‖ block[index_t]). The signature
 * binds `answersHash` of the run's messages, the VramRequest the provider
 * answered included, so the proof carries those messages and the step, and
 * anyone can regenerate the one block and recompute the digest.
 *
 * Verified off chain only: one step at the default 256 KiB block costs
 * 2.1 M gas in the EVM (measured, contracts/libraries/VramBlock.sol), twice
 * the 1 M budget, larger blocks (up to 64 MiB) pass the 2^24 transaction gas
 * cap, and the proof carries every signed message of the run as calldata. A
 * contest or a report committee settles it instead (docs/protocol/fraud-proofs.md).
 */
export interface VramFraudProof extends Omit<RunTranscriptMessage, "answersHash"> {
  /** The answer key's RunTranscript signature over answersHash(messages). */
  signature: Hex;
  /** Every message of the run the provider signed, in its signed order. */
  messages: AnswerMessage[];
  /** The wrong step t of the walk. */
  step: number;
}

/** What a valid VRAM proof shows. */
export interface VramFraudFacts {
  step: number;
  /** The block the step visits. */
  index: number;
  claimed: Hex;
  expected: Hex;
}

/** A run's signed transcript fields, as the provider sends them at the end of a run. */
export interface SignedRunTranscript extends Omit<RunTranscriptMessage, "answersHash"> {
  signature: Hex;
}

/** Assembles a proof about walk step `step` (assembles only; an honest step fails verification with HONEST_DIGEST). */
export function buildVramFraudProof(
  transcript: SignedRunTranscript,
  messages: readonly AnswerMessage[],
  step: number,
): VramFraudProof {
  checkInteger("step", step, 0, 0xffff);
  return {
    epoch: transcript.epoch,
    provider: transcript.provider,
    checker: transcript.checker,
    seed: transcript.seed,
    signature: transcript.signature,
    messages: messages.map((m) => ({ type: m.type, payload: m.payload })),
    step,
  };
}

function malformed(proof: VramFraudProof): string | null {
  if (typeof proof !== "object" || proof === null) return "the proof is not an object";
  if (typeof proof.epoch !== "bigint" || proof.epoch < 0n || proof.epoch >= 1n << 64n)
    return "epoch is not a uint64";
  if (!isAddress(proof.provider, { strict: false })) return "provider is not an address";
  if (!isAddress(proof.checker, { strict: false })) return "checker is not an address";
  if (typeof proof.seed !== "string" || !isHex(proof.seed, { strict: true }) || proof.seed.length !== 66) {
    return "seed is not 32 bytes of hex";
  }
  if (typeof proof.signature !== "string" || !isHex(proof.signature, { strict: true }))
    return "signature is not hex";
  if (!Number.isSafeInteger(proof.step) || proof.step < 0) return "step is not a non-negative integer";
  if (!Array.isArray(proof.messages)) return "messages is not a list";
  for (const [k, m] of proof.messages.entries()) {
    if (typeof m !== "object" || m === null || !Number.isInteger(m.type) || m.type < 0 || m.type > 255) {
      return `messages[${k}] has no uint8 type`;
    }
    const hexOk =
      typeof m.payload === "string" && isHex(m.payload, { strict: true }) && m.payload.length % 2 === 0;
    if (!(m.payload instanceof Uint8Array) && !hexOk) return `messages[${k}].payload is not bytes`;
  }
  return null;
}

const payloadBytes = (m: AnswerMessage): Uint8Array =>
  typeof m.payload === "string" ? hexToBytes(m.payload) : m.payload;

/**
 * Checks a VRAM fraud proof, in this order:
 * 1. well-formed fields (MALFORMED_PROOF);
 * 2. the signature is the answer key's over RunTranscript(epoch, provider,
 *    checker, seed, answersHash(messages)) (WRONG_SIGNATURE);
 * 3. the messages hold exactly one VramRequest and exactly one VramResponse,
 *    the response after the request (NO_VRAM_EXCHANGE), both decoding under
 *    their codecs (MALFORMED_PROOF);
 * 4. step < min(request.steps, number of digests) (OUT_OF_RANGE);
 * 5. digest_step differs from keccak256(nonce_step ‖ block[index(nonce_step)]),
 *    nonce_0 = the request's nonce, nonce_t = digest_{t−1} as signed (HONEST_DIGEST).
 * Costs one block generation (the block size of the request).
 */
export function verifyVramFraudProof(
  proof: VramFraudProof,
  context: FraudProofContext,
): FraudVerdict<VramFraudFacts> {
  const bad = malformed(proof);
  if (bad !== null) return reject(FraudReasonCode.MALFORMED_PROOF, bad);
  const signer = recoverRunTranscriptSigner(
    context.domain,
    { ...proof, answersHash: answersHash(proof.messages) },
    proof.signature,
  );
  if (signer === null || signer !== getAddress(context.answerKey)) {
    return reject(
      FraudReasonCode.WRONG_SIGNATURE,
      signer === null
        ? "the signature is not a valid low-s 65-byte signature"
        : `the transcript is signed by ${signer}, not the answer key ${context.answerKey}`,
    );
  }

  const requests = proof.messages.flatMap((m, k) =>
    m.type === TranscriptMessageType.VRAM_REQUEST ? [k] : [],
  );
  const responses = proof.messages.flatMap((m, k) =>
    m.type === TranscriptMessageType.VRAM_RESPONSE ? [k] : [],
  );
  if (requests.length !== 1 || responses.length !== 1 || (responses[0] as number) < (requests[0] as number)) {
    return reject(
      FraudReasonCode.NO_VRAM_EXCHANGE,
      `the signed messages hold ${requests.length} VramRequests and ${responses.length} VramResponses, not one answered request`,
    );
  }
  let request: VramRequest;
  let response: VramResponse;
  try {
    request = vramRequestCodec.decode(payloadBytes(proof.messages[requests[0] as number] as AnswerMessage));
    response = vramResponseCodec.decode(
      payloadBytes(proof.messages[responses[0] as number] as AnswerMessage),
    );
  } catch (e) {
    return reject(FraudReasonCode.MALFORMED_PROOF, `a VRAM message does not decode: ${(e as Error).message}`);
  }

  const { step } = proof;
  const steps = Math.min(request.steps, response.digests.length);
  if (step >= steps) {
    return reject(FraudReasonCode.OUT_OF_RANGE, `step ${step} is not in a walk of ${steps} signed steps`);
  }
  const nonce = hexToBytes(step === 0 ? request.nonce : (response.digests[step - 1] as Hex));
  const index = vramStepIndex(nonce, request.blockCount);
  const expected = bytesToHex(
    vramStepDigest(nonce, regenerateVramBlock(request.seed, index, request.blockSize)),
  );
  const claimed = (response.digests[step] as Hex).toLowerCase() as Hex;
  if (claimed === expected) {
    return reject(FraudReasonCode.HONEST_DIGEST, `step ${step} (block ${index}) is correct`);
  }
  return { valid: true, signer, step, index, claimed, expected };
}

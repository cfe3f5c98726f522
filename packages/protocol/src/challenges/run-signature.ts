import { type Address, bytesToHex, getAddress, type Hex } from "viem";
import { checkRange, defineCodec } from "../encoding/codec.ts";
import { DecodeError, DecodeErrorCode } from "../errors.ts";
import { type AnswerMessage, answersHash, recoverRunTranscriptSigner } from "../fraud/answerSigning.ts";
import { type Reason, ReasonCode } from "./common.ts";
import { pingCodec, pongCodec } from "./latency.ts";
import type { AnswerKeyCheck } from "./matmul-signature.ts";
import { deriveKey } from "./prng.ts";

/**
 * The run signature (docs/protocol/fraud-proofs.md, "Run signature"): after
 * the workload's last answer the checker sends RUN_SIGN on the workload
 * stream, outside every timed window, and the provider answers with its
 * answer key's EIP-712 RunTranscript signature over answersHash of the run's
 * signed messages: every ping whose pong the checker received (ascending seq:
 * PING, then PONG), then the workload stream's messages in protocol order.
 * Both sides build that list from the same inputs: the run seed, the
 * received pongs' seqs (sent in RUN_SIGN) and the workload stream's bytes.
 */

/** A RunTranscript signature: r ‖ s ‖ v. */
export const RUN_SIGNATURE_BYTES = 65;
/** Most pongs a RUN_SIGN may name: the provider's per-stream ping limit (maxPingsPerStream). */
export const RUN_SIGN_MAX_PONGS = 64;
/** Transcript type codes of the ping exchange (TranscriptMessageType.PING, PONG). */
const PING_TYPE = 1;
const PONG_TYPE = 2;

/** Checker → provider at the end of a run: what the RunTranscript signature is over. */
export interface RunSignRequest {
  /** The run seed, revealed now that the run's questions are all asked. */
  seed: Hex;
  epoch: bigint;
  /** The checker's operator address (RunTranscript.checker). */
  checker: Address;
  /** Seqs of the pings whose pong the checker received, strictly ascending. */
  pongs: number[];
}

/** `abi.encode((bytes32 seed, uint64 epoch, address checker, uint32[] pongs))`, at most 64 pongs. */
export const runSignRequestCodec = defineCodec({
  name: "RunSignRequest",
  maxBytes: 192 + 32 * RUN_SIGN_MAX_PONGS,
  abi: [
    {
      type: "tuple",
      components: [
        { name: "seed", type: "bytes32" },
        { name: "epoch", type: "uint64" },
        { name: "checker", type: "address" },
        { name: "pongs", type: "uint32[]" },
      ],
    },
  ] as const,
  toAbi: (r: RunSignRequest) =>
    [{ seed: r.seed, epoch: r.epoch, checker: r.checker, pongs: r.pongs }] as const,
  fromAbi: ([f]) => {
    checkRange("RunSignRequest", "pongs.length", f.pongs.length, 0, RUN_SIGN_MAX_PONGS);
    for (let k = 1; k < f.pongs.length; k++) {
      if ((f.pongs[k] as number) <= (f.pongs[k - 1] as number)) {
        throw new DecodeError(
          DecodeErrorCode.OUT_OF_RANGE,
          "RunSignRequest.pongs is not strictly ascending",
          {
            field: "pongs",
          },
        );
      }
    }
    return { seed: f.seed, epoch: f.epoch, checker: getAddress(f.checker), pongs: [...f.pongs] };
  },
});

/** The 65-byte RUN_SIGNATURE body, refused at any other length. */
export function decodeRunSignature(body: Uint8Array): Uint8Array {
  if (body.length !== RUN_SIGNATURE_BYTES) {
    throw new DecodeError(DecodeErrorCode.MALFORMED, `a run signature is ${RUN_SIGNATURE_BYTES} bytes`, {
      size: body.length,
    });
  }
  return body;
}

/**
 * The signed list: for each received pong's seq (ascending) the PING the
 * schedule sent (nonce = deriveKey(latencySeed, "latency.nonce", seq)) and
 * its echo PONG, then `workload` as it is.
 */
export function runSignedMessages(
  latencySeed: Hex,
  pongs: readonly number[],
  workload: readonly AnswerMessage[],
): AnswerMessage[] {
  const pings = pongs.flatMap((seq): AnswerMessage[] => {
    const ping = { seq, nonce: bytesToHex(deriveKey(latencySeed, "latency.nonce", seq)) };
    return [
      { type: PING_TYPE, payload: pingCodec.encode(ping) },
      { type: PONG_TYPE, payload: pongCodec.encode(ping) },
    ];
  });
  return [...pings, ...workload];
}

/** Why the run signature breaks the rule (missing, or not the answer key's), or null when it holds. */
export function runSignatureReason(
  check: AnswerKeyCheck,
  seed: Hex,
  messages: readonly AnswerMessage[],
  signature: Hex | undefined,
): Reason | null {
  if (signature === undefined) {
    return {
      code: ReasonCode.UNSIGNED_ANSWER,
      message: `the run transcript is unsigned, but ${check.provider} has answer key ${check.key} in epoch ${check.epoch}`,
    };
  }
  const signer = recoverRunTranscriptSigner(
    check.domain,
    {
      epoch: check.epoch,
      provider: getAddress(check.provider),
      checker: getAddress(check.checker),
      seed,
      answersHash: answersHash(messages),
    },
    signature,
  );
  if (signer === null || signer !== getAddress(check.key)) {
    return {
      code: ReasonCode.BAD_ANSWER_SIGNATURE,
      message:
        signer === null
          ? "the run signature is not a valid low-s 65-byte signature"
          : `the run transcript is signed by ${signer}, not the answer key ${check.key}`,
    };
  }
  return null;
}

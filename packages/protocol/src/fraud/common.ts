import type { Address } from "viem";
import type { AnswerDomain } from "./answerSigning.ts";

/**
 * Why a fraud proof is not a proof. Stable strings, like the challenges'
 * ReasonCode: they go into logs, metrics labels and the docs. A verifier
 * reports the first rule (in the order of docs/protocol/fraud-proofs.md) the
 * proof breaks; an invalid proof never throws.
 */
export const FraudReasonCode = {
  /** A field of the wrong shape: not hex, wrong length, a signature that is not bytes, an undecodable message. */
  MALFORMED_PROOF: "MALFORMED_PROOF",
  /** i or j not below n, n outside [1, 8192] (the contract's bound), a VRAM step not below the walk length. */
  OUT_OF_RANGE: "OUT_OF_RANGE",
  /** The signature is not a valid low-s 65-byte signature by the answer key over the proof's fields. */
  WRONG_SIGNATURE: "WRONG_SIGNATURE",
  /** The chunk path is longer than a row's tree is deep (⌈log2 ⌈n/8⌉⌉). */
  BAD_CHUNK_PATH: "BAD_CHUNK_PATH",
  /** The row path is longer than the commitment tree is deep (⌈log2 n⌉). */
  BAD_ROW_PATH: "BAD_ROW_PATH",
  /** The chunk leaf, through both paths and the row leaf of row i, does not give the signed root. */
  ROOT_MISMATCH: "ROOT_MISMATCH",
  /** The committed entry equals the recomputed one: the provider was right. */
  HONEST_ENTRY: "HONEST_ENTRY",
  /** The signed messages hold no VramRequest answered by a VramResponse. */
  NO_VRAM_EXCHANGE: "NO_VRAM_EXCHANGE",
  /** The signed digest at the step equals the recomputed one. */
  HONEST_DIGEST: "HONEST_DIGEST",
} as const;
export type FraudReasonCode = (typeof FraudReasonCode)[keyof typeof FraudReasonCode];

/** An invalid proof: the first rule it breaks. */
export interface FraudRejection {
  valid: false;
  reason: FraudReasonCode;
  message: string;
}

/** What the verifiers return: a valid proof with what it proves, or the reason it is none. */
export type FraudVerdict<Proven> = ({ valid: true; signer: Address } & Proven) | FraudRejection;

export function reject(reason: FraudReasonCode, message: string): FraudRejection {
  return { valid: false, reason, message };
}

/** Whose signature counts: the provider's answer key active in the proof's epoch, under the registry's domain. */
export interface FraudProofContext {
  answerKey: Address;
  domain: AnswerDomain;
}

import { GossipActionError } from "./gossipValidation.ts";

export const AttestationErrorCode = {
  /** Larger than the SignedAttestation codec's limit. */
  OVERSIZED: "ATTESTATION_ERROR_OVERSIZED",
  /** Not a canonical SignedAttestation encoding. */
  INVALID_ENCODING: "ATTESTATION_ERROR_INVALID_ENCODING",
  /** Epoch beyond the current one (plus clock disparity): IGNORE one epoch ahead, REJECT further (far-epoch spam). */
  FUTURE_EPOCH: "ATTESTATION_ERROR_FUTURE_EPOCH",
  /** Epoch older than the acceptance window: IGNORE one epoch behind it, REJECT further (far-epoch spam). */
  STALE_EPOCH: "ATTESTATION_ERROR_STALE_EPOCH",
  /** The exact same attestation was already seen. */
  ALREADY_KNOWN: "ATTESTATION_ERROR_ALREADY_KNOWN",
  /** The checker already has a different, valid attestation for this (epoch, provider). */
  CONFLICTING: "ATTESTATION_ERROR_CONFLICTING",
  /** The checker address has no registered BLS key. */
  UNKNOWN_CHECKER: "ATTESTATION_ERROR_UNKNOWN_CHECKER",
  /** The checker holds no delegated licenses, so no committee seats. */
  NO_LICENSES: "ATTESTATION_ERROR_NO_LICENSES",
  /** The provider is not registered. */
  UNKNOWN_PROVIDER: "ATTESTATION_ERROR_UNKNOWN_PROVIDER",
  /** The epoch seed is not known yet (chain behind). */
  UNKNOWN_EPOCH_SEED: "ATTESTATION_ERROR_UNKNOWN_EPOCH_SEED",
  /** The epoch's license snapshot could not be read (chain unreachable). */
  UNKNOWN_EPOCH_SNAPSHOT: "ATTESTATION_ERROR_UNKNOWN_EPOCH_SNAPSHOT",
  /** The VRF proof does not verify under the checker's key. */
  INVALID_SORTITION_PROOF: "ATTESTATION_ERROR_INVALID_SORTITION_PROOF",
  /** The VRF ticket gives the checker no seat on this provider's committee. */
  NOT_IN_COMMITTEE: "ATTESTATION_ERROR_NOT_IN_COMMITTEE",
  /** The BLS signature over the attestation signing root does not verify. */
  INVALID_SIGNATURE: "ATTESTATION_ERROR_INVALID_SIGNATURE",
  /** The sending peer or its IP is over its validation budget: IGNOREd before any BLS check. */
  OVER_BUDGET: "ATTESTATION_ERROR_OVER_BUDGET",
  /** A co-sign request carries an attestation of another epoch than its report's. */
  WRONG_EPOCH: "ATTESTATION_ERROR_WRONG_EPOCH",
} as const;
export type AttestationErrorCode = (typeof AttestationErrorCode)[keyof typeof AttestationErrorCode];

export type AttestationErrorType =
  | { code: typeof AttestationErrorCode.OVERSIZED; size: number; maxBytes: number }
  | { code: typeof AttestationErrorCode.INVALID_ENCODING; reason: string }
  | { code: typeof AttestationErrorCode.FUTURE_EPOCH; epoch: bigint; currentEpoch: bigint }
  | { code: typeof AttestationErrorCode.STALE_EPOCH; epoch: bigint; currentEpoch: bigint }
  | { code: typeof AttestationErrorCode.ALREADY_KNOWN; epoch: bigint; provider: string; checker: string }
  | { code: typeof AttestationErrorCode.CONFLICTING; epoch: bigint; provider: string; checker: string }
  | { code: typeof AttestationErrorCode.UNKNOWN_CHECKER; checker: string }
  | { code: typeof AttestationErrorCode.NO_LICENSES; checker: string }
  | { code: typeof AttestationErrorCode.UNKNOWN_PROVIDER; provider: string }
  | { code: typeof AttestationErrorCode.UNKNOWN_EPOCH_SEED; epoch: bigint }
  | { code: typeof AttestationErrorCode.UNKNOWN_EPOCH_SNAPSHOT; epoch: bigint }
  | { code: typeof AttestationErrorCode.INVALID_SORTITION_PROOF; checker: string; epoch: bigint }
  | { code: typeof AttestationErrorCode.NOT_IN_COMMITTEE; checker: string; provider: string; epoch: bigint }
  | { code: typeof AttestationErrorCode.INVALID_SIGNATURE; checker: string }
  | { code: typeof AttestationErrorCode.OVER_BUDGET; epoch: bigint }
  | { code: typeof AttestationErrorCode.WRONG_EPOCH; epoch: bigint; expectedEpoch: bigint };

/**
 * Rules decided from the message alone (GossipActionError.decidedFromMessage): its size, its encoding
 * and its epoch against this node's clock, rules 1-2 of docs/protocol/gossip-validation.md.
 */
const DECIDED_FROM_MESSAGE: ReadonlySet<AttestationErrorCode> = new Set([
  AttestationErrorCode.OVERSIZED,
  AttestationErrorCode.INVALID_ENCODING,
  AttestationErrorCode.FUTURE_EPOCH,
  AttestationErrorCode.STALE_EPOCH,
]);

export class AttestationError extends GossipActionError<AttestationErrorType> {
  override name = "AttestationError";

  override get decidedFromMessage(): boolean {
    return DECIDED_FROM_MESSAGE.has(this.type.code);
  }
}

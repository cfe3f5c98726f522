import type { Address } from "viem";
import { CheckerError } from "../errors.ts";

export const SlashingProtectionErrorCode = {
  /** A different attestation was already signed for this (epoch, provider). */
  CONFLICTING_ATTESTATION: "SLASHING_PROTECTION_CONFLICTING_ATTESTATION",
} as const;
export type SlashingProtectionErrorCode =
  (typeof SlashingProtectionErrorCode)[keyof typeof SlashingProtectionErrorCode];

/** Refusal to sign: signing would make the operator slashable. */
export class SlashingProtectionError extends CheckerError {
  override name = "SlashingProtectionError";
  readonly code: SlashingProtectionErrorCode;
  readonly details: { epoch: bigint; provider: Address; signedRoot: string; requestedRoot: string };

  constructor(details: SlashingProtectionError["details"]) {
    super(
      `refusing to sign a second, different attestation for epoch ${details.epoch} and provider ${details.provider} [${SlashingProtectionErrorCode.CONFLICTING_ATTESTATION}]`,
    );
    this.code = SlashingProtectionErrorCode.CONFLICTING_ATTESTATION;
    this.details = details;
  }
}

/** A stored record that does not decode: the database was damaged or written by something else. */
export class CorruptRecordError extends CheckerError {
  override name = "CorruptRecordError";
  constructor(where: string, key: string, reason: string) {
    super(`corrupt ${where} record ${key}: ${reason}`);
  }
}

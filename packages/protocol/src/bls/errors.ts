import { ProtocolError } from "../errors.ts";

/**
 * Why a BLS operation refused its input. Verification never throws (it
 * answers false); these errors come from signing, aggregation and the
 * encoding helpers, where a bad input is the caller's bug or a bad peer's
 * bytes that must be named.
 */
export const BlsErrorCode = {
  INVALID_SECRET_KEY: "BLS_ERROR_INVALID_SECRET_KEY",
  INVALID_PUBLIC_KEY: "BLS_ERROR_INVALID_PUBLIC_KEY",
  INVALID_SIGNATURE: "BLS_ERROR_INVALID_SIGNATURE",
  INVALID_POINT_ENCODING: "BLS_ERROR_INVALID_POINT_ENCODING",
  INVALID_KEY_MATERIAL: "BLS_ERROR_INVALID_KEY_MATERIAL",
  EMPTY_INPUT: "BLS_ERROR_EMPTY_INPUT",
  INVALID_ADDRESS: "BLS_ERROR_INVALID_ADDRESS",
  BACKEND_UNAVAILABLE: "BLS_ERROR_BACKEND_UNAVAILABLE",
} as const;
export type BlsErrorCode = (typeof BlsErrorCode)[keyof typeof BlsErrorCode];

export class BlsError extends ProtocolError<BlsErrorCode> {
  override name = "BlsError";
}

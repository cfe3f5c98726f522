/**
 * One base error for the protocol package, in viem's manner: a short message
 * for humans, a stable string `code` for metrics labels and tests, and
 * structured `details` for logs.
 */
export class ProtocolError<Code extends string = string> extends Error {
  override name = "ProtocolError";
  readonly code: Code;
  readonly details: Record<string, unknown>;

  constructor(code: Code, shortMessage: string, details: Record<string, unknown> = {}) {
    super(`${shortMessage} [${code}]`);
    this.code = code;
    this.details = details;
  }
}

/** Why a byte string was refused by a decoder. String values go into metric labels. */
export const DecodeErrorCode = {
  OVERSIZED: "DECODE_ERROR_OVERSIZED",
  MALFORMED: "DECODE_ERROR_MALFORMED",
  NON_CANONICAL: "DECODE_ERROR_NON_CANONICAL",
  OUT_OF_RANGE: "DECODE_ERROR_OUT_OF_RANGE",
} as const;
export type DecodeErrorCode = (typeof DecodeErrorCode)[keyof typeof DecodeErrorCode];

export class DecodeError extends ProtocolError<DecodeErrorCode> {
  override name = "DecodeError";
}

import { ProtocolError } from "@checkernet/protocol/errors";

/**
 * Why a frame could not be read or written, for both readers (frameReader.ts
 * on the checker's side of every exchange, frameStream.ts in the provider's
 * challenge server). String values go into metric labels, `wireErrors` of a
 * challenge run and the provider's serve stats.
 */
export const WireErrorCode = {
  /** No complete frame before the deadline (hang or trickle), or the peer did not drain a write in time. */
  TIMEOUT: "FRAME_ERROR_TIMEOUT",
  /** The declared length is above what the frame expected next may carry. */
  OVERSIZED: "FRAME_ERROR_OVERSIZED",
  /** FrameReader: a length prefix longer than 5 bytes, a zero length, or an unexpected type byte. */
  MALFORMED: "FRAME_ERROR_MALFORMED",
  /** FrameStream: the length prefix is not a minimal unsigned varint. */
  BAD_LENGTH: "FRAME_ERROR_BAD_LENGTH",
  /** FrameReader: the stream ended (cleanly or not) before a complete frame. */
  CLOSED: "FRAME_ERROR_CLOSED",
  /** FrameStream: the stream ended inside a frame (a clean end between frames is not an error there). */
  TRUNCATED: "FRAME_ERROR_TRUNCATED",
  /** The peer answered with an ERROR frame; `details.reason` is its text. */
  REMOTE_ERROR: "FRAME_ERROR_REMOTE_ERROR",
} as const;
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

/**
 * The base of every error this package throws: a stable `code`, also at the
 * end of the message, so callers branch on the code, not on the text.
 */
export class WirePackageError<Code extends string = string> extends ProtocolError<Code> {
  override name = "WirePackageError";
}

export class WireError extends WirePackageError<WireErrorCode> {
  override name = "WireError";
}

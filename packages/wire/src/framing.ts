/**
 * The one frame format of every checkernet stream protocol (challenge,
 * evidence, reports, co-sign, re-check; packages/checker/src/challenges/PROTOCOL.md):
 *
 *   frame = uvarint(length) ‖ type (1 byte) ‖ body (length − 1 bytes)
 *
 * The reader always knows which message types it expects next and their
 * largest encoding, so a frame's declared length is checked before a single
 * body byte is buffered.
 */
export const CHALLENGE_PROTOCOL = "/checkernet/challenge/1.1.0";
/**
 * The challenge protocol before ADMIT named the provider (review4 L3): a checker still offers it after
 * CHALLENGE_PROTOCOL so that a provider not yet upgraded is still checked, and a provider still serves it
 * to checkers not yet upgraded (PROTOCOL.md "Versions"). To be dropped once both sides have moved.
 */
export const CHALLENGE_PROTOCOL_1_0 = "/checkernet/challenge/1.0.0";

/** Message type bytes. */
export const FrameType = {
  PING: 0x01,
  PONG: 0x02,
  MATMUL_REQUEST: 0x10,
  MATMUL_COMMIT: 0x11,
  MATMUL_OPEN: 0x12,
  MATMUL_ROWS: 0x13,
  VRAM_QUERY: 0x20,
  VRAM_ANSWER: 0x21,
  /** After the workload's last answer, on its stream: checker → provider runSignRequestCodec (protocol run-signature.ts). */
  RUN_SIGN: 0x22,
  /** provider → checker: the 65-byte RunTranscript signature. */
  RUN_SIGNATURE: 0x23,
  /**
   * Before a timed request, on its stream: checker → provider, body the type byte of the request that
   * follows (MATMUL_REQUEST or VRAM_QUERY) and the registry address of the provider the run is for. The
   * provider refuses a run for another address, and queues the stream for its device (admission.ts).
   */
  ADMIT: 0x24,
  /** provider → checker: the device is this stream's until the timed answer; body uint32 BE ms queued. */
  ADMITTED: 0x25,
  /** `/checkernet/evidence/1.0.0` (evidence.ts). */
  EVIDENCE_REQUEST: 0x30,
  EVIDENCE_RESPONSE: 0x31,
  /** The answer for an attestation signed without a run (no transcript): the attestation and why (evidence.ts). */
  EVIDENCE_NO_RUN: 0x32,
  /** A refusal (unsupported kind, busy, not found): body is a UTF-8 reason of at most 256 bytes. */
  ERROR: 0x7f,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const FRAMING_LIMITS = {
  /** A uvarint of 5 bytes encodes up to 2^35: more than any frame may declare. Longer prefixes are refused. */
  maxLengthBytes: 5,
  /** ERROR frame bodies. */
  maxErrorBytes: 256,
} as const;

export interface Frame {
  type: FrameType;
  body: Uint8Array;
}

/** Unsigned LEB128, as multiformats' unsigned-varint and it-length-prefixed. */
export function encodeVarint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

export function varintLength(value: number): number {
  return encodeVarint(value).length;
}

/** `payload` with its length prefix: the frame of a payload that already starts with its type byte. */
export function lengthPrefixed(payload: Uint8Array): Uint8Array {
  const prefix = encodeVarint(payload.length);
  const out = new Uint8Array(prefix.length + payload.length);
  out.set(prefix, 0);
  out.set(payload, prefix.length);
  return out;
}

/** The payload of a frame: its type byte, then the body. */
export function typedPayload(type: FrameType, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = type;
  out.set(body, 1);
  return out;
}

export function encodeFrame(type: FrameType, body: Uint8Array): Uint8Array {
  return lengthPrefixed(typedPayload(type, body));
}

/** An ERROR frame's body: `text` cut to the limit on a character boundary. */
export function errorBody(text: string): Uint8Array {
  const utf8 = new TextEncoder();
  let cut = text;
  while (utf8.encode(cut).length > FRAMING_LIMITS.maxErrorBytes) cut = cut.slice(0, -1);
  return utf8.encode(cut);
}

import { type Ping, pingCodec } from "@checkernet/protocol/challenges/latency";
import { type MatmulRequest, matmulRequestCodec } from "@checkernet/protocol/challenges/matmul";
import { type VramRequest, vramRequestCodec } from "@checkernet/protocol/challenges/vram";
import { ProtocolError } from "@checkernet/protocol/errors";

/**
 * The challenge protocol as the provider serves it. Framing and type bytes
 * follow the checker's client (packages/checker/src/challenges/framing.ts and
 * PROTOCOL.md): `frame = uvarint(length) ‖ type (1 byte) ‖ body`, where the
 * body is the protocol package's ABI codec of the message.
 */
export const CHALLENGE_PROTOCOL = "/checkernet/challenge/1.0.0";

export const WireType = {
  PING: 0x01,
  PONG: 0x02,
  MATMUL_REQUEST: 0x10,
  MATMUL_COMMIT: 0x11,
  MATMUL_OPEN: 0x12,
  MATMUL_ROWS: 0x13,
  VRAM_QUERY: 0x20,
  VRAM_ANSWER: 0x21,
  /** Refusal: body is a UTF-8 reason of at most 256 bytes. */
  ERROR: 0x7f,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

/** Longest ERROR body the checker accepts. */
export const MAX_ERROR_BODY_BYTES = 256;

/** Why the server ended an exchange. String values go into logs and metric labels. */
export const ServeErrorCode = {
  /** A frame with a type byte that is not a request, or not the one expected at this point of the exchange. */
  UNEXPECTED_TYPE: "SERVE_ERROR_UNEXPECTED_TYPE",
  /** A frame with no type byte. */
  EMPTY_FRAME: "SERVE_ERROR_EMPTY_FRAME",
  /** The body did not decode (codec's DecodeError is the cause). */
  BAD_MESSAGE: "SERVE_ERROR_BAD_MESSAGE",
  /** The request is valid but above what this provider serves (size, count, memory). */
  LIMIT: "SERVE_ERROR_LIMIT",
  /** Every compute slot is taken. */
  BUSY: "SERVE_ERROR_BUSY",
  /** The VRAM dataset asked for is not the one resident. */
  NOT_RESIDENT: "SERVE_ERROR_NOT_RESIDENT",
  INTERNAL: "SERVE_ERROR_INTERNAL",
} as const;
export type ServeErrorCode = (typeof ServeErrorCode)[keyof typeof ServeErrorCode];

export class ServeError extends ProtocolError<ServeErrorCode> {
  override name = "ServeError";
}

/** The first frame of a stream decides the exchange. */
export type Request =
  | { type: typeof WireType.PING; ping: Ping }
  | { type: typeof WireType.MATMUL_REQUEST; matmul: MatmulRequest }
  | { type: typeof WireType.VRAM_QUERY; vram: VramRequest };

export function decodeRequest(frame: Uint8Array): Request {
  const type = typeByte(frame);
  const body = frame.subarray(1);
  switch (type) {
    case WireType.PING:
      return { type, ping: decodeBody(() => pingCodec.decode(body)) };
    case WireType.MATMUL_REQUEST:
      return { type, matmul: decodeBody(() => matmulRequestCodec.decode(body)) };
    case WireType.VRAM_QUERY:
      return { type, vram: decodeBody(() => vramRequestCodec.decode(body)) };
    default:
      throw new ServeError(
        ServeErrorCode.UNEXPECTED_TYPE,
        `0x${type.toString(16)} does not start an exchange`,
        { type },
      );
  }
}

/** Checks a follow-up frame has the one type the exchange expects and returns its body. */
export function expectType(frame: Uint8Array, expected: WireType): Uint8Array {
  const type = typeByte(frame);
  if (type !== expected) {
    throw new ServeError(
      ServeErrorCode.UNEXPECTED_TYPE,
      `expected type 0x${expected.toString(16)}, got 0x${type.toString(16)}`,
      {
        type,
        expected,
      },
    );
  }
  return frame.subarray(1);
}

/** Runs a codec's decode and wraps its DecodeError as a BAD_MESSAGE, keeping the codec's code in the details. */
export function decodeBody<T>(decode: () => T): T {
  try {
    return decode();
  } catch (cause) {
    const err = cause as ProtocolError;
    throw new ServeError(ServeErrorCode.BAD_MESSAGE, err.message, { cause: err.code ?? err.name });
  }
}

export function encodeAnswer(type: WireType, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = type;
  out.set(body, 1);
  return out;
}

/** An ERROR frame payload: `code: message`, cut to the checker's limit on a character boundary. */
export function encodeError(code: string, message: string): Uint8Array {
  const utf8 = new TextEncoder();
  let text = `${code}: ${message}`;
  while (utf8.encode(text).length > MAX_ERROR_BODY_BYTES) text = text.slice(0, -1);
  return encodeAnswer(WireType.ERROR, utf8.encode(text));
}

function typeByte(frame: Uint8Array): number {
  if (frame.length === 0) throw new ServeError(ServeErrorCode.EMPTY_FRAME, "frame has no type byte");
  return frame[0] as number;
}

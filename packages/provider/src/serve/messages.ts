import { type Ping, pingCodec } from "@checkernet/protocol/challenges/latency";
import { type MatmulRequest, matmulRequestCodec } from "@checkernet/protocol/challenges/matmul";
import { type VramRequest, vramRequestCodec } from "@checkernet/protocol/challenges/vram";
import type { ProtocolError } from "@checkernet/protocol/errors";
import { type Admit, decodeAdmit, errorBody, FrameType, typedPayload } from "@checkernet/wire";
import { ProviderError } from "../errors.ts";

/*
 * The challenge protocol's messages as the provider serves them. Frames and
 * type bytes are @checkernet/wire's (the checker's client reads the same
 * ones): each payload is a type byte, then the protocol package's ABI codec
 * of the message.
 */

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
  /**
   * ADMIT names another provider's address: a registry entry that names this provider's peer id but is
   * not its own (review4 L3). Refused before the device queue, so that entry's runs end TIMEOUT.
   */
  WRONG_PROVIDER: "SERVE_ERROR_WRONG_PROVIDER",
  INTERNAL: "SERVE_ERROR_INTERNAL",
} as const;
export type ServeErrorCode = (typeof ServeErrorCode)[keyof typeof ServeErrorCode];

export class ServeError extends ProviderError<ServeErrorCode> {
  override name = "ServeError";
}

/** The first frame of a stream decides the exchange. */
export type Request =
  | { type: typeof FrameType.PING; ping: Ping }
  | { type: typeof FrameType.MATMUL_REQUEST; matmul: MatmulRequest }
  | { type: typeof FrameType.VRAM_QUERY; vram: VramRequest }
  /** Asks for the device before a timed request (admission.ts); `admit` names that request and the provider. */
  | { type: typeof FrameType.ADMIT; admit: Admit };

/** Decodes a stream's first frame; `protocol` is the stream's (ADMIT's body depends on it). */
export function decodeRequest(frame: Uint8Array, protocol: string): Request {
  const type = typeByte(frame);
  const body = frame.subarray(1);
  switch (type) {
    case FrameType.PING:
      return { type, ping: decodeBody(() => pingCodec.decode(body)) };
    case FrameType.MATMUL_REQUEST:
      return { type, matmul: decodeBody(() => matmulRequestCodec.decode(body)) };
    case FrameType.VRAM_QUERY:
      return { type, vram: decodeBody(() => vramRequestCodec.decode(body)) };
    case FrameType.ADMIT:
      return { type, admit: decodeBody(() => decodeAdmit(body, protocol)) };
    default:
      throw new ServeError(
        ServeErrorCode.UNEXPECTED_TYPE,
        `0x${type.toString(16)} does not start an exchange`,
        { type },
      );
  }
}

/** Checks a follow-up frame has the one type the exchange expects and returns its body. */
export function expectType(frame: Uint8Array, expected: FrameType): Uint8Array {
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

/** An ERROR frame payload: `code: message`, cut to the checker's limit on a character boundary. */
export function encodeError(code: string, message: string): Uint8Array {
  return typedPayload(FrameType.ERROR, errorBody(`${code}: ${message}`));
}

function typeByte(frame: Uint8Array): number {
  if (frame.length === 0) throw new ServeError(ServeErrorCode.EMPTY_FRAME, "frame has no type byte");
  return frame[0] as number;
}

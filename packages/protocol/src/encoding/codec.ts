import type { AbiParameter, AbiParametersToPrimitiveTypes } from "abitype";
import { bytesToHex, decodeAbiParameters, encodeAbiParameters, type Hex, hexToBytes } from "viem";
import { DecodeError, DecodeErrorCode } from "../errors.ts";

/**
 * A codec turns one message type into canonical bytes and back.
 *
 * Encoding is Solidity's ABI encoding (`abi.encode` of one tuple), so the
 * contracts hash exactly the bytes the TypeScript code produces. Decoding is
 * strict: input above `maxBytes` is refused before any parsing, and the decoded
 * value is re-encoded and compared byte for byte, which refuses trailing
 * garbage, dirty padding and every other non-canonical form in one rule.
 */
export interface Codec<T> {
  readonly name: string;
  readonly maxBytes: number;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

export interface CodecSpec<T, P extends readonly AbiParameter[]> {
  name: string;
  /** Upper bound on the encoded size; decoders refuse anything longer. */
  maxBytes: number;
  abi: P;
  toAbi(value: T): AbiParametersToPrimitiveTypes<P>;
  /** Builds the value from decoded fields; throw a DecodeError (OUT_OF_RANGE) on semantic violations. */
  fromAbi(fields: AbiParametersToPrimitiveTypes<P>): T;
}

export function defineCodec<T, const P extends readonly AbiParameter[]>(spec: CodecSpec<T, P>): Codec<T> {
  const encode = (value: T): Uint8Array =>
    // biome-ignore lint/suspicious/noExplicitAny: viem's generic tuple typing cannot follow P here
    hexToBytes(encodeAbiParameters(spec.abi, spec.toAbi(value) as any));
  return {
    name: spec.name,
    maxBytes: spec.maxBytes,
    encode(value) {
      const bytes = encode(value);
      if (bytes.length > spec.maxBytes) {
        throw new DecodeError(DecodeErrorCode.OVERSIZED, `${spec.name} encodes to more than its limit`, {
          size: bytes.length,
          maxBytes: spec.maxBytes,
        });
      }
      return bytes;
    },
    decode(bytes) {
      if (bytes.length > spec.maxBytes) {
        throw new DecodeError(DecodeErrorCode.OVERSIZED, `${spec.name} is larger than its limit`, {
          size: bytes.length,
          maxBytes: spec.maxBytes,
        });
      }
      let fields: AbiParametersToPrimitiveTypes<P>;
      try {
        fields = decodeAbiParameters(spec.abi, bytesToHex(bytes)) as AbiParametersToPrimitiveTypes<P>;
      } catch (cause) {
        throw new DecodeError(DecodeErrorCode.MALFORMED, `${spec.name} is not valid ABI encoding`, {
          reason: (cause as Error).message.split("\n")[0],
        });
      }
      const value = spec.fromAbi(fields);
      let again: Uint8Array;
      try {
        again = encode(value);
      } catch (cause) {
        throw new DecodeError(
          DecodeErrorCode.MALFORMED,
          `${spec.name} holds values that cannot be re-encoded`,
          {
            reason: (cause as Error).message.split("\n")[0],
          },
        );
      }
      if (!equalBytes(again, bytes)) {
        throw new DecodeError(DecodeErrorCode.NON_CANONICAL, `${spec.name} is not in canonical form`, {
          size: bytes.length,
          canonicalSize: again.length,
        });
      }
      return value;
    },
  };
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Checks a decoded integer field lies in [min, max]; used inside `fromAbi`. */
export function checkRange(
  codec: string,
  field: string,
  value: number | bigint,
  min: number | bigint,
  max: number | bigint,
): void {
  if (value < min || value > max) {
    throw new DecodeError(DecodeErrorCode.OUT_OF_RANGE, `${codec}.${field} is out of range`, {
      field,
      value: String(value),
      min: String(min),
      max: String(max),
    });
  }
}

/** Checks a decoded `bytes` field has an exact length. */
export function checkLength(codec: string, field: string, value: Hex, length: number): void {
  const actual = (value.length - 2) / 2;
  if (actual !== length) {
    throw new DecodeError(DecodeErrorCode.OUT_OF_RANGE, `${codec}.${field} must be ${length} bytes`, {
      field,
      length: actual,
      expected: length,
    });
  }
}

import { hash_to_field } from "@noble/curves/abstract/hash-to-curve.js";
import type { WeierstrassPoint } from "@noble/curves/abstract/weierstrass.js";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import {
  BLS_DST,
  bigIntToBytes,
  bytesToBigInt,
  G1_EIP2537_LENGTH,
  G2_EIP2537_LENGTH,
  PUBLIC_KEY_LENGTH,
  SIGNATURE_LENGTH,
} from "./constants.ts";
import { BlsError, BlsErrorCode } from "./errors.ts";

type Fp2 = { c0: bigint; c1: bigint };

/**
 * EIP-2537 (the Prague BLS12-381 precompiles) takes points uncompressed, each
 * base-field element as 64 big-endian bytes whose top 16 bytes are zero; a G2
 * coordinate c0 + c1*u is c0 then c1; the point at infinity is all zeros.
 * The contracts store and add registered keys in this form, so the off-chain
 * code produces it once at registration.
 */
const FP_LENGTH = 64;
const FP_PAD = 16;
const P = bls12_381.fields.Fp.ORDER;

function writeFp(out: Uint8Array, offset: number, value: bigint): void {
  out.set(bigIntToBytes(value, FP_LENGTH), offset);
}

function readFp(bytes: Uint8Array, offset: number, what: string): bigint {
  for (let i = 0; i < FP_PAD; i++) {
    if (bytes[offset + i] !== 0) {
      throw new BlsError(BlsErrorCode.INVALID_POINT_ENCODING, `${what}: field element has non-zero padding`, {
        offset,
      });
    }
  }
  const value = bytesToBigInt(bytes.subarray(offset, offset + FP_LENGTH));
  if (value >= P) {
    throw new BlsError(BlsErrorCode.INVALID_POINT_ENCODING, `${what}: field element is not below p`, {
      offset,
    });
  }
  return value;
}

function isAllZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

function encodeG1(point: WeierstrassPoint<bigint>): Uint8Array {
  const out = new Uint8Array(G1_EIP2537_LENGTH);
  if (point.is0()) return out;
  const { x, y } = point.toAffine();
  writeFp(out, 0, x);
  writeFp(out, FP_LENGTH, y);
  return out;
}

function encodeG2(point: WeierstrassPoint<Fp2>): Uint8Array {
  const out = new Uint8Array(G2_EIP2537_LENGTH);
  if (point.is0()) return out;
  const { x, y } = point.toAffine();
  writeFp(out, 0, x.c0);
  writeFp(out, FP_LENGTH, x.c1);
  writeFp(out, 2 * FP_LENGTH, y.c0);
  writeFp(out, 3 * FP_LENGTH, y.c1);
  return out;
}

function wrap<T>(code: BlsErrorCode, message: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof BlsError) throw cause;
    throw new BlsError(code, message, { reason: (cause as Error).message });
  }
}

/** 48-byte compressed G1 point (a public key) to its 128-byte EIP-2537 form. */
export function g1ToEip2537(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new BlsError(BlsErrorCode.INVALID_PUBLIC_KEY, "compressed G1 point must be 48 bytes", {
      length: publicKey.length,
    });
  }
  return wrap(BlsErrorCode.INVALID_PUBLIC_KEY, "not a valid compressed G1 point", () =>
    encodeG1(bls12_381.G1.Point.fromBytes(publicKey)),
  );
}

/** 96-byte compressed G2 point (a signature) to its 256-byte EIP-2537 form. */
export function g2ToEip2537(signature: Uint8Array): Uint8Array {
  if (signature.length !== SIGNATURE_LENGTH) {
    throw new BlsError(BlsErrorCode.INVALID_SIGNATURE, "compressed G2 point must be 96 bytes", {
      length: signature.length,
    });
  }
  return wrap(BlsErrorCode.INVALID_SIGNATURE, "not a valid compressed G2 point", () =>
    encodeG2(bls12_381.longSignatures.Signature.fromBytes(signature)),
  );
}

/** The inverse of g1ToEip2537: refuses bad padding, coordinates >= p, off-curve and off-subgroup points. */
export function g1FromEip2537(bytes: Uint8Array): Uint8Array {
  if (bytes.length !== G1_EIP2537_LENGTH) {
    throw new BlsError(BlsErrorCode.INVALID_POINT_ENCODING, "EIP-2537 G1 point must be 128 bytes", {
      length: bytes.length,
    });
  }
  if (isAllZero(bytes)) return bls12_381.G1.Point.ZERO.toBytes(true);
  const x = readFp(bytes, 0, "G1 x");
  const y = readFp(bytes, FP_LENGTH, "G1 y");
  return wrap(BlsErrorCode.INVALID_POINT_ENCODING, "EIP-2537 G1 point is not in the subgroup", () => {
    const point = bls12_381.G1.Point.fromAffine({ x, y });
    point.assertValidity();
    return point.toBytes(true);
  });
}

/** The inverse of g2ToEip2537, with the same checks. */
export function g2FromEip2537(bytes: Uint8Array): Uint8Array {
  if (bytes.length !== G2_EIP2537_LENGTH) {
    throw new BlsError(BlsErrorCode.INVALID_POINT_ENCODING, "EIP-2537 G2 point must be 256 bytes", {
      length: bytes.length,
    });
  }
  if (isAllZero(bytes)) return bls12_381.longSignatures.Signature.toBytes(bls12_381.G2.Point.ZERO);
  const x = { c0: readFp(bytes, 0, "G2 x.c0"), c1: readFp(bytes, FP_LENGTH, "G2 x.c1") };
  const y = { c0: readFp(bytes, 2 * FP_LENGTH, "G2 y.c0"), c1: readFp(bytes, 3 * FP_LENGTH, "G2 y.c1") };
  return wrap(BlsErrorCode.INVALID_POINT_ENCODING, "EIP-2537 G2 point is not in the subgroup", () => {
    const point = bls12_381.G2.Point.fromAffine({ x, y });
    point.assertValidity();
    return bls12_381.longSignatures.Signature.toBytes(point);
  });
}

/**
 * hash_to_curve(message) on G2 with the signing DST, in EIP-2537 form: the
 * point the on-chain verifier must reach from the same message.
 */
export function hashToG2Eip2537(message: Uint8Array): Uint8Array {
  return encodeG2(bls12_381.longSignatures.hash(message, BLS_DST));
}

/**
 * The two Fp2 elements u0, u1 = hash_to_field(message, 2) (RFC 9380,
 * expand_message_xmd with SHA-256 and the signing DST), as 256 bytes
 * u0.c0 | u0.c1 | u1.c0 | u1.c1. A contract maps each with the
 * MAP_FP2_TO_G2 precompile (which clears the cofactor) and adds the results;
 * since cofactor clearing is linear this equals hashToG2Eip2537(message).
 */
export function hashToFieldFp2Eip2537(message: Uint8Array): Uint8Array {
  const [u0, u1] = hash_to_field(message, 2, { ...bls12_381.G2.defaults, DST: BLS_DST }) as [
    bigint[],
    bigint[],
  ];
  const out = new Uint8Array(4 * FP_LENGTH);
  [u0[0]!, u0[1]!, u1[0]!, u1[1]!].forEach((value, i) => {
    writeFp(out, i * FP_LENGTH, value);
  });
  return out;
}

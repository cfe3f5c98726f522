import { BlsError, BlsErrorCode } from "./errors.ts";

/**
 * Ethereum's ciphersuite (consensus specs, draft-irtf-cfrg-bls-signature):
 * minimal-pubkey-size, hash_to_curve G2 with SHA-256 XMD and SSWU, proof of
 * possession scheme. Both backends and the on-chain verifier use this DST.
 */
export const BLS_DST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

export const SECRET_KEY_LENGTH = 32;
/** Compressed G1 point (ZCash serialization, as in Ethereum). */
export const PUBLIC_KEY_LENGTH = 48;
/** Compressed G2 point. */
export const SIGNATURE_LENGTH = 96;
/** EIP-2537 G1 point: two 64-byte big-endian field elements (16 zero bytes + 48). */
export const G1_EIP2537_LENGTH = 128;
/** EIP-2537 G2 point: x.c0, x.c1, y.c0, y.c1, 64 bytes each. */
export const G2_EIP2537_LENGTH = 256;

/** Order r of the BLS12-381 groups; secret keys are scalars in [1, r-1]. */
export const CURVE_ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;

export function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let rest = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/**
 * A secret key is a 32-byte big-endian scalar in [1, r-1] (KeyValidate of the
 * IETF draft). Both backends call this first so that they refuse exactly the
 * same inputs with the same error.
 */
export function checkSecretKey(secretKey: Uint8Array): void {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_LENGTH) {
    throw new BlsError(BlsErrorCode.INVALID_SECRET_KEY, "BLS secret key must be 32 bytes", {
      length: secretKey?.length,
    });
  }
  const scalar = bytesToBigInt(secretKey);
  if (scalar === 0n || scalar >= CURVE_ORDER) {
    throw new BlsError(BlsErrorCode.INVALID_SECRET_KEY, "BLS secret key is outside [1, r-1]");
  }
}

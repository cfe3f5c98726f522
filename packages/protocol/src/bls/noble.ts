import { pippenger } from "@noble/curves/abstract/curve.js";
import type { WeierstrassPoint } from "@noble/curves/abstract/weierstrass.js";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { BlsBackend, SignatureSet } from "./backend.ts";
import { createDecodeCache } from "./cache.ts";
import { BLS_DST, bytesToBigInt, checkSecretKey, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from "./constants.ts";
import { BlsError, BlsErrorCode } from "./errors.ts";

type Fp2 = { c0: bigint; c1: bigint };
type G1Point = WeierstrassPoint<bigint>;
type G2Point = WeierstrassPoint<Fp2>;

const scheme = bls12_381.longSignatures;
const G1 = bls12_381.G1.Point;
const Fp12 = bls12_381.fields.Fp12;

/** Source of random bytes for the batch-verification scalars. */
export type RandomBytes = (length: number) => Uint8Array;

/**
 * Random scalars of 64 bits, as Lodestar and blst use: a forged set slips
 * through a batch with probability 2^-64 per attempt, and short scalars keep
 * the extra point multiplications cheap.
 */
const BATCH_SCALAR_BYTES = 8;

const defaultRandomBytes: RandomBytes = (length) => crypto.getRandomValues(new Uint8Array(length));

/**
 * KeyValidate: a 48-byte compressed G1 point, on the curve, in the prime-order
 * subgroup and not the identity. Throws (the callers catch and answer false).
 */
export const decodePublicKey: (bytes: Uint8Array) => G1Point = createDecodeCache((bytes) => {
  if (bytes.length !== PUBLIC_KEY_LENGTH) throw new Error("public key must be 48 bytes");
  const point = G1.fromBytes(bytes);
  if (point.is0()) throw new Error("public key is the identity");
  return point;
});

/** A 96-byte compressed G2 point in the subgroup; the identity is refused (it never verifies a real key). */
export function decodeSignature(bytes: Uint8Array): G2Point {
  if (bytes.length !== SIGNATURE_LENGTH) throw new Error("signature must be 96 bytes");
  const point = scheme.Signature.fromBytes(bytes);
  if (point.is0()) throw new Error("signature is the identity");
  return point;
}

export function hashToG2(message: Uint8Array): G2Point {
  return scheme.hash(message, BLS_DST);
}

function verifyPoints(publicKey: G1Point, message: Uint8Array, signature: G2Point): boolean {
  return scheme.verify(signature, hashToG2(message), publicKey);
}

export interface NobleBackendOptions {
  /**
   * Randomness for the batch-verification scalars. Defaults to
   * crypto.getRandomValues (a CSPRNG read, not IO). The scalars must be
   * unpredictable to whoever chose the signatures, so tests that pass a
   * deterministic source must not feed it attacker input.
   */
  randomBytes?: RandomBytes;
}

/**
 * The portable backend: @noble/curves, pure JavaScript, always available.
 * About 25x slower than blst; used when the native module does not load.
 */
export function createNobleBackend(options: NobleBackendOptions = {}): BlsBackend {
  const randomBytes = options.randomBytes ?? defaultRandomBytes;

  function randomScalar(): bigint {
    const bytes = randomBytes(BATCH_SCALAR_BYTES);
    if (bytes.length !== BATCH_SCALAR_BYTES) throw new Error("randomBytes returned the wrong length");
    const scalar = bytesToBigInt(bytes);
    // Zero would drop a set from the check entirely.
    return scalar === 0n ? 1n : scalar;
  }

  return {
    name: "noble",

    publicKey(secretKey) {
      checkSecretKey(secretKey);
      return scheme.getPublicKey(secretKey).toBytes(true);
    },

    sign(secretKey, message) {
      checkSecretKey(secretKey);
      return scheme.Signature.toBytes(scheme.sign(hashToG2(message), secretKey));
    },

    verify(publicKey, message, signature) {
      try {
        return verifyPoints(decodePublicKey(publicKey), message, decodeSignature(signature));
      } catch {
        return false;
      }
    },

    aggregateSignatures(signatures) {
      if (signatures.length === 0) {
        throw new BlsError(BlsErrorCode.EMPTY_INPUT, "cannot aggregate an empty list of signatures");
      }
      let sum = bls12_381.G2.Point.ZERO;
      signatures.forEach((bytes, index) => {
        let point: G2Point;
        try {
          point = decodeSignature(bytes);
        } catch (cause) {
          throw new BlsError(BlsErrorCode.INVALID_SIGNATURE, "cannot aggregate an invalid signature", {
            index,
            reason: (cause as Error).message,
          });
        }
        sum = sum.add(point);
      });
      return scheme.Signature.toBytes(sum);
    },

    aggregatePublicKeys(publicKeys) {
      if (publicKeys.length === 0) {
        throw new BlsError(BlsErrorCode.EMPTY_INPUT, "cannot aggregate an empty list of public keys");
      }
      let sum = G1.ZERO;
      publicKeys.forEach((bytes, index) => {
        let point: G1Point;
        try {
          point = decodePublicKey(bytes);
        } catch (cause) {
          throw new BlsError(BlsErrorCode.INVALID_PUBLIC_KEY, "cannot aggregate an invalid public key", {
            index,
            reason: (cause as Error).message,
          });
        }
        sum = sum.add(point);
      });
      return sum.toBytes(true);
    },

    fastAggregateVerify(publicKeys, message, signature) {
      if (publicKeys.length === 0) return false;
      try {
        let sum = G1.ZERO;
        for (const bytes of publicKeys) sum = sum.add(decodePublicKey(bytes));
        // Keys that cancel out (pk and -pk) would make any message "signed" by the identity.
        if (sum.is0()) return false;
        return verifyPoints(sum, message, decodeSignature(signature));
      } catch {
        return false;
      }
    },

    verifyBatch(sets: readonly SignatureSet[]) {
      if (sets.length === 0) return false;
      try {
        if (sets.length === 1) {
          const only = sets[0]!;
          return verifyPoints(decodePublicKey(only.publicKey), only.message, decodeSignature(only.signature));
        }
        // Random linear combination: with r_i random,
        //   e(G1, sum r_i S_i) == prod e(r_i pk_i, H(m_i))
        // holds for all r_i only if every set is valid. Sets that share a
        // message share one hash-to-curve and one Miller loop.
        const signatures: G2Point[] = [];
        const scalars: bigint[] = [];
        const byMessage = new Map<string, { message: Uint8Array; key: G1Point }>();
        for (const set of sets) {
          const publicKey = decodePublicKey(set.publicKey);
          signatures.push(decodeSignature(set.signature));
          const r = randomScalar();
          scalars.push(r);
          const id = bytesToHex(set.message);
          const weighted = publicKey.multiplyUnsafe(r);
          const group = byMessage.get(id);
          if (group === undefined) byMessage.set(id, { message: set.message, key: weighted });
          else group.key = group.key.add(weighted);
        }
        // One multi-scalar multiplication (Pippenger) instead of n separate ones.
        const signatureSum = pippenger(bls12_381.G2.Point, signatures, scalars);
        const pairs: { g1: G1Point; g2: G2Point }[] = [];
        for (const { message, key } of byMessage.values()) pairs.push({ g1: key, g2: hashToG2(message) });
        pairs.push({ g1: G1.BASE.negate(), g2: signatureSum });
        // pairingBatch throws on an identity term; that only happens for crafted
        // (cancelling) inputs or with negligible probability, and fails closed.
        return Fp12.eql(bls12_381.pairingBatch(pairs), Fp12.ONE);
      } catch {
        return false;
      }
    },
  };
}

/** The default noble backend (batch scalars from crypto.getRandomValues). */
export const nobleBackend: BlsBackend = createNobleBackend();

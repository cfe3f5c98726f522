import {
  aggregatePublicKeys,
  aggregateSignatures,
  fastAggregateVerify,
  PublicKey,
  SecretKey,
  Signature,
  verify,
  verifyMultipleAggregateSignatures,
} from "@chainsafe/blst";
import type { BlsBackend, SignatureSet } from "./backend.ts";
import { createDecodeCache } from "./cache.ts";
import { checkSecretKey, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from "./constants.ts";
import { BlsError, BlsErrorCode } from "./errors.ts";

/**
 * KeyValidate: on the curve, in the subgroup, not the identity (blst's
 * `pkValidate`). Lengths are checked here because blst also accepts the
 * 96-byte uncompressed form, which the protocol never uses on the wire.
 */
const decodePublicKey = createDecodeCache((bytes): PublicKey => {
  if (bytes.length !== PUBLIC_KEY_LENGTH) throw new Error("public key must be 48 bytes");
  return PublicKey.fromBytes(bytes, true);
});

/** Subgroup-checked; blst refuses the identity by default (`sigInfcheck`), as the noble backend does. */
function decodeSignature(bytes: Uint8Array): Signature {
  if (bytes.length !== SIGNATURE_LENGTH) throw new Error("signature must be 96 bytes");
  return Signature.fromBytes(bytes, true);
}

/**
 * The native backend: @chainsafe/blst (supranational/blst through N-API), the
 * library Lodestar runs. Importing this module fails where the native binary
 * is missing; `loadBlsBackend` then falls back to noble.
 */
function createBlstBackend(): BlsBackend {
  return {
    name: "blst",

    publicKey(secretKey) {
      checkSecretKey(secretKey);
      return SecretKey.fromBytes(secretKey).toPublicKey().toBytes(true);
    },

    sign(secretKey, message) {
      checkSecretKey(secretKey);
      return SecretKey.fromBytes(secretKey).sign(message).toBytes(true);
    },

    verify(publicKey, message, signature) {
      try {
        // Both points were validated while decoding.
        return verify(message, decodePublicKey(publicKey), decodeSignature(signature), false, false);
      } catch {
        return false;
      }
    },

    aggregateSignatures(signatures) {
      if (signatures.length === 0) {
        throw new BlsError(BlsErrorCode.EMPTY_INPUT, "cannot aggregate an empty list of signatures");
      }
      const points = signatures.map((bytes, index) => {
        try {
          return decodeSignature(bytes);
        } catch (cause) {
          throw new BlsError(BlsErrorCode.INVALID_SIGNATURE, "cannot aggregate an invalid signature", {
            index,
            reason: (cause as Error).message,
          });
        }
      });
      return aggregateSignatures(points, false).toBytes(true);
    },

    aggregatePublicKeys(publicKeys) {
      if (publicKeys.length === 0) {
        throw new BlsError(BlsErrorCode.EMPTY_INPUT, "cannot aggregate an empty list of public keys");
      }
      const points = publicKeys.map((bytes, index) => {
        try {
          return decodePublicKey(bytes);
        } catch (cause) {
          throw new BlsError(BlsErrorCode.INVALID_PUBLIC_KEY, "cannot aggregate an invalid public key", {
            index,
            reason: (cause as Error).message,
          });
        }
      });
      return aggregatePublicKeys(points, false).toBytes(true);
    },

    fastAggregateVerify(publicKeys, message, signature) {
      if (publicKeys.length === 0) return false;
      try {
        // Keys that cancel out (pk and -pk) sum to the identity, which only the
        // identity signature would match; decodeSignature refuses that one.
        return fastAggregateVerify(
          message,
          publicKeys.map(decodePublicKey),
          decodeSignature(signature),
          false,
        );
      } catch {
        return false;
      }
    },

    verifyBatch(sets: readonly SignatureSet[]) {
      if (sets.length === 0) return false;
      try {
        const decoded = sets.map((set) => ({
          msg: set.message,
          pk: decodePublicKey(set.publicKey),
          sig: decodeSignature(set.signature),
        }));
        // blst draws its own 64-bit random scalars for the linear combination.
        return verifyMultipleAggregateSignatures(decoded, false, false);
      } catch {
        return false;
      }
    },
  };
}

export const blstBackend: BlsBackend = createBlstBackend();

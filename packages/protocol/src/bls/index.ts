import type { BlsBackend } from "./backend.ts";
import { BlsError, BlsErrorCode } from "./errors.ts";
import { decodePublicKey, nobleBackend } from "./noble.ts";

export type { BlsBackend, SignatureSet } from "./backend.ts";
export {
  BLS_DST,
  CURVE_ORDER,
  G1_EIP2537_LENGTH,
  G2_EIP2537_LENGTH,
  PUBLIC_KEY_LENGTH,
  SECRET_KEY_LENGTH,
  SIGNATURE_LENGTH,
} from "./constants.ts";
export {
  g1FromEip2537,
  g1ToEip2537,
  g2FromEip2537,
  g2ToEip2537,
  hashToFieldFp2Eip2537,
  hashToG2Eip2537,
} from "./eip2537.ts";
export { BlsError, BlsErrorCode } from "./errors.ts";
export { generateSecretKey, MIN_IKM_LENGTH } from "./keygen.ts";
export { createNobleBackend, type NobleBackendOptions, nobleBackend, type RandomBytes } from "./noble.ts";
export {
  peerBindingMessage,
  popMessage,
  proveKeyPossession,
  signPeerBinding,
  verifyKeyPossession,
  verifyPeerBinding,
} from "./pop.ts";

export type BlsBackendPreference = "noble" | "blst" | "auto";

/**
 * Picks the BLS backend. "auto" takes blst when its native binary loads and
 * noble otherwise; "blst" fails with BACKEND_UNAVAILABLE where it cannot load.
 * The import is dynamic so that a machine without the optional native
 * package still runs everything on noble.
 *
 * @example
 * const bls = await loadBlsBackend("auto");
 * const signature = bls.sign(secretKey, signingRoot);
 */
export async function loadBlsBackend(preference: BlsBackendPreference = "auto"): Promise<BlsBackend> {
  if (preference === "noble") return nobleBackend;
  try {
    const { blstBackend } = await import("./blst.ts");
    return blstBackend;
  } catch (cause) {
    if (preference === "blst") {
      throw new BlsError(BlsErrorCode.BACKEND_UNAVAILABLE, "the native blst backend did not load", {
        reason: (cause as Error).message,
      });
    }
    return nobleBackend;
  }
}

/**
 * KeyValidate of the IETF draft: 48 bytes, a point on G1 in the prime-order
 * subgroup, not the identity. Registration and committee code call this on
 * keys they store.
 */
export function isValidPublicKey(publicKey: Uint8Array): boolean {
  try {
    decodePublicKey(publicKey);
    return true;
  } catch {
    return false;
  }
}

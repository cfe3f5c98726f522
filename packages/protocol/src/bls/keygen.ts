import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bigIntToBytes, bytesToBigInt, CURVE_ORDER, SECRET_KEY_LENGTH } from "./constants.ts";
import { BlsError, BlsErrorCode } from "./errors.ts";

/** KeyGen needs at least 32 bytes of input keying material (IETF draft, EIP-2333). */
export const MIN_IKM_LENGTH = 32;

const KEYGEN_SALT = new TextEncoder().encode("BLS-SIG-KEYGEN-SALT-");
/** L = ceil((3 * ceil(log2(r))) / 16) = 48 bytes, so the reduction mod r is unbiased to 2^-128. */
const KEYGEN_L = 48;

/**
 * KeyGen of draft-irtf-cfrg-bls-signature-05 (section 2.3), which is also
 * EIP-2333's `HKDF_mod_r` and so its `derive_master_SK`: a deterministic map
 * from IKM to a secret key in [1, r-1]. The caller supplies the IKM (from a
 * CSPRNG in `checker init`), keeping this package free of randomness sources.
 *
 * @example
 * const sk = generateSecretKey(crypto.getRandomValues(new Uint8Array(32)));
 */
export function generateSecretKey(ikm: Uint8Array, keyInfo: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (!(ikm instanceof Uint8Array) || ikm.length < MIN_IKM_LENGTH) {
    throw new BlsError(BlsErrorCode.INVALID_KEY_MATERIAL, "key generation needs at least 32 bytes of IKM", {
      length: ikm?.length,
    });
  }
  // IKM || I2OSP(0, 1)
  const ikmZero = new Uint8Array(ikm.length + 1);
  ikmZero.set(ikm);
  // key_info || I2OSP(L, 2)
  const info = new Uint8Array(keyInfo.length + 2);
  info.set(keyInfo);
  info[keyInfo.length + 1] = KEYGEN_L;
  let salt: Uint8Array = KEYGEN_SALT;
  for (;;) {
    salt = sha256(salt);
    const okm = hkdf(sha256, ikmZero, salt, info, KEYGEN_L);
    const scalar = bytesToBigInt(okm) % CURVE_ORDER;
    if (scalar !== 0n) return bigIntToBytes(scalar, SECRET_KEY_LENGTH);
  }
}

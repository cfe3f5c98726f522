import {
  create as createKeystore,
  decrypt as decryptWithLibrary,
  type IKeystore,
  schemaValidationErrors,
} from "@chainsafe/bls-keystore";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { checkSecretKey, PUBLIC_KEY_LENGTH } from "./bls/constants.ts";
import { nobleBackend } from "./bls/noble.ts";
import { ProtocolError } from "./errors.ts";

/**
 * EIP-2335 keystores for the checker operator's BLS key, through
 * @chainsafe/bls-keystore (the implementation Lodestar uses). The password is
 * normalized as the EIP says before the KDF: NFKD, then the C0 (0x00-0x1F),
 * DEL (0x7F) and C1 (0x80-0x9F) control codes are removed, then UTF-8. So
 * "pass\u0007word" opens a keystore made with "password", and the
 * fraktur test password of the EIP equals "testpassword🔑".
 */
export type Eip2335Keystore = IKeystore;

export const KeystoreErrorCode = {
  WRONG_PASSWORD: "KEYSTORE_ERROR_WRONG_PASSWORD",
  MALFORMED: "KEYSTORE_ERROR_MALFORMED",
  INVALID_SECRET_KEY: "KEYSTORE_ERROR_INVALID_SECRET_KEY",
} as const;
export type KeystoreErrorCode = (typeof KeystoreErrorCode)[keyof typeof KeystoreErrorCode];

export class KeystoreError extends ProtocolError<KeystoreErrorCode> {
  override name = "KeystoreError";
}

export type KeystoreKdf = "scrypt" | "pbkdf2";

/**
 * Work factors: scrypt N = 2^18, r = 8, p = 1 and PBKDF2 c = 2^18, the values
 * of the EIP-2335 test vectors and of the staking deposit CLI. About a second
 * to open on a laptop, once per node start.
 */
export const KEYSTORE_DEFAULT_WORK = 262_144;

/**
 * Upper bounds on what a keystore file may ask of the KDF, so a corrupt or
 * hostile file fails with MALFORMED instead of exhausting memory or hanging
 * the node: 16x the default work, dklen in [32, 64] (EIP-2335 uses the two
 * 16-byte halves of a 32-byte key).
 */
const MAX_SCRYPT_N = 1 << 22;
const MAX_SCRYPT_R_TIMES_P = 64;
const MAX_PBKDF2_C = 1 << 22;

export interface EncryptKeystoreOptions {
  kdf?: KeystoreKdf;
  /** EIP-2334 derivation path; "" when the key was not derived from a seed. */
  path?: string;
  description?: string;
  /** scrypt N or PBKDF2 c. Defaults to KEYSTORE_DEFAULT_WORK; tests lower it. */
  work?: number;
}

/** Source of random bytes (salt, IV, UUID). Defaults to crypto.getRandomValues. */
export type KeystoreRandom = (length: number) => Uint8Array;

const defaultRandom: KeystoreRandom = (length) => crypto.getRandomValues(new Uint8Array(length));

function uuidV4(bytes: Uint8Array): string {
  const b = Uint8Array.from(bytes);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = bytesToHex(b);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Encrypts a 32-byte BLS secret key into an EIP-2335 keystore (aes-128-ctr,
 * sha256 checksum) with its public key in `pubkey`.
 *
 * @example
 * const keystore = await encryptKeystore(secretKey, process.env.CHECKER_PASSWORD, { kdf: "scrypt" });
 * await writeFile(file, JSON.stringify(keystore, null, 2));
 */
export async function encryptKeystore(
  secretKey: Uint8Array,
  password: string,
  options: EncryptKeystoreOptions = {},
  random: KeystoreRandom = defaultRandom,
): Promise<Eip2335Keystore> {
  try {
    checkSecretKey(secretKey);
  } catch (cause) {
    throw new KeystoreError(KeystoreErrorCode.INVALID_SECRET_KEY, "cannot store an invalid BLS secret key", {
      reason: (cause as Error).message,
    });
  }
  const work = options.work ?? KEYSTORE_DEFAULT_WORK;
  const salt = bytesToHex(random(32));
  const kdfModule =
    options.kdf === "pbkdf2"
      ? { function: "pbkdf2" as const, params: { dklen: 32, c: work, prf: "hmac-sha256" as const, salt } }
      : { function: "scrypt" as const, params: { dklen: 32, n: work, r: 8, p: 1, salt } };
  const cipherModule = { function: "aes-128-ctr" as const, params: { iv: bytesToHex(random(16)) } };
  const keystore = await createKeystore(
    password,
    secretKey,
    nobleBackend.publicKey(secretKey),
    options.path ?? "",
    options.description ?? null,
    kdfModule,
    { function: "sha256" },
    cipherModule,
  );
  // The library draws the UUID from its own RNG; take it from ours instead.
  return { ...keystore, uuid: uuidV4(random(16)) };
}

function malformed(shortMessage: string, details: Record<string, unknown> = {}): KeystoreError {
  return new KeystoreError(KeystoreErrorCode.MALFORMED, shortMessage, details);
}

function parseKeystore(json: unknown): Eip2335Keystore {
  let value = json;
  if (typeof json === "string") {
    try {
      value = JSON.parse(json);
    } catch (cause) {
      throw malformed("keystore is not valid JSON", { reason: (cause as Error).message });
    }
  }
  const errors = schemaValidationErrors(value);
  if (errors) {
    const first = errors[0];
    throw malformed("keystore does not follow EIP-2335", {
      reason: first ? `${first.instancePath || "/"} ${first.message}` : "schema mismatch",
    });
  }
  const keystore = value as Eip2335Keystore;
  if (keystore.version !== 4) throw malformed("keystore version is not 4", { version: keystore.version });
  const kdf = keystore.crypto.kdf;
  const { dklen } = kdf.params;
  if (!Number.isInteger(dklen) || dklen < 32 || dklen > 64) {
    throw malformed("keystore kdf dklen is outside [32, 64]", { dklen });
  }
  if (kdf.function === "scrypt") {
    const { n, r, p } = kdf.params;
    const powerOfTwo = Number.isInteger(n) && n > 1 && (n & (n - 1)) === 0;
    if (!powerOfTwo || n > MAX_SCRYPT_N || !(r >= 1 && p >= 1 && r * p <= MAX_SCRYPT_R_TIMES_P)) {
      throw malformed("keystore scrypt parameters are out of bounds", { n, r, p });
    }
  } else if (kdf.function === "pbkdf2") {
    const { c, prf } = kdf.params;
    if (!Number.isInteger(c) || c < 1 || c > MAX_PBKDF2_C || prf !== "hmac-sha256") {
      throw malformed("keystore pbkdf2 parameters are out of bounds", { c, prf });
    }
  }
  return keystore;
}

/**
 * Opens an EIP-2335 keystore (object or JSON text) and returns the 32-byte
 * secret key. Throws KeystoreError: WRONG_PASSWORD when the checksum does not
 * match, MALFORMED for anything else wrong with the file, including a secret
 * that is not a BLS key or does not match the stored `pubkey`.
 */
export async function decryptKeystore(json: unknown, password: string): Promise<Uint8Array> {
  const keystore = parseKeystore(json);
  let secret: Uint8Array;
  try {
    secret = await decryptWithLibrary(keystore, password);
  } catch (cause) {
    const reason = (cause as Error).message;
    // The library's only checksum failure; everything else is a broken file.
    if (reason === "Invalid password") {
      throw new KeystoreError(KeystoreErrorCode.WRONG_PASSWORD, "wrong keystore password", {
        uuid: keystore.uuid,
      });
    }
    throw malformed("keystore could not be decrypted", { reason });
  }
  try {
    checkSecretKey(secret);
  } catch (cause) {
    throw malformed("keystore does not hold a BLS secret key", { reason: (cause as Error).message });
  }
  if (keystore.pubkey !== undefined && keystore.pubkey !== "") {
    let stored: Uint8Array;
    try {
      stored = hexToBytes(keystore.pubkey.replace(/^0x/, ""));
    } catch {
      throw malformed("keystore pubkey is not hex");
    }
    const derived = nobleBackend.publicKey(secret);
    if (stored.length !== PUBLIC_KEY_LENGTH || bytesToHex(stored) !== bytesToHex(derived)) {
      throw malformed("keystore pubkey does not match its secret", {
        pubkey: keystore.pubkey,
        derived: bytesToHex(derived),
      });
    }
  }
  return secret;
}

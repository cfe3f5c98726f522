import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PeerId, PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { type Address, bytesToHex, type Hex, hexToBytes, isHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { ProviderError } from "./errors.ts";

/** File in the data directory that holds the provider's keys. */
export const KEY_FILE = "provider-keys.json";

export const KeyFileErrorCode = {
  EXISTS: "KEY_FILE_ERROR_EXISTS",
  MISSING: "KEY_FILE_ERROR_MISSING",
  MALFORMED: "KEY_FILE_ERROR_MALFORMED",
  PASSWORD_REQUIRED: "KEY_FILE_ERROR_PASSWORD_REQUIRED",
  WRONG_PASSWORD: "KEY_FILE_ERROR_WRONG_PASSWORD",
} as const;
export type KeyFileErrorCode = (typeof KeyFileErrorCode)[keyof typeof KeyFileErrorCode];

export class KeyFileError extends ProviderError<KeyFileErrorCode> {
  override name = "KeyFileError";
}

/**
 * The provider's identities: an EVM key that registers, stakes and contests on
 * chain, a separate libp2p peer key whose peer id is registered and which
 * authenticates every challenge stream (a leaked peer key cannot move stake),
 * and an answer key (secp256k1) registered in ProviderRegistry that signs its
 * matmul commitments (docs/protocol/fraud-proofs.md). Key files made before
 * issue 11 have no answer key: such a provider serves unsigned answers.
 */
export interface ProviderKeys {
  evmPrivateKey: Hex;
  address: Address;
  peerKey: PrivateKey;
  peerId: PeerId;
  answerPrivateKey?: Hex;
  answerKey?: Address;
}

interface Secrets {
  evmPrivateKey: Hex;
  peerKey: Hex;
  answerKey?: Hex;
}

/**
 * scrypt parameters of the key file. N = 2^15, r = 8, p = 1 is the EIP-2335
 * keystore's work factor divided by 8: about 0.1 s on a laptop, since the
 * file is opened at every start and on every chain command.
 */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, dkLen: 32 } as const;

interface KeyFileV1 {
  version: 1;
  address: Address;
  peerId: string;
  /** The answer key's address (absent in files made before issue 11). */
  answerKey?: Address;
  /** Present when the secrets are stored in the clear (no password given at init). */
  plain?: Secrets;
  /** Present when the secrets are encrypted: scrypt(password, salt) -> AES-256-GCM over the JSON of `plain`. */
  encrypted?: {
    kdf: "scrypt";
    n: number;
    r: number;
    p: number;
    salt: Hex;
    iv: Hex;
    ciphertext: Hex;
    tag: Hex;
  };
}

/**
 * Creates the data directory and a new key file in it; refuses to overwrite
 * an existing one (losing a staked key is not recoverable).
 *
 * @example
 * const keys = await initProviderKeys("./data", { password: process.env.PROVIDER_PASSWORD });
 * console.log(keys.address, keys.peerId.toString());
 */
export async function initProviderKeys(
  dataDir: string,
  options: { password?: string | undefined } = {},
): Promise<ProviderKeys> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const evmPrivateKey = generatePrivateKey();
  const peerKey = await generateKeyPair("Ed25519");
  const answerPrivateKey = generatePrivateKey();
  const keys: ProviderKeys = {
    evmPrivateKey,
    address: privateKeyToAccount(evmPrivateKey).address,
    peerKey,
    peerId: peerIdFromPrivateKey(peerKey),
    answerPrivateKey,
    answerKey: privateKeyToAccount(answerPrivateKey).address,
  };
  const secrets: Secrets = {
    evmPrivateKey,
    peerKey: bytesToHex(privateKeyToProtobuf(peerKey)),
    answerKey: answerPrivateKey,
  };
  const file: KeyFileV1 = {
    version: 1,
    address: keys.address,
    peerId: keys.peerId.toString(),
    answerKey: keys.answerKey as Address,
  };
  if (options.password === undefined || options.password === "") {
    file.plain = secrets;
  } else {
    const salt = randomBytes(32);
    const iv = randomBytes(12);
    const key = scryptSync(options.password, salt, SCRYPT.dkLen, {
      N: SCRYPT.N,
      r: SCRYPT.r,
      p: SCRYPT.p,
      maxmem: 64 * 1024 * 1024,
    });
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(secrets), "utf8"), cipher.final()]);
    file.encrypted = {
      kdf: "scrypt",
      n: SCRYPT.N,
      r: SCRYPT.r,
      p: SCRYPT.p,
      salt: bytesToHex(salt),
      iv: bytesToHex(iv),
      ciphertext: bytesToHex(ciphertext),
      tag: bytesToHex(cipher.getAuthTag()),
    };
  }
  try {
    await writeFile(join(dataDir, KEY_FILE), `${JSON.stringify(file, null, 2)}\n`, {
      mode: 0o600,
      flag: "wx",
    });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "EEXIST") {
      throw new KeyFileError(
        KeyFileErrorCode.EXISTS,
        `a key file already exists in ${dataDir}; refusing to overwrite it`,
        {
          path: join(dataDir, KEY_FILE),
        },
      );
    }
    throw cause;
  }
  return keys;
}

/** Reads the key file of a data directory, decrypting it with `password` when it is encrypted. */
export async function loadProviderKeys(
  dataDir: string,
  options: { password?: string | undefined } = {},
): Promise<ProviderKeys> {
  const path = join(dataDir, KEY_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") {
      throw new KeyFileError(
        KeyFileErrorCode.MISSING,
        `no key file in ${dataDir}; run \`provider init\` first`,
        { path },
      );
    }
    throw cause;
  }
  const malformed = (why: string): never => {
    throw new KeyFileError(KeyFileErrorCode.MALFORMED, `key file ${path} is malformed: ${why}`, { path });
  };
  let file: KeyFileV1;
  try {
    file = JSON.parse(text) as KeyFileV1;
  } catch {
    return malformed("not JSON");
  }
  if (file === null || typeof file !== "object" || file.version !== 1) malformed("unknown version");
  let secrets: Secrets | undefined = file.plain;
  if (secrets === undefined) {
    const enc = file.encrypted ?? malformed("neither plain nor encrypted secrets");
    if (options.password === undefined || options.password === "") {
      throw new KeyFileError(
        KeyFileErrorCode.PASSWORD_REQUIRED,
        `key file ${path} is encrypted; give its password`,
        { path },
      );
    }
    if (enc.kdf !== "scrypt" || ![enc.salt, enc.iv, enc.ciphertext, enc.tag].every((h) => isHex(h)))
      malformed("bad cipher fields");
    // The work factor is read from the file but capped, so a planted file cannot make us allocate without bound.
    if (!(enc.n <= 2 ** 20 && enc.r <= 16 && enc.p <= 4)) malformed("scrypt parameters out of range");
    const key = scryptSync(options.password, hexToBytes(enc.salt), 32, {
      N: enc.n,
      r: enc.r,
      p: enc.p,
      maxmem: 2 ** 31,
    });
    const decipher = createDecipheriv("aes-256-gcm", key, hexToBytes(enc.iv));
    decipher.setAuthTag(hexToBytes(enc.tag));
    try {
      const plain = Buffer.concat([decipher.update(hexToBytes(enc.ciphertext)), decipher.final()]);
      secrets = JSON.parse(plain.toString("utf8")) as Secrets;
    } catch {
      throw new KeyFileError(KeyFileErrorCode.WRONG_PASSWORD, `wrong password for key file ${path}`, {
        path,
      });
    }
  }
  const s = secrets as Secrets;
  if (!isHex(s.evmPrivateKey) || s.evmPrivateKey.length !== 66 || !isHex(s.peerKey))
    malformed("bad secret encoding");
  if (s.answerKey !== undefined && !(isHex(s.answerKey) && s.answerKey.length === 66))
    malformed("bad answer key encoding");
  let peerKey: PrivateKey;
  try {
    peerKey = privateKeyFromProtobuf(hexToBytes(s.peerKey));
  } catch {
    return malformed("the peer key does not decode");
  }
  const keys: ProviderKeys = {
    evmPrivateKey: s.evmPrivateKey,
    address: privateKeyToAccount(s.evmPrivateKey).address,
    peerKey,
    peerId: peerIdFromPrivateKey(peerKey),
    ...(s.answerKey === undefined
      ? {}
      : { answerPrivateKey: s.answerKey, answerKey: privateKeyToAccount(s.answerKey).address }),
  };
  // The public half is stored in the clear for `status` without a password; it must match the secrets.
  if (keys.address !== file.address || keys.peerId.toString() !== file.peerId)
    malformed("address or peer id does not match the secrets");
  if (keys.answerKey !== file.answerKey) malformed("the answer key does not match the secrets");
  return keys;
}

import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateSecretKey, loadBlsBackend } from "@checkernet/protocol/bls/index";
import {
  decryptKeystore,
  type Eip2335Keystore,
  encryptKeystore,
  KeystoreError,
  KeystoreErrorCode,
} from "@checkernet/protocol/keystore";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { bytesToHex, type Hex } from "viem";
import { CheckerError } from "../errors.ts";

/** Files in the node's data directory. */
const KEY_FILES = {
  /** EIP-2335 keystore of the BLS operator key. */
  keystore: "keystore.json",
  /** libp2p private key, protobuf (as js-libp2p serializes it). */
  peerKey: "peer-key",
} as const;

export const KeysErrorCode = {
  ALREADY_INITIALIZED: "KEYS_ERROR_ALREADY_INITIALIZED",
  NOT_INITIALIZED: "KEYS_ERROR_NOT_INITIALIZED",
  UNREADABLE: "KEYS_ERROR_UNREADABLE",
} as const;
export type KeysErrorCode = (typeof KeysErrorCode)[keyof typeof KeysErrorCode];

export class KeysError extends CheckerError {
  override name = "KeysError";
  readonly code: KeysErrorCode;
  constructor(code: KeysErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface KeyInfo {
  /** BLS public key, 48 bytes compressed, hex. */
  publicKey: Hex;
  /** libp2p peer id (base58btc). */
  peerId: string;
  keystorePath: string;
  peerKeyPath: string;
}

export interface InitKeysOptions {
  dataDir: string;
  password: string;
  /** Overwrite existing keys (never the default: losing a key loses its registration). */
  force?: boolean;
  /** scrypt N; tests lower it. Defaults to the protocol's KEYSTORE_DEFAULT_WORK. */
  kdfWork?: number;
}

function writePrivate(path: string, data: string | Uint8Array): void {
  writeFileSync(path, data, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Creates the BLS operator key (in an EIP-2335 keystore) and the libp2p peer key. */
export async function initKeys(options: InitKeysOptions): Promise<KeyInfo> {
  const keystorePath = join(options.dataDir, KEY_FILES.keystore);
  const peerKeyPath = join(options.dataDir, KEY_FILES.peerKey);
  if (options.force !== true && (existsSync(keystorePath) || existsSync(peerKeyPath))) {
    throw new KeysError(
      KeysErrorCode.ALREADY_INITIALIZED,
      `keys already exist in ${options.dataDir}; refusing to overwrite them (use --force to replace them)`,
    );
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const bls = await loadBlsBackend("auto");
  const secretKey = generateSecretKey(randomBytes(32));
  const keystore = await encryptKeystore(secretKey, options.password, {
    kdf: "scrypt",
    description: "checkernet operator key",
    ...(options.kdfWork === undefined ? {} : { work: options.kdfWork }),
  });
  writePrivate(keystorePath, `${JSON.stringify(keystore, null, 2)}\n`);
  const peerKey = await generateKeyPair("Ed25519");
  writePrivate(peerKeyPath, privateKeyToProtobuf(peerKey));
  return {
    publicKey: bytesToHex(bls.publicKey(secretKey)),
    peerId: peerIdFromPrivateKey(peerKey).toString(),
    keystorePath,
    peerKeyPath,
  };
}

function readKeystoreJson(path: string): unknown {
  if (!existsSync(path)) {
    throw new KeysError(KeysErrorCode.NOT_INITIALIZED, `no keystore at ${path}; run \`checker init\` first`);
  }
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new KeysError(KeysErrorCode.UNREADABLE, `cannot read keystore ${path}: ${(e as Error).message}`);
  }
}

/** The libp2p peer key, created on first use when absent. */
export async function loadOrCreatePeerKey(dataDir: string): Promise<PrivateKey> {
  const path = join(dataDir, KEY_FILES.peerKey);
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const key = await generateKeyPair("Ed25519");
    writePrivate(path, privateKeyToProtobuf(key));
    return key;
  }
  try {
    return privateKeyFromProtobuf(readFileSync(path));
  } catch (e) {
    throw new KeysError(KeysErrorCode.UNREADABLE, `cannot read peer key ${path}: ${(e as Error).message}`);
  }
}

/** Public information, no password needed (the keystore stores its public key). */
export async function showKeys(dataDir: string): Promise<KeyInfo> {
  const keystorePath = join(dataDir, KEY_FILES.keystore);
  const json = readKeystoreJson(keystorePath) as Partial<Eip2335Keystore>;
  if (typeof json.pubkey !== "string" || !/^(0x)?[0-9a-fA-F]{96}$/.test(json.pubkey)) {
    throw new KeysError(KeysErrorCode.UNREADABLE, `keystore ${keystorePath} has no valid pubkey field`);
  }
  const peerKeyPath = join(dataDir, KEY_FILES.peerKey);
  if (!existsSync(peerKeyPath)) {
    throw new KeysError(
      KeysErrorCode.NOT_INITIALIZED,
      `no peer key at ${peerKeyPath}; run \`checker init\` first`,
    );
  }
  const peerKey = await loadOrCreatePeerKey(dataDir);
  return {
    publicKey: `0x${json.pubkey.replace(/^0x/, "").toLowerCase()}` as Hex,
    peerId: peerIdFromPrivateKey(peerKey as never).toString(),
    keystorePath,
    peerKeyPath,
  };
}

/** Decrypts the operator key. Wrong password: KeystoreError WRONG_PASSWORD. */
export async function unlockOperatorKey(dataDir: string, password: string): Promise<Uint8Array> {
  return decryptKeystore(readKeystoreJson(join(dataDir, KEY_FILES.keystore)), password);
}

/**
 * Imports an existing EIP-2335 keystore: it is opened first (so a wrong
 * password or a broken file is refused before anything is written), then
 * copied into the data directory; a peer key is created if there is none.
 */
export async function importKeystore(options: {
  dataDir: string;
  file: string;
  password: string;
  force?: boolean;
}): Promise<KeyInfo> {
  const json = readKeystoreJson(options.file);
  await decryptKeystore(json, options.password);
  const keystorePath = join(options.dataDir, KEY_FILES.keystore);
  if (options.force !== true && existsSync(keystorePath)) {
    throw new KeysError(
      KeysErrorCode.ALREADY_INITIALIZED,
      `a keystore already exists at ${keystorePath}; refusing to overwrite it (use --force)`,
    );
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  writePrivate(keystorePath, `${JSON.stringify(json, null, 2)}\n`);
  await loadOrCreatePeerKey(options.dataDir);
  return showKeys(options.dataDir);
}

export function isWrongPassword(e: unknown): boolean {
  return e instanceof KeystoreError && e.code === KeystoreErrorCode.WRONG_PASSWORD;
}

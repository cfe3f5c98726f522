import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import {
  type Address,
  bytesToHex,
  getAddress,
  type Hex,
  hashTypedData,
  hexToBytes,
  isAddress,
  isHex,
} from "viem";
import { ChallengeError, ChallengeErrorCode, checkInteger } from "../challenges/common.ts";

/**
 * A provider's answer key: a secp256k1 key registered in ProviderRegistry
 * that signs the provider's answers (EIP-712), so a wrong answer is a
 * self-contained fraud proof (docs/protocol/fraud-proofs.md).
 *
 * Signatures are 65 bytes r ‖ s ‖ v with low s (s ≤ n/2) and v ∈ {27, 28},
 * exactly what OpenZeppelin's `ECDSA.recover(bytes32, bytes)` accepts; the
 * recover functions here refuse everything it refuses (other lengths, high s,
 * other v, r or s out of range), so off chain and on chain agree on which
 * signatures count.
 */

/** The EIP-712 domain's variable part: the chain and the ProviderRegistry contract. */
export interface AnswerDomain {
  chainId: bigint | number;
  verifyingContract: Address;
}

export const ANSWER_DOMAIN_NAME = "checkernet";
export const ANSWER_DOMAIN_VERSION = "1";

/** The EIP-712 types, as `hashTypedData` takes them (and as Solidity's type strings spell them). */
export const ANSWER_TYPES = {
  AnswerKey: [
    { name: "provider", type: "address" },
    { name: "answerKey", type: "address" },
  ],
  MatmulCommitment: [
    { name: "epoch", type: "uint64" },
    { name: "provider", type: "address" },
    { name: "checker", type: "address" },
    { name: "seed", type: "bytes32" },
    { name: "classId", type: "uint16" },
    { name: "n", type: "uint32" },
    { name: "root", type: "bytes32" },
  ],
  RunTranscript: [
    { name: "epoch", type: "uint64" },
    { name: "provider", type: "address" },
    { name: "checker", type: "address" },
    { name: "seed", type: "bytes32" },
    { name: "answersHash", type: "bytes32" },
  ],
} as const;

/** `AnswerKey`: signed by the answer key itself when it is registered or rotated (proof of possession). */
export interface AnswerKeyMessage {
  provider: Address;
  answerKey: Address;
}

/** `MatmulCommitment`: signed when the provider commits to C. */
export interface MatmulCommitmentMessage {
  epoch: bigint;
  provider: Address;
  checker: Address;
  /** The matmul seed of the MatmulRequest. */
  seed: Hex;
  /** The claimed GPU class (wire code). */
  classId: number;
  n: number;
  /** The row tree v2 root of the MatmulCommit. */
  root: Hex;
}

/** `RunTranscript`: signed at the end of every run; `answersHash` is {@link answersHash} of the run's messages. */
export interface RunTranscriptMessage {
  epoch: bigint;
  provider: Address;
  checker: Address;
  /** The run seed. */
  seed: Hex;
  answersHash: Hex;
}

function typedDomain(domain: AnswerDomain) {
  if (!isAddress(domain.verifyingContract, { strict: false })) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "verifyingContract must be an address", {
      verifyingContract: domain.verifyingContract,
    });
  }
  return {
    name: ANSWER_DOMAIN_NAME,
    version: ANSWER_DOMAIN_VERSION,
    chainId: BigInt(domain.chainId),
    verifyingContract: domain.verifyingContract,
  };
}

/** The EIP-712 digest of an AnswerKey message. */
export function answerKeyDigest(domain: AnswerDomain, message: AnswerKeyMessage): Hex {
  return hashTypedData({
    domain: typedDomain(domain),
    types: ANSWER_TYPES,
    primaryType: "AnswerKey",
    message,
  });
}

/** The EIP-712 digest of a MatmulCommitment message. */
export function matmulCommitmentDigest(domain: AnswerDomain, message: MatmulCommitmentMessage): Hex {
  checkInteger("classId", message.classId, 0, 0xffff);
  checkInteger("n", message.n, 0, 0xffff_ffff);
  return hashTypedData({
    domain: typedDomain(domain),
    types: ANSWER_TYPES,
    primaryType: "MatmulCommitment",
    message,
  });
}

/** The EIP-712 digest of a RunTranscript message. */
export function runTranscriptDigest(domain: AnswerDomain, message: RunTranscriptMessage): Hex {
  return hashTypedData({
    domain: typedDomain(domain),
    types: ANSWER_TYPES,
    primaryType: "RunTranscript",
    message,
  });
}

const CURVE_N = secp256k1.Point.CURVE().n;
const HALF_N = CURVE_N >> 1n;

function digestBytes(digest: Hex): Uint8Array {
  if (!isHex(digest, { strict: true }) || digest.length !== 66) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "a digest is 32 bytes of hex", { digest });
  }
  return hexToBytes(digest);
}

function privateKeyBytes(privateKey: Hex): Uint8Array {
  if (!isHex(privateKey, { strict: true }) || privateKey.length !== 66) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "a private key is 32 bytes of hex");
  }
  const bytes = hexToBytes(privateKey);
  const k = BigInt(privateKey);
  if (k === 0n || k >= CURVE_N) {
    throw new ChallengeError(
      ChallengeErrorCode.INVALID_ARGUMENT,
      "the private key is not a secp256k1 scalar",
    );
  }
  return bytes;
}

/** The Ethereum address of an uncompressed (65-byte) or compressed (33-byte) public key. */
function addressOfPublicKey(publicKey: Uint8Array): Address {
  const uncompressed =
    publicKey.length === 65 ? publicKey : secp256k1.Point.fromBytes(publicKey).toBytes(false);
  return getAddress(bytesToHex(keccak_256(uncompressed.subarray(1)).subarray(12)));
}

/** The address of an answer key. */
export function answerKeyAddress(privateKey: Hex): Address {
  return addressOfPublicKey(secp256k1.getPublicKey(privateKeyBytes(privateKey), false));
}

/** Signs a 32-byte digest: 65 bytes r ‖ s ‖ v, s ≤ n/2 (RFC 6979 nonces, so deterministic), v ∈ {27, 28}. */
export function signDigest(privateKey: Hex, digest: Hex): Hex {
  const recovered = secp256k1.sign(digestBytes(digest), privateKeyBytes(privateKey), {
    prehash: false,
    lowS: true,
    format: "recovered",
  });
  const out = new Uint8Array(65);
  out.set(recovered.subarray(1, 65), 0);
  out[64] = 27 + (recovered[0] as number);
  return bytesToHex(out);
}

/**
 * The signer of `digest`, or null when the signature is not one
 * OpenZeppelin's ECDSA.recover accepts (not 65 bytes, v ∉ {27, 28}, r or s
 * zero or ≥ n, s > n/2) or recovers no key.
 */
export function recoverDigestSigner(digest: Hex, signature: Hex): Address | null {
  const hash = digestBytes(digest);
  if (typeof signature !== "string" || !isHex(signature, { strict: true }) || signature.length !== 132)
    return null;
  const sig = hexToBytes(signature);
  const v = sig[64] as number;
  if (v !== 27 && v !== 28) return null;
  const r = BigInt(bytesToHex(sig.subarray(0, 32)));
  const s = BigInt(bytesToHex(sig.subarray(32, 64)));
  if (r === 0n || r >= CURVE_N || s === 0n || s > HALF_N) return null;
  const recovered = new Uint8Array(65);
  recovered[0] = v - 27;
  recovered.set(sig.subarray(0, 64), 1);
  try {
    return addressOfPublicKey(secp256k1.recoverPublicKey(recovered, hash, { prehash: false }));
  } catch {
    return null;
  }
}

export function signAnswerKey(privateKey: Hex, domain: AnswerDomain, message: AnswerKeyMessage): Hex {
  return signDigest(privateKey, answerKeyDigest(domain, message));
}

export function signMatmulCommitment(
  privateKey: Hex,
  domain: AnswerDomain,
  message: MatmulCommitmentMessage,
): Hex {
  return signDigest(privateKey, matmulCommitmentDigest(domain, message));
}

export function signRunTranscript(privateKey: Hex, domain: AnswerDomain, message: RunTranscriptMessage): Hex {
  return signDigest(privateKey, runTranscriptDigest(domain, message));
}

/** The address that signed an AnswerKey message (null: no valid signature); valid registration when it equals `answerKey`. */
export function recoverAnswerKeySigner(
  domain: AnswerDomain,
  message: AnswerKeyMessage,
  signature: Hex,
): Address | null {
  return recoverDigestSigner(answerKeyDigest(domain, message), signature);
}

export function recoverMatmulCommitmentSigner(
  domain: AnswerDomain,
  message: MatmulCommitmentMessage,
  signature: Hex,
): Address | null {
  return recoverDigestSigner(matmulCommitmentDigest(domain, message), signature);
}

export function recoverRunTranscriptSigner(
  domain: AnswerDomain,
  message: RunTranscriptMessage,
  signature: Hex,
): Address | null {
  return recoverDigestSigner(runTranscriptDigest(domain, message), signature);
}

/** True when `signature` over the AnswerKey message recovers `message.answerKey` (proof of possession). */
export function verifyAnswerKey(domain: AnswerDomain, message: AnswerKeyMessage, signature: Hex): boolean {
  const signer = recoverAnswerKeySigner(domain, message, signature);
  return signer !== null && signer === getAddress(message.answerKey);
}

/** One message of a run as the provider saw it: its transcript type code and canonical encoding. */
export interface AnswerMessage {
  /** TranscriptMessageType (1 PING … 8 VRAM_RESPONSE). */
  type: number;
  payload: Hex | Uint8Array;
}

/**
 * keccak256(‖ₖ uint8(typeₖ) ‖ uint32be(len(payloadₖ)) ‖ payloadₖ) over the
 * run's messages in order: the questions the provider answered and its
 * answers, so the signature says which answer belongs to which question
 * (ordering in docs/protocol/fraud-proofs.md). The length prefix makes the
 * concatenation unambiguous.
 */
export function answersHash(messages: readonly AnswerMessage[]): Hex {
  const hasher = keccak_256.create();
  const head = new Uint8Array(5);
  const view = new DataView(head.buffer);
  for (const [k, m] of messages.entries()) {
    checkInteger(`messages[${k}].type`, m.type, 0, 255);
    const payload = typeof m.payload === "string" ? hexPayload(m.payload, k) : m.payload;
    head[0] = m.type;
    view.setUint32(1, payload.length, false);
    hasher.update(head).update(payload);
  }
  return bytesToHex(hasher.digest());
}

function hexPayload(payload: Hex, k: number): Uint8Array {
  if (!isHex(payload, { strict: true }) || payload.length % 2 !== 0) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, `messages[${k}].payload is not hex bytes`);
  }
  return hexToBytes(payload);
}

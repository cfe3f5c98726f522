import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Address, Hex } from "viem";

/** The golden vectors packages/protocol generates and both sides read (one source of test vectors). */
const VECTORS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../protocol/test/vectors",
);

interface SignedMessageVector {
  name?: string;
  operator?: Address;
  secretKey: Hex;
  publicKey: Hex;
  publicKeyEip2537: Hex;
  message: Hex;
  messageHashToFieldFp2: Hex;
  messageHashToG2Eip2537: Hex;
  signature: Hex;
  signatureEip2537: Hex;
}

export interface BlsVectors {
  ciphersuite: string;
  tags: Record<string, Hex>;
  single: SignedMessageVector[];
  aggregate: {
    message: Hex;
    messageHashToFieldFp2: Hex;
    messageHashToG2Eip2537: Hex;
    signers: {
      secretKey: Hex;
      publicKey: Hex;
      publicKeyEip2537: Hex;
      signature: Hex;
      signatureEip2537: Hex;
    }[];
    aggregatePublicKeyEip2537: Hex;
    aggregateSignatureEip2537: Hex;
  };
  domain: { chainId: number; verifyingContract: Address; domainSeparator: Hex };
  proofOfPossession: (SignedMessageVector & { operator: Address })[];
  peerBinding: SignedMessageVector & { operator: Address; peerId: Hex };
}

export function readVectors<T>(file: string): T {
  return JSON.parse(readFileSync(path.join(VECTORS_DIR, file), "utf8")) as T;
}

import { randomBytes } from "node:crypto";
import { type BlsBackend, generateSecretKey, loadBlsBackend } from "@checkernet/protocol/bls/index";
import { attestationSigningRoot } from "@checkernet/protocol/encoding/attestation";
import { sortitionMessage } from "@checkernet/protocol/sortition";
import {
  type Attestation,
  ChallengeKind,
  CheckResult,
  type NetworkDomain,
  type SignedAttestation,
} from "@checkernet/protocol/types";
import { type Address, bytesToHex, getAddress, type Hex, keccak256 } from "viem";
import type { CheckerRecord } from "../../src/validation/keyDirectory.ts";

export const DOMAIN: NetworkDomain = {
  chainId: 31_337n,
  verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};

let backend: BlsBackend | undefined;
export async function bls(): Promise<BlsBackend> {
  backend ??= await loadBlsBackend("auto");
  return backend;
}

export interface TestChecker extends CheckerRecord {
  secretKey: Uint8Array;
}

export function randomAddress(): Address {
  return getAddress(bytesToHex(randomBytes(20)));
}

export async function makeChecker(licenses = 1): Promise<TestChecker> {
  const b = await bls();
  const secretKey = generateSecretKey(randomBytes(32));
  return { secretKey, publicKey: b.publicKey(secretKey), address: randomAddress(), licenses };
}

export function seedFor(epoch: bigint): Hex {
  return keccak256(new TextEncoder().encode(`test-seed-${epoch}`));
}

export function makeAttestation(
  checker: Address,
  provider: Address,
  epoch: bigint,
  over: Partial<Attestation> = {},
): Attestation {
  return {
    epoch,
    provider,
    checker,
    kind: ChallengeKind.LATENCY,
    result: CheckResult.PASS,
    latencyP50Us: 1_000,
    latencyP95Us: 2_000,
    throughput: 0n,
    transcriptHash: keccak256(new TextEncoder().encode(`${epoch}-${provider}-${checker}`)),
    ...over,
  };
}

export async function signAttestation(
  checker: TestChecker,
  att: Attestation,
  seed: Hex = seedFor(att.epoch),
  domain: NetworkDomain = DOMAIN,
): Promise<SignedAttestation> {
  const b = await bls();
  return {
    attestation: att,
    signature: bytesToHex(b.sign(checker.secretKey, attestationSigningRoot(att, domain))),
    vrfProof: bytesToHex(b.sign(checker.secretKey, sortitionMessage(att.epoch, seed, domain))),
  };
}

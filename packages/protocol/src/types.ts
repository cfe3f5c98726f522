import type { Address, Hex } from "viem";

export type { Address, Hex };

/** The challenge families of the protocol; the numeric value is the on-wire uint8. */
export const ChallengeKind = {
  LATENCY: 0,
  MATMUL: 1,
  VRAM: 2,
} as const;
export type ChallengeKind = (typeof ChallengeKind)[keyof typeof ChallengeKind];

/** Outcome of one checker's challenge run against one provider in one epoch. */
export const CheckResult = {
  PASS: 0,
  FAIL: 1,
  TIMEOUT: 2,
} as const;
export type CheckResult = (typeof CheckResult)[keyof typeof CheckResult];

/** A committee's verdict on a provider for an epoch. */
export const Verdict = {
  PASS: 0,
  FAIL: 1,
  /** Too few attestations to decide: neither rewarded nor slashed. */
  INCONCLUSIVE: 2,
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/**
 * Binds signatures to one deployment, as EIP-712's domain does: a signature
 * made for one chain or one contract set is worthless on another.
 */
export interface NetworkDomain {
  chainId: bigint;
  /** The epoch-report contract (the contract that verifies report signatures). */
  verifyingContract: Address;
}

/**
 * What one checker signs about one provider in one epoch. Exactly one per
 * (epoch, provider, checker): signing two different ones is slashable, and the
 * node's slashing-protection record prevents it.
 */
export interface Attestation {
  epoch: bigint;
  /** The provider's registry address. */
  provider: Address;
  /** The checker operator's registry address. */
  checker: Address;
  /** The workload the epoch seed assigned (latency pings run in every epoch). */
  kind: ChallengeKind;
  result: CheckResult;
  /** Round-trip times of the nonced pings, microseconds. */
  latencyP50Us: number;
  latencyP95Us: number;
  /** Measured work rate for MATMUL (int8 multiply-accumulates per second); 0 otherwise. */
  throughput: bigint;
  /** keccak256 of the full encoded challenge transcript kept as evidence. */
  transcriptHash: Hex;
}

/** An attestation with its BLS signature and the checker's sortition proof for the epoch. */
export interface SignedAttestation {
  attestation: Attestation;
  /** BLS signature (G2, 96 bytes compressed) over the attestation signing root. */
  signature: Hex;
  /** The checker's VRF proof for the epoch (BLS signature over the sortition message). */
  vrfProof: Hex;
}

/**
 * The header of one epoch report: the only thing that goes on-chain, signed by
 * the report committee with one aggregate BLS signature.
 */
export interface ReportHeader {
  epoch: bigint;
  /** The epoch randomness the committees were drawn from. */
  seed: Hex;
  /** Merkle root (OpenZeppelin StandardMerkleTree) of the per-provider result leaves. */
  resultsRoot: Hex;
  /** Merkle root of the reward leaves. */
  rewardsRoot: Hex;
  /** Sum of all reward leaves, so the contract can check it against the epoch budget. */
  totalRewards: bigint;
  providerCount: number;
  attestationCount: number;
}

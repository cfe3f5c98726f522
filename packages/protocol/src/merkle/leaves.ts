import type { Address } from "viem";
import type { Verdict } from "../types.ts";

/**
 * Leaf layouts of the two per-epoch Merkle trees. Trees are OpenZeppelin
 * StandardMerkleTree (double-hashed, sorted pairs), so the contracts verify
 * proofs with OpenZeppelin's MerkleProof and
 * `keccak256(bytes.concat(keccak256(abi.encode(...leaf))))`.
 */

/** StandardMerkleTree types of a result leaf, in this order. */
export const RESULT_LEAF_TYPES = [
  "address", // provider
  "uint8", // verdict (Verdict)
  "uint32", // score in basis points of a perfect provider
  "uint32", // median p50 latency reported by the committee, microseconds
  "uint16", // attestations counted
  "uint16", // failing attestations counted
  "uint256", // slash amount proposed (0 unless verdict is FAIL)
  "address[]", // checkers whose attestations said FAIL (penalized if a contest overturns the slash)
] as const;

export interface ResultLeaf {
  provider: Address;
  verdict: Verdict;
  scoreBps: number;
  medianLatencyUs: number;
  attestations: number;
  failures: number;
  slashAmount: bigint;
  accusers: Address[];
}

export function resultLeafValues(
  leaf: ResultLeaf,
): [Address, number, number, number, number, number, bigint, Address[]] {
  return [
    leaf.provider,
    leaf.verdict,
    leaf.scoreBps,
    leaf.medianLatencyUs,
    leaf.attestations,
    leaf.failures,
    leaf.slashAmount,
    leaf.accusers,
  ];
}

/** Who a reward leaf pays. */
export const Beneficiary = {
  /** id = uint256(uint160(provider address)); paid to that address. */
  PROVIDER: 0,
  /** id = license token id; paid to the license's owner at claim time. */
  LICENSE: 1,
} as const;
export type Beneficiary = (typeof Beneficiary)[keyof typeof Beneficiary];

/** StandardMerkleTree types of a reward leaf: (beneficiary kind, id, amount). One root per epoch. */
export const REWARD_LEAF_TYPES = ["uint8", "uint256", "uint256"] as const;

export interface RewardLeaf {
  beneficiary: Beneficiary;
  id: bigint;
  amount: bigint;
}

export function rewardLeafValues(leaf: RewardLeaf): [number, bigint, bigint] {
  return [leaf.beneficiary, leaf.id, leaf.amount];
}

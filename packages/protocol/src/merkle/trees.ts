import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import {
  type Address,
  encodeAbiParameters,
  getAddress,
  type Hex,
  isAddress,
  keccak256,
  zeroHash,
} from "viem";
import { ProtocolError } from "../errors.ts";
import type { Verdict } from "../types.ts";
import {
  type Beneficiary,
  RESULT_LEAF_TYPES,
  REWARD_LEAF_TYPES,
  type ResultLeaf,
  type RewardLeaf,
  resultLeafValues,
  rewardLeafValues,
} from "./leaves.ts";

/**
 * The two per-epoch trees, OpenZeppelin StandardMerkleTree over the layouts
 * of leaves.ts: leaf = keccak256(bytes.concat(keccak256(abi.encode(values)))),
 * nodes hash their sorted pair, leaves are sorted by hash, so a tree's root
 * depends on the set of leaves, not their order. The contracts verify proofs
 * with OpenZeppelin's MerkleProof.verify.
 */

export const MerkleErrorCode = {
  EMPTY_TREE: "MERKLE_ERROR_EMPTY_TREE",
  LEAF_NOT_FOUND: "MERKLE_ERROR_LEAF_NOT_FOUND",
  DUPLICATE_LEAF: "MERKLE_ERROR_DUPLICATE_LEAF",
  INVALID_LEAF: "MERKLE_ERROR_INVALID_LEAF",
} as const;
export type MerkleErrorCode = (typeof MerkleErrorCode)[keyof typeof MerkleErrorCode];

export class MerkleError extends ProtocolError<MerkleErrorCode> {
  override name = "MerkleError";
}

export type ResultLeafValues = ReturnType<typeof resultLeafValues>;
export type RewardLeafValues = ReturnType<typeof rewardLeafValues>;
export type ResultsTree = StandardMerkleTree<ResultLeafValues>;
export type RewardsTree = StandardMerkleTree<RewardLeafValues>;

/**
 * The root a report carries for an epoch with no leaves. No proof verifies
 * against it (a leaf hash is never zero), so nothing can be claimed.
 */
export const EMPTY_ROOT: Hex = zeroHash;

const resultTypes = [...RESULT_LEAF_TYPES];
const rewardTypes = [...REWARD_LEAF_TYPES];
const resultAbi = RESULT_LEAF_TYPES.map((type) => ({ type }));
const rewardAbi = REWARD_LEAF_TYPES.map((type) => ({ type }));

function wrap<T>(code: MerkleErrorCode, message: string, details: Record<string, unknown>, f: () => T): T {
  try {
    return f();
  } catch (cause) {
    if (cause instanceof ProtocolError) throw cause;
    throw new MerkleError(code, message, { ...details, reason: (cause as Error).message.split("\n")[0] });
  }
}

/**
 * One leaf per provider, at most one per address.
 * @throws MerkleError EMPTY_TREE for no leaves (use EMPTY_ROOT), DUPLICATE_LEAF, INVALID_LEAF.
 */
export function buildResultsTree(leaves: readonly ResultLeaf[]): ResultsTree {
  if (leaves.length === 0) {
    throw new MerkleError(
      MerkleErrorCode.EMPTY_TREE,
      "a results tree needs at least one leaf; use EMPTY_ROOT",
      {},
    );
  }
  const seen = new Set<string>();
  for (const leaf of leaves) {
    const key = String(leaf.provider).toLowerCase();
    if (seen.has(key)) {
      throw new MerkleError(MerkleErrorCode.DUPLICATE_LEAF, "provider has two result leaves", {
        provider: leaf.provider,
      });
    }
    seen.add(key);
  }
  return wrap(MerkleErrorCode.INVALID_LEAF, "result leaf does not encode", {}, () =>
    StandardMerkleTree.of(leaves.map(resultLeafValues), resultTypes),
  );
}

/**
 * One leaf per (beneficiary kind, id).
 * @throws MerkleError EMPTY_TREE for no leaves (use EMPTY_ROOT), DUPLICATE_LEAF, INVALID_LEAF.
 */
export function buildRewardsTree(leaves: readonly RewardLeaf[]): RewardsTree {
  if (leaves.length === 0) {
    throw new MerkleError(
      MerkleErrorCode.EMPTY_TREE,
      "a rewards tree needs at least one leaf; use EMPTY_ROOT",
      {},
    );
  }
  const seen = new Set<string>();
  for (const leaf of leaves) {
    const key = `${leaf.beneficiary}:${leaf.id}`;
    if (seen.has(key)) {
      throw new MerkleError(MerkleErrorCode.DUPLICATE_LEAF, "beneficiary has two reward leaves", {
        beneficiary: leaf.beneficiary,
        id: String(leaf.id),
      });
    }
    seen.add(key);
  }
  return wrap(MerkleErrorCode.INVALID_LEAF, "reward leaf does not encode", {}, () =>
    StandardMerkleTree.of(leaves.map(rewardLeafValues), rewardTypes),
  );
}

/** The leaf of `provider` in a results tree, rebuilt as a ResultLeaf. */
export function resultLeafOf(tree: ResultsTree, provider: Address): ResultLeaf {
  return toResultLeaf(tree.at(findResult(tree, provider))!);
}

/** Sibling path of `provider`'s leaf, bottom up (OpenZeppelin MerkleProof order). */
export function resultProof(tree: ResultsTree, provider: Address): Hex[] {
  return tree.getProof(findResult(tree, provider)) as Hex[];
}

/** Sibling path of the reward leaf (beneficiary, id). */
export function rewardProof(tree: RewardsTree, beneficiary: Beneficiary, id: bigint): Hex[] {
  for (const [i, [b, leafId]] of tree.entries()) {
    if (Number(b) === beneficiary && BigInt(leafId) === id) return tree.getProof(i) as Hex[];
  }
  throw new MerkleError(MerkleErrorCode.LEAF_NOT_FOUND, "no reward leaf for this beneficiary", {
    beneficiary,
    id: String(id),
  });
}

/** keccak256(bytes.concat(keccak256(abi.encode(leaf values)))): what MerkleProof.verify takes as `leaf`. */
export function resultLeafHash(leaf: ResultLeaf): Hex {
  return wrap(MerkleErrorCode.INVALID_LEAF, "result leaf does not encode", {}, () =>
    keccak256(keccak256(encodeAbiParameters(resultAbi, resultLeafValues(leaf)))),
  );
}

/** keccak256(bytes.concat(keccak256(abi.encode(beneficiary, id, amount)))). */
export function rewardLeafHash(leaf: RewardLeaf): Hex {
  return wrap(MerkleErrorCode.INVALID_LEAF, "reward leaf does not encode", {}, () =>
    keccak256(keccak256(encodeAbiParameters(rewardAbi, rewardLeafValues(leaf)))),
  );
}

/** True when `proof` links `leaf` to `root`. Never throws: malformed input is false. */
export function verifyResultProof(root: Hex, leaf: ResultLeaf, proof: readonly Hex[]): boolean {
  try {
    return StandardMerkleTree.verify(root, resultTypes, resultLeafValues(leaf), [...proof]);
  } catch {
    return false;
  }
}

/** True when `proof` links `leaf` to `root`. Never throws: malformed input is false. */
export function verifyRewardProof(root: Hex, leaf: RewardLeaf, proof: readonly Hex[]): boolean {
  try {
    return StandardMerkleTree.verify(root, rewardTypes, rewardLeafValues(leaf), [...proof]);
  } catch {
    return false;
  }
}

function findResult(tree: ResultsTree, provider: Address): number {
  if (typeof provider !== "string" || !isAddress(provider, { strict: false })) {
    throw new MerkleError(MerkleErrorCode.INVALID_LEAF, "provider is not an address", {
      provider: String(provider),
    });
  }
  const key = provider.toLowerCase();
  for (const [i, values] of tree.entries()) {
    if (String(values[0]).toLowerCase() === key) return i;
  }
  throw new MerkleError(MerkleErrorCode.LEAF_NOT_FOUND, "no result leaf for this provider", {
    provider: getAddress(provider),
  });
}

function toResultLeaf(v: ResultLeafValues): ResultLeaf {
  return {
    provider: getAddress(v[0]),
    verdict: Number(v[1]) as Verdict,
    scoreBps: Number(v[2]),
    medianLatencyUs: Number(v[3]),
    attestations: Number(v[4]),
    failures: Number(v[5]),
    slashAmount: BigInt(v[6]),
    accusers: v[7].map((a) => getAddress(a)),
  };
}

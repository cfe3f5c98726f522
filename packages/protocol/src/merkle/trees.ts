import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import {
  type Address,
  concatHex,
  encodeAbiParameters,
  getAddress,
  type Hex,
  isAddress,
  isHex,
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
  INVALID_PROOF: "MERKLE_ERROR_INVALID_PROOF",
} as const;
export type MerkleErrorCode = (typeof MerkleErrorCode)[keyof typeof MerkleErrorCode];

export class MerkleError extends ProtocolError<MerkleErrorCode> {
  override name = "MerkleError";
}

/**
 * A StandardMerkleTree (same layout, root, proofs and dump format) that
 * hashes leaves with viem's ABI encoder instead of the library's, about 7×
 * faster (10,000 result leaves: ~1.3 s instead of ~9 s on a loaded laptop
 * core), and indexes leaves by key so proofs are found in O(1). The leaf
 * hash is byte-identical (tests compare roots with StandardMerkleTree.of).
 */
class IndexedStandardTree<T extends unknown[]> extends StandardMerkleTree<T> {
  private readonly keys: Map<string, number>;

  private constructor(
    tree: string[],
    values: { value: T; treeIndex: number }[],
    leafEncoding: string[],
    leafHash: (value: T) => Hex,
    keyOf: (value: T) => string,
  ) {
    super(tree as `0x${string}`[], values, leafEncoding);
    // The base class re-hashes leaves on every getProof/verify through this field; the fast hash is identical.
    Object.defineProperty(this, "leafHash", { value: leafHash });
    this.keys = new Map(values.map(({ value }, i) => [keyOf(value), i]));
  }

  static build<T extends unknown[]>(
    values: T[],
    leafEncoding: string[],
    leafHash: (value: T) => Hex,
    keyOf: (value: T) => string,
  ): IndexedStandardTree<T> {
    // The library's `prepare`, with hex-string ordering (equal to its byte ordering for lowercase hex of equal
    // length) and viem's keccak; the layout is the library's: sorted leaves stored from the end of the array.
    const hashed = values.map((value, valueIndex) => ({ valueIndex, hash: leafHash(value) }));
    hashed.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    const tree = new Array<Hex>(2 * hashed.length - 1);
    const indexed = values.map((value) => ({ value, treeIndex: 0 }));
    hashed.forEach(({ valueIndex, hash }, leafIndex) => {
      const treeIndex = tree.length - 1 - leafIndex;
      tree[treeIndex] = hash;
      indexed[valueIndex]!.treeIndex = treeIndex;
    });
    for (let i = tree.length - 1 - hashed.length; i >= 0; i--)
      tree[i] = nodeHash(tree[2 * i + 1]!, tree[2 * i + 2]!);
    return new IndexedStandardTree(tree, indexed, leafEncoding, leafHash, keyOf);
  }

  indexOf(key: string): number | undefined {
    return this.keys.get(key);
  }
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
    IndexedStandardTree.build(leaves.map(resultLeafValues), resultTypes, hashResultValues, resultKey),
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
    IndexedStandardTree.build(leaves.map(rewardLeafValues), rewardTypes, hashRewardValues, rewardKey),
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
  const key = `${beneficiary}:${id}`;
  let index = tree instanceof IndexedStandardTree ? tree.indexOf(key) : undefined;
  if (index === undefined && !(tree instanceof IndexedStandardTree)) {
    for (const [i, values] of tree.entries()) {
      if (rewardKey(values) === key) index = i;
    }
  }
  if (index === undefined) {
    throw new MerkleError(MerkleErrorCode.LEAF_NOT_FOUND, "no reward leaf for this beneficiary", {
      beneficiary,
      id: String(id),
    });
  }
  return tree.getProof(index) as Hex[];
}

/** keccak256(bytes.concat(keccak256(abi.encode(leaf values)))): what MerkleProof.verify takes as `leaf`. */
export function resultLeafHash(leaf: ResultLeaf): Hex {
  return wrap(MerkleErrorCode.INVALID_LEAF, "result leaf does not encode", {}, () =>
    hashResultValues(resultLeafValues(leaf)),
  );
}

/** keccak256(bytes.concat(keccak256(abi.encode(beneficiary, id, amount)))). */
export function rewardLeafHash(leaf: RewardLeaf): Hex {
  return wrap(MerkleErrorCode.INVALID_LEAF, "reward leaf does not encode", {}, () =>
    hashRewardValues(rewardLeafValues(leaf)),
  );
}

/**
 * OpenZeppelin MerkleProof.processProof: fold the proof into the leaf hash,
 * hashing each pair in ascending byte order.
 */
export function processProof(leafHash: Hex, proof: readonly Hex[]): Hex {
  let h = leafHash.toLowerCase() as Hex;
  for (const sibling of proof) {
    if (!isHex(sibling, { strict: true }) || sibling.length !== 66) {
      throw new MerkleError(MerkleErrorCode.INVALID_PROOF, "proof element is not 32 bytes", { sibling });
    }
    h = nodeHash(h, sibling.toLowerCase() as Hex);
  }
  return h;
}

/** True when `proof` links `leaf` to `root`. Never throws: malformed input is false. */
export function verifyResultProof(root: Hex, leaf: ResultLeaf, proof: readonly Hex[]): boolean {
  try {
    return processProof(resultLeafHash(leaf), proof) === root.toLowerCase();
  } catch {
    return false;
  }
}

/** True when `proof` links `leaf` to `root`. Never throws: malformed input is false. */
export function verifyRewardProof(root: Hex, leaf: RewardLeaf, proof: readonly Hex[]): boolean {
  try {
    return processProof(rewardLeafHash(leaf), proof) === root.toLowerCase();
  } catch {
    return false;
  }
}

function nodeHash(a: Hex, b: Hex): Hex {
  return keccak256(a < b ? concatHex([a, b]) : concatHex([b, a]));
}

function hashResultValues(values: ResultLeafValues): Hex {
  // Lowercase addresses encode to the same bytes and spare viem a checksum keccak per address.
  const [provider, verdict, score, latency, attestations, failures, slash, accusers] = values;
  return keccak256(
    keccak256(
      encodeAbiParameters(resultAbi, [
        provider.toLowerCase() as Address,
        verdict,
        score,
        latency,
        attestations,
        failures,
        slash,
        accusers.map((a) => a.toLowerCase() as Address),
      ]),
    ),
  );
}

function hashRewardValues(values: RewardLeafValues): Hex {
  return keccak256(keccak256(encodeAbiParameters(rewardAbi, values)));
}

function resultKey(values: ResultLeafValues): string {
  return String(values[0]).toLowerCase();
}

function rewardKey(values: RewardLeafValues): string {
  return `${Number(values[0])}:${BigInt(values[1])}`;
}

function findResult(tree: ResultsTree, provider: Address): number {
  if (typeof provider !== "string" || !isAddress(provider, { strict: false })) {
    throw new MerkleError(MerkleErrorCode.INVALID_LEAF, "provider is not an address", {
      provider: String(provider),
    });
  }
  const key = provider.toLowerCase();
  let index = tree instanceof IndexedStandardTree ? tree.indexOf(key) : undefined;
  if (index === undefined && !(tree instanceof IndexedStandardTree)) {
    // A tree loaded from a dump has no index.
    for (const [i, values] of tree.entries()) {
      if (resultKey(values) === key) index = i;
    }
  }
  if (index === undefined) {
    throw new MerkleError(MerkleErrorCode.LEAF_NOT_FOUND, "no result leaf for this provider", {
      provider: getAddress(provider),
    });
  }
  return index;
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

import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import fc from "fast-check";
import { type Address, getAddress, type Hex, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import {
  Beneficiary,
  RESULT_LEAF_TYPES,
  REWARD_LEAF_TYPES,
  type ResultLeaf,
  type RewardLeaf,
  resultLeafValues,
  rewardLeafValues,
} from "../../src/merkle/leaves.ts";
import {
  buildResultsTree,
  buildRewardsTree,
  MerkleError,
  MerkleErrorCode,
  type ResultsTree,
  resultLeafHash,
  resultLeafOf,
  resultProof,
  rewardLeafHash,
  rewardProof,
  verifyResultProof,
  verifyRewardProof,
} from "../../src/merkle/trees.ts";
import type { Verdict } from "../../src/types.ts";

const addressArb = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(toHex(b)));
const resultLeafArb: fc.Arbitrary<ResultLeaf> = fc.record({
  provider: addressArb,
  verdict: fc.constantFrom(0, 1, 2) as fc.Arbitrary<Verdict>,
  scoreBps: fc.integer({ min: 0, max: 10_000 }),
  medianLatencyUs: fc.nat({ max: 0xffff_ffff }),
  attestations: fc.nat({ max: 0xffff }),
  failures: fc.nat({ max: 0xffff }),
  slashAmount: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
  accusers: fc.array(addressArb, { maxLength: 4 }),
});
const resultLeavesArb = fc.uniqueArray(resultLeafArb, {
  minLength: 1,
  maxLength: 24,
  selector: (l) => l.provider.toLowerCase(),
});
const rewardLeavesArb = fc.uniqueArray(
  fc.record({
    beneficiary: fc.constantFrom(Beneficiary.PROVIDER, Beneficiary.LICENSE),
    id: fc.bigInt({ min: 0n, max: (1n << 160n) - 1n }),
    amount: fc.bigInt({ min: 1n, max: (1n << 128n) - 1n }),
  }) as fc.Arbitrary<RewardLeaf>,
  { minLength: 1, maxLength: 24, selector: (l) => `${l.beneficiary}:${l.id}` },
);

/** One changed field per mutation, each still encodable. */
function mutations(leaf: ResultLeaf): ResultLeaf[] {
  return [
    { ...leaf, provider: getAddress(toHex(BigInt(leaf.provider) ^ 1n, { size: 20 })) },
    { ...leaf, verdict: ((leaf.verdict + 1) % 3) as Verdict },
    { ...leaf, scoreBps: leaf.scoreBps ^ 1 },
    { ...leaf, medianLatencyUs: leaf.medianLatencyUs ^ 1 },
    { ...leaf, attestations: leaf.attestations ^ 1 },
    { ...leaf, failures: leaf.failures ^ 1 },
    { ...leaf, slashAmount: leaf.slashAmount ^ 1n },
    { ...leaf, accusers: [...leaf.accusers, leaf.provider] },
  ];
}

describe("results tree", () => {
  it("matches @openzeppelin/merkle-tree's StandardMerkleTree.of exactly (root, layout, proofs)", () => {
    fc.assert(
      fc.property(resultLeavesArb, (leaves) => {
        const ours = buildResultsTree(leaves);
        const reference = StandardMerkleTree.of(leaves.map(resultLeafValues), [...RESULT_LEAF_TYPES]);
        expect(ours.root).toBe(reference.root);
        expect(ours.dump()).toEqual(reference.dump());
        const first = leaves[0]!;
        expect(resultLeafHash(first)).toBe(reference.leafHash(resultLeafValues(first)));
        for (let i = 0; i < leaves.length; i++) expect(ours.getProof(i)).toEqual(reference.getProof(i));
      }),
      { numRuns: 30 },
    );
  });

  it("proves every leaf, and no proof verifies a mutated leaf or a mutated proof", () => {
    fc.assert(
      fc.property(resultLeavesArb, (leaves) => {
        const tree = buildResultsTree(leaves);
        const root = tree.root as Hex;
        for (const leaf of leaves) {
          const proof = resultProof(tree, leaf.provider);
          expect(verifyResultProof(root, leaf, proof)).toBe(true);
          expect(StandardMerkleTree.verify(root, [...RESULT_LEAF_TYPES], resultLeafValues(leaf), proof)).toBe(
            true,
          );
          for (const m of mutations(leaf)) expect(verifyResultProof(root, m, proof)).toBe(false);
          if (proof.length > 0) {
            const bad = [...proof];
            bad[0] = keccak256(bad[0]!);
            expect(verifyResultProof(root, leaf, bad)).toBe(false);
            expect(verifyResultProof(root, leaf, proof.slice(1))).toBe(false);
          }
          expect(resultLeafOf(tree, leaf.provider)).toEqual(leaf);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("is independent of leaf order", () => {
    fc.assert(
      fc.property(resultLeavesArb, (leaves) => {
        expect(buildResultsTree([...leaves].reverse()).root).toBe(buildResultsTree(leaves).root);
      }),
      { numRuns: 20 },
    );
  });

  it("finds proofs in trees loaded from a dump", () => {
    const leaves = fc.sample(resultLeavesArb, { numRuns: 1, seed: 7 })[0]!;
    const tree = buildResultsTree(leaves);
    const loaded = StandardMerkleTree.load(
      JSON.parse(JSON.stringify(tree.dump(), bigintJson)),
    ) as ResultsTree;
    const leaf = leaves[leaves.length - 1]!;
    expect(resultProof(loaded, leaf.provider)).toEqual(resultProof(tree, leaf.provider));
  });

  it("refuses empty trees, duplicate providers, unknown providers and garbage proofs", () => {
    expect(() => buildResultsTree([])).toThrow(expect.objectContaining({ code: MerkleErrorCode.EMPTY_TREE }));
    const leaf = fc.sample(resultLeafArb, { numRuns: 1, seed: 1 })[0]!;
    expect(() =>
      buildResultsTree([leaf, { ...leaf, provider: leaf.provider.toLowerCase() as Address }]),
    ).toThrow(expect.objectContaining({ code: MerkleErrorCode.DUPLICATE_LEAF }));
    const tree = buildResultsTree([leaf]);
    expect(resultProof(tree, leaf.provider)).toEqual([]);
    expect(() => resultProof(tree, getAddress(toHex(1n, { size: 20 })))).toThrow(MerkleError);
    expect(() => resultProof(tree, "0x12" as Address)).toThrow(MerkleError);
    expect(verifyResultProof(tree.root as Hex, leaf, ["0x1234"])).toBe(false);
    expect(verifyResultProof("0x00" as Hex, { ...leaf, scoreBps: -1 }, [])).toBe(false);
    expect(() => buildResultsTree([{ ...leaf, scoreBps: 2 ** 40 }])).toThrow(
      expect.objectContaining({ code: MerkleErrorCode.INVALID_LEAF }),
    );
  });

  it("builds a 10,000-provider tree in seconds and proves a leaf with 14 siblings at most", () => {
    const leaves: ResultLeaf[] = Array.from({ length: 10_000 }, (_, i) => ({
      provider: toHex(BigInt(i + 1) * 0x1000193n, { size: 20 }) as Address,
      verdict: (i % 7 === 0 ? 1 : 0) as Verdict,
      scoreBps: i % 10_001,
      medianLatencyUs: 1_000 + i,
      attestations: 8,
      failures: i % 7 === 0 ? 7 : 0,
      slashAmount: i % 7 === 0 ? 10n ** 20n : 0n,
      accusers: i % 7 === 0 ? [toHex(i + 5, { size: 20 }) as Address] : [],
    }));
    const t0 = performance.now();
    const tree = buildResultsTree(leaves);
    const ms = performance.now() - t0;
    const leaf = leaves[4_321]!;
    const proof = resultProof(tree, leaf.provider);
    expect(proof.length).toBeLessThanOrEqual(14);
    expect(verifyResultProof(tree.root as Hex, leaf, proof)).toBe(true);
    expect(ms).toBeLessThan(20_000);
  });
});

describe("rewards tree", () => {
  it("matches StandardMerkleTree.of and proves every leaf; mutations fail", () => {
    fc.assert(
      fc.property(rewardLeavesArb, (leaves) => {
        const tree = buildRewardsTree(leaves);
        const reference = StandardMerkleTree.of(leaves.map(rewardLeafValues), [...REWARD_LEAF_TYPES]);
        expect(tree.root).toBe(reference.root);
        const root = tree.root as Hex;
        for (const leaf of leaves) {
          const proof = rewardProof(tree, leaf.beneficiary, leaf.id);
          expect(verifyRewardProof(root, leaf, proof)).toBe(true);
          expect(rewardLeafHash(leaf)).toBe(reference.leafHash(rewardLeafValues(leaf)));
          expect(verifyRewardProof(root, { ...leaf, amount: leaf.amount + 1n }, proof)).toBe(false);
          expect(verifyRewardProof(root, { ...leaf, id: leaf.id ^ 1n }, proof)).toBe(false);
          expect(
            verifyRewardProof(root, { ...leaf, beneficiary: (1 - leaf.beneficiary) as Beneficiary }, proof),
          ).toBe(false);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("refuses duplicates and unknown beneficiaries", () => {
    const leaf: RewardLeaf = { beneficiary: Beneficiary.LICENSE, id: 7n, amount: 5n };
    expect(() => buildRewardsTree([leaf, { ...leaf, amount: 6n }])).toThrow(
      expect.objectContaining({ code: MerkleErrorCode.DUPLICATE_LEAF }),
    );
    expect(() => buildRewardsTree([])).toThrow(expect.objectContaining({ code: MerkleErrorCode.EMPTY_TREE }));
    const tree = buildRewardsTree([leaf, { ...leaf, beneficiary: Beneficiary.PROVIDER }]);
    expect(() => rewardProof(tree, Beneficiary.LICENSE, 8n)).toThrow(
      expect.objectContaining({ code: MerkleErrorCode.LEAF_NOT_FOUND }),
    );
  });
});

function bigintJson(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

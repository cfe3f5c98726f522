import { Beneficiary, REWARD_LEAF_TYPES, type RewardLeaf } from "@checkernet/protocol/merkle/leaves";
import { rewardProof } from "@checkernet/protocol/merkle/trees";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { getAddress, type Hex, hexToBigInt, parseEventLogs } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { rewardsAbi } from "../src/generated/index.ts";
import { expectRevert, isolateTests, mined, type TestChain } from "./helpers/chain.ts";
import {
  type Checker,
  deployWithCheckers,
  type Fixture,
  goToEpoch,
  headerFor,
  publishEpoch,
  submitReport,
  TOKEN,
  unlockLicenseRewards,
} from "./helpers/fixture.ts";
import { readVectors } from "./helpers/vectors.ts";

interface MerkleVector {
  rewards: {
    root: Hex;
    leaves: { leaf: { beneficiary: number; id: string; amount: string }; leafHash: Hex; proof: Hex[] }[];
  };
}

describe("Rewards", () => {
  let chain: TestChain;
  let fx: Fixture;
  let checkers: Checker[];

  beforeAll(async () => {
    ({ chain, fx, checkers } = await deployWithCheckers(4, 2));
    // Setup landed in epoch 0 (the launch set); the tests run from epoch 1.
    await goToEpoch(fx, 1n);
  });
  isolateTests(() => chain);

  const providerWallet = () => chain.wallets[10]!;
  const providerId = () => hexToBigInt(providerWallet().account.address);

  /** An OpenZeppelin StandardMerkleTree straight from @openzeppelin/merkle-tree (not the protocol's builder). */
  function ozTree(leaves: RewardLeaf[]) {
    return StandardMerkleTree.of(
      leaves.map((l) => [l.beneficiary, l.id, l.amount] as [number, bigint, bigint]),
      [...REWARD_LEAF_TYPES],
    );
  }

  async function reportRoot(epoch: bigint, root: Hex, totalRewards: bigint) {
    await submitReport(fx, await headerFor(fx, epoch, { rewardsRoot: root, totalRewards }));
  }

  it("pays a provider and a license owner with OpenZeppelin proofs, and records the claims", async () => {
    const leaves: RewardLeaf[] = [
      { beneficiary: Beneficiary.PROVIDER, id: providerId(), amount: 700n * TOKEN },
      { beneficiary: Beneficiary.LICENSE, id: checkers[0]!.licenses[0]!, amount: 150n * TOKEN },
      { beneficiary: Beneficiary.LICENSE, id: checkers[1]!.licenses[1]!, amount: 150n * TOKEN },
    ];
    const tree = ozTree(leaves);
    await reportRoot(1n, tree.root as Hex, 1_000n * TOKEN);
    const provider = getAddress(providerWallet().account.address);
    const receipt = await mined(chain, fx.c.rewards.write.claim([1n, leaves[0]!, tree.getProof(0) as Hex[]]));
    const [event] = parseEventLogs({ abi: rewardsAbi, logs: receipt.logs, eventName: "RewardClaimed" });
    expect(event?.args).toEqual({
      epoch: 1n,
      beneficiary: 0,
      id: providerId(),
      recipient: provider,
      amount: 700n * TOKEN,
    });
    expect(await fx.c.token.read.balanceOf([provider])).toBe(700n * TOKEN);
    // License rewards wait until no contest can take them back (the provider's did not).
    const unlock = (await fx.c.slashing.read.penaltiesFinalEpoch([1n])) + 1n;
    await expectRevert(
      fx.as(chain.wallets[11]!).rewards.write.claim([1n, leaves[1]!, tree.getProof(1) as Hex[]]),
      "RewardsLocked",
      [1n, checkers[0]!.licenses[0]!, unlock],
    );
    await unlockLicenseRewards(fx, 1n);
    // Anyone may submit a claim; the license's owner is paid.
    await mined(
      chain,
      fx.as(chain.wallets[11]!).rewards.write.claim([1n, leaves[1]!, tree.getProof(1) as Hex[]]),
    );
    expect(await fx.c.token.read.balanceOf([checkers[0]!.address])).toBe(150n * TOKEN);
    expect(await fx.c.rewards.read.isClaimed([1n, 1, checkers[0]!.licenses[0]!])).toBe(true);
    expect(await fx.c.rewards.read.isClaimed([1n, 1, checkers[1]!.licenses[1]!])).toBe(false);
    expect(await fx.c.rewards.read.claimedOf([1n])).toBe(850n * TOKEN);
  });

  it("pays the license's owner at claim time, after a transfer", async () => {
    const id = checkers[2]!.licenses[0]!;
    const leaves: RewardLeaf[] = [{ beneficiary: Beneficiary.LICENSE, id, amount: 5n * TOKEN }];
    const { rewards } = await publishEpoch(fx, 1n, { rewards: leaves });
    await unlockLicenseRewards(fx, 1n);
    const buyer = getAddress(chain.wallets[12]!.account.address);
    await mined(
      chain,
      fx.as(checkers[2]!.wallet).license.write.transferFrom([checkers[2]!.address, buyer, id]),
    );
    await mined(
      chain,
      fx.c.rewards.write.claim([1n, leaves[0]!, rewardProof(rewards!, Beneficiary.LICENSE, id)]),
    );
    expect(await fx.c.token.read.balanceOf([buyer])).toBe(5n * TOKEN);
  });

  it("refuses a second claim, a wrong amount and an epoch without report", async () => {
    const leaves: RewardLeaf[] = [
      { beneficiary: Beneficiary.PROVIDER, id: providerId(), amount: 10n * TOKEN },
      { beneficiary: Beneficiary.LICENSE, id: 1n, amount: 10n * TOKEN },
    ];
    const { rewards } = await publishEpoch(fx, 1n, { rewards: leaves });
    const proof = rewardProof(rewards!, Beneficiary.PROVIDER, providerId());
    await expectRevert(
      fx.c.rewards.write.claim([1n, { ...leaves[0]!, amount: 11n * TOKEN }, proof]),
      "RewardsInvalidProof",
      [1n],
    );
    await expectRevert(fx.c.rewards.write.claim([2n, leaves[0]!, proof]), "RewardsUnknownEpoch", [2n]);
    await mined(chain, fx.c.rewards.write.claim([1n, leaves[0]!, proof]));
    await expectRevert(fx.c.rewards.write.claim([1n, leaves[0]!, proof]), "RewardsAlreadyClaimed", [
      1n,
      0,
      providerId(),
    ]);
  });

  it("never pays an epoch more than its report's total, whatever the tree holds", async () => {
    const leaves: RewardLeaf[] = [
      { beneficiary: Beneficiary.PROVIDER, id: providerId(), amount: 60n * TOKEN },
      { beneficiary: Beneficiary.LICENSE, id: 1n, amount: 60n * TOKEN },
    ];
    // A (faulty) committee signed a total below the leaves' sum.
    const { rewards } = await publishEpoch(fx, 1n, { rewards: leaves, totalRewards: 100n * TOKEN });
    await mined(chain, fx.c.rewards.write.claim([1n, leaves[0]!, rewardProof(rewards!, 0, providerId())]));
    await unlockLicenseRewards(fx, 1n);
    await expectRevert(
      fx.c.rewards.write.claim([1n, leaves[1]!, rewardProof(rewards!, 1, 1n)]),
      "RewardsEpochTotalExceeded",
      [1n, 100n * TOKEN, 120n * TOKEN],
    );
  });

  it("refuses unknown beneficiary kinds and provider ids that are not addresses", async () => {
    const leaves: RewardLeaf[] = [
      { beneficiary: 2 as Beneficiary, id: 1n, amount: 1n },
      { beneficiary: Beneficiary.PROVIDER, id: 1n << 160n, amount: 1n },
    ];
    const tree = ozTree(leaves);
    await reportRoot(1n, tree.root as Hex, 2n);
    await expectRevert(
      fx.c.rewards.write.claim([1n, leaves[0]!, tree.getProof(0) as Hex[]]),
      "RewardsInvalidBeneficiary",
      [2, 1n],
    );
    await expectRevert(
      fx.c.rewards.write.claim([1n, leaves[1]!, tree.getProof(1) as Hex[]]),
      "RewardsInvalidBeneficiary",
      [0, 1n << 160n],
    );
  });

  it("claims several epochs in one transaction, all or nothing", async () => {
    const leaf = (amount: bigint): RewardLeaf => ({
      beneficiary: Beneficiary.PROVIDER,
      id: providerId(),
      amount,
    });
    const first = await publishEpoch(fx, 1n, {
      rewards: [leaf(1n * TOKEN), { beneficiary: 1, id: 1n, amount: 1n }],
    });
    await goToEpoch(fx, 2n);
    const second = await publishEpoch(fx, 2n, {
      rewards: [leaf(2n * TOKEN), { beneficiary: 1, id: 2n, amount: 1n }],
    });
    const claims = [
      { epoch: 1n, leaf: leaf(1n * TOKEN), proof: rewardProof(first.rewards!, 0, providerId()) },
      { epoch: 2n, leaf: leaf(2n * TOKEN), proof: rewardProof(second.rewards!, 0, providerId()) },
    ];
    await expectRevert(fx.c.rewards.write.claimMany([[...claims, claims[0]!]]), "RewardsAlreadyClaimed");
    await mined(chain, fx.c.rewards.write.claimMany([claims]));
    expect(await fx.c.token.read.balanceOf([providerWallet().account.address])).toBe(3n * TOKEN);
  });

  it("verifies the golden reward proofs of packages/protocol on-chain", async () => {
    const vector = readVectors<MerkleVector>("merkle.json").rewards;
    const leaves = vector.leaves.map((l) => ({
      beneficiary: l.leaf.beneficiary,
      id: BigInt(l.leaf.id),
      amount: BigInt(l.leaf.amount),
    }));
    const total = leaves.reduce((s, l) => s + l.amount, 0n);
    await reportRoot(1n, vector.root, total);
    await unlockLicenseRewards(fx, 1n);
    // License leaves pay the owner of that token id: make sure those ids exist.
    const licenseIds = leaves.filter((l) => l.beneficiary === 1).map((l) => l.id);
    const maxLicense = licenseIds.sort((a, b) => (a < b ? -1 : 1)).at(-1) ?? 0n;
    const supply = await fx.c.license.read.totalSupply();
    if (maxLicense > supply)
      await mined(chain, fx.c.license.write.mintBatch([fx.deployment.deployer, maxLicense - supply]));
    for (const [i, leaf] of leaves.entries()) {
      await mined(chain, fx.c.rewards.write.claim([1n, leaf, vector.leaves[i]!.proof]));
    }
    expect(await fx.c.rewards.read.claimedOf([1n])).toBe(total);
  });

  it("only the rewards contract mints", async () => {
    await expectRevert(fx.c.token.write.mint([fx.deployment.deployer, 1n]), "RewardTokenUnauthorizedMinter", [
      fx.deployment.deployer,
    ]);
    expect(await fx.c.token.read.minter()).toBe(fx.deployment.contracts.rewards);
  });
});

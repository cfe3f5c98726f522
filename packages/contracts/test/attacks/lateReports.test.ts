import { reportSigningRoot } from "@checkernet/protocol/encoding/report";
import { Beneficiary, type RewardLeaf } from "@checkernet/protocol/merkle/leaves";
import { buildResultsTree, resultProof, rewardProof } from "@checkernet/protocol/merkle/trees";
import { type Hex, hexToBigInt, keccak256, toHex, zeroAddress } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { expectRevert, isolateTests, mined, type TestChain } from "../helpers/chain.ts";
import {
  allSeats,
  type Checker,
  deployWithCheckers,
  type Fixture,
  failLeaf,
  giveLicenses,
  goToEpoch,
  headerFor,
  type Provider,
  publishEpoch,
  setupProvider,
  signReport,
  signSeats,
  submitReport,
  TOKEN,
  unlockLicenseRewards,
} from "../helpers/fixture.ts";

/**
 * Late reports out of epoch order (issue 14): an epoch whose report did not land in time is rebuilt and
 * submitted in a later epoch, while the contract still accepts it (until e + reportLatenessEpochs), and by
 * then the next epoch's report has usually landed. EpochReports used to refuse any epoch at or below the
 * last reported one (EpochReportsEpochOutOfOrder), so the late report never landed: the epoch's rewards
 * were lost and a failing provider escaped its slash. Every test here fails on that rule.
 *
 * Nothing on chain depends on the order: seeds come from reveals, never from reports; the committee of a
 * period is drawn from its first epoch's snapshot and seed; rewards and slashes are keyed by epoch; every
 * window that follows a report counts from the epoch the report itself landed in (`landedEpochOf`).
 */
describe("attacks on late reports out of epoch order", () => {
  let chain: TestChain;
  let fx: Fixture;
  let checkers: Checker[];
  let provider: Provider;

  beforeAll(async () => {
    // Reports of an epoch are accepted from 60 s into it (of 100 s), until 2 epochs after it.
    ({ chain, fx, checkers } = await deployWithCheckers(6, 2, { reportDelaySeconds: 60n }));
    provider = await setupProvider(fx, chain.wallets[10]!);
    await goToEpoch(fx, 1n);
  });
  isolateTests(() => chain);

  const accusers = () => checkers.slice(0, 3).map((c) => c.address);

  it("an older epoch's report lands after a newer one's; lastReportedEpoch stays the highest", async () => {
    await goToEpoch(fx, 2n);
    await submitReport(fx, await headerFor(fx, 2n));
    expect(await fx.c.reports.read.lastReportedEpoch()).toBe(2n);
    const late = await headerFor(fx, 1n);
    await submitReport(fx, late);
    expect(await fx.c.reports.read.reportOf([1n])).toMatchObject({ rewardsRoot: late.rewardsRoot });
    expect(await fx.c.reports.read.landedEpochOf([1n])).toBe(2n);
    expect(await fx.c.reports.read.landedEpochOf([2n])).toBe(2n);
    // The highest reported epoch, not the last one to land.
    expect(await fx.c.reports.read.lastReportedEpoch()).toBe(2n);
  });

  it("the late epoch's rewards are claimable once, its failure slashable for the whole window from its landing", async () => {
    const leaf = failLeaf(provider.address, accusers());
    const rewards: RewardLeaf[] = [
      { beneficiary: Beneficiary.PROVIDER, id: hexToBigInt(provider.address), amount: 5n * TOKEN },
      { beneficiary: Beneficiary.LICENSE, id: checkers[5]!.licenses[0]!, amount: 3n * TOKEN },
    ];
    // Epoch 2's report lands first; epoch 1's lands in epoch 3, the last epoch that takes it.
    await goToEpoch(fx, 2n);
    await publishEpoch(fx, 2n);
    await goToEpoch(fx, 3n);
    await publishEpoch(fx, 3n);
    const published = await publishEpoch(fx, 1n, { results: [leaf], rewards });
    expect(await fx.c.reports.read.landedEpochOf([1n])).toBe(3n);

    // Rewards: the provider's at once, each leaf once; the license's after the epoch's penalties are final.
    const providerProof = rewardProof(published.rewards!, Beneficiary.PROVIDER, rewards[0]!.id);
    const before = await fx.c.token.read.balanceOf([provider.address]);
    await mined(chain, fx.c.rewards.write.claim([1n, rewards[0]!, providerProof]));
    expect((await fx.c.token.read.balanceOf([provider.address])) - before).toBe(5n * TOKEN);
    await expectRevert(fx.c.rewards.write.claim([1n, rewards[0]!, providerProof]), "RewardsAlreadyClaimed", [
      1n,
      Beneficiary.PROVIDER,
      rewards[0]!.id,
    ]);
    const window = await fx.c.slashing.read.contestWindowEpochs();
    const deadline = await fx.c.slashing.read.recheckDeadlineEpochs();
    // Counted from the landing (3), not from the epoch (1) nor from the newer epochs' reports.
    expect(await fx.c.slashing.read.penaltiesFinalEpoch([1n])).toBe(3n + window + deadline);
    const licenseProof = rewardProof(published.rewards!, Beneficiary.LICENSE, rewards[1]!.id);
    await expectRevert(fx.c.rewards.write.claim([1n, rewards[1]!, licenseProof]), "RewardsLocked", [
      1n,
      rewards[1]!.id,
      4n + window + deadline,
    ]);

    // The failure: openable until 3 + window (it would have closed at 1 + window counted from the epoch).
    const proof = resultProof(published.results!, provider.address);
    await goToEpoch(fx, 3n + window);
    await mined(chain, fx.c.slashing.write.openSlash([1n, leaf, proof]));
    await expectRevert(fx.c.slashing.write.openSlash([1n, leaf, proof]), "SlashingAlreadyOpened", [
      1n,
      provider.address,
      1n,
    ]);
    await goToEpoch(fx, 4n + window);
    const stake = await fx.c.providers.read.slashableOf([provider.address]);
    await mined(chain, fx.c.slashing.write.executeSlash([1n]));
    expect(await fx.c.providers.read.slashableOf([provider.address])).toBe(stake - leaf.slashAmount);

    await unlockLicenseRewards(fx, 1n);
    await mined(chain, fx.c.rewards.write.claim([1n, rewards[1]!, licenseProof]));
    await expectRevert(fx.c.rewards.write.claim([1n, rewards[1]!, licenseProof]), "RewardsAlreadyClaimed", [
      1n,
      Beneficiary.LICENSE,
      rewards[1]!.id,
    ]);
  });

  it("a newer epoch's report landing first cannot void an older epoch's: withholding it to the last accepted epoch still slashes a provider that began unbonding", async () => {
    // The provider fails in epoch 1 and asks to unbond everything at once; an aggregator on its side holds
    // epoch 1's signed report back, lets epoch 2's land, and sends it in epoch 3, the last that takes it.
    const leaf = failLeaf(provider.address, accusers(), 400n * TOKEN);
    const tree = buildResultsTree([leaf]);
    const header = await headerFor(fx, 1n, { resultsRoot: tree.root as Hex });
    const signed = await signReport(fx, header);
    await mined(chain, fx.as(provider.wallet).providers.write.requestUnstake([1_000n * TOKEN]));
    await goToEpoch(fx, 2n);
    await publishEpoch(fx, 2n);
    await goToEpoch(fx, 3n, 90n);
    await mined(chain, fx.c.reports.write.submitReport([header, signed.bitfield, signed.signature]));
    expect(await fx.c.reports.read.landedEpochOf([1n])).toBe(3n);
    // The last epoch the slash can be opened in; unbonding outlasts it, so the tokens are still there.
    const window = await fx.c.slashing.read.contestWindowEpochs();
    await goToEpoch(fx, 3n + window);
    await mined(chain, fx.c.slashing.write.openSlash([1n, leaf, resultProof(tree, provider.address)]));
    await expectRevert(fx.as(provider.wallet).providers.write.withdraw(), "ProviderRegistryUnbonding");
    await goToEpoch(fx, 4n + window);
    await mined(chain, fx.c.slashing.write.executeSlash([1n]));
    expect(await fx.c.providers.read.providerInfo([provider.address])).toMatchObject({
      stake: 0n,
      unbonding: 600n * TOKEN,
    });
  });

  it("a report older than the lateness window is refused whatever landed before it; a newer unreported one is not", async () => {
    const first = await headerFor(fx, 1n);
    const second = await headerFor(fx, 2n);
    const [signedFirst, signedSecond] = [await signReport(fx, first), await signReport(fx, second)];
    await goToEpoch(fx, 3n);
    await submitReport(fx, await headerFor(fx, 3n));
    await goToEpoch(fx, 4n);
    await submitReport(fx, await headerFor(fx, 4n));
    // Epoch 1 was accepted until epoch 3: too late now, as it would be in order.
    await expectRevert(
      fx.c.reports.write.submitReport([first, signedFirst.bitfield, signedFirst.signature]),
      "EpochReportsTooLate",
      [1n, 4n, 3n],
    );
    // Epoch 2 is accepted until epoch 4: it lands below two reported epochs.
    await mined(
      chain,
      fx.c.reports.write.submitReport([second, signedSecond.bitfield, signedSecond.signature]),
    );
    expect(await fx.c.reports.read.lastReportedEpoch()).toBe(4n);
    await goToEpoch(fx, 5n);
    await expectRevert(
      fx.c.reports.write.submitReport([second, signedSecond.bitfield, signedSecond.signature]),
      "EpochReportsTooLate",
      [2n, 5n, 4n],
    );
  });

  it("one report per epoch in any order: a second header for an epoch that landed late is refused", async () => {
    await goToEpoch(fx, 2n);
    await submitReport(fx, await headerFor(fx, 2n));
    await submitReport(fx, await headerFor(fx, 1n));
    // The committee (captured, or honest members that signed twice) signs another header for each epoch.
    for (const epoch of [1n, 2n]) {
      const other = await headerFor(fx, epoch, { rewardsRoot: keccak256(toHex(`other:${epoch}`)) });
      const signed = await signReport(fx, other);
      await expectRevert(
        fx.c.reports.write.submitReport([other, signed.bitfield, signed.signature]),
        "EpochReportsAlreadyReported",
        [epoch],
      );
    }
  });

  it("a late report changes no seed and is checked against its own epoch's committee, sealed when it lands", async () => {
    // More licenses delegated in epoch 1 change the snapshots of epoch 3 on (activation delay 2), not epoch 1's.
    await giveLicenses(fx, checkers[0]!, 10);
    const committeeOf1 = await fx.c.reports.read.reportCommittee([1n]);
    const seeds = async () => Promise.all([1n, 2n, 3n].map((e) => fx.c.reports.read.seedOf([e])));
    await goToEpoch(fx, 3n);
    const seedsBefore = await seeds();
    await submitReport(fx, await headerFor(fx, 2n));
    await submitReport(fx, await headerFor(fx, 3n));
    const [period] = await fx.c.reports.read.committeePeriodOf([1n]);
    expect(await fx.c.reports.read.sealedCommitteeOf([period])).toBe(zeroAddress);
    const late = await headerFor(fx, 1n);
    // Epoch 3's committee (another snapshot and seed) cannot sign epoch 1's report.
    const committeeOf3 = await fx.c.reports.read.reportCommittee([3n]);
    expect(committeeOf3).not.toEqual(committeeOf1);
    const wrong = await signSeats(fx, committeeOf3, allSeats(16), reportSigningRoot(late, fx.domain));
    await expectRevert(
      fx.c.reports.write.submitReport([late, wrong.bitfield, wrong.signature]),
      "EpochReportsInvalidSignature",
    );
    await submitReport(fx, late);
    expect(await fx.c.reports.read.reportCommittee([1n])).toEqual(committeeOf1);
    expect(await fx.c.reports.read.sealedCommitteeOf([period])).not.toBe(zeroAddress);
    expect(await seeds()).toEqual(seedsBefore);
  });
});

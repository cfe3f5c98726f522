import { Beneficiary } from "@checkernet/protocol/merkle/leaves";
import { resultProof, rewardProof } from "@checkernet/protocol/merkle/trees";
import { recheckRunEpoch, recheckTimeMessage } from "@checkernet/protocol/recheck";
import { type Address, keccak256, parseEventLogs, toHex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { slashingAbi } from "../../src/generated/index.ts";
import { expectRevert, isolateTests, mined, setTime, type TestChain } from "../helpers/chain.ts";
import {
  bls,
  type Checker,
  contestSlash,
  deployFixture,
  deployWithCheckers,
  type Fixture,
  failLeaf,
  fundContestBonds,
  goToEpoch,
  headerFor,
  type Provider,
  publishEpoch,
  setupCheckers,
  setupProvider,
  signRecheck,
  signReport,
  submitReport,
  TOKEN,
  unlockLicenseRewards,
} from "../helpers/fixture.ts";

const BOND = 100n * TOKEN;

/**
 * Attacks on the windows that follow a report (security review: windows counted from the accused
 * epoch, reports landing inside their own epoch, an accuser cap that made contests impossible, accuser
 * rewards claimable before a contest could take them back, contests that cost nothing).
 */
describe("attacks on report, contest and reward windows", () => {
  let chain: TestChain;
  let fx: Fixture;
  let checkers: Checker[];
  let provider: Provider;

  beforeAll(async () => {
    // Reports of an epoch are accepted from 60 s into it (the end of a 60% checking phase of 100 s).
    ({ chain, fx, checkers } = await deployWithCheckers(6, 2, { reportDelaySeconds: 60n }));
    provider = await setupProvider(fx, chain.wallets[10]!);
    await fundContestBonds(fx, provider, 3n * BOND);
    await goToEpoch(fx, 1n);
  });
  isolateTests(() => chain);

  const accusers = () => checkers.slice(0, 3).map((c) => c.address);

  async function recheck(id: bigint, verdict: number) {
    const { header, bitfield, signature } = await signRecheck(fx, id, verdict);
    return mined(chain, fx.c.slashing.write.submitRecheck([header, bitfield, signature]));
  }

  it("a report is refused before its epoch's checking phase has ended, and after its lateness window", async () => {
    const header = await headerFor(fx, 1n);
    const signed = await signReport(fx, header);
    const start = await fx.c.reports.read.epochStartTime([1n]);
    await setTime(chain, start + 30n);
    await expectRevert(
      fx.c.reports.write.submitReport([header, signed.bitfield, signed.signature]),
      "EpochReportsTooEarly",
      [1n, start + 31n, start + 60n],
    );
    // Epoch 1 + reportLatenessEpochs (2) is the last epoch that takes it.
    await goToEpoch(fx, 4n);
    await expectRevert(
      fx.c.reports.write.submitReport([header, signed.bitfield, signed.signature]),
      "EpochReportsTooLate",
      [1n, 4n, 3n],
    );
  });

  it("a late report still leaves the whole contest window, counted from its landing", async () => {
    const leaf = failLeaf(provider.address, accusers());
    // The report of epoch 1 lands in epoch 3, as late as allowed.
    await goToEpoch(fx, 3n);
    const published = await publishEpoch(fx, 1n, { results: [leaf] });
    expect(await fx.c.reports.read.landedEpochOf([1n])).toBe(3n);
    const proof = resultProof(published.results!, provider.address);
    const window = await fx.c.slashing.read.contestWindowEpochs();
    // Counted from epoch 1 the window would have closed at epoch 5; from the landing it runs to 7.
    await goToEpoch(fx, 3n + window);
    const id = await chain.testClient.snapshot();
    await mined(chain, fx.as(provider.wallet).slashing.write.contest([1n, leaf, proof]));
    await chain.testClient.revert({ id });
    await mined(chain, fx.c.slashing.write.openSlash([1n, leaf, proof]));
    await goToEpoch(fx, 4n + window);
    await expectRevert(
      fx.as(provider.wallet).slashing.write.contest([1n, leaf, proof]),
      "SlashingContestWindowClosed",
      [1n, 4n + window, 3n + window],
    );
  });

  it("a FAIL leaf with more accusers than fit one transaction's penalties can still be contested, and all are penalized", async () => {
    const many: Address[] = Array.from(
      { length: 70 },
      (_, i) => `0x${keccak256(toHex(`accuser-${i}`)).slice(26)}` as Address,
    );
    const leaf = failLeaf(provider.address, many);
    const published = await publishEpoch(fx, 1n, { results: [leaf] });
    const id = await contestSlash(fx, provider, leaf, published);
    await expectRevert(fx.c.slashing.write.penalizeAccusers([id, many, 0n, 70n]), "SlashingNotOverturned", [
      id,
    ]);
    await goToEpoch(fx, (await fx.c.slashing.read.slashOf([id])).recheckEpoch);
    await recheck(id, 0);
    expect(await fx.c.slashing.read.isOverturned([id])).toBe(true);
    // Too long to penalize with the re-check: anyone pages through the list the leaf committed to.
    expect(await fx.c.slashing.read.isPenalized([many[0]!, 1n])).toBe(false);
    await expectRevert(
      fx.c.slashing.write.penalizeAccusers([id, many.slice(1), 0n, 10n]),
      "SlashingLeafMismatch",
      [id],
    );
    const first = await mined(chain, fx.c.slashing.write.penalizeAccusers([id, many, 0n, 40n]));
    await mined(chain, fx.c.slashing.write.penalizeAccusers([id, many, 40n, 70n]));
    const [event] = parseEventLogs({ abi: slashingAbi, logs: first.logs, eventName: "AccusersPenalized" });
    expect(event?.args.accusers).toHaveLength(40);
    for (const accuser of many) expect(await fx.c.slashing.read.isPenalized([accuser, 1n])).toBe(true);
  });

  it("an accuser cannot claim its license rewards before a contest can take them back", async () => {
    const accuser = checkers[0]!;
    const honest = checkers[5]!;
    const rewards = [accuser, honest].map((c) => ({
      beneficiary: Beneficiary.LICENSE,
      id: c.licenses[0]!,
      amount: TOKEN,
    }));
    const leaf = failLeaf(provider.address, accusers());
    const published = await publishEpoch(fx, 1n, { results: [leaf], rewards });
    const proofOf = (id: bigint) => rewardProof(published.rewards!, Beneficiary.LICENSE, id);
    // Right after the report, while the failure can still be contested, the accuser's reward is locked.
    await expectRevert(
      fx.c.rewards.write.claim([1n, rewards[0]!, proofOf(accuser.licenses[0]!)]),
      "RewardsLocked",
    );
    const id = await contestSlash(fx, provider, leaf, published);
    await goToEpoch(fx, (await fx.c.slashing.read.slashOf([id])).recheckEpoch);
    await recheck(id, 0);
    await unlockLicenseRewards(fx, 1n);
    await expectRevert(
      fx.c.rewards.write.claim([1n, rewards[0]!, proofOf(accuser.licenses[0]!)]),
      "RewardsForfeited",
      [1n, accuser.licenses[0]!, accuser.address],
    );
    await mined(chain, fx.c.rewards.write.claim([1n, rewards[1]!, proofOf(honest.licenses[0]!)]));
  });

  it("a contest that does not end in PASS costs the bond", async () => {
    const leaf = failLeaf(provider.address, accusers());
    const published = await publishEpoch(fx, 1n, { results: [leaf] });
    const before = await fx.c.token.read.balanceOf([provider.address]);
    const id = await contestSlash(fx, provider, leaf, published);
    // The provider makes its own re-check stall (say it goes offline): the deadline passes.
    await goToEpoch(fx, (await fx.c.slashing.read.slashOf([id])).resolveDeadline + 1n);
    await mined(chain, fx.c.slashing.write.expireContest([id]));
    expect(await fx.c.token.read.balanceOf([provider.address])).toBe(before - BOND);
  });

  it("the re-check tests the provider at times it cannot predict: members' epochs come from their own signatures", async () => {
    // A deployment whose re-checks run over a window of 3 epochs.
    const wide = await deployFixture(chain, { recheckWindowEpochs: 3n, reportDelaySeconds: 0n });
    wide.keys = fx.keys;
    const members = await setupCheckers(wide, 6, 2);
    const accused = await setupProvider(wide, chain.wallets[11]!);
    await fundContestBonds(wide, accused, BOND);
    await goToEpoch(wide, 1n);
    const leaf = failLeaf(
      accused.address,
      members.slice(0, 3).map((c) => c.address),
    );
    const published = await publishEpoch(wide, 1n, { results: [leaf] });
    const id = await contestSlash(wide, accused, leaf, published);
    const record = await wide.c.slashing.read.slashOf([id]);
    // Each member's epoch is drawn from its unique signature over the slash: only it knows it in advance.
    const separator = await wide.c.reports.read.domainSeparator();
    const message = recheckTimeMessage(separator, wide.deployment.contracts.slashing, id);
    const runEpochs = await Promise.all(
      members.map(async (m) =>
        recheckRunEpoch((await bls()).sign(m.key.secretKey, message), record.recheckEpoch, 3n),
      ),
    );
    expect(new Set(runEpochs).size).toBeGreaterThan(1);
    for (const e of runEpochs) expect(e >= record.recheckEpoch && e <= record.recheckEpoch + 2n).toBe(true);
    // The verdict is accepted only once the window's last epoch has begun, when every member has tested.
    const signed = await signRecheck(wide, id, 1);
    const header = signed.header;
    await goToEpoch(wide, record.recheckEpoch + 1n);
    await expectRevert(
      wide.c.slashing.write.submitRecheck([header, signed.bitfield, signed.signature]),
      "SlashingRecheckNotStarted",
      [id, record.recheckEpoch + 1n, record.recheckEpoch + 2n],
    );
    await goToEpoch(wide, record.recheckEpoch + 2n);
    await mined(chain, wide.c.slashing.write.submitRecheck([header, signed.bitfield, signed.signature]));
    expect(await wide.c.slashing.read.recheckWindowEpochs()).toBe(3n);
    // A deadline too short for the window is refused at deployment.
    await expect(
      deployFixture(chain, { recheckWindowEpochs: 4n, recheckDeadlineEpochs: 4n }),
    ).rejects.toThrow();
  });

  it("a deployment whose unbonding does not outlast the slashable window is refused", async () => {
    await expect(deployFixture(chain, { unbondingEpochs: 10n })).rejects.toThrow();
    const ok = await deployFixture(chain, { unbondingEpochs: 11n });
    expect(await ok.c.providers.read.unbondingEpochs()).toBe(11n);
  });

  it("reports land from the end of the checking phase on (sanity of the fixture's delay)", async () => {
    const receipt = await submitReport(fx, await headerFor(fx, 1n));
    const block = await chain.publicClient.getBlock({ blockNumber: receipt.blockNumber });
    expect(block.timestamp).toBeGreaterThanOrEqual((await fx.c.reports.read.epochStartTime([1n])) + 60n);
  });
});

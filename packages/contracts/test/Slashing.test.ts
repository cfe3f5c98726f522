import { Beneficiary, type ResultLeaf } from "@checkernet/protocol/merkle/leaves";
import { resultProof, rewardProof } from "@checkernet/protocol/merkle/trees";
import { bytesToHex, type Hex, parseEventLogs, zeroHash } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { slashingAbi } from "../src/generated/index.ts";
import { type RecheckHeader, RecheckTag, recheckSeatIndex, recheckSigningRoot } from "../src/recheck.ts";
import { expectRevert, isolateTests, mined, type TestChain } from "./helpers/chain.ts";
import {
  allSeats,
  type Checker,
  currentEpoch,
  deployWithCheckers,
  type Fixture,
  failLeaf,
  fundContestBonds,
  goToEpoch,
  type Provider,
  type PublishedEpoch,
  passLeaf,
  publishEpoch,
  setupProvider,
  signRecheck,
  TOKEN,
  unlockLicenseRewards,
} from "./helpers/fixture.ts";
import { readVectors } from "./helpers/vectors.ts";

const Status = { None: 0, Pending: 1, Contested: 2, Executed: 3, Cancelled: 4 } as const;
const BOND = 100n * TOKEN;

describe("Slashing", () => {
  let chain: TestChain;
  let fx: Fixture;
  let checkers: Checker[];
  let provider: Provider;
  let honest: Provider;

  beforeAll(async () => {
    ({ chain, fx, checkers } = await deployWithCheckers(6, 2));
    provider = await setupProvider(fx, chain.wallets[10]!);
    honest = await setupProvider(fx, chain.wallets[11]!);
    // The bond, approved once.
    await fundContestBonds(fx, provider, BOND * 3n);
    // Setup landed in epoch 0 (the launch set); the tests run from epoch 1.
    await goToEpoch(fx, 1n);
  });
  isolateTests(() => chain);

  const accusers = () => checkers.slice(0, 3).map((c) => c.address);

  /** Epoch `epoch` fails `provider` (accused by the first three checkers) and rewards every accuser license. */
  async function failEpoch(epoch: bigint, leaf: ResultLeaf = failLeaf(provider.address, accusers())) {
    const rewards = checkers
      .slice(0, 3)
      .map((c) => ({ beneficiary: Beneficiary.LICENSE, id: c.licenses[0]!, amount: TOKEN }));
    const published = await publishEpoch(fx, epoch, { results: [leaf, passLeaf(honest.address)], rewards });
    return { leaf, proof: resultProof(published.results!, leaf.provider), published };
  }

  async function openedSlash(epoch = 1n) {
    const { leaf, proof, published } = await failEpoch(epoch);
    await mined(chain, fx.c.slashing.write.openSlash([epoch, leaf, proof]));
    return { id: await fx.c.slashing.read.slashIdOf([epoch, provider.address]), leaf, proof, published };
  }

  async function contested(epoch = 1n) {
    const { leaf, proof, published } = await failEpoch(epoch);
    const receipt = await mined(chain, fx.as(provider.wallet).slashing.write.contest([epoch, leaf, proof]));
    const id = await fx.c.slashing.read.slashIdOf([epoch, provider.address]);
    return { id, leaf, receipt, published, record: await fx.c.slashing.read.slashOf([id]) };
  }

  async function recheck(id: bigint, verdict: number, fields: Partial<RecheckHeader> = {}, seats?: number[]) {
    const fieldsOf16 = { attestations: 16, failures: verdict === 1 ? 16 : 0, ...fields };
    const { header, bitfield, signature } = await signRecheck(fx, id, verdict, fieldsOf16, seats);
    return { header, bitfield, signature };
  }

  describe("openSlash", () => {
    it("opens a pending slash from a FAIL leaf and blocks the provider's withdrawals", async () => {
      const { leaf, proof } = await failEpoch(1n);
      const receipt = await mined(
        chain,
        fx.as(chain.wallets[15]!).slashing.write.openSlash([1n, leaf, proof]),
      );
      const [event] = parseEventLogs({ abi: slashingAbi, logs: receipt.logs, eventName: "SlashOpened" });
      expect(event?.args).toEqual({
        slashId: 1n,
        provider: provider.address,
        epoch: 1n,
        amount: 100n * TOKEN,
        contestDeadline: 5n,
      });
      expect(await fx.c.slashing.read.slashOf([1n])).toMatchObject({
        status: Status.Pending,
        openedEpoch: 1n,
        contestDeadline: 5n,
      });
      expect(await fx.c.slashing.read.pendingSlashCount([provider.address])).toBe(1n);
      expect(await fx.c.slashing.read.slashCount()).toBe(1n);
      // Unbonding tokens stay locked while the slash is pending.
      await mined(chain, fx.as(provider.wallet).providers.write.requestUnstake([10n * TOKEN]));
      await goToEpoch(fx, 1n + (await fx.c.providers.read.unbondingEpochs()));
      await expectRevert(fx.as(provider.wallet).providers.write.withdraw(), "ProviderRegistrySlashPending", [
        provider.address,
        1n,
      ]);
    });

    it("refuses non-failures, bad proofs, unknown epochs, duplicates and late openings", async () => {
      const { leaf, proof, published } = await failEpoch(1n);
      const pass = passLeaf(honest.address);
      await expectRevert(
        fx.c.slashing.write.openSlash([1n, pass, resultProof(published.results!, honest.address)]),
        "SlashingNotSlashable",
        [0, 0n],
      );
      await expectRevert(
        fx.c.slashing.write.openSlash([1n, { ...leaf, slashAmount: 0n, verdict: 1 }, proof]),
        "SlashingNotSlashable",
        [1, 0n],
      );
      await expectRevert(
        fx.c.slashing.write.openSlash([1n, { ...leaf, slashAmount: 10n ** 24n }, proof]),
        "SlashingInvalidProof",
        [1n],
      );
      await expectRevert(fx.c.slashing.write.openSlash([2n, leaf, proof]), "SlashingUnknownEpoch", [2n]);
      await mined(chain, fx.c.slashing.write.openSlash([1n, leaf, proof]));
      await expectRevert(fx.c.slashing.write.openSlash([1n, leaf, proof]), "SlashingAlreadyOpened", [
        1n,
        provider.address,
        1n,
      ]);
      await goToEpoch(fx, 2n);
      const next = await failEpoch(2n);
      await goToEpoch(fx, 7n);
      await expectRevert(
        fx.c.slashing.write.openSlash([2n, next.leaf, next.proof]),
        "SlashingOpenWindowClosed",
        [2n, 7n, 6n],
      );
    });

    it("verifies the golden result proofs of packages/protocol on-chain", async () => {
      const vector = readVectors<{
        results: { root: Hex; leaves: { leaf: ResultLeaf & { slashAmount: string }; proof: Hex[] }[] };
      }>("merkle.json").results;
      const { headerFor, submitReport } = await import("./helpers/fixture.ts");
      await submitReport(fx, await headerFor(fx, 1n, { resultsRoot: vector.root }));
      const failures = vector.leaves.filter((l) => l.leaf.verdict === 1);
      expect(failures.length).toBeGreaterThan(0);
      for (const { leaf, proof } of failures) {
        await mined(
          chain,
          fx.c.slashing.write.openSlash([1n, { ...leaf, slashAmount: BigInt(leaf.slashAmount) }, proof]),
        );
      }
      expect(await fx.c.slashing.read.slashCount()).toBe(BigInt(failures.length));
    });
  });

  describe("executeSlash", () => {
    it("burns the slash after the contest window, never more than the provider holds", async () => {
      const { id } = await openedSlash();
      await expectRevert(fx.c.slashing.write.executeSlash([id]), "SlashingContestWindowOpen", [id, 1n, 5n]);
      await goToEpoch(fx, 6n);
      const supply = await fx.c.token.read.totalSupply();
      const receipt = await mined(chain, fx.c.slashing.write.executeSlash([id]));
      const [event] = parseEventLogs({ abi: slashingAbi, logs: receipt.logs, eventName: "SlashExecuted" });
      expect(event?.args).toEqual({ slashId: id, provider: provider.address, amount: 100n * TOKEN });
      expect(await fx.c.token.read.totalSupply()).toBe(supply - 100n * TOKEN);
      expect(await fx.c.providers.read.stakeOf([provider.address])).toBe(900n * TOKEN);
      expect(await fx.c.slashing.read.pendingSlashCount([provider.address])).toBe(0n);
      await expectRevert(fx.c.slashing.write.executeSlash([id]), "SlashingInvalidStatus", [
        id,
        Status.Executed,
      ]);
      await expectRevert(fx.c.slashing.write.executeSlash([99n]), "SlashingUnknownSlash", [99n]);
    });

    it("takes unbonding tokens after the stake and stops at what is there", async () => {
      await mined(chain, fx.as(provider.wallet).providers.write.requestUnstake([700n * TOKEN]));
      const { leaf, proof } = await failEpoch(1n, failLeaf(provider.address, accusers(), 5_000n * TOKEN));
      await mined(chain, fx.c.slashing.write.openSlash([1n, leaf, proof]));
      await goToEpoch(fx, 6n);
      await mined(chain, fx.c.slashing.write.executeSlash([1n]));
      expect(await fx.c.providers.read.providerInfo([provider.address])).toMatchObject({
        stake: 0n,
        unbonding: 0n,
      });
      expect(await fx.c.token.read.balanceOf([fx.deployment.contracts.providerRegistry])).toBe(
        1_000n * TOKEN,
      );
    });
  });

  describe("contest", () => {
    it("opens and contests in one call, takes the bond and requests a larger re-check committee", async () => {
      const before = await fx.c.token.read.balanceOf([provider.address]);
      const { id, receipt, record } = await contested();
      expect(record).toMatchObject({
        status: Status.Contested,
        bond: BOND,
        recheckEpoch: 3n,
        resolveDeadline: 5n,
      });
      expect(await fx.c.token.read.balanceOf([provider.address])).toBe(before - BOND);
      const [event] = parseEventLogs({ abi: slashingAbi, logs: receipt.logs, eventName: "RecheckRequested" });
      expect(event?.args).toEqual({
        slashId: id,
        provider: provider.address,
        accusedEpoch: 1n,
        recheckEpoch: 3n,
        resolveDeadline: 5n,
        committeeSize: 32n,
      });
      expect(await fx.c.slashing.read.accusersOf([id])).toEqual(accusers());
      expect(await fx.c.slashing.read.recheckCommittee([id])).toHaveLength(32);
    });

    it("draws the re-check committee with the documented formula", async () => {
      const { id } = await contested();
      const seed = await fx.c.reports.read.seedOf([3n]);
      // Drawn from the snapshot of the re-check epoch (nobody is jailed: every first draw takes its seat).
      const count = Number(await fx.c.registry.read.licenseCountAt([3n]));
      const expected = [];
      for (let j = 0; j < 32; j++)
        expected.push(
          (await fx.c.registry.read.licenseAt([3n, BigInt(recheckSeatIndex(seed, id, j, count))]))[1],
        );
      expect(await fx.c.slashing.read.recheckCommittee([id])).toEqual(expected);
      expect(RecheckTag.RECHECK_COMMITTEE).toMatch(/^0x[0-9a-f]{64}$/);
    });

    it("contests a slash someone else opened, with the same leaf only", async () => {
      const { id, leaf, proof } = await openedSlash();
      const other = { ...leaf, accusers: accusers().slice(0, 2) };
      await expectRevert(
        fx.as(provider.wallet).slashing.write.contest([1n, other, proof]),
        "SlashingLeafMismatch",
        [id],
      );
      await mined(chain, fx.as(provider.wallet).slashing.write.contest([1n, leaf, []]));
      expect((await fx.c.slashing.read.slashOf([id])).status).toBe(Status.Contested);
      await expectRevert(
        fx.as(provider.wallet).slashing.write.contest([1n, leaf, []]),
        "SlashingInvalidStatus",
        [id, Status.Contested],
      );
      await expectRevert(fx.c.slashing.write.executeSlash([id]), "SlashingInvalidStatus", [
        id,
        Status.Contested,
      ]);
    });

    it("lets only the provider contest, and only within the window", async () => {
      const { leaf, proof } = await failEpoch(1n);
      await expectRevert(
        fx.as(honest.wallet).slashing.write.contest([1n, leaf, proof]),
        "SlashingUnauthorizedContester",
        [honest.address, provider.address],
      );
      await goToEpoch(fx, 6n);
      await expectRevert(
        fx.as(provider.wallet).slashing.write.contest([1n, leaf, proof]),
        "SlashingContestWindowClosed",
        [1n, 6n, 5n],
      );
    });
  });

  describe("re-check resolution", () => {
    it("upholds on a FAIL re-check: slash executed and bond burned", async () => {
      const { id } = await contested();
      await goToEpoch(fx, 3n);
      const { header, bitfield, signature } = await recheck(id, 1);
      expect(await fx.c.slashing.read.recheckSigningRoot([header])).toBe(
        bytesToHex(
          recheckSigningRoot(
            header,
            await fx.c.reports.read.domainSeparator(),
            fx.deployment.contracts.slashing,
          ),
        ),
      );
      const supply = await fx.c.token.read.totalSupply();
      const receipt = await mined(chain, fx.c.slashing.write.submitRecheck([header, bitfield, signature]));
      const names = parseEventLogs({ abi: slashingAbi, logs: receipt.logs }).map((e) => e.eventName);
      expect(names).toEqual(["SlashUpheld", "SlashExecuted"]);
      expect(await fx.c.token.read.totalSupply()).toBe(supply - 100n * TOKEN - BOND);
      expect((await fx.c.slashing.read.slashOf([id])).status).toBe(Status.Executed);
      expect(await fx.c.slashing.read.pendingSlashCount([provider.address])).toBe(0n);
    });

    it("overturns on a PASS re-check: bond back, accusers jailed from the next snapshot, their rewards of the epoch forfeited", async () => {
      const { id, published } = await contested();
      await goToEpoch(fx, 3n);
      const before = await fx.c.token.read.balanceOf([provider.address]);
      const { header, bitfield, signature } = await recheck(id, 0);
      const receipt = await mined(chain, fx.c.slashing.write.submitRecheck([header, bitfield, signature]));
      const [penalized] = parseEventLogs({
        abi: slashingAbi,
        logs: receipt.logs,
        eventName: "AccusersPenalized",
      });
      // Resolved in epoch 3: jailed from epoch 5 (activation delay 2) for accuserJailEpochs epochs.
      const jailUntil = 5n + (await fx.c.slashing.read.accuserJailEpochs()) - 1n;
      expect(penalized?.args).toEqual({
        slashId: id,
        accusers: accusers(),
        fromEpoch: 5n,
        untilEpoch: jailUntil,
      });
      expect(await fx.c.token.read.balanceOf([provider.address])).toBe(before + BOND);
      expect(await fx.c.providers.read.stakeOf([provider.address])).toBe(1_000n * TOKEN);
      expect((await fx.c.slashing.read.slashOf([id])).status).toBe(Status.Cancelled);
      // Resolved in epoch 3: jailed from epoch 5 (activation delay 2), so no snapshot already fixed changes.
      for (const accuser of accusers()) {
        expect(await fx.c.registry.read.jailOf([accuser])).toEqual([5n, jailUntil]);
        expect(await fx.c.registry.read.isJailed([accuser, 4n])).toBe(false);
        expect(await fx.c.registry.read.isJailed([accuser, 5n])).toBe(true);
        expect(await fx.c.slashing.read.isPenalized([accuser, 1n])).toBe(true);
      }
      expect(await fx.c.slashing.read.isPenalized([checkers[3]!.address, 1n])).toBe(false);
      // The accusers' licenses forfeit epoch 1's reward; nobody else's.
      await unlockLicenseRewards(fx, 1n);
      const accuser = checkers[0]!;
      const leaf = { beneficiary: Beneficiary.LICENSE, id: accuser.licenses[0]!, amount: TOKEN };
      await expectRevert(
        fx.c.rewards.write.claim([1n, leaf, rewardProof(published.rewards!, Beneficiary.LICENSE, leaf.id)]),
        "RewardsForfeited",
        [1n, leaf.id, accuser.address],
      );
      // A jailed operator takes no new delegation.
      await mined(chain, fx.c.license.write.mint([fx.deployment.deployer]));
      const fresh = await fx.c.license.read.totalSupply();
      await expectRevert(
        fx.c.license.write.delegate([fresh, accuser.address]),
        "CheckerRegistryOperatorUnavailable",
        [accuser.address],
      );
      // The jail ends.
      await goToEpoch(fx, jailUntil + 1n);
      await mined(chain, fx.c.license.write.delegate([fresh, accuser.address]));
    });

    it("cancels the slash without penalty on an INCONCLUSIVE re-check, but burns the bond", async () => {
      const { id } = await contested();
      await goToEpoch(fx, 3n);
      const before = await fx.c.token.read.balanceOf([provider.address]);
      const supply = await fx.c.token.read.totalSupply();
      const { header, bitfield, signature } = await recheck(id, 2);
      const receipt = await mined(chain, fx.c.slashing.write.submitRecheck([header, bitfield, signature]));
      expect(parseEventLogs({ abi: slashingAbi, logs: receipt.logs }).map((e) => e.eventName)).toEqual([
        "ContestExpired",
        "BondForfeited",
      ]);
      expect(await fx.c.slashing.read.isPenalized([accusers()[0]!, 1n])).toBe(false);
      expect(await fx.c.token.read.balanceOf([fx.deployment.contracts.slashing])).toBe(0n);
      expect(await fx.c.token.read.balanceOf([provider.address])).toBe(before);
      expect(await fx.c.token.read.totalSupply()).toBe(supply - BOND);
      expect(await fx.c.providers.read.stakeOf([provider.address])).toBe(1_000n * TOKEN);
    });

    it("applies the default rule after the deadline: slash cancelled without penalty, bond burned", async () => {
      const { id } = await contested();
      await expectRevert(fx.c.slashing.write.expireContest([id]), "SlashingRecheckDeadlineNotPassed", [
        id,
        1n,
        5n,
      ]);
      await goToEpoch(fx, 6n);
      const late = await recheck(id, 1);
      await expectRevert(
        fx.c.slashing.write.submitRecheck([late.header, late.bitfield, late.signature]),
        "SlashingRecheckDeadlinePassed",
        [id, 6n, 5n],
      );
      const before = await fx.c.token.read.balanceOf([provider.address]);
      await mined(chain, fx.c.slashing.write.expireContest([id]));
      expect(await fx.c.token.read.balanceOf([provider.address])).toBe(before);
      expect(await fx.c.token.read.balanceOf([fx.deployment.contracts.slashing])).toBe(0n);
      expect(await fx.c.providers.read.stakeOf([provider.address])).toBe(1_000n * TOKEN);
      expect(await fx.c.slashing.read.isPenalized([accusers()[0]!, 1n])).toBe(false);
      await expectRevert(fx.c.slashing.write.expireContest([id]), "SlashingInvalidStatus", [
        id,
        Status.Cancelled,
      ]);
    });

    it("refuses re-checks that are early, mismatched, short of quorum or badly signed", async () => {
      const { id } = await contested();
      const early = await recheck(id, 0);
      await expectRevert(
        fx.c.slashing.write.submitRecheck([early.header, early.bitfield, early.signature]),
        "SlashingRecheckNotStarted",
        [id, 1n, 3n],
      );
      await goToEpoch(fx, 3n);
      for (const fields of [
        { provider: honest.address },
        { accusedEpoch: 2n },
        { recheckEpoch: 4n },
      ] as Partial<RecheckHeader>[]) {
        const bad = await recheck(id, 0, fields);
        await expectRevert(
          fx.c.slashing.write.submitRecheck([bad.header, bad.bitfield, bad.signature]),
          "SlashingRecheckMismatch",
          [id],
        );
      }
      const badVerdict = await recheck(id, 3);
      await expectRevert(
        fx.c.slashing.write.submitRecheck([badVerdict.header, badVerdict.bitfield, badVerdict.signature]),
        "SlashingInvalidVerdict",
        [3],
      );
      const short = await recheck(id, 0, {}, allSeats(21));
      await expectRevert(
        fx.c.slashing.write.submitRecheck([short.header, short.bitfield, short.signature]),
        "EpochReportsQuorumNotReached",
        [22n, 21n],
      );
      const good = await recheck(id, 0);
      const forged = await recheck(id, 1);
      await expectRevert(
        fx.c.slashing.write.submitRecheck([good.header, good.bitfield, forged.signature]),
        "EpochReportsInvalidSignature",
      );
      await expectRevert(
        fx.c.slashing.write.submitRecheck([{ ...good.header, slashId: 42n }, good.bitfield, good.signature]),
        "SlashingUnknownSlash",
        [42n],
      );
    });
  });

  it("exposes its rules", async () => {
    expect(await fx.c.slashing.read.contestWindowEpochs()).toBe(4n);
    expect(await fx.c.slashing.read.contestBond()).toBe(BOND);
    expect(await fx.c.slashing.read.recheckDeadlineEpochs()).toBe(4n);
    expect(await fx.c.slashing.read.recheckCommitteeSize()).toBe(32n);
    expect(await currentEpoch(fx)).toBe(1n);
    expect(await fx.c.slashing.read.recheckCommittee([7n])).toEqual([]);
  });

  it("keeps published epochs usable after a slash (sanity)", async () => {
    const result: PublishedEpoch = await publishEpoch(fx, 1n, { results: [passLeaf(provider.address)] });
    expect(result.header.resultsRoot).not.toBe(zeroHash);
  });
});

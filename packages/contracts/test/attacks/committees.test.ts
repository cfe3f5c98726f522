import { DomainTag } from "@checkernet/protocol/encoding/domain";
import { beforeAll, describe, expect, it } from "vitest";
import { isolateTests, mined, type TestChain, type Wallet } from "../helpers/chain.ts";
import {
  type Checker,
  contestSlash,
  deployWithCheckers,
  type Fixture,
  failLeaf,
  fundContestBonds,
  giveLicenses,
  goToEpoch,
  headerFor,
  type Provider,
  publishEpoch,
  registerChecker,
  revealSeed,
  setupProvider,
  signRecheck,
  signReport,
  TOKEN,
} from "../helpers/fixture.ts";

/**
 * Attacks on committee membership (security review, issue "committees fixed per epoch"). Each test is
 * written so that it fails on contracts that draw committees from the live license set: there, one
 * delegate() moves most seats, so a signed report or re-check stops verifying, and a minority can pick
 * its active licenses after the seed is known.
 */
describe("attacks on committee membership", () => {
  let chain: TestChain;
  let fx: Fixture;
  let checkers: Checker[];
  let provider: Provider;
  /** A license holder outside the committee who can delegate and undelegate at will. */
  let adversary: Checker;

  beforeAll(async () => {
    ({ chain, fx, checkers } = await deployWithCheckers(6, 2));
    adversary = await registerChecker(fx, chain.wallets[12]!, "adversary");
    await giveLicenses(fx, adversary, 3);
    provider = await setupProvider(fx, chain.wallets[10]!);
    await fundContestBonds(fx, provider, 1_000n * TOKEN);
    await goToEpoch(fx, 1n);
  });
  isolateTests(() => chain);

  /** Mints `count` fresh licenses to `owner` and delegates them to `operator` now. */
  async function delegateFresh(owner: Wallet, operator: Checker, count: number): Promise<bigint[]> {
    const first = (await fx.c.license.read.totalSupply()) + 1n;
    await mined(chain, fx.c.license.write.mintBatch([owner.account.address, BigInt(count)]));
    const ids: bigint[] = [];
    for (let i = 0n; i < BigInt(count); i++) {
      await mined(chain, fx.as(owner).license.write.delegate([first + i, operator.address]));
      ids.push(first + i);
    }
    return ids;
  }

  it("a delegate() landing before an honest, fully signed report cannot void it", async () => {
    const header = await headerFor(fx, 1n);
    const committee = await fx.c.reports.read.reportCommittee([1n]);
    const signed = await signReport(fx, header);
    // The adversary reorders the active set as much as it can: it releases its licenses and takes new ones.
    for (const id of adversary.licenses)
      await mined(chain, fx.as(adversary.wallet).license.write.undelegate([id]));
    await delegateFresh(adversary.wallet, adversary, 5);
    expect(await fx.c.reports.read.reportCommittee([1n])).toEqual(committee);
    await mined(chain, fx.c.reports.write.submitReport([header, signed.bitfield, signed.signature]));
    expect(await fx.c.reports.read.lastReportedEpoch()).toBe(1n);
  });

  it("a provider cannot dodge an upheld re-check by delegating its own license", async () => {
    const accusers = checkers.slice(0, 3).map((c) => c.address);
    const leaf = failLeaf(provider.address, accusers);
    const published = await publishEpoch(fx, 1n, { results: [leaf] });
    const id = await contestSlash(fx, provider, leaf, published);
    const record = await fx.c.slashing.read.slashOf([id]);
    await goToEpoch(fx, record.recheckEpoch);
    const { header, operators, ...signed } = await signRecheck(fx, id, 1);
    // The provider owns a license and moves it right before the re-check lands.
    await delegateFresh(provider.wallet, checkers[5]!, 1);
    expect(await fx.c.slashing.read.recheckCommittee([id])).toEqual(operators);
    await mined(chain, fx.c.slashing.write.submitRecheck([header, signed.bitfield, signed.signature]));
    expect((await fx.c.slashing.read.slashOf([id])).status).toBe(3); // Executed
  });

  it("a minority cannot pick its active set once the seed is known: changes reach only later snapshots", async () => {
    // During epoch 2 the seed of epoch 3 is revealed; the adversary then floods the set with licenses.
    await goToEpoch(fx, 2n);
    await revealSeed(fx, 3n);
    const seed3 = await fx.c.reports.read.seedOf([3n]);
    const before = await fx.c.reports.read.reportCommittee([3n]);
    const proposerBefore = await fx.c.reports.read.seedProposer([3n]);
    const countBefore = await fx.c.registry.read.licenseCountAt([3n]);
    const flood = await delegateFresh(adversary.wallet, adversary, 40);
    for (const id of adversary.licenses)
      await mined(chain, fx.as(adversary.wallet).license.write.undelegate([id]));
    expect(await fx.c.reports.read.seedOf([3n])).toBe(seed3);
    expect(await fx.c.reports.read.reportCommittee([3n])).toEqual(before);
    expect(await fx.c.reports.read.seedProposer([3n])).toEqual(proposerBefore);
    expect(await fx.c.registry.read.licenseCountAt([3n])).toBe(countBefore);
    // The flood counts from epoch 4 (landed in 2, activation delay 2), where it dominates.
    expect(await fx.c.registry.read.licenseCountAt([4n])).toBe(countBefore + BigInt(flood.length) - 3n);
    // Licenses delegated after epoch 1 never sit on epoch 1's committee.
    const seats1 = await fx.c.registry.read.committeeAt([1n, DomainTag.REPORT_COMMITTEE, seed3, 1n, 64n]);
    expect(seats1.filter((op) => op === adversary.address).length).toBeLessThan(64);
    for (let i = 0n; i < (await fx.c.registry.read.licenseCountAt([1n])); i++) {
      const [licenseId] = await fx.c.registry.read.licenseAt([1n, i]);
      expect(flood).not.toContain(licenseId);
    }
  });

  it("jailed operators hold no seats: their draws go to others", async () => {
    // The adversary holds 15 of 27 licenses, so it sits on every committee drawn from epoch 3's snapshot.
    await delegateFresh(adversary.wallet, adversary, 12);
    const seed = await fx.c.reports.read.seedOf([3n]);
    const draw = (epoch: bigint) =>
      fx.c.registry.read.committeeAt([epoch, DomainTag.REPORT_COMMITTEE, seed, epoch, 16n]);
    expect((await draw(3n)).filter((op) => op === adversary.address).length).toBeGreaterThan(5);
    // Only the slashing contract jails; it acts here as it does after an overturned accusation.
    const slashing = await impersonate(fx.deployment.contracts.slashing);
    await mined(chain, fx.as(slashing).registry.write.jail([[adversary.address], 18n]));
    // Jailed from epoch 3 (landed in 1): epochs 1 and 2 keep their seats, 3 on has none.
    expect(await fx.c.registry.read.isJailed([adversary.address, 2n])).toBe(false);
    expect(await fx.c.registry.read.isJailed([adversary.address, 3n])).toBe(true);
    expect((await draw(2n)).some((op) => op === adversary.address)).toBe(true);
    for (const epoch of [3n, 4n, 20n]) {
      const seats = await draw(epoch);
      expect(seats).not.toContain(adversary.address);
      // Most seats were redrawn onto honest operators rather than left empty.
      expect(
        seats.filter((op) => op !== "0x0000000000000000000000000000000000000000").length,
      ).toBeGreaterThan(8);
    }
    const [proposer] = await fx.c.reports.read.seedProposer([5n]);
    expect(proposer).not.toBe(adversary.address);
    expect(await draw(21n)).toContain(adversary.address);
  });

  it("separate jails stay separate: a jail of epochs 3-10 and one of 62-110 leave epoch 50 free", async () => {
    const slashing = await impersonate(fx.deployment.contracts.slashing);
    const target = checkers[0]!.address;
    await mined(chain, fx.as(slashing).registry.write.jail([[target], 8n]));
    await goToEpoch(fx, 60n);
    await mined(chain, fx.as(slashing).registry.write.jail([[target], 49n]));
    expect(await fx.c.registry.read.isJailed([target, 5n])).toBe(true);
    expect(await fx.c.registry.read.isJailed([target, 50n])).toBe(false);
    expect(await fx.c.registry.read.isJailed([target, 62n])).toBe(true);
    expect(await fx.c.registry.read.isJailed([target, 111n])).toBe(false);
    expect(await fx.c.registry.read.jailOf([target])).toEqual([62n, 110n]);
    // A jail starting inside a longer running one does not shorten it.
    await mined(chain, fx.as(slashing).registry.write.jail([[target], 1n]));
    expect(await fx.c.registry.read.isJailed([target, 100n])).toBe(true);
  });

  function impersonate(address: `0x${string}`): Promise<Wallet> {
    return chain.impersonateAddress(address);
  }
});

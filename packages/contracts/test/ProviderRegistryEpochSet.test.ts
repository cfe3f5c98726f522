import { resultProof } from "@checkernet/protocol/merkle/trees";
import { beforeAll, describe, expect, it } from "vitest";
import { isolateTests, mined, type TestChain } from "./helpers/chain.ts";
import {
  type Checker,
  deployWithCheckers,
  type Fixture,
  failLeaf,
  goToEpoch,
  type Provider,
  publishEpoch,
  revealSeed,
  setupProvider,
  TOKEN,
} from "./helpers/fixture.ts";

/**
 * The checking set of an epoch (isActiveAt): a change in epoch c that enters it (a registration and first
 * stake, a re-stake) counts from c + activationDelayEpochs (2 here), one that leaves it from c + 2 (an
 * unstake never before the epoch after a pending entry; a slash under the minimum whatever is pending,
 * ProviderRegistrySlashKeys.test.ts), any other from c + 2.
 * So the set of e and its stakes depend only on changes in epochs <= e − 2: every node reads the same ones
 * from the time the chain is in e − 1, and a provider that learns seed(e) during e − 1 can no longer choose
 * an address or a stake for e (issue 14).
 */
describe("ProviderRegistry: the checking set of each epoch", () => {
  let chain: TestChain;
  let fx: Fixture;
  let checkers: Checker[];
  /** Staked at exactly the minimum before genesis: in every set from epoch 1. */
  let provider: Provider;
  const minStake = 1_000n * TOKEN;

  beforeAll(async () => {
    ({ chain, fx, checkers } = await deployWithCheckers(6, 2));
    provider = await setupProvider(fx, chain.wallets[10]!, minStake);
    await goToEpoch(fx, 1n);
  });
  isolateTests(() => chain);

  const activeIn = (address: `0x${string}`, epochs: bigint[]) =>
    Promise.all(epochs.map((e) => fx.c.providers.read.isActiveAt([address, e])));

  it("counts a registration before genesis from epoch 1, and never before it registered", async () => {
    expect(await activeIn(provider.address, [0n, 1n, 2n])).toEqual([false, true, true]);
    expect(await fx.c.providers.read.stakeAt([provider.address, 1n])).toBe(minStake);
    const stranger = chain.wallets[12]!.account.address;
    expect(await activeIn(stranger, [1n, 2n])).toEqual([false, false]);
  });

  it("adds a provider registered and staked mid-epoch activationDelayEpochs later", async () => {
    await goToEpoch(fx, 2n);
    const late = await setupProvider(fx, chain.wallets[11]!, minStake);
    // Live: active at once (its own agent sees that); the checking sets of epochs 2 and 3 are unchanged.
    expect(await fx.c.providers.read.isActive([late.address])).toBe(true);
    expect(await activeIn(late.address, [2n, 3n, 4n])).toEqual([false, false, true]);
    await goToEpoch(fx, 4n);
    expect(await activeIn(late.address, [1n, 2n, 3n, 4n, 5n])).toEqual([false, false, false, true, true]);
  });

  it("does not let an address registered and staked once seed(e) is out (in e − 1) into e's set", async () => {
    // The grinding attack: seed(5) is revealed during epoch 4, so an adversary knows its own seats on any
    // provider address for epoch 5 and can grind one whose committee it holds. Registered and staked then,
    // the address must not be checked in 5 (nor before an honest-unknown seed's epoch, 4 + D = 6).
    await goToEpoch(fx, 4n);
    await revealSeed(fx, 5n);
    const delay = await fx.c.providers.read.activationDelayEpochs();
    const ground = await setupProvider(fx, chain.wallets[11]!, minStake);
    expect(await activeIn(ground.address, [5n, 4n + delay - 1n, 4n + delay])).toEqual([false, false, true]);
    await goToEpoch(fx, 5n);
    expect(await activeIn(ground.address, [5n])).toEqual([false]);
  });

  it("keeps a provider that unstakes under the minimum in epoch c in the sets up to c + 1", async () => {
    await goToEpoch(fx, 2n);
    await mined(chain, fx.as(provider.wallet).providers.write.requestUnstake([1n]));
    expect(await fx.c.providers.read.isActive([provider.address])).toBe(false);
    expect(await activeIn(provider.address, [1n, 2n, 3n, 4n])).toEqual([true, true, true, false]);
    expect(await fx.c.providers.read.stakeAt([provider.address, 3n])).toBe(minStake);
    expect(await fx.c.providers.read.stakeAt([provider.address, 4n])).toBe(minStake - 1n);
    // Past epochs stay readable: a late report of epoch 3 is judged on epoch 3's set.
    await goToEpoch(fx, 9n);
    expect(await activeIn(provider.address, [1n, 3n, 4n, 9n])).toEqual([true, true, false, false]);
  });

  it("counts the last of several changes in one epoch, and an epoch's set is final once it has begun", async () => {
    await goToEpoch(fx, 2n);
    const own = fx.as(provider.wallet);
    await mined(chain, own.providers.write.requestUnstake([1n]));
    expect(await activeIn(provider.address, [4n])).toEqual([false]);
    await mined(chain, fx.c.token.write.transfer([provider.address, 1n]));
    await mined(chain, own.token.write.approve([fx.deployment.contracts.providerRegistry, 1n]));
    // Back in the same epoch: the entry's key (2 + D = 4) is the leave's, and the last change counts.
    await mined(chain, own.providers.write.stake([1n]));
    expect(await activeIn(provider.address, [3n, 4n])).toEqual([true, true]);
    await goToEpoch(fx, 3n);
    // Out in epoch 3: the sets of 3 and 4 keep it (final once the chain is in 3), epoch 5's does not.
    await mined(chain, own.providers.write.requestUnstake([1n]));
    expect(await activeIn(provider.address, [2n, 3n, 4n, 5n])).toEqual([true, true, true, false]);
  });

  it("counts a top-up of an active provider from c + max(D, 2) and a trim after it from the epoch after", async () => {
    await goToEpoch(fx, 3n);
    const own = fx.as(provider.wallet);
    await mined(chain, fx.c.token.write.transfer([provider.address, 5n]));
    await mined(chain, own.token.write.approve([fx.deployment.contracts.providerRegistry, 5n]));
    // seed(4) is known during 3: the reward weight and slash amount of 4 must not follow it (D = 2 here).
    await mined(chain, own.providers.write.stake([5n]));
    expect(await fx.c.providers.read.stakeAt([provider.address, 4n])).toBe(minStake);
    expect(await fx.c.providers.read.stakeAt([provider.address, 5n])).toBe(minStake + 5n);
    // A partial unstake can't take back a pending top-up: it counts from the epoch after it (6).
    await mined(chain, own.providers.write.requestUnstake([2n]));
    expect(await fx.c.providers.read.stakeAt([provider.address, 4n])).toBe(minStake);
    expect(await fx.c.providers.read.stakeAt([provider.address, 5n])).toBe(minStake + 5n);
    expect(await fx.c.providers.read.stakeAt([provider.address, 6n])).toBe(minStake + 3n);
  });

  it("drops a slashed provider under the minimum from the next epoch's set, while the slash takes stake at once", async () => {
    const accusers = checkers.slice(0, 3).map((c) => c.address);
    const leaf = failLeaf(provider.address, accusers, 100n * TOKEN);
    const published = await publishEpoch(fx, 1n, { results: [leaf] });
    await mined(
      chain,
      fx.c.slashing.write.openSlash([1n, leaf, resultProof(published.results!, provider.address)]),
    );
    const id = await fx.c.slashing.read.slashIdOf([1n, provider.address]);
    await goToEpoch(fx, 6n);
    await mined(chain, fx.c.slashing.write.executeSlash([id]));
    expect(await fx.c.providers.read.stakeOf([provider.address])).toBe(900n * TOKEN);
    expect(await fx.c.providers.read.isActive([provider.address])).toBe(false);
    expect(await activeIn(provider.address, [6n, 7n, 8n])).toEqual([true, true, false]);
    expect(await fx.c.providers.read.stakeAt([provider.address, 8n])).toBe(900n * TOKEN);
  });
});

/** A delay longer than a leave's 2 epochs (production: 54): a leave can fall before a pending entry. */
describe("ProviderRegistry: the checking set with activationDelayEpochs 4", () => {
  let chain: TestChain;
  let fx: Fixture;
  const minStake = 1_000n * TOKEN;

  beforeAll(async () => {
    ({ chain, fx } = await deployWithCheckers(6, 2, { activationDelayEpochs: 4n }));
    await goToEpoch(fx, 2n);
  });
  isolateTests(() => chain);

  const activeIn = (address: `0x${string}`, epochs: bigint[]) =>
    Promise.all(epochs.map((e) => fx.c.providers.read.isActiveAt([address, e])));

  it("enters 4 epochs after a stake, and a leave before that does not cancel the pending entry", async () => {
    const late = await setupProvider(fx, chain.wallets[11]!, minStake);
    expect(await activeIn(late.address, [3n, 5n, 6n])).toEqual([false, false, true]);
    await goToEpoch(fx, 3n);
    // Leaves in 3 (a leave counts from 5), before its entry (6): it is still in 6's set, and out from 7.
    await mined(chain, fx.as(late.wallet).providers.write.requestUnstake([1n]));
    expect(await activeIn(late.address, [4n, 5n, 6n, 7n, 9n])).toEqual([false, false, true, false, false]);
    expect(await fx.c.providers.read.stakeAt([late.address, 6n])).toBe(minStake);
    expect(await fx.c.providers.read.stakeAt([late.address, 7n])).toBe(minStake - 1n);
    // A re-stake is a new entry, from 3 + 4 = 7, and replaces the leave at 7: in from 6 on (keys 6, 7).
    const own = fx.as(late.wallet);
    await mined(chain, fx.c.token.write.transfer([late.address, 1n]));
    await mined(chain, own.token.write.approve([fx.deployment.contracts.providerRegistry, 1n]));
    await mined(chain, own.providers.write.stake([1n]));
    expect(await activeIn(late.address, [5n, 6n, 7n, 8n])).toEqual([false, true, true, true]);
  });

  it("keeps an entry made blind in a set even when its maker leaves once seed(e) is computable (e − 2)", async () => {
    // The reviewer's attack: staked in 2 (entry 6); seed(6)'s proposer knows it during 4 and would cancel
    // the entries whose committees it does not hold. The leave in 4 counts from 7: checked in 6 anyway.
    const blind = await setupProvider(fx, chain.wallets[11]!, minStake);
    expect(await activeIn(blind.address, [5n, 6n, 7n])).toEqual([false, true, true]);
    await goToEpoch(fx, 4n);
    await mined(chain, fx.as(blind.wallet).providers.write.requestUnstake([1n]));
    expect(await activeIn(blind.address, [5n, 6n, 7n])).toEqual([false, true, false]);
  });

  it("keeps a leave after a pending entry unbonding until U epochs after that entry's checked epoch", async () => {
    // Staked in 2 (entry 6), all unstaked in 3: the leave counts from 7, so the tokens are in 6's set and
    // slashable for what 6's committee finds. Unbonding ends at 7 − 2 + U, not 3 + U (review3 P2-0: with
    // D = 54 and U = 20 the tokens were withdrawn 30 epochs before the one epoch they were checked and paid in).
    const blind = await setupProvider(fx, chain.wallets[11]!, minStake);
    await goToEpoch(fx, 3n);
    const own = fx.as(blind.wallet).providers;
    await mined(chain, own.write.requestUnstake([minStake]));
    expect(await activeIn(blind.address, [6n, 7n])).toEqual([true, false]);
    const u = await fx.c.providers.read.unbondingEpochs();
    await goToEpoch(fx, 3n + u);
    await expect(mined(chain, own.write.withdraw())).rejects.toThrow(/ProviderRegistryUnbonding/);
    await goToEpoch(fx, 5n + u);
    await mined(chain, own.write.withdraw());
    expect(await fx.c.token.read.balanceOf([blind.address])).toBeGreaterThanOrEqual(minStake);
  });

  it("counts a top-up made while an entry is pending from its own c + D, not with the entry", async () => {
    const late = await setupProvider(fx, chain.wallets[11]!, minStake);
    await goToEpoch(fx, 3n);
    const own = fx.as(late.wallet);
    await mined(chain, fx.c.token.write.transfer([late.address, 5n]));
    await mined(chain, own.token.write.approve([fx.deployment.contracts.providerRegistry, 5n]));
    await mined(chain, own.providers.write.stake([5n]));
    expect(await activeIn(late.address, [5n, 6n])).toEqual([false, true]);
    expect(await fx.c.providers.read.stakeAt([late.address, 4n])).toBe(0n);
    expect(await fx.c.providers.read.stakeAt([late.address, 6n])).toBe(minStake);
    expect(await fx.c.providers.read.stakeAt([late.address, 7n])).toBe(minStake + 5n);
  });

  // review3 P1-3: stakeAt(e) is both e's reward weight and its FAIL slash amount, and seed(e)'s proposer can
  // compute seed(e) as soon as seed(e − 1) is revealed, during e − 2. Here e = 10, D = 4, the provider active
  // since 6, and seed(9) revealed during 8 (so seed(10) is its proposer's to compute from then on).
  const E = 10n;
  const X = 500n * TOKEN;

  async function activeWithSeedOfEKnown() {
    const p = await setupProvider(fx, chain.wallets[11]!, minStake);
    const own = fx.as(p.wallet);
    await mined(chain, fx.c.token.write.transfer([p.address, X]));
    await mined(chain, own.token.write.approve([fx.deployment.contracts.providerRegistry, X]));
    return { p, own };
  }

  it("does not count a top-up made in e − 2, when seed(e)'s proposer knows e's committee, for e", async () => {
    const { p, own } = await activeWithSeedOfEKnown();
    await goToEpoch(fx, E - 2n);
    await revealSeed(fx, E - 1n);
    await mined(chain, own.providers.write.stake([X]));
    // Reward weight and slash amount of e (and e + 1) unchanged; the top-up counts from e − 2 + D.
    const at = (e: bigint) => fx.c.providers.read.stakeAt([p.address, e]);
    expect(await Promise.all([at(E), at(E + 1n), at(E + 2n)])).toEqual([minStake, minStake, minStake + X]);
  });

  it("does not let a cut in e − 2 take back a top-up made blind that counts from e", async () => {
    const { p, own } = await activeWithSeedOfEKnown();
    // Topped up in 6, blind (counts from 6 + D = e); in e − 2 its maker sees e's committee and unstakes it.
    await goToEpoch(fx, E - 4n);
    await mined(chain, own.providers.write.stake([X]));
    await goToEpoch(fx, E - 2n);
    await revealSeed(fx, E - 1n);
    await mined(chain, own.providers.write.requestUnstake([X]));
    // e weighs the top-up whatever e's committee is (the cut counts from e + 1), and the tokens stay locked U
    // epochs past e, the last epoch they are weighed in.
    const at = (e: bigint) => fx.c.providers.read.stakeAt([p.address, e]);
    expect(await Promise.all([at(E - 1n), at(E), at(E + 1n)])).toEqual([minStake, minStake + X, minStake]);
    const u = await fx.c.providers.read.unbondingEpochs();
    expect((await fx.c.providers.read.providerInfo([p.address])).unbondingEndEpoch).toBe(E - 1n + u);
  });
});

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
  setupProvider,
  TOKEN,
} from "./helpers/fixture.ts";

/**
 * The checking set of an epoch (isActiveAt) is the registry as of the epoch's start: a change mid-epoch
 * (stake, unstake, a slash, a registration) counts from the next epoch, so every node reading the set of
 * a begun epoch, before or after the change, reads the same one (issue 14).
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

  it("adds a provider registered and staked mid-epoch from the next epoch on", async () => {
    await goToEpoch(fx, 2n);
    const late = await setupProvider(fx, chain.wallets[11]!, minStake);
    // Live: active at once (its own agent sees that); the checking set of epoch 2 is unchanged.
    expect(await fx.c.providers.read.isActive([late.address])).toBe(true);
    expect(await activeIn(late.address, [2n, 3n])).toEqual([false, true]);
    await goToEpoch(fx, 3n);
    expect(await activeIn(late.address, [1n, 2n, 3n, 4n])).toEqual([false, false, true, true]);
  });

  it("keeps a provider that unstakes under the minimum mid-epoch in that epoch's set, not the next", async () => {
    await goToEpoch(fx, 2n);
    await mined(chain, fx.as(provider.wallet).providers.write.requestUnstake([1n]));
    expect(await fx.c.providers.read.isActive([provider.address])).toBe(false);
    expect(await activeIn(provider.address, [1n, 2n, 3n])).toEqual([true, true, false]);
    expect(await fx.c.providers.read.stakeAt([provider.address, 2n])).toBe(minStake);
    expect(await fx.c.providers.read.stakeAt([provider.address, 3n])).toBe(minStake - 1n);
    // Past epochs stay readable: a late report of epoch 2 is judged on epoch 2's set.
    await goToEpoch(fx, 9n);
    expect(await activeIn(provider.address, [1n, 2n, 3n, 9n])).toEqual([true, true, false, false]);
  });

  it("counts the last of several changes in one epoch, and an epoch's set is final once it has begun", async () => {
    await goToEpoch(fx, 2n);
    const own = fx.as(provider.wallet);
    await mined(chain, own.providers.write.requestUnstake([1n]));
    expect(await activeIn(provider.address, [3n])).toEqual([false]);
    await mined(chain, fx.c.token.write.transfer([provider.address, 1n]));
    await mined(chain, own.token.write.approve([fx.deployment.contracts.providerRegistry, 1n]));
    await mined(chain, own.providers.write.stake([1n]));
    expect(await activeIn(provider.address, [3n])).toEqual([true]);
    await goToEpoch(fx, 3n);
    // Out in epoch 3: epoch 3's set keeps it (final), epoch 4's does not.
    await mined(chain, own.providers.write.requestUnstake([1n]));
    expect(await activeIn(provider.address, [2n, 3n, 4n])).toEqual([true, true, false]);
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
    expect(await activeIn(provider.address, [5n, 6n, 7n])).toEqual([true, true, false]);
    expect(await fx.c.providers.read.stakeAt([provider.address, 7n])).toBe(900n * TOKEN);
  });
});

import { beforeAll, describe, expect, it } from "vitest";
import { isolateTests, mined, type TestChain, type Wallet } from "./helpers/chain.ts";
import {
  deployWithCheckers,
  type Fixture,
  goToEpoch,
  type Provider,
  setupProvider,
  TOKEN,
} from "./helpers/fixture.ts";

type Op = "top-up" | "cut" | "slash";
const OPS: readonly Op[] = ["top-up", "cut", "slash"];
/** Epochs to move on before the second and third change: all in one epoch, one apart, two apart. */
const STEPS: readonly (readonly [bigint, bigint])[] = [
  [0n, 0n],
  [1n, 1n],
  [2n, 0n],
];
const MIN_STAKE = 1_000n * TOKEN;

/** A chain whose providers are slashed by the Slashing contract's own address (impersonated: the registry's caller check is real). */
async function slashingChain(activationDelayEpochs: bigint) {
  const { chain, fx } = await deployWithCheckers(6, 2, { activationDelayEpochs });
  const slasher = await chain.impersonateAddress(fx.deployment.contracts.slashing);
  return { chain, fx, slasher };
}

async function fund(fx: Fixture, provider: Provider, amount: bigint) {
  await mined(fx.chain, fx.c.token.write.transfer([provider.address, amount]));
  await mined(
    fx.chain,
    fx.as(provider.wallet).token.write.approve([fx.deployment.contracts.providerRegistry, amount]),
  );
}

const stakesFrom = (fx: Fixture, provider: Provider, first: bigint, last: bigint) =>
  Promise.all(
    Array.from({ length: Number(last - first + 1n) }, (_, i) =>
      fx.c.providers.read.stakeAt([provider.address, first + BigInt(i)]),
    ),
  );

/**
 * A slash is not a voluntary cut (review5 H2): it counts from c + 2 whatever raise is pending, and every
 * pending checkpoint loses it, so after a slash in epoch c no epoch from c + 2 counts more stake than is left
 * (stakeAt(e) <= stakeOf). Before, a slash was keyed like a cut, after a pending raise: a 1-wei top-up kept a
 * provider slashed to nothing in D checking sets at its old stake, and (stake 2, unstake 1) pairs pushed it
 * one epoch further each.
 */
describe("ProviderRegistry: a slash counts from c + 2 over pending raises (activationDelayEpochs 4)", () => {
  const DELAY = 4n;
  let chain: TestChain;
  let fx: Fixture;
  let slasher: Wallet;

  beforeAll(async () => {
    ({ chain, fx, slasher } = await slashingChain(DELAY));
    await goToEpoch(fx, 2n);
  });
  isolateTests(() => chain);

  async function change(provider: Provider, op: Op) {
    const stake = await fx.c.providers.read.stakeOf([provider.address]);
    if (op === "top-up") {
      // One wei: the cheapest raise, the one that deferred a slash by D epochs.
      const amount = stake >= MIN_STAKE ? 1n : MIN_STAKE - stake;
      await fund(fx, provider, amount);
      await mined(chain, fx.as(provider.wallet).providers.write.stake([amount]));
    } else if (op === "cut") {
      if (stake > 0n)
        await mined(chain, fx.as(provider.wallet).providers.write.requestUnstake([stake / 4n + 1n]));
    } else {
      // Half of the stake: what is left must bound every pending epoch, not only reach zero.
      await mined(chain, fx.as(slasher).providers.write.slash([provider.address, stake / 2n + 1n]));
    }
  }

  it("bounds stakeAt(c + 2 .. c + D + 2) by stakeOf after a slash in c, for every order of top-up, cut and slash", async () => {
    let cases = 0;
    for (const a of OPS)
      for (const b of OPS)
        for (const c of OPS)
          for (const [step2, step3] of STEPS) {
            if (![a, b, c].includes("slash")) continue;
            const snapshot = await chain.testClient.snapshot();
            const provider = await setupProvider(fx, chain.wallets[11]!, MIN_STAKE);
            let epoch = 2n + DELAY;
            await goToEpoch(fx, epoch);
            for (const [op, step] of [
              [a, 0n],
              [b, step2],
              [c, step3],
            ] as const) {
              if (step > 0n) {
                epoch += step;
                await goToEpoch(fx, epoch);
              }
              const label = `${a}/${b}/${c} steps ${step2},${step3}: ${op} in ${epoch}`;
              const before = await stakesFrom(fx, provider, 1n, epoch + DELAY + 2n);
              await change(provider, op);
              const after = await stakesFrom(fx, provider, 1n, epoch + DELAY + 2n);
              // Epochs up to c + 1 are final whatever the change.
              expect(after.slice(0, Number(epoch + 1n)), label).toEqual(before.slice(0, Number(epoch + 1n)));
              if (op !== "slash") continue;
              const live = await fx.c.providers.read.stakeOf([provider.address]);
              const pending = after.slice(Number(epoch + 1n));
              expect(
                pending.every((s) => s <= live),
                `${label}: stakeAt(c + 2 ..) ${pending} above stakeOf ${live}`,
              ).toBe(true);
              pending.forEach((s, i) => {
                expect(s <= before[Number(epoch + 1n) + i]!, `${label}: the slash raised an epoch`).toBe(
                  true,
                );
              });
            }
            await chain.testClient.revert({ id: snapshot });
            cases++;
          }
    expect(cases).toBe(57);
  });
});

/** The two reproductions of review5 H2 (/tmp/r5/slashDeferred.mts): activationDelayEpochs 10, the whole stake slashed in epoch 101. */
describe("ProviderRegistry: a slash under a pending raise (activationDelayEpochs 10)", () => {
  const DELAY = 10n;
  let chain: TestChain;
  let fx: Fixture;
  let slasher: Wallet;
  let provider: Provider;

  beforeAll(async () => {
    ({ chain, fx, slasher } = await slashingChain(DELAY));
    await goToEpoch(fx, 1n);
    provider = await setupProvider(fx, chain.wallets[11]!, MIN_STAKE);
    await goToEpoch(fx, 100n);
    await fund(fx, provider, TOKEN);
  });
  isolateTests(() => chain);

  async function slashAllIn101() {
    await goToEpoch(fx, 101n);
    const stake = await fx.c.providers.read.stakeOf([provider.address]);
    await mined(chain, fx.as(slasher).providers.write.slash([provider.address, stake]));
    expect(await fx.c.providers.read.stakeOf([provider.address])).toBe(0n);
  }

  async function activeFrom(first: bigint, last: bigint) {
    return Promise.all(
      Array.from({ length: Number(last - first + 1n) }, (_, i) =>
        fx.c.providers.read.isActiveAt([provider.address, first + BigInt(i)]),
      ),
    );
  }

  it("drops a provider that topped up 1 wei before its slash from c + 2 (was D epochs later)", async () => {
    await mined(chain, fx.as(provider.wallet).providers.write.stake([1n]));
    await slashAllIn101();
    // 102 was final when the slash landed; from 103 on nothing is left to count.
    expect(await fx.c.providers.read.stakeAt([provider.address, 102n])).toBe(MIN_STAKE);
    expect(new Set(await stakesFrom(fx, provider, 103n, 101n + DELAY + 2n))).toEqual(new Set([0n]));
    expect(await activeFrom(103n, 101n + DELAY + 2n)).not.toContain(true);
  });

  it("drops it from c + 2 after 30 (stake 2, unstake 1) pairs (each pushed the slash one epoch further)", async () => {
    const own = fx.as(provider.wallet).providers;
    for (let i = 0; i < 30; i++) {
      await mined(chain, own.write.stake([2n]));
      await mined(chain, own.write.requestUnstake([1n]));
    }
    await slashAllIn101();
    expect(new Set(await stakesFrom(fx, provider, 103n, 141n))).toEqual(new Set([0n]));
    expect(await activeFrom(103n, 141n)).not.toContain(true);
    // The cuts count from the epoch after the raises' own first epoch, not one more per pair, and unbond U
    // epochs past the last set they count in.
    const unbondingEnd = (await fx.c.providers.read.providerInfo([provider.address])).unbondingEndEpoch;
    expect(unbondingEnd).toBe(100n + DELAY + 1n - 2n + (await fx.c.providers.read.unbondingEpochs()));
  });
});

/**
 * The most a slash rewrites: every checkpoint from c + 2 on, and keys never pass c + max(D, 2) + 1 (a raise
 * counts from c + D, a cut one after the latest raise's own key), so at most D of them. Measured here at the
 * production delay, with a new key c + 2 under all of them (each moves up a slot): the bound
 * docs/protocol/contracts.md gives for `_take` (a slash with nothing pending: about 57,000).
 */
describe("ProviderRegistry: the checkpoints a slash rewrites (activationDelayEpochs 54)", () => {
  const DELAY = 54n;

  it("rewrites at most D pending checkpoints, under 450,000 gas", async () => {
    const { chain, fx, slasher } = await slashingChain(DELAY);
    await goToEpoch(fx, 1n);
    const provider = await setupProvider(fx, chain.wallets[11]!, 2n * MIN_STAKE);
    await fund(fx, provider, TOKEN);
    const own = fx.as(provider.wallet).providers;
    const c = 200n;
    // Top-ups in c − D + 3 .. c (keys c + 3 .. c + D) and a cut in c (c + D + 1): D − 1 pending checkpoints,
    // all moved up a slot by the slash's new one at c + 2.
    for (let e = c - DELAY + 3n; e <= c; e++) {
      await goToEpoch(fx, e);
      await mined(chain, own.write.stake([1n]));
    }
    await mined(chain, own.write.requestUnstake([1n]));
    const { gasUsed } = await mined(
      chain,
      fx.as(slasher).providers.write.slash([provider.address, MIN_STAKE / 10n]),
    );
    expect(gasUsed < 450_000n, `slash: ${gasUsed} gas`).toBe(true);
    const live = await fx.c.providers.read.stakeOf([provider.address]);
    const pending = await stakesFrom(fx, provider, c + 2n, c + DELAY + 2n);
    expect(pending.filter((s) => s > live)).toEqual([]);
    expect(pending.at(-1)).toBe(live);
  });
});

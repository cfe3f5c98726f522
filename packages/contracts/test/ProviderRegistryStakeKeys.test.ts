import { beforeAll, describe, expect, it } from "vitest";
import { isolateTests, mined, type TestChain } from "./helpers/chain.ts";
import {
  deployWithCheckers,
  type Fixture,
  goToEpoch,
  type Provider,
  setupProvider,
  TOKEN,
} from "./helpers/fixture.ts";

type Op = "enter-or-top-up" | "trim" | "leave";
const OPS: readonly Op[] = ["enter-or-top-up", "trim", "leave"];
/** Epochs to move on before the second and third change: all in one epoch, one apart, two apart. */
const STEPS: readonly (readonly [bigint, bigint])[] = [
  [0n, 0n],
  [1n, 1n],
  [2n, 0n],
];
const DELAY = 4n;

/**
 * Every order of three stake changes (an entry or top-up, a partial unstake that stays at the minimum, a
 * leave), all in one epoch or spread, from a provider whose entry is pending and from an active one. For
 * each: no change reverts (the trace stays sorted; a slash writes it through the same function, so a revert
 * here would also block a slash: ProviderRegistrySlashKeys.test.ts adds slashes to the orders), a change made in epoch c leaves stakeAt of every epoch up to
 * c + 1 as it was (final once seed(c + 1) is known), a raise (entry, top-up) leaves every epoch before c + D
 * as it was (no stake is added once its epoch's seed can be known: its proposer knows it in e − 2), a decrease
 * never lowers the first epoch of a pending raise (it can't take back stake added blind), and every entry is in
 * at least one set of c + 1 .. c + D (a later leave can't cancel it) (issue 14, review3 P1-3).
 */
describe("ProviderRegistry: stake checkpoint keys over sequences of changes (activationDelayEpochs 4)", () => {
  let chain: TestChain;
  let fx: Fixture;
  const minStake = 1_000n * TOKEN;

  beforeAll(async () => {
    ({ chain, fx } = await deployWithCheckers(6, 2, { activationDelayEpochs: DELAY }));
    await goToEpoch(fx, 2n);
  });
  isolateTests(() => chain);

  async function change(provider: Provider, op: Op): Promise<boolean> {
    const own = fx.as(provider.wallet);
    const stake = await fx.c.providers.read.stakeOf([provider.address]);
    if (op === "enter-or-top-up") {
      const amount = stake >= minStake ? 5n : minStake + 5n - stake;
      await mined(chain, fx.c.token.write.transfer([provider.address, amount]));
      await mined(chain, own.token.write.approve([fx.deployment.contracts.providerRegistry, amount]));
      await mined(chain, own.providers.write.stake([amount]));
      return stake < minStake;
    }
    const amount =
      op === "trim" ? (stake > minStake ? 1n : 0n) : stake >= minStake ? stake - minStake + 1n : 0n;
    if (amount > 0n) await mined(chain, own.providers.write.requestUnstake([amount]));
    return false;
  }

  const stakesUpTo = (provider: Provider, last: bigint) =>
    Promise.all(
      Array.from({ length: Number(last) }, (_, i) =>
        fx.c.providers.read.stakeAt([provider.address, BigInt(i + 1)]),
      ),
    );

  /**
   * stakes[i] is stakeAt(i + 1). A raise changes nothing before c + D; a decrease changes no epoch from c + 2
   * on where a pending raise first counts (its stake above the epoch before's) and raises no epoch.
   */
  function expectKeyedBlind(op: Op, c: bigint, before: bigint[], after: bigint[], label: string) {
    if (op === "enter-or-top-up") {
      expect(after.slice(0, Number(c + DELAY - 1n)), `${label}: raise`).toEqual(
        before.slice(0, Number(c + DELAY - 1n)),
      );
      return;
    }
    for (let e = Number(c) + 2; e <= before.length; e++) {
      const [previous, value, now] = [before[e - 2]!, before[e - 1]!, after[e - 1]!];
      if (value > previous) expect(now, `${label}: decrease vs the raise counted from ${e}`).toBe(value);
      expect(now <= value, `${label}: decrease raised ${e}`).toBe(true);
    }
  }

  it.each([
    ["an entry pending", false],
    ["active", true],
  ] as const)("keeps keys in order, past stakes final and entries in a set (%s)", async (_, active) => {
    let cases = 0;
    for (const a of OPS)
      for (const b of OPS)
        for (const c of OPS)
          for (const [step2, step3] of STEPS) {
            const snapshot = await chain.testClient.snapshot();
            const provider = await setupProvider(fx, chain.wallets[11]!, minStake);
            let epoch = 2n;
            if (active) {
              epoch += DELAY;
              await goToEpoch(fx, epoch);
            }
            const entries: bigint[] = active ? [] : [2n];
            for (const [op, step] of [
              [a, 0n],
              [b, step2],
              [c, step3],
            ] as const) {
              if (step > 0n) {
                epoch += step;
                await goToEpoch(fx, epoch);
              }
              const before = await stakesUpTo(provider, epoch + DELAY + 1n);
              if (await change(provider, op)) entries.push(epoch);
              const label = `${active ? "active" : "pending"} ${a}/${b}/${c} steps ${step2},${step3}: ${op} in ${epoch}`;
              const after = await stakesUpTo(provider, epoch + DELAY + 1n);
              expect(after.slice(0, Number(epoch + 1n)), label).toEqual(before.slice(0, Number(epoch + 1n)));
              expectKeyedBlind(op, epoch, before, after, label);
            }
            for (const entry of entries) {
              // In some set from c + 1 to c + D: c + D's, or an earlier one it joins (a re-entry while a leave
              // is pending only cancels that leave; leaving again is then a leave of an active provider).
              const held = await Promise.all(
                Array.from({ length: Number(DELAY) }, (_, i) =>
                  fx.c.providers.read.isActiveAt([provider.address, entry + 1n + BigInt(i)]),
                ),
              );
              expect(held, `${a}/${b}/${c} steps ${step2},${step3}: entry of ${entry}`).toContain(true);
            }
            await chain.testClient.revert({ id: snapshot });
            cases++;
          }
    expect(cases).toBe(81);
  });
});

import { resultProof } from "@checkernet/protocol/merkle/trees";
import type { Hex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { expectRevert, isolateTests, mined, type TestChain } from "./helpers/chain.ts";
import {
  type Checker,
  deployWithCheckers,
  type Fixture,
  failLeaf,
  fundContestBonds,
  goToEpoch,
  type Provider,
  peerIdOf,
  publishEpoch,
  setupProvider,
  TOKEN,
} from "./helpers/fixture.ts";

/**
 * A re-check of epoch e judges the provider by its registry entry as it is at the re-check, so the fields a
 * verdict depends on (gpuModel, vramMiB, region) must be e's: update() refuses to change them while the
 * provider can be checked, slashed or re-checked (review4 H2: a FAILed h100 updating to cpu-reference before
 * its re-check PASSed it and jailed its honest accusers). The peer id stays free (key rotation).
 */
describe("ProviderRegistry: the fields a verdict is judged by are frozen while they can be judged", () => {
  let chain: TestChain;
  let fx: Fixture;
  let checkers: Checker[];
  /** Staked at exactly the minimum before genesis: in every set from epoch 1. */
  let provider: Provider;
  const minStake = 1_000n * TOKEN;
  /** setupProvider's entry. */
  const entry = { gpuModel: "H100-SXM", vramMiB: 81_920, region: "eu-west" } as const;
  /** Each frozen field changed alone, as update() arguments (the peer id changes too: that alone is allowed). */
  const changes = (peerId: Hex) =>
    [
      ["gpuModel", [peerId, "cpu-reference", entry.vramMiB, entry.region]],
      ["vramMiB", [peerId, entry.gpuModel, 16, entry.region]],
      ["region", [peerId, entry.gpuModel, entry.vramMiB, "us-east"]],
    ] as const;

  beforeAll(async () => {
    ({ chain, fx, checkers } = await deployWithCheckers(6, 2));
    provider = await setupProvider(fx, chain.wallets[10]!, minStake);
    await fundContestBonds(fx, provider, 100n * TOKEN);
    await goToEpoch(fx, 1n);
  });
  isolateTests(() => chain);

  const own = (p: Provider = provider) => fx.as(p.wallet).providers;
  const frozen = (p: Provider = provider) => fx.c.providers.read.fieldsFrozen([p.address]);
  const accusers = () => checkers.slice(0, 3).map((c) => c.address);

  /** Every frozen field's change reverts with its name; the entry is unchanged. */
  async function expectFrozen(p: Provider = provider) {
    expect(await frozen(p)).toBe(true);
    for (const [field, args] of changes(peerIdOf("other"))) {
      await expectRevert(own(p).write.update(args), "ProviderRegistryFieldsFrozen", [field]);
    }
    expect(await fx.c.providers.read.providerInfo([p.address])).toMatchObject(entry);
  }

  /** A FAIL of `provider` in `epoch`, reported now, taking `amount`; returns what opening it needs. */
  async function failIn(epoch: bigint, amount = 100n * TOKEN) {
    const leaf = failLeaf(provider.address, accusers(), amount);
    const published = await publishEpoch(fx, epoch, { results: [leaf] });
    return { leaf, proof: resultProof(published.results!, provider.address) };
  }

  it("refuses a change of class, VRAM or region while staked (a pending entry too), and takes a new peer id", async () => {
    const newcomer = await setupProvider(fx, chain.wallets[12]!, 0n);
    // Never staked: in no set, nothing to judge.
    expect(await frozen(newcomer)).toBe(false);
    await mined(chain, fx.c.token.write.transfer([newcomer.address, minStake]));
    await mined(
      chain,
      fx.as(newcomer.wallet).token.write.approve([fx.deployment.contracts.providerRegistry, minStake]),
    );
    await mined(chain, own(newcomer).write.stake([minStake]));
    // Staked in 1: its entry counts from 3 (activationDelayEpochs 2), already frozen.
    expect(await fx.c.providers.read.isActiveAt([newcomer.address, 2n])).toBe(false);
    await expectFrozen(newcomer);
    await goToEpoch(fx, 3n);
    expect(await fx.c.providers.read.isActiveAt([newcomer.address, 3n])).toBe(true);
    await expectFrozen(newcomer);
    // The peer id alone (the other fields as they are) changes at any time: a key rotation.
    await mined(
      chain,
      own(newcomer).write.update([peerIdOf("rotated"), entry.gpuModel, entry.vramMiB, entry.region]),
    );
    expect(await fx.c.providers.read.providerInfo([newcomer.address])).toMatchObject({
      ...entry,
      peerId: peerIdOf("rotated"),
    });
    // Long after its last stake change: still in every set, still frozen.
    await goToEpoch(fx, 3n + (await fx.c.providers.read.unbondingEpochs()));
    await expectFrozen(provider);
  });

  it("keeps them frozen while unbonding, allows them once withdrawn, and a new stake freezes them again", async () => {
    await mined(chain, own().write.requestUnstake([minStake]));
    const { unbondingEndEpoch } = await fx.c.providers.read.providerInfo([provider.address]);
    await expectFrozen();
    await goToEpoch(fx, unbondingEndEpoch);
    // Unbonding ended but not withdrawn: still slashable, still frozen.
    await expectFrozen();
    await mined(chain, own().write.withdraw());
    expect(await frozen()).toBe(false);
    await mined(chain, own().write.update([peerIdOf("moved"), "cpu-reference", 16, "us-east"]));
    expect(await fx.c.providers.read.providerInfo([provider.address])).toMatchObject({
      gpuModel: "cpu-reference",
      vramMiB: 16,
      region: "us-east",
    });
    await mined(chain, fx.c.token.write.transfer([provider.address, minStake]));
    await mined(
      chain,
      fx.as(provider.wallet).token.write.approve([fx.deployment.contracts.providerRegistry, minStake]),
    );
    await mined(chain, own().write.stake([minStake]));
    expect(await frozen()).toBe(true);
    await expectRevert(
      own().write.update([peerIdOf("moved"), entry.gpuModel, 16, "us-east"]),
      "ProviderRegistryFieldsFrozen",
      ["gpuModel"],
    );
  });

  it("keeps them frozen while a slash is pending or contested, with no token left to withdraw", async () => {
    // FAILs in 1 and 2: the first takes every token, the second is left pending (nobody executes it).
    const first = await failIn(1n, minStake);
    await mined(chain, fx.c.slashing.write.openSlash([1n, first.leaf, first.proof]));
    await goToEpoch(fx, 2n);
    const second = await failIn(2n);
    await mined(chain, fx.as(provider.wallet).slashing.write.contest([2n, second.leaf, second.proof]));
    await mined(chain, own().write.requestUnstake([minStake]));
    const { unbondingEndEpoch } = await fx.c.providers.read.providerInfo([provider.address]);
    await goToEpoch(fx, unbondingEndEpoch);
    await mined(
      chain,
      fx.c.slashing.write.executeSlash([await fx.c.slashing.read.slashIdOf([1n, provider.address])]),
    );
    expect(await fx.c.providers.read.slashableOf([provider.address])).toBe(0n);
    // No stake, nothing unbonding, its last set long past: only the contested slash of epoch 2 freezes it.
    expect(await fx.c.slashing.read.pendingSlashCount([provider.address])).toBe(1n);
    await expectFrozen();
    const contested = await fx.c.slashing.read.slashIdOf([2n, provider.address]);
    await mined(chain, fx.c.slashing.write.expireContest([contested]));
    expect(await frozen()).toBe(false);
  });

  it("keeps them frozen after a slash took all its stake until no slash of an epoch it was checked in can be opened", async () => {
    const { leaf, proof } = await failIn(1n, minStake);
    await mined(chain, fx.c.slashing.write.openSlash([1n, leaf, proof]));
    await goToEpoch(fx, 6n);
    await mined(
      chain,
      fx.c.slashing.write.executeSlash([await fx.c.slashing.read.slashIdOf([1n, provider.address])]),
    );
    // Slashed to nothing in 6, it stays in the sets of 6 and 7 (the decrease counts from 8).
    expect(await fx.c.providers.read.slashableOf([provider.address])).toBe(0n);
    expect(await fx.c.slashing.read.pendingSlashCount([provider.address])).toBe(0n);
    expect(await fx.c.providers.read.isActiveAt([provider.address, 7n])).toBe(true);
    expect(await fx.c.providers.read.isActiveAt([provider.address, 8n])).toBe(false);
    // A FAIL of its last set (7), reported as late as allowed (9): openable until 9 + contestWindowEpochs.
    const lateness = await fx.c.reports.read.reportLatenessEpochs();
    await goToEpoch(fx, 7n + lateness);
    const last = await failIn(7n);
    const unfrozenFrom = 8n - 2n + (await fx.c.providers.read.unbondingEpochs());
    await goToEpoch(fx, unfrozenFrom - 1n);
    await expectFrozen();
    await goToEpoch(fx, unfrozenFrom);
    // By then that FAIL can be neither opened nor contested: no re-check can judge an entry changed now.
    await expectRevert(
      fx.c.slashing.write.openSlash([7n, last.leaf, last.proof]),
      "SlashingOpenWindowClosed",
    );
    await expectRevert(
      fx.as(provider.wallet).slashing.write.contest([7n, last.leaf, last.proof]),
      "SlashingContestWindowClosed",
    );
    expect(await frozen()).toBe(false);
    await mined(chain, own().write.update([peerIdOf("p"), "cpu-reference", 16, "us-east"]));
  });
});

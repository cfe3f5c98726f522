import { attestationSigningRoot } from "@checkernet/protocol/encoding/attestation";
import { Beneficiary } from "@checkernet/protocol/merkle/leaves";
import { rewardProof } from "@checkernet/protocol/merkle/trees";
import { type Address, bytesToHex, getAddress, parseEventLogs } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { CONTRACT_DEFAULTS } from "../src/deploy.ts";
import { slashEquivocationArgs } from "../src/equivocation.ts";
import { slashingAbi } from "../src/generated/index.ts";
import { expectRevert, isolateTests, mined, type TestChain } from "./helpers/chain.ts";
import { attestationOf, eip2537, equivocate, signAttestation } from "./helpers/equivocation.ts";
import {
  type Checker,
  checkerKey,
  deployFixture,
  deployWithCheckers,
  type Fixture,
  goToEpoch,
  publishEpoch,
  TOKEN,
  unlockLicenseRewards,
} from "./helpers/fixture.ts";

const PROVIDER = getAddress("0x00000000000000000000000000000000000000aa");
const OTHER_PROVIDER = getAddress("0x00000000000000000000000000000000000000ab");

describe("Slashing.slashEquivocation", () => {
  let chain: TestChain;
  let fx: Fixture;
  let checkers: Checker[];

  beforeAll(async () => {
    ({ chain, fx, checkers } = await deployWithCheckers(4, 1));
    await goToEpoch(fx, 1n);
  });
  isolateTests(() => chain);

  const slash = (args: ReturnType<typeof slashEquivocationArgs>, from = fx.c) =>
    from.slashing.write.slashEquivocation([...args]);

  it("slashes a real equivocation: the epoch's license rewards are forfeited and the checker is jailed", async () => {
    const [cheat, honest] = [checkers[0]!, checkers[1]!];
    const rewards = [cheat, honest].map((c) => ({
      beneficiary: Beneficiary.LICENSE,
      id: c.licenses[0]!,
      amount: TOKEN,
    }));
    const published = await publishEpoch(fx, 1n, { rewards });
    const evidence = await equivocate(fx, cheat.key, 1n, PROVIDER, cheat.address);
    const args = slashEquivocationArgs(evidence);
    // Reported by a bystander (a provider, say): anyone may bring the evidence.
    const reporter = chain.wallets[12]!;
    const receipt = await mined(chain, slash(args, fx.as(reporter)));
    console.log(`slashEquivocation gas: ${receipt.gasUsed}`);
    // Measured 464,910 (two hash-to-G2 + two 2-pair pairings ≈ 320k, the jail checkpoint, calldata); see docs/protocol/contracts.md.
    expect(receipt.gasUsed).toBeLessThan(500_000n);

    const [event] = parseEventLogs({
      abi: slashingAbi,
      logs: receipt.logs,
      eventName: "EquivocationSlashed",
    });
    expect(event?.args).toEqual({
      checker: cheat.address,
      epoch: 1n,
      provider: PROVIDER,
      rootA: await fx.c.slashing.read.attestationSigningRoot([args[0]]),
      rootB: await fx.c.slashing.read.attestationSigningRoot([args[2]]),
      reporter: getAddress(reporter.account.address),
    });
    // The contract's signing root is the node's, byte for byte (same tag, EpochReports domain, chain id).
    expect(event?.args.rootA).toBe(bytesToHex(attestationSigningRoot(args[0], fx.domain)));
    expect(event?.args.rootB).toBe(bytesToHex(attestationSigningRoot(args[2], fx.domain)));
    expect(await fx.c.slashing.read.isEquivocationSlashed([cheat.address, 1n])).toBe(true);
    expect(await fx.c.slashing.read.isPenalized([cheat.address, 1n])).toBe(true);
    expect(await fx.c.slashing.read.isPenalized([honest.address, 1n])).toBe(false);
    // Slashed in epoch 1: jailed from epoch 3 (activation delay 2) for equivocationJailEpochs.
    const jailEpochs = await fx.c.slashing.read.equivocationJailEpochs();
    expect(jailEpochs).toBe(CONTRACT_DEFAULTS.equivocationJailEpochs);
    expect(await fx.c.registry.read.jailOf([cheat.address])).toEqual([3n, 3n + jailEpochs - 1n]);
    expect(await fx.c.registry.read.isJailed([cheat.address, 3n])).toBe(true);
    expect(await fx.c.registry.read.isJailed([honest.address, 3n])).toBe(false);

    // The equivocator's license forfeits epoch 1's reward; the honest checker's is paid.
    await unlockLicenseRewards(fx, 1n);
    const claim = (leaf: (typeof rewards)[number]) =>
      fx.c.rewards.write.claim([1n, leaf, rewardProof(published.rewards!, Beneficiary.LICENSE, leaf.id)]);
    await expectRevert(claim(rewards[0]!), "RewardsForfeited", [1n, rewards[0]!.id, cheat.address]);
    await mined(chain, claim(rewards[1]!));
  });

  it("takes the halves in either order, once per (checker, epoch)", async () => {
    const cheat = checkers[0]!;
    const evidence = await equivocate(fx, cheat.key, 1n, PROVIDER, cheat.address);
    const [a, sa, b, sb] = slashEquivocationArgs(evidence);
    await mined(chain, slash([b, sb, a, sa]));
    await expectRevert(slash([a, sa, b, sb]), "SlashingEquivocationAlreadySlashed", [cheat.address, 1n]);
    // Another conflict of the same epoch (another provider) is the same offence: refused too.
    const again = await equivocate(fx, cheat.key, 1n, OTHER_PROVIDER, cheat.address);
    await expectRevert(slash(slashEquivocationArgs(again)), "SlashingEquivocationAlreadySlashed", [
      cheat.address,
      1n,
    ]);
    // Another epoch is another offence.
    await goToEpoch(fx, 2n);
    const later = await equivocate(fx, cheat.key, 2n, PROVIDER, cheat.address);
    await mined(chain, slash(slashEquivocationArgs(later)));
    expect(await fx.c.slashing.read.isPenalized([cheat.address, 2n])).toBe(true);
  });

  it("refuses attestations of different slots (epoch, provider or checker)", async () => {
    const [cheat, other] = [checkers[0]!, checkers[1]!];
    await goToEpoch(fx, 2n);
    const base = await signAttestation(fx, cheat.key, attestationOf(2n, PROVIDER, cheat.address));
    for (const change of [{ epoch: 1n }, { provider: OTHER_PROVIDER }, { checker: other.address }] as Partial<
      typeof base.attestation
    >[]) {
      const second = await signAttestation(fx, cheat.key, { ...base.attestation, result: 1, ...change });
      await expectRevert(
        slash([base.attestation, eip2537(base), second.attestation, eip2537(second)]),
        "SlashingEquivocationNotSameSlot",
      );
    }
  });

  it("refuses one attestation twice (same signing root)", async () => {
    const cheat = checkers[0]!;
    const signed = await signAttestation(fx, cheat.key, attestationOf(1n, PROVIDER, cheat.address));
    const root = await fx.c.slashing.read.attestationSigningRoot([signed.attestation]);
    await expectRevert(
      slash([signed.attestation, eip2537(signed), signed.attestation, eip2537(signed)]),
      "SlashingEquivocationSameRoot",
      [root],
    );
  });

  it("refuses a signature that does not verify under the checker's key, naming the half", async () => {
    const [victim, attacker] = [checkers[0]!, checkers[1]!];
    const evidence = await equivocate(fx, victim.key, 1n, PROVIDER, victim.address);
    const forged = await signAttestation(fx, attacker.key, evidence.second.attestation);
    const [a, sa, b] = [evidence.first.attestation, eip2537(evidence.first), evidence.second.attestation];
    const rootA = await fx.c.slashing.read.attestationSigningRoot([a]);
    const rootB = await fx.c.slashing.read.attestationSigningRoot([b]);
    await expectRevert(slash([a, sa, b, eip2537(forged)]), "SlashingEquivocationInvalidSignature", [
      1n,
      rootB,
    ]);
    await expectRevert(slash([b, eip2537(forged), a, sa]), "SlashingEquivocationInvalidSignature", [
      0n,
      rootB,
    ]);
    // Not a point at all: the point at infinity, and bytes of the wrong length.
    await expectRevert(slash([a, `0x${"00".repeat(256)}`, b, sa]), "SlashingEquivocationInvalidSignature", [
      0n,
      rootA,
    ]);
    await expectRevert(slash([a, sa, b, "0x1234"]), "SlashingEquivocationInvalidSignature", [1n, rootB]);
    expect(await fx.c.slashing.read.isPenalized([victim.address, 1n])).toBe(false);
  });

  it("refuses a checker with no registered key", async () => {
    const key = await checkerKey("never-registered");
    const stranger: Address = getAddress(chain.wallets[15]!.account.address);
    const evidence = await equivocate(fx, key, 1n, PROVIDER, stranger);
    await expectRevert(slash(slashEquivocationArgs(evidence)), "SlashingEquivocationUnknownChecker", [
      stranger,
    ]);
  });

  it("accepts evidence from its epoch through equivocationWindowEpochs after it, and nothing else", async () => {
    const cheat = checkers[0]!;
    const window = await fx.c.slashing.read.equivocationWindowEpochs();
    expect(window).toBe(
      (await fx.c.slashing.read.contestWindowEpochs()) + (await fx.c.slashing.read.recheckDeadlineEpochs()),
    );
    const future = await equivocate(fx, cheat.key, 2n, PROVIDER, cheat.address);
    await expectRevert(slash(slashEquivocationArgs(future)), "SlashingEquivocationOutsideWindow", [
      2n,
      1n,
      2n + window,
    ]);
    const old = await equivocate(fx, cheat.key, 1n, PROVIDER, cheat.address);
    await goToEpoch(fx, 2n + window);
    await expectRevert(slash(slashEquivocationArgs(old)), "SlashingEquivocationOutsideWindow", [
      1n,
      2n + window,
      1n + window,
    ]);
    // Epoch 2 + window is the last epoch of epoch 2's window: still in.
    await mined(chain, slash(slashEquivocationArgs(future)));
  });

  it("the constructor refuses a window of 0 or longer than the rewards stay locked", async () => {
    for (const equivocationWindowEpochs of [0n, 4n + 4n + 1n]) {
      await expect(deployFixture(chain, { equivocationWindowEpochs })).rejects.toThrow(
        /SlashingInvalidParameter|reverted/,
      );
    }
  });
});

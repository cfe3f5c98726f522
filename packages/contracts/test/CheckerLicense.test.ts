import { getAddress, parseEventLogs, zeroAddress } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { checkerLicenseAbi } from "../src/generated/index.ts";
import { connectChain, expectRevert, isolateTests, mined, type TestChain } from "./helpers/chain.ts";
import {
  type Checker,
  deployFixture,
  type Fixture,
  giveLicenses,
  goToEpoch,
  registerChecker,
} from "./helpers/fixture.ts";

describe("CheckerLicense", () => {
  let chain: TestChain;
  let fx: Fixture;
  let alice: Checker;
  let bob: Checker;

  beforeAll(async () => {
    chain = await connectChain();
    fx = await deployFixture(chain);
    alice = await registerChecker(fx, chain.wallets[1]!, "alice");
    bob = await registerChecker(fx, chain.wallets[2]!, "bob");
    await goToEpoch(fx, 1n);
  });
  isolateTests(() => chain);

  const holder = () => chain.wallets[9]!;

  async function mintTo(to = holder().account.address, count = 1n): Promise<bigint> {
    const first = (await fx.c.license.read.totalSupply()) + 1n;
    await mined(chain, fx.c.license.write.mintBatch([to, count]));
    return first;
  }

  describe("minting", () => {
    it("lets only the owner mint, with consecutive ids", async () => {
      await mined(chain, fx.c.license.write.mint([holder().account.address]));
      expect(await mintTo(holder().account.address, 3n)).toBe(2n);
      expect(await fx.c.license.read.totalSupply()).toBe(4n);
      expect(await fx.c.license.read.ownerOf([4n])).toBe(getAddress(holder().account.address));
      const stranger = chain.wallets[8]!;
      await expectRevert(
        fx.as(stranger).license.write.mint([stranger.account.address]),
        "OwnableUnauthorizedAccount",
        [stranger.account.address],
      );
      await expectRevert(
        fx.as(stranger).license.write.mintBatch([stranger.account.address, 2n]),
        "OwnableUnauthorizedAccount",
      );
    });
  });

  describe("delegate", () => {
    it("delegates to a registered operator and counts the license in the active set", async () => {
      const id = await mintTo();
      const receipt = await mined(chain, fx.as(holder()).license.write.delegate([id, alice.address]));
      const [event] = parseEventLogs({
        abi: checkerLicenseAbi,
        logs: receipt.logs,
        eventName: "LicenseDelegated",
      });
      // Delegated in epoch 1, it counts from epoch 3 (activation delay 2), in the history as in the snapshots.
      expect(event?.args).toEqual({ tokenId: id, operator: alice.address, epoch: 3n });
      expect(await fx.c.license.read.operatorOf([id])).toBe(alice.address);
      expect(await fx.c.registry.read.weightOf([alice.address])).toBe(1n);
      expect(await fx.c.registry.read.weightAt([alice.address, 2n])).toBe(0n);
      expect(await fx.c.registry.read.activeLicenseCount()).toBe(0n);
      expect(await fx.c.registry.read.licenseAt([3n, 0n])).toEqual([id, alice.address]);
    });

    it("lets an approved account delegate, and nobody else", async () => {
      const id = await mintTo();
      const stranger = chain.wallets[8]!;
      await expectRevert(
        fx.as(stranger).license.write.delegate([id, alice.address]),
        "CheckerLicenseUnauthorized",
        [stranger.account.address, id],
      );
      await mined(chain, fx.as(holder()).license.write.approve([stranger.account.address, id]));
      await mined(chain, fx.as(stranger).license.write.delegate([id, alice.address]));
    });

    it("refuses the zero address, unregistered operators, a delegated license and unknown tokens", async () => {
      const id = await mintTo();
      const license = fx.as(holder()).license;
      await expectRevert(license.write.delegate([id, zeroAddress]), "CheckerLicenseZeroOperator");
      const nobody = chain.wallets[8]!.account.address;
      await expectRevert(license.write.delegate([id, nobody]), "CheckerRegistryOperatorUnavailable", [
        nobody,
      ]);
      await mined(chain, license.write.delegate([id, alice.address]));
      await expectRevert(license.write.delegate([id, bob.address]), "CheckerLicenseAlreadyDelegated", [
        id,
        alice.address,
      ]);
      await expectRevert(license.write.delegate([999n, bob.address]), "ERC721NonexistentToken", [999n]);
    });
  });

  describe("undelegate", () => {
    it("lets the owner or the operator end a delegation, with a cool-down before the next", async () => {
      const [a, b] = [await mintTo(), await mintTo()];
      const license = fx.as(holder()).license;
      await mined(chain, license.write.delegate([a, alice.address]));
      await mined(chain, license.write.delegate([b, alice.address]));
      const receipt = await mined(chain, license.write.undelegate([a]));
      const [event] = parseEventLogs({
        abi: checkerLicenseAbi,
        logs: receipt.logs,
        eventName: "LicenseUndelegated",
      });
      expect(event?.args).toMatchObject({ tokenId: a, operator: alice.address, redelegableEpoch: 2n });
      expect(await fx.c.license.read.redelegableEpoch([a])).toBe(2n);
      await mined(chain, fx.as(alice.wallet).license.write.undelegate([b]));
      expect(await fx.c.registry.read.weightOf([alice.address])).toBe(0n);
      expect(await fx.c.registry.read.licenseCountAt([3n])).toBe(0n);
      // Same epoch: the license cannot count for bob too.
      await expectRevert(license.write.delegate([a, bob.address]), "CheckerLicenseCoolingDown", [a, 1n, 2n]);
      await goToEpoch(fx, 2n);
      await mined(chain, license.write.delegate([a, bob.address]));
      expect(await fx.c.license.read.operatorOf([a])).toBe(bob.address);
    });

    it("refuses strangers and licenses that are not delegated", async () => {
      const id = await mintTo();
      await expectRevert(fx.as(holder()).license.write.undelegate([id]), "CheckerLicenseNotDelegated", [id]);
      await mined(chain, fx.as(holder()).license.write.delegate([id, alice.address]));
      // bob is an operator, but not this license's.
      await expectRevert(fx.as(bob.wallet).license.write.undelegate([id]), "CheckerLicenseUnauthorized", [
        bob.address,
        id,
      ]);
    });
  });

  describe("history and transfers", () => {
    it("remembers which operator a license worked for in each epoch", async () => {
      const id = await mintTo();
      const license = fx.as(holder()).license;
      // Each change counts from two epochs after it lands (activation delay 2).
      await mined(chain, license.write.delegate([id, alice.address]));
      await goToEpoch(fx, 3n);
      await mined(chain, license.write.undelegate([id]));
      await goToEpoch(fx, 5n);
      await mined(chain, license.write.delegate([id, bob.address]));
      expect(await fx.c.license.read.operatorAt([id, 2n])).toBe(zeroAddress);
      expect(await fx.c.license.read.operatorAt([id, 3n])).toBe(alice.address);
      expect(await fx.c.license.read.operatorAt([id, 4n])).toBe(alice.address);
      expect(await fx.c.license.read.operatorAt([id, 5n])).toBe(zeroAddress);
      expect(await fx.c.license.read.operatorAt([id, 6n])).toBe(zeroAddress);
      expect(await fx.c.license.read.operatorAt([id, 7n])).toBe(bob.address);
      expect(await fx.c.license.read.operatorAt([id, 0n])).toBe(zeroAddress);
    });

    it("keeps the delegation through a transfer; the new owner controls it", async () => {
      const id = await mintTo();
      await mined(chain, fx.as(holder()).license.write.delegate([id, alice.address]));
      const buyer = chain.wallets[8]!;
      await mined(
        chain,
        fx.as(holder()).license.write.transferFrom([holder().account.address, buyer.account.address, id]),
      );
      expect(await fx.c.license.read.operatorOf([id])).toBe(alice.address);
      await expectRevert(fx.as(holder()).license.write.undelegate([id]), "CheckerLicenseUnauthorized");
      await mined(chain, fx.as(buyer).license.write.undelegate([id]));
    });

    it("exposes its parameters", async () => {
      expect(await fx.c.license.read.delegationCooldownEpochs()).toBe(1n);
      expect(await fx.c.license.read.registry()).toBe(fx.deployment.contracts.checkerRegistry);
      expect(await fx.c.license.read.owner()).toBe(getAddress(fx.deployment.deployer));
    });
  });

  it("rejects a zero cool-down at construction", async () => {
    await expect(deployFixture(chain, { delegationCooldownEpochs: 0n })).rejects.toThrow();
    // The helper's giveLicenses works on a fresh deployment (sanity of the fixture itself).
    await giveLicenses(fx, alice, 2);
    expect(await fx.c.registry.read.weightOf([alice.address])).toBe(2n);
  });
});

import { g2ToEip2537 } from "@checkernet/protocol/bls/eip2537";
import { proveKeyPossession } from "@checkernet/protocol/bls/pop";
import { DomainTag } from "@checkernet/protocol/encoding/domain";
import { bytesToHex, type Hex, hexToBytes, keccak256, parseEventLogs, toHex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { checkerRegistryAbi } from "../src/generated/index.ts";
import {
  connectChain,
  expectRevert,
  isolateTests,
  mined,
  type TestChain,
  type Wallet,
} from "./helpers/chain.ts";
import {
  bls,
  checkerKey,
  deployFixture,
  type Fixture,
  giveLicenses,
  goToEpoch,
  peerIdOf,
  registerChecker,
  setupCheckers,
} from "./helpers/fixture.ts";
import { type BlsVectors, readVectors } from "./helpers/vectors.ts";

const vectors = readVectors<BlsVectors>("bls.json");

describe("CheckerRegistry", () => {
  let chain: TestChain;
  let fx: Fixture;
  const walletOf = (address: string): Wallet =>
    chain.wallets.find((w) => w.account.address.toLowerCase() === address.toLowerCase())!;

  beforeAll(async () => {
    chain = await connectChain();
    fx = await deployFixture(chain);
  });
  isolateTests(() => chain);

  async function popFor(secretKey: Uint8Array, operator: Hex, domain = fx.domain): Promise<Hex> {
    return bytesToHex(g2ToEip2537(proveKeyPossession(await bls(), secretKey, domain, operator)));
  }

  describe("register", () => {
    it("accepts the golden proofs of possession and stores key and peer id", async () => {
      // The vectors were signed for the first contract of Hardhat's first account: the fixture's reports contract.
      expect(await fx.c.registry.read.domainSeparator()).toBe(vectors.domain.domainSeparator);
      for (const v of vectors.proofOfPossession) {
        const wallet = walletOf(v.operator);
        expect(await fx.c.registry.read.proofOfPossessionMessage([v.operator, v.publicKeyEip2537])).toBe(
          v.message,
        );
        const receipt = await mined(
          chain,
          fx
            .as(wallet)
            .registry.write.register([v.publicKeyEip2537, v.signatureEip2537, peerIdOf(v.operator)]),
        );
        const [event] = parseEventLogs({
          abi: checkerRegistryAbi,
          logs: receipt.logs,
          eventName: "OperatorRegistered",
        });
        expect(event?.args).toEqual({
          operator: v.operator,
          publicKey: v.publicKeyEip2537,
          peerId: peerIdOf(v.operator),
        });
        const info = await fx.c.registry.read.operatorInfo([v.operator]);
        expect(info).toMatchObject({
          registered: true,
          exitEpoch: 0n,
          weight: 0,
          publicKey: v.publicKeyEip2537,
        });
        expect(await fx.c.registry.read.publicKeyOf([v.operator])).toBe(v.publicKeyEip2537);
      }
    });

    it("refuses a proof of possession made for another operator", async () => {
      const v = vectors.proofOfPossession[0]!;
      await expectRevert(
        fx
          .as(chain.wallets[5]!)
          .registry.write.register([v.publicKeyEip2537, v.signatureEip2537, peerIdOf("x")]),
        "CheckerRegistryInvalidProofOfPossession",
      );
    });

    it("refuses a proof of possession made for another deployment", async () => {
      const key = await checkerKey("elsewhere");
      const operator = chain.wallets[5]!.account.address;
      const otherDomain = { chainId: fx.domain.chainId, verifyingContract: fx.deployment.contracts.slashing };
      await expectRevert(
        fx
          .as(chain.wallets[5]!)
          .registry.write.register([
            key.publicKeyEip2537,
            await popFor(key.secretKey, operator, otherDomain),
            peerIdOf("x"),
          ]),
        "CheckerRegistryInvalidProofOfPossession",
      );
    });

    it("refuses a second registration and a key registered by someone else", async () => {
      const first = await registerChecker(fx, chain.wallets[5]!, "dup");
      await expectRevert(
        fx.as(chain.wallets[5]!).registry.write.register([first.key.publicKeyEip2537, "0x", peerIdOf("x")]),
        "CheckerRegistryAlreadyRegistered",
        [first.address],
      );
      const thief = chain.wallets[6]!.account.address;
      await expectRevert(
        fx
          .as(chain.wallets[6]!)
          .registry.write.register([
            first.key.publicKeyEip2537,
            await popFor(first.key.secretKey, thief),
            peerIdOf("y"),
          ]),
        "CheckerRegistryPublicKeyTaken",
        [first.address],
      );
    });

    it("refuses malformed keys, the point at infinity and bad peer ids", async () => {
      const key = await checkerKey("k");
      const operator = chain.wallets[5]!.account.address;
      const pop = await popFor(key.secretKey, operator);
      const registry = fx.as(chain.wallets[5]!).registry;
      await expectRevert(
        registry.write.register([key.publicKeyEip2537.slice(0, -2) as Hex, pop, peerIdOf("x")]),
        "CheckerRegistryInvalidPublicKey",
      );
      await expectRevert(
        registry.write.register([bytesToHex(new Uint8Array(128)), pop, peerIdOf("x")]),
        "CheckerRegistryInvalidPublicKey",
      );
      await expectRevert(
        registry.write.register([key.publicKeyEip2537, pop, "0x"]),
        "CheckerRegistryInvalidPeerId",
        [0n],
      );
      await expectRevert(
        registry.write.register([key.publicKeyEip2537, pop, bytesToHex(new Uint8Array(129))]),
        "CheckerRegistryInvalidPeerId",
        [129n],
      );
      // A point off the curve: the pairing precompile refuses it, so the proof fails.
      const offCurve = hexToBytes(key.publicKeyEip2537);
      offCurve[127] = offCurve[127]! ^ 1;
      await expectRevert(
        registry.write.register([bytesToHex(offCurve), pop, peerIdOf("x")]),
        "CheckerRegistryInvalidProofOfPossession",
      );
    });
  });

  describe("peer id and exit", () => {
    it("updates the peer id of a registered operator only", async () => {
      const checker = await registerChecker(fx, chain.wallets[5]!, "peer");
      await mined(chain, fx.as(checker.wallet).registry.write.updatePeerId([peerIdOf("new")]));
      expect((await fx.c.registry.read.operatorInfo([checker.address])).peerId).toBe(peerIdOf("new"));
      await expectRevert(
        fx.as(chain.wallets[6]!).registry.write.updatePeerId([peerIdOf("z")]),
        "CheckerRegistryNotRegistered",
      );
    });

    it("exits after the delay, once every license was released, and keeps the key reserved", async () => {
      const [checker] = await setupCheckers(fx, 1, 2);
      await goToEpoch(fx, 1n);
      const registry = fx.as(checker!.wallet).registry;
      await expectRevert(registry.write.requestExit(), "CheckerRegistryHasDelegations", [
        checker!.address,
        2n,
      ]);
      // The operator can release licenses delegated to it.
      for (const id of checker!.licenses)
        await mined(chain, fx.as(checker!.wallet).license.write.undelegate([id]));
      await expectRevert(registry.write.completeExit(), "CheckerRegistryExitNotRequested");
      await mined(chain, registry.write.requestExit());
      const delay = await fx.c.registry.read.exitDelayEpochs();
      const exitEpoch = 1n + delay;
      expect((await fx.c.registry.read.operatorInfo([checker!.address])).exitEpoch).toBe(exitEpoch);
      await expectRevert(registry.write.requestExit(), "CheckerRegistryExitRequested", [
        checker!.address,
        exitEpoch,
      ]);
      await expectRevert(registry.write.completeExit(), "CheckerRegistryExitDelayNotElapsed", [
        checker!.address,
        1n,
        exitEpoch,
      ]);
      // Exiting operators take no new delegation.
      await goToEpoch(fx, 2n);
      await expectRevert(
        fx.as(checker!.wallet).license.write.delegate([checker!.licenses[0]!, checker!.address]),
        "CheckerRegistryOperatorUnavailable",
        [checker!.address],
      );
      await goToEpoch(fx, exitEpoch);
      await mined(chain, registry.write.completeExit());
      expect((await fx.c.registry.read.operatorInfo([checker!.address])).registered).toBe(false);
      expect(await fx.c.registry.read.publicKeyOf([checker!.address])).toBe("0x");
      await expectRevert(
        registry.write.register([
          checker!.key.publicKeyEip2537,
          await popFor(checker!.key.secretKey, checker!.address),
          peerIdOf("again"),
        ]),
        "CheckerRegistryPublicKeyTaken",
      );
    });
  });

  describe("access control", () => {
    it("only the license contract changes the active set and only the slashing contract jails", async () => {
      const stranger = fx.as(chain.wallets[7]!).registry;
      const me = chain.wallets[7]!.account.address;
      await expectRevert(stranger.write.onLicenseDelegated([1n, me]), "CheckerRegistryUnauthorized", [me]);
      await expectRevert(stranger.write.onLicenseUndelegated([1n, me]), "CheckerRegistryUnauthorized", [me]);
      await expectRevert(stranger.write.jail([[me], 10n]), "CheckerRegistryUnauthorized", [me]);
    });
  });

  describe("committees", () => {
    it("returns each seat's registered key, counting repeated seats", async () => {
      const checkers = await setupCheckers(fx, 3, 1);
      const seed = keccak256(toHex("committee"));
      const operators = await fx.c.registry.read.committeeAt([1n, DomainTag.REPORT_COMMITTEE, seed, 3n, 8n]);
      const [keys, empty] = await fx.c.registry.read.committeeKeysAt([
        1n,
        DomainTag.REPORT_COMMITTEE,
        seed,
        3n,
        8n,
      ]);
      expect(empty).toBe(0n);
      const expected = operators.map((op) =>
        checkers.find((c) => c.address === op)!.key.publicKeyEip2537.slice(2),
      );
      expect(keys).toBe(`0x${expected.join("")}`);
      for (const [j, op] of operators.entries()) {
        const [seatOperator, seatKey] = await fx.c.registry.read.seatAt([
          1n,
          DomainTag.REPORT_COMMITTEE,
          seed,
          3n,
          BigInt(j),
        ]);
        expect(seatOperator).toBe(op);
        expect(seatKey).toBe(checkers.find((c) => c.address === op)!.key.publicKeyEip2537);
      }
    });

    it("keeps every epoch's snapshot through swap-and-pop removals", async () => {
      const [a, b] = await setupCheckers(fx, 2, 3);
      // Undelegations in epoch 0 overwrite the launch set of epoch 1.
      await mined(chain, fx.as(a!.wallet).license.write.undelegate([a!.licenses[1]!]));
      await mined(chain, fx.as(b!.wallet).license.write.undelegate([b!.licenses[0]!]));
      const activeAt = async (epoch: bigint) => {
        const count = await fx.c.registry.read.licenseCountAt([epoch]);
        const active = new Map<bigint, string>();
        for (let i = 0n; i < count; i++) {
          const [id, op] = await fx.c.registry.read.licenseAt([epoch, i]);
          active.set(id, op);
        }
        return active;
      };
      const launch = new Map([
        [a!.licenses[0]!, a!.address],
        [a!.licenses[2]!, a!.address],
        [b!.licenses[1]!, b!.address],
        [b!.licenses[2]!, b!.address],
      ]);
      expect(await activeAt(1n)).toEqual(launch);
      expect(await fx.c.registry.read.weightAt([a!.address, 1n])).toBe(2n);
      // In epoch 1 a release counts from epoch 3 (activation delay 2): epochs 1 and 2 keep the launch set.
      await goToEpoch(fx, 1n);
      expect(await fx.c.registry.read.activeLicenseCount()).toBe(4n);
      await mined(chain, fx.as(a!.wallet).license.write.undelegate([a!.licenses[0]!]));
      expect(await activeAt(1n)).toEqual(launch);
      expect(await activeAt(2n)).toEqual(launch);
      const later = new Map(launch);
      later.delete(a!.licenses[0]!);
      expect(await activeAt(3n)).toEqual(later);
      expect(await fx.c.registry.read.weightAt([a!.address, 2n])).toBe(2n);
      expect(await fx.c.registry.read.weightAt([a!.address, 3n])).toBe(1n);
      expect(await fx.c.registry.read.weightOf([a!.address])).toBe(1n);
      await expectRevert(fx.c.registry.read.licenseAt([3n, 3n]), "CheckerRegistryIndexOutOfRange", [3n, 3n]);
    });

    it("pages a snapshot with licensesAt exactly as licenseAt reads it, one seat at a time (issue 15)", async () => {
      const [a, b] = await setupCheckers(fx, 2, 3);
      await mined(chain, fx.as(a!.wallet).license.write.undelegate([a!.licenses[1]!]));
      await goToEpoch(fx, 1n);
      await mined(chain, fx.as(b!.wallet).license.write.undelegate([b!.licenses[0]!]));
      for (const epoch of [1n, 3n]) {
        const count = await fx.c.registry.read.licenseCountAt([epoch]);
        const one: [bigint, string][] = [];
        for (let i = 0n; i < count; i++) one.push([...(await fx.c.registry.read.licenseAt([epoch, i]))]);
        const paged: [bigint, string][] = [];
        for (let start = 0n; start < count; start += 2n) {
          const [ids, ops] = await fx.c.registry.read.licensesAt([epoch, start, 2n]);
          expect(ids.length).toBe(Math.min(2, Number(count - start)));
          for (const [i, id] of ids.entries()) paged.push([id, ops[i]!]);
        }
        expect(paged).toEqual(one);
        const [all] = await fx.c.registry.read.licensesAt([epoch, 0n, 2n ** 256n - 1n]);
        expect(all).toEqual(one.map(([id]) => id));
      }
      // From the end on, and past it: an empty page, not a revert.
      const count = await fx.c.registry.read.licenseCountAt([3n]);
      expect(await fx.c.registry.read.licensesAt([3n, count, 10n])).toEqual([[], []]);
      expect(await fx.c.registry.read.licensesAt([3n, 2n ** 256n - 1n, 2n ** 256n - 1n])).toEqual([[], []]);
      expect(await fx.c.registry.read.licensesAt([3n, 0n, 0n])).toEqual([[], []]);
    });

    it("leaves every seat empty without active licenses and refuses more than 256 seats", async () => {
      const operators = await fx.c.registry.read.committeeAt([
        1n,
        DomainTag.REPORT_COMMITTEE,
        keccak256("0x"),
        1n,
        16n,
      ]);
      expect(new Set(operators)).toEqual(new Set(["0x0000000000000000000000000000000000000000"]));
      const [keys, empty] = await fx.c.registry.read.committeeKeysAt([
        1n,
        DomainTag.REPORT_COMMITTEE,
        keccak256("0x"),
        1n,
        16n,
      ]);
      expect(empty).toBe(0xffffn);
      expect(keys).toBe(bytesToHex(new Uint8Array(16 * 128)));
      await expectRevert(
        fx.c.registry.read.committeeAt([1n, DomainTag.REPORT_COMMITTEE, keccak256("0x"), 1n, 257n]),
        "CheckerRegistryInvalidCommitteeSize",
        [257n],
      );
    });
  });

  it("answers jail queries for operators never jailed", async () => {
    const me = chain.wallets[3]!.account.address;
    expect(await fx.c.registry.read.isJailed([me, 1n])).toBe(false);
    expect(await fx.c.registry.read.jailOf([me])).toEqual([0n, 0n]);
    expect(await fx.c.registry.read.canReceiveDelegation([me])).toBe(false);
    const checker = await registerChecker(fx, chain.wallets[3]!, "free");
    expect(await fx.c.registry.read.canReceiveDelegation([me])).toBe(true);
    await giveLicenses(fx, checker, 1);
    expect(await fx.c.registry.read.weightOf([me])).toBe(1n);
  });
});

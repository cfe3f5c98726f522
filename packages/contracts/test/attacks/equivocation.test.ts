import {
  EquivocationError,
  type EquivocationEvidence,
  verifyEquivocation,
} from "@checkernet/protocol/equivocation";
import type { NetworkDomain, SignedAttestation } from "@checkernet/protocol/types";
import { getAddress, type Hex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { slashEquivocationArgs } from "../../src/equivocation.ts";
import { expectRevert, isolateTests, mined, type TestChain } from "../helpers/chain.ts";
import { attestationOf, eip2537, equivocate, signAttestation } from "../helpers/equivocation.ts";
import { bls, type Checker, deployWithCheckers, type Fixture, goToEpoch } from "../helpers/fixture.ts";

const PROVIDER = getAddress("0x00000000000000000000000000000000000000aa");
const OTHER_PROVIDER = getAddress("0x00000000000000000000000000000000000000ab");

/**
 * Equivocation (issue 14): one stolen or doubly-run checker key signed a PASS to one half of the mesh and a
 * FAIL to the other for the same (epoch, provider), and every ranked aggregator fell short of quorum. The pair
 * is slashable: anyone brings both signed attestations to Slashing.slashEquivocation. The converse must hold
 * as firmly: nobody can frame an honest checker with anything but two messages its key really signed, for
 * this network, about one slot.
 */
describe("equivocation attacks", () => {
  let chain: TestChain;
  let fx: Fixture;
  let checkers: Checker[];

  beforeAll(async () => {
    ({ chain, fx, checkers } = await deployWithCheckers(6, 1));
    await goToEpoch(fx, 1n);
  });
  isolateTests(() => chain);

  /** What the chain says of the evidence must be what every node's verifyEquivocation says. */
  async function offChainVerdict(evidence: EquivocationEvidence, checker: Checker): Promise<string> {
    try {
      verifyEquivocation(evidence, fx.domain, checker.key.publicKey, await bls());
      return "ok";
    } catch (e) {
      if (e instanceof EquivocationError) return e.code;
      throw e;
    }
  }

  it("a minority key that signs two attestations for one slot (split view) is slashed and jailed", async () => {
    const [reporter, cheat] = [checkers[0]!, checkers[5]!];
    // Half of the mesh received the PASS, the other half the FAIL; a node that saw both holds the pair.
    const evidence = await equivocate(fx, cheat.key, 1n, PROVIDER, cheat.address);
    expect(await offChainVerdict(evidence, cheat)).toBe("ok");
    await mined(
      chain,
      fx.as(reporter.wallet).slashing.write.slashEquivocation([...slashEquivocationArgs(evidence)]),
    );
    expect(await fx.c.slashing.read.isEquivocationSlashed([cheat.address, 1n])).toBe(true);
    expect(await fx.c.slashing.read.isPenalized([cheat.address, 1n])).toBe(true);
    // Out of every snapshot from the registry's next effective epoch (1 + activation delay 2).
    expect(await fx.c.registry.read.isJailed([cheat.address, 3n])).toBe(true);
    for (const honest of checkers.slice(0, 5)) {
      expect(await fx.c.slashing.read.isPenalized([honest.address, 1n])).toBe(false);
      expect(await fx.c.registry.read.isJailed([honest.address, 3n])).toBe(false);
    }
  });

  describe("framing an honest checker is refused", () => {
    const victim = () => checkers[1]!;
    const attacker = () => checkers[2]!;
    let honest: SignedAttestation;

    beforeAll(async () => {
      // The one attestation the victim really signed for (epoch 1, PROVIDER) on this network.
      honest = await signAttestation(fx, victim().key, attestationOf(1n, PROVIDER, victim().address));
    });

    async function refused(evidence: EquivocationEvidence, error: string, args?: readonly unknown[]) {
      const offChain = await offChainVerdict(evidence, victim());
      expect(offChain).not.toBe("ok");
      await expectRevert(
        fx
          .as(attacker().wallet)
          .slashing.write.slashEquivocation([
            evidence.first.attestation,
            eip2537(evidence.first),
            evidence.second.attestation,
            eip2537(evidence.second),
          ]),
        error,
        args,
      );
      expect(await fx.c.slashing.read.isPenalized([victim().address, 1n])).toBe(false);
      expect(await fx.c.registry.read.isJailed([victim().address, 3n])).toBe(false);
      return offChain;
    }

    it("one real attestation and a conflicting one signed with the attacker's own key", async () => {
      const forged = await signAttestation(fx, attacker().key, { ...honest.attestation, result: 1 });
      const root = await fx.c.slashing.read.attestationSigningRoot([forged.attestation]);
      expect(
        await refused({ first: honest, second: forged }, "SlashingEquivocationInvalidSignature", [1n, root]),
      ).toBe("EQUIVOCATION_ERROR_BAD_SIGNATURE_SECOND");
    });

    it("one real attestation and an altered copy carrying its real signature", async () => {
      const altered = { ...honest, attestation: { ...honest.attestation, result: 1 as const } };
      expect(await refused({ first: honest, second: altered }, "SlashingEquivocationInvalidSignature")).toBe(
        "EQUIVOCATION_ERROR_BAD_SIGNATURE_SECOND",
      );
    });

    it("a replay from another chain id: the victim's honest attestation of the same slot on another network", async () => {
      const otherChain: NetworkDomain = { ...fx.domain, chainId: 4_242n };
      const elsewhere = await signAttestation(
        fx,
        victim().key,
        attestationOf(1n, PROVIDER, victim().address, { result: 2 }),
        otherChain,
      );
      expect(
        await refused({ first: elsewhere, second: honest }, "SlashingEquivocationInvalidSignature"),
      ).toMatch(/BAD_SIGNATURE_FIRST/);
      // Both halves from the other chain (a real equivocation there) are no evidence here either.
      const pair = await equivocate(fx, victim().key, 1n, PROVIDER, victim().address);
      const both = {
        first: await signAttestation(fx, victim().key, pair.first.attestation, otherChain),
        second: await signAttestation(fx, victim().key, pair.second.attestation, otherChain),
      };
      await refused(both, "SlashingEquivocationInvalidSignature");
    });

    it("a replay from another deployment (another verifying contract) on this chain", async () => {
      const otherDeployment: NetworkDomain = {
        ...fx.domain,
        verifyingContract: fx.deployment.contracts.rewards,
      };
      const elsewhere = await signAttestation(
        fx,
        victim().key,
        attestationOf(1n, PROVIDER, victim().address, { result: 1 }),
        otherDeployment,
      );
      await refused({ first: honest, second: elsewhere }, "SlashingEquivocationInvalidSignature");
    });

    it("two real attestations of different slots (two providers)", async () => {
      const other = await signAttestation(
        fx,
        victim().key,
        attestationOf(1n, OTHER_PROVIDER, victim().address),
      );
      expect(await refused({ first: honest, second: other }, "SlashingEquivocationNotSameSlot")).toBe(
        "EQUIVOCATION_ERROR_NOT_SAME_SLOT",
      );
    });

    it("the same real attestation twice, with another VRF proof", async () => {
      const again = { ...honest, vrfProof: `0x${"11".repeat(96)}` as Hex };
      expect(await refused({ first: honest, second: again }, "SlashingEquivocationSameRoot")).toBe(
        "EQUIVOCATION_ERROR_SAME_ROOT",
      );
    });

    it("an equivocation the attacker signed itself under the victim's address", async () => {
      const pair = await equivocate(fx, attacker().key, 1n, PROVIDER, victim().address);
      await refused(pair, "SlashingEquivocationInvalidSignature");
      // The same pair under the attacker's own address is the attacker's own equivocation.
      const own = await equivocate(fx, attacker().key, 1n, PROVIDER, attacker().address);
      await mined(chain, fx.c.slashing.write.slashEquivocation([...slashEquivocationArgs(own)]));
      expect(await fx.c.slashing.read.isPenalized([attacker().address, 1n])).toBe(true);
    });
  });
});

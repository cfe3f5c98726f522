import { DomainTag } from "@checkernet/protocol/encoding/domain";
import fc from "fast-check";
import { type Hex, keccak256, toHex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { connectChain, revertOf, type TestChain, type Wallet } from "../helpers/chain.ts";
import { type Checker, deployFixture, type Fixture, goToEpoch, setupCheckers } from "../helpers/fixture.ts";

type Step =
  | { kind: "delegate"; license: number; operator: number }
  | { kind: "undelegate"; license: number }
  | { kind: "jail"; operator: number; epochs: number }
  | { kind: "advance"; epochs: number };

const OPERATORS = 4;
const LICENSES = 10;
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("delegate" as const),
      license: fc.nat(LICENSES - 1),
      operator: fc.nat(OPERATORS - 1),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("undelegate" as const), license: fc.nat(LICENSES - 1) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("jail" as const),
      operator: fc.nat(OPERATORS - 1),
      epochs: fc.integer({ min: 0, max: 4 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("advance" as const), epochs: fc.integer({ min: 1, max: 3 }) }),
  },
);

/**
 * Property: the snapshot of an epoch (its licenses and their operators, each operator's weight and jail
 * state, and every committee drawn from it) never changes once it is fixed, that is from the start of
 * epoch e − A + 1 on (A = 2 here), before anyone can know e's seed — whatever delegations, undelegations
 * and jails land afterwards. Random sequences against the real contracts.
 */
describe("snapshot immutability (fast-check against the contracts)", () => {
  let chain: TestChain;
  let fx: Fixture;
  let checkers: Checker[];
  let owner: Wallet;
  let slashing: Wallet;
  let licenses: bigint[];
  let base: Hex;

  beforeAll(async () => {
    chain = await connectChain();
    fx = await deployFixture(chain);
    checkers = await setupCheckers(fx, OPERATORS, 1);
    owner = chain.wallets[15]!;
    const first = (await fx.c.license.read.totalSupply()) + 1n;
    await fx.c.license.write.mintBatch([owner.account.address, BigInt(LICENSES)]);
    licenses = Array.from({ length: LICENSES }, (_, i) => first + BigInt(i));
    slashing = await chain.impersonateAddress(fx.deployment.contracts.slashing);
    await goToEpoch(fx, 1n);
    base = await chain.testClient.snapshot();
  });

  async function fingerprint(epoch: bigint): Promise<string> {
    const count = await fx.c.registry.read.licenseCountAt([epoch]);
    const seats: string[] = [];
    for (let i = 0n; i < count; i++) seats.push((await fx.c.registry.read.licenseAt([epoch, i])).join(":"));
    const operators: string[] = [];
    for (const c of checkers) {
      operators.push(
        `${await fx.c.registry.read.weightAt([c.address, epoch])}/${await fx.c.registry.read.isJailed([c.address, epoch])}`,
      );
    }
    const committee = await fx.c.registry.read.committeeAt([
      epoch,
      DomainTag.REPORT_COMMITTEE,
      keccak256(toHex(`seed ${epoch}`)),
      epoch,
      16n,
    ]);
    return JSON.stringify({ seats, operators, committee });
  }

  it("never changes a snapshot once it is fixed", async () => {
    const delay = await fx.c.registry.read.activationDelayEpochs();
    let changedLater = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 6, maxLength: 14 }), async (steps) => {
        await chain.testClient.revert({ id: base });
        base = await chain.testClient.snapshot();
        let epoch = await fx.c.reports.read.currentEpoch();
        const fixed = new Map<bigint, string>();
        const record = async () => {
          // Fixed: every epoch up to current + A - 1; record each the first time, compare afterwards.
          for (let e = 1n; e <= epoch + delay - 1n; e++) {
            const now = await fingerprint(e);
            const before = fixed.get(e);
            if (before === undefined) fixed.set(e, now);
            else expect(now, `snapshot of epoch ${e} changed in epoch ${epoch}`).toBe(before);
          }
        };
        await record();
        for (const s of steps) {
          const future = await fingerprint(epoch + delay);
          try {
            if (s.kind === "delegate") {
              await fx
                .as(owner)
                .license.write.delegate([licenses[s.license]!, checkers[s.operator]!.address]);
            } else if (s.kind === "undelegate") {
              await fx.as(owner).license.write.undelegate([licenses[s.license]!]);
            } else if (s.kind === "jail") {
              await fx.as(slashing).registry.write.jail([[checkers[s.operator]!.address], BigInt(s.epochs)]);
            } else {
              epoch += BigInt(s.epochs);
              await goToEpoch(fx, epoch);
            }
          } catch (error) {
            // Refusals (a license already delegated, cooling down, ...) must be the contracts' own errors.
            expect(revertOf(error)?.name, (error as Error).message).toMatch(
              /^(CheckerLicense|CheckerRegistry)/,
            );
          }
          if (s.kind !== "advance" && (await fingerprint(epoch + delay)) !== future) changedLater++;
          await record();
        }
      }),
      { numRuns: 8 },
    );
    // Not vacuous: the same transactions did change the snapshots that were not fixed yet.
    expect(changedLater).toBeGreaterThan(0);
  });
});

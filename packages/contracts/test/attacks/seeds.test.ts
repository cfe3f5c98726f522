import { g2ToEip2537 } from "@checkernet/protocol/bls/index";
import { fallbackSeed, revealedSeed } from "@checkernet/protocol/epoch";
import { bytesToHex, encodeFunctionData, type Hex, hexToBytes, keccak256, toHex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { expectRevert, isolateTests, mined, type TestChain } from "../helpers/chain.ts";
import {
  allSeats,
  bls,
  type Checker,
  deployWithCheckers,
  type Fixture,
  goToEpoch,
  headerFor,
  revealSeed,
  signReport,
} from "../helpers/fixture.ts";

/**
 * Attacks on epoch randomness. On the reviewed contracts the next seed hashed the report's aggregate
 * signature and prevrandao, so the submitter chose among as many seeds as signer subsets and header
 * variants it could sign; and seedOf walked back one cold read per unreported epoch.
 */
describe("attacks on epoch seeds", () => {
  let chain: TestChain;
  let fx: Fixture;
  let checkers: Checker[];

  beforeAll(async () => {
    ({ chain, fx, checkers } = await deployWithCheckers(6, 2));
    await goToEpoch(fx, 1n);
  });
  isolateTests(() => chain);

  /** The seed of epoch 2 after landing `report` in a branch of the chain that is then thrown away. */
  async function seedAfter(land: () => Promise<unknown>): Promise<Hex> {
    const id = await chain.testClient.snapshot();
    await land();
    await goToEpoch(fx, 2n);
    const seed = await fx.c.reports.read.seedOf([2n]);
    await chain.testClient.revert({ id });
    return seed;
  }

  it("a submitter cannot grind the next seed by choosing the signer subset", async () => {
    const header = await headerFor(fx, 1n);
    const seats = (await fx.c.reports.read.reportCommittee([1n])).length;
    const seeds = new Set<Hex>();
    for (const subset of [allSeats(seats), allSeats(seats).slice(1), allSeats(seats).slice(0, 12)]) {
      const signed = await signReport(fx, header, subset);
      seeds.add(
        await seedAfter(() =>
          mined(chain, fx.c.reports.write.submitReport([header, signed.bitfield, signed.signature])),
        ),
      );
    }
    seeds.add(await seedAfter(async () => {}));
    expect(seeds.size).toBe(1);
  });

  it("a submitter cannot grind the next seed through header fields", async () => {
    const seeds = new Set<Hex>();
    for (const variant of ["a", "b", "c"]) {
      const header = await headerFor(fx, 1n, { rewardsRoot: keccak256(toHex(variant)), attestationCount: 7 });
      const signed = await signReport(fx, header);
      seeds.add(
        await seedAfter(() =>
          mined(chain, fx.c.reports.write.submitReport([header, signed.bitfield, signed.signature])),
        ),
      );
    }
    expect(seeds.size).toBe(1);
  });

  it("the seed proposer's only choice is reveal or withhold: one bit", async () => {
    const genesis = await fx.c.reports.read.seedOf([0n]);
    expect(await seedAfter(async () => {})).toBe(fallbackSeed(genesis, 2n));
    const id = await chain.testClient.snapshot();
    const { signature, proposer } = await revealSeed(fx, 2n);
    expect(await fx.c.reports.read.seedOf([2n])).toBe(revealedSeed(2n, signature));
    await chain.testClient.revert({ id });
    // No other encoding of the same signature passes: a non-zero padding byte, or a coordinate plus p.
    const padded = hexToBytes(signature);
    padded[0] = 1;
    await expectRevert(fx.c.reports.write.revealSeed([2n, bytesToHex(padded)]), "EpochReportsInvalidReveal", [
      2n,
      proposer,
    ]);
    // Nor does another key's signature over the same message.
    const other = checkers.find((c) => c.address !== proposer)!;
    const message = hexToBytes(await fx.c.reports.read.seedRevealMessage([2n]));
    const foreign = bytesToHex(g2ToEip2537((await bls()).sign(other.key.secretKey, message)));
    await expectRevert(fx.c.reports.write.revealSeed([2n, foreign]), "EpochReportsInvalidReveal");
    // So the seed of epoch 2 is one of exactly two values, both fixed before anyone chose.
    await mined(chain, fx.c.reports.write.revealSeed([2n, signature]));
    expect(await fx.c.reports.read.seedOf([2n])).toBe(revealedSeed(2n, signature));
  });

  it("seedOf stays O(1) after 5,000 epochs without a reveal", async () => {
    const { signature } = await revealSeed(fx, 2n);
    // Gas of a call to seedOf (a view), as a transaction would pay it.
    const gasOf = async (epoch: bigint) =>
      chain.publicClient.estimateGas({
        to: fx.deployment.contracts.epochReports,
        data: encodeFunctionData({ abi: fx.c.reports.abi, functionName: "seedOf", args: [epoch] }),
      });
    await goToEpoch(fx, 5_003n);
    const near = await gasOf(3n);
    const far = await gasOf(5_003n);
    expect(await fx.c.reports.read.seedOf([5_003n])).toBe(fallbackSeed(revealedSeed(2n, signature), 5_003n));
    // One storage read more or less, whatever the gap (the reviewed contract read one slot per missed epoch).
    expect(far < near + 5_000n && near < far + 5_000n).toBe(true);
    expect(far).toBeLessThan(40_000n);
  });
});

import { g2ToEip2537 } from "@checkernet/protocol/bls/index";
import { DomainTag } from "@checkernet/protocol/encoding/domain";
import { reportSigningRoot } from "@checkernet/protocol/encoding/report";
import { fallbackSeed, revealedSeed, seedRevealMessage } from "@checkernet/protocol/epoch";
import { reportCommittee as protocolCommittee } from "@checkernet/protocol/sortition";
import type { ReportHeader } from "@checkernet/protocol/types";
import { bytesToHex, type Hex, hexToBytes, keccak256, parseEventLogs, toHex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { epochReportsAbi } from "../src/generated/index.ts";
import { expectRevert, isolateTests, mined, type TestChain } from "./helpers/chain.ts";
import {
  allSeats,
  bls,
  type Checker,
  checkerKey,
  deployFixture,
  deployWithCheckers,
  type Fixture,
  giveLicenses,
  goToEpoch,
  headerFor,
  revealSeed,
  signReport,
  signSeats,
  submitReport,
} from "./helpers/fixture.ts";
import { readVectors } from "./helpers/vectors.ts";

interface ReportVector {
  header: Omit<ReportHeader, "epoch" | "totalRewards"> & { epoch: number; totalRewards: string };
  signingRoot: Hex;
}
interface CommitteeVector {
  reportCommittees: {
    seed: Hex;
    epoch: string;
    size: number;
    activeLicenseCount: number;
    committee: number[];
  }[];
}

describe("EpochReports", () => {
  let chain: TestChain;
  let fx: Fixture;
  let checkers: Checker[];

  beforeAll(async () => {
    ({ chain, fx, checkers } = await deployWithCheckers(5, 2));
    // Setup landed in epoch 0 (the launch set); the tests run from epoch 1.
    await goToEpoch(fx, 1n);
  });
  isolateTests(() => chain);

  describe("submitReport", () => {
    it("accepts a report signed by the whole committee and stores its roots", async () => {
      const header = await headerFor(fx, 1n, { totalRewards: 10n ** 18n });
      const receipt = await submitReport(fx, header);
      const [event] = parseEventLogs({
        abi: epochReportsAbi,
        logs: receipt.logs,
        eventName: "ReportSubmitted",
      });
      expect(event?.args).toMatchObject({
        epoch: 1n,
        resultsRoot: header.resultsRoot,
        rewardsRoot: header.rewardsRoot,
        totalRewards: 10n ** 18n,
        signerBitfield: 0xffffn,
      });
      expect(await fx.c.reports.read.lastReportedEpoch()).toBe(1n);
      const block = await chain.publicClient.getBlock({ blockNumber: receipt.blockNumber });
      expect(await fx.c.reports.read.reportOf([1n])).toEqual({
        resultsRoot: header.resultsRoot,
        rewardsRoot: header.rewardsRoot,
        totalRewards: 10n ** 18n,
        submittedAt: block.timestamp,
      });
      expect(await fx.c.reports.read.resultsRootOf([1n])).toBe(header.resultsRoot);
      expect(await fx.c.reports.read.rewardsOf([1n])).toEqual([header.rewardsRoot, 10n ** 18n]);
    });

    it("accepts exactly the quorum (11 of 16 seats) and refuses one seat less", async () => {
      expect(await fx.c.reports.read.quorumFor([16n])).toBe(11n);
      const header = await headerFor(fx, 1n);
      const short = await signReport(fx, header, allSeats(10));
      await expectRevert(
        fx.c.reports.write.submitReport([header, short.bitfield, short.signature]),
        "EpochReportsQuorumNotReached",
        [11n, 10n],
      );
      await submitReport(fx, header, [0, 2, 3, 5, 7, 8, 9, 11, 12, 14, 15]);
    });

    it("refuses a signature over another header", async () => {
      const header = await headerFor(fx, 1n);
      const other = await signReport(fx, { ...header, rewardsRoot: keccak256(toHex("other")) });
      await expectRevert(
        fx.c.reports.write.submitReport([header, other.bitfield, other.signature]),
        "EpochReportsInvalidSignature",
      );
    });

    it("refuses a bitfield naming a seat whose operator did not sign", async () => {
      const header = await headerFor(fx, 1n);
      const signed = await signReport(fx, header, allSeats(12));
      // Seat 12 claimed but its signature is not in the aggregate.
      await expectRevert(
        fx.c.reports.write.submitReport([header, signed.bitfield | (1n << 12n), signed.signature]),
        "EpochReportsInvalidSignature",
      );
    });

    it("refuses a signature by keys outside the committee", async () => {
      const header = await headerFor(fx, 1n);
      const outsider = await checkerKey("outsider");
      const backend = await bls();
      const message = reportSigningRoot(header, fx.domain);
      const { g2ToEip2537 } = await import("@checkernet/protocol/bls/eip2537");
      const forged = bytesToHex(g2ToEip2537(backend.sign(outsider.secretKey, message)));
      await expectRevert(
        fx.c.reports.write.submitReport([header, 0xffffn, forged]),
        "EpochReportsInvalidSignature",
      );
    });

    it("refuses malformed signatures without burning the caller's gas on a revert it cannot read", async () => {
      const header = await headerFor(fx, 1n);
      await expectRevert(
        fx.c.reports.write.submitReport([header, 0xffffn, "0x1234"]),
        "EpochReportsInvalidSignature",
      );
      const garbage = bytesToHex(new Uint8Array(256).fill(1));
      await expectRevert(
        fx.c.reports.write.submitReport([header, 0xffffn, garbage]),
        "EpochReportsInvalidSignature",
      );
    });

    it("refuses bits beyond the committee's seats", async () => {
      const header = await headerFor(fx, 1n);
      const signed = await signReport(fx, header);
      await expectRevert(
        fx.c.reports.write.submitReport([header, signed.bitfield | (1n << 16n), signed.signature]),
        "EpochReportsInvalidBitfield",
        [signed.bitfield | (1n << 16n), 16n],
      );
    });

    it("refuses epoch 0 and epochs that have not started", async () => {
      const future = await headerFor(fx, 2n);
      const signed = await signReport(fx, future);
      await expectRevert(
        fx.c.reports.write.submitReport([future, signed.bitfield, signed.signature]),
        "EpochReportsTooEarly",
      );
      const zero = await headerFor(fx, 0n);
      await expectRevert(
        fx.c.reports.write.submitReport([zero, signed.bitfield, signed.signature]),
        "EpochReportsTooEarly",
      );
    });

    it("refuses a replay of an accepted report", async () => {
      const header = await headerFor(fx, 1n);
      const signed = await signReport(fx, header);
      await mined(chain, fx.c.reports.write.submitReport([header, signed.bitfield, signed.signature]));
      await expectRevert(
        fx.c.reports.write.submitReport([header, signed.bitfield, signed.signature]),
        "EpochReportsAlreadyReported",
        [1n],
      );
    });

    it("takes an older epoch's late report after a newer one landed, once (test/attacks/lateReports.test.ts)", async () => {
      await goToEpoch(fx, 3n);
      const second = await headerFor(fx, 2n);
      const signedSecond = await signReport(fx, second);
      await submitReport(fx, await headerFor(fx, 3n));
      await mined(
        chain,
        fx.c.reports.write.submitReport([second, signedSecond.bitfield, signedSecond.signature]),
      );
      expect(await fx.c.reports.read.landedEpochOf([2n])).toBe(3n);
      expect(await fx.c.reports.read.lastReportedEpoch()).toBe(3n);
      await expectRevert(
        fx.c.reports.write.submitReport([second, signedSecond.bitfield, signedSecond.signature]),
        "EpochReportsAlreadyReported",
        [2n],
      );
    });

    it("refuses a header whose seed is not the epoch's seed", async () => {
      const header = await headerFor(fx, 1n, { seed: keccak256(toHex("chosen by the aggregator")) });
      const signed = await signReport(fx, header);
      await expectRevert(
        fx.c.reports.write.submitReport([header, signed.bitfield, signed.signature]),
        "EpochReportsSeedMismatch",
        [await fx.c.reports.read.seedOf([1n]), header.seed],
      );
    });

    it("refuses a report paying out more than the epoch budget", async () => {
      const budget = await fx.c.reports.read.epochRewardBudget();
      const header = await headerFor(fx, 1n, { totalRewards: budget + 1n });
      const signed = await signReport(fx, header);
      await expectRevert(
        fx.c.reports.write.submitReport([header, signed.bitfield, signed.signature]),
        "EpochReportsOverBudget",
        [budget, budget + 1n],
      );
    });

    it("refuses any report while no license is active: every seat is empty", async () => {
      const anySignature = (await signReport(fx, await headerFor(fx, 1n))).signature;
      const empty = await deployFixture(chain);
      await goToEpoch(empty, 1n);
      const header = await headerFor(empty, 1n);
      await expectRevert(
        empty.c.reports.write.submitReport([header, 0xffffn, anySignature]),
        "EpochReportsInvalidBitfield",
      );
      await expectRevert(
        empty.c.reports.write.submitReport([header, 0n, anySignature]),
        "EpochReportsEmptyCommittee",
      );
      expect(new Set(await empty.c.reports.read.reportCommittee([1n]))).toEqual(
        new Set(["0x0000000000000000000000000000000000000000"]),
      );
    });

    it("costs the same gas for 10 or 10,000 providers", async () => {
      // Same epoch, same committee, same state: only the header's counters differ.
      const id = await chain.testClient.snapshot();
      const small = await submitReport(
        fx,
        await headerFor(fx, 1n, { providerCount: 10, attestationCount: 80 }),
      );
      await chain.testClient.revert({ id });
      const large = await submitReport(
        fx,
        await headerFor(fx, 1n, { providerCount: 10_000, attestationCount: 80_000 }),
      );
      // Only the calldata bytes of the two counters differ (16 gas per non-zero byte).
      const diff =
        large.gasUsed > small.gasUsed ? large.gasUsed - small.gasUsed : small.gasUsed - large.gasUsed;
      expect(diff).toBeLessThan(100n);
    });
  });

  describe("signing root and committee", () => {
    it("computes the protocol's signing root, including the golden report vector", async () => {
      const header = await headerFor(fx, 1n);
      expect(await fx.c.reports.read.reportSigningRoot([header])).toBe(
        bytesToHex(reportSigningRoot(header, fx.domain)),
      );
      const vector = readVectors<ReportVector>("report.json");
      const vectorHeader = {
        ...vector.header,
        epoch: BigInt(vector.header.epoch),
        totalRewards: BigInt(vector.header.totalRewards),
      };
      // The fixture's reports contract is the first contract of Hardhat's first account, as in the vector's domain.
      expect(await fx.c.reports.read.reportSigningRoot([vectorHeader])).toBe(vector.signingRoot);
    });

    it("draws seats with the protocol's formula from the epoch's snapshot", async () => {
      const seed = await fx.c.reports.read.seedOf([1n]);
      const count = Number(await fx.c.registry.read.licenseCountAt([1n]));
      const indices = protocolCommittee(seed, 1n, 16, count);
      const expected = await Promise.all(
        indices.map(async (i) => (await fx.c.registry.read.licenseAt([1n, BigInt(i)]))[1]),
      );
      expect(await fx.c.reports.read.reportCommittee([1n])).toEqual(expected);
    });

    it("matches the golden committee vectors", async () => {
      // 40 active licenses in delegation order from epoch 3 on (delegated in epoch 1, activation delay 2).
      await giveLicenses(fx, checkers[0]!, 30);
      expect(await fx.c.registry.read.activeLicenseCount()).toBe(10n);
      expect(await fx.c.registry.read.licenseCountAt([3n])).toBe(40n);
      const vectors = readVectors<CommitteeVector>("committee.json");
      const vector = vectors.reportCommittees.find((v) => v.activeLicenseCount === 40)!;
      const operators = await fx.c.registry.read.committeeAt([
        3n,
        DomainTag.REPORT_COMMITTEE,
        vector.seed,
        BigInt(vector.epoch),
        BigInt(vector.size),
      ]);
      const expected = await Promise.all(
        vector.committee.map(async (i) => (await fx.c.registry.read.licenseAt([3n, BigInt(i)]))[1]),
      );
      expect(operators).toEqual(expected);
    });

    it("checks committee signatures for other callers (re-checks) with the same rules", async () => {
      const seed = keccak256(toHex("seed"));
      const root = keccak256(toHex("message"));
      const operators = await fx.c.registry.read.committeeAt([1n, DomainTag.REPORT_COMMITTEE, seed, 7n, 4n]);
      const signed = await signSeats(
        fx,
        operators,
        [0, 1, 2],
        Uint8Array.from(Buffer.from(root.slice(2), "hex")),
      );
      expect(
        await fx.c.reports.read.verifyCommitteeSignature([
          1n,
          DomainTag.REPORT_COMMITTEE,
          seed,
          7n,
          4n,
          root,
          signed.bitfield,
          signed.signature,
        ]),
      ).toBe(3n);
      // Another nonce whose first three seats are not the same operators draws another committee.
      let otherNonce = 8n;
      // The aggregate key is a sum: the same operators in another order are the same signers.
      const signers = (ops: readonly string[]) => [...ops.slice(0, 3)].sort().join();
      const sameSigners = (ops: readonly string[]) => signers(ops) === signers(operators);
      while (
        sameSigners(
          await fx.c.registry.read.committeeAt([1n, DomainTag.REPORT_COMMITTEE, seed, otherNonce, 4n]),
        )
      )
        otherNonce++;
      await expectRevert(
        fx.c.reports.read.verifyCommitteeSignature([
          1n,
          DomainTag.REPORT_COMMITTEE,
          seed,
          otherNonce,
          4n,
          root,
          signed.bitfield,
          signed.signature,
        ]),
        "EpochReportsInvalidSignature",
      );
      await expectRevert(
        fx.c.reports.read.verifyCommitteeSignature([
          1n,
          DomainTag.REPORT_COMMITTEE,
          seed,
          7n,
          0n,
          root,
          0n,
          signed.signature,
        ]),
        "EpochReportsInvalidParameter",
      );
      await expectRevert(
        fx.c.reports.read.verifyCommitteeSignature([
          1n,
          DomainTag.REPORT_COMMITTEE,
          seed,
          7n,
          257n,
          root,
          0n,
          signed.signature,
        ]),
        "EpochReportsInvalidParameter",
      );
    });
  });

  describe("epoch seeds", () => {
    const fallback = (seed: Hex, epoch: bigint) => fallbackSeed(seed, epoch);

    it("takes the next seed from the seed proposer's unique signature, revealed during the epoch before", async () => {
      const [proposer, key] = await fx.c.reports.read.seedProposer([1n]);
      expect(fx.keys.get(proposer.toLowerCase())?.publicKeyEip2537).toBe(key);
      const message = await fx.c.reports.read.seedRevealMessage([2n]);
      expect(message).toBe(
        seedRevealMessage(
          await fx.c.reports.read.domainSeparator(),
          2n,
          await fx.c.reports.read.seedOf([1n]),
        ),
      );
      const { receipt, signature } = await revealSeed(fx, 2n);
      const expected = revealedSeed(2n, signature);
      expect(await fx.c.reports.read.seedOf([2n])).toBe(expected);
      expect(await fx.c.reports.read.isSeedRevealed([2n])).toBe(true);
      const seeded = parseEventLogs({ abi: epochReportsAbi, logs: receipt.logs, eventName: "EpochSeeded" });
      expect(seeded.map((e) => e.args)).toEqual([{ epoch: 2n, seed: expected }]);
      await expectRevert(fx.c.reports.write.revealSeed([2n, signature]), "EpochReportsSeedAlreadyRevealed", [
        2n,
      ]);
    });

    it("accepts a reveal only from the proposer, only during the epoch before", async () => {
      const [proposer] = await fx.c.reports.read.seedProposer([1n]);
      const other = checkers.find((c) => c.address.toLowerCase() !== proposer.toLowerCase())!;
      const message = hexToBytes(await fx.c.reports.read.seedRevealMessage([2n]));
      const forged = bytesToHex(g2ToEip2537((await bls()).sign(other.key.secretKey, message)));
      await expectRevert(fx.c.reports.write.revealSeed([2n, forged]), "EpochReportsInvalidReveal", [
        2n,
        proposer,
      ]);
      await expectRevert(fx.c.reports.write.revealSeed([3n, forged]), "EpochReportsRevealWindow", [3n, 1n]);
      await expectRevert(fx.c.reports.write.revealSeed([1n, forged]), "EpochReportsRevealWindow", [1n, 1n]);
      await goToEpoch(fx, 2n);
      const { signature } = await revealSeed(fx, 3n);
      // Too late for epoch 2's own seed: it started with the fallback, which stays.
      await expectRevert(fx.c.reports.write.revealSeed([2n, signature]), "EpochReportsRevealWindow", [
        2n,
        2n,
      ]);
    });

    it("falls back to keccak256(EPOCH_SEED_TAG, last revealed seed, epoch) for epochs without a reveal", async () => {
      const genesis = await fx.c.reports.read.seedOf([0n]);
      expect(await fx.c.reports.read.seedOf([1n])).toBe(fallback(genesis, 1n));
      expect(await fx.c.reports.read.seedOf([9n])).toBe(fallback(genesis, 9n));

      const { signature } = await revealSeed(fx, 2n);
      const seed2 = revealedSeed(2n, signature);
      await goToEpoch(fx, 5n);
      const { signature: sig6 } = await revealSeed(fx, 6n);
      // Epochs 3 to 5 stay derived from epoch 2's seed, 1 from genesis; 7 on from epoch 6's.
      expect(await fx.c.reports.read.seedOf([1n])).toBe(fallback(genesis, 1n));
      expect(await fx.c.reports.read.seedOf([3n])).toBe(fallback(seed2, 3n));
      expect(await fx.c.reports.read.seedOf([5n])).toBe(fallback(seed2, 5n));
      expect(await fx.c.reports.read.seedOf([6n])).toBe(revealedSeed(6n, sig6));
      expect(await fx.c.reports.read.seedOf([7n])).toBe(fallback(revealedSeed(6n, sig6), 7n));
    });

    it("never changes the seed of an epoch that has started, whatever reports land", async () => {
      await goToEpoch(fx, 3n);
      const before = await fx.c.reports.read.seedOf([3n]);
      const nextBefore = await fx.c.reports.read.seedOf([4n]);
      // Reports no longer touch seeds: a late report of epoch 2 and the report of epoch 3 change neither.
      await submitReport(fx, await headerFor(fx, 2n));
      await submitReport(fx, await headerFor(fx, 3n));
      expect(await fx.c.reports.read.seedOf([3n])).toBe(before);
      expect(await fx.c.reports.read.seedOf([4n])).toBe(nextBefore);
    });
  });

  describe("construction", () => {
    it("refuses committees of 0 or more than 190 seats (one contract's code) and a zero quorum", async () => {
      await expect(deployFixture(chain, { reportCommitteeSize: 0 })).rejects.toThrow(
        /EpochReportsInvalidParameter|revert/,
      );
      await expect(
        deployFixture(chain, { reportCommitteeSize: 191, recheckCommitteeSize: 8 }),
      ).rejects.toThrow(/EpochReportsInvalidParameter|revert/);
      await expect(deployFixture(chain, { reportQuorumBps: 0 })).rejects.toThrow(
        /EpochReportsInvalidParameter|revert/,
      );
    });

    it("works with a 64-seat committee", async () => {
      const big = await deployFixture(chain, { reportCommitteeSize: 64 });
      big.keys = fx.keys;
      // Re-register the same wallets in the new deployment with fresh keys.
      const { registerChecker } = await import("./helpers/fixture.ts");
      const c = await registerChecker(big, chain.wallets[15]!, "big-0");
      await giveLicenses(big, c, 3);
      const receipt = await submitReport(big, await headerFor(big, 1n));
      expect(receipt.status).toBe("success");
    });
  });
});

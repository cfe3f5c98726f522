/**
 * Where a devnet report's gas goes. The devnet (scripts/devnet/params.ts) runs 6 operators holding 12
 * licenses, 8 report seats at quorum 6046 and one epoch per committee period, so the first report of every
 * epoch also seals that epoch's committee (`_seal`: the committee draw, the key sums, and a CREATE writing
 * the keys as code). The same deployment with 96-epoch periods (the default) pays the sealing once per
 * period: its reports are the bare report of bench:gas. Sealing is the difference, and nothing else is:
 * a report carries only roots, so FAIL leaves cost it nothing (their slashes open in Slashing.openSlash).
 */
import { parseEventLogs } from "viem";
import { describe, expect, it } from "vitest";
import { epochReportsAbi } from "../src/generated/index.ts";
import { mined, type TestChain } from "./helpers/chain.ts";
import {
  allSeats,
  deployWithCheckers,
  type Fixture,
  goToEpoch,
  headerFor,
  reachReportTime,
  submitReport,
} from "./helpers/fixture.ts";

/** The devnet's committee (scripts/devnet/params.ts): 8 seats, quorum 6046 (5 of 8), 6 operators × 2 licenses. */
const DEVNET = { operators: 6, licensesPerOperator: 2, reportCommitteeSize: 8, reportQuorumBps: 6_046 };
const QUORUM_SEATS = allSeats(5);
/** The devnet's 3 providers, 6 attestations each (only calldata: a report carries roots and counters). */
const DEVNET_COUNTS = { providerCount: 3, attestationCount: 18 };

interface Measured {
  /** Gas of the second report of the deployment (epoch 2), every seat signing and exactly the quorum. */
  all: bigint;
  quorum: bigint;
  /** Whether that report emitted CommitteeSealed (sealed its committee in the same transaction). */
  sealedInReport: boolean;
  /** Gas of `sealCommittee(2)` sent on its own (period 1 only: with 96-epoch periods epoch 2 is sealed). */
  sealAlone?: bigint;
  /** Gas of the reports of epochs 2 to 6 landed one after another, every seat signing. */
  series: bigint[];
}

async function measure(committeePeriodEpochs: bigint): Promise<Measured> {
  const { chain, fx } = await deployWithCheckers(DEVNET.operators, DEVNET.licensesPerOperator, {
    reportCommitteeSize: DEVNET.reportCommitteeSize,
    reportQuorumBps: DEVNET.reportQuorumBps,
    committeePeriodEpochs,
  });
  await goToEpoch(fx, 1n);
  // The first report of the deployment writes the contract's counters for the first time; the devnet's
  // reports after it do not, so the measured one is the second.
  await submitReport(fx, await headerFor(fx, 1n, DEVNET_COUNTS));
  await goToEpoch(fx, 2n);
  const header = await headerFor(fx, 2n, DEVNET_COUNTS);
  const all = await reverting(chain, () => submitReport(fx, header));
  const quorum = await reverting(chain, () => submitReport(fx, header, QUORUM_SEATS));
  const sealedInReport = sealedBy(all);
  const sealAlone = committeePeriodEpochs === 1n ? await reverting(chain, () => sealAloneGas(fx)) : undefined;
  const series: bigint[] = [];
  for (let epoch = 2n; epoch <= 6n; epoch++) {
    if (epoch > 2n) await goToEpoch(fx, epoch);
    series.push((await submitReport(fx, await headerFor(fx, epoch, DEVNET_COUNTS))).gasUsed);
  }
  return { all: all.gasUsed, quorum: quorum.gasUsed, sealedInReport, sealAlone, series };
}

async function sealAloneGas(fx: Fixture): Promise<bigint> {
  await reachReportTime(fx, 2n);
  return (await mined(fx.chain, fx.c.reports.write.sealCommittee([2n]))).gasUsed;
}

function sealedBy(receipt: Awaited<ReturnType<typeof submitReport>>): boolean {
  const events = parseEventLogs({ abi: epochReportsAbi, logs: receipt.logs, eventName: "CommitteeSealed" });
  return events.length > 0;
}

async function reverting<T>(chain: TestChain, body: () => Promise<T>): Promise<T> {
  const id = await chain.testClient.snapshot();
  try {
    return await body();
  } finally {
    await chain.testClient.revert({ id });
  }
}

describe("a devnet report's gas (8 seats, 6 operators, 12 licenses)", () => {
  it("is a bare report plus the committee's sealing when each epoch is its own committee period", async () => {
    const perEpoch = await measure(1n);
    const perPeriod = await measure(96n);

    expect(perEpoch.sealedInReport).toBe(true);
    expect(perPeriod.sealedInReport).toBe(false);
    // With 96-epoch periods the report is the bare report of bench:gas (~291k at 135 seats, all signing):
    // BLS verification, three new slots, the transaction, the rest. At 8 seats it stays under 300,000.
    expect(perPeriod.all).toBeLessThan(300_000n);
    expect(perPeriod.quorum).toBeLessThan(300_000n);
    // Sealing 8 seats inside the report costs what sealCommittee costs on its own, less the second
    // transaction's 21,000 and calldata: the whole difference is the sealing.
    const sealing = perEpoch.all - perPeriod.all;
    const sealAlone = perEpoch.sealAlone!;
    expect(sealing).toBeGreaterThan(sealAlone - 40_000n);
    expect(sealing).toBeLessThan(sealAlone);
    // docs/devnet.md and docs/protocol/contracts.md §13 quote these; a report that grows past them is a
    // regression to find, not a number to update silently.
    expect(perEpoch.all).toBeLessThan(700_000n);
    expect(perEpoch.quorum).toBeLessThan(700_000n);
    // Every epoch's report seals (one-epoch periods), and none of the 96-epoch period's reports after the first.
    for (const gas of perEpoch.series) expect(gas).toBeGreaterThan(perPeriod.all + 350_000n);
    for (const gas of perPeriod.series) expect(gas).toBeLessThan(300_000n);
  }, 120_000);
});

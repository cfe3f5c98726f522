import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Beneficiary, type RewardLeaf } from "@checkernet/protocol/merkle/leaves";
import { rewardProof } from "@checkernet/protocol/merkle/trees";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectChain, mined, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  deployFixture,
  type Fixture,
  goToEpoch,
  publishEpoch,
  setupCheckers,
  TOKEN,
  unlockLicenseRewards,
} from "../../../../contracts/test/helpers/fixture.ts";
import { HistoryReader } from "../../../src/api/history.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import { deploymentClock } from "../../utils/chain.ts";
import { publishAsAggregator } from "../../utils/reports.ts";

// GET /history on Hardhat's EDR: each landed report says what this node did for it from the node's own
// record (the dashboard's "This node" column showed "–" for every epoch past /status's short recent
// list), and a license reward turns claimed once its owner claims it (the chart's bar leaves amber).

let chain: TestChain;
let fx: Fixture;
let operator: Checker;
let db: CheckerDb;
let chainNowMs = 0;

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain);
  operator = (await setupCheckers(fx, 4, 1))[0]!;
  await goToEpoch(fx, 1n);
  db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-history-")) });
}, 120_000);

afterAll(async () => {
  await db?.close();
});

async function syncClock() {
  chainNowMs = Number((await chain.publicClient.getBlock()).timestamp) * 1000;
}

describe("GET /history: this node's part in each landed report, and claimed rewards", () => {
  it("names the node's role for epochs it aggregated (and null where it kept no record); claimed turns true after the claim", async () => {
    const id = operator.licenses[0]!;
    const leaves: RewardLeaf[] = [{ beneficiary: Beneficiary.LICENSE, id, amount: 4n * TOKEN }];
    const one = await publishAsAggregator(fx, db, 1n, leaves);
    // Epoch 2 landed too, but this node kept nothing of it.
    await goToEpoch(fx, 2n);
    await publishEpoch(fx, 2n, {});
    await syncClock();
    const c = fx.deployment.contracts;
    const reader = () =>
      new HistoryReader(
        { publicClient: chain.publicClient, db, clock: deploymentClock(fx, () => chainNowMs) },
        {
          contracts: {
            epochReports: c.epochReports,
            rewards: c.rewards,
            checkerLicense: c.checkerLicense,
            slashing: c.slashing,
          },
          operator: operator.address,
        },
      );
    const before = await reader().read();
    expect(before.reports.map((r) => [r.epoch, r.thisNode])).toEqual([
      [2n, null],
      [1n, { role: "aggregator", status: "submitted" }],
    ]);
    expect(before.rewards).toMatchObject([
      { epoch: 1n, amount: 4n * TOKEN, licenses: [{ licenseId: id, claimed: false }] },
    ]);
    expect(before.totals.claimed).toBe(0n);

    await unlockLicenseRewards(fx, 1n);
    await mined(
      chain,
      fx.c.rewards.write.claim([1n, leaves[0]!, rewardProof(one.rewards!, Beneficiary.LICENSE, id)]),
    );
    await syncClock();
    const after = await reader().read();
    expect(after.rewards[0]!.licenses).toEqual([{ licenseId: id, amount: 4n * TOKEN, claimed: true }]);
    expect(after.totals).toMatchObject({ claimed: 4n * TOKEN, unclaimed: 0n, locked: 0n });
  }, 120_000);
});

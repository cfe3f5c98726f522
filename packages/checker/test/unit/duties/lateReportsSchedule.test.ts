import { createLogger } from "@checkernet/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestChain } from "../../../../contracts/test/helpers/chain.ts";
import type { Fixture } from "../../../../contracts/test/helpers/fixture.ts";
import { ReportStatus, readReportRecords } from "../../../src/reports/aggregatorRecords.ts";
import {
  deployScheduleFixture,
  SCHEDULE_EPOCH_SECONDS as EPOCH_SECONDS,
  type ScheduleNodes,
  scheduleNodes,
} from "../../utils/scheduleHarness.ts";

const silent = createLogger({
  level: (process.env.TEST_LOG as "info" | undefined) ?? "silent",
  pretty: false,
});

// Issue 14, late reports through the epoch loop CheckerNode runs: the nodes hold epoch e's attestations
// but were not running while e's report was due (as when the chain was down all of e); started in
// e + 1, they find e unreported and its ranked aggregator lands e's report late, without anyone
// calling reportLate by hand.

let chain: TestChain;
let fx: Fixture;
let nodes: ScheduleNodes | undefined;

beforeAll(async () => {
  ({ chain, fx } = await deployScheduleFixture());
}, 60_000);

afterAll(async () => {
  await nodes?.stop();
});

describe("AggregatorDuty.start with late reports (the epoch loop CheckerNode runs)", () => {
  it("reports an epoch it missed in the next epoch, exactly once", async () => {
    nodes = await scheduleNodes(chain, fx, silent);
    const { dbs, duties } = nodes;
    const { epoch, startMs, attestations } = await nodes.attestNextEpoch();
    for (const db of dbs) await db.putAttestations(attestations);
    // Nobody runs during e. In e + 1 the nodes start.
    await nodes.advanceTo(startMs + EPOCH_SECONDS * 1000);
    await nodes.directory.refresh();
    expect((await fx.c.reports.read.reportOf([epoch])).submittedAt).toBe(0n);
    for (const d of duties) d.start();

    await expect
      .poll(async () => (await fx.c.reports.read.reportOf([epoch])).submittedAt, {
        timeout: 15_000,
        interval: 200,
      })
      .toBeGreaterThan(0n);
    // Let the backups' turns pass: they find the report and stand down.
    await new Promise((r) => setTimeout(r, EPOCH_SECONDS * 400));
    const records = (await Promise.all(dbs.map((db) => readReportRecords(db, epoch)))).map((rs) =>
      rs.find((r) => r.epoch === epoch),
    );
    const submitted = records.filter((r) => r?.status === ReportStatus.SUBMITTED);
    expect(submitted).toHaveLength(1);
    expect(submitted[0]?.late).toBe(true);
    expect(records.every((r) => r?.status !== ReportStatus.FAILED)).toBe(true);
  }, 60_000);
});

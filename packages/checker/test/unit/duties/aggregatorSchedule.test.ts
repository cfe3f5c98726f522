import { createLogger } from "@checkernet/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestChain } from "../../../../contracts/test/helpers/chain.ts";
import type { Fixture } from "../../../../contracts/test/helpers/fixture.ts";
import { ReportStatus, readReportRecord } from "../../../src/reports/aggregatorRecords.ts";
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

let chain: TestChain;
let fx: Fixture;
let nodes: ScheduleNodes | undefined;

beforeAll(async () => {
  ({ chain, fx } = await deployScheduleFixture());
}, 60_000);

afterAll(async () => {
  await nodes?.stop();
});

describe("AggregatorDuty.start (the epoch loop CheckerNode runs)", () => {
  it("aggregates each epoch by itself after the publish phase opens, exactly once", async () => {
    nodes = await scheduleNodes(chain, fx, silent);
    const { dbs, duties } = nodes;
    const { epoch, attestations } = await nodes.attestNextEpoch();
    await nodes.directory.refresh();
    for (const db of dbs) await db.putAttestations(attestations);
    for (const d of duties) d.start();

    await expect
      .poll(async () => (await fx.c.reports.read.reportOf([epoch])).submittedAt, {
        timeout: 15_000,
        interval: 200,
      })
      .toBeGreaterThan(0n);
    // Let the backups' turns pass: they find the report and stand down.
    await new Promise((r) => setTimeout(r, EPOCH_SECONDS * 400));
    const records = await Promise.all(dbs.map((db) => readReportRecord(db, epoch)));
    const statuses = records.map((r) => r?.status);
    expect(statuses.filter((s) => s === ReportStatus.SUBMITTED)).toHaveLength(1);
    expect(statuses.every((s) => s !== ReportStatus.FAILED)).toBe(true);
    const roles = duties.map((d) => d.lastRole);
    expect(roles.every((r) => r !== undefined)).toBe(true);
  }, 60_000);
});

import { describe, expect, it } from "vitest";
import { ReportStatus, readReportRecord } from "../../../src/reports/aggregatorRecords.ts";
import { scheduleHarness } from "../../utils/scheduleHarness.ts";

const startNodes = scheduleHarness();

describe("AggregatorDuty.start (the epoch loop CheckerNode runs)", () => {
  it("aggregates each epoch by itself after the publish phase opens, exactly once", async () => {
    const { dbs, duties, directory, attestNextEpoch, landed } = await startNodes();
    const { epoch, attestations } = await attestNextEpoch();
    await directory.refresh();
    for (const db of dbs) await db.putAttestations(attestations);
    for (const d of duties) d.start();

    await landed(epoch);
    const records = await Promise.all(dbs.map((db) => readReportRecord(db, epoch)));
    const statuses = records.map((r) => r?.status);
    expect(statuses.filter((s) => s === ReportStatus.SUBMITTED)).toHaveLength(1);
    expect(statuses.every((s) => s !== ReportStatus.FAILED)).toBe(true);
    const roles = duties.map((d) => d.lastRole);
    expect(roles.every((r) => r !== undefined)).toBe(true);
  }, 60_000);
});

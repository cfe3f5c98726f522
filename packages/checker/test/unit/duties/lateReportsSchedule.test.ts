import { describe, expect, it } from "vitest";
import { ReportStatus, readReportRecords } from "../../../src/reports/aggregatorRecords.ts";
import { SCHEDULE_EPOCH_SECONDS as EPOCH_SECONDS, scheduleHarness } from "../../utils/scheduleHarness.ts";

// Issue 14, late reports through the epoch loop CheckerNode runs: the nodes hold epoch e's attestations
// but were not running while e's report was due (as when the chain was down all of e); started in
// e + 1, they find e unreported and its ranked aggregator lands e's report late, without anyone
// calling reportLate by hand.

const startNodes = scheduleHarness();

describe("AggregatorDuty.start with late reports (the epoch loop CheckerNode runs)", () => {
  it("reports an epoch it missed in the next epoch, exactly once", async () => {
    const { fx, dbs, duties, directory, attestNextEpoch, advanceTo, landed } = await startNodes();
    const { epoch, startMs, attestations } = await attestNextEpoch();
    for (const db of dbs) await db.putAttestations(attestations);
    // Nobody runs during e. In e + 1 the nodes start.
    await advanceTo(startMs + EPOCH_SECONDS * 1000);
    await directory.refresh();
    expect((await fx.c.reports.read.reportOf([epoch])).submittedAt).toBe(0n);
    for (const d of duties) d.start();

    await landed(epoch);
    const records = (await Promise.all(dbs.map((db) => readReportRecords(db, epoch)))).map((rs) =>
      rs.find((r) => r.epoch === epoch),
    );
    const submitted = records.filter((r) => r?.status === ReportStatus.SUBMITTED);
    expect(submitted).toHaveLength(1);
    expect(submitted[0]?.late).toBe(true);
    expect(records.every((r) => r?.status !== ReportStatus.FAILED)).toBe(true);
  }, 60_000);
});

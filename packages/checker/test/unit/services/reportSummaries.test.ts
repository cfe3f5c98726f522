import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Beneficiary } from "@checkernet/protocol/merkle/leaves";
import type { ReportHeader } from "@checkernet/protocol/types";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import {
  type ReportRecord,
  ReportRole,
  ReportStatus,
  writeReportRecord,
} from "../../../src/reports/aggregatorRecords.ts";
import { recentReportSummaries } from "../../../src/services/reportSummaries.ts";

/** A record as a node with 1,000 licenses stores it: a reward leaf per license (~130 KiB of JSON). */
function record(epoch: bigint, status: ReportRecord["status"]): ReportRecord {
  return {
    epoch,
    role: ReportRole.AGGREGATOR,
    status,
    header: {} as ReportHeader,
    results: [],
    rewards: Array.from({ length: 1_000 }, (_, i) => ({
      beneficiary: Beneficiary.LICENSE,
      id: BigInt(i + 1),
      amount: 10n ** 18n + BigInt(i),
    })),
    updatedMs: 0,
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("/status's recent reports (issue 15)", () => {
  it("decode a stored record once per change of its bytes, not at every poll", async () => {
    const db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-summaries-")) });
    try {
      for (const e of [3n, 4n, 5n]) await writeReportRecord(db, record(e, ReportStatus.PENDING));
      const parse = vi.spyOn(JSON, "parse");
      const first = await recentReportSummaries(db, 5n);
      expect(first.map((s) => [s.epoch, s.status])).toEqual([
        ["5", "pending"],
        ["4", "pending"],
        ["3", "pending"],
      ]);
      const decoded = parse.mock.calls.length;
      expect(decoded).toBe(3);
      // Polled again (every second by the dashboard): nothing decoded.
      for (let poll = 0; poll < 5; poll++) await recentReportSummaries(db, 5n);
      expect(parse.mock.calls.length).toBe(decoded);
      // Epoch 5's record changes: only it is decoded again, and the summary shows the change.
      await writeReportRecord(db, { ...record(5n, ReportStatus.SUBMITTED), txHash: `0x${"ab".repeat(32)}` });
      const after = await recentReportSummaries(db, 5n);
      expect(parse.mock.calls.length).toBe(decoded + 1);
      expect(after[0]).toMatchObject({ epoch: "5", status: "submitted", txHash: `0x${"ab".repeat(32)}` });
      // Eight epochs on, epoch 3 is no longer recent.
      expect((await recentReportSummaries(db, 11n)).map((s) => s.epoch)).toEqual(["5", "4"]);
    } finally {
      await db.close();
    }
  });
});

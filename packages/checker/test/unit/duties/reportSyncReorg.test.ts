import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@checkernet/runtime";
import type { PublicClient } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectChain, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  deployFixture,
  type Fixture,
  publishEpoch,
  setupCheckers,
} from "../../../../contracts/test/helpers/fixture.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import { REPORT_FINALITY_BLOCKS, ReportSync, ReportSyncOutcome } from "../../../src/duties/reportSync.ts";
import { type CountedRpc, countedRpc } from "../../utils/countedRpc.ts";

/**
 * The report sync keeps a landed report without re-reading it (issue 15), but only once it is final: a
 * report read before a reorg undid its block must not stay "landed". On a real EDR chain, evm_snapshot /
 * evm_revert is the reorg: the blocks after the snapshot, the report's included, are gone.
 */
const silent = createLogger({ level: "silent", pretty: false });
let chain: TestChain;
let fx: Fixture;
let db: CheckerDb;

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain);
  await setupCheckers(fx, 3, 1);
  db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-report-reorg-")) });
});
afterAll(async () => {
  await db?.close();
});

/** A report sync over `client` that no peer serves: a landed report is UNAVAILABLE, no report NOT_REPORTED. */
function lonelySync(client: PublicClient): ReportSync {
  return new ReportSync(
    {
      db,
      publicClient: client,
      logger: silent,
      peers: () => [],
      fetchReport: () => Promise.reject(new Error("no peer here")),
      currentEpoch: () => 3n,
    },
    { epochReports: fx.deployment.contracts.epochReports, intervalMs: 60_000, lookbackEpochs: 16 },
  );
}
const reportOfReads = (rpc: CountedRpc) => rpc.calls("reportOf(uint64)");

describe("report sync and reorgs (EDR)", () => {
  it("forgets a report a reorg undid, and keeps one only once it is finality blocks deep", async () => {
    const rpc = countedRpc(chain);
    const sync = lonelySync(rpc.client);
    const beforeReport = await chain.testClient.snapshot();
    await publishEpoch(fx, 1n);
    expect((await sync.ensure(1n)).outcome).toBe(ReportSyncOutcome.UNAVAILABLE);

    // The reorg: the report's block is gone, and so is the report.
    await chain.testClient.revert({ id: beforeReport });
    expect((await sync.ensure(1n)).outcome).toBe(ReportSyncOutcome.NOT_REPORTED);

    // It lands again and is buried under REPORT_FINALITY_BLOCKS blocks: read one last time, then kept.
    await publishEpoch(fx, 1n);
    await chain.testClient.mine({ blocks: REPORT_FINALITY_BLOCKS });
    expect((await sync.ensure(1n)).outcome).toBe(ReportSyncOutcome.UNAVAILABLE);
    const reads = reportOfReads(rpc);
    for (let i = 0; i < 5; i++) expect((await sync.ensure(1n)).outcome).toBe(ReportSyncOutcome.UNAVAILABLE);
    expect(reportOfReads(rpc)).toBe(reads);
  });

  it("reads a report again while it is less than finality blocks deep", async () => {
    const rpc = countedRpc(chain);
    const sync = lonelySync(rpc.client);
    await publishEpoch(fx, 2n);
    await chain.testClient.mine({ blocks: REPORT_FINALITY_BLOCKS - 2 });
    expect((await sync.ensure(2n)).outcome).toBe(ReportSyncOutcome.UNAVAILABLE);
    const shallow = reportOfReads(rpc);
    expect((await sync.ensure(2n)).outcome).toBe(ReportSyncOutcome.UNAVAILABLE);
    expect(reportOfReads(rpc)).toBeGreaterThan(shallow);
  });
});

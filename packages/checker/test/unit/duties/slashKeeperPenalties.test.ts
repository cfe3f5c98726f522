import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@checkernet/runtime";
import { type Address, keccak256, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mined, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  contestSlash,
  deployWithCheckers,
  type Fixture,
  failLeaf,
  fundContestBonds,
  goToEpoch,
  publishEpoch,
  setupProvider,
  signRecheck,
  TOKEN,
} from "../../../../contracts/test/helpers/fixture.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import type { SubmitterWallet } from "../../../src/duties/leader/submitOnce.ts";
import { SlashKeeper } from "../../../src/duties/slashKeeper.ts";
import { createMetrics } from "../../../src/metrics/index.ts";
import { ReportRole, ReportStatus, writeReportRecord } from "../../../src/reports/aggregatorRecords.ts";

// Review4 H3 (issue 14): a re-check overturned a FAIL whose leaf lists more accusers than the contract jails
// with the re-check (MAX_INLINE_ACCUSERS, 64); the node's slash keeper pages penalizeAccusers through the
// rest from the leaf it stored, without anyone calling it by hand. Real contracts on Hardhat's EDR.

let chain: TestChain;
let fx: Fixture;
let db: CheckerDb;

beforeAll(async () => {
  ({ chain, fx } = await deployWithCheckers(6, 2));
  db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-keeper-")) });
}, 60_000);

afterAll(async () => {
  await db?.close();
});

describe("slash keeper: accusers of an overturned slash (review4 H3)", () => {
  it("pages penalizeAccusers through a 70-accuser list once a re-check overturned the slash", async () => {
    const provider = await setupProvider(fx, chain.wallets[10]!);
    await fundContestBonds(fx, provider, 100n * TOKEN);
    await goToEpoch(fx, 1n);
    const many: Address[] = Array.from(
      { length: 70 },
      (_, i) => `0x${keccak256(toHex(`accuser-${i}`)).slice(26)}` as Address,
    );
    const leaf = failLeaf(provider.address, many);
    const published = await publishEpoch(fx, 1n, { results: [leaf] });
    // The node holds the report's leaves (as a co-signer or from a peer).
    await writeReportRecord(db, {
      epoch: 1n,
      role: ReportRole.FETCHED,
      status: ReportStatus.REPORTED_BY_OTHER,
      header: published.header,
      results: [leaf],
      rewards: [],
      updatedMs: 0,
    });
    const slashId = await contestSlash(fx, provider, leaf, published);
    const { recheckEpoch } = await fx.c.slashing.read.slashOf([slashId]);
    await goToEpoch(fx, recheckEpoch);
    const { header, bitfield, signature } = await signRecheck(fx, slashId, 0); // PASS
    await mined(chain, fx.c.slashing.write.submitRecheck([header, bitfield, signature]));
    expect(await fx.c.slashing.read.isOverturned([slashId])).toBe(true);
    expect(await fx.c.slashing.read.isPenalized([many[0]!, 1n])).toBe(false);

    const metrics = createMetrics();
    const keeper = new SlashKeeper(
      {
        db,
        logger: createLogger({ level: "silent", pretty: false }),
        publicClient: chain.publicClient,
        walletClient: chain.wallets[5] as SubmitterWallet,
        clock: { currentEpoch: () => recheckEpoch, epochSeconds: Number(fx.deployment.epochSeconds) },
        metrics,
        rankOf: async () => 0,
      },
      { slashing: fx.deployment.contracts.slashing, epochReports: fx.deployment.contracts.epochReports },
    );
    await keeper.tick();
    for (const accuser of many) expect(await fx.c.slashing.read.isPenalized([accuser, 1n])).toBe(true);
    const events = await chain.publicClient.getContractEvents({
      address: fx.deployment.contracts.slashing,
      abi: fx.c.slashing.abi,
      eventName: "AccusersPenalized",
      args: { slashId },
      fromBlock: 0n,
    });
    // Two pages: 64, then the last 6.
    expect(events.map((e) => e.args.accusers?.length)).toEqual([64, 6]);
    // Done: a second look sends nothing.
    await keeper.tick();
    const again = await chain.publicClient.getContractEvents({
      address: fx.deployment.contracts.slashing,
      abi: fx.c.slashing.abi,
      eventName: "AccusersPenalized",
      args: { slashId },
      fromBlock: 0n,
    });
    expect(again).toHaveLength(2);
    const sent = (await metrics.slashKeeperActions.get()).values.find(
      (v) => v.labels.action === "penalizeAccusers" && v.labels.outcome === "sent",
    );
    expect(sent?.value).toBe(1);
  }, 120_000);
});

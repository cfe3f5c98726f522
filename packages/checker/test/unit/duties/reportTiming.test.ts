import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBlsBackend } from "@checkernet/protocol/bls/index";
import { withParams } from "@checkernet/protocol/params";
import { createLogger } from "@checkernet/runtime";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { bytesToHex, getAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectChain, mined, setTime, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  deployFixture,
  type Fixture,
  goToEpoch,
  setupCheckers,
} from "../../../../contracts/test/helpers/fixture.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import { tooEarlyWaitMs } from "../../../src/duties/aggregatorDuty.ts";
import { ReportStatus } from "../../../src/reports/aggregatorRecords.ts";
import { chainDirectory, deploymentClock } from "../../utils/chain.ts";
import { aggregatorDuty } from "../../utils/duties.ts";
import { makeAttestation, signAttestation } from "../../utils/fixtures.ts";

const silent = createLogger({ level: "silent", pretty: false });
/** Reports of an epoch are accepted from 50 s into its 100 s: the end of its checking phase. */
const REPORT_DELAY = 50n;

let chain: TestChain;
let fx: Fixture;
let checker: Checker;
const dbs: CheckerDb[] = [];

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain, { reportDelaySeconds: REPORT_DELAY, reportCommitteeSize: 8 });
  // One operator holds every seat of the report committee: it co-signs its own report, no network needed.
  [checker] = (await setupCheckers(fx, 1, 1)) as [Checker];
  const wallet = chain.wallets[10]!;
  const peer = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
  await mined(
    chain,
    fx
      .as(wallet)
      .providers.write.register([bytesToHex(peer.toMultihash().bytes), "cpu-reference", 16, "local"]),
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(dbs.map((d) => d.close()));
});

describe("report timing: the chain accepts a report from the end of the epoch's checking phase", () => {
  it("a report refused as too early by a chain whose clock trails the node's is sent again, not dropped", async () => {
    const provider = getAddress(chain.wallets[10]!.account.address);
    // The chain's latest block is 2 s into epoch 1, 48 s before reports of epoch 1 are accepted; the node's
    // clock is past that point already (it runs ahead of the chain's).
    await goToEpoch(fx, 1n, 2n);
    const acceptedFrom = fx.deployment.genesisTime + REPORT_DELAY;
    const clock = deploymentClock(fx, () => Number(acceptedFrom) * 1000 + 5_000);
    const directory = await chainDirectory(chain, fx, silent);
    const db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-timing-")) });
    dbs.push(db);
    const seed = await fx.c.reports.read.seedOf([1n]);
    await db.putAttestations([
      await signAttestation(
        { ...checker.key, address: checker.address, licenses: 1 },
        makeAttestation(checker.address, provider, 1n),
        seed,
        fx.domain,
      ),
    ]);
    const duty = aggregatorDuty(
      {
        fx,
        checker,
        directory,
        clock,
        db,
        bls: await loadBlsBackend("auto"),
        logger: silent,
        params: withParams({ committeeSize: 8 }),
      },
      { retryBaseMs: 50, earlyRetryMaxMs: 300 },
    );
    const run = duty.runEpoch(1n, { waitForTurn: false });
    // The chain catches up a moment later (its next blocks carry later times).
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await fx.c.reports.read.reportOf([1n])).submittedAt).toBe(0n);
    await setTime(chain, acceptedFrom);
    const outcome = await run;
    expect(outcome.record?.status).toBe(ReportStatus.SUBMITTED);
    expect(outcome.record?.error ?? "").toMatch(/EpochReportsTooEarly/);
    const landed = await fx.c.reports.read.reportOf([1n]);
    expect(landed.submittedAt).toBeGreaterThanOrEqual(acceptedFrom);
  }, 60_000);

  it("waits as long as the contract's answer says, within bounds", () => {
    expect(tooEarlyWaitMs([1n, 100n, 103n], 20)).toBe(4_000);
    expect(tooEarlyWaitMs([1n, 100n, 100n], 20)).toBe(1_000);
    expect(tooEarlyWaitMs([1n, 100n, 500n], 20)).toBe(20_000);
    expect(tooEarlyWaitMs(undefined, 20)).toBe(1_000);
  });
});

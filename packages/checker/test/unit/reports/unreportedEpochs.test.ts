import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SignedAttestation } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  deployWithCheckers,
  type Fixture,
  goToEpoch,
  headerFor,
  submitReport,
} from "../../../../contracts/test/helpers/fixture.ts";
import { AlertCode, computeAlerts } from "../../../src/api/alerts.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import { createMetrics } from "../../../src/metrics/index.ts";
import { UNREPORTED_LIMITS, UnreportedEpochs } from "../../../src/reports/unreportedEpochs.ts";
import { deploymentClock } from "../../utils/chain.ts";
import { makeAttestation, randomAddress, signAttestation } from "../../utils/fixtures.ts";

const silent = createLogger({ level: "silent", pretty: false });

let chain: TestChain;
let fx: Fixture;
let checkers: Checker[];
let db: CheckerDb;

beforeAll(async () => {
  ({ chain, fx, checkers } = await deployWithCheckers(4, 1, { reportCommitteeSize: 8 }));
  db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-unreported-")) });
}, 60_000);

afterAll(async () => {
  await db.close();
});

/** What gossip leaves in a node's db for `epoch`: every checker's attestation of one provider. */
async function attested(epoch: bigint): Promise<void> {
  const seed = await fx.c.reports.read.seedOf([epoch]);
  const provider = randomAddress();
  const out: SignedAttestation[] = [];
  for (const c of checkers)
    out.push(
      await signAttestation(
        { ...c.key, address: c.address, licenses: 1 },
        makeAttestation(c.address, provider, epoch),
        seed,
        fx.domain,
      ),
    );
  await db.putAttestations(out);
}

/** The chain's time, as the node's clock (both move with setTime). */
async function chainNowMs(): Promise<number> {
  return Number((await chain.publicClient.getBlock()).timestamp) * 1000;
}

describe("unreported epochs (Hardhat EDR, a level db): an epoch whose report never landed", () => {
  it("is listed once the contract's lateness window closed, counted in checker_unreported_epochs, and raises EPOCH_UNREPORTED", async () => {
    const lateness = await fx.c.reports.read.reportLatenessEpochs();
    let nowMs = 0;
    const clock = deploymentClock(fx, () => nowMs);
    const metrics = createMetrics();
    const watch = new UnreportedEpochs(
      { db, publicClient: chain.publicClient, clock, logger: silent, metrics },
      { epochReports: fx.deployment.contracts.epochReports },
    );
    // Epoch 1 is reported; epoch 2's report never lands (the RPC was down, say); in epoch 3 nobody attested.
    await goToEpoch(fx, 1n);
    await attested(1n);
    await submitReport(fx, await headerFor(fx, 1n));
    await goToEpoch(fx, 2n);
    await attested(2n);

    // Inside epoch 2's window (it may still land late): nothing is listed.
    await goToEpoch(fx, 2n + lateness, 10n);
    nowMs = await chainNowMs();
    await watch.check();
    expect(watch.unreported()).toEqual([]);
    // The window's last second has passed, but not the grace for a chain clock behind ours.
    await goToEpoch(fx, 3n + lateness, 1n);
    nowMs = await chainNowMs();
    await watch.check();
    expect(watch.unreported()).toEqual([]);

    // The window closed: epoch 2 is unreported; 1 landed and 3 had nothing to report.
    await goToEpoch(fx, 3n + lateness, BigInt(UNREPORTED_LIMITS.graceMs / 1000) + 2n);
    nowMs = await chainNowMs();
    await watch.check();
    expect(watch.unreported()).toEqual([2n]);
    expect((await metrics.unreportedEpochs.get()).values[0]?.value).toBe(1);
    expect((await metrics.unreportedEpochsTotal.get()).values[0]?.value).toBe(1);
    // A verdict is final: another pass reads nothing more and counts nothing twice.
    await watch.check();
    expect((await metrics.unreportedEpochsTotal.get()).values[0]?.value).toBe(1);

    const current = clock.currentEpoch();
    const base = {
      chain: { configured: true, connected: true, lastError: null, rpcUrl: "http://127.0.0.1:8545" },
      peers: 3,
      meshPeers: 3,
      warmedUp: true,
      operator: {
        address: checkers[0]!.address,
        hasKey: true,
        registered: true,
        keyMatches: true,
        licenses: 1,
      },
      reports: [],
      firstFullEpoch: 1n,
    };
    const alerts = computeAlerts({
      ...base,
      unreported: { epochs: watch.unreported(), current, alertEpochs: UNREPORTED_LIMITS.alertEpochs },
    });
    expect(alerts.map((a) => a.code)).toEqual([AlertCode.EPOCH_UNREPORTED]);
    expect(alerts[0]!.message).toMatch(/^no report landed for epoch 2 before the contract stopped taking it/);
    // A stale loss clears: the alert covers the last alertEpochs epochs (the list in /status keeps 64).
    const later = computeAlerts({
      ...base,
      unreported: {
        epochs: [2n],
        current: 2n + UNREPORTED_LIMITS.alertEpochs + 1n,
        alertEpochs: UNREPORTED_LIMITS.alertEpochs,
      },
    });
    expect(later).toEqual([]);
  }, 60_000);
});

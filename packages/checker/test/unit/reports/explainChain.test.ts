import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBlsBackend } from "@checkernet/protocol/bls/index";
import { withParams } from "@checkernet/protocol/params";
import { CheckResult, type SignedAttestation } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { fetchReport, REPORTS_PROTOCOL } from "@checkernet/wire";
import fc from "fast-check";
import { type Address, bytesToHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectChain, mined, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  deployFixture,
  type Fixture,
  giveLicenses,
  goToEpoch,
  registerChecker,
} from "../../../../contracts/test/helpers/fixture.ts";
import { explainRoutes } from "../../../src/api/explain.ts";
import { reportsRoutes } from "../../../src/api/reports.ts";
import { StatusApi } from "../../../src/api/server.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import { ReportSync, ReportSyncOutcome } from "../../../src/duties/reportSync.ts";
import { createMetrics } from "../../../src/metrics/index.ts";
import type { CheckerHost } from "../../../src/network/host.ts";
import { handleCosign } from "../../../src/network/reqresp/cosign.ts";
import { handleReports } from "../../../src/network/reqresp/reports.ts";
import { ReportRole, ReportStatus, readReportRecord } from "../../../src/reports/aggregatorRecords.ts";
import { explainLicenseRange, explainProviderEpoch } from "../../../src/reports/explainService.ts";
import { claimAll, storedRewardsFromDb } from "../../../src/rewards/licenseRewards.ts";
import {
  chainDirectory,
  deploymentClock,
  registerProvider as registerTestProvider,
} from "../../utils/chain.ts";
import { aggregatorDuty } from "../../utils/duties.ts";
import { makeAttestation, signAttestation } from "../../utils/fixtures.ts";
import { introduceAll, loopbackHost, stopHosts } from "../../utils/hosts.ts";

/**
 * The property: for random license, provider and fault
 * configurations, real reports built and BLS-co-signed by the TypeScript
 * aggregator over libp2p land on Hardhat's EDR for several epochs; a node
 * that took part in none of them mirrors every report from its peers
 * (verified against the on-chain roots) and explains every license; the
 * explanation equals what the Rewards contract pays, license by license.
 */

const silent = createLogger({ level: "silent", pretty: false });
const params = withParams({ committeeSize: 8, aggregatorBackups: 3 });
const MAX_CHECKERS = 4;

let chain: TestChain;
let fx: Fixture;
let providers: Address[];
const hosts: CheckerHost[] = [];
let observer: CheckerHost;

const registerProvider = (index: number) => registerTestProvider(chain, fx, index, BigInt(index * 37));

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain, {
    reportCommitteeSize: 16,
    reportQuorumBps: 5_000,
    genesisSeed: `0x${"cd".repeat(32)}`,
  });
  providers = [await registerProvider(0), await registerProvider(1), await registerProvider(2)];
  for (let i = 0; i <= MAX_CHECKERS; i++) {
    hosts.push(await loopbackHost());
  }
  await introduceAll(hosts);
  observer = hosts.pop()!;
}, 120_000);

afterAll(async () => {
  await stopHosts([...hosts, observer]);
});

interface Config {
  licenses: number[];
  /** results[epoch][checker][provider]: null = did not attest. */
  results: (CheckResult | null)[][][];
}

const resultArb = fc.constantFrom<CheckResult | null>(
  CheckResult.PASS,
  CheckResult.PASS,
  CheckResult.PASS,
  CheckResult.FAIL,
  CheckResult.TIMEOUT,
  null,
);

const configArb: fc.Arbitrary<Config> = fc
  .array(fc.integer({ min: 1, max: 2 }), { minLength: 3, maxLength: MAX_CHECKERS })
  .chain((licenses) =>
    fc.record({
      licenses: fc.constant(licenses),
      results: fc.array(
        fc.array(fc.array(resultArb, { minLength: 3, maxLength: 3 }), {
          minLength: licenses.length,
          maxLength: licenses.length,
        }),
        { minLength: 2, maxLength: 2 },
      ),
    }),
  );

interface ScenarioContext {
  first: bigint;
  last: bigint;
  checkers: Checker[];
  observerDb: CheckerDb;
  components: Parameters<typeof explainLicenseRange>[0];
}

/** Runs the epochs of `config`, mirrors and explains them; `extra` runs before the chain is reverted. Returns Σ explained. */
async function runScenario(config: Config, extra?: (ctx: ScenarioContext) => Promise<void>): Promise<bigint> {
  const snapshot = await chain.testClient.snapshot();
  const dbs: CheckerDb[] = [];
  try {
    // Operators: Hardhat accounts 1.., each registering its node's peer id, with its licenses.
    const checkers: Checker[] = [];
    for (const [i, count] of config.licenses.entries()) {
      const c = await registerChecker(fx, chain.wallets[i + 1]!, `explain-checker-${i}`);
      await giveLicenses(fx, c, count);
      await mined(
        chain,
        fx.as(c.wallet).registry.write.updatePeerId([bytesToHex(hosts[i]!.peerId.toMultihash().bytes)]),
      );
      checkers.push(c);
    }
    // Registrations and delegations landed before genesis: the launch set of epoch 1, the first reported.
    await goToEpoch(fx, 1n);
    const directory = await chainDirectory(chain, fx, silent);
    const bls = await loadBlsBackend("auto");
    const clock = deploymentClock(fx);
    const nodes = [];
    for (const [i, checker] of checkers.entries()) {
      const db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-explain-")) });
      dbs.push(db);
      const host = hosts[i]!;
      const duty = aggregatorDuty(
        { fx, checker, directory, clock, db, bls, logger: silent, params, host },
        { backupTimeoutMs: 300, retryBaseMs: 50 },
      );
      await handleCosign(host, { logger: silent, onRequest: (req) => duty.cosign(req) });
      await handleReports(host, { db, logger: silent });
      nodes.push({ checker, db, duty });
    }

    let epoch = await fx.c.reports.read.currentEpoch();
    const first = epoch;
    for (const [round, perChecker] of config.results.entries()) {
      if (round > 0) {
        epoch += 1n;
        await goToEpoch(fx, epoch);
        await directory.refresh();
      }
      const seed = await fx.c.reports.read.seedOf([epoch]);
      const atts: SignedAttestation[] = [];
      for (const [i, c] of checkers.entries())
        for (const [j, p] of providers.entries()) {
          const result = perChecker[i]![j];
          if (result === null || result === undefined) continue;
          const att = makeAttestation(c.address, p, epoch, {
            result,
            latencyP50Us: 20_000 + 7_000 * i,
            latencyP95Us: 30_000 + 7_000 * i,
          });
          atts.push(
            await signAttestation(
              { ...c.key, address: c.address, licenses: c.licenses.length },
              att,
              seed,
              fx.domain,
            ),
          );
        }
      for (const n of nodes) await n.db.putAttestations(atts);
      const leader = [...nodes].sort(
        (a, b) => (a.duty.rank(epoch, atts).rank ?? 99) - (b.duty.rank(epoch, atts).rank ?? 99),
      )[0]!;
      const outcome = await leader.duty.runEpoch(epoch, { waitForTurn: false });
      expect(outcome.record?.status, outcome.record?.error).toBe(ReportStatus.SUBMITTED);
      expect(outcome.record?.inputs).toBeDefined();
    }
    await goToEpoch(fx, epoch + 1n);

    // A node that took part in nothing: it mirrors every epoch from its peers over libp2p.
    const observerDb = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-observer-")) });
    dbs.push(observerDb);
    const sync = new ReportSync(
      {
        db: observerDb,
        publicClient: chain.publicClient,
        logger: silent,
        peers: () => hosts.slice(0, checkers.length).map((h) => h.peerId.toString()),
        fetchReport: (peer, e) =>
          fetchReport(observer, hosts.find((h) => h.peerId.toString() === peer)!.peerId, e),
        currentEpoch: () => epoch + 1n,
      },
      { epochReports: fx.deployment.contracts.epochReports, intervalMs: 60_000, lookbackEpochs: 16 },
    );
    for (let e = first; e <= epoch; e++) {
      const r = await sync.ensure(e);
      expect(r.outcome).toBe(ReportSyncOutcome.FETCHED);
      expect(r.record?.role).toBe(ReportRole.FETCHED);
    }
    expect((await sync.ensure(first)).outcome).toBe(ReportSyncOutcome.HELD);

    const components = {
      publicClient: chain.publicClient,
      contracts: {
        epochReports: fx.deployment.contracts.epochReports,
        rewards: fx.deployment.contracts.rewards,
      },
      recordOf: (e: bigint) => readReportRecord(observerDb, e),
    };
    const contracts = {
      epochReports: fx.deployment.contracts.epochReports,
      rewards: fx.deployment.contracts.rewards,
      checkerLicense: fx.deployment.contracts.checkerLicense,
    };
    // License rewards are locked until no contest of their epoch's failures can still penalize an operator:
    // explained, they are what the contract holds back; from the unlock epoch on, what it pays.
    for (const c of checkers) {
      const held = await explainLicenseRange(components, c.licenses[0]!, { from: first, to: epoch });
      expect(held.matchesChain).toBe(true);
      expect(held.claimable).toBe(0n);
      expect(held.explained).toBe(held.locked);
    }
    await goToEpoch(fx, (await fx.c.slashing.read.penaltiesFinalEpoch([epoch])) + 1n);
    if (extra !== undefined) await extra({ first, last: epoch, checkers, observerDb, components });
    const stored = await storedRewardsFromDb(observerDb, epoch);
    let total = 0n;
    for (const c of checkers) {
      for (const licenseId of c.licenses) {
        const explained = await explainLicenseRange(components, licenseId, { from: first, to: epoch });
        expect(explained.matchesChain).toBe(true);
        expect(explained.explained).toBe(explained.claimable);
        total += explained.explained;
        for (const e of explained.epochs) {
          expect(e.explanation?.amount).toBe(e.explanation?.leafAmount);
          expect(e.explanation?.operator).toBe(c.address);
        }
        // What the contract actually pays the owner for this license.
        const before = await fx.c.token.read.balanceOf([c.address]);
        if (explained.explained > 0n) {
          await claimAll(chain.publicClient, c.wallet, contracts, stored, { licenseId });
        }
        expect((await fx.c.token.read.balanceOf([c.address])) - before).toBe(explained.explained);
        const after = await explainLicenseRange(components, licenseId, { from: first, to: epoch });
        expect(after.claimable).toBe(0n);
        expect(after.claimed).toBe(explained.explained);
        expect(after.matchesChain).toBe(true);
      }
    }
    for (const p of providers) {
      const e = await explainProviderEpoch(components, p, epoch);
      expect(e.matchesChain).toBe(true);
    }
    return total;
  } finally {
    for (const h of hosts) {
      await h.unhandle("/checkernet/cosign/1.0.0").catch(() => undefined);
      await h.unhandle(REPORTS_PROTOCOL).catch(() => undefined);
    }
    await Promise.all(dbs.map((d) => d.close()));
    await chain.testClient.revert({ id: snapshot });
  }
}

describe("rewards explanation = on-chain claimable (real contracts, real co-signed reports, several seeds)", () => {
  it("holds for every license across a multi-epoch run, for random license/provider/fault configurations", async () => {
    let paid = 0n;
    await fc.assert(
      fc.asyncProperty(configArb, async (config) => {
        paid += await runScenario(config);
      }),
      { numRuns: 3, seed: 20_250_707, endOnFailure: true },
    );
    // The runs paid license rewards: the comparison was not between zeros.
    expect(paid).toBeGreaterThan(0n);
  }, 600_000);

  it("a peer's forged report is refused; the API serves verified reports and explanations", async () => {
    const total = await runScenario(
      {
        licenses: [1, 2, 1],
        results: [
          [
            [CheckResult.PASS, CheckResult.FAIL, null],
            [CheckResult.PASS, CheckResult.FAIL, CheckResult.PASS],
            [CheckResult.PASS, CheckResult.FAIL, CheckResult.PASS],
          ],
          [
            [CheckResult.PASS, CheckResult.PASS, CheckResult.PASS],
            [CheckResult.TIMEOUT, CheckResult.PASS, CheckResult.PASS],
            [CheckResult.PASS, CheckResult.PASS, CheckResult.PASS],
          ],
        ],
      },
      async ({ first, last, checkers, observerDb, components }) => {
        // A liar answers first with a copy whose license amounts were moved around; it is refused, the next peer is used.
        const honest = hosts[0]!.peerId;
        const db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-liar-")) });
        try {
          const sync = new ReportSync(
            {
              db,
              publicClient: chain.publicClient,
              logger: silent,
              peers: () => ["liar", honest.toString()],
              fetchReport: async (peer, e) => {
                const real = await fetchReport(observer, honest, e);
                if (peer !== "liar") return real;
                const [a, b] = real.rewards.filter((r) => r.beneficiary === 1);
                return {
                  ...real,
                  rewards: real.rewards.map((r) =>
                    r === a ? { ...r, amount: r.amount + 1n } : r === b ? { ...r, amount: r.amount - 1n } : r,
                  ),
                };
              },
              currentEpoch: () => last + 1n,
            },
            { epochReports: fx.deployment.contracts.epochReports, intervalMs: 60_000, lookbackEpochs: 16 },
          );
          expect((await sync.ensure(first)).outcome).toBe(ReportSyncOutcome.FETCHED);
          expect(sync.rejected).toBe(1);
          const stored = await readReportRecord(db, first);
          expect(stored?.rewards).toEqual((await readReportRecord(observerDb, first))?.rewards);
          // An epoch with no report on-chain is not fetched at all.
          expect((await sync.ensure(last + 1n)).outcome).toBe(ReportSyncOutcome.NOT_REPORTED);
        } finally {
          await db.close();
        }

        const api = new StatusApi(
          {
            logger: silent,
            metrics: createMetrics(),
            getStatus: () => {
              throw new Error("not used");
            },
            routes: [
              ...reportsRoutes({
                db: observerDb,
                currentEpoch: () => last + 1n,
                recordOf: (e) => readReportRecord(observerDb, e),
              }),
              ...explainRoutes(components),
            ],
          },
          { port: 0 },
        );
        await api.start();
        try {
          const get = async (path: string) => {
            const res = await fetch(`${api.url()}${path}`);
            return { status: res.status, body: (await res.json()) as Record<string, unknown> & unknown[] };
          };
          const list = await get("/reports");
          expect(list.status).toBe(200);
          expect(
            (list.body as { epoch: string; explainable: boolean; rewardsRoot: string }[]).map((r) => r.epoch),
          ).toEqual([String(last), String(first)]);
          const onChain = await fx.c.reports.read.reportOf([first]);
          expect((list.body as { rewardsRoot: string }[])[1]!.rewardsRoot).toBe(onChain.rewardsRoot);
          const one = await get(`/reports/${first}`);
          expect(one.status).toBe(200);
          expect((one.body.results as unknown[]).length).toBe(3);
          expect((one.body.header as { totalRewards: string }).totalRewards).toMatch(/^\d+$/);
          expect((await get("/reports/abc")).status).toBe(400);
          expect((await get(`/reports/${last + 5n}`)).status).toBe(404);

          const licenseId = checkers[1]!.licenses[0]!;
          const ex = await get(`/explain?license=${licenseId}&from=${first}&to=${last}`);
          expect(ex.status).toBe(200);
          expect(ex.body.matchesChain).toBe(true);
          expect(ex.body.explained).toBe(ex.body.claimable);
          expect(BigInt(ex.body.explained as string)).toBeGreaterThan(0n);
          const epochs = ex.body.epochs as { explanation: { operatorLicenses: number; operator: string } }[];
          expect(epochs[0]!.explanation.operatorLicenses).toBe(2);
          expect(epochs[0]!.explanation.operator).toBe(checkers[1]!.address);
          const prov = await get(`/explain?provider=${providers[1]}&epoch=${first}`);
          expect(prov.status).toBe(200);
          expect((prov.body.explanation as { verdict: number }).verdict).toBe(1);
          expect(BigInt((prov.body.explanation as { slashAmount: string }).slashAmount)).toBeGreaterThan(0n);
          expect(prov.body.matchesChain).toBe(true);
          expect((await get("/explain")).status).toBe(400);
          expect((await get(`/explain?provider=${providers[1]}`)).status).toBe(400);
          expect((await get(`/explain?license=1&from=5&to=2`)).status).toBe(400);
          expect((await get(`/explain?provider=0x${"12".repeat(20)}&epoch=${first}`)).status).toBe(404);
        } finally {
          await api.stop();
        }
      },
    );
    expect(total).toBeGreaterThan(0n);
  }, 300_000);
});

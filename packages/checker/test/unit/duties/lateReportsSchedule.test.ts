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
import { deployFixture, type Fixture, setupCheckers } from "../../../../contracts/test/helpers/fixture.ts";
import { ChainDirectory } from "../../../src/chain/chainDirectory.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import type { AggregatorDuty } from "../../../src/duties/aggregatorDuty.ts";
import type { CheckerHost } from "../../../src/network/host.ts";
import { handleCosign } from "../../../src/network/reqresp/cosign.ts";
import { ReportStatus, readReportRecords } from "../../../src/reports/aggregatorRecords.ts";
import { deploymentClock } from "../../utils/chain.ts";
import { aggregatorDuty } from "../../utils/duties.ts";
import { makeAttestation, signAttestation } from "../../utils/fixtures.ts";
import { introduceAll, loopbackHost } from "../../utils/hosts.ts";

const silent = createLogger({
  level: (process.env.TEST_LOG as "info" | undefined) ?? "silent",
  pretty: false,
});
const EPOCH_SECONDS = 4;

// Issue 14, late reports through the epoch loop CheckerNode runs: the nodes hold epoch e's attestations
// but were not running while e's report was due (as when the chain was down all of e); started in
// e + 1, they find e unreported and its ranked aggregator lands e's report late, without anyone
// calling reportLate by hand.

let chain: TestChain;
let fx: Fixture;
const hosts: CheckerHost[] = [];
const dbs: CheckerDb[] = [];
const duties: AggregatorDuty[] = [];

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain, { epochSeconds: BigInt(EPOCH_SECONDS), reportCommitteeSize: 8 });
}, 60_000);

afterAll(async () => {
  await Promise.all(duties.map((d) => d.stop()));
  await Promise.all(hosts.map((h) => h.stop()));
  await Promise.all(dbs.map((d) => d.close()));
});

describe("AggregatorDuty.start with late reports (the epoch loop CheckerNode runs)", () => {
  it("reports an epoch it missed in the next epoch, exactly once", async () => {
    const checkers = await setupCheckers(fx, 3, 1);
    const wallet = chain.wallets[10]!;
    const provider = getAddress(wallet.account.address);
    const own = fx.as(wallet);
    const peer = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
    await mined(
      chain,
      own.providers.write.register([bytesToHex(peer.toMultihash().bytes), "cpu-reference", 16, "local"]),
    );
    const c = fx.deployment.contracts;
    const directory = new ChainDirectory(
      { publicClient: chain.publicClient, logger: silent },
      {
        addresses: {
          checkerRegistry: c.checkerRegistry,
          providerRegistry: c.providerRegistry,
          epochReports: c.epochReports,
        },
      },
    );
    // Hardhat stamps blocks at least a second apart, so its clock runs ahead of the wall's: follow the chain's.
    const offsetMs = Number((await chain.publicClient.getBlock()).timestamp) * 1000 - Date.now();
    const now = () => Date.now() + offsetMs;
    const clock = deploymentClock(fx, now);
    const bls = await loadBlsBackend("auto");
    for (const k of checkers) {
      const key = await generateKeyPair("Ed25519");
      await mined(
        chain,
        fx
          .as(k.wallet)
          .registry.write.updatePeerId([bytesToHex(peerIdFromPrivateKey(key).toMultihash().bytes)]),
      );
      const host = await loopbackHost({ privateKey: key });
      hosts.push(host);
      const db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-sched-")) });
      dbs.push(db);
      const duty = aggregatorDuty({
        fx,
        checker: k,
        directory,
        clock,
        db,
        bls,
        logger: silent,
        params: withParams({ committeeSize: 8, epochSeconds: EPOCH_SECONDS }),
        host,
      });
      await handleCosign(host, { logger: silent, onRequest: (r) => duty.cosign(r) });
      duties.push(duty);
    }
    await introduceAll(hosts);
    // Sign for the next epoch once it starts (its seed is final then).
    const epoch = clock.currentEpoch() + 1n;
    const startMs = Number(fx.deployment.genesisTime) * 1000 + Number(epoch - 1n) * EPOCH_SECONDS * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, startMs - now() + 100)));
    // The in-process chain mines only on demand: a block now puts its clock (views read it) into the epoch.
    await setTime(chain, BigInt(Math.floor(now() / 1000)));
    const seed = await fx.c.reports.read.seedOf([epoch]);
    const atts = await Promise.all(
      checkers.map((k) =>
        signAttestation(
          { ...k.key, address: k.address, licenses: 1 },
          makeAttestation(k.address, provider, epoch),
          seed,
          fx.domain,
        ),
      ),
    );
    for (const db of dbs) await db.putAttestations(atts);
    // Nobody runs during e. In e + 1 the nodes start.
    const nextMs = startMs + EPOCH_SECONDS * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, nextMs - now() + 100)));
    await setTime(chain, BigInt(Math.floor(now() / 1000)));
    await directory.refresh();
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

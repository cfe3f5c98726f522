import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBlsBackend } from "@checkernet/protocol/bls/index";
import { withParams } from "@checkernet/protocol/params";
import type { SignedAttestation } from "@checkernet/protocol/types";
import { createLogger, type Logger } from "@checkernet/runtime";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { bytesToHex, getAddress } from "viem";
import { afterAll, beforeAll, expect } from "vitest";
import { connectChain, mined, setTime, type TestChain } from "../../../contracts/test/helpers/chain.ts";
import { deployFixture, type Fixture, setupCheckers } from "../../../contracts/test/helpers/fixture.ts";
import { ChainDirectory } from "../../src/chain/chainDirectory.ts";
import { CheckerDb } from "../../src/db/checkerDb.ts";
import type { AggregatorDuty } from "../../src/duties/aggregatorDuty.ts";
import type { CheckerHost } from "../../src/network/host.ts";
import { handleCosign } from "../../src/network/reqresp/cosign.ts";
import { deploymentClock } from "./chain.ts";
import { aggregatorDuty } from "./duties.ts";
import { makeAttestation, signAttestation } from "./fixtures.ts";
import { introduceAll, loopbackHost } from "./hosts.ts";

/** Short epochs: a schedule test waits for real epoch boundaries. */
export const SCHEDULE_EPOCH_SECONDS = 4;

/**
 * Registers the test file's hooks: beforeAll deploys on the in-process chain with
 * SCHEDULE_EPOCH_SECONDS-second epochs, afterAll stops the nodes. Returns what a test calls to set up
 * its nodes (TEST_LOG=info shows their logs).
 */
export function scheduleHarness(): () => Promise<ScheduleNodes> {
  const logger = createLogger({
    level: (process.env.TEST_LOG as "info" | undefined) ?? "silent",
    pretty: false,
  });
  let chain: TestChain;
  let fx: Fixture;
  let nodes: ScheduleNodes | undefined;
  beforeAll(async () => {
    chain = await connectChain();
    fx = await deployFixture(chain, {
      epochSeconds: BigInt(SCHEDULE_EPOCH_SECONDS),
      reportCommitteeSize: 8,
    });
  }, 60_000);
  afterAll(async () => {
    await nodes?.stop();
  });
  return async () => {
    nodes = await scheduleNodes(chain, fx, logger);
    return nodes;
  };
}

/**
 * Three checkers (one license each) whose AggregatorDuty runs its own epoch loop (`start()`, as
 * CheckerNode does) on a clock that follows the chain's, co-signing for each other over libp2p on
 * 127.0.0.1, and one registered provider: the harness of the schedule tests (aggregatorSchedule,
 * lateReportsSchedule). The duties are built, not started.
 */
export interface ScheduleNodes {
  fx: Fixture;
  directory: ChainDirectory;
  /** One per checker, in order. */
  dbs: CheckerDb[];
  duties: AggregatorDuty[];
  /**
   * Waits for the next epoch to begin (its seed is final then), puts the chain's clock in it, and
   * signs each checker's attestation of the provider for it. `startMs`: when it began (chain time).
   */
  attestNextEpoch(): Promise<{ epoch: bigint; startMs: number; attestations: SignedAttestation[] }>;
  /**
   * Waits until the chain's time `ms` is past, then mines a block at the time now: the in-process
   * chain mines only on demand, and views read its clock.
   */
  advanceTo(ms: number): Promise<void>;
  /** Waits for `epoch`'s report to land (15 s at most), then for the backups' turns to pass: they find it and stand down. */
  landed(epoch: bigint): Promise<void>;
  /** Stops the duties and hosts and closes the databases. */
  stop(): Promise<void>;
}

async function scheduleNodes(chain: TestChain, fx: Fixture, logger: Logger): Promise<ScheduleNodes> {
  const checkers = await setupCheckers(fx, 3, 1);
  const wallet = chain.wallets[10]!;
  const provider = getAddress(wallet.account.address);
  const peer = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
  await mined(
    chain,
    fx
      .as(wallet)
      .providers.write.register([bytesToHex(peer.toMultihash().bytes), "cpu-reference", 16, "local"]),
  );
  const c = fx.deployment.contracts;
  const directory = new ChainDirectory(
    { publicClient: chain.publicClient, logger },
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
  const hosts: CheckerHost[] = [];
  const dbs: CheckerDb[] = [];
  const duties: AggregatorDuty[] = [];
  const stop = async () => {
    await Promise.all(duties.map((d) => d.stop()));
    await Promise.all(hosts.map((h) => h.stop()));
    await Promise.all(dbs.map((d) => d.close()));
  };
  try {
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
        logger,
        params: withParams({ committeeSize: 8, epochSeconds: SCHEDULE_EPOCH_SECONDS }),
        host,
      });
      await handleCosign(host, { logger, onRequest: (r) => duty.cosign(r) });
      duties.push(duty);
    }
    await introduceAll(hosts);
  } catch (e) {
    await stop();
    throw e;
  }

  const advanceTo = async (ms: number) => {
    await new Promise((r) => setTimeout(r, Math.max(0, ms - now() + 100)));
    await setTime(chain, BigInt(Math.floor(now() / 1000)));
  };
  return {
    fx,
    directory,
    dbs,
    duties,
    advanceTo,
    async landed(epoch) {
      await expect
        .poll(async () => (await fx.c.reports.read.reportOf([epoch])).submittedAt, {
          timeout: 15_000,
          interval: 200,
        })
        .toBeGreaterThan(0n);
      await new Promise((r) => setTimeout(r, SCHEDULE_EPOCH_SECONDS * 400));
    },
    async attestNextEpoch() {
      const epoch = clock.currentEpoch() + 1n;
      const startMs =
        Number(fx.deployment.genesisTime) * 1000 + Number(epoch - 1n) * SCHEDULE_EPOCH_SECONDS * 1000;
      await advanceTo(startMs);
      const seed = await fx.c.reports.read.seedOf([epoch]);
      const attestations = await Promise.all(
        checkers.map((k) =>
          signAttestation(
            { ...k.key, address: k.address, licenses: 1 },
            makeAttestation(k.address, provider, epoch),
            seed,
            fx.domain,
          ),
        ),
      );
      return { epoch, startMs, attestations };
    },
    stop,
  };
}

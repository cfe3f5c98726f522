import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@checkernet/runtime";
import { bytesToHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectChain, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  currentEpoch,
  deployFixture,
  type Fixture,
  goToEpoch,
  publishEpoch,
  setupCheckers,
} from "../../../../contracts/test/helpers/fixture.ts";
import { OperatorStandingWatch } from "../../../src/chain/operatorStanding.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import { FraudProofDuty } from "../../../src/duties/fraudProofDuty.ts";
import { REPORT_FINALITY_BLOCKS, ReportSync, ReportSyncOutcome } from "../../../src/duties/reportSync.ts";
import { deploymentClock } from "../../utils/chain.ts";
import { countedRpc } from "../../utils/countedRpc.ts";

/**
 * Issue 15: a traced devnet run attributed per epoch 8 `reportOf` calls to the report sync (every pass re-read
 * the whole lookback, landed reports included), 10 `currentEpoch` calls to the fraud-proof prune (one every
 * 2 s poll) and 3.3 `operatorInfo` calls to the standing watch (every 5 s while /status is polled). A landed
 * report never changes, and the epoch is known from the node's clock, so each is read once (an epoch):
 * counted here as eth_calls by selector on a real EDR chain with the contracts deployed.
 */
const silent = createLogger({ level: "silent", pretty: false });
let chain: TestChain;
let fx: Fixture;
let checkers: Checker[];
const dbs: CheckerDb[] = [];

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain);
  checkers = await setupCheckers(fx, 3, 1);
});
afterAll(async () => {
  for (const db of dbs.splice(0)) await db.close();
});

async function openDb(): Promise<CheckerDb> {
  const db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-chain-reads-")) });
  dbs.push(db);
  return db;
}

const counted = () => countedRpc(chain);

describe("report sync reads a landed report once", () => {
  it("re-reads reportOf only for epochs with no report yet, over many passes", async () => {
    await publishEpoch(fx, 1n);
    await publishEpoch(fx, 2n);
    // Deep enough to be final (reportSyncReorg.test.ts: a report younger than that is read again).
    await chain.testClient.mine({ blocks: REPORT_FINALITY_BLOCKS });
    const rpc = counted();
    let current = 4n;
    // No peer serves leaves: every landed epoch stays unavailable, the case that re-read most.
    const sync = new ReportSync(
      {
        db: await openDb(),
        publicClient: rpc.client,
        logger: silent,
        peers: () => [],
        fetchReport: () => Promise.reject(new Error("no peer here")),
        currentEpoch: () => current,
      },
      { epochReports: fx.deployment.contracts.epochReports, intervalMs: 60_000, lookbackEpochs: 16 },
    );
    const PASSES = 6;
    for (let i = 0; i < PASSES; i++) await sync.syncRecent();
    // Epochs 1 and 2 landed (two reads each: the head's and the one finality blocks below it); epoch 3 has
    // none yet, so every pass asks again.
    expect(rpc.calls("reportOf(uint64)")).toBe(2 * 2 + PASSES);
    expect((await sync.ensure(1n)).outcome).toBe(ReportSyncOutcome.UNAVAILABLE);
    expect((await sync.ensure(3n)).outcome).toBe(ReportSyncOutcome.NOT_REPORTED);
    expect(rpc.calls("reportOf(uint64)")).toBe(2 * 2 + PASSES + 1);

    // Epoch 3 lands and is buried: read twice more, then never again.
    await publishEpoch(fx, 3n);
    await chain.testClient.mine({ blocks: REPORT_FINALITY_BLOCKS });
    current = 5n;
    for (let i = 0; i < PASSES; i++) await sync.syncRecent();
    // Epoch 4 has no report: one read a pass; epoch 3 two reads in all.
    expect(rpc.calls("reportOf(uint64)")).toBe(2 * 2 + PASSES + 1 + 2 + PASSES);
  });
});

describe("the fraud-proof prune reads the chain's epoch once per epoch of the node's clock", () => {
  it("polls every 2 s through an epoch with one currentEpoch read, and one more in the next epoch", async () => {
    const db = await openDb();
    const rpc = counted();
    await goToEpoch(fx, 12n);
    let nowMs = Number(deploymentClock(fx).bounds(12n).startMs) + 1_000;
    const clock = deploymentClock(fx, () => nowMs);
    const duty = new FraudProofDuty(
      { db, logger: silent, publicClient: rpc.client, clock },
      { fraudProofs: fx.deployment.contracts.fraudProofs },
    );
    const window = await fx.c.fraudProofs.read.fraudProofWindowEpochs();
    const epochMs = Number(fx.deployment.epochSeconds) * 1_000;
    const polls = epochMs / 2_000;
    expect(await duty.prune()).toBe(12n - window);
    for (let i = 1; i < polls; i++) {
      nowMs += 2_000;
      await duty.poll();
    }
    expect(rpc.calls("currentEpoch()")).toBe(1);
    expect(rpc.calls("fraudProofWindowEpochs()")).toBe(1);

    // The node's clock enters epoch 13 (the chain with it): the next poll reads the chain's epoch again.
    await goToEpoch(fx, 13n);
    nowMs = Number(deploymentClock(fx).bounds(13n).startMs) + 1_000;
    expect(await duty.prune()).toBe(13n - window);
    await duty.poll();
    expect(rpc.calls("currentEpoch()")).toBe(2);
  });
});

describe("the operator standing watch reads a settled standing once per epoch", () => {
  it("answers /status every second through an epoch with one operatorInfo read; an unregistered one every 5 s", async () => {
    await goToEpoch(fx, 20n);
    const start = deploymentClock(fx).bounds(20n).startMs + 500;
    let nowMs = start;
    const clock = deploymentClock(fx, () => nowMs);
    const epochMs = Number(fx.deployment.epochSeconds) * 1_000;
    /** /status once a second from the epoch's start to its end, each waiting for the read it started. */
    const pollEpoch = async (watch: OperatorStandingWatch) => {
      for (nowMs = start; nowMs < start + epochMs - 1_000; nowMs += 1_000) {
        watch.get(nowMs);
        await watch.settled();
      }
    };
    const me = checkers[0]!;
    const settled = counted();
    const watch = new OperatorStandingWatch(
      { publicClient: settled.client, logger: silent, clock },
      {
        checkerRegistry: fx.deployment.contracts.checkerRegistry,
        operator: me.address,
        ownPublicKey: bytesToHex(me.key.publicKey),
      },
    );
    await pollEpoch(watch);
    expect(watch.get(nowMs)).toMatchObject({ registered: true, keyMatches: true, licenses: 1 });
    expect(settled.calls("operatorInfo(address)")).toBe(1);

    // Not registered: the operator is about to act, so the watch keeps looking every 5 s.
    const newcomer = counted();
    const unregistered = new OperatorStandingWatch(
      { publicClient: newcomer.client, logger: silent, clock },
      {
        checkerRegistry: fx.deployment.contracts.checkerRegistry,
        operator: fx.deployment.contracts.rewards,
        ownPublicKey: null,
      },
    );
    await pollEpoch(unregistered);
    expect(unregistered.get(nowMs).registered).toBe(false);
    expect(newcomer.calls("operatorInfo(address)")).toBe(Math.ceil((epochMs - 1_000) / 5_000));
  });
});

describe("the standing watch waits for the chain's epoch", () => {
  it("reads again every 5 s while the chain is still in the epoch before the clock's, then once the chain has caught up", async () => {
    const chainEpoch = await currentEpoch(fx);
    await goToEpoch(fx, chainEpoch + 1n);
    // The node's clock is an epoch ahead of the chain: no block of its epoch has been mined yet.
    const clockEpoch = chainEpoch + 2n;
    let nowMs = deploymentClock(fx).bounds(clockEpoch).startMs + 500;
    const clock = deploymentClock(fx, () => nowMs);
    const me = checkers[0]!;
    const reads = counted();
    const watch = new OperatorStandingWatch(
      { publicClient: reads.client, logger: silent, clock },
      {
        checkerRegistry: fx.deployment.contracts.checkerRegistry,
        operator: me.address,
        ownPublicKey: bytesToHex(me.key.publicKey),
      },
    );
    const poll = async (times: number) => {
      for (let i = 0; i < times; i++, nowMs += 5_000) {
        watch.get(nowMs);
        await watch.settled();
      }
    };
    await poll(3);
    // Settling on the first read would leave the previous epoch's standing up for the whole epoch: 1 read.
    expect(reads.calls("operatorInfo(address)")).toBe(3);
    await goToEpoch(fx, clockEpoch);
    await poll(3);
    expect(reads.calls("operatorInfo(address)")).toBe(4);
  });
});

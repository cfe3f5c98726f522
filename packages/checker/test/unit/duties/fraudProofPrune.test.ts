import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@checkernet/runtime";
import { type Address, getAddress, type Hex, keccak256, toFunctionSelector, toHex } from "viem";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { connectChain, isolateTests, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import { deployFixture, type Fixture, goToEpoch } from "../../../../contracts/test/helpers/fixture.ts";
import { CheckerDb, type FraudProofRecord, type FraudProofStatus } from "../../../src/db/checkerDb.ts";
import { FraudProofDuty } from "../../../src/duties/fraudProofDuty.ts";
import { createMetrics } from "../../../src/metrics/index.ts";
import { deploymentClock } from "../../utils/chain.ts";
import { countedRpc } from "../../utils/countedRpc.ts";

/** Issue 11: stored fraud proofs are pruned once their epoch left FraudProofs' window (bounded storage). */
const silent = createLogger({ level: "silent", pretty: false });
const dbs: CheckerDb[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) await db.close();
});

async function openDb(): Promise<CheckerDb> {
  const db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-fraud-prune-")) });
  dbs.push(db);
  return db;
}

const providers: Address[] = [0, 1, 2].map((i) =>
  getAddress(keccak256(toHex(`prune provider ${i}`)).slice(0, 42)),
);
const STATUSES: FraudProofStatus[] = ["pending", "landed", "already-slashed", "rejected", "expired"];

const record = (epoch: bigint, provider: Address, status: FraudProofStatus): FraudProofRecord => ({
  epoch,
  provider,
  proof: keccak256(toHex(`proof ${epoch} ${provider}`)) as Hex,
  status,
  attempts: 0,
  tx: null,
  error: null,
});

/** Stores a matmul and a VRAM proof for every provider in `epoch`. */
async function storeEpoch(db: CheckerDb, epoch: bigint): Promise<void> {
  for (const [k, provider] of providers.entries()) {
    await db.putFraudProof(record(epoch, provider, STATUSES[(Number(epoch) + k) % STATUSES.length]!));
    await db.putVramFraudProof({
      epoch,
      provider,
      proof: JSON.stringify({ epoch: String(epoch), provider }),
    });
  }
}

async function vramCount(db: CheckerDb, epochs: bigint): Promise<number> {
  let n = 0;
  for (let e = 0n; e <= epochs; e++)
    for (const p of providers) if ((await db.getVramFraudProof(e, p)) !== undefined) n++;
  return n;
}

describe("CheckerDb.pruneFraudProofs (level db)", () => {
  it("keeps the window's epochs only, whatever the status, over a long run", async () => {
    const db = await openDb();
    const window = 4n;
    for (let epoch = 1n; epoch <= 40n; epoch++) {
      await storeEpoch(db, epoch);
      await db.pruneFraudProofs(epoch - window);
      const stored = await db.listFraudProofs();
      // Bounded: (window + 1) epochs × 3 providers, never more.
      expect(stored.length).toBe(Math.min(Number(epoch), Number(window) + 1) * providers.length);
      expect(stored.every((r) => r.epoch >= epoch - window)).toBe(true);
    }
    expect(await vramCount(db, 40n)).toBe(5 * providers.length);
    expect(await db.getVramFraudProof(35n, providers[0]!)).toBeUndefined();
    expect(await db.getVramFraudProof(36n, providers[0]!)).toBeDefined();
  });

  it("returns the deleted records so pending ones can be counted as expired", async () => {
    const db = await openDb();
    await db.putFraudProof(record(2n, providers[0]!, "pending"));
    await db.putFraudProof(record(2n, providers[1]!, "landed"));
    await db.putFraudProof(record(3n, providers[0]!, "pending"));
    const { matmul, vram } = await db.pruneFraudProofs(3n);
    expect(matmul.map((r) => [r.epoch, r.status])).toEqual([
      [2n, "pending"],
      [2n, "landed"],
    ]);
    expect(vram).toBe(0);
    expect((await db.listFraudProofs()).map((r) => r.epoch)).toEqual([3n]);
  });
});

// One EDR chain and deployment for both chain-backed blocks below; each test runs on a snapshot of it.
let chain: TestChain;
let fx: Fixture;
beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain);
});

describe("FraudProofDuty prunes past the contract's window", () => {
  isolateTests(() => chain);

  it("deletes proofs of epochs before currentEpoch − fraudProofWindowEpochs on its poll, once per epoch", async () => {
    const db = await openDb();
    for (let epoch = 1n; epoch <= 12n; epoch++) await storeEpoch(db, epoch);
    await goToEpoch(fx, 12n);
    const window = await fx.c.fraudProofs.read.fraudProofWindowEpochs();
    const metrics = createMetrics();
    // No wallet: the duty only keeps proofs, and still prunes them.
    const duty = new FraudProofDuty(
      { db, logger: silent, publicClient: chain.publicClient, metrics },
      { fraudProofs: fx.deployment.contracts.fraudProofs },
    );
    await duty.poll();
    const kept = await db.listFraudProofs();
    expect(kept.length).toBe(Number(window + 1n) * providers.length);
    expect(Math.min(...kept.map((r) => Number(r.epoch)))).toBe(Number(12n - window));
    expect(await vramCount(db, 12n)).toBe(Number(window + 1n) * providers.length);
    // The pending proofs that never landed are counted as expired.
    const prunedPending = [];
    for (let epoch = 1n; epoch < 12n - window; epoch++)
      for (const [k] of providers.entries())
        if ((Number(epoch) + k) % STATUSES.length === 0) prunedPending.push(epoch);
    const expired = (await metrics.fraudProofs.get()).values.find((v) => v.labels.result === "expired");
    expect(expired?.value).toBe(prunedPending.length);
    // Same epoch: nothing more to do; the next epoch prunes one more.
    expect(await duty.prune()).toBeUndefined();
    await goToEpoch(fx, 13n);
    expect(await duty.prune()).toBe(13n - window);
    expect((await db.listFraudProofs()).every((r) => r.epoch >= 13n - window)).toBe(true);
  });
});

/**
 * The prune's "read once per epoch" stamp is the epoch the chain answered for, not the clock's epoch taken
 * before the read (review finding on 8a7b9ac): the chain's clock follows blocks, so it may answer an epoch
 * behind the node's clock, and the node's clock may tick while the read is in flight.
 */
describe("FraudProofDuty stamps the epoch the chain answered for", () => {
  isolateTests(() => chain);

  const startOf = (epoch: bigint) => Number(deploymentClock(fx).bounds(epoch).startMs);

  it("reads again in the same clock epoch when the chain answered for the epoch before, and prunes then", async () => {
    const db = await openDb();
    for (let epoch = 1n; epoch <= 13n; epoch++) await storeEpoch(db, epoch);
    const window = await fx.c.fraudProofs.read.fraudProofWindowEpochs();
    // The node's clock is in epoch 13; the chain's last block is still in 12.
    await goToEpoch(fx, 12n);
    const nowMs = startOf(13n) + 1_000;
    const duty = new FraudProofDuty(
      { db, logger: silent, publicClient: chain.publicClient, clock: deploymentClock(fx, () => nowMs) },
      { fraudProofs: fx.deployment.contracts.fraudProofs },
    );
    expect(await duty.prune()).toBe(12n - window);
    // The chain's epoch 13 begins within the node's: the next poll prunes it (a stamp of the clock's 13
    // skipped every poll until the clock's epoch 14).
    await goToEpoch(fx, 13n);
    expect(await duty.prune()).toBe(13n - window);
    expect((await db.listFraudProofs()).every((r) => r.epoch >= 13n - window)).toBe(true);
  });

  it("does not read again in the epoch the clock ticked into during the read", async () => {
    const db = await openDb();
    await goToEpoch(fx, 13n);
    let nowMs = startOf(13n) + Number(fx.deployment.epochSeconds) * 1_000 - 100;
    // While the chain is read, the clock ticks into epoch 14 and the chain's next block is in it.
    const currentEpochCall = toFunctionSelector("currentEpoch()");
    const rpc = countedRpc(chain, async (selector) => {
      if (selector !== currentEpochCall || nowMs >= startOf(14n)) return;
      nowMs = startOf(14n) + 1_000;
      await goToEpoch(fx, 14n);
    });
    const duty = new FraudProofDuty(
      { db, logger: silent, publicClient: rpc.client, clock: deploymentClock(fx, () => nowMs) },
      { fraudProofs: fx.deployment.contracts.fraudProofs },
    );
    const window = await fx.c.fraudProofs.read.fraudProofWindowEpochs();
    expect(await duty.prune()).toBe(14n - window);
    // The answer was epoch 14's: the rest of epoch 14 reads nothing (a stamp of the clock's 13 read again).
    for (let i = 0; i < 5; i++) {
      nowMs += 2_000;
      await duty.poll();
    }
    expect(rpc.calls("currentEpoch()")).toBe(1);
  });
});

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AnswerDomain } from "@checkernet/protocol/fraud/answerSigning";
import type { MatmulFraudProof } from "@checkernet/protocol/fraud/matmulFraud";
import { createLogger } from "@checkernet/runtime";
import { getAddress, type Hex, keccak256, toHex } from "viem";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  connectChain,
  isolateTests,
  mined,
  type TestChain,
} from "../../../../contracts/test/helpers/chain.ts";
import {
  deployFixture,
  type Fixture,
  goToEpoch,
  type Provider,
  setupProvider,
  TOKEN,
} from "../../../../contracts/test/helpers/fixture.ts";
import { answerKeyOf, faultyRun, proofOf, proveAnswerKey } from "../../../../contracts/test/helpers/fraud.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import { FraudProofDuty, fraudProofCounts, fraudRevertStatus } from "../../../src/duties/fraudProofDuty.ts";
import { pendingFraudProof } from "../../../src/duties/fraudProofKeeper.ts";
import { createMetrics } from "../../../src/metrics/index.ts";

const silent = createLogger({ level: "silent", pretty: false });
let chain: TestChain;
let fx: Fixture;
let provider: Provider;
let domain: AnswerDomain;
const key = answerKeyOf("checker fraud-duty provider");
const stake = 1_000n * TOKEN;
const dbs: CheckerDb[] = [];

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain);
  domain = {
    chainId: BigInt(fx.deployment.chainId),
    verifyingContract: fx.deployment.contracts.providerRegistry,
  };
  provider = await setupProvider(fx, chain.wallets[5]!, stake);
  await mined(
    chain,
    fx
      .as(provider.wallet)
      .providers.write.setAnswerKey([key.address, proveAnswerKey(key.privateKey, provider.address, domain)]),
  );
  await goToEpoch(fx, 1n);
});
isolateTests(() => chain);
afterEach(async () => {
  for (const db of dbs.splice(0)) await db.close();
});

async function openDb(): Promise<CheckerDb> {
  const db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-fraud-")) });
  dbs.push(db);
  return db;
}

const checker = () => getAddress(chain.wallets[6]!.account.address);

function wrongEntry(label: string, delta = 1): MatmulFraudProof {
  const fields = {
    epoch: 1n,
    provider: provider.address,
    checker: checker(),
    seed: keccak256(toHex(`checker fraud ${label}`)) as Hex,
    classId: 1,
    n: 32,
  };
  return proofOf(faultyRun(key.privateKey, domain, fields, 3, 9, delta), 3, 9);
}

function duty(db: CheckerDb, withWallet = true) {
  const metrics = createMetrics();
  const d = new FraudProofDuty(
    {
      db,
      logger: silent,
      publicClient: chain.publicClient,
      metrics,
      ...(withWallet ? { walletClient: chain.wallets[7]! } : {}),
    },
    { fraudProofs: fx.deployment.contracts.fraudProofs, retryBaseMs: 10 },
  );
  return { duty: d, metrics };
}

describe("FraudProofDuty (FraudProofs on Hardhat EDR)", () => {
  it("submits a stored proof once: the provider is slashed and the record says landed", async () => {
    const db = await openDb();
    expect(await db.putFraudProof(pendingFraudProof(wrongEntry("a")))).toBe(true);
    // One per (provider, epoch): a second proof of the same epoch is not stored.
    expect(await db.putFraudProof(pendingFraudProof(wrongEntry("b")))).toBe(false);
    const { duty: d, metrics } = duty(db);
    const [changed] = await d.poll();
    expect(changed?.status).toBe("landed");
    expect(changed?.tx).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await fx.c.providers.read.stakeOf([provider.address])).toBeLessThan(stake);
    expect(await d.poll()).toEqual([]);
    expect(await fraudProofCounts(db)).toMatchObject({ built: 1, landed: 1, pending: 0 });
    const landed = (await metrics.fraudProofs.get()).values.find((v) => v.labels.result === "landed");
    expect(landed?.value).toBe(1);
  });

  it("another node's proof for the same provider and epoch ends as already-slashed", async () => {
    const first = await openDb();
    await first.putFraudProof(pendingFraudProof(wrongEntry("c")));
    await duty(first).duty.poll();
    const second = await openDb();
    await second.putFraudProof(pendingFraudProof(wrongEntry("d")));
    const [changed] = await duty(second).duty.poll();
    expect(changed?.status).toBe("already-slashed");
  });

  it("an honest entry is rejected and never sent again; without a wallet proofs stay pending", async () => {
    const db = await openDb();
    const honest = { ...wrongEntry("e"), i: 3, j: 10 };
    await db.putFraudProof(pendingFraudProof(honest));
    const [changed] = await duty(db).duty.poll();
    expect(changed?.status).toBe("rejected");
    expect(changed?.error).toMatch(/FraudProofs/);

    const keep = await openDb();
    await keep.putFraudProof(pendingFraudProof(wrongEntry("f")));
    expect(await duty(keep, false).duty.poll()).toEqual([]);
    expect(await fraudProofCounts(keep)).toMatchObject({ built: 1, pending: 1 });
  });

  it("maps the contract's refusals", () => {
    expect(fraudRevertStatus("FraudProofsAlreadySlashed")).toBe("already-slashed");
    expect(fraudRevertStatus("FraudProofsAlreadyPunished")).toBe("already-slashed");
    expect(fraudRevertStatus("FraudProofsEpochOutOfWindow")).toBe("expired");
    expect(fraudRevertStatus("FraudProofsHonestEntry")).toBe("rejected");
    expect(fraudRevertStatus("FraudProofsInvalidSignature")).toBe("rejected");
  });
});

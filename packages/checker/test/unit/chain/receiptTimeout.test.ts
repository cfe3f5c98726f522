import { createLogger } from "@checkernet/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  deployWithCheckers,
  type Fixture,
  headerFor,
  reachReportTime,
  signReport,
} from "../../../../contracts/test/helpers/fixture.ts";
import { ChainActionErrorCode } from "../../../src/chain/actions/errors.ts";
import { RECEIPT_LIMITS, receiptTimeoutMs } from "../../../src/chain/actions/receipt.ts";
import { submitReport } from "../../../src/chain/actions/submitReport.ts";
import { RevertClass, type SubmitRecord, submitOnce } from "../../../src/duties/leader/submitOnce.ts";

const silent = createLogger({ level: "silent", pretty: false });

let chain: TestChain;
let fx: Fixture;
let checkers: Checker[];

beforeAll(async () => {
  ({ chain, fx, checkers } = await deployWithCheckers(4, 1, { reportCommitteeSize: 8 }));
  await reachReportTime(fx, 1n);
}, 60_000);

afterAll(async () => {
  await chain.testClient.setAutomine(true);
});

describe("receipt deadlines (Hardhat EDR with automine off: a transaction that is never mined)", () => {
  it("the wait is one epoch, at least 5 s and at most viem's 180 s", () => {
    expect(receiptTimeoutMs(20)).toBe(20_000);
    expect(receiptTimeoutMs(1)).toBe(RECEIPT_LIMITS.minMs);
    expect(receiptTimeoutMs(900)).toBe(RECEIPT_LIMITS.maxMs);
  });

  it("submitReport gives up at its bound with CHAIN_ACTION_ERROR_RECEIPT_TIMEOUT; the retry reads the chain and finds the report landed (ours, one transaction)", async () => {
    const header = await headerFor(fx, 1n);
    const { bitfield, signature } = await signReport(fx, header);
    const wallet = checkers[0]!.wallet;
    const account = wallet.account.address;
    const nonceBefore = await chain.publicClient.getTransactionCount({ address: account });
    await chain.testClient.setAutomine(false);
    const send = (nonce: number, onSent: (hash: `0x${string}`) => Promise<void>) =>
      submitReport(chain.publicClient, wallet, {
        epochReports: fx.deployment.contracts.epochReports,
        header,
        signerBitfield: bitfield,
        aggregateSignature: signature,
        nonce,
        onSent,
        receiptTimeoutMs: 1_000,
      });

    // The wait ends at its bound with the code, not after viem's 180 s, and is a retriable failure in
    // the send-once loop: the pending transaction is mined while the loop backs off, and the next
    // attempt reads the chain first and finds the report, landed by our nonce.
    const writes: SubmitRecord[] = [];
    let mined = false;
    let timedOutAfterMs = Number.NaN;
    const t0 = Date.now();
    const { record, outcome } = await submitOnce<SubmitRecord>(
      { nonce: nonceBefore },
      {
        logFields: { epoch: "1" },
        action: "submitReport",
        write: async (r) => {
          writes.push(r);
          if (!mined && r.error?.includes(ChainActionErrorCode.RECEIPT_TIMEOUT) === true) {
            mined = true;
            timedOutAfterMs = Date.now() - t0;
            await chain.testClient.mine({ blocks: 1 });
          }
        },
        landed: async () => (await fx.c.reports.read.reportOf([1n])).submittedAt > 0n,
        send,
        classify: () => RevertClass.REFUSED,
        tooEarlyWaitMs: () => 0,
        onLanded: (r) => r,
        onSent: (r) => r,
        onTooEarly: (r) => r,
        onRefused: (r) => r,
      },
      { publicClient: chain.publicClient, wallet, logger: silent, attempts: 3, retryBaseMs: 100 },
    );
    const timedOut = writes.find((w) => w.error?.includes(ChainActionErrorCode.RECEIPT_TIMEOUT));
    expect(timedOut?.error).toMatch(/not mined within 1 s \[CHAIN_ACTION_ERROR_RECEIPT_TIMEOUT\]/);
    expect(timedOutAfterMs).toBeLessThan(5_000);
    expect(outcome).toEqual({ kind: "landed", ours: true });
    expect(record.txHash).toBeDefined();
    expect(await chain.publicClient.getTransactionCount({ address: account })).toBe(nonceBefore + 1);
  }, 30_000);
});

import { loadBlsBackend } from "@checkernet/protocol/bls/index";
import { createLogger } from "@checkernet/runtime";
import { getAddress } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { isolateTests, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  deployWithCheckers,
  type Fixture,
  giveLicenses,
  goToEpoch,
  revealSeed,
} from "../../../../contracts/test/helpers/fixture.ts";
import type { SubmitterWallet } from "../../../src/duties/aggregatorDuty.ts";
import { SeedDuty, SeedOutcome } from "../../../src/duties/seedDuty.ts";
import { deploymentClock } from "../../utils/chain.ts";
import { laggingRpc, selectorOf } from "../../utils/laggingRpc.ts";

// The seed proposer's reads behind a load-balanced RPC whose backends differ by a block or two (review3 P1-5's
// rule, here for the seed duty): laggingRpc puts the real EDR chain behind a fresh and a stale backend.

const silent = createLogger({ level: "silent", pretty: false });

let chain: TestChain;
let fx: Fixture;
let checkers: Checker[];

beforeAll(async () => {
  ({ chain, fx, checkers } = await deployWithCheckers(4, 1));
  for (const [i, c] of checkers.entries()) if (i > 0) await giveLicenses(fx, c, i);
}, 60_000);

isolateTests(() => chain);

describe("SeedDuty's reads at one block", () => {
  it("a backend still before the last reveal answers seedOf: the proposer retries instead of signing the fallback seed", async () => {
    await goToEpoch(fx, 1n);
    // The stale backend's head: epoch 1 before seed 2 was revealed.
    const staleHead = await chain.publicClient.getBlockNumber();
    await revealSeed(fx, 2n);
    await goToEpoch(fx, 2n);
    const [who] = await fx.c.reports.read.seedProposer([2n]);
    const proposer = checkers.find((c) => c.address === getAddress(who));
    if (proposer === undefined) throw new Error("epoch 2's proposer is not one of the fixture's checkers");

    // The first seedOf goes to the stale backend, everything else to the fresh one.
    let staleSeedReads = 1;
    const SEED_OF = selectorOf("seedOf(uint64)");
    const rpc = laggingRpc(chain, staleHead, ({ selector }) =>
      selector === SEED_OF && staleSeedReads-- > 0 ? "stale" : "fresh",
    );
    const base = deploymentClock(fx);
    const duty = new SeedDuty(
      {
        clock: deploymentClock(fx, () => base.bounds(2n).startMs + 2_000),
        bls: await loadBlsBackend("auto"),
        logger: silent,
        publicClient: rpc.client,
        walletClient: proposer.wallet as SubmitterWallet,
      },
      {
        operator: proposer.address,
        secretKey: proposer.key.secretKey,
        domain: fx.domain,
        epochReports: fx.deployment.contracts.epochReports,
        retryBaseMs: 50,
        maxRetryMs: 200,
      },
    );
    const result = await duty.runEpoch(2n);
    expect(rpc.answered.stale).toBe(1);
    // Read at "latest", the stale backend's seedOf(2) was the fallback: the signature over it was refused as
    // invalid, a final FAILED, and epoch 3 got the fallback seed. Read at the block currentEpoch was read at,
    // the stale backend lacks that block: the read fails and the next attempt reveals.
    expect(result.outcome).toBe(SeedOutcome.REVEALED);
    expect(await fx.c.reports.read.isSeedRevealed([3n])).toBe(true);
  }, 60_000);
});

import { beforeAll, describe, expect, it } from "vitest";
import type { TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  contestSlash,
  deployWithCheckers,
  type Fixture,
  fundContestBonds,
  goToEpoch,
  openFailSlash,
  revealSeed,
  setupProvider,
  TOKEN,
} from "../../../../contracts/test/helpers/fixture.ts";
import { getRecheckState } from "../../../src/chain/actions/getRecheckState.ts";
import { laggingRpc, selectorOf } from "../../utils/laggingRpc.ts";

// A contested slash's re-check committee behind a load-balanced RPC whose backends differ by a block or two
// (review3 P1-5's rule for the re-check duty's reads): laggingRpc puts the real EDR chain behind a fresh and a
// stale backend.

let chain: TestChain;
let fx: Fixture;
let checkers: Checker[];

beforeAll(async () => {
  ({ chain, fx, checkers } = await deployWithCheckers(4, 2));
}, 60_000);

describe("getRecheckState reads at one block", () => {
  it("a backend still before the re-check epoch's seed was revealed never hands out its committee as final", async () => {
    const provider = await setupProvider(fx, chain.wallets[10]!);
    await fundContestBonds(fx, provider, 100n * TOKEN);
    await goToEpoch(fx, 1n);
    const { leaf, published } = await openFailSlash(
      fx,
      1n,
      provider.address,
      checkers.slice(0, 3).map((c) => c.address),
    );
    const slashId = await contestSlash(fx, provider, leaf, published);
    const { recheckEpoch } = await fx.c.slashing.read.slashOf([slashId]);
    if ((await fx.c.reports.read.currentEpoch()) < recheckEpoch - 1n) await goToEpoch(fx, recheckEpoch - 1n);
    // The stale backend's head: the epoch before the re-check's, before its seed was revealed.
    const staleHead = await chain.publicClient.getBlockNumber();
    await revealSeed(fx, recheckEpoch);
    await goToEpoch(fx, recheckEpoch);
    const final = await fx.c.slashing.read.recheckCommittee([slashId]);

    // The first recheckCommittee goes to the stale backend, everything else to the fresh one.
    let staleReads = 1;
    const RECHECK_COMMITTEE = selectorOf("recheckCommittee(uint256)");
    const rpc = laggingRpc(chain, staleHead, ({ selector }) =>
      selector === RECHECK_COMMITTEE && staleReads-- > 0 ? "stale" : "fresh",
    );
    const params = {
      slashing: fx.deployment.contracts.slashing,
      epochReports: fx.deployment.contracts.epochReports,
      slashId,
    };
    const reads = [];
    for (let i = 0; i < 2; i++) reads.push(await getRecheckState(rpc.client, params).catch(() => undefined));
    expect(rpc.answered.stale).toBe(1);
    // Read at "latest", the stale committee (drawn with the fallback seed) came back with currentEpoch =
    // recheckEpoch from the fresh backend: a node took it for the final one. At one block it fails instead.
    const answered = reads.filter((r) => r !== undefined);
    expect(answered.length).toBeGreaterThan(0);
    for (const r of answered) {
      expect(r.currentEpoch).toBeGreaterThanOrEqual(recheckEpoch);
      expect(r.committee).toEqual([...final]);
    }
  }, 60_000);
});

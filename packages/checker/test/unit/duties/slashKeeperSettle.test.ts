import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@checkernet/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  contestSlash,
  deployWithCheckers,
  type Fixture,
  fundContestBonds,
  goToEpoch,
  openFailSlash,
  setupProvider,
  TOKEN,
} from "../../../../contracts/test/helpers/fixture.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import type { SubmitterWallet } from "../../../src/duties/leader/submitOnce.ts";
import { SlashKeeper } from "../../../src/duties/slashKeeper.ts";
import { laggingRpc, selectorOf } from "../../utils/laggingRpc.ts";

// The slash keeper's settling behind a load-balanced RPC whose backends differ by a block or two: a read from
// a backend still before a contest says Pending, the executeSlash it prompts is refused (the slash is
// Contested), and that refusal must not make the node forget the slash it has to expire later.

const CONTESTED = 2;

let chain: TestChain;
let fx: Fixture;
let checkers: Checker[];
let db: CheckerDb;

beforeAll(async () => {
  ({ chain, fx, checkers } = await deployWithCheckers(4, 1));
  db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-keeper-settle-")) });
}, 60_000);

afterAll(async () => {
  await db?.close();
});

describe("slash keeper: a refused settlement is read again, not forgotten", () => {
  it("executeSlash refused after a stale Pending read; the contest is still expired after its re-check deadline", async () => {
    const provider = await setupProvider(fx, chain.wallets[10]!);
    await fundContestBonds(fx, provider, 100n * TOKEN);
    await goToEpoch(fx, 1n);
    const { leaf, published } = await openFailSlash(
      fx,
      1n,
      provider.address,
      checkers.slice(0, 3).map((c) => c.address),
    );
    // The stale backend's head: the slash opened, not contested yet.
    const staleHead = await chain.publicClient.getBlockNumber();
    const slashId = await contestSlash(fx, provider, leaf, published);
    const slash = await fx.c.slashing.read.slashOf([slashId]);
    expect(slash.status).toBe(CONTESTED);
    // Past both deadlines: a Pending slash would be executed, this Contested one is to be expired.
    let epoch = slash.contestDeadline + 1n;
    if (epoch <= slash.resolveDeadline) epoch = slash.resolveDeadline + 1n;
    await goToEpoch(fx, epoch);

    // The first look's slashOf reads go to the stale backend (Pending), everything later to the fresh one.
    let look = 1;
    const SLASH_OF = selectorOf("slashOf(uint256)");
    const rpc = laggingRpc(chain, staleHead, ({ selector }) =>
      selector === SLASH_OF && look === 1 ? "stale" : "fresh",
    );
    const keeper = new SlashKeeper(
      {
        db,
        logger: createLogger({ level: "silent", pretty: false }),
        publicClient: rpc.client,
        walletClient: chain.wallets[5] as SubmitterWallet,
        clock: { currentEpoch: () => epoch, epochSeconds: Number(fx.deployment.epochSeconds) },
        rankOf: async () => 0,
      },
      { slashing: fx.deployment.contracts.slashing, epochReports: fx.deployment.contracts.epochReports },
    );
    await keeper.settleDue();
    expect(rpc.answered.stale).toBeGreaterThan(0);
    expect((await fx.c.slashing.read.slashOf([slashId])).status).toBe(CONTESTED);

    // The next looks read the slash again (fresh): Contested, past its re-check deadline, so it is expired
    // (the look that finds the status changed only takes note of it, the one after acts).
    look = 2;
    await keeper.settleDue();
    await keeper.settleDue();
    // Before, the refusal (SlashingInvalidStatus) read as "settled by another" and the slash was dropped.
    expect((await fx.c.slashing.read.slashOf([slashId])).status).not.toBe(CONTESTED);
  }, 60_000);
});

import { epochReportsAbi, slashingAbi } from "@checkernet/contracts/generated/index";
import { buildResultsTree, resultProof } from "@checkernet/protocol/merkle/trees";
import { withParams } from "@checkernet/protocol/params";
import { createLogger } from "@checkernet/runtime";
import { type Address, createWalletClient, custom, type PublicClient, toFunctionSelector } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isolateTests, mined, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  type Fixture,
  fundContestBonds,
  goToEpoch,
} from "../../../../contracts/test/helpers/fixture.ts";
import type { SubmitterWallet } from "../../../src/duties/aggregatorDuty.ts";
import { SlashKeeper } from "../../../src/duties/slashKeeper.ts";
import { createMetrics, type Metrics } from "../../../src/metrics/index.ts";
import { readReportRecord } from "../../../src/reports/aggregatorRecords.ts";
import { type DutyNetwork, type DutyNode, startDutyNetwork } from "../../utils/dutyNetwork.ts";
import { laggingRpc, selectorOf } from "../../utils/laggingRpc.ts";

// Review4 H1 + H3 (issue 14): a FAIL leaf of a landed report is opened by the slash keeper of every node that
// holds the leaves, whoever submitted the report, and the slash is executed after its contest deadline
// without anyone calling executeSlash by hand. Four checkers over real libp2p on 127.0.0.1, the real
// AggregatorDuty and SlashKeeper, Hardhat's EDR chain with the real contracts.

const silent = createLogger({ level: "silent", pretty: false });
const params = withParams({ committeeSize: 8, aggregatorBackups: 3 });
const LANDED_EPOCH_OF = selectorOf("landedEpochOf(uint64)");
const SLASH_OF = selectorOf("slashOf(uint256)");
const SUBMIT_REPORT = toFunctionSelector(
  epochReportsAbi.find((f) => f.type === "function" && f.name === "submitReport") as never,
);
const OPEN_SLASH = toFunctionSelector(
  slashingAbi.find((f) => f.type === "function" && f.name === "openSlash") as never,
);
/** A keeper turn step longer than a block (300 ms below), as in production (28 s steps, seconds-long blocks). */
const TURN_STEP_MS = 1_500;

let net: DutyNetwork;
let chain: TestChain;
let fx: Fixture;
let providers: Address[];

beforeAll(async () => {
  net = await startDutyNetwork({
    deploy: { reportCommitteeSize: 16, genesisSeed: `0x${"cd".repeat(32)}` },
    logger: silent,
  });
  ({ chain, fx, providers } = net);
}, 60_000);

afterAll(async () => {
  await net?.stop();
});

isolateTests(() => chain);

afterEach(async () => {
  await net.reset();
});

type Request = { method: string; params?: unknown[] };

/** The checker's wallet with `intercept` run before each request it sends to the chain. */
function walletWith(c: Checker, intercept: (args: Request) => Promise<void>): SubmitterWallet {
  return createWalletClient({
    account: c.wallet.account,
    chain: c.wallet.chain,
    transport: custom({
      request: async (args: Request) => {
        await intercept(args);
        return c.wallet.request(args as never);
      },
    }),
  }) as SubmitterWallet;
}

/** Four nodes whose duties submit with `wallet` (the checker's own by default). */
function nodes(wallet: (c: Checker) => SubmitterWallet = (c) => c.wallet as SubmitterWallet) {
  return net.nodes({
    duty: (parts) =>
      net.submittingDuty(parts, {
        params,
        logger: silent,
        publicClient: chain.publicClient as PublicClient,
        wallet: wallet(parts.checker),
      }),
  });
}

/** The node's keeper, its clock on the chain's epoch (on EDR the chain's time runs ahead of the wall clock). */
function keeperOf(
  node: DutyNode,
  metrics: Metrics,
  wallet?: SubmitterWallet,
  publicClient: PublicClient = chain.publicClient,
  stepMs = 200,
): SlashKeeper {
  return new SlashKeeper(
    {
      db: node.db,
      logger: silent,
      publicClient,
      walletClient: wallet ?? (node.checker.wallet as SubmitterWallet),
      clock: { currentEpoch: () => chainEpoch, epochSeconds: Number(fx.deployment.epochSeconds) },
      metrics,
      rankOf: (epoch) => node.duty.keeperRank(epoch),
    },
    {
      slashing: fx.deployment.contracts.slashing,
      epochReports: fx.deployment.contracts.epochReports,
      stepMs,
    },
  );
}

let chainEpoch = 1n;

/** The epoch's report with provider 1 FAILed by every checker, led by its rank-0 node; the others then stand down. */
async function reportWithFail(all: DutyNode[]): Promise<{ epoch: bigint; leader: DutyNode }> {
  const epoch = await fx.c.reports.read.currentEpoch();
  chainEpoch = epoch;
  const atts = await net.attestations(epoch, providers[1]);
  for (const n of all) await n.db.putAttestations(atts);
  const leader = all.find((n) => n.duty.rank(epoch, atts).rank === 0);
  if (leader === undefined) throw new Error("no leader");
  await leader.duty.runEpoch(epoch, { waitForTurn: false });
  for (const n of all) if (n !== leader) await n.duty.runEpoch(epoch, { waitForTurn: false });
  expect((await fx.c.reports.read.reportOf([epoch])).submittedAt).toBeGreaterThan(0n);
  return { epoch, leader };
}

/**
 * Ticks every keeper, in turn (or all at once with `together`), until `done` or `rounds` rounds (each 250 ms
 * apart: a turn step is 200 ms).
 */
async function tickUntil(
  keepers: SlashKeeper[],
  done: () => Promise<boolean>,
  rounds = 20,
  together = false,
): Promise<void> {
  for (let r = 0; r < rounds && !(await done()); r++) {
    if (together) await Promise.all(keepers.map((k) => k.tick()));
    else for (const k of keepers) await k.tick();
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const sent = async (metrics: Metrics, action: string, outcome: string) =>
  (await metrics.slashKeeperActions.get()).values.find(
    (v) => v.labels.action === action && v.labels.outcome === outcome,
  )?.value ?? 0;

describe("slash keeper (review4 H1, H3)", () => {
  it("opens a FAIL leaf of a report another account front-ran with the leader's calldata", async () => {
    const attacker = chain.wallets[19]!;
    let copied = 0;
    // The mempool copy: the leader's submitReport calldata, sent first from another account and mined first.
    const all = await nodes((c) =>
      walletWith(c, async (args) => {
        const tx = args.params?.[0] as
          | { to?: string; data?: `0x${string}`; input?: `0x${string}` }
          | undefined;
        const data = tx?.data ?? tx?.input;
        if (copied > 0 || tx?.to?.toLowerCase() !== fx.deployment.contracts.epochReports.toLowerCase())
          return;
        if (data === undefined || !data.startsWith(SUBMIT_REPORT)) return;
        copied++;
        const hash = await attacker.sendTransaction({ to: tx.to as Address, data });
        await chain.publicClient.waitForTransactionReceipt({ hash });
      }),
    );
    const { epoch, leader } = await reportWithFail(all);
    expect(copied).toBe(1);
    // Nobody's own report landed: before the keepers run, the FAIL is unopened (review4's reproduction).
    expect(await fx.c.slashing.read.pendingSlashCount([providers[1]!])).toBe(0n);

    // Turns in the ranking (review5 L1): all four look at once, each round, on a chain that mines a block
    // every 300 ms, so only the turn order keeps ranks 1-3 from sending before rank 0's opening is mined
    // (with every turn delay 0, all four send openSlash in the first round).
    const openers: Address[] = [];
    const keepers = all.map((n) => {
      const counting = walletWith(n.checker, async (args) => {
        const tx = args.params?.[0] as { data?: string; input?: string } | undefined;
        if (
          /^eth_send(Raw)?Transaction$/.test(args.method) &&
          (tx?.data ?? tx?.input)?.startsWith(OPEN_SLASH)
        )
          openers.push(n.checker.address);
      });
      return keeperOf(n, createMetrics(), counting, chain.publicClient, TURN_STEP_MS);
    });
    await chain.testClient.setAutomine(false);
    await chain.testClient.request({ method: "evm_setIntervalMining", params: [300] } as never);
    try {
      await tickUntil(
        keepers,
        async () => (await fx.c.slashing.read.pendingSlashCount([providers[1]!])) === 1n,
        20,
        true,
      );
    } finally {
      await chain.testClient.request({ method: "evm_setIntervalMining", params: [0] } as never);
      await chain.testClient.setAutomine(true);
    }
    expect(await fx.c.slashing.read.pendingSlashCount([providers[1]!])).toBe(1n);
    expect(await fx.c.slashing.read.slashIdOf([epoch, providers[1]!])).not.toBe(0n);
    // Rank 0 sent the one opening; the others, their turn come, read that it was open.
    expect(openers).toEqual([leader.checker.address]);
  }, 120_000);

  it("opens a FAIL leaf though a backend a block behind answers landedEpochOf 0 (review5 M3)", async () => {
    const all = await nodes();
    const beforeReport = await chain.publicClient.getBlockNumber();
    const { epoch } = await reportWithFail(all);
    // The window's last epoch: the old keeper took landedEpochOf 0 + contest window < now as closed for good.
    const landedEpoch = await fx.c.reports.read.landedEpochOf([epoch]);
    chainEpoch = landedEpoch + (await fx.c.slashing.read.contestWindowEpochs());
    await goToEpoch(fx, chainEpoch);
    // Each keeper's first landedEpochOf goes to the backend still before the report's block, the rest fresh.
    let stale = 0;
    const rpc = laggingRpc(chain, beforeReport, (r) =>
      r.selector === LANDED_EPOCH_OF && stale++ < all.length ? "stale" : "fresh",
    );
    const keepers = all.map((n) => keeperOf(n, createMetrics(), undefined, rpc.client as PublicClient));
    await tickUntil(
      keepers,
      async () => (await fx.c.slashing.read.pendingSlashCount([providers[1]!])) === 1n,
    );
    expect(rpc.answered.stale).toBe(all.length);
    expect(await fx.c.slashing.read.pendingSlashCount([providers[1]!])).toBe(1n);
  }, 120_000);

  it("asks the chain, not its clock, whether the opening window closed (review5 M3)", async () => {
    const all = await nodes();
    const { epoch } = await reportWithFail(all);
    const lastOpen =
      (await fx.c.reports.read.landedEpochOf([epoch])) + (await fx.c.slashing.read.contestWindowEpochs());
    await goToEpoch(fx, lastOpen);
    // The nodes' clocks run an epoch ahead of the chain's: the chain still takes openSlash.
    chainEpoch = lastOpen + 1n;
    const keepers = all.map((n) => keeperOf(n, createMetrics()));
    await tickUntil(
      keepers,
      async () => (await fx.c.slashing.read.pendingSlashCount([providers[1]!])) === 1n,
    );
    expect(await fx.c.slashing.read.pendingSlashCount([providers[1]!])).toBe(1n);
  }, 120_000);

  it("lists a leaf still unopened an epoch after its report landed (SLASH_UNOPENED, review5 L1)", async () => {
    const all = await nodes();
    const { epoch, leader } = await reportWithFail(all);
    chainEpoch = (await fx.c.reports.read.landedEpochOf([epoch])) + 1n;
    await goToEpoch(fx, chainEpoch);
    // Every transaction the leader's keeper sends is dropped: the leaf stays unopened and is listed.
    const dropping = walletWith(leader.checker, async (args) => {
      if (/^eth_send(Raw)?Transaction$/.test(args.method)) throw new Error("injected: dropped");
    });
    const keeper = keeperOf(leader, createMetrics(), dropping);
    await keeper.tick();
    expect(keeper.unopened()).toEqual([{ epoch, provider: providers[1] }]);
    // Opened (by another keeper): the next look lists nothing.
    await tickUntil(
      [keeperOf(leader, createMetrics())],
      async () => (await fx.c.slashing.read.pendingSlashCount([providers[1]!])) === 1n,
    );
    await keeper.tick();
    expect(keeper.unopened()).toEqual([]);
  }, 120_000);

  it("gives a leaf up once the chain says its opening window closed", async () => {
    const all = await nodes();
    const { epoch } = await reportWithFail(all);
    const lastOpen =
      (await fx.c.reports.read.landedEpochOf([epoch])) + (await fx.c.slashing.read.contestWindowEpochs());
    chainEpoch = lastOpen + 1n;
    await goToEpoch(fx, chainEpoch);
    const metrics = createMetrics();
    const keepers = all.map((n) => keeperOf(n, metrics));
    for (const k of keepers) await k.tick();
    // openSlash's estimate says SlashingOpenWindowClosed: nothing sent, nothing listed as unopened (no alert).
    expect(await fx.c.slashing.read.pendingSlashCount([providers[1]!])).toBe(0n);
    expect(keepers.map((k) => k.unopened().length)).toEqual([0, 0, 0, 0]);
    expect(await sent(metrics, "open", "sent")).toBe(0);
  }, 120_000);

  it("retries an opening whose transaction failed, then executes the slash after its contest deadline", async () => {
    const all = await nodes();
    const { epoch, leader } = await reportWithFail(all);
    let failed = 0;
    // The RPC refuses the keeper's first transaction (a 5xx, a nonce race): the next tick sends it again.
    const flaky = walletWith(leader.checker, async (args) => {
      if (failed === 0 && /^eth_send(Raw)?Transaction$/.test(args.method)) {
        failed++;
        throw new Error("injected: the RPC dropped the transaction");
      }
    });
    const metrics = createMetrics();
    const keeper = keeperOf(leader, metrics, flaky);
    await keeper.tick();
    expect(failed).toBe(1);
    expect(await sent(metrics, "open", "failed")).toBe(1);
    expect(await fx.c.slashing.read.pendingSlashCount([providers[1]!])).toBe(0n);
    await tickUntil(
      [keeper],
      async () => (await fx.c.slashing.read.pendingSlashCount([providers[1]!])) === 1n,
    );
    expect(await fx.c.slashing.read.pendingSlashCount([providers[1]!])).toBe(1n);

    const slashId = await fx.c.slashing.read.slashIdOf([epoch, providers[1]!]);
    const slash = await fx.c.slashing.read.slashOf([slashId]);
    const stakeBefore = await fx.c.providers.read.stakeOf([providers[1]!]);
    // Nobody contests: past the deadline, the keepers execute it (nobody here calls executeSlash).
    chainEpoch = slash.contestDeadline + 1n;
    await goToEpoch(fx, chainEpoch);
    const keepers = all.map((n) => keeperOf(n, metrics));
    await tickUntil(keepers, async () => (await fx.c.slashing.read.slashOf([slashId])).status === 3);
    expect((await fx.c.slashing.read.slashOf([slashId])).status).toBe(3); // Executed
    expect(await fx.c.slashing.read.pendingSlashCount([providers[1]!])).toBe(0n);
    expect(await fx.c.providers.read.stakeOf([providers[1]!])).toBe(stakeBefore - slash.amount);
    expect(await sent(metrics, "executeSlash", "sent")).toBe(1);
  }, 120_000);
  it("goes on from its stored cursor after a restart: a settled slash is not read again (review5 L4)", async () => {
    const all = await nodes();
    const { epoch, leader } = await reportWithFail(all);
    const pending = async () => await fx.c.slashing.read.pendingSlashCount([providers[1]!]);
    await tickUntil([keeperOf(leader, createMetrics())], async () => (await pending()) === 1n);
    const slashId = await fx.c.slashing.read.slashIdOf([epoch, providers[1]!]);
    // Restarted (a new keeper over the same db) while the slash is pending: it still executes it.
    chainEpoch = (await fx.c.slashing.read.slashOf([slashId])).contestDeadline + 1n;
    await goToEpoch(fx, chainEpoch);
    const executed = async () => (await fx.c.slashing.read.slashOf([slashId])).status === 3;
    await tickUntil([keeperOf(leader, createMetrics())], executed);
    expect(await executed()).toBe(true);
    // Restarted again: the executed slash is behind the stored cursor, so no slashOf is read at all.
    let slashReads = 0;
    const counting = laggingRpc(chain, 0n, (r) => {
      if (r.selector === SLASH_OF) slashReads++;
      return "fresh";
    });
    await keeperOf(leader, createMetrics(), undefined, counting.client as PublicClient).tick();
    expect(counting.answered.fresh).toBeGreaterThan(0);
    expect(slashReads).toBe(0);
  }, 120_000);

  it("expires a contest whose re-check never landed, after its resolve deadline", async () => {
    const all = await nodes();
    const { epoch, leader } = await reportWithFail(all);
    const record = await readReportRecord(leader.db, epoch);
    const leaf = record?.results.find((l) => l.provider === providers[1]);
    if (record === undefined || leaf === undefined) throw new Error("no stored leaf");
    // The provider contests (opening the slash with its bond); no re-check committee runs in this test.
    const provider = { address: providers[1]!, wallet: chain.wallets[11]! };
    await fundContestBonds(fx, provider, await fx.c.slashing.read.contestBond());
    const proof = resultProof(buildResultsTree(record.results), leaf.provider);
    await mined(chain, fx.as(provider.wallet).slashing.write.contest([epoch, leaf, proof]));
    const slashId = await fx.c.slashing.read.slashIdOf([epoch, providers[1]!]);
    const { resolveDeadline } = await fx.c.slashing.read.slashOf([slashId]);

    const metrics = createMetrics();
    const keepers = all.map((n) => keeperOf(n, metrics));
    // Before the deadline nothing is sent: the re-check may still land.
    chainEpoch = resolveDeadline;
    await goToEpoch(fx, chainEpoch);
    for (const k of keepers) await k.tick();
    expect((await fx.c.slashing.read.slashOf([slashId])).status).toBe(2); // Contested
    chainEpoch = resolveDeadline + 1n;
    await goToEpoch(fx, chainEpoch);
    await tickUntil(keepers, async () => (await fx.c.slashing.read.slashOf([slashId])).status === 4);
    expect((await fx.c.slashing.read.slashOf([slashId])).status).toBe(4); // Cancelled, bond burned
    expect(await sent(metrics, "expireContest", "sent")).toBe(1);
    expect(await sent(metrics, "executeSlash", "sent")).toBe(0);
  }, 120_000);
});

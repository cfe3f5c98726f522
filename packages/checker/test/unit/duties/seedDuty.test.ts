import { epochReportsAbi } from "@checkernet/contracts/generated/index";
import { loadBlsBackend } from "@checkernet/protocol/bls/index";
import { revealedSeed } from "@checkernet/protocol/epoch";
import { createLogger } from "@checkernet/runtime";
import {
  type Address,
  createWalletClient,
  custom,
  decodeFunctionData,
  getAddress,
  type Hex,
  zeroAddress,
} from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { isolateTests, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  deployWithCheckers,
  type Fixture,
  giveLicenses,
  goToEpoch,
} from "../../../../contracts/test/helpers/fixture.ts";
import { EpochClock } from "../../../src/chain/clock.ts";
import type { SubmitterWallet } from "../../../src/duties/aggregatorDuty.ts";
import { SeedDuty, SeedOutcome } from "../../../src/duties/seedDuty.ts";
import { createMetrics, type Metrics } from "../../../src/metrics/index.ts";

const silent = createLogger({ level: "silent", pretty: false });

let chain: TestChain;
let fx: Fixture;
let checkers: Checker[];

beforeAll(async () => {
  // Four operators with 1..4 licenses, delegated before genesis: the launch set of epoch 1.
  ({ chain, fx, checkers } = await deployWithCheckers(4, 1));
  for (const [i, c] of checkers.entries()) if (i > 0) await giveLicenses(fx, c, i);
}, 60_000);

isolateTests(() => chain);

/** A clock the test drives by hand (Unix ms). */
function manualClock(atMs: () => number): EpochClock {
  return new EpochClock({
    genesisMs: Number(fx.deployment.genesisTime) * 1000,
    epochSeconds: Number(fx.deployment.epochSeconds),
    now: atMs,
  });
}

/** Milliseconds at `offsetSeconds` into `epoch`. */
function at(epoch: bigint, offsetSeconds = 1): number {
  return (
    Number(fx.deployment.genesisTime + (epoch - 1n) * fx.deployment.epochSeconds) * 1000 +
    offsetSeconds * 1000
  );
}

async function proposerOf(epoch: bigint): Promise<Checker> {
  const [operator] = await fx.c.reports.read.seedProposer([epoch]);
  const found = checkers.find((c) => c.address === getAddress(operator));
  if (found === undefined) throw new Error(`epoch ${epoch}'s proposer ${operator} is not one of ours`);
  return found;
}

async function dutyFor(
  checker: Checker,
  clock: EpochClock,
  options: { wallet?: SubmitterWallet | null; metrics?: Metrics } = {},
): Promise<SeedDuty> {
  const wallet = options.wallet === undefined ? checker.wallet : options.wallet;
  return new SeedDuty(
    {
      clock,
      bls: await loadBlsBackend("auto"),
      logger: silent,
      publicClient: chain.publicClient,
      ...(wallet === null ? {} : { walletClient: wallet }),
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    },
    {
      operator: checker.address,
      secretKey: checker.key.secretKey,
      domain: fx.domain,
      epochReports: fx.deployment.contracts.epochReports,
      retryBaseMs: 50,
      maxRetryMs: 200,
      tickMs: 50,
    },
  );
}

async function seedEvents(epoch: bigint) {
  return chain.publicClient.getContractEvents({
    address: fx.deployment.contracts.epochReports,
    abi: epochReportsAbi,
    eventName: "EpochSeeded",
    args: { epoch },
    fromBlock: 0n,
  });
}

describe("SeedDuty (the seed proposer's reveal, contracts on Hardhat's EDR)", () => {
  it("the epoch's proposer reveals the next seed; everyone else stands by; a second run finds it revealed", async () => {
    await goToEpoch(fx, 1n);
    const clock = manualClock(() => at(1n, 2));
    const proposer = await proposerOf(1n);
    expect(await fx.c.reports.read.isSeedRevealed([2n])).toBe(false);
    const fallback = await fx.c.reports.read.seedOf([2n]);

    const metrics = createMetrics();
    const outcomes = new Map<Address, string>();
    for (const c of checkers) {
      const duty = await dutyFor(c, clock, c === proposer ? { metrics } : {});
      outcomes.set(c.address, (await duty.runEpoch(1n)).outcome);
      if (c === proposer) {
        expect(duty.revealed).toBe(1);
        expect(duty.lastResult?.outcome).toBe(SeedOutcome.REVEALED);
      } else {
        expect(duty.lastResult).toBeUndefined();
      }
    }
    for (const c of checkers) {
      expect(outcomes.get(c.address)).toBe(c === proposer ? SeedOutcome.REVEALED : SeedOutcome.NOT_PROPOSER);
    }

    // The seed is the hash of the proposer's unique signature, no longer the fallback.
    expect(await fx.c.reports.read.isSeedRevealed([2n])).toBe(true);
    const events = await seedEvents(2n);
    expect(events).toHaveLength(1);
    const seed = await fx.c.reports.read.seedOf([2n]);
    expect(seed).toBe(events[0]!.args.seed);
    expect(seed).not.toBe(fallback);
    const tx = await chain.publicClient.getTransaction({ hash: events[0]!.transactionHash });
    expect(getAddress(tx.from)).toBe(proposer.address);
    const { args } = decodeFunctionData({ abi: epochReportsAbi, data: tx.input });
    expect(seed).toBe(revealedSeed(2n, args?.[1] as Hex));
    const counted = (await metrics.seedReveals.get()).values;
    expect(counted).toEqual([expect.objectContaining({ labels: { result: "revealed" }, value: 1 })]);

    // Again (a restart within the epoch): found revealed, counted as done, nothing sent.
    const nonce = await chain.publicClient.getTransactionCount({ address: proposer.address });
    const again = await (await dutyFor(proposer, clock)).runEpoch(1n);
    expect(again.outcome).toBe(SeedOutcome.ALREADY_REVEALED);
    expect(await chain.publicClient.getTransactionCount({ address: proposer.address })).toBe(nonce);
  });

  it("retries an RPC failure with backoff until the reveal lands", async () => {
    await goToEpoch(fx, 1n);
    const proposer = await proposerOf(1n);
    let failures = 2;
    let sends = 0;
    const flaky: SubmitterWallet = createWalletClient({
      account: proposer.wallet.account,
      chain: proposer.wallet.chain,
      transport: custom({
        request: async (args: { method: string; params?: unknown }) => {
          if (args.method === "eth_sendTransaction") {
            sends++;
            if (failures-- > 0) throw new Error("connect ECONNREFUSED 127.0.0.1:8545");
          }
          return proposer.wallet.request(args as never);
        },
      }),
    });
    const result = await (
      await dutyFor(
        proposer,
        manualClock(() => at(1n, 2)),
        { wallet: flaky },
      )
    ).runEpoch(1n);
    expect(result.outcome).toBe(SeedOutcome.REVEALED);
    expect(result.attempts).toBe(3);
    expect(sends).toBe(3);
    expect(await fx.c.reports.read.isSeedRevealed([2n])).toBe(true);
  });

  it("waits for a chain whose clock trails the node's, and gives up only when the epoch is over", async () => {
    // The node is 2 s into epoch 2; the chain's latest block is still in epoch 1.
    await goToEpoch(fx, 1n, 50n);
    let nowMs = at(2n, 2);
    const clock = manualClock(() => nowMs);
    // Epoch 2's snapshot and seed are final once the chain is in epoch 2: its proposer is known from then.
    const pending = (async () => {
      const duties = await Promise.all(checkers.map((c) => dutyFor(c, clock)));
      return Promise.all(duties.map((d) => d.runEpoch(2n)));
    })();
    await new Promise((r) => setTimeout(r, 500));
    expect(await fx.c.reports.read.isSeedRevealed([3n])).toBe(false);
    await goToEpoch(fx, 2n);
    const outcomes = (await pending).map((r) => r.outcome);
    expect(outcomes.filter((o) => o === SeedOutcome.REVEALED)).toHaveLength(1);
    expect(outcomes.filter((o) => o === SeedOutcome.NOT_PROPOSER)).toHaveLength(3);
    expect(await fx.c.reports.read.isSeedRevealed([3n])).toBe(true);

    // Epoch 3's proposer whose node comes too late (the chain is in epoch 4): missed, the seed of 4 is the fallback.
    await goToEpoch(fx, 4n);
    nowMs = at(3n, Number(fx.deployment.epochSeconds));
    const late = await proposerOf(3n);
    const metrics = createMetrics();
    const missed = await (await dutyFor(late, clock, { metrics })).runEpoch(3n);
    expect(missed.outcome).toBe(SeedOutcome.MISSED);
    expect(await fx.c.reports.read.isSeedRevealed([4n])).toBe(false);
    expect((await metrics.seedReveals.get()).values).toEqual([
      expect.objectContaining({ labels: { result: "missed" }, value: 1 }),
    ]);
  });

  it("without a transaction key the proposer says so and sends nothing", async () => {
    await goToEpoch(fx, 1n);
    const proposer = await proposerOf(1n);
    const result = await (
      await dutyFor(
        proposer,
        manualClock(() => at(1n, 2)),
        { wallet: null },
      )
    ).runEpoch(1n);
    expect(result.outcome).toBe(SeedOutcome.NO_WALLET);
    expect(await fx.c.reports.read.isSeedRevealed([2n])).toBe(false);
  });

  it("start() reveals in each epoch this operator proposes, from its clock, until stop()", async () => {
    await goToEpoch(fx, 1n);
    const proposer = await proposerOf(1n);
    // The node's clock follows the chain's (one block a second would do this on a live chain).
    const clock = manualClock(() => at(1n, 3));
    const duty = await dutyFor(proposer, clock);
    duty.start();
    try {
      await expect
        .poll(() => fx.c.reports.read.isSeedRevealed([2n]), { timeout: 10_000, interval: 100 })
        .toBe(true);
      expect(duty.revealed).toBe(1);
    } finally {
      await duty.stop();
    }
    // Nobody proposes in epoch 0: no snapshot, no proposer.
    const [none] = await fx.c.reports.read.seedProposer([0n]);
    expect(none).toBe(zeroAddress);
  });
});

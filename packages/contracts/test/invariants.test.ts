import { Beneficiary, type ResultLeaf, type RewardLeaf } from "@checkernet/protocol/merkle/leaves";
import { resultProof, rewardProof } from "@checkernet/protocol/merkle/trees";
import fc from "fast-check";
import { type Address, type Hex, hexToBigInt, parseEventLogs, type TransactionReceipt } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { providerRegistryAbi, slashingAbi } from "../src/generated/index.ts";
import { revertOf, type TestChain } from "./helpers/chain.ts";
import {
  type Checker,
  deployWithCheckers,
  type Fixture,
  failLeaf,
  goToEpoch,
  type Provider,
  type PublishedEpoch,
  passLeaf,
  publishEpoch,
  setupProvider,
  TOKEN,
} from "./helpers/fixture.ts";

/**
 * Model-free invariants of the token flows, checked after every step of
 * random sequences of stake / unstake / withdraw / reports with failures and
 * rewards / slashes / contests / claims driven against the real contracts:
 *   - the registry holds exactly the providers' stake + unbonding tokens;
 *   - the slashing contract holds exactly the bonds of contested slashes;
 *   - supply = initial + claimed − burned, and every token sits with a known holder;
 *   - no epoch pays out more than its report's total;
 *   - a slash burns min(proposed amount, stake + unbonding): never more than the provider holds;
 *   - a slash is never both executed and cancelled (its bond refunded or forfeited).
 */

type Action =
  | { kind: "stake"; p: number; amount: bigint }
  | { kind: "unstake"; p: number; amount: bigint }
  | { kind: "withdraw"; p: number; wait: boolean }
  | { kind: "report"; fails: boolean[]; slash: bigint[]; rewards: bigint[]; totalSlack: bigint }
  | { kind: "claim"; pick: number; inflate: boolean }
  | { kind: "execute"; pick: number; wait: boolean }
  | { kind: "contest"; pick: number }
  | { kind: "expire"; pick: number; wait: boolean }
  | { kind: "advance"; epochs: number };

const PROVIDERS = 3;
/** The shortest unbonding the Slashing constructor accepts: report lateness 2 + contest window 4 + re-check deadline 4, plus 1. */
const UNBONDING_EPOCHS = 11n;
const WINDOW_EPOCHS = 4n;
const amount = fc.bigInt({ min: 1n, max: 2_000n }).map((n) => n * TOKEN);
const tokens = (max: bigint) => fc.bigInt({ min: 1n, max }).map((n) => n * TOKEN);
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("stake" as const), p: fc.nat(PROVIDERS - 1), amount }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("unstake" as const),
      p: fc.nat(PROVIDERS - 1),
      amount: tokens(400n),
    }),
  },
  // `wait` first unbonds a little and lets the unbonding period pass (or the window / deadline for the others).
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("withdraw" as const),
      p: fc.nat(PROVIDERS - 1),
      wait: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("report" as const),
      // One failure in four, so that some providers stay free to withdraw.
      fails: fc.array(
        fc.nat(3).map((n) => n === 0),
        { minLength: PROVIDERS, maxLength: PROVIDERS },
      ),
      slash: fc.array(amount, { minLength: PROVIDERS, maxLength: PROVIDERS }),
      rewards: fc.array(
        fc.bigInt({ min: 0n, max: 300n }).map((n) => n * TOKEN),
        { minLength: 5, maxLength: 5 },
      ),
      totalSlack: fc.bigInt({ min: -200n, max: 200n }).map((n) => n * TOKEN),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("claim" as const), pick: fc.nat(), inflate: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("execute" as const), pick: fc.nat(), wait: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("contest" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("expire" as const), pick: fc.nat(), wait: fc.boolean() }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("advance" as const), epochs: fc.integer({ min: 1, max: 4 }) }),
  },
);

/** fast-check's seed for the sequences; with it, every path of the coverage check is reached. */
const INVARIANTS_SEED = 20_261_203;

describe("invariants (fast-check against the contracts)", () => {
  let chain: TestChain;
  let fx: Fixture;
  let checkers: Checker[];
  let providers: Provider[];
  let base: Hex;
  /** Successful transactions per kind over the whole run, to show the sequences reach every path. */
  const reached = new Map<string, number>();
  const refused = new Map<string, number>();

  beforeAll(async () => {
    // Short unbonding so that random sequences reach withdrawals too.
    ({ chain, fx, checkers } = await deployWithCheckers(3, 1, {
      epochRewardBudget: 2_000n * TOKEN,
      unbondingEpochs: UNBONDING_EPOCHS,
    }));
    providers = [];
    for (let i = 0; i < PROVIDERS; i++)
      providers.push(await setupProvider(fx, chain.wallets[10 + i]!, 500n * TOKEN));
    for (const p of providers) {
      await fx.c.token.write.transfer([p.address, 100_000n * TOKEN]);
      await fx.as(p.wallet).token.write.approve([fx.deployment.contracts.providerRegistry, 2n ** 255n]);
      await fx.as(p.wallet).token.write.approve([fx.deployment.contracts.slashing, 2n ** 255n]);
    }
    // Setup landed in epoch 0 (the launch set); the tests run from epoch 1.
    await goToEpoch(fx, 1n);
    base = await chain.testClient.snapshot();
  });

  it("holds across random sequences of stake, slash, contest and claim", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 6, maxLength: 16 }), async (actions) => {
        await chain.testClient.revert({ id: base });
        base = await chain.testClient.snapshot();
        await runSequence(actions);
      }),
      // A fixed seed: the coverage check below must not depend on the draw (25 unseeded runs reached
      // no successful executeSlash in one clean-clone CI run). FC_SEED explores other sequences.
      { numRuns: 25, seed: Number(process.env.FC_SEED ?? INVARIANTS_SEED) },
    );
    for (const kind of [
      "stake",
      "requestUnstake",
      "withdraw",
      "submitReport",
      "openSlash",
      "executeSlash",
      "contest",
      "claim",
    ]) {
      expect(
        reached.get(kind) ?? 0,
        `no successful ${kind} in any sequence; refusals: ${[...refused].join(", ")}`,
      ).toBeGreaterThan(0);
    }
  });

  async function runSequence(actions: Action[]): Promise<void> {
    const initialSupply = await fx.c.token.read.totalSupply();
    const holders: Address[] = [
      fx.deployment.deployer,
      fx.deployment.contracts.providerRegistry,
      fx.deployment.contracts.slashing,
      ...providers.map((p) => p.address),
      ...checkers.map((c) => c.address),
    ];
    let burned = 0n;
    let epoch = await fx.c.reports.read.currentEpoch();
    const published: { epoch: bigint; data: PublishedEpoch; rewards: RewardLeaf[]; results: ResultLeaf[] }[] =
      [];
    const slashIds: bigint[] = [];
    /** How each slash ended: executed, or cancelled (bond refunded or forfeited); each at most once. */
    const outcomes = new Map<bigint, "executed" | "cancelled">();

    const send = async (kind: string, call: () => Promise<Hex>): Promise<TransactionReceipt | undefined> => {
      try {
        const receipt = await chain.publicClient.waitForTransactionReceipt({ hash: await call() });
        reached.set(kind, (reached.get(kind) ?? 0) + 1);
        for (const e of parseEventLogs({
          abi: providerRegistryAbi,
          logs: receipt.logs,
          eventName: "ProviderSlashed",
        })) {
          burned += e.args.amount;
        }
        for (const e of parseEventLogs({ abi: slashingAbi, logs: receipt.logs, eventName: "SlashUpheld" })) {
          burned += e.args.bondBurned;
        }
        for (const e of parseEventLogs({
          abi: slashingAbi,
          logs: receipt.logs,
          eventName: "BondForfeited",
        })) {
          burned += e.args.bond;
        }
        for (const e of parseEventLogs({ abi: slashingAbi, logs: receipt.logs })) {
          const outcome =
            e.eventName === "SlashExecuted"
              ? "executed"
              : e.eventName === "SlashOverturned" || e.eventName === "ContestExpired"
                ? "cancelled"
                : undefined;
          if (outcome === undefined) continue;
          const id = (e.args as { slashId: bigint }).slashId;
          const before = outcomes.get(id);
          expect(before, `slash ${id} ${outcome} after it was ${before}`).toBeUndefined();
          outcomes.set(id, outcome);
        }
        return receipt;
      } catch (error) {
        // Refusals are fine; they must be one of the contracts' own errors, never a panic or an unknown failure.
        const decoded = revertOf(error);
        refused.set(`${kind}:${decoded?.name}`, (refused.get(`${kind}:${decoded?.name}`) ?? 0) + 1);
        expect(decoded?.name, (error as Error).message).toMatch(
          /^(ProviderRegistry|Slashing|Rewards|EpochReports)/,
        );
        return undefined;
      }
    };

    const advance = async (epochs: bigint) => {
      epoch += epochs;
      await goToEpoch(fx, epoch);
    };

    for (const a of actions) {
      switch (a.kind) {
        case "stake":
          await send("stake", () => fx.as(providers[a.p]!.wallet).providers.write.stake([a.amount]));
          break;
        case "unstake":
          await send("requestUnstake", () =>
            fx.as(providers[a.p]!.wallet).providers.write.requestUnstake([a.amount]),
          );
          break;
        case "withdraw":
          if (a.wait) {
            await send("requestUnstake", () =>
              fx.as(providers[a.p]!.wallet).providers.write.requestUnstake([TOKEN]),
            );
            await advance(UNBONDING_EPOCHS);
          }
          await send("withdraw", () => fx.as(providers[a.p]!.wallet).providers.write.withdraw());
          break;
        case "advance":
          await advance(BigInt(a.epochs));
          break;
        case "report": {
          if (published.length > 0) {
            epoch += 1n;
            await goToEpoch(fx, epoch);
          }
          const results = providers.map((p, i) =>
            a.fails[i] ? failLeaf(p.address, [checkers[0]!.address], a.slash[i]) : passLeaf(p.address),
          );
          const rewards: RewardLeaf[] = [
            ...providers.map((p, i) => ({
              beneficiary: Beneficiary.PROVIDER,
              id: hexToBigInt(p.address),
              amount: a.rewards[i]!,
            })),
            ...checkers.slice(0, 2).map((c, i) => ({
              beneficiary: Beneficiary.LICENSE,
              id: c.licenses[0]!,
              amount: a.rewards[3 + i]!,
            })),
          ];
          const sum = rewards.reduce((s, l) => s + l.amount, 0n);
          const total = sum + a.totalSlack < 0n ? 0n : sum + a.totalSlack;
          const data = await publishEpoch(fx, epoch, { results, rewards, totalRewards: total });
          reached.set("submitReport", (reached.get("submitReport") ?? 0) + 1);
          published.push({ epoch, data, rewards, results });
          for (const leaf of results.filter((r) => r.verdict === 1)) {
            const receipt = await send("openSlash", () =>
              fx.c.slashing.write.openSlash([epoch, leaf, resultProof(data.results!, leaf.provider)]),
            );
            if (receipt) slashIds.push(await fx.c.slashing.read.slashCount());
          }
          break;
        }
        case "claim": {
          if (published.length === 0) break;
          const p = published[a.pick % published.length]!;
          const leaf = p.rewards[a.pick % p.rewards.length]!;
          const proof = rewardProof(p.data.rewards!, leaf.beneficiary, leaf.id);
          const claimed = a.inflate ? { ...leaf, amount: leaf.amount + 1n } : leaf;
          await send("claim", () => fx.c.rewards.write.claim([p.epoch, claimed, proof]));
          break;
        }
        case "execute":
        case "contest":
        case "expire": {
          if (slashIds.length === 0) break;
          const id = slashIds[a.pick % slashIds.length]!;
          const record = await fx.c.slashing.read.slashOf([id]);
          if (a.kind !== "contest" && a.wait) await advance(WINDOW_EPOCHS + 1n);
          if (a.kind === "execute") {
            const slashable = await fx.c.providers.read.slashableOf([record.provider]);
            const receipt = await send("executeSlash", () => fx.c.slashing.write.executeSlash([id]));
            if (receipt) {
              const [event] = parseEventLogs({
                abi: slashingAbi,
                logs: receipt.logs,
                eventName: "SlashExecuted",
              });
              // A slash never exceeds what the provider holds.
              // (bigints: Math.min does not apply)
              const expected = [record.amount, slashable].sort((x, y) => (x < y ? -1 : 1))[0];
              expect(event!.args.amount).toBe(expected);
            }
          } else if (a.kind === "contest") {
            const p = published.find((x) => x.epoch === record.epoch)!;
            const leaf = p.results.find((r) => r.provider === record.provider)!;
            const wallet = providers.find((x) => x.address === record.provider)!.wallet;
            await send("contest", () => fx.as(wallet).slashing.write.contest([record.epoch, leaf, []]));
          } else {
            await send("expireContest", () => fx.c.slashing.write.expireContest([id]));
          }
          break;
        }
      }
      await checkInvariants();
    }

    async function checkInvariants(): Promise<void> {
      const [supply, registryBalance, slashingBalance] = await Promise.all([
        fx.c.token.read.totalSupply(),
        fx.c.token.read.balanceOf([fx.deployment.contracts.providerRegistry]),
        fx.c.token.read.balanceOf([fx.deployment.contracts.slashing]),
      ]);
      let staked = 0n;
      for (const p of providers) {
        const info = await fx.c.providers.read.providerInfo([p.address]);
        staked += info.stake + info.unbonding;
      }
      expect(registryBalance).toBe(staked);
      let bonds = 0n;
      for (const id of slashIds) {
        const record = await fx.c.slashing.read.slashOf([id]);
        if (record.status === 2) bonds += record.bond;
      }
      expect(slashingBalance).toBe(bonds);
      let claimed = 0n;
      for (const p of published) {
        const paid = await fx.c.rewards.read.claimedOf([p.epoch]);
        expect(paid).toBeLessThanOrEqual(p.data.header.totalRewards);
        claimed += paid;
      }
      expect(supply).toBe(initialSupply + claimed - burned);
      let held = 0n;
      for (const h of holders) held += await fx.c.token.read.balanceOf([h]);
      expect(held).toBe(supply);
    }
  }
});

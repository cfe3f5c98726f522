import { describe, expect, it } from "vitest";
import { runScenario } from "../src/run.ts";
import { scenarioFromObject } from "../src/scenario/load.ts";
import type { Summary } from "../src/summary.ts";

/**
 * One test per adversary strategy, each against a control that differs only
 * in that strategy (same seed, same network), so the effect is the
 * strategy's.
 */
async function summary(doc: Record<string, unknown>): Promise<Summary> {
  const base = {
    name: "adversary-test",
    seed: 5,
    epochs: 15,
    checkers: { count: 150 },
    providers: { count: 60, stakeTokens: 10_000 },
  };
  const { result } = await runScenario(scenarioFromObject({ ...base, ...doc }));
  return result.summary;
}

const cheaters = (strategy: Record<string, unknown> = { cheatRate: 1 }) => ({
  providerGroups: [{ name: "cheater", fraction: 0.2, strategy }],
});

describe("checker adversaries", () => {
  it("lazy pass-guessers above a third of the weight shield cheaters", async () => {
    const control = await summary(cheaters());
    const lazy = await summary({
      ...cheaters(),
      checkerGroups: [{ name: "lazy", fraction: 0.45, strategy: { lazy: "pass" } }],
    });
    expect(control.providers.cheater!.detectionRate).toBeGreaterThan(0.9);
    expect(lazy.providers.cheater!.detectionRate).toBeLessThan(
      control.providers.cheater!.detectionRate! - 0.3,
    );
    expect(lazy.checkers.lazy!.cost).toBe(0);
  });

  it("copiers echo the majority: no effect on detection, full credit, no cost", async () => {
    const s = await summary({
      ...cheaters(),
      checkerGroups: [{ name: "copy", fraction: 0.3, strategy: { lazy: "copy" } }],
    });
    expect(s.providers.cheater!.detectionRate).toBeGreaterThan(0.9);
    expect(s.checkers.copy!.cost).toBe(0);
    expect(s.checkers.copy!.rewardPerLicense).toBeGreaterThan(0.9 * s.checkers.honest!.rewardPerLicense!);
  });

  it("a lying minority below a third executes no false slash; a majority does", async () => {
    const lie = (fraction: number) => ({
      providerGroups: [{ name: "target", fraction: 0.2 }],
      checkerGroups: [{ name: "liars", fraction, strategy: { lie: { say: "fail", targets: ["target"] } } }],
    });
    const minority = await summary(lie(0.25));
    const majority = await summary(lie(0.75));
    expect(minority.totals.falseSlashesExecuted).toBe(0);
    expect(majority.totals.falseSlashesExecuted).toBeGreaterThan(0);
    expect(majority.providers.target!.falseFails).toBeGreaterThan(minority.providers.target!.falseFails!);
  });

  it("a shielding group above a third keeps cheaters passing", async () => {
    const shield = await summary({
      ...cheaters(),
      checkerGroups: [
        { name: "shield", fraction: 0.45, strategy: { lie: { say: "pass", targets: ["cheater"] } } },
      ],
    });
    expect(shield.providers.cheater!.detectionRate).toBeLessThan(0.6);
  });

  it("a Sybil gets the seats of its licenses, however it splits them", async () => {
    const many = await summary({
      checkers: { count: 150, licenses: 1 },
      checkerGroups: [{ name: "sybil", count: 40, licenses: 1, subnet: "198.51.100.0/24" }],
    });
    const one = await summary({
      checkers: { count: 111, licenses: 1 },
      checkerGroups: [{ name: "sybil", count: 1, licenses: 40 }],
    });
    expect(many.checkers.sybil!.licenseShare).toBeCloseTo(40 / 150, 6);
    expect(one.checkers.sybil!.licenseShare).toBeCloseTo(40 / 150, 6);
    expect(Math.abs(many.checkers.sybil!.seatShare! - one.checkers.sybil!.seatShare!)).toBeLessThan(0.03);
    expect(many.checkers.sybil!.subnets).toBe(1);
  });

  it("a censoring aggregator is refused by an honest report committee, not by a captured one", async () => {
    const censor = (fraction: number) => ({
      ...cheaters(),
      checkerGroups: [{ name: "censor", fraction, strategy: { aggregator: { censor: { drop: "fail" } } } }],
    });
    const few = await summary({ ...censor(0.25), epochs: 30 });
    const most = await summary({ ...censor(0.85), epochs: 30 });
    expect(few.totals.reportsCensored).toBe(0);
    expect(few.totals.aggregatorFailovers).toBeGreaterThan(0);
    expect(few.providers.cheater!.detectionRate).toBeGreaterThan(0.9);
    expect(most.totals.reportsCensored).toBeGreaterThan(0);
    expect(most.providers.cheater!.detectionRate).toBeLessThan(few.providers.cheater!.detectionRate! - 0.3);
  });

  it("offline aggregators: backups step in; with everyone offline no report lands", async () => {
    const some = await summary({
      checkerGroups: [{ name: "sleepy", fraction: 0.3, strategy: { aggregator: { offline: 1 } } }],
    });
    const all = await summary({
      checkerGroups: [{ name: "sleepy", fraction: 1, strategy: { aggregator: { offline: 1 } } }],
    });
    expect(some.totals.aggregatorFailovers).toBeGreaterThan(0);
    expect(some.totals.reportsMissed).toBeLessThan(2);
    expect(all.totals.reportsMissed).toBe(15);
    expect(all.providers.honest!.reward).toBe(0);
  });

  it("bribes work against public committees, not against private ones", async () => {
    const doc = (sortition: string) => ({
      sampling: { rate: 1, sortition },
      checkerGroups: [{ name: "bribable", fraction: 0.7, strategy: { bribable: true } }],
      ...cheaters({ cheatRate: 1, bribe: { fraction: 0.3, tokensPerCheckerEpoch: 0.1 } }),
    });
    const priv = await summary(doc("private"));
    const pub = await summary(doc("public"));
    expect(priv.providers.cheater!.detectionRate).toBeGreaterThan(0.7);
    expect(pub.providers.cheater!.detectionRate).toBeLessThan(0.3);
    expect(priv.providers.cheater!.bribesPaid).toBeGreaterThan(0);
    expect(priv.checkers.bribable!.bribes).toBeGreaterThan(0);
  });
});

describe("provider adversaries", () => {
  it("fails a fraction of epochs: caught in those, paid in the others", async () => {
    const s = await summary(cheaters({ failRate: 0.5 }));
    expect(s.providers.cheater!.detectionRate).toBeGreaterThan(0.9);
    const paidRatio = s.providers.cheater!.rewardShare! / s.providers.cheater!.stakeShare!;
    expect(paidRatio).toBeGreaterThan(0.2);
    expect(paidRatio).toBeLessThan(0.8);
  });

  it("a slower GPU than claimed: caught by the VRAM walk, not by matmul at n = 1024", async () => {
    const slow = (matmulShareBps: number) =>
      summary({
        providers: { count: 60, gpu: "h100-sxm" },
        params: { matmulShareBps },
        providerGroups: [{ name: "slow", fraction: 0.2, strategy: { actualGpu: "t4" } }],
      });
    expect((await slow(0)).providers.slow!.detectionRate).toBeGreaterThan(0.9);
    expect((await slow(10_000)).providers.slow!.detectionRate).toBeLessThan(0.1);
  });

  it("a region spoofer is caught when the committee sits near its real location, a relay never", async () => {
    const proxy = (regions: string[]) =>
      summary({
        checkers: { count: 150, regions },
        providerGroups: [
          {
            name: "spoof",
            fraction: 0.1,
            regions: ["eu-west"],
            strategy: { proxy: { mode: "spoof", actualRegion: "ap-south" } },
          },
          {
            name: "relay",
            fraction: 0.1,
            regions: ["eu-west"],
            strategy: { proxy: { mode: "relay", actualRegion: "ap-south" } },
          },
        ],
      });
    const near = await proxy(["ap-south", "me-central"]);
    const everywhere = await proxy([
      "us-east",
      "eu-west",
      "eu-central",
      "ap-south",
      "ap-northeast",
      "sa-east",
    ]);
    expect(near.providers.spoof!.detectionRate).toBeGreaterThan(0.9);
    expect(everywhere.providers.spoof!.detectionRate).toBeLessThan(0.2);
    expect(near.providers.relay!.detectionRate).toBe(0);
    expect(near.totals.falseSlashesExecuted).toBe(0);
  });

  it("a ghost is always caught and never paid", async () => {
    const s = await summary(cheaters({ ghost: true }));
    expect(s.providers.cheater!.detectionRate).toBeGreaterThan(0.95);
    expect(s.providers.cheater!.reward).toBe(0);
    expect(s.providers.cheater!.workCost).toBe(0);
  });

  it("behaving only when watched: caught at the sampling rate under private sortition, never under public", async () => {
    const watched = (sortition: string) =>
      summary({ epochs: 30, sampling: { rate: 0.4, sortition }, ...cheaters({ watched: true }) });
    const priv = await watched("private");
    const pub = await watched("public");
    expect(priv.providers.cheater!.detectionRate).toBeGreaterThan(0.25);
    expect(priv.providers.cheater!.detectionRate).toBeLessThan(0.55);
    expect(pub.providers.cheater!.detectionRate).toBe(0);
    expect(pub.providers.cheater!.profitPerMember).toBeGreaterThan(priv.providers.cheater!.profitPerMember!);
  });

  it("intermittent availability: outages are caught and slashed, so pay falls below uptime", async () => {
    const s = await summary({ epochs: 40, ...cheaters({ uptime: 0.5, meanOutageEpochs: 2 }) });
    const ratio = s.providers.cheater!.rewardShare! / s.providers.cheater!.stakeShare!;
    expect(s.providers.cheater!.detectionRate).toBeGreaterThan(0.9);
    expect(ratio).toBeGreaterThan(0.05);
    expect(ratio).toBeLessThan(0.5);
    expect(s.providers.cheater!.stakeLeft).toBeLessThan(s.providers.cheater!.stake!);
    expect(s.totals.falseSlashesExecuted).toBe(0);
  });

  it("griefing contests forfeit bonds; an honest provider's contests win", async () => {
    const s = await summary({
      epochs: 30,
      params: { contestBond: 500 },
      network: { challengeLoss: 0.2 },
      providerGroups: [
        { name: "griefer", fraction: 0.1, strategy: { failRate: 1, contest: "always" } },
        { name: "quiet", fraction: 0.1, strategy: { failRate: 1, contest: "never" } },
      ],
    });
    expect(s.providers.griefer!.bondsLost).toBeGreaterThan(0);
    expect(s.providers.quiet!.bondsLost).toBe(0);
    expect(s.providers.griefer!.profitPerMember).toBeLessThan(s.providers.quiet!.profitPerMember!);
    expect(s.providers.honest!.contestsWon).toBe(
      s.providers.honest!.contests! - s.providers.honest!.falseSlashes!,
    );
  });

  it("a cheater saves the work cost and loses more when checked every epoch", async () => {
    const s = await summary({ economics: { providerWorkCost: 1 }, ...cheaters({ cheatRate: 1 }) });
    expect(s.providers.cheater!.workCost).toBe(0);
    expect(s.providers.cheater!.profitPerMember).toBeLessThan(s.providers.honest!.profitPerMember!);
  });
});

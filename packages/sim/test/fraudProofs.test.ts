import { DEFAULT_PARAMS } from "@checkernet/protocol/params";
import { describe, expect, it } from "vitest";
import { rowCatchProbability, samplingShape } from "../src/engine/fraud.ts";
import { cheaterOdds } from "../src/equilibrium.ts";
import { stableJson } from "../src/output/files.ts";
import { RealSimulation } from "../src/real.ts";
import { resultOf } from "../src/report.ts";
import { createSimulation, runScenario } from "../src/run.ts";
import { loadScenario, scenarioFromObject } from "../src/scenario/load.ts";
import { ScenarioError } from "../src/scenario/schema.ts";

/**
 * Matmul fraud proofs (issue 11): a provider computing 5% of its rows wrongly,
 * checked every epoch with matmul only, no run lost; 30% of the checker
 * licenses shield it (attest PASS). Each honest member opens R rows (the default, 8).
 */
const R = DEFAULT_PARAMS.matmulSampledRows;
const SCENARIO = {
  name: "fraud-proofs",
  seed: 7,
  epochs: 20,
  checkers: { count: 200, licenses: 1, regions: ["us-east"] },
  providers: { count: 100, stakeTokens: 1000, regions: ["us-east"], gpu: "h100-sxm" },
  network: { challengeLoss: 0, gossipLoss: 0 },
  params: { matmulShareBps: 10_000 },
  checkerGroups: [
    { name: "shielders", fraction: 0.3, strategy: { lie: { say: "pass", targets: ["cheater"] } } },
  ],
  providerGroups: [{ name: "cheater", fraction: 0.5, strategy: { wrongRows: 0.05, contest: "never" } }],
};

describe("fraud proofs", () => {
  it("one checker's catch is the protocol's exact detection at the params' shape (r, s), not 1 − (1 − f)^r", () => {
    // The shape comes from the params through the protocol: r = min(n, matmulSampledRows), s = min(n, 16).
    expect(samplingShape({ matmulSampledRows: 8, matmulSize: 1024 })).toEqual({
      n: 1024,
      rows: 8,
      entries: 16,
    });
    expect(samplingShape({ matmulSampledRows: 8, matmulSize: 2 })).toEqual({ n: 2, rows: 2, entries: 2 });
    // f = 5 % at n = 1024: ⌈51.2⌉ = 52 wrong rows; the run misses when its 8 distinct rows all avoid them.
    const shape = samplingShape({ matmulSampledRows: R, matmulSize: 1024 });
    let miss = 1;
    for (let t = 0; t < R; t++) miss *= (1024 - 52 - t) / (1024 - t);
    expect(rowCatchProbability(0.05, shape)).toBeCloseTo(1 - miss, 12);
    expect(rowCatchProbability(0.05, shape)).toBeCloseTo(0.3419, 5);
    // The old copy, 1 − 0.95^8 = 0.3366, is the protocol's lower bound, not the catch.
    expect(rowCatchProbability(0.05, shape)).toBeGreaterThan(1 - 0.95 ** R + 0.005);
    // At the earlier r = 4: 0.1884 (1 − 0.95^4 = 0.1855).
    expect(rowCatchProbability(0.05, samplingShape({ matmulSampledRows: 4, matmulSize: 1024 }))).toBeCloseTo(
      0.188425,
      5,
    );
    expect(rowCatchProbability(1, shape)).toBe(1);
    expect(rowCatchProbability(0, shape)).toBe(0);
  });

  it("a scenario's params.matmulSampledRows reaches the catch odds", async () => {
    const odds = async (rows: number) => {
      const sim = await createSimulation(scenarioFromObject(SCENARIO, { "params.matmulSampledRows": rows }));
      return cheaterOdds(sim, sim.scenario.providerGroups[0]!, true).rowCatch;
    };
    expect(await odds(4)).toBeCloseTo(0.188425, 5);
    expect(await odds(8)).toBeCloseTo(0.3419, 5);
  });

  it("slash a 5%-wrong-rows provider at the expected per-epoch rate despite 30% shielders", async () => {
    const { sim, result } = await runScenario(scenarioFromObject(SCENARIO));
    const cheater = result.summary.providers.cheater!;
    // 140 honest checkers, each seated with probability 8/200 and catching with c.
    const expected = 1 - (1 - (8 / 200) * rowCatchProbability(0.05, samplingShape(DEFAULT_PARAMS))) ** 140;
    expect(cheaterOdds(sim, sim.scenario.providerGroups[0]!, true).qFraud).toBeCloseTo(expected, 12);
    const n = cheater.faultyEpochs as number;
    expect(n).toBe(50 * 20);
    const sd = Math.sqrt((expected * (1 - expected)) / n);
    expect(Math.abs((cheater.fraudSlashRate as number) - expected)).toBeLessThan(4 * sd);
    // Immediate slashes of 10% of the stake (fraudSlashBps = slashBps), half to the catchers.
    expect(cheater.fraudSlashed as number).toBeGreaterThan(0);
    expect(result.summary.checkers.honest!.bounty as number).toBeCloseTo(
      (cheater.fraudSlashed as number) / 2,
      6,
    );
    expect(result.summary.checkers.shielders!.bounty).toBe(0);
    expect(result.summary.providers.honest!.fraudSlashes).toBe(0);
    // The vote alone rarely reaches a FAIL (a two-thirds FAIL needs most honest members to catch it, each
    // with 1 − 0.95^R: more often at R = 8 than at the old 4, still a few % of epochs); fraud proofs slash
    // over ten times as often.
    expect(cheater.detectionRate as number).toBeLessThan(0.08);
    expect(cheater.fraudSlashRate as number).toBeGreaterThan(10 * (cheater.detectionRate as number));
    expect(cheater.caughtRate as number).toBeGreaterThanOrEqual(cheater.fraudSlashRate as number);
  });

  it("without fraud proofs the same provider is rarely slashed", async () => {
    const { result } = await runScenario(scenarioFromObject(SCENARIO, { "fraudProofs.enabled": false }));
    const cheater = result.summary.providers.cheater!;
    expect(cheater.fraudSlashes).toBe(0);
    expect(result.summary.totals.fraudSlashes).toBe(0);
    expect(cheater.detectionRate as number).toBeLessThan(0.08);
    expect((cheater.slashes as number) / (cheater.faultyEpochs as number)).toBeLessThan(0.08);
  });

  it("gives byte-identical JSON for the same seed", async () => {
    const a = await runScenario(scenarioFromObject(SCENARIO, { epochs: 8 }));
    const b = await runScenario(scenarioFromObject(SCENARIO, { epochs: 8 }));
    expect(stableJson(a.result)).toBe(stableJson(b.result));
  });

  it("parses the switch: on by default, a boolean or an object, and wrongRows only in the modelled mode", () => {
    const on = scenarioFromObject(SCENARIO);
    expect(on.fraudProofs).toEqual({ enabled: true, slashBps: null, bountyBps: 5_000 });
    expect(scenarioFromObject({ ...SCENARIO, fraudProofs: false }).fraudProofs.enabled).toBe(false);
    const overridden = scenarioFromObject(
      { ...SCENARIO, fraudProofs: false },
      { "fraudProofs.enabled": true },
    );
    expect(overridden.fraudProofs.enabled).toBe(true);
    const custom = scenarioFromObject({ ...SCENARIO, fraudProofs: { slashBps: 2_000, bountyBps: 1_000 } });
    expect(custom.fraudProofs).toEqual({ enabled: true, slashBps: 2_000, bountyBps: 1_000 });
    expect(() => scenarioFromObject({ ...SCENARIO, fraudProofs: { enabled: "yes" } })).toThrow(
      /fraudProofs\.enabled: must be true or false/,
    );
    expect(() => scenarioFromObject({ ...SCENARIO, fraudProofs: { bountyBps: 20_000 } })).toThrow(
      ScenarioError,
    );
    expect(() =>
      scenarioFromObject({ ...SCENARIO, mode: "real", checkers: { count: 12 }, providers: { count: 3 } }),
    ).toThrow(/providerGroups\[0\]\.strategy\.wrongRows: is modelled only/);
  });

  it("the real-signature mode turns verifyMatmul's WRONG_ROW into fraud slashes", async () => {
    const scenario = loadScenario("real-small", {
      "checkers.count": 12,
      "providers.count": 3,
      epochs: 2,
      "params.matmulShareBps": 10_000,
    });
    const sim = await RealSimulation.create(scenario);
    await sim.run();
    const cheater = resultOf(sim).summary.providers.cheater!;
    expect(cheater.fraudSlashes).toBe(2);
  });
});

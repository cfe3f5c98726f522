import { describe, expect, it } from "vitest";
import { Simulation } from "../src/engine.ts";
import { stableJson } from "../src/output/files.ts";
import { resultOf } from "../src/report.ts";
import { runScenario } from "../src/run.ts";
import { loadScenario } from "../src/scenario/load.ts";
import { workerVerdicts } from "../src/verdicts.ts";

const small = { "checkers.count": 120, "providers.count": 60, epochs: 12 };

describe("determinism", () => {
  it("gives byte-identical JSON for the same seed", async () => {
    const a = await runScenario(loadScenario("colluding-minority", small));
    const b = await runScenario(loadScenario("colluding-minority", small));
    expect(stableJson(a.result)).toBe(stableJson(b.result));
  });

  it("gives different results for a different seed", async () => {
    const a = await runScenario(loadScenario("colluding-minority", small));
    const b = await runScenario(loadScenario("colluding-minority", { ...small, seed: "another" }));
    expect(stableJson(a.result.epochs)).not.toBe(stableJson(b.result.epochs));
  });

  it("does not depend on computing verdicts in worker threads", async () => {
    const scenario = loadScenario("faulty-providers", small);
    const inline = await runScenario(scenario);
    const sim = new Simulation(scenario);
    const verdicts = workerVerdicts(sim.params, 2);
    try {
      await sim.run({ verdicts });
    } finally {
      await verdicts.close();
    }
    expect(stableJson(resultOf(sim))).toBe(stableJson(inline.result));
  });
});
